/* store_mariadb.c - the MariaDB back end's table of operations, and its verbs for the start of
 * a run: connect, run lock, schema and repairs, the shard map. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "txetl/record.h"
#include "txetl/schema.h"

const tx_store_ops tx_store_mariadb = {
    .name = "mariadb",
    .open = tx_mdb_open,
    .close = tx_mdb_close,
    .run_lock = tx_mdb_run_lock,
    .prepare = tx_mdb_prepare,
    .map_read = tx_mdb_map_read,
    .map_write = tx_mdb_map_write,
    .begin = tx_mdb_begin,
    .dir_lookup = tx_mdb_dir_lookup,
    .rows_load = tx_mdb_rows_load,
    .rows_remove = tx_mdb_rows_remove,
    .dir_load = tx_mdb_dir_load,
    .audit_load = tx_mdb_audit_load,
    .finish = tx_mdb_finish,
    .dir_commit = tx_mdb_dir_commit,
    .runs_row = tx_mdb_runs_row,
    .read_txns = tx_mdb_read_txns,
    .read_months = tx_mdb_read_months,
    .status = tx_mdb_status,
};

int tx_mdb_open(tx_store *s, tx_error *err)
{
    return tx_conn_open(s->path, s->index, &s->conn, err);
}

void tx_mdb_close(tx_store *s)
{
    /* the statement connection (and the run lock) first, then the loaders: each waits for the
     * jobs it holds, and the directory's uncommitted transaction rolls back */
    tx_conn_close(&s->conn);
    for (int k = 0; k < TX_STORE_ROW_LOADERS; k++)
        tx_loader_stop(&s->rows[k]);
    tx_loader_stop(&s->dir);
}

int tx_mdb_run_lock(tx_store *s, tx_error *err)
{
    return tx_conn_run_lock(s->conn, err);
}

/* Runs every ';'-at-end-of-line statement of sql/schema.sql. */
static int run_schema(tx_conn *c, tx_error *err)
{
    const char *p = tx_schema_sql;
    size_t cap = strlen(p) + 1;
    char *stmt = malloc(cap);
    if (!stmt)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    size_t n = 0;
    int rc = TX_OK;
    while (*p && rc == TX_OK) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *q = p;
        while (q < p + len && (*q == ' ' || *q == '\t'))
            q++;
        if (!(q + 1 < p + len && q[0] == '-' && q[1] == '-')) {
            memcpy(stmt + n, p, len);
            n += len;
            stmt[n++] = '\n';
            size_t e = len;
            while (e > 0 && (p[e - 1] == ' ' || p[e - 1] == '\r'))
                e--;
            if (e > 0 && p[e - 1] == ';') {
                stmt[n] = '\0';
                rc = tx_conn_exec(c, stmt, err);
                n = 0;
            }
        }
        p += len + (eol ? 1 : 0);
    }
    free(stmt);
    return rc;
}

static int month_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len, (void)err;
    uint8_t *months = ctx;
    int ym = atoi(v[0] + 1), y = ym / 100, m = ym % 100;
    if (y >= TX_YEAR_FIRST && y < TX_YEAR_FIRST + TX_NMONTHS / 12 && m >= 1 &&
        m <= 12)
        months[(y - TX_YEAR_FIRST) * 12 + m - 1] = 1;
    return TX_OK;
}

int tx_mdb_prepare(tx_store *s, tx_store_state *st, tx_error *err)
{
    tx_conn *c = s->conn;
    uint64_t got = 0;
    int null;
    int rebuild = 0; /* revenue_daily of an older txetl (currencies added together) */
    int rc = tx_mdb_revenue_upgrade(c, &rebuild, err);
    if (rc == TX_OK)
        rc = run_schema(c, err);
    if (rc == TX_OK && rebuild)
        rc = tx_mdb_revenue_rebuild(c, err);
    if (rc != TX_OK)
        return rc;
    /* txetl before 0.2 kept the directory as one row per transaction_id */
    if ((rc = tx_conn_query_u64(c, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
                                   "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                                   "'txn_directory' AND COLUMN_NAME = 'tombstones'",
                                &got, &null, err)) != TX_OK)
        return rc;
    if (got == 0)
        return tx_error_set(err, TX_EUSAGE, "shard %d: txn_directory has the layout of an "
                            "older txetl (a row per id, no block column): start from a "
                            "fresh database and reload the extracts", s->index);
    /* We hold the run lock: a run still marked running ended without finishing. */
    if ((rc = tx_conn_exec(c, "UPDATE etl_runs SET status = 'failed', message = "
                              "CONCAT('abandoned: the run ended without finishing; ', "
                              "COALESCE(message, '')) WHERE status = 'running'", err)))
        return rc;
    /* A run that died between dropping and rebuilding the secondary index left it out. */
    if ((rc = tx_conn_query_u64(c, "SELECT COUNT(*) FROM information_schema.STATISTICS "
                                   "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                                   "'TransactionsOptimized' AND INDEX_NAME = "
                                   "'idx_customer_date'", &got, &null, err)) != TX_OK)
        return rc;
    if (got == 0 && (rc = tx_conn_exec(c, "ALTER TABLE TransactionsOptimized ADD INDEX "
                                          "idx_customer_date (customer_id, transaction_date)",
                                       err)))
        return rc;
    const tx_conn_reader months = {.row = month_row, .ctx = st->months};
    if ((rc = tx_conn_query_rows(c, "SELECT PARTITION_NAME FROM information_schema.PARTITIONS "
                                    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                                    "'TransactionsOptimized' AND PARTITION_NAME LIKE 'p%'",
                                 &months, err)) != TX_OK)
        return rc;
    if ((rc = tx_conn_query_u64(c, "SELECT EXISTS (SELECT 1 FROM txn_directory)", &got, &null,
                                err)) != TX_OK)
        return rc;
    st->dir_empty = got == 0;
    if ((rc = tx_conn_query_u64(c, "SELECT EXISTS (SELECT 1 FROM TransactionsOptimized)", &got,
                                &null, err)) != TX_OK)
        return rc;
    st->table_empty = got == 0;
    if ((rc = tx_conn_query_u64(c, "SELECT value FROM shard_state WHERE name = "
                                   "'revenue_dirty'", &got, &null, err)) != TX_OK)
        return rc;
    st->revenue_dirty = !null && got != 0;
    s->fast = st->table_empty;
    s->revenue_dirty = st->revenue_dirty;
    return TX_OK;
}

typedef struct map_ctx {
    tx_store_map_fn fn;
    void *ctx;
} map_ctx;

static int map_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len;
    map_ctx *m = ctx;
    return m->fn(m->ctx, atoi(v[0]), atoi(v[1]), v[2] ? atoi(v[2]) : INT32_MIN,
                 v[3] ? atoi(v[3]) : INT32_MAX, err);
}

int tx_mdb_map_read(tx_store *s, tx_store_map_fn fn, void *ctx, tx_error *err)
{
    map_ctx m = {fn, ctx};
    const tx_conn_reader rd = {.row = map_row, .ctx = &m};
    return tx_conn_query_rows(s->conn, "SELECT shard_index, shard_count, DATEDIFF(lower_date, "
                                       "'1970-01-01'), DATEDIFF(upper_date, '1970-01-01') FROM "
                                       "shard_map ORDER BY shard_index", &rd, err);
}

int tx_mdb_map_write(tx_store *s, int nshards, const int32_t *bound, const char *run_id,
                     tx_error *err)
{
    int rc = tx_conn_exec(s->conn, "DELETE FROM shard_map", err);
    for (int i = 0; i < nshards && rc == TX_OK; i++) {
        char lo[16] = "NULL", hi[16] = "NULL", d[11];
        if (bound[i] != INT32_MIN)
            snprintf(lo, sizeof lo, "'%s'", tx_format_date(bound[i], d));
        if (bound[i + 1] != INT32_MAX)
            snprintf(hi, sizeof hi, "'%s'", tx_format_date(bound[i + 1], d));
        rc = tx_conn_execf(s->conn, err, "INSERT INTO shard_map VALUES (%d, %d, %s, %s, '%s')",
                           i, nshards, lo, hi, run_id);
    }
    return rc;
}
