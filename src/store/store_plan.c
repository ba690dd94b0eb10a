/* store_plan.c - the plan back end (store.h, `txetl load --plan`): every read is the MariaDB
 * back end's (connect, inspect, schema check, shard map, directory look-ups, stored
 * currencies), every write is dropped. What a load's prepare learns (month partitions, whether
 * the directory and TransactionsOptimized are empty) is read here without its repairs; a
 * missing database or table reads as empty, as a load would find it once it created them. The
 * run lock is taken as a load takes it (GET_LOCK writes nothing), so no run changes the state
 * while the plan decides against it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static int pln_open(tx_store *s, tx_error *err)
{
    /* never creates the database: when absent the connection stays in information_schema */
    return tx_conn_open_mode(s->path, s->index, TX_CONN_DEFER, &s->conn, err);
}

static void pln_close(tx_store *s)
{
    tx_conn_close(&s->conn);
}

/* Whether table `name` exists in the shard's database (0 when the database does not). */
static int has_table(tx_store *s, const char *name, int *has, tx_error *err)
{
    *has = 0;
    if (!tx_conn_database_exists(s->conn))
        return TX_OK;
    uint64_t got = 0;
    char q[200];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
             "DATABASE() AND TABLE_NAME = '%s'", name);
    int rc = tx_conn_query_u64(s->conn, q, &got, NULL, err);
    *has = rc == TX_OK && got > 0;
    return rc;
}

static int has_column(tx_store *s, const char *table, const char *col, int *has, tx_error *err)
{
    uint64_t got = 0;
    char q[256];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
             "DATABASE() AND TABLE_NAME = '%s' AND COLUMN_NAME = '%s'", table, col);
    int rc = tx_conn_query_u64(s->conn, q, &got, NULL, err);
    *has = rc == TX_OK && got > 0;
    return rc;
}

static int month_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len, (void)err;
    uint8_t *months = ctx;
    int ym = atoi(v[0] + 1), y = ym / 100, m = ym % 100;
    if (y >= TX_YEAR_FIRST && y < TX_YEAR_FIRST + TX_NMONTHS / 12 && m >= 1 && m <= 12)
        months[(y - TX_YEAR_FIRST) * 12 + m - 1] = 1;
    return TX_OK;
}

/* A load's prepare, reading only: the refusals it would make before writing (a directory of
 * another txetl's layout or format) and what the shard holds. Nothing abandoned is marked, no
 * index rebuilt, no format recorded: those are the real run's writes. */
static int pln_prepare(tx_store *s, int dir_format, tx_store_state *st, tx_error *err)
{
    tx_conn *c = s->conn;
    int rows_t = 0, dir_t = 0, state_t = 0, tomb = 1, rc;
    uint64_t got = 0;
    int null = 0;
    if ((rc = has_table(s, "TransactionsOptimized", &rows_t, err)) != TX_OK ||
        (rc = has_table(s, "txn_directory", &dir_t, err)) != TX_OK ||
        (rc = has_table(s, "shard_state", &state_t, err)) != TX_OK)
        return rc;
    st->table_empty = st->dir_empty = 1;
    if (dir_t && (rc = has_column(s, "txn_directory", "tombstones", &tomb, err)) != TX_OK)
        return rc;
    if (!tomb)
        return tx_error_set(err, TX_EUSAGE, "shard %d: txn_directory has the layout of an "
                            "older txetl (a row per id, no block column): start from a "
                            "fresh database and reload the extracts", s->index);
    if (dir_t) {
        if ((rc = tx_conn_query_u64(c, "SELECT EXISTS (SELECT 1 FROM txn_directory)", &got,
                                    &null, err)) != TX_OK)
            return rc;
        st->dir_empty = got == 0;
    }
    if (!st->dir_empty) {
        uint64_t fmt = 0;
        int fnull = 1;
        if (state_t && (rc = tx_conn_query_u64(c, "SELECT value FROM shard_state WHERE name = "
                                                  "'directory_format'", &fmt, &fnull, err)) != TX_OK)
            return rc;
        if (fnull || fmt != (uint64_t)dir_format)
            return tx_error_set(err, TX_EUSAGE, "shard %d: txn_directory has the layout of an "
                                "%s txetl (directory format %llu; this txetl reads format %d): "
                                "a load would refuse it; drop the database on every shard and "
                                "load the extracts again with this txetl", s->index,
                                !fnull && fmt > (uint64_t)dir_format ? "newer" : "older",
                                fnull ? 1ull : (unsigned long long)fmt, dir_format);
    }
    if (rows_t) {
        const tx_conn_reader months = {.row = month_row, .ctx = st->months};
        if ((rc = tx_conn_query_rows(c, "SELECT PARTITION_NAME FROM information_schema."
                                        "PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND "
                                        "TABLE_NAME = 'TransactionsOptimized' AND "
                                        "PARTITION_NAME LIKE 'p%'", &months, err)) != TX_OK ||
            (rc = tx_conn_query_u64(c, "SELECT EXISTS (SELECT 1 FROM TransactionsOptimized)",
                                    &got, &null, err)) != TX_OK)
            return rc;
        st->table_empty = got == 0;
    }
    if (state_t) {
        if ((rc = tx_conn_query_u64(c, "SELECT value FROM shard_state WHERE name = "
                                       "'revenue_dirty'", &got, &null, err)) != TX_OK)
            return rc;
        st->revenue_dirty = !null && got != 0;
    }
    s->fast = st->table_empty;
    s->revenue_dirty = st->revenue_dirty;
    return TX_OK;
}

static int pln_map_read(tx_store *s, tx_store_map_fn fn, void *ctx, tx_error *err)
{
    int has = 0;
    int rc = has_table(s, "shard_map", &has, err);
    return rc == TX_OK && has ? tx_mdb_map_read(s, fn, ctx, err) : rc;
}

/* The stored currencies as a load would find them after its repairs: revenue_daily, or the
 * rows themselves when revenue_daily is dirty, missing or of the older layout (no currency). */
static int pln_revenue_read(tx_store *s, tx_store_revenue_fn fn, void *ctx, tx_error *err)
{
    int rows_t = 0, rev_t = 0, cur = 0;
    int rc = has_table(s, "TransactionsOptimized", &rows_t, err);
    if (rc == TX_OK)
        rc = has_table(s, "revenue_daily", &rev_t, err);
    if (rc == TX_OK && rev_t)
        rc = has_column(s, "revenue_daily", "currency", &cur, err);
    if (rc != TX_OK || !rows_t)
        return rc;
    return tx_mdb_currency_days(s->conn, s->revenue_dirty || !rev_t || !cur, fn, ctx, err);
}

static int pln_read_txns(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err)
{
    int has = 0;
    int rc = has_table(s, "TransactionsOptimized", &has, err);
    return rc == TX_OK && has ? tx_mdb_read_txns(s, fn, ctx, err) : rc;
}

static int pln_read_months(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err)
{
    int has = 0;
    int rc = has_table(s, "TransactionsOptimized", &has, err);
    return rc == TX_OK && has ? tx_mdb_read_months(s, fn, ctx, err) : rc;
}

/* ---- the writes: dropped ---------------------------------------------------------------- */

static int pln_map_write(tx_store *s, int nshards, const int32_t *bound, const char *run_id,
                         tx_error *err)
{
    (void)s, (void)nshards, (void)bound, (void)run_id, (void)err;
    return TX_OK;
}

static int pln_begin(tx_store *s, const int *months, size_t nmonths, tx_error *err)
{
    (void)s, (void)months, (void)nmonths, (void)err;
    return TX_OK;
}

static int pln_rows_load(tx_store *s, int loader, tx_buf *rows, uint64_t n, tx_error *err)
{
    (void)s, (void)loader, (void)n, (void)err;
    tx_buf_free(rows); /* takes the text, as the MariaDB back end does */
    return TX_OK;
}

static int pln_load(tx_store *s, tx_buf *text, uint64_t n, tx_error *err)
{
    (void)s, (void)n, (void)err;
    tx_buf_free(text);
    return TX_OK;
}

static int pln_done(tx_store *s, tx_error *err)
{
    (void)s, (void)err;
    return TX_OK;
}

static int pln_runs_row(tx_store *s, const tx_store_run *run, tx_error *err)
{
    (void)s, (void)run, (void)err;
    return TX_OK;
}

static int pln_identity_write(tx_store *s, const char *cluster_id, int count, const char *run_id,
                              tx_error *err)
{
    (void)s, (void)cluster_id, (void)count, (void)run_id, (void)err;
    return TX_OK;
}

const tx_store_ops tx_store_plan = {
    .name = "plan",
    .open = pln_open,
    .close = pln_close,
    .run_lock = tx_mdb_run_lock,
    .prepare = pln_prepare,
    .map_read = pln_map_read,
    .map_write = pln_map_write,
    .begin = pln_begin,
    .dir_lookup = tx_mdb_dir_lookup,
    .rows_load = pln_rows_load,
    .rows_remove = pln_load,
    .dir_load = pln_load,
    .audit_load = pln_load,
    .finish = pln_done,
    .dir_commit = pln_done,
    .runs_row = pln_runs_row,
    .read_txns = pln_read_txns,
    .read_months = pln_read_months,
    .status = tx_mdb_status,
    .inspect = tx_mdb_inspect,
    .schema_check = tx_mdb_schema_check,
    .identity_write = pln_identity_write,
    .revenue_read = pln_revenue_read,
    /* the journal read (an unfinished run refuses the plan: load_recover.c), never written */
    .journal_pending = tx_mdb_journal_pending,
    .journal_state = tx_mdb_journal_state,
};
