/* store.c - a store handle and the dispatch of its operations to the back end's table
 * (store.h); the bulk-load payload buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static int store_open(const tx_store_ops *ops, const char *path, int index, int read_only,
                      tx_store **out, tx_error *err)
{
    *out = NULL;
    tx_store *s = calloc(1, sizeof *s);
    if (!s)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    s->ops = ops;
    s->index = index;
    s->read_only = read_only;
    snprintf(s->path, sizeof s->path, "%s", path);
    int rc = ops->open ? ops->open(s, err) : TX_OK;
    if (rc != TX_OK) {
        tx_store_close(&s);
        return rc;
    }
    *out = s;
    return TX_OK;
}

int tx_store_open(const tx_store_ops *ops, const char *path, int index, tx_store **out,
                  tx_error *err)
{
    return store_open(ops, path, index, 0, out, err);
}

int tx_store_open_read(const tx_store_ops *ops, const char *path, int index, tx_store **out,
                       tx_error *err)
{
    return store_open(ops, path, index, 1, out, err);
}

void tx_store_close(tx_store **sp)
{
    tx_store *s = *sp;
    if (!s)
        return;
    if (s->ops->close)
        s->ops->close(s);
    free(s);
    *sp = NULL;
}

int tx_store_index(const tx_store *s) { return s->index; }

int tx_store_run_lock(tx_store *s, tx_error *err)
{
    return s->ops->run_lock ? s->ops->run_lock(s, err) : TX_OK;
}

int tx_store_prepare(tx_store *s, int dir_format, tx_store_state *st, tx_error *err)
{
    memset(st, 0, sizeof *st);
    return s->ops->prepare(s, dir_format, st, err);
}

int tx_store_map_read(tx_store *s, tx_store_map_fn fn, void *ctx, tx_error *err)
{
    return s->ops->map_read ? s->ops->map_read(s, fn, ctx, err) : TX_OK;
}

int tx_store_map_write(tx_store *s, int nshards, const int32_t *bound, const char *run_id,
                       tx_error *err)
{
    return s->ops->map_write ? s->ops->map_write(s, nshards, bound, run_id, err) : TX_OK;
}

int tx_store_begin(tx_store *s, const int *months, size_t nmonths, tx_error *err)
{
    return s->ops->begin ? s->ops->begin(s, months, nmonths, err) : TX_OK;
}

int tx_store_dir_lookup(tx_store *s, const uint64_t *blocks, size_t n, tx_store_block_fn fn,
                        void *ctx, tx_error *err)
{
    return n == 0 || !s->ops->dir_lookup ? TX_OK : s->ops->dir_lookup(s, blocks, n, fn, ctx, err);
}

/* A load a back end does not have takes the text and drops it. */
static int dropped(tx_buf *text)
{
    tx_buf_free(text);
    return TX_OK;
}

int tx_store_rows_load(tx_store *s, int loader, tx_buf *rows, uint64_t n, tx_error *err)
{
    return s->ops->rows_load ? s->ops->rows_load(s, loader, rows, n, err) : dropped(rows);
}

int tx_store_rows_remove(tx_store *s, tx_buf *keys, uint64_t n, tx_error *err)
{
    return s->ops->rows_remove ? s->ops->rows_remove(s, keys, n, err) : dropped(keys);
}

int tx_store_dir_load(tx_store *s, tx_buf *blocks, uint64_t n, tx_error *err)
{
    return s->ops->dir_load ? s->ops->dir_load(s, blocks, n, err) : dropped(blocks);
}

int tx_store_audit_load(tx_store *s, tx_buf *rows, uint64_t n, tx_error *err)
{
    return s->ops->audit_load ? s->ops->audit_load(s, rows, n, err) : dropped(rows);
}

int tx_store_finish(tx_store *s, tx_error *err)
{
    return s->ops->finish ? s->ops->finish(s, err) : TX_OK;
}

int tx_store_dir_commit(tx_store *s, tx_error *err)
{
    return s->ops->dir_commit ? s->ops->dir_commit(s, err) : TX_OK;
}

int tx_store_revenue_read(tx_store *s, tx_store_revenue_fn fn, void *ctx, tx_error *err)
{
    return s->ops->revenue_read ? s->ops->revenue_read(s, fn, ctx, err) : TX_OK;
}

int tx_store_journal_mark(tx_store *s, const char *run_id, int state, tx_error *err)
{
    return s->ops->journal_mark ? s->ops->journal_mark(s, run_id, state, err) : TX_OK;
}

int tx_store_apply(tx_store *s, const char *run_id, tx_error *err)
{
    return s->ops->apply ? s->ops->apply(s, run_id, err) : TX_OK;
}

int tx_store_journal_pending(tx_store *s, char *run_id, size_t size, tx_error *err)
{
    if (size)
        run_id[0] = '\0';
    return s->ops->journal_pending ? s->ops->journal_pending(s, run_id, size, err) : TX_OK;
}

int tx_store_journal_state(tx_store *s, const char *run_id, tx_store_journal *out,
                           tx_error *err)
{
    memset(out, 0, sizeof *out);
    return s->ops->journal_state ? s->ops->journal_state(s, run_id, out, err) : TX_OK;
}

int tx_store_journal_resolve(tx_store *s, const char *run_id, int complete, const char *by,
                             tx_error *err)
{
    return s->ops->journal_resolve ? s->ops->journal_resolve(s, run_id, complete, by, err)
                                   : TX_OK;
}

int tx_store_runs_row(tx_store *s, const tx_store_run *run, tx_error *err)
{
    return s->ops->runs_row ? s->ops->runs_row(s, run, err) : TX_OK;
}

int tx_store_read_txns(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err)
{
    return s->ops->read_txns ? s->ops->read_txns(s, fn, ctx, err) : TX_OK;
}

int tx_store_status(tx_store *s, FILE *out, tx_error *err)
{
    return s->ops->status(s, out, err);
}

int tx_store_inspect(tx_store *s, tx_store_facts *f, tx_error *err)
{
    memset(f, 0, sizeof *f);
    int rc = s->ops->inspect(s, f, err);
    f->reached = rc == TX_OK;
    return rc;
}

int tx_store_schema_check(tx_store *s, int mode, tx_error *err)
{
    return s->ops->schema_check ? s->ops->schema_check(s, mode, err) : TX_OK;
}

int tx_store_identity_write(tx_store *s, const char *cluster_id, int count, const char *run_id,
                            tx_error *err)
{
    return s->ops->identity_write ? s->ops->identity_write(s, cluster_id, count, run_id, err)
                                  : TX_OK;
}

int tx_buf_reserve(tx_buf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return TX_OK;
    size_t nc = b->cap ? b->cap : 1 << 16;
    while (nc < b->len + extra)
        nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np)
        return TX_ENOMEM;
    b->p = np;
    b->cap = nc;
    return TX_OK;
}

void tx_buf_free(tx_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

int tx_tsv_text(tx_buf *b, const char *s, size_t len)
{
    if (tx_buf_reserve(b, 2 * len) != TX_OK)
        return TX_ENOMEM;
    char *o = b->p + b->len;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        switch (c) {
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        case '\0': *o++ = '\\'; *o++ = '0'; break;
        default: *o++ = c;
        }
    }
    b->len = (size_t)(o - b->p);
    return TX_OK;
}
