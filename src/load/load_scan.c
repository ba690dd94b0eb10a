/* load_scan.c - phase 1: one parse of this rank's share of the input. Rejected records go to
 * this rank's rejects part, valid records count in the date histogram and are sent, as
 * versions, to the rank owning their directory shard, which sorts them (spill.h) for phase 2:
 * the decision needs only the id, so no second parse is needed. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "load_internal.h"
#include "txetl/alloc.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"

typedef struct scan_src scan_src;

/* What becomes of a valid version, `shard` its directory shard: tx_scan_phase picks one. */
typedef int (*route_fn)(tx_job *j, scan_src *ss, tx_outbox *ob, int shard, const tx_record *r,
                        tx_error *err);

/* The scan's source. */
struct scan_src {
    tx_cursor *cur;
    tx_input *in;
    tx_rejects_part rej;
    uint64_t *hist;
    uint64_t *routed; /* [nranks]: versions per destination rank (route_count) */
    route_fn route;
    double last;
    tx_fx *fx;        /* a load with a snapshot: the versions' currencies counted (load_fx.c) */
    tx_fx_need *need;
    int32_t as_of;
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
        j->sum.counts.read++;
        if (raw.reject != TX_REJ_NONE) {
            j->sum.counts.rejected++;
            int rc = tx_rejects_put(j, &ss->rej, tx_input_path(ss->in, (int)raw.file_index),
                                    &raw, err);
            if (rc != TX_OK)
                return rc;
            continue;
        }
        ss->hist[rec.date]++;
        if (ss->fx && (ss->as_of == INT32_MIN || rec.date <= ss->as_of))
            tx_fx_need_add(ss->need, ss->fx, tx_currency_pack(rec.currency), rec.date, 1);
        int rc = ss->route(j, ss, ob, tx_job_dir_shard(j, rec.transaction_id), &rec, err);
        if (rc != TX_OK)
            return rc;
    }
    progress(j, "scan", tx_cursor_done_bytes(ss->cur), tx_input_share_bytes(ss->in),
             j->sum.counts.read * (uint64_t)j->nranks, &ss->last);
    *more = 1;
    return TX_OK;
}

/* The scan's sink: versions into the sorter (none arrive when they are only counted). */
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

/* Versions sorted in memory before a run spills: TX_SORT_RECORDS, or TXETL_SORT_RECORDS (tests
 * set it small to exercise spilled runs and their merge). */
static size_t sort_records(void)
{
    const char *env = getenv("TXETL_SORT_RECORDS");
    long v = env ? atol(env) : 0;
    return v > 0 ? (size_t)v : TX_SORT_RECORDS;
}

int tx_scan_open(tx_job *j, tx_scan *sc, tx_error *err)
{
    int rc = tx_input_open(j->comm, j->o->files, j->o->nfiles, &sc->in, err);
    if (rc != TX_OK)
        return rc;
    for (int f = 0; f < tx_input_nfiles(sc->in) && j->rank == 0; f++)
        if (tx_input_header(sc->in, f)->unknown[0])
            TX_LOG(TX_LOG_INFO, "%s: ignoring unknown columns: %s", tx_input_path(sc->in, f),
                   tx_input_header(sc->in, f)->unknown);
    return TX_OK;
}

/* The rounds of the scan: source and sink set up, run, released; the agreed status. */
static int scan_rounds(tx_job *j, tx_scan *sc, scan_src *ss, tx_error *err)
{
    int rc = tx_cursor_new(sc->in, &ss->cur, err);
    if (rc == TX_OK)
        rc = tx_sorter_new(sort_records(), &sc->sorter, err);
    if (rc == TX_OK)
        rc = tx_rejects_part_open(j, &ss->rej, err);
    rc = tx_agree(j->comm, rc, err);
    if (rc == TX_OK)
        rc = tx_routed_phase(j, versions_source, ss, versions_sink, sc->sorter, err);
    rc = tx_rejects_part_close(&ss->rej, rc, err);
    tx_cursor_free(&ss->cur);
    rc = tx_agree(j->comm, rc, err);
    if (rc == TX_OK) /* (empty when versions were only counted) */
        rc = tx_agree(j->comm, tx_sorter_finish(sc->sorter, err), err);
    return rc;
}

int tx_scan_phase(tx_job *j, tx_scan *sc, int count_routes, tx_error *err)
{
    const tx_load_opts *o = j->o;
    tx_run_counts *c = &j->sum.counts;
    sc->hist = TX_XCALLOC(TX_NDAYS, sizeof *sc->hist);
    scan_src ss = {.in = sc->in, .hist = sc->hist, .route = count_routes ? route_count : route_ship,
                   .last = MPI_Wtime(), .fx = sc->fx, .need = &sc->need,
                   .as_of = o->analytics.as_of};
    ss.routed = TX_XCALLOC((size_t)j->nranks, sizeof *ss.routed);
    int rc = scan_rounds(j, sc, &ss, err);
    if (rc == TX_OK) {
        tx_summary_sum_counts(j->comm, c);
        MPI_Allreduce(MPI_IN_PLACE, sc->hist, TX_NDAYS, MPI_UINT64_T, MPI_SUM, j->comm);
        rc = tx_rejects_join(j, err);
    }
    if (rc == TX_OK) {
        tx_summary_phase_done(&j->sum, TX_PHASE_SCAN, "scanned, validated and routed");
        if (j->sum.talk)
            TX_LOG(TX_LOG_INFO, "%" PRIu64 " records read, %" PRIu64 " rejected (see %s)",
                   c->read, c->rejected, o->rejects_path);
        if ((double)c->rejected > o->max_reject_rate * (double)c->read)
            rc = tx_error_set(err, TX_ERR, "%" PRIu64 " of %" PRIu64 " records rejected (%.4f), "
                              "over --max-reject-rate %g; nothing was written but this run's "
                              "failed etl_runs row (see %s)", c->rejected, c->read,
                              (double)c->rejected / (double)c->read, o->max_reject_rate,
                              o->rejects_path);
        else if (o->max_rejects >= 0 && c->rejected > (uint64_t)o->max_rejects)
            rc = tx_error_set(err, TX_ERR, "%" PRIu64 " of %" PRIu64 " records rejected, over "
                              "--max-rejects %lld; nothing was written but this run's failed "
                              "etl_runs row (see %s)", c->rejected, c->read, o->max_rejects,
                              o->rejects_path);
    }
    if (rc == TX_OK && count_routes) {
        MPI_Allreduce(MPI_IN_PLACE, ss.routed, j->nranks, MPI_UINT64_T, MPI_SUM, j->comm);
        for (int r = 0; r < j->nranks && j->sum.talk; r++)
            TX_LOG(TX_LOG_INFO, "dry run: rank %d would decide %" PRIu64 " versions", r,
                   ss.routed[r]);
    }
    free(ss.routed);
    return rc;
}

void tx_scan_close(tx_scan *sc)
{
    tx_sorter_free(&sc->sorter);
    free(sc->hist);
    sc->hist = NULL;
    tx_fx_free(sc->fx);
    sc->fx = NULL;
    tx_fx_need_free(&sc->need);
    tx_input_free(&sc->in);
}
