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

/* Rank 0's progress, from its own share (ranks hold equal shares): on a terminal one line
 * updated in place about twice a second; in a log, a line every 5 seconds. */
static void progress(tx_job *j, const char *phase, uint64_t done, uint64_t total,
                     uint64_t rows, double *last)
{
    if (j->o->quiet || j->rank != 0)
        return;
    double now = MPI_Wtime();
    int tty = isatty(STDERR_FILENO);
    if (now - *last < (tty ? 0.5 : 5.0))
        return;
    *last = now;
    double el = now - j->phase_t0;
    double pct = total ? 100.0 * (double)done / (double)total : 100.0;
    double rate = el > 0 ? (double)rows / el : 0;
    double eta = (pct > 0 && pct < 100) ? el * (100.0 - pct) / pct : 0;
    if (tty) {
        fprintf(stderr, "\r%-6s %5.1f%%  %" PRIu64 " rows  %.0f rows/s  ETA %.0f s   ", phase,
                pct, rows, rate, eta);
        j->progress_line = 1;
    } else {
        TX_LOG(TX_LOG_INFO, "%s: %.1f%%, %" PRIu64 " rows, %.0f rows/s, ETA %.0f s",
               phase, pct, rows, rate, eta);
    }
}

/* Rank 0 notes a finished phase (after an agreement, so its time is the slowest rank's) and
 * keeps its duration for the JSON summary. */
static void log_phase(tx_job *j, int phase, const char *what)
{
    double now = MPI_Wtime();
    j->phase_s[phase] = now - j->phase_t0;
    j->phase_t0 = now;
    if (j->rank == 0 && !j->o->quiet) {
        if (j->progress_line)
            fputc('\n', stderr);
        j->progress_line = 0;
        TX_LOG(TX_LOG_INFO, "%s in %.2f s (%.2f s since start)", what, j->phase_s[phase],
               now - j->t0);
    }
}

/* ---- phase 0: preflight ----------------------------------------------------------------- */

/* Collective. Rank 0's clock as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC, the same on every rank, so
 * every shard's etl_runs row carries the same times. */
static void utc_now_agreed(tx_job *j, char out[32])
{
    if (j->rank == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char base[24];
        strftime(base, sizeof base, "%Y-%m-%d %H:%M:%S", &tm);
        snprintf(out, 32, "%.19s.%06d", base, (int)(ts.tv_nsec / 1000 % 1000000));
    }
    MPI_Bcast(out, 32, MPI_CHAR, 0, j->comm);
}

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
    utc_now_agreed(j, j->started_utc);
}

/* What read_map collects from an owned shard's shard_map. */
typedef struct map_read {
    tx_job *j;
    int shard;
    int32_t *bounds;
    int has;
} map_read;

static int map_row(void *ctx, int idx, int count, int32_t lower, int32_t upper, tx_error *err)
{
    map_read *m = ctx;
    tx_job *j = m->j;
    m->has = 1;
    if (count != j->nshards)
        return tx_error_set(err, TX_EUSAGE, "shard %d: the cluster was created with %d shards "
                            "but the shard file %s names %d; the shard count never changes",
                            m->shard, count, j->o->shards_path, j->nshards);
    if (idx >= 0 && idx < j->nshards) {
        m->bounds[idx] = lower;
        m->bounds[idx + 1] = upper;
    }
    return TX_OK;
}

/* Reads shard_map of an owned shard into bounds (nshards + 1), *has = 1 when present. */
static int read_map(tx_job *j, int s, int32_t *bounds, int *has, tx_error *err)
{
    map_read m = {j, s, bounds, 0};
    int rc = tx_store_map_read(j->mine[s], map_row, &m, err);
    *has = m.has;
    return rc;
}

/* Collective. Opens a store on `ops` for every shard this rank owns, takes their run locks,
 * prepares their schema and reads the shard map: j->bound and j->fresh agreed by all ranks. */
static int preflight(tx_job *j, const tx_store_ops *ops, tx_error *err)
{
    int rc = tx_shardfile_count(j->o->shards_path, &j->nshards, err);
    rc = tx_agree(j->comm, rc, err);
    if (rc != TX_OK)
        return rc;
    j->mine = calloc((size_t)j->nshards, sizeof *j->mine);
    j->homes = calloc((size_t)j->nshards, sizeof *j->homes);
    j->shard_rows = calloc((size_t)j->nshards, sizeof *j->shard_rows);
    j->shard_removed = calloc((size_t)j->nshards, sizeof *j->shard_removed);
    j->bound = malloc(((size_t)j->nshards + 1) * sizeof *j->bound);
    int32_t *mx = malloc(((size_t)j->nshards + 1) * sizeof *mx);
    int32_t *mn = malloc(((size_t)j->nshards + 1) * sizeof *mn);
    if (!j->mine || !j->homes || !j->shard_rows || !j->shard_removed || !j->bound || !mx || !mn)
        MPI_Abort(j->comm, 3);
    for (int i = 0; i <= j->nshards; i++) {
        mx[i] = INT32_MIN;
        mn[i] = INT32_MAX;
    }
    int has_local = 0;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++)
        if (tx_job_owner(j, s) == j->rank)
            rc = tx_store_open(ops, j->o->shards_path, s, &j->mine[s], err);
    /* identity, servers and tables checked before anything is written (load_identity.c) */
    rc = tx_load_check(j, rc, 1, err);
    if (rc == TX_OK)
        rc = tx_apply_prepare(j, err);
    for (int s = 0; s < j->nshards && rc == TX_OK; s++) {
        if (!j->mine[s])
            continue;
        int32_t *b = malloc(((size_t)j->nshards + 1) * sizeof *b);
        if (!b)
            MPI_Abort(j->comm, 3);
        int has = 0;
        rc = read_map(j, s, b, &has, err);
        j->homes[s].has_map = has;
        if (rc == TX_OK && has) {
            has_local++;
            for (int i = 0; i <= j->nshards; i++) {
                mx[i] = b[i] > mx[i] ? b[i] : mx[i];
                mn[i] = b[i] < mn[i] ? b[i] : mn[i];
            }
        }
        free(b);
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

/* Writes the shard map to the owned shards that lack it: all of them at the first load, the
 * ones a failed first load did not reach otherwise. A shard that has it is never touched. */
static int write_map(tx_job *j, tx_error *err)
{
    int rc = TX_OK;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++)
        if (j->mine[s] && !j->homes[s].has_map)
            rc = tx_store_map_write(j->mine[s], j->nshards, j->bound, j->run_id, err);
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

/* ---- phases 2-4: routed rounds -------------------------------------------------------- */

/* Messages between ranks: packed records (spill.h) whose head gives the tag and the shard the
 * message is for. */
enum { MSG_VERSION = 1, MSG_APPLY = 2, MSG_REMOVE = 3 };

/* Packs r into the outbox for rank `dest`. */
static int send_packed(tx_outbox *ob, int dest, int shard, int tag, const tx_record *r,
                       tx_error *err)
{
    char buf[sizeof(tx_packed_head) + sizeof(tx_record) + 8];
    return tx_outbox_put(ob, dest, buf, tx_pack(buf, shard, tag, r), err);
}

/* A source fills the outbox up to the round budget and says whether it has more; a sink takes
 * the messages (`bytes` of packed records) a round delivered to this rank. */
typedef int (*source_fn)(tx_job *j, void *ctx, tx_outbox *ob, int *more, tx_error *err);
typedef int (*sink_fn)(tx_job *j, void *ctx, const char *m, size_t bytes, tx_error *err);

/* The size of the packed message at p (of `left` bytes), or an error for a damaged round. */
static int next_msg(const char *p, size_t left, size_t *size, tx_error *err)
{
    *size = tx_packed_entry(p, left);
    if (*size == 0)
        return tx_error_set(err, TX_ERR, "a damaged message in an exchange round");
    return TX_OK;
}

/* Collective. Exchange rounds until no rank has more. A local failure stops local work but not
 * the rounds; the phase ends in one agreement. */
static int routed_phase(tx_job *j, source_fn src, void *sctx, sink_fn sink, void *kctx,
                        tx_error *err)
{
    tx_outbox *ob = NULL;
    if (tx_outbox_new(j->nranks, &ob, err) != TX_OK)
        MPI_Abort(j->comm, 3);
    int rc = TX_OK, any_more = 1;
    while (any_more) {
        int more = 0;
        if (rc == TX_OK)
            rc = src(j, sctx, ob, &more, err);
        tx_delivery got;
        int xrc = tx_exchange(j->comm, ob, rc == TX_OK && more, &got, &any_more, err);
        if (rc == TX_OK)
            rc = xrc;
        /* the sinks do not depend on the order of the messages */
        if (rc == TX_OK)
            rc = sink(j, kctx, got.self, got.self_len, err);
        if (rc == TX_OK)
            rc = sink(j, kctx, got.recv, got.recv_len, err);
    }
    tx_outbox_free(&ob);
    return tx_agree(j->comm, rc, err);
}

/* Phase 1 source: one parse of this rank's share. Rejects go to this rank's part of the rejects
 * file, valid records count in the date histogram and are sent, as versions, to the rank
 * owning their directory shard (which needs only the id, so no second parse is needed). */
typedef struct scan_src scan_src;

/* What becomes of a valid version, `shard` its directory shard: the driver picks one. */
typedef int (*route_fn)(tx_job *j, scan_src *ss, tx_outbox *ob, int shard, const tx_record *r,
                        tx_error *err);

struct scan_src {
    tx_cursor *cur;
    tx_input *in;
    FILE *rej;
    uint64_t *hist;
    uint64_t *routed; /* [nranks]: versions per destination rank (route_count), in the job */
    route_fn route;
    double last;
};

/* A version to the rank owning its directory shard. */
static int route_ship(tx_job *j, scan_src *ss, tx_outbox *ob, int shard, const tx_record *r,
                      tx_error *err)
{
    (void)ss;
    return send_packed(ob, tx_job_owner(j, shard), shard, MSG_VERSION, r, err);
}

/* A version's route counted per destination rank, not shipped (--dry-run). */
static int route_count(tx_job *j, scan_src *ss, tx_outbox *ob, int shard, const tx_record *r,
                       tx_error *err)
{
    (void)ob, (void)r, (void)err;
    ss->routed[tx_job_owner(j, shard)]++;
    return TX_OK;
}

static int versions_source(tx_job *j, void *vctx, tx_outbox *ob, int *more, tx_error *err)
{
    scan_src *ss = vctx;
    tx_raw raw;
    tx_record rec;
    memset(&rec, 0, sizeof rec);
    *more = 0;
    while (tx_outbox_bytes(ob) < TX_ROUND_BYTES) {
        int got = tx_cursor_next(ss->cur, &raw, &rec, err);
        if (got < 0)
            return got;
        if (got == 0)
            return TX_OK;
        j->counts.read++;
        if (raw.reject != TX_REJ_NONE) {
            j->counts.rejected++;
            const char *path = tx_input_path(ss->in, (int)raw.file_index);
            write_csv_field(ss->rej, path, strlen(path));
            fprintf(ss->rej, ",%" PRIu64 ",%" PRIu64 ",%s,", raw.line, raw.offset,
                    tx_reject_name(raw.reject));
            write_csv_field(ss->rej, raw.bytes, raw.len < 4096 ? raw.len : 4096);
            if (fputc('\n', ss->rej) == EOF)
                return tx_error_set(err, TX_ERR, "%s: cannot write rejects: %m",
                                    j->o->rejects_path);
            continue;
        }
        ss->hist[rec.date]++;
        int rc = ss->route(j, ss, ob, tx_job_dir_shard(j, rec.transaction_id), &rec, err);
        if (rc != TX_OK)
            return rc;
    }
    progress(j, "scan", tx_cursor_done_bytes(ss->cur), tx_input_share_bytes(ss->in),
             j->counts.read * (uint64_t)j->nranks, &ss->last);
    *more = 1;
    return TX_OK;
}

/* Phase 2 sink: versions into the sorter (none arrive when they are only counted). */
static int versions_sink(tx_job *j, void *ctx, const char *m, size_t bytes, tx_error *err)
{
    tx_sorter *sorter = ctx;
    for (size_t at = 0, size; at < bytes; at += size) {
        int rc = next_msg(m + at, bytes - at, &size, err);
        if (rc != TX_OK)
            return rc;
        tx_packed_head hd;
        memcpy(&hd, m + at, sizeof hd);
        if (hd.tag != MSG_VERSION || hd.shard < 0 || hd.shard >= j->nshards || !j->mine[hd.shard])
            return tx_error_set(err, TX_ERR, "a version for shard %d (tag %d) reached rank %d",
                                hd.shard, hd.tag, j->rank);
        if ((rc = tx_sorter_add_packed(sorter, m + at, err)) != TX_OK)
            return rc;
    }
    return TX_OK;
}

/* Phase 3 source: the sorted versions in blocks of whole transactions of one directory shard;
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
 * writes, not a rule of SPEC §4. The §4 module takes one id's stored state and hands back its
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
        size_t lo = 0, hi = ds->nfetched;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (ds->fetched[mid].block < blk)
                lo = mid + 1;
            else
                hi = mid;
        }
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
 * directory entry, NULL where the outcome says there is none (SPEC §3). */
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
 * has (every rank has every header), so absent ones keep their stored values (SPEC §2). */
static void decide_opts(tx_job *j, const tx_input *in, decide_src *ds)
{
    size_t nf = (size_t)tx_input_nfiles(in);
    ds->file_cols = malloc((nf ? nf : 1) * sizeof *ds->file_cols);
    if (!ds->file_cols)
        MPI_Abort(j->comm, 3);
    for (size_t f = 0; f < nf; f++)
        ds->file_cols[f] = tx_versions_header_cols(tx_input_header(in, (int)f));
    ds->opts = (tx_versions_opts){.audit_inserts = j->o->audit_inserts,
                                  .file_cols = ds->file_cols, .nfiles = nf};
}

/* Decides one transaction (SPEC §4, src/versions): versions v[0..k) best first, stored version
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

/* Phase 3 sink: rows and removals into the owned shards, one LOAD DATA each per round. */
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

/* Versions sorted in memory before a run spills: TX_SORT_RECORDS, or TXETL_SORT_RECORDS (tests
 * set it small to exercise spilled runs and their merge). */
static size_t sort_records(void)
{
    const char *env = getenv("TXETL_SORT_RECORDS");
    long v = env ? atol(env) : 0;
    return v > 0 ? (size_t)v : TX_SORT_RECORDS;
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

/* The stored transactions of the owned shards, as the reduce step takes them. */
typedef struct txn_array {
    tx_txn *t;
    size_t n, cap;
} txn_array;

static int add_txn(void *ctx, uint64_t customer_id, int64_t amount_cents, int32_t date,
                   tx_error *err)
{
    txn_array *a = ctx;
    if (a->n == a->cap) {
        size_t nc = a->cap ? 2 * a->cap : (size_t)1 << 16;
        tx_txn *nt = realloc(a->t, nc * sizeof *nt);
        if (!nt)
            return tx_error_set(err, TX_ENOMEM, "out of memory");
        a->t = nt;
        a->cap = nc;
    }
    tx_txn *t = &a->t[a->n++];
    t->customer_id = customer_id;
    t->amount_cents = amount_cents;
    t->date = date;
    t->pad = 0;
    return TX_OK;
}

/* Reads the stored transactions of the owned shards for the reduce step (streamed from each
 * store into one array: the reduce takes its transactions whole). */
static int read_stored(tx_job *j, tx_txn **out, size_t *n, tx_error *err)
{
    txn_array a = {malloc(((size_t)1 << 16) * sizeof *a.t), 0, (size_t)1 << 16};
    if (!a.t)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    int rc = TX_OK;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++)
        if (j->mine[s])
            rc = tx_store_read_txns(j->mine[s], add_txn, &a, err);
    if (rc != TX_OK) {
        free(a.t);
        return rc;
    }
    *out = a.t;
    *n = a.n;
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
        tx_store_close(&j->mine[s]);
    for (int s = 0; j->homes && s < j->nshards; s++) {
        tx_home *h = &j->homes[s];
        for (int k = 0; k < TX_ROW_LOADERS; k++)
            tx_buf_free(&h->rows[k]);
        tx_buf_free(&h->dir);
        tx_buf_free(&h->audit);
        tx_buf_free(&h->removes);
    }
    free(j->homes);
    free(j->routed);
    j->routed = NULL;
    free(j->shard_rows);
    free(j->shard_removed);
    j->homes = NULL;
    j->shard_rows = j->shard_removed = NULL;
    free(j->mine);
    free(j->bound);
    j->mine = NULL;
    j->bound = NULL;
}

/* Collective. Rank 0 writes --summary-json (also for a failed run): run id, status, the §4
 * counts, phase timings and, per shard, the rows this run stored and removed. */
static void write_summary(tx_job *j, int rc, const tx_error *err)
{
    if (!j->o->summary_json || !j->shard_rows)
        return;
    MPI_Allreduce(MPI_IN_PLACE, j->shard_rows, j->nshards, MPI_UINT64_T, MPI_SUM, j->comm);
    MPI_Allreduce(MPI_IN_PLACE, j->shard_removed, j->nshards, MPI_UINT64_T, MPI_SUM, j->comm);
    if (j->rank != 0)
        return;
    FILE *f = fopen(j->o->summary_json, "w");
    if (!f) {
        TX_LOG(TX_LOG_ERROR, "%s: cannot write the JSON summary: %m", j->o->summary_json);
        return;
    }
    const tx_run_counts *k = &j->counts;
    double secs = MPI_Wtime() - j->t0;
    fprintf(f, "{\n  \"run_id\": \"%s\",\n  \"status\": \"%s\",\n  \"dry_run\": %s,\n",
            j->run_id, rc == TX_OK ? "succeeded" : "failed", j->o->dry_run ? "true" : "false");
    if (rc != TX_OK) {
        fputs("  \"error\": \"", f);
        for (const char *p = err->msg; *p; p++)
            fprintf(f, (*p == '"' || *p == '\\') ? "\\%c" : ((unsigned char)*p < 0x20 ? "?" : "%c"),
                    *p);
        fputs("\",\n", f);
    }
    fprintf(f, "  \"ranks\": %d,\n  \"shards\": %d,\n  \"seconds\": %.3f,\n  "
               "\"rows_per_second\": %.1f,\n", j->nranks, j->nshards, secs,
            secs > 0 ? (double)k->read / secs : 0.0);
    fprintf(f, "  \"counts\": {\"read\": %" PRIu64 ", \"rejected\": %" PRIu64 ", \"inserted\": %"
               PRIu64 ", \"updated\": %" PRIu64 ", \"moved\": %" PRIu64 ", \"deleted\": %" PRIu64
               ", \"stale\": %" PRIu64 ", \"superseded\": %" PRIu64 "},\n",
            k->read, k->rejected, k->inserted, k->updated, k->moved, k->deleted, k->stale,
            k->superseded);
    static const char *names[TX_NPHASES] = {"scan_route", "decide_apply", "finish",
                                            "commit", "reduce_snapshot"};
    fputs("  \"phase_seconds\": {", f);
    for (int p = 0; p < TX_NPHASES; p++)
        fprintf(f, "%s\"%s\": %.3f", p ? ", " : "", names[p], j->phase_s[p]);
    fputs("},\n  \"shard_rows\": [", f);
    for (int s = 0; s < j->nshards; s++)
        fprintf(f, "%s{\"shard\": %d, \"stored\": %" PRIu64 ", \"removed\": %" PRIu64 "}",
                s ? ", " : "", s, j->shard_rows[s], j->shard_removed[s]);
    fputs("]\n}\n", f);
    if (fclose(f) != 0)
        TX_LOG(TX_LOG_ERROR, "%s: cannot write the JSON summary: %m", j->o->summary_json);
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

/* Collective. A job for this communicator with its run id. */
static void job_init(tx_job *j, MPI_Comm comm, const tx_load_opts *o)
{
    memset(j, 0, sizeof *j);
    j->comm = comm;
    j->o = o;
    MPI_Comm_rank(comm, &j->rank);
    MPI_Comm_size(comm, &j->nranks);
    j->t0 = j->phase_t0 = MPI_Wtime();
    make_run_id(j);
}

int tx_load_run(MPI_Comm comm, const tx_load_opts *o, tx_run_info *run, tx_error *err)
{
    tx_job job, *j = &job;
    job_init(j, comm, o);
    tx_input *in = NULL;
    uint64_t *hist = NULL;
    tx_sorter *sorter = NULL;
    /* --dry-run is decided here, once: the null store (it connects to nothing and writes
     * nothing), each version's route counted instead of shipped, and the run ends after the
     * scan with the counts. */
    const int dry = o->dry_run;

    int rc = preflight(j, dry ? &tx_store_null : &tx_store_mariadb, err);
    if (rc == TX_OK)
        rc = tx_input_open(comm, o->files, o->nfiles, &in, err);
    if (rc != TX_OK)
        goto out;
    j->runs_row = !dry; /* the run has started: etl_runs records how it ends (at out:) */
    for (int f = 0; f < tx_input_nfiles(in) && j->rank == 0; f++)
        if (tx_input_header(in, f)->unknown[0])
            TX_LOG(TX_LOG_INFO, "%s: ignoring unknown columns: %s", tx_input_path(in, f),
                   tx_input_header(in, f)->unknown);

    /* phase 1: scan, validate, route versions to their directory shards (sorted there) */
    hist = calloc(TX_NDAYS, sizeof *hist);
    scan_src ss = {.in = in, .hist = hist, .route = dry ? route_count : route_ship,
                   .last = MPI_Wtime()};
    ss.routed = j->routed = calloc((size_t)j->nranks, sizeof *j->routed);
    char *ppath = part_path(j, j->rank);
    if (!hist || !ppath || !ss.routed || tx_cursor_new(in, &ss.cur, err) != TX_OK ||
        tx_sorter_new(sort_records(), &sorter, err) != TX_OK)
        MPI_Abort(comm, 3);
    if (!(ss.rej = fopen(ppath, "w")))
        rc = tx_error_set(err, TX_ERR, "%s: cannot write rejects: %m", ppath);
    rc = tx_agree(comm, rc, err);
    if (rc == TX_OK)
        rc = routed_phase(j, versions_source, &ss, versions_sink, sorter, err);
    if (ss.rej && fclose(ss.rej) != 0 && rc == TX_OK)
        rc = tx_error_set(err, TX_ERR, "%s: cannot write rejects: %m", ppath);
    free(ppath);
    tx_cursor_free(&ss.cur);
    rc = tx_agree(comm, rc, err);
    if (rc == TX_OK) /* (empty when versions were only counted) */
        rc = tx_agree(comm, tx_sorter_finish(sorter, err), err);
    if (rc != TX_OK)
        goto out;
    sum_counts(j, &j->counts);
    MPI_Allreduce(MPI_IN_PLACE, hist, TX_NDAYS, MPI_UINT64_T, MPI_SUM, comm);
    if ((rc = join_rejects(j, err)) != TX_OK)
        goto out;
    log_phase(j, PH_SCAN, "scanned, validated and routed");
    if (j->rank == 0 && !o->quiet)
        TX_LOG(TX_LOG_INFO, "%" PRIu64 " records read, %" PRIu64 " rejected (see %s)",
               j->counts.read, j->counts.rejected, o->rejects_path);
    if ((double)j->counts.rejected > o->max_reject_rate * (double)j->counts.read) {
        rc = tx_error_set(err, TX_ERR, "%" PRIu64 " of %" PRIu64 " records rejected (%.4f), over "
                          "--max-reject-rate %g; nothing was written but this run's failed "
                          "etl_runs row (see %s)",
                          j->counts.rejected, j->counts.read,
                          (double)j->counts.rejected / (double)j->counts.read, o->max_reject_rate,
                          o->rejects_path);
        goto out;
    }
    if (o->max_rejects >= 0 && j->counts.rejected > (uint64_t)o->max_rejects) {
        rc = tx_error_set(err, TX_ERR, "%" PRIu64 " of %" PRIu64 " records rejected, over "
                          "--max-rejects %lld; nothing was written but this run's failed "
                          "etl_runs row (see %s)",
                          j->counts.rejected, j->counts.read, o->max_rejects, o->rejects_path);
        goto out;
    }
    if (dry) {
        MPI_Allreduce(MPI_IN_PLACE, ss.routed, j->nranks, MPI_UINT64_T, MPI_SUM, comm);
        for (int r = 0; r < j->nranks && j->rank == 0 && !o->quiet; r++)
            TX_LOG(TX_LOG_INFO, "dry run: rank %d would decide %" PRIu64 " versions", r,
                   ss.routed[r]);
        goto out;
    }
    if (j->fresh)
        choose_bounds(j, hist);
    rc = tx_apply_runs_row(j, "running", NULL, NULL, err);
    if (rc == TX_OK)
        rc = write_map(j, err);
    if (rc == TX_OK)
        rc = tx_load_identity_write(j, err);
    rc = tx_agree(comm, rc, err);
    j->runs_row = 1;
    if (rc != TX_OK)
        goto out;

    /* phase 3: decide, rows and removals to the shards of their dates */
    decide_src *ds = calloc(1, sizeof *ds);
    if (!ds)
        MPI_Abort(comm, 3);
    ds->sorter = sorter;
    ds->last = MPI_Wtime();
    decide_opts(j, in, ds);
    rc = tx_agree(comm, tx_apply_begin(j, hist, err), err);
    if (rc == TX_OK)
        rc = routed_phase(j, decide_source, ds, rows_sink, NULL, err);
    tx_run_counts local = ds->counts;
    free(ds->blk);
    free(ds->fetched);
    free(ds->file_cols);
    free(ds);
    tx_sorter_free(&sorter);
    if (rc != TX_OK)
        goto out;
    sum_counts(j, &local);
    j->counts.inserted = local.inserted, j->counts.updated = local.updated;
    j->counts.moved = local.moved, j->counts.deleted = local.deleted;
    j->counts.stale = local.stale, j->counts.superseded = local.superseded;
    log_phase(j, PH_APPLY, "decided and applied rows");

    /* phase 4: removals, indexes, revenue; then the directory and audit commit */
    rc = tx_agree(comm, tx_apply_finish(j, err), err);
    if (rc == TX_OK)
        log_phase(j, PH_FINISH, "removals, indexes and revenue_daily");
    if (rc == TX_OK)
        rc = tx_agree(comm, tx_apply_directory(j, err), err);
    j->committed = rc == TX_OK; /* a later failure's etl_runs row keeps the applied counts */
    if (rc == TX_OK)
        rc = tx_agree(comm, tx_apply_runs_row(j, "running", NULL, NULL, err), err);
    if (rc != TX_OK)
        goto out;
    log_phase(j, PH_COMMIT, "committed the directory and audit log");
    fill_run(j, run);

    /* phase 5: reduce */
    if (!o->no_snapshot) {
        rc = reduce_phase(j, run, err);
        if (rc == TX_OK)
            log_phase(j, PH_REDUCE, "reduce and snapshot");
    }
    char finished[32];
    utc_now_agreed(j, finished);
    if (rc == TX_OK)
        rc = tx_agree(comm, tx_apply_runs_row(j, "succeeded", finished, NULL, err), err);

out:
    if (rc != TX_OK && j->runs_row) { /* every rank is here: failures are agreed */
        tx_error ignore = {0};
        char failed_at[32];
        utc_now_agreed(j, failed_at);
        tx_apply_runs_row(j, "failed", failed_at, err->msg, &ignore);
    }
    fill_run(j, run);
    write_summary(j, rc, err);
    tx_sorter_free(&sorter);
    free(hist);
    tx_input_free(&in);
    job_close(j);
    return rc;
}

int tx_snapshot_run(MPI_Comm comm, const tx_load_opts *o, tx_run_info *run, tx_error *err)
{
    tx_job job, *j = &job;
    job_init(j, comm, o);
    int rc = tx_shardfile_count(o->shards_path, &j->nshards, err);
    rc = tx_agree(comm, rc, err);
    if (rc == TX_OK) {
        j->mine = calloc((size_t)j->nshards, sizeof *j->mine);
        if (!j->mine)
            MPI_Abort(comm, 3);
        for (int s = 0; s < j->nshards && rc == TX_OK; s++)
            if (tx_job_owner(j, s) == j->rank)
                rc = tx_store_open_read(&tx_store_mariadb, o->shards_path, s, &j->mine[s],
                                        err);
        rc = tx_load_check(j, rc, 0, err); /* reads only: identity and tables */
    }
    if (rc == TX_OK) {
        fill_run(j, run);
        rc = reduce_phase(j, run, err);
    }
    job_close(j);
    return rc;
}
