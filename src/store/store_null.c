/* store_null.c - the null back end (store.h): connects to nothing and writes nothing; a shard
 * that is empty, has no shard map and no directory, takes every load (dropping its text) and
 * reads back no row. --dry-run runs on it; unit tests can. */
#include <stdint.h>
#include <stdio.h>

#include "store_internal.h"

static int nul_open(tx_store *s, tx_error *err)
{
    (void)s, (void)err;
    return TX_OK;
}

static void nul_close(tx_store *s)
{
    (void)s;
}

static int nul_run_lock(tx_store *s, tx_error *err)
{
    (void)s, (void)err;
    return TX_OK;
}

static int nul_prepare(tx_store *s, int dir_format, tx_store_state *st, tx_error *err)
{
    (void)s, (void)dir_format, (void)err;
    st->table_empty = 1;
    st->dir_empty = 1;
    return TX_OK;
}

static int nul_map_read(tx_store *s, tx_store_map_fn fn, void *ctx, tx_error *err)
{
    (void)s, (void)fn, (void)ctx, (void)err;
    return TX_OK;
}

int tx_nul_map_write(tx_store *s, int nshards, const int32_t *bound, const char *run_id,
                     tx_error *err)
{
    (void)s, (void)nshards, (void)bound, (void)run_id, (void)err;
    return TX_OK;
}

int tx_nul_begin(tx_store *s, const int *months, size_t nmonths, tx_error *err)
{
    (void)s, (void)months, (void)nmonths, (void)err;
    return TX_OK;
}

static int nul_dir_lookup(tx_store *s, const uint64_t *blocks, size_t n, tx_store_block_fn fn,
                          void *ctx, tx_error *err)
{
    (void)s, (void)blocks, (void)n, (void)fn, (void)ctx, (void)err;
    return TX_OK;
}

/* Every load takes its text, as the MariaDB back end does, and drops it. */
static int nul_take(tx_buf *b)
{
    tx_buf_free(b);
    return TX_OK;
}

int tx_nul_rows_load(tx_store *s, int loader, tx_buf *rows, uint64_t n, tx_error *err)
{
    (void)s, (void)loader, (void)n, (void)err;
    return nul_take(rows);
}

int tx_nul_load(tx_store *s, tx_buf *text, uint64_t n, tx_error *err)
{
    (void)s, (void)n, (void)err;
    return nul_take(text);
}

int tx_nul_done(tx_store *s, tx_error *err)
{
    (void)s, (void)err;
    return TX_OK;
}

int tx_nul_runs_row(tx_store *s, const tx_store_run *run, tx_error *err)
{
    (void)s, (void)run, (void)err;
    return TX_OK;
}

static int nul_read_txns(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err)
{
    (void)s, (void)fn, (void)ctx, (void)err;
    return TX_OK;
}

static int nul_read_months(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err)
{
    (void)s, (void)fn, (void)ctx, (void)err;
    return TX_OK;
}

static int nul_status(tx_store *s, FILE *out, tx_error *err)
{
    (void)err;
    fprintf(out, "shard %d: null store (nothing stored)\n", s->index);
    return TX_OK;
}

/* Every requirement met, no identity: a dry run checks nothing on a server. */
static int nul_inspect(tx_store *s, tx_store_facts *f, tx_error *err)
{
    (void)err;
    f->db_exists = 1;
    snprintf(f->where, sizeof f->where, "the null store");
    snprintf(f->database, sizeof f->database, "null");
    snprintf(f->key, sizeof f->key, "null|%d", s->index);
    snprintf(f->version, sizeof f->version, "10.11.0-MariaDB (null store)");
    f->local_infile = 1;
    f->max_allowed_packet = UINT64_MAX;
    return TX_OK;
}

static int nul_schema_check(tx_store *s, int mode, tx_error *err)
{
    (void)s, (void)mode, (void)err;
    return TX_OK;
}

int tx_nul_identity_write(tx_store *s, const char *cluster_id, int count, const char *run_id,
                          tx_error *err)
{
    (void)s, (void)cluster_id, (void)count, (void)run_id, (void)err;
    return TX_OK;
}

const tx_store_ops tx_store_null = {
    .name = "null",
    .open = nul_open,
    .close = nul_close,
    .run_lock = nul_run_lock,
    .prepare = nul_prepare,
    .map_read = nul_map_read,
    .dir_lookup = nul_dir_lookup,
    .read_txns = nul_read_txns,
    .read_months = nul_read_months,
    .status = nul_status,
    .inspect = nul_inspect,
    .schema_check = nul_schema_check,
    TX_STORE_NULL_WRITES,
};
