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

/* A load's prepare, reading only: the refusals it would make before writing (a directory of
 * another txetl's layout or format) and what the shard holds. Nothing abandoned is marked, no
 * index rebuilt, no format recorded: those are the real run's writes. */
static int pln_prepare(tx_store *s, int dir_format, tx_store_state *st, tx_error *err)
{
    tx_conn *c = s->conn;
    int rows_t = 0, dir_t = 0, state_t = 0, tomb = 1, rc;
    if ((rc = tx_conn_has_table(s->conn, "TransactionsOptimized", &rows_t, err)) != TX_OK ||
        (rc = tx_conn_has_table(s->conn, "txn_directory", &dir_t, err)) != TX_OK ||
        (rc = tx_conn_has_table(s->conn, "shard_state", &state_t, err)) != TX_OK)
        return rc;
    if (dir_t && (rc = has_column(s, "txn_directory", "tombstones", &tomb, err)) != TX_OK)
        return rc;
    if (!tomb)
        return tx_error_set(err, TX_EUSAGE, "shard %d: txn_directory has the layout of an "
                            "older txetl (a row per id, no block column): start from a "
                            "fresh database and reload the extracts", s->index);
    /* what the shard holds, read as a load reads it, of the tables there are */
    if ((rc = tx_mdb_state_read(s, rows_t, dir_t, state_t, st, err)) != TX_OK)
        return rc;
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
    return TX_OK;
}

static int pln_map_read(tx_store *s, tx_store_map_fn fn, void *ctx, tx_error *err)
{
    int has = 0;
    int rc = tx_conn_has_table(s->conn, "shard_map", &has, err);
    return rc == TX_OK && has ? tx_mdb_map_read(s, fn, ctx, err) : rc;
}

/* The stored currencies as a load would find them after its repairs: revenue_daily, or the
 * rows themselves when revenue_daily is dirty, missing or of the older layout (no currency). */
static int pln_revenue_read(tx_store *s, tx_store_revenue_fn fn, void *ctx, tx_error *err)
{
    int rows_t = 0, rev_t = 0, cur = 0;
    int rc = tx_conn_has_table(s->conn, "TransactionsOptimized", &rows_t, err);
    if (rc == TX_OK)
        rc = tx_conn_has_table(s->conn, "revenue_daily", &rev_t, err);
    if (rc == TX_OK && rev_t)
        rc = has_column(s, "revenue_daily", "currency", &cur, err);
    if (rc != TX_OK || !rows_t)
        return rc;
    return tx_mdb_currency_days(s->conn, s->revenue_dirty || !rev_t || !cur, fn, ctx, err);
}

static int pln_read_txns(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err)
{
    int has = 0;
    int rc = tx_conn_has_table(s->conn, "TransactionsOptimized", &has, err);
    return rc == TX_OK && has ? tx_mdb_read_txns(s, fn, ctx, err) : rc;
}

static int pln_read_months(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err)
{
    int has = 0;
    int rc = tx_conn_has_table(s->conn, "TransactionsOptimized", &has, err);
    return rc == TX_OK && has ? tx_mdb_read_months(s, fn, ctx, err) : rc;
}

/* No write: each is left out, so it does nothing (a load's text is dropped: store.c). */
const tx_store_ops tx_store_plan = {
    .name = "plan",
    .open = pln_open,
    .close = pln_close,
    .prepare = pln_prepare,
    .map_read = pln_map_read,
    .read_txns = pln_read_txns,
    .read_months = pln_read_months,
    .revenue_read = pln_revenue_read,
    /* connect, inspect, schema check, the run lock, directory look-ups and the journal read
     * (an unfinished run refuses the plan: load_recover.c) are the MariaDB back end's */
    TX_STORE_MDB_READS,
};
