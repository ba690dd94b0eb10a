/* store_revenue.c - Customer.revenue_daily of the MariaDB back end: its rebuild from
 * TransactionsOptimized, and the repair of the table of an older txetl, which kept one row per
 * date with every currency's amounts added together. */
#include <stdint.h>
#include <stdio.h>

#include "store_internal.h"

int tx_mdb_revenue_rebuild(tx_conn *c, tx_error *err)
{
    int rc = tx_conn_exec(c, "DELETE FROM revenue_daily", err);
    if (rc == TX_OK)
        rc = tx_conn_exec(c, "INSERT INTO revenue_daily (transaction_date, currency, revenue, "
                             "transactions, customers) SELECT transaction_date, currency, "
                             "SUM(transaction_amount), COUNT(*), COUNT(DISTINCT customer_id) "
                             "FROM TransactionsOptimized GROUP BY transaction_date, currency",
                          err);
    return rc;
}

/* Whether table `name` exists without a `currency` column (the older layout). */
static int old_layout(tx_conn *c, const char *name, int *old, tx_error *err)
{
    uint64_t tables = 0, cols = 0;
    int null;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                              "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '%s'", name);
    int rc = tx_conn_query_u64(c, sql, &tables, &null, err);
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
                              "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '%s' AND "
                              "COLUMN_NAME = 'currency'", name);
    if (rc == TX_OK && tables)
        rc = tx_conn_query_u64(c, sql, &cols, &null, err);
    *old = rc == TX_OK && tables && !cols;
    return rc;
}

int tx_mdb_revenue_upgrade(tx_conn *c, int *rebuild, tx_error *err)
{
    static const char *const tables[] = {"revenue_daily", "stage_pairs", "stage_revenue"};
    *rebuild = 0;
    int rc = TX_OK;
    for (size_t i = 0; i < sizeof tables / sizeof *tables && rc == TX_OK; i++) {
        int old = 0;
        rc = old_layout(c, tables[i], &old, err);
        if (rc == TX_OK && old) {
            /* stage_* are per-run working tables; revenue_daily is rebuilt after the schema */
            rc = tx_conn_execf(c, err, "DROP TABLE %s", tables[i]);
            if (i == 0)
                *rebuild = 1;
        }
    }
    return rc;
}
