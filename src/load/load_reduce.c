/* load_reduce.c - phase 5 (and `txetl snapshot`): the reduce step over what the shards store,
 * streamed shard by shard (nothing is collected here), and the snapshot (txetl/reduce.h).
 *
 * Who reads what: the stored dates are cut at month starts into one range per rank, balanced
 * by the rows the shards' month partitions hold (the servers' estimates; rank 0 chooses, every
 * rank gets its range). Every rank reads, from every shard whose dates meet its range, those
 * dates, over a read-only connection of its own. So the read scales with the ranks whatever
 * the shard count (one shard read by two ranks is two halves of its months read at once), each
 * row is scanned once, in the partitions' clustered order, and the reduce's sources stay what
 * they were: disjoint date ranges, one per (rank, shard) pair. */
#include <stdlib.h>
#include <string.h>

#include "load_internal.h"
#include "txetl/alloc.h"
#include "txetl/calendar.h"
#include "txetl/fmt.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"
#include "txetl/reduce.h"

/* A source of the reduce step: one shard's transactions dated in [lo, hi). */
typedef struct range_src {
    tx_store *store;
    int32_t lo, hi;
} range_src;

static int read_range(void *ctx, tx_reduce_row_fn row, void *sink, tx_error *err)
{
    const range_src *s = ctx;
    return tx_store_read_dates(s->store, s->lo, s->hi, row, sink, err);
}

/* Estimated rows per month over the shards (rank 0's tally). */
typedef struct month_tally {
    double *w; /* [TX_NMONTHS] */
    int32_t lower, upper; /* the shard's date range: partitions clipped to it */
} month_tally;

static int tally_part(void *ctx, int32_t lower, int32_t upper, uint64_t rows, tx_error *err)
{
    (void)err;
    month_tally *t = ctx;
    if (lower < t->lower)
        lower = t->lower;
    if (upper > t->upper)
        upper = t->upper;
    if (rows == 0 || lower >= upper)
        return TX_OK;
    /* the rows of a partition of several months (a gap partition: none, normally) spread
     * evenly over its months in [0, TX_NDAYS) */
    int32_t a = lower < 0 ? 0 : lower, b = upper > TX_NDAYS ? TX_NDAYS : upper;
    if (a >= b)
        return TX_OK;
    int m0 = tx_month_index(a), m1 = tx_month_index(b - 1);
    for (int m = m0; m <= m1; m++)
        t->w[m] += (double)rows / (m1 - m0 + 1);
    return TX_OK;
}

/* The first day of month index m. */
static int32_t month_start(int m)
{
    return tx_days_from_civil(TX_YEAR_FIRST + m / 12, m % 12 + 1, 1);
}

/* Local (rank 0). cut[0..R]: rank r reads the dates [cut[r], cut[r + 1]); cut[0] = INT32_MIN,
 * cut[R] = INT32_MAX, the others month starts with about equal estimated rows between them
 * (each cut at the month boundary nearest its share). No estimate at all: rank 0 reads
 * everything. */
static void choose_cuts(const double *w, int R, int32_t *cut)
{
    double total = 0;
    for (int m = 0; w && m < TX_NMONTHS; m++)
        total += w[m];
    cut[0] = INT32_MIN;
    for (int k = 1; k <= R; k++)
        cut[k] = INT32_MAX;
    double cum = 0;
    int k = 1;
    for (int m = 0; m < TX_NMONTHS && k < R && total > 0; m++) {
        /* cuts before month m for every share it would overshoot by more than it undershoots */
        while (k < R && cum + w[m] > total * k / R &&
               total * k / R - cum <= cum + w[m] - total * k / R) {
            cut[k++] = month_start(m);
        }
        cum += w[m];
    }
    for (int i = 1; i < R; i++) /* ascending (equal cuts: the rank between reads nothing) */
        if (cut[i] < cut[i - 1])
            cut[i] = cut[i - 1];
}

/* Collective. lower[s] / upper[s]: shard s's date range (this run's shard map, or - txetl
 * snapshot - the one its owner reads from the shard; a shard without one: unbounded). The
 * same on every rank; the status too. */
static int shard_ranges(tx_job *j, int bounds_known, int32_t *lower, int32_t *upper,
                        tx_error *err)
{
    const int n = j->nshards;
    int32_t *b = TX_XMALLOC(((size_t)n + 1) * sizeof *b);
    int rc = TX_OK;
    for (int s = 0; s < n; s++) {
        lower[s] = INT32_MAX; /* not this rank's: the owner's values win the MIN / MAX */
        upper[s] = INT32_MIN;
        if (!j->mine[s] || rc != TX_OK)
            continue;
        int has = 1;
        b[s] = INT32_MIN;
        b[s + 1] = INT32_MAX;
        if (bounds_known)
            memcpy(b, j->bound, ((size_t)n + 1) * sizeof *b);
        else
            rc = tx_map_read(j, s, b, &has, err);
        lower[s] = has ? b[s] : INT32_MIN;
        upper[s] = has ? b[s + 1] : INT32_MAX;
    }
    free(b);
    rc = tx_agree(j->comm, rc, err);
    if (rc != TX_OK)
        return rc;
    MPI_Allreduce(MPI_IN_PLACE, lower, n, MPI_INT32_T, MPI_MIN, j->comm);
    MPI_Allreduce(MPI_IN_PLACE, upper, n, MPI_INT32_T, MPI_MAX, j->comm);
    return TX_OK;
}

int tx_load_reduce(tx_job *j, int bounds_known, int staged, tx_run_info *run, char *path,
                   size_t path_len, tx_error *err)
{
    const int n = j->nshards, R = j->nranks;
    int32_t *lower = TX_XMALLOC(((size_t)n + 1) * sizeof *lower);
    int32_t *upper = TX_XMALLOC(((size_t)n + 1) * sizeof *upper);
    int32_t *cut = TX_XMALLOC(((size_t)R + 1) * sizeof *cut);
    tx_store **st = TX_XCALLOC((size_t)n + 1, sizeof *st);
    range_src *rs = TX_XCALLOC((size_t)n + 1, sizeof *rs);
    tx_reduce_source *src = TX_XCALLOC((size_t)n + 1, sizeof *src);
    int rc = shard_ranges(j, bounds_known, lower, upper, err);
    /* Every shard, over a read-only connection of this rank's own (a run's own connections
     * may hold its lock and stay as they are). */
    for (int s = 0; s < n && rc == TX_OK; s++)
        rc = tx_store_open_read(&tx_store_mariadb, j->o->shards_path, s, &st[s], err);
    /* The ranks' date ranges: rank 0 tallies every shard's month partitions. */
    if (rc == TX_OK && j->rank == 0 && R > 1) {
        month_tally t = {TX_XCALLOC(TX_NMONTHS, sizeof(double)), 0, 0};
        for (int s = 0; s < n && rc == TX_OK; s++) {
            t.lower = lower[s];
            t.upper = upper[s];
            rc = tx_store_month_rows(st[s], tally_part, &t, err);
        }
        choose_cuts(t.w, R, cut);
        free(t.w);
    } else {
        choose_cuts(NULL, 1, cut); /* one rank: everything */
    }
    rc = tx_agree(j->comm, rc, err);
    int nsrc = 0;
    if (rc == TX_OK) {
        if (R > 1)
            MPI_Bcast(cut, R + 1, MPI_INT32_T, 0, j->comm);
        const int32_t lo = cut[j->rank], hi = cut[j->rank + 1];
        char a[16] = "start", z[16] = "end";
        if (lo != INT32_MIN)
            tx_format_date(lo, a);
        if (hi != INT32_MAX)
            tx_format_date(hi, z);
        TX_LOG(TX_LOG_DEBUG, "reduce: rank %d reads the dates [%s, %s) of every shard", j->rank,
               lo < hi ? a : "-", lo < hi ? z : "-");
        /* Each shard is read for all of this rank's dates, its source declared with the
         * shard's part of them (maybe none): a row outside its shard's range fails the fold's
         * check, as when one rank read the whole shard. */
        for (int s = 0; s < n; s++) {
            int32_t a = lower[s] > lo ? lower[s] : lo, b = upper[s] < hi ? upper[s] : hi;
            rs[nsrc] = (range_src){st[s], lo, hi};
            src[nsrc] = (tx_reduce_source){read_range, &rs[nsrc], a, b > a ? b : a};
            nsrc++;
        }
    }
    free(lower);
    free(upper);
    free(cut);
    if (rc == TX_OK) {
        double t = MPI_Wtime();
        tx_analytics_opts opts = j->o->analytics;
        opts.staged = staged; /* a load's snapshot is put in place once its run succeeded */
        rc = tx_reduce_snapshot_stream(j->comm, src, nsrc, &opts, run,
                                       j->o->snapshot_dir ? j->o->snapshot_dir : "snapshots",
                                       path, path_len, err);
        if (rc == TX_OK && j->rank == 0 && !j->o->quiet)
            TX_LOG(TX_LOG_INFO, "snapshot written: %s (reduce %.2f s)", path, MPI_Wtime() - t);
    }
    for (int s = 0; s < n; s++)
        tx_store_close(&st[s]);
    free(st);
    free(rs);
    free(src);
    return rc;
}
