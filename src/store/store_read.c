/* store_read.c - the MariaDB back end's run journal row and its reads: etl_runs, the stored
 * transactions (and customer-days) streamed to the reduce, `txetl status`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "txetl/alloc.h"

int tx_mdb_runs_row(tx_store *s, const tx_store_run *r, tx_error *err)
{
    const tx_run_counts *c = r->counts;
    char files[4096] = "";
    size_t fl = 0;
    for (int i = 0; i < r->nfiles && fl + 2 < sizeof files; i++)
        fl += (size_t)snprintf(files + fl, sizeof files - fl, "%s%s", i ? "\n" : "", r->files[i]);
    if (fl >= sizeof files)
        fl = sizeof files - 1;
    char efiles[2 * sizeof files + 1], emsg[2 * 1024 + 1];
    tx_conn_escape(s->conn, efiles, files, fl);
    const char *message = r->message, *finished = r->finished;
    size_t ml = message ? strlen(message) : 0;
    if (ml > 1024)
        ml = 1024;
    tx_conn_escape(s->conn, emsg, message ? message : "", ml);
    return tx_conn_execf(
        s->conn, err,
        "INSERT INTO etl_runs (run_id, started_at, finished_at, status, ranks, shards, "
        "input_files, rows_read, rows_rejected, rows_inserted, rows_updated, rows_moved, "
        "rows_deleted, rows_stale, rows_superseded, message) VALUES ('%s', '%s', "
        "%s%s%s, '%s', %d, %d, '%s', %llu, %llu, %llu, %llu, %llu, %llu, %llu, %llu, %s%s%s) "
        "ON DUPLICATE KEY UPDATE finished_at = %s%s%s, status = '%s', rows_read = %llu, "
        "rows_rejected = %llu, rows_inserted = %llu, rows_updated = %llu, rows_moved = %llu, "
        "rows_deleted = %llu, rows_stale = %llu, rows_superseded = %llu, message = %s%s%s",
        r->run_id, r->started, finished ? "'" : "", finished ? finished : "NULL",
        finished ? "'" : "", r->status, r->ranks, r->shards, efiles,
        (unsigned long long)c->read, (unsigned long long)c->rejected,
        (unsigned long long)c->inserted, (unsigned long long)c->updated,
        (unsigned long long)c->moved, (unsigned long long)c->deleted,
        (unsigned long long)c->stale, (unsigned long long)c->superseded, message ? "'" : "",
        message ? emsg : "NULL", message ? "'" : "", finished ? "'" : "",
        finished ? finished : "NULL", finished ? "'" : "", r->status,
        (unsigned long long)c->read, (unsigned long long)c->rejected,
        (unsigned long long)c->inserted, (unsigned long long)c->updated,
        (unsigned long long)c->moved, (unsigned long long)c->deleted,
        (unsigned long long)c->stale, (unsigned long long)c->superseded, message ? "'" : "",
        message ? emsg : "NULL", message ? "'" : "");
}

typedef struct txn_ctx {
    tx_store_txn_fn fn;
    void *ctx;
} txn_ctx;

static int txn_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n;
    txn_ctx *t = ctx;
    if (len[3] != 3)
        return tx_error_set(err, TX_ERR, "TransactionsOptimized: customer %s has a transaction "
                            "with currency '%.8s' (not three letters)", v[0], v[3]);
    const uint32_t cur = (uint32_t)(unsigned char)v[3][0] << 16 |
                         (uint32_t)(unsigned char)v[3][1] << 8 | (unsigned char)v[3][2];
    return t->fn(t->ctx, strtoull(v[0], NULL, 10), strtoll(v[1], NULL, 10), (int32_t)atol(v[2]),
                 cur, err);
}

int tx_mdb_read_txns(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err)
{
    txn_ctx t = {fn, ctx};
    const tx_conn_reader rd = {.stream = 1, .what = "transactions", .row = txn_row, .ctx = &t};
    return tx_conn_query_rows(s->conn, "SELECT customer_id, CAST(transaction_amount * 100 AS "
                                       "SIGNED), DATEDIFF(transaction_date, '1970-01-01'), "
                                       "currency FROM TransactionsOptimized", &rd, err);
}

/* The partition names of TransactionsOptimized in range order, for the month reads. */
typedef struct part_list {
    char (*name)[65];
    size_t n, cap;
} part_list;

static int part_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n;
    part_list *l = ctx;
    if (!v[0])
        return TX_OK;
    /* an identifier from the server: only [A-Za-z0-9_] goes into a statement */
    if (len[0] == 0 || len[0] > 64 || strspn(v[0], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
                                                   "RSTUVWXYZ0123456789_") != len[0])
        return tx_error_set(err, TX_ERR, "TransactionsOptimized has a partition named '%.64s'",
                            v[0]);
    if (tx_grow(&l->name, &l->cap, l->n, sizeof *l->name, 64) != 0)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    memcpy(l->name[l->n++], v[0], len[0] + 1);
    return TX_OK;
}

int tx_mdb_read_months(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err)
{
    part_list l = {0};
    const tx_conn_reader lr = {.row = part_row, .ctx = &l};
    int rc = tx_conn_query_rows(s->conn,
                                "SELECT PARTITION_NAME FROM information_schema.PARTITIONS WHERE "
                                "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                                "'TransactionsOptimized' ORDER BY PARTITION_ORDINAL_POSITION",
                                &lr, err);
    txn_ctx t = {fn, ctx};
    const tx_conn_reader rd = {.stream = 1, .what = "transactions", .row = txn_row, .ctx = &t};
    for (size_t i = 0; i < l.n && rc == TX_OK; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT customer_id, CAST(transaction_amount * 100 AS SIGNED), "
                 "DATEDIFF(transaction_date, '1970-01-01'), currency FROM TransactionsOptimized "
                 "PARTITION (%s)",
                 l.name[i]);
        rc = tx_conn_query_rows(s->conn, sql, &rd, err);
    }
    free(l.name);
    return rc;
}

int tx_store_read_months(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err)
{
    return s->ops->read_months(s, fn, ctx, err);
}

/* ---- txetl status ----------------------------------------------------------------------- */

static int print_head(void *ctx, unsigned n, char **names, tx_error *err)
{
    (void)err;
    FILE *out = ctx;
    fputs("   ", out);
    for (unsigned i = 0; i < n; i++)
        fprintf(out, " %s", names[i]);
    fputc('\n', out);
    return TX_OK;
}

static int print_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)len, (void)err;
    FILE *out = ctx;
    fputs("   ", out);
    for (unsigned i = 0; i < n; i++)
        fprintf(out, " %s", v[i] ? v[i] : "NULL");
    fputc('\n', out);
    return TX_OK;
}

/* Prints a titled result table; a failed query prints its message instead. */
static void print_query(tx_conn *c, const char *title, const char *sql, FILE *out)
{
    tx_error err = {0};
    /* the title goes out once the query has run: buffered here until then */
    char *text = NULL;
    size_t tlen = 0;
    FILE *mem = open_memstream(&text, &tlen);
    int rc = TX_ENOMEM;
    if (mem) {
        const tx_conn_reader rd = {.head = print_head, .row = print_row, .ctx = mem};
        rc = tx_conn_query_rows(c, sql, &rd, &err);
        fclose(mem);
    }
    if (rc != TX_OK)
        fprintf(out, "  %s: %s\n", title, mem ? err.msg : "out of memory");
    else
        fprintf(out, "  %s:\n%s", title, text);
    free(text);
}

int tx_mdb_status(tx_store *s, FILE *out, tx_error *err)
{
    (void)err;
    tx_conn *c = s->conn;
    uint64_t rows = 0, dir = 0, tomb = 0, parts = 0;
    int null;
    tx_error e = {0};
    tx_conn_query_u64(c, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                         "DATABASE() AND TABLE_NAME = 'TransactionsOptimized'", &rows, &null, &e);
    if (rows == 0) {
        fprintf(out, "shard %d: reachable, database %s, no txetl schema yet\n", s->index,
                tx_conn_database(c));
        return TX_OK;
    }
    tx_conn_query_u64(c, "SELECT COUNT(*) FROM TransactionsOptimized", &rows, &null, &e);
    tx_conn_query_u64(c, "SELECT COALESCE(SUM(entries), 0) FROM txn_directory", &dir, &null, &e);
    tx_conn_query_u64(c, "SELECT COALESCE(SUM(tombstones), 0) FROM txn_directory", &tomb, &null,
                      &e);
    tx_conn_query_u64(c, "SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE "
                         "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                         "'TransactionsOptimized' AND PARTITION_NAME LIKE 'p%'", &parts, &null,
                      &e);
    fprintf(out, "shard %d: reachable, database %s, %llu rows in %llu month partitions, "
                 "%llu directory entries (%llu tombstones)\n",
            s->index, tx_conn_database(c), (unsigned long long)rows, (unsigned long long)parts,
            (unsigned long long)dir, (unsigned long long)tomb);
    print_query(c, "boundaries", "SELECT shard_index, lower_date, upper_date FROM shard_map "
                                 "ORDER BY shard_index", out);
    print_query(c, "months", "SELECT MIN(transaction_date) AS first_date, "
                             "MAX(transaction_date) AS last_date FROM TransactionsOptimized", out);
    print_query(c, "last runs",
                "SELECT run_id, status, started_at, finished_at, ranks, rows_read, "
                "rows_rejected, rows_inserted, rows_updated, rows_moved, rows_deleted, "
                "rows_stale, rows_superseded FROM etl_runs ORDER BY started_at DESC LIMIT 5",
                out);
    return TX_OK;
}
