/* store_null.c - the null back end (store.h): connects to nothing and writes nothing; a shard
 * that is empty, has no shard map and no directory, takes every load (dropping its text) and
 * reads back no row. --dry-run runs on it; unit tests can. Every operation it leaves out does
 * nothing and succeeds (store.c). */
#include <stdint.h>
#include <stdio.h>

#include "store_internal.h"

static int nul_prepare(tx_store *s, int dir_format, tx_store_state *st, tx_error *err)
{
    (void)s, (void)dir_format, (void)err;
    st->table_empty = 1;
    st->dir_empty = 1;
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

const tx_store_ops tx_store_null = {
    .name = "null",
    .prepare = nul_prepare,
    .read_months = nul_read_months, /* tx_store_read_months calls it unchecked */
    .status = nul_status,
    .inspect = nul_inspect,
};
