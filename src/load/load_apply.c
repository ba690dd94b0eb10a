/* load_apply.c - the load's side of the store: what each phase hands the store of every shard
 * this rank owns (txetl/store.h speaks the SQL). What makes a failed run complete or never
 * started is the order: every shard stages all of its part and marks the run staged in its
 * journal (tx_apply_finish, tx_apply_stage_mark) before any shard applies (tx_apply_directory,
 * one transaction per shard). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_internal.h"
#include "txetl/log.h"
#include "txetl/interrupt.h"
#include "txetl/testhook.h"

int tx_apply_prepare(tx_job *j, tx_error *err)
{
    for (int s = 0; s < j->nshards; s++) {
        tx_store *st = j->mine[s];
        if (!st)
            continue;
        /* The run lock: held by this store until it closes (also when txetl dies). */
        int rc = tx_store_run_lock(st, err);
        tx_store_state state;
        if (rc == TX_OK)
            rc = tx_store_prepare(st, TX_DIR_FORMAT, &state, err);
        if (rc != TX_OK)
            return rc;
        tx_home *h = &j->homes[s];
        memcpy(h->months, state.months, sizeof h->months);
        h->dir_empty = state.dir_empty;
    }
    return TX_OK;
}

int tx_apply_begin(tx_job *j, const uint64_t *hist, tx_error *err)
{
    for (int s = 0; s < j->nshards; s++) {
        tx_store *st = j->mine[s];
        if (!st)
            continue;
        tx_home *h = &j->homes[s];
        /* the months of this run's dates that this shard owns, without a partition yet */
        int need[TX_NMONTHS];
        size_t nneed = 0;
        int lo = j->bound[s] < 0 ? 0 : j->bound[s];
        int hi = j->bound[s + 1] > TX_NDAYS ? TX_NDAYS : j->bound[s + 1];
        for (int d = lo; d < hi; d++) {
            if (!hist[d])
                continue;
            int y, m, dd;
            tx_civil_from_days(d, &y, &m, &dd);
            int idx = (y - 1970) * 12 + m - 1;
            if (!h->months[idx]) {
                h->months[idx] = 1;
                need[nneed++] = y * 100 + m;
            }
        }
        int rc = tx_store_begin(st, need, nneed, err);
        j->journal = 1;
        if (rc == TX_OK) /* before the first row: a failure from here on is resolved later */
            rc = tx_store_journal_mark(st, j->run_id, TX_JOURNAL_OPEN, err);
        if (rc != TX_OK)
            return rc;
    }
    return TX_OK;
}

static int cmp_block(const void *pa, const void *pb)
{
    const tx_dir_block *a = pa, *b = pb;
    return a->block < b->block ? -1 : a->block > b->block;
}

/* Where tx_apply_lookup's blocks go as the store hands them over. */
typedef struct lookup_ctx {
    int shard;
    tx_dir_block *out;
    size_t n, max;
} lookup_ctx;

static int take_block(void *ctx, uint64_t block, const char *data, size_t len, tx_error *err)
{
    lookup_ctx *lc = ctx;
    if (lc->n == lc->max || tx_parse_dir_block(block, data, len, &lc->out[lc->n]) != 0)
        return tx_error_set(err, TX_ERR, "shard %d: txn_directory block %llu is malformed",
                            lc->shard, (unsigned long long)block);
    lc->n++;
    return TX_OK;
}

int tx_apply_lookup(tx_job *j, int shard, const uint64_t *ids, size_t n, tx_dir_block **out,
                    size_t *nout, size_t *cap, tx_error *err)
{
    *nout = 0;
    if (n == 0 || j->homes[shard].dir_empty)
        return TX_OK;
    uint64_t *blocks = malloc(n * sizeof *blocks);
    if (!blocks)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    size_t nblocks = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t blk = ids[i] / TX_DIR_BLOCK; /* ids are sorted: each block once */
        if (i == 0 || blk != ids[i - 1] / TX_DIR_BLOCK)
            blocks[nblocks++] = blk;
    }
    if (nblocks > *cap) {
        tx_dir_block *nb = realloc(*out, nblocks * sizeof *nb);
        if (!nb) {
            free(blocks);
            return tx_error_set(err, TX_ENOMEM, "out of memory");
        }
        *out = nb;
        *cap = nblocks;
    }
    lookup_ctx lc = {shard, *out, 0, nblocks};
    int rc = tx_store_dir_lookup(j->mine[shard], blocks, nblocks, take_block, &lc, err);
    free(blocks);
    *nout = lc.n;
    if (rc == TX_OK)
        qsort(*out, *nout, sizeof **out, cmp_block);
    return rc;
}

int tx_apply_rows(tx_job *j, int s, tx_error *err)
{
    tx_home *h = &j->homes[s];
    int rc = TX_OK;
    for (int k = 0; k < TX_ROW_LOADERS && rc == TX_OK; k++) {
        if (h->nrows[k])
            rc = tx_store_rows_load(j->mine[s], k, &h->rows[k], h->nrows[k], err);
        h->nrows[k] = 0;
    }
    if (rc == TX_OK && h->nremoves)
        rc = tx_store_rows_remove(j->mine[s], &h->removes, h->nremoves, err);
    h->nremoves = 0;
    return rc;
}

int tx_apply_dir_rows(tx_job *j, int s, int all, tx_error *err)
{
    tx_home *h = &j->homes[s];
    int rc = TX_OK;
    if (h->ndir && (all || h->dir.len >= TX_DIR_CHUNK)) {
        rc = tx_store_dir_load(j->mine[s], &h->dir, h->ndir, err);
        h->ndir = 0;
    }
    if (rc == TX_OK && h->naudit && (all || h->audit.len >= TX_DIR_CHUNK)) {
        rc = tx_store_audit_load(j->mine[s], &h->audit, h->naudit, err);
        h->naudit = 0;
    }
    return rc;
}

int tx_apply_finish(tx_job *j, tx_error *err)
{
    for (int s = 0; s < j->nshards; s++) {
        if (!j->mine[s])
            continue;
        int rc = tx_apply_dir_rows(j, s, 1, err);
        if (rc == TX_OK)
            rc = tx_store_finish(j->mine[s], err);
        if (rc != TX_OK)
            return rc;
    }
    return TX_OK;
}

int tx_apply_stage_mark(tx_job *j, tx_error *err)
{
    for (int s = 0; s < j->nshards; s++) {
        if (!j->mine[s])
            continue;
        int rc = tx_store_journal_mark(j->mine[s], j->run_id, TX_JOURNAL_STAGED, err);
        if (rc != TX_OK)
            return rc;
    }
    return TX_OK;
}

int tx_apply_directory(tx_job *j, tx_error *err)
{
    int first = 1;
    for (int s = 0; s < j->nshards; s++) {
        if (!j->mine[s])
            continue;
        if (first)
            tx_test_hook("load.apply", j->rank);
        if (tx_interrupted()) /* a signal stops before the next shard applies */
            return tx_error_set(err, TX_ERR, "interrupted by %s",
                                tx_interrupt_name(tx_interrupted()));
        int rc = tx_store_apply(j->mine[s], j->run_id, err);
        if (rc != TX_OK)
            return rc;
        if (first)
            tx_test_hook("load.apply_one", j->rank);
        first = 0;
    }
    return TX_OK;
}

int tx_apply_runs_row(tx_job *j, const char *status, const char *finished, const char *message,
                      tx_error *err)
{
    /* A run that failed before every shard staged it is undone: its row keeps read and
     * rejected, and 0 in the applied columns (never figures of a run that did not happen). */
    tx_run_counts counts = j->sum.counts;
    if (!strcmp(status, "failed") && !j->committed)
        counts.inserted = counts.updated = counts.moved = counts.deleted = counts.stale =
            counts.superseded = 0;
    const tx_store_run run = {
        .run_id = j->run_id,
        .started = j->started_utc,
        .finished = finished,
        .status = status,
        .message = message,
        .ranks = j->nranks,
        .shards = j->nshards,
        .files = j->o->files,
        .nfiles = j->o->nfiles,
        .counts = &counts,
    };
    int rc = TX_OK;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++)
        if (j->mine[s])
            rc = tx_store_runs_row(j->mine[s], &run, err);
    return rc;
}
