/* store_revenue.c - Customer.revenue_daily of the MariaDB back end: its rebuild from
 * TransactionsOptimized, the repair of the table of an older txetl, which kept one row per
 * date with every currency's amounts added together, and the read of the stored currencies per
 * date (what a load checks the exchange rates against before it writes). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

static int cur_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n;
    const tx_relay *cc = ctx;
    uint32_t code = 0;
    for (unsigned long i = 0; i < 3; i++) /* a CHAR(3) shorter than 3 stays distinct */
        code = code << 8 | (i < len[1] ? (unsigned char)v[1][i] : 0);
    return cc->fn.revenue(cc->ctx, (int32_t)atol(v[0]), code, strtoull(v[2], NULL, 10), err);
}

int tx_mdb_currency_days(tx_conn *c, int from_rows, tx_store_revenue_fn fn, void *ctx,
                         tx_error *err)
{
    tx_relay cc = {.fn.revenue = fn, .ctx = ctx};
    const tx_conn_reader rd = {.row = cur_row, .ctx = &cc};
    return tx_conn_query_rows(
        c, from_rows ? "SELECT DATEDIFF(transaction_date, '1970-01-01'), COALESCE(currency, "
                       "'USD'), COUNT(*) FROM TransactionsOptimized GROUP BY 1, 2"
                     : "SELECT DATEDIFF(transaction_date, '1970-01-01'), currency, transactions "
                       "FROM revenue_daily WHERE transactions > 0",
        &rd, err);
}

int tx_mdb_revenue_read(tx_store *s, tx_store_revenue_fn fn, void *ctx, tx_error *err)
{
    /* a backfill that died before recomputing revenue_daily left it incomplete: the rows */
    return tx_mdb_currency_days(s->conn, s->revenue_dirty, fn, ctx, err);
}
