/* load.c - the phases of `txetl load` (see ARCHITECTURE.md and README "Design"):
 *   0 preflight  shard file, connections, schema, run lock, shard map        -> agree
 *   1 scan       parse + validate this rank's share, rejects, date histogram  -> agree, rate
 *   2 versions   parse again, route every valid version to its directory shard (id hash),
 *                LOAD DATA into stage_versions, in bounded rounds             -> agree
 *   3 decide     per directory shard: winners vs the stored version          -> agree, counts
 *   4 distribute winners to the shard of their date, removals to the shard of the old date
 *   5 apply      rows into TransactionsOptimized, revenue_daily               -> agree
 *   6 directory  directory entries + audit rows, etl_runs counts              -> agree
 *   7 reduce     the snapshot (unless --no-snapshot)
 * Every rank reaches every collective; a failing rank keeps taking part and the phase's
 * agreement stops all ranks together. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "load_internal.h"
#include "txetl/extract.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"
#include "txetl/reduce.h"
#include "txetl/route.h"

/* ---- progress --------------------------------------------------------------------------- */

static void progress(tx_job *j, const char *phase, uint64_t done, uint64_t total,
                     uint64_t rows, double *last)
{
    if (j->o->quiet || j->rank != 0)
        return;
    double now = MPI_Wtime();
    if (now - *last < 5.0)
        return;
    *last = now;
    double el = now - j->t0;
    double pct = total ? 100.0 * (double)done / (double)total : 100.0;
    double rate = el > 0 ? (double)rows / el : 0;
    double eta = (pct > 0 && pct < 100) ? el * (100.0 - pct) / pct : 0;
    TX_LOG(TX_LOG_INFO, "%s: %.1f%% of input, %" PRIu64 " rows, %.0f rows/s, ETA %.0f s",
           phase, pct, rows, rate, eta);
}

/* ---- phase 0: preflight ----------------------------------------------------------------- */

static void make_run_id(tx_job *j)
{
    if (j->rank == 0) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned x = (unsigned)(ts.tv_nsec ^ (getpid() << 12)) & 0xffffff;
        snprintf(j->run_id, sizeof j->run_id, "%s-%06x", stamp, x);
    }
    MPI_Bcast(j->run_id, sizeof j->run_id, MPI_CHAR, 0, j->comm);
}

/* Reads shard_map of an owned shard into bounds (nshards + 1), *has = 1 when present. */
static int read_map(tx_job *j, tx_shard *sh, int32_t *bounds, int *has, tx_error *err)
{
    MYSQL_RES *res;
    int rc = tx_shard_query(sh, "SELECT shard_index, shard_count, DATEDIFF(lower_date, "
                                "'1970-01-01'), DATEDIFF(upper_date, '1970-01-01') FROM "
                                "shard_map ORDER BY shard_index", 0, &res, err);
    if (rc != TX_OK)
        return rc;
    *has = mysql_num_rows(res) > 0;
    MYSQL_ROW row;
    while (rc == TX_OK && (row = mysql_fetch_row(res))) {
        int idx = atoi(row[0]), count = atoi(row[1]);
        if (count != j->nshards)
            rc = tx_error_set(err, TX_EUSAGE, "shard %d: the cluster was created with %d shards "
                              "but the shard file %s names %d; the shard count never changes",
                              tx_shard_index(sh), count, j->o->shards_path, j->nshards);
        else if (idx >= 0 && idx < j->nshards) {
            bounds[idx] = row[2] ? atoi(row[2]) : INT32_MIN;
            bounds[idx + 1] = row[3] ? atoi(row[3]) : INT32_MAX;
        }
    }
    mysql_free_result(res);
    return rc;
}

static int preflight(tx_job *j, tx_error *err)
{
    int rc = tx_shardfile_count(j->o->shards_path, &j->nshards, err);
    rc = tx_agree(j->comm, rc, err);
    if (rc != TX_OK)
        return rc;
    j->mine = calloc((size_t)j->nshards, sizeof *j->mine);
    j->bound = malloc(((size_t)j->nshards + 1) * sizeof *j->bound);
    int32_t *mx = malloc(((size_t)j->nshards + 1) * sizeof *mx);
    int32_t *mn = malloc(((size_t)j->nshards + 1) * sizeof *mn);
    if (!j->mine || !j->bound || !mx || !mn)
        MPI_Abort(j->comm, 3);
    for (int i = 0; i <= j->nshards; i++) {
        mx[i] = INT32_MIN;
        mn[i] = INT32_MAX;
    }
    int has_local = 0;
    if (!j->o->dry_run) {
        for (int s = 0; s < j->nshards && rc == TX_OK; s++)
            if (tx_job_owner(j, s) == j->rank)
                rc = tx_shard_open(j->o->shards_path, s, &j->mine[s], err);
        if (rc == TX_OK)
            rc = tx_apply_prepare(j, err);
        for (int s = 0; s < j->nshards && rc == TX_OK; s++) {
            if (!j->mine[s])
                continue;
            int32_t *b = malloc(((size_t)j->nshards + 1) * sizeof *b);
            if (!b)
                MPI_Abort(j->comm, 3);
            int has = 0;
            rc = read_map(j, j->mine[s], b, &has, err);
            if (rc == TX_OK && has) {
                has_local++;
                for (int i = 0; i <= j->nshards; i++) {
                    mx[i] = b[i] > mx[i] ? b[i] : mx[i];
                    mn[i] = b[i] < mn[i] ? b[i] : mn[i];
                }
            }
            free(b);
        }
    }
    rc = tx_agree(j->comm, rc, err);
    if (rc == TX_OK) {
        int has_total = 0;
        MPI_Allreduce(&has_local, &has_total, 1, MPI_INT, MPI_SUM, j->comm);
        MPI_Allreduce(MPI_IN_PLACE, mx, j->nshards + 1, MPI_INT32_T, MPI_MAX, j->comm);
        MPI_Allreduce(MPI_IN_PLACE, mn, j->nshards + 1, MPI_INT32_T, MPI_MIN, j->comm);
        j->fresh = has_total == 0;
        if (!j->fresh) {
            for (int i = 0; i <= j->nshards; i++)
                if (mx[i] != mn[i])
                    rc = tx_error_set(err, TX_EUSAGE, "the shards disagree on the date "
                                      "boundary of shard %d (shard_map tables differ)", i);
            memcpy(j->bound, mx, ((size_t)j->nshards + 1) * sizeof *mx);
            if (has_total < j->nshards && j->rank == 0)
                TX_LOG(TX_LOG_WARN, "%d of %d shards hold the shard map; it is written to the "
                       "others", has_total, j->nshards);
        }
    }
    free(mx);
    free(mn);
    return rc;
}

/* Boundaries for a fresh cluster: shard i starts at the first date by which i/N of the
 * records lie before it. */
static void choose_bounds(tx_job *j, const uint64_t *hist)
{
    uint64_t total = 0;
    for (int d = 0; d < TX_NDAYS; d++)
        total += hist[d];
    j->bound[0] = INT32_MIN;
    j->bound[j->nshards] = INT32_MAX;
    uint64_t cum = 0;
    int d = 0;
    for (int i = 1; i < j->nshards; i++) {
        /* smallest d with cum(< d) >= i * total / N, strictly above the previous bound */
        uint64_t target = (total * (uint64_t)i + (uint64_t)j->nshards - 1) / (uint64_t)j->nshards;
        while (d < TX_NDAYS && cum < target)
            cum += hist[d++];
        int32_t b = d;
        if (i > 1 && b <= j->bound[i - 1])
            b = j->bound[i - 1] + 1;
        j->bound[i] = b;
    }
}

static int write_map(tx_job *j, tx_error *err)
{
    int rc = TX_OK;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++) {
        tx_shard *sh = j->mine[s];
        if (!sh)
            continue;
        rc = tx_shard_exec(sh, "DELETE FROM shard_map", err);
        for (int i = 0; i < j->nshards && rc == TX_OK; i++) {
            char lo[16] = "NULL", hi[16] = "NULL", d[11];
            if (j->bound[i] != INT32_MIN)
                snprintf(lo, sizeof lo, "'%s'", tx_format_date(j->bound[i], d));
            if (j->bound[i + 1] != INT32_MAX)
                snprintf(hi, sizeof hi, "'%s'", tx_format_date(j->bound[i + 1], d));
            rc = tx_shard_execf(sh, err, "INSERT INTO shard_map VALUES (%d, %d, %s, %s, '%s')",
                                i, j->nshards, lo, hi, j->run_id);
        }
    }
    return rc;
}

/* ---- phase 1: scan ---------------------------------------------------------------------- */

static int write_csv_field(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
    return ferror(f) ? TX_ERR : TX_OK;
}

static char *part_path(const tx_job *j, int rank)
{
    char *p = NULL;
    if (asprintf(&p, "%s.part%d.%s", j->o->rejects_path, rank, j->run_id) < 0)
        return NULL;
    return p;
}

static int scan(tx_job *j, tx_input *in, uint64_t *hist, tx_error *err)
{
    tx_cursor *cur = NULL;
    char *ppath = part_path(j, j->rank);
    FILE *rej = NULL;
    int rc = ppath ? TX_OK : tx_error_set(err, TX_ENOMEM, "out of memory");
    if (rc == TX_OK && !(rej = fopen(ppath, "w")))
        rc = tx_error_set(err, TX_ERR, "%s: cannot write rejects: %m", ppath);
    if (rc == TX_OK)
        rc = tx_cursor_new(in, &cur, err);
    double last = MPI_Wtime();
    tx_raw raw;
    tx_record rec;
    while (rc == TX_OK) {
        int got = tx_cursor_next(cur, &raw, &rec, err);
        if (got < 0)
            rc = got;
        if (got <= 0)
            break;
        j->counts.read++;
        if (raw.reject == TX_REJ_NONE) {
            hist[rec.date]++;
        } else {
            j->counts.rejected++;
            const char *path = tx_input_path(in, (int)raw.file_index);
            write_csv_field(rej, path, strlen(path));
            fprintf(rej, ",%" PRIu64 ",%" PRIu64 ",%s,", raw.line, raw.offset,
                    tx_reject_name(raw.reject));
            write_csv_field(rej, raw.bytes, raw.len < 4096 ? raw.len : 4096);
            fputc('\n', rej);
        }
        if ((j->counts.read & 0xffff) == 0)
            progress(j, "scan", tx_cursor_done_bytes(cur), tx_input_share_bytes(in),
                     j->counts.read * (uint64_t)j->nranks, &last);
    }
    if (rej && fclose(rej) != 0 && rc == TX_OK)
        rc = tx_error_set(err, TX_ERR, "%s: cannot write rejects: %m", ppath);
    tx_cursor_free(&cur);
    free(ppath);
    return rc;
}

/* Rank 0 joins the per-rank reject parts (each sorted, ranks in input order). */
static int join_rejects(tx_job *j, tx_error *err)
{
    int rc = TX_OK;
    if (j->rank == 0) {
        char *tmp = NULL;
        FILE *out = NULL;
        if (asprintf(&tmp, "%s.tmp.%s", j->o->rejects_path, j->run_id) < 0 ||
            !(out = fopen(tmp, "w")))
            rc = tx_error_set(err, TX_ERR, "%s: cannot write rejects: %m", j->o->rejects_path);
        if (out)
            fputs("file,line,offset,reason,record\n", out);
        char buf[1 << 16];
        for (int r = 0; r < j->nranks; r++) {
            char *pp = part_path(j, r);
            FILE *in = pp ? fopen(pp, "r") : NULL;
            size_t n;
            while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
                if (fwrite(buf, 1, n, out) != n)
                    rc = tx_error_set(err, TX_ERR, "%s: write error: %m", tmp);
            if (in)
                fclose(in);
            else if (rc == TX_OK)
                rc = tx_error_set(err, TX_ERR, "%s: rejects part missing: %m", pp ? pp : "?");
            if (pp)
                unlink(pp);
            free(pp);
        }
        if (out && fclose(out) != 0 && rc == TX_OK)
            rc = tx_error_set(err, TX_ERR, "%s: write error: %m", tmp);
        if (rc == TX_OK && rename(tmp, j->o->rejects_path) != 0)
            rc = tx_error_set(err, TX_ERR, "%s: cannot rename into place: %m", j->o->rejects_path);
        free(tmp);
    }
    return tx_agree(j->comm, rc, err);
}

/* ---- phases 2 and 4: routed loads into staging tables ------------------------------------ */

/* Messages between ranks: a tag and a record. */
enum { MSG_VERSION = 1, MSG_APPLY = 2, MSG_REMOVE = 3 };
typedef struct msg {
    uint32_t tag;
    int32_t shard; /* the destination shard */
    tx_record rec;
} msg;

/* Per owned shard, the LOAD DATA payloads of one round. */
typedef struct stage_bufs {
    tx_buf *rows;    /* [nshards] stage_versions or stage_apply */
    tx_buf *removes; /* [nshards] stage_remove */
    uint64_t *nrows, *nremoves;
} stage_bufs;

static int deliver(tx_job *j, const char *recv, size_t len, stage_bufs *sb, tx_error *err)
{
    int rc = TX_OK;
    for (size_t off = 0; off + sizeof(msg) <= len && rc == TX_OK; off += sizeof(msg)) {
        msg m;
        memcpy(&m, recv + off, sizeof m);
        int s = m.shard;
        if (m.tag == MSG_REMOVE) {
            tx_buf *b = &sb->removes[s];
            if (tx_buf_reserve(b, 64) != TX_OK)
                return tx_error_set(err, TX_ENOMEM, "out of memory");
            b->len += (size_t)tx_fmt_u64(b->p + b->len, m.rec.transaction_id);
            b->p[b->len++] = '\t';
            char d[11];
            memcpy(b->p + b->len, tx_format_date(m.rec.date, d), 10);
            b->len += 10;
            b->p[b->len++] = '\n';
            sb->nremoves[s]++;
        } else {
            if (tx_fmt_row(&sb->rows[s], &m.rec, m.tag == MSG_VERSION) != TX_OK)
                return tx_error_set(err, TX_ENOMEM, "out of memory");
            sb->nrows[s]++;
        }
    }
    if (j->o->dry_run) /* routed, counted, never loaded */
        for (int s = 0; s < j->nshards; s++) {
            sb->rows[s].len = sb->removes[s].len = 0;
            sb->nrows[s] = sb->nremoves[s] = 0;
        }
    return rc;
}

static int flush_stage(tx_job *j, stage_bufs *sb, int versions, tx_error *err)
{
    int rc = TX_OK;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++) {
        if (!j->mine[s])
            continue;
        rc = tx_shard_load(j->mine[s], versions ? "stage_versions" : "stage_apply",
                           versions ? tx_cols_versions : tx_cols_rows, sb->rows[s].p,
                           sb->rows[s].len, sb->nrows[s], err);
        if (rc == TX_OK)
            rc = tx_shard_load(j->mine[s], "stage_remove", "(transaction_id, transaction_date)",
                               sb->removes[s].p, sb->removes[s].len, sb->nremoves[s], err);
        sb->rows[s].len = sb->removes[s].len = 0;
        sb->nrows[s] = sb->nremoves[s] = 0;
    }
    return rc;
}

static int stage_bufs_new(tx_job *j, stage_bufs *sb)
{
    sb->rows = calloc((size_t)j->nshards, sizeof *sb->rows);
    sb->removes = calloc((size_t)j->nshards, sizeof *sb->removes);
    sb->nrows = calloc((size_t)j->nshards, sizeof *sb->nrows);
    sb->nremoves = calloc((size_t)j->nshards, sizeof *sb->nremoves);
    return sb->rows && sb->removes && sb->nrows && sb->nremoves ? TX_OK : TX_ENOMEM;
}

static void stage_bufs_free(tx_job *j, stage_bufs *sb)
{
    for (int s = 0; sb->rows && s < j->nshards; s++) {
        tx_buf_free(&sb->rows[s]);
        tx_buf_free(&sb->removes[s]);
    }
    free(sb->rows);
    free(sb->removes);
    free(sb->nrows);
    free(sb->nremoves);
}

/* A source of messages for one routed phase: fills the outbox up to the round budget and
 * says whether it has more. */
typedef int (*source_fn)(tx_job *j, void *ctx, tx_outbox *ob, int *more, tx_error *err);

/* Collective. Runs exchange rounds until no rank has more; received messages go into the
 * staging tables of the owned shards. A local failure stops local work but not the rounds. */
static int routed_phase(tx_job *j, source_fn src, void *ctx, int versions, tx_error *err)
{
    tx_outbox *ob = NULL;
    stage_bufs sb = {0};
    char *recv = NULL;
    size_t recv_cap = 0, recv_len = 0;
    int rc = tx_outbox_new(j->nranks, &ob, err);
    if (rc == TX_OK && stage_bufs_new(j, &sb) != TX_OK)
        rc = tx_error_set(err, TX_ENOMEM, "out of memory");
    if (rc != TX_OK)
        MPI_Abort(j->comm, 3);
    int any_more = 1;
    while (any_more) {
        int more = 0;
        if (rc == TX_OK)
            rc = src(j, ctx, ob, &more, err);
        int xrc = tx_exchange(j->comm, ob, rc == TX_OK && more, &recv, &recv_cap, &recv_len,
                              &any_more, err);
        if (rc == TX_OK)
            rc = xrc;
        if (rc == TX_OK)
            rc = deliver(j, recv, recv_len, &sb, err);
        if (rc == TX_OK && !j->o->dry_run)
            rc = flush_stage(j, &sb, versions, err);
    }
    free(recv);
    stage_bufs_free(j, &sb);
    tx_outbox_free(&ob);
    return tx_agree(j->comm, rc, err);
}

/* Phase 2 source: this rank's valid records, to the rank owning their directory shard. */
typedef struct scan_src {
    tx_cursor *cur;
    tx_input *in;
    uint64_t sent;
    double last;
} scan_src;

static int versions_source(tx_job *j, void *vctx, tx_outbox *ob, int *more, tx_error *err)
{
    scan_src *ss = vctx;
    tx_raw raw;
    msg m;
    memset(&m, 0, sizeof m);
    m.tag = MSG_VERSION;
    *more = 0;
    while (tx_outbox_bytes(ob) < TX_ROUND_BYTES) {
        int got = tx_cursor_next(ss->cur, &raw, &m.rec, err);
        if (got < 0)
            return got;
        if (got == 0)
            return TX_OK;
        if (raw.reject != TX_REJ_NONE)
            continue;
        m.shard = tx_job_dir_shard(j, m.rec.transaction_id);
        int rc = tx_outbox_put(ob, tx_job_owner(j, m.shard), &m, sizeof m, err);
        if (rc != TX_OK)
            return rc;
        ss->sent++;
    }
    progress(j, j->o->dry_run ? "route" : "load", tx_cursor_done_bytes(ss->cur),
             tx_input_share_bytes(ss->in), ss->sent * (uint64_t)j->nranks, &ss->last);
    *more = 1;
    return TX_OK;
}

/* Phase 4 source: winners of the owned directory shards, read in primary-key pages. */
typedef struct winners_src {
    int shard;        /* owned shard being read */
    uint64_t after;   /* last transaction_id read */
} winners_src;

static int winners_source(tx_job *j, void *vctx, tx_outbox *ob, int *more, tx_error *err)
{
    winners_src *ws = vctx;
    *more = 0;
    while (tx_outbox_bytes(ob) < TX_ROUND_BYTES) {
        while (ws->shard < j->nshards && !j->mine[ws->shard])
            ws->shard++;
        if (ws->shard >= j->nshards)
            return TX_OK;
        char sql[768];
        snprintf(sql, sizeof sql,
                 "SELECT transaction_id, customer_id, DATEDIFF(transaction_date, '1970-01-01'), "
                 "CAST(transaction_amount * 100 AS SIGNED), transaction_category, payment_method, "
                 "currency, TIMESTAMPDIFF(MICROSECOND, '1970-01-01', last_updated), op, action, "
                 "DATEDIFF(old_date, '1970-01-01'), old_live FROM stage_winners WHERE "
                 "transaction_id > %" PRIu64 " ORDER BY transaction_id LIMIT 50000", ws->after);
        MYSQL_RES *res;
        int rc = tx_shard_query(j->mine[ws->shard], sql, 0, &res, err);
        if (rc != TX_OK)
            return rc;
        if (mysql_num_rows(res) == 0) {
            mysql_free_result(res);
            ws->shard++;
            ws->after = 0;
            continue;
        }
        MYSQL_ROW row;
        while ((row = mysql_fetch_row(res))) {
            unsigned long *len = mysql_fetch_lengths(res);
            msg m;
            memset(&m, 0, sizeof m);
            tx_record *r = &m.rec;
            r->transaction_id = strtoull(row[0], NULL, 10);
            r->customer_id = strtoull(row[1], NULL, 10);
            r->date = (int32_t)atol(row[2]);
            r->amount_cents = strtoll(row[3], NULL, 10);
            r->category_len = (uint8_t)(len[4] > TX_CATEGORY_MAX ? TX_CATEGORY_MAX : len[4]);
            memcpy(r->category, row[4], r->category_len);
            r->payment_len = (uint8_t)(len[5] > TX_PAYMENT_MAX ? TX_PAYMENT_MAX : len[5]);
            memcpy(r->payment, row[5], r->payment_len);
            memcpy(r->currency, row[6], 3);
            r->last_updated_us = strtoll(row[7], NULL, 10);
            r->op = row[8][0];
            ws->after = r->transaction_id;
            const char *action = row[9];
            int old_live = atoi(row[11]);
            if (strcmp(action, "delete") != 0) {
                m.tag = MSG_APPLY;
                m.shard = tx_job_shard_of_date(j, r->date);
                rc = tx_outbox_put(ob, tx_job_owner(j, m.shard), &m, sizeof m, err);
            }
            if (rc == TX_OK && old_live && row[10] &&
                (!strcmp(action, "move") || !strcmp(action, "delete"))) {
                m.tag = MSG_REMOVE;
                m.rec.date = (int32_t)atol(row[10]);
                m.shard = tx_job_shard_of_date(j, m.rec.date);
                rc = tx_outbox_put(ob, tx_job_owner(j, m.shard), &m, sizeof m, err);
            }
            if (rc != TX_OK) {
                mysql_free_result(res);
                return rc;
            }
        }
        mysql_free_result(res);
    }
    *more = 1;
    return TX_OK;
}

/* ---- the run ---------------------------------------------------------------------------- */

static void sum_counts(tx_job *j, tx_run_counts *c)
{
    uint64_t v[8] = {c->read, c->rejected, c->inserted, c->updated,
                     c->moved, c->deleted, c->stale, c->superseded};
    MPI_Allreduce(MPI_IN_PLACE, v, 8, MPI_UINT64_T, MPI_SUM, j->comm);
    c->read = v[0], c->rejected = v[1], c->inserted = v[2], c->updated = v[3];
    c->moved = v[4], c->deleted = v[5], c->stale = v[6], c->superseded = v[7];
}

/* Reads the stored transactions of the owned shards for the reduce step. */
static int read_stored(tx_job *j, tx_txn **out, size_t *n, tx_error *err)
{
    size_t cap = 1 << 16, len = 0;
    tx_txn *t = malloc(cap * sizeof *t);
    if (!t)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    int rc = TX_OK;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++) {
        if (!j->mine[s])
            continue;
        MYSQL_RES *res;
        rc = tx_shard_query(j->mine[s], "SELECT customer_id, CAST(transaction_amount * 100 AS "
                                        "SIGNED), DATEDIFF(transaction_date, '1970-01-01') FROM "
                                        "TransactionsOptimized", 1, &res, err);
        if (rc != TX_OK)
            break;
        MYSQL_ROW row;
        while ((row = mysql_fetch_row(res))) {
            if (len == cap) {
                tx_txn *nt = realloc(t, 2 * cap * sizeof *t);
                if (!nt) {
                    rc = tx_error_set(err, TX_ENOMEM, "out of memory");
                    break;
                }
                t = nt;
                cap *= 2;
            }
            t[len].customer_id = strtoull(row[0], NULL, 10);
            t[len].amount_cents = strtoll(row[1], NULL, 10);
            t[len].date = (int32_t)atol(row[2]);
            t[len].pad = 0;
            len++;
        }
        if (rc == TX_OK && mysql_errno(tx_shard_mysql(j->mine[s])))
            rc = tx_error_set(err, TX_ERR, "shard %d: reading transactions: %s", s,
                              mysql_error(tx_shard_mysql(j->mine[s])));
        mysql_free_result(res);
    }
    if (rc != TX_OK) {
        free(t);
        return rc;
    }
    *out = t;
    *n = len;
    return TX_OK;
}

static int reduce_phase(tx_job *j, tx_run_info *run, tx_error *err)
{
    tx_txn *txns = NULL;
    size_t n = 0;
    int rc = read_stored(j, &txns, &n, err);
    rc = tx_agree(j->comm, rc, err);
    if (rc == TX_OK) {
        char path[4096];
        double t = MPI_Wtime();
        rc = tx_reduce_snapshot(j->comm, txns, n, &j->o->analytics, run,
                                j->o->snapshot_dir ? j->o->snapshot_dir : "snapshots", path,
                                sizeof path, err);
        if (rc == TX_OK && j->rank == 0 && !j->o->quiet)
            TX_LOG(TX_LOG_INFO, "snapshot written: %s (reduce %.2f s)", path, MPI_Wtime() - t);
    }
    free(txns);
    return rc;
}

static void job_close(tx_job *j)
{
    for (int s = 0; j->mine && s < j->nshards; s++)
        tx_shard_close(&j->mine[s]);
    free(j->mine);
    free(j->bound);
    j->mine = NULL;
    j->bound = NULL;
}

static void fill_run(const tx_job *j, tx_run_info *run)
{
    memset(run, 0, sizeof *run);
    snprintf(run->run_id, sizeof run->run_id, "%s", j->run_id);
    run->created_unix = (int64_t)time(NULL);
    run->ranks = j->nranks;
    run->shards = j->nshards;
    run->counts = j->counts;
}

int tx_load_run(MPI_Comm comm, const tx_load_opts *o, tx_run_info *run, tx_error *err)
{
    tx_job job = {0}, *j = &job;
    j->comm = comm;
    j->o = o;
    MPI_Comm_rank(comm, &j->rank);
    MPI_Comm_size(comm, &j->nranks);
    j->t0 = MPI_Wtime();
    make_run_id(j);
    tx_input *in = NULL;
    uint64_t *hist = NULL;

    int rc = preflight(j, err);
    if (rc == TX_OK)
        rc = tx_input_open(comm, o->files, o->nfiles, &in, err);
    if (rc != TX_OK)
        goto out;
    for (int f = 0; f < tx_input_nfiles(in) && j->rank == 0; f++)
        if (tx_input_header(in, f)->unknown[0])
            TX_LOG(TX_LOG_INFO, "%s: ignoring unknown columns: %s", tx_input_path(in, f),
                   tx_input_header(in, f)->unknown);

    /* phase 1: scan */
    hist = calloc(TX_NDAYS, sizeof *hist);
    if (!hist)
        MPI_Abort(comm, 3);
    rc = scan(j, in, hist, err);
    rc = tx_agree(comm, rc, err);
    if (rc != TX_OK)
        goto out;
    sum_counts(j, &j->counts);
    MPI_Allreduce(MPI_IN_PLACE, hist, TX_NDAYS, MPI_UINT64_T, MPI_SUM, comm);
    if ((rc = join_rejects(j, err)) != TX_OK)
        goto out;
    if (j->rank == 0 && !o->quiet)
        TX_LOG(TX_LOG_INFO, "scanned %" PRIu64 " records (%" PRIu64 " rejected, see %s) in %.2f s",
               j->counts.read, j->counts.rejected, o->rejects_path, MPI_Wtime() - j->t0);
    if ((double)j->counts.rejected > o->max_reject_rate * (double)j->counts.read) {
        rc = tx_error_set(err, TX_ERR, "%" PRIu64 " of %" PRIu64 " records rejected (%.4f), over "
                          "--max-reject-rate %g; nothing was written to the shards (see %s)",
                          j->counts.rejected, j->counts.read,
                          (double)j->counts.rejected / (double)j->counts.read, o->max_reject_rate,
                          o->rejects_path);
        goto out;
    }
    if (j->fresh)
        choose_bounds(j, hist);
    if (!o->dry_run) {
        rc = tx_apply_runs_row(j, "running", NULL, err);
        if (rc == TX_OK)
            rc = write_map(j, err);
        rc = tx_agree(comm, rc, err);
        j->runs_row = 1;
        if (rc != TX_OK)
            goto out;
    }

    /* phase 2: versions to their directory shards */
    scan_src ss = {.in = in, .last = MPI_Wtime()};
    rc = tx_cursor_new(in, &ss.cur, err);
    if (rc != TX_OK)
        MPI_Abort(comm, 3);
    rc = routed_phase(j, versions_source, &ss, 1, err);
    tx_cursor_free(&ss.cur);
    if (rc != TX_OK || o->dry_run)
        goto out;

    /* phase 3: decide */
    tx_run_counts local = {0};
    rc = tx_apply_decide(j, &local, err);
    rc = tx_agree(comm, rc, err);
    if (rc != TX_OK)
        goto out;
    sum_counts(j, &local);
    j->counts.inserted = local.inserted, j->counts.updated = local.updated;
    j->counts.moved = local.moved, j->counts.deleted = local.deleted;
    j->counts.stale = local.stale, j->counts.superseded = local.superseded;

    /* phases 4-6: distribute, apply rows, commit the directory */
    winners_src ws = {0};
    rc = routed_phase(j, winners_source, &ws, 0, err);
    if (rc == TX_OK)
        rc = tx_agree(comm, tx_apply_commit_rows(j, err), err);
    if (rc == TX_OK)
        rc = tx_agree(comm, tx_apply_commit_directory(j, err), err);
    if (rc == TX_OK)
        rc = tx_agree(comm, tx_apply_runs_row(j, "running", NULL, err), err);
    if (rc != TX_OK)
        goto out;
    fill_run(j, run);
    if (j->rank == 0 && !o->quiet)
        TX_LOG(TX_LOG_INFO, "loaded in %.2f s", MPI_Wtime() - j->t0);

    /* phase 7: reduce */
    if (!o->no_snapshot)
        rc = reduce_phase(j, run, err);
    if (rc == TX_OK)
        rc = tx_agree(comm, tx_apply_runs_row(j, "succeeded", NULL, err), err);

out:
    if (rc != TX_OK && j->runs_row) {
        tx_error ignore = {0};
        tx_apply_runs_row(j, "failed", err->msg, &ignore);
    }
    fill_run(j, run);
    free(hist);
    tx_input_free(&in);
    job_close(j);
    return rc;
}

int tx_snapshot_run(MPI_Comm comm, const tx_load_opts *o, tx_run_info *run, tx_error *err)
{
    tx_job job = {0}, *j = &job;
    j->comm = comm;
    j->o = o;
    MPI_Comm_rank(comm, &j->rank);
    MPI_Comm_size(comm, &j->nranks);
    j->t0 = MPI_Wtime();
    make_run_id(j);
    int rc = tx_shardfile_count(o->shards_path, &j->nshards, err);
    rc = tx_agree(comm, rc, err);
    if (rc == TX_OK) {
        j->mine = calloc((size_t)j->nshards, sizeof *j->mine);
        if (!j->mine)
            MPI_Abort(comm, 3);
        for (int s = 0; s < j->nshards && rc == TX_OK; s++)
            if (tx_job_owner(j, s) == j->rank)
                rc = tx_shard_open(o->shards_path, s, &j->mine[s], err);
        rc = tx_agree(comm, rc, err);
    }
    if (rc == TX_OK) {
        fill_run(j, run);
        rc = reduce_phase(j, run, err);
    }
    job_close(j);
    return rc;
}
