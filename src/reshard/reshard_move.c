/* reshard_move.c - the moves of `txetl reshard` (reshard_internal.h). For each old shard s and
 * other shard t whose pair r->mover gives this rank, the rows of s whose date now belongs to t
 * go in chunks: read partition by partition (keyset on the primary key), LOAD DATA into t
 * (committed), deleted from s by primary key, or, for a month partition all of whose dates go
 * to t, emptied with TRUNCATE PARTITION after its last chunk. revenue_daily rows of the old
 * shards this rank owns go whole: a (date, currency) row is owned by its date's shard, so its
 * distinct-customer count stays exact. Directory blocks go where the hash of the block modulo
 * the new count puts them (their tombstones with them). Every step can be redone: a kill
 * between the copy and the delete (or the truncate) leaves the same row in both, and the rerun
 * copies it again (REPLACE, as t then holds some of those dates) and deletes it. */
#include <stdlib.h>
#include <string.h>

#include "reshard_internal.h"
#include "txetl/hash.h"
#include "txetl/interrupt.h"
#include "txetl/log.h"
#include "txetl/testhook.h"

/* Directory blocks hold 16 consecutive ids: block = transaction_id / 16 (docs/shards.md). */
static int dir_home(uint64_t block, int m)
{
    return (int)(tx_hash_u64(block) % (uint64_t)m);
}

/* The rows of partition p (NULL: any) of source s whose date belongs to shard t, chunk by
 * chunk: copied into t (committed; a plain LOAD DATA when t held none of those dates before
 * the first chunk, else REPLACE), then deleted from s by key; a partition whose every date
 * goes to t is emptied at once after its last chunk (TRUNCATE PARTITION, no row deletes). */
static int move_part(tx_rs *r, tx_store *src, int t, const tx_store_part *p,
                     tx_store_chunk *ch, tx_store **dst, uint64_t *moved, tx_error *err)
{
    const int32_t lo = r->bound[t], hi = r->bound[t + 1];
    int rc = TX_OK, after = 0, fresh = 0;
    uint64_t aid = 0, n = 0;
    int32_t adate = 0;
    const int whole = p && p->whole;
    for (;;) {
        if ((rc = tx_rs_check_stop(r, err)) != TX_OK)
            break;
        rc = tx_store_reshard_rows_read(src, p, lo, hi, after, aid, adate, TX_RESHARD_ROW_CHUNK,
                                        ch, err);
        if (rc != TX_OK || ch->n == 0)
            break;
        if (!*dst && (rc = tx_rs_store(r, t, dst, err)) != TX_OK)
            break;
        /* t holding none of these dates yet (the usual case: they were s's alone; not so in a
         * rerun), no key of the partition's rows can be there: plain LOAD DATA, no REPLACE */
        if (!after && (rc = tx_store_reshard_rows_none(*dst, p, lo, hi, &fresh, err)) != TX_OK)
            break;
        if ((rc = tx_store_reshard_rows_put(*dst, ch, fresh, err)) != TX_OK)
            break;
        if (!r->hooked_rows++)
            tx_test_hook("reshard.rows", r->rank);
        if (!whole && (rc = tx_store_reshard_rows_drop(src, p, lo, hi, ch, err)) != TX_OK)
            break;
        n += ch->n;
        after = 1;
        aid = ch->last_id;
        adate = ch->last_date;
    }
    if (rc == TX_OK && n && whole)
        rc = tx_store_reshard_rows_truncate(src, p, err);
    *moved += n;
    return rc;
}

int tx_rs_move_rows(tx_rs *r, tx_error *err)
{
    tx_store_chunk *ch = calloc(1, sizeof *ch);
    if (!ch)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    int rc = TX_OK;
    for (int s = 0; s < r->n && rc == TX_OK; s++) {
        for (int t = 0; t < r->m && rc == TX_OK; t++) {
            if (t == s || r->mover[s * r->m + t] != r->rank)
                continue;
            tx_store *src = NULL, *dst = NULL;
            tx_store_part *parts = NULL;
            size_t np = 0;
            uint64_t moved = 0;
            rc = tx_rs_store(r, s, &src, err);
            if (rc == TX_OK)
                rc = tx_store_reshard_parts(src, r->bound[t], r->bound[t + 1], &parts, &np, err);
            size_t full = 0;
            for (size_t i = 0; i < np; i++)
                full += parts[i].rows != 0;
            /* the target's month partitions all at once (one ALTER TABLE, not one a chunk) */
            if (rc == TX_OK && full && (rc = tx_rs_store(r, t, &dst, err)) == TX_OK)
                rc = tx_store_reshard_rows_months(dst, parts, np, err);
            for (size_t i = 0; i < np && rc == TX_OK; i++)
                if (parts[i].rows)
                    rc = move_part(r, src, t, &parts[i], ch, &dst, &moved, err);
            free(parts);
            /* then the whole range once more, by key, whatever the partitions: the list comes
             * from information_schema, which another rank's ALTER TABLE on this shard (its
             * month partitions as a target, or a TRUNCATE) may leave incomplete while it runs;
             * normally this finds nothing */
            uint64_t late = 0;
            if (rc == TX_OK)
                rc = move_part(r, src, t, NULL, ch, &dst, &late, err);
            if (rc == TX_OK && late)
                TX_LOG(TX_LOG_INFO, "reshard: %llu rows of shard %d for shard %d were outside "
                       "the partitions listed; moved by key", (unsigned long long)late, s, t);
            moved += late;
            if (rc == TX_OK && moved)
                TX_LOG(TX_LOG_DEBUG, "reshard: %llu rows moved from shard %d to shard %d",
                       (unsigned long long)moved, s, t);
            r->rows += moved;
        }
    }
    tx_buf_free(&ch->text);
    free(ch);
    return rc;
}

int tx_rs_move_revenue(tx_rs *r, tx_error *err)
{
    int rc = TX_OK;
    tx_buf text = {0};
    for (int s = 0; s < r->n && rc == TX_OK; s++) {
        if (!r->own[s])
            continue;
        for (int t = 0; t < r->m && rc == TX_OK; t++) {
            if (t == s)
                continue;
            uint64_t n = 0;
            text.len = 0;
            if ((rc = tx_rs_check_stop(r, err)) != TX_OK)
                break;
            rc = tx_store_reshard_revenue_read(r->own[s], r->bound[t], r->bound[t + 1], &text,
                                               &n, err);
            if (rc != TX_OK || n == 0)
                continue;
            tx_store *dst = NULL;
            rc = tx_rs_store(r, t, &dst, err);
            if (rc == TX_OK)
                rc = tx_store_reshard_revenue_put(dst, &text, n, err);
            if (rc == TX_OK && !r->hooked_revenue++)
                tx_test_hook("reshard.revenue", r->rank);
            if (rc == TX_OK)
                rc = tx_store_reshard_revenue_drop(r->own[s], r->bound[t], r->bound[t + 1], err);
            if (rc == TX_OK)
                r->revenue += n;
        }
    }
    tx_buf_free(&text);
    return rc;
}

/* One chunk of a source's directory: per target, the blocks' lines; the blocks that leave. */
typedef struct dir_chunk {
    tx_rs *r;
    int src;
    tx_buf *text; /* [m] */
    uint64_t *lines; /* [m] */
    uint64_t *gone;
    size_t ngone;
} dir_chunk;

static int dir_block(void *ctx, uint64_t block, unsigned entries, unsigned tombstones,
                     const char *data, size_t len, tx_error *err)
{
    dir_chunk *dc = ctx;
    int t = dir_home(block, dc->r->m);
    if (t == dc->src)
        return TX_OK;
    tx_buf *b = &dc->text[t];
    if (tx_buf_reserve(b, 64) != TX_OK)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    b->len += (size_t)snprintf(b->p + b->len, 64, "%llu\t%u\t%u\t", (unsigned long long)block,
                               entries, tombstones);
    if (tx_tsv_text(b, data, len) != TX_OK || tx_buf_reserve(b, 1) != TX_OK)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    b->p[b->len++] = '\n';
    dc->lines[t]++;
    dc->gone[dc->ngone++] = block;
    return TX_OK;
}

int tx_rs_move_directory(tx_rs *r, tx_error *err)
{
    dir_chunk dc = {.r = r};
    dc.text = calloc((size_t)r->m, sizeof *dc.text);
    dc.lines = calloc((size_t)r->m, sizeof *dc.lines);
    dc.gone = malloc(TX_RESHARD_DIR_CHUNK * sizeof *dc.gone);
    int rc = dc.text && dc.lines && dc.gone ? TX_OK
                                            : tx_error_set(err, TX_ENOMEM, "out of memory");
    for (int s = 0; s < r->n && rc == TX_OK; s++) {
        if (!r->own[s])
            continue;
        dc.src = s;
        int after = 0;
        uint64_t last = 0;
        for (;;) {
            size_t got = 0;
            dc.ngone = 0;
            if ((rc = tx_rs_check_stop(r, err)) != TX_OK)
                break;
            for (int t = 0; t < r->m; t++) {
                dc.text[t].len = 0;
                dc.lines[t] = 0;
            }
            rc = tx_store_reshard_dir_read(r->own[s], after, last, TX_RESHARD_DIR_CHUNK,
                                           dir_block, &dc, &last, &got, err);
            if (rc != TX_OK || got == 0)
                break;
            after = 1;
            for (int t = 0; t < r->m && rc == TX_OK; t++) {
                if (!dc.lines[t])
                    continue;
                tx_store *dst = NULL;
                rc = tx_rs_store(r, t, &dst, err);
                if (rc == TX_OK)
                    rc = tx_store_reshard_dir_put(dst, &dc.text[t], dc.lines[t], err);
            }
            if (rc == TX_OK && dc.ngone && !r->hooked_dir++)
                tx_test_hook("reshard.directory", r->rank);
            if (rc == TX_OK)
                rc = tx_store_reshard_dir_drop(r->own[s], dc.gone, dc.ngone, err);
            if (rc != TX_OK)
                break;
            r->blocks += dc.ngone;
        }
    }
    for (int t = 0; dc.text && t < r->m; t++)
        tx_buf_free(&dc.text[t]);
    free(dc.text);
    free(dc.lines);
    free(dc.gone);
    return rc;
}

int tx_rs_copy_runs(tx_rs *r, tx_error *err)
{
    int rc = TX_OK;
    for (int t = r->n; t < r->m && rc == TX_OK; t++) {
        if (!r->own[t])
            continue;
        tx_store *src = NULL;
        rc = tx_rs_store(r, 0, &src, err);
        if (rc == TX_OK)
            rc = tx_store_reshard_runs_copy(src, r->own[t], err);
    }
    return rc;
}

int tx_rs_check_stop(const tx_rs *r, tx_error *err)
{
    (void)r;
    const int sig = tx_interrupted();
    if (!sig)
        return TX_OK;
    return tx_error_set(err, TX_ERR, "interrupted by %s: the reshard stopped between two steps; "
                        "its journal stays, loads and snapshots are refused until "
                        "`txetl reshard --shards NEW_FILE` is run again and finishes it",
                        tx_interrupt_name(sig));
}
