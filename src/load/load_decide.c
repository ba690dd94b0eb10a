/* load_decide.c - phase 2, decide and apply: this rank's sorted versions, a block of whole
 * transactions of one directory shard at a time, one directory look-up per block; docs/load.md
 * (txetl/versions.h) decides each transaction against its stored entry, and the outcome becomes
 * a row message for the shard of its date, a removal message for the shard of the old date,
 * the new directory entry and the audit row (both kept per shard for the commit, phase 4).
 * The sink hands each round's rows and removals to the owned shards' stores.
 *
 * The code from decide_src to rows_sink is load.c's as it was, but for the phase number in two
 * comments and wip-partial's change rows with fewer columns (decide_opts, the audit row's
 * payment_method and currency). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_internal.h"
#include "txetl/alloc.h"
#include "txetl/cmp.h"
#include "txetl/mpiutil.h"

/* Phase 2 source: the sorted versions in blocks of whole transactions of one directory shard;
 * one directory look-up per block; decisions become row and removal messages for the shards
 * of the dates, and directory and audit rows kept for the commit. */
#define BLOCK_IDS 2048

typedef struct decide_src {
    tx_sorter *sorter;
    uint64_t decided; /* versions taken from the sorter */
    double last;
    tx_record *blk;
    size_t blk_n, blk_cap;
    uint64_t ids[BLOCK_IDS];
    size_t start[BLOCK_IDS + 1];
    tx_stored st[BLOCK_IDS];
    tx_dir_block *fetched; /* directory blocks of the current look-up, sorted */
    size_t nfetched, fetched_cap;
    /* the directory block being decided: ids arrive sorted per directory shard, so a block is
     * written once, when the decisions move past it */
    tx_dir_block cur;
    int cur_shard, cur_open, cur_dirty;
    tx_versions_outcome outcome; /* the decision of the current transaction */
    tx_versions_opts opts;       /* --audit-inserts, the optional columns of each input file */
    unsigned *file_cols;         /* [nfiles], for opts */
    tx_run_counts counts;        /* read here counts the versions decided (unused) */
} decide_src;

static int put_text(tx_buf *b, const char *s, size_t len)
{
    return tx_tsv_text(b, s, len);
}

/* Room for `extra` more bytes; an empty payload buffer starts at the size it is handed over at
 * (a chunk and some), so filling it never copies it through a chain of reallocs. */
static int payload_room(tx_buf *b, size_t extra)
{
    if (b->cap == 0 && extra < TX_DIR_CHUNK + (1u << 20))
        extra = TX_DIR_CHUNK + (1u << 20);
    return tx_buf_reserve(b, extra);
}

/* Writes the current directory block (when a decision changed it) and closes it. */
static int dir_flush(tx_job *j, decide_src *ds, tx_error *err)
{
    if (!ds->cur_open)
        return TX_OK;
    ds->cur_open = 0;
    if (!ds->cur_dirty)
        return TX_OK;
    tx_home *h = &j->homes[ds->cur_shard];
    if (payload_room(&h->dir, 0) != TX_OK || tx_fmt_dir_block(&h->dir, &ds->cur) != TX_OK)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    h->ndir++;
    return tx_apply_dir_rows(j, ds->cur_shard, 0, err);
}

/* The directory's blocks (TX_DIR_BLOCK ids per row, encoded by load_format.c) stay here rather
 * than in src/versions: they are how the directory is stored and batched for its look-ups and
 * writes, not a rule of docs/load.md. The decision module takes one id's stored state and hands back its
 * new entry (tx_versions_outcome.entry); dir_enter and dir_set only find and replace that entry
 * in the current block, so the module never sees the storage layout and the layout can change
 * (block size, encoding) without touching the rules or their tests. */

/* Makes the block of `id` (directory shard `shard`) current and gives id's stored version. */
static int dir_enter(tx_job *j, decide_src *ds, int shard, uint64_t id, tx_stored *st,
                     tx_error *err)
{
    uint64_t blk = id / TX_DIR_BLOCK;
    if (!ds->cur_open || ds->cur_shard != shard || ds->cur.block != blk) {
        int rc = dir_flush(j, ds, err);
        if (rc != TX_OK)
            return rc;
        size_t lo = tx_lower_bound_u64(ds->fetched, ds->nfetched, sizeof *ds->fetched,
                                       offsetof(tx_dir_block, block), blk);
        if (lo < ds->nfetched && ds->fetched[lo].block == blk) {
            ds->cur = ds->fetched[lo];
        } else {
            ds->cur.block = blk;
            ds->cur.n = 0;
        }
        ds->cur_shard = shard;
        ds->cur_open = 1;
        ds->cur_dirty = 0;
    }
    for (int i = 0; i < ds->cur.n; i++)
        if (ds->cur.id[i] == id) {
            *st = ds->cur.st[i];
            return TX_OK;
        }
    memset(st, 0, sizeof *st);
    return TX_OK;
}

/* `e` becomes id's entry in the current block (the block of id: dir_enter made it current). */
static void dir_set(decide_src *ds, uint64_t id, const tx_stored *e)
{
    tx_dir_block *b = &ds->cur;
    int i = 0;
    while (i < b->n && b->id[i] < id)
        i++;
    if (i == b->n || b->id[i] != id) { /* a new entry, kept in id order */
        memmove(&b->id[i + 1], &b->id[i], (size_t)(b->n - i) * sizeof b->id[0]);
        memmove(&b->st[i + 1], &b->st[i], (size_t)(b->n - i) * sizeof b->st[0]);
        b->n++;
        b->id[i] = id;
    }
    b->st[i] = *e;
    ds->cur_dirty = 1;
}

/* A tab and then the text, or \N when !have. */
static void put_opt_text(tx_buf *b, int have, const char *s, size_t len)
{
    b->p[b->len++] = '\t';
    if (have)
        put_text(b, s, len);
    else
        b->len += (size_t)snprintf(b->p + b->len, 3, "\\N");
}

/* The audit_log row the outcome calls for: old_* from the stored state, new_* from the new
 * directory entry, NULL where the outcome says there is none (docs/shards.md). */
static int audit_row(tx_job *j, int shard, const tx_versions_outcome *vo, tx_error *err)
{
    tx_home *h = &j->homes[shard];
    tx_buf *b = &h->audit;
    if (payload_room(b, 512 + 4 * (TX_CATEGORY_MAX + TX_PAYMENT_MAX)) != TX_OK)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    const tx_stored *st = &vo->old, *nw = &vo->entry;
    int old = vo->audit_old, neu = vo->audit_new;
    const char *action = tx_versions_action_name(vo->action);
    char *o = b->p + b->len;
    size_t rl = strlen(j->run_id);
    memcpy(o, j->run_id, rl);
    o += rl;
    *o++ = '\t';
    o += tx_fmt_u64(o, vo->transaction_id);
    *o++ = '\t';
    size_t al = strlen(action);
    memcpy(o, action, al);
    o += al;
#define NUL_OR(cond, expr)                                                                         \
    do {                                                                                           \
        *o++ = '\t';                                                                               \
        if (cond) {                                                                                \
            expr;                                                                                  \
        } else {                                                                                   \
            *o++ = '\\';                                                                           \
            *o++ = 'N';                                                                            \
        }                                                                                          \
    } while (0)
    NUL_OR(old, o += tx_fmt_date(o, st->date));
    NUL_OR(neu, o += tx_fmt_date(o, nw->date));
    NUL_OR(old, o += tx_fmt_cents(o, st->amount_cents));
    NUL_OR(neu, o += tx_fmt_cents(o, nw->amount_cents));
    b->len = (size_t)(o - b->p);
    put_opt_text(b, old, st->category, st->category_len);
    put_opt_text(b, neu, nw->category, nw->category_len);
    put_opt_text(b, old, st->payment, st->payment_len);
    put_opt_text(b, neu, nw->payment, nw->payment_len);
    put_opt_text(b, old, st->currency, sizeof st->currency);
    put_opt_text(b, neu, nw->currency, sizeof nw->currency);
    o = b->p + b->len;
    NUL_OR(old, o += tx_fmt_timestamp(o, st->last_updated_us));
    *o++ = '\t';
    o += tx_fmt_timestamp(o, nw->last_updated_us);
    *o++ = '\n';
#undef NUL_OR
    b->len = (size_t)(o - b->p);
    h->naudit++;
    return tx_apply_dir_rows(j, shard, 0, err);
}

/* The decisions' options: --audit-inserts and, per input file, the optional columns its header
 * has (every rank has every header), so absent ones keep their stored values (docs/input.md). */
static void decide_opts(tx_job *j, const tx_input *in, decide_src *ds)
{
    size_t nf = (size_t)tx_input_nfiles(in);
    ds->file_cols = TX_XMALLOC((nf ? nf : 1) * sizeof *ds->file_cols);
    for (size_t f = 0; f < nf; f++)
        ds->file_cols[f] = tx_versions_header_cols(tx_input_header(in, (int)f));
    ds->opts = (tx_versions_opts){.audit_inserts = j->o->audit_inserts,
                                  .file_cols = ds->file_cols, .nfiles = nf};
}

/* Decides one transaction (docs/load.md, src/versions): versions v[0..k) best first, stored version
 * st; then carries the outcome out: the row to the shard of its date, the removal of the old
 * copy to the shard of the old date, the new directory entry, the audit row. */
static int decide_one(tx_job *j, decide_src *ds, int shard, const tx_record *v, size_t k,
                      const tx_stored *st, tx_outbox *ob, tx_error *err)
{
    tx_versions_outcome *vo = &ds->outcome;
    int rc = tx_versions_decide(&ds->opts, st, v, k, vo, err);
    if (rc != TX_OK)
        return rc;
    tx_versions_tally(&ds->counts, vo);
    tx_plan_tally(j, vo, &v[0]); /* per shard, and the examples (load_plan.c) */
    if (vo->write_row) {
        int home = tx_job_shard_of_date(j, vo->row.date);
        rc = send_packed(ob, tx_job_owner(j, home), home, MSG_APPLY, &vo->row, err);
    }
    if (rc == TX_OK && vo->remove_old) {
        tx_record gone; /* what the old home needs: the key of the copy to remove */
        memset(&gone, 0, sizeof gone);
        gone.transaction_id = vo->transaction_id;
        gone.date = vo->old.date;
        int home = tx_job_shard_of_date(j, vo->old.date);
        rc = send_packed(ob, tx_job_owner(j, home), home, MSG_REMOVE, &gone, err);
    }
    if (rc == TX_OK && vo->entry_changed)
        dir_set(ds, vo->transaction_id, &vo->entry);
    if (rc == TX_OK && vo->audit)
        rc = audit_row(j, shard, vo, err);
    return rc;
}

static int decide_source(tx_job *j, void *vctx, tx_outbox *ob, int *more, tx_error *err)
{
    decide_src *ds = vctx;
    *more = 0;
    while (tx_outbox_bytes(ob) < TX_ROUND_BYTES) {
        /* a block: up to BLOCK_IDS whole transactions of one directory shard */
        size_t ng = 0;
        int shard = -1, ps;
        const tx_record *peek;
        ds->blk_n = 0;
        for (;;) {
            int got = tx_sorter_peek(ds->sorter, &ps, &peek, err);
            if (got < 0)
                return got;
            if (got == 0 || (shard >= 0 && ps != shard))
                break;
            int new_id = ng == 0 || peek->transaction_id != ds->ids[ng - 1];
            if (new_id && ng == BLOCK_IDS)
                break;
            if (ds->blk_n == ds->blk_cap) {
                size_t nc = ds->blk_cap ? 2 * ds->blk_cap : 4 * BLOCK_IDS;
                tx_record *nb = realloc(ds->blk, nc * sizeof *nb);
                if (!nb)
                    return tx_error_set(err, TX_ENOMEM, "out of memory");
                ds->blk = nb;
                ds->blk_cap = nc;
            }
            if (new_id) {
                ds->ids[ng] = peek->transaction_id;
                ds->start[ng++] = ds->blk_n;
            }
            shard = ps;
            if (tx_sorter_next(ds->sorter, &ps, &ds->blk[ds->blk_n++], err) < 0)
                return TX_ERR;
        }
        if (ng == 0)
            return dir_flush(j, ds, err); /* all decided */
        ds->start[ng] = ds->blk_n;
        ds->decided += ds->blk_n;
        int rc = tx_apply_lookup(j, shard, ds->ids, ng, &ds->fetched, &ds->nfetched,
                                 &ds->fetched_cap, err);
        for (size_t g = 0; g < ng && rc == TX_OK; g++) {
            rc = dir_enter(j, ds, shard, ds->ids[g], &ds->st[g], err);
            if (rc == TX_OK)
                rc = decide_one(j, ds, shard, &ds->blk[ds->start[g]],
                                ds->start[g + 1] - ds->start[g], &ds->st[g], ob, err);
        }
        if (rc != TX_OK)
            return rc;
    }
    progress(j, "apply", ds->decided, tx_sorter_count(ds->sorter),
             ds->decided * (uint64_t)j->nranks, &ds->last);
    *more = 1;
    return TX_OK;
}

/* Phase 2 sink: rows and removals into the owned shards, one LOAD DATA each per round. */
static int rows_sink(tx_job *j, void *ctx, const char *m, size_t bytes, tx_error *err)
{
    (void)ctx;
    tx_record rec;
    const tx_record *r = &rec;
    for (size_t at = 0, size; at < bytes; at += size) {
        int shard, tag;
        int rc = next_msg(m + at, bytes - at, &size, err);
        if (rc != TX_OK)
            return rc;
        tx_unpack(m + at, &shard, &tag, &rec);
        if (shard < 0 || shard >= j->nshards || !j->mine[shard] ||
            (tag != MSG_APPLY && tag != MSG_REMOVE))
            return tx_error_set(err, TX_ERR, "a message for shard %d (tag %d) reached rank %d",
                                shard, tag, j->rank);
        tx_home *h = &j->homes[shard];
        if (tag == MSG_APPLY)
            j->shard_rows[shard]++;
        else
            j->shard_removed[shard]++;
        if (tag == MSG_APPLY) {
            int y, mo, d;
            tx_civil_from_days(r->date, &y, &mo, &d);
            int k = (y * 12 + mo) % TX_ROW_LOADERS; /* alternate months: disjoint partitions */
            if (payload_room(&h->rows[k], 0) != TX_OK || tx_fmt_row(&h->rows[k], r) != TX_OK)
                return tx_error_set(err, TX_ENOMEM, "out of memory");
            h->nrows[k]++;
        } else {
            tx_buf *b = &h->removes;
            if (tx_buf_reserve(b, 40) != TX_OK)
                return tx_error_set(err, TX_ENOMEM, "out of memory");
            b->len += (size_t)tx_fmt_u64(b->p + b->len, r->transaction_id);
            b->p[b->len++] = '\t';
            b->len += (size_t)tx_fmt_date(b->p + b->len, r->date);
            b->p[b->len++] = '\n';
            h->nremoves++;
        }
    }
    int rc = TX_OK;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++)
        if (j->mine[s])
            rc = tx_apply_rows(j, s, err);
    return rc;
}

int tx_decide_phase(tx_job *j, const tx_input *in, tx_sorter **sorter, const uint64_t *hist,
                    tx_error *err)
{
    decide_src *ds = TX_XCALLOC(1, sizeof *ds);
    ds->sorter = *sorter;
    ds->last = MPI_Wtime();
    decide_opts(j, in, ds);
    int rc = tx_agree(j->comm, tx_apply_begin(j, hist, err), err);
    if (rc == TX_OK)
        rc = tx_routed_phase(j, decide_source, ds, rows_sink, NULL, err);
    tx_run_counts local = ds->counts;
    free(ds->blk);
    free(ds->fetched);
    free(ds->file_cols);
    free(ds);
    tx_sorter_free(sorter);
    if (rc != TX_OK)
        return rc;
    tx_summary_sum_counts(j->comm, &local);
    tx_run_counts *c = &j->sum.counts; /* read and rejected are the scan's */
    c->inserted = local.inserted, c->updated = local.updated;
    c->moved = local.moved, c->deleted = local.deleted;
    c->stale = local.stale, c->superseded = local.superseded;
    tx_summary_phase_done(&j->sum, TX_PHASE_DECIDE, "decided and applied rows");
    return TX_OK;
}
