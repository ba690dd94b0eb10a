/* reshard.c - `txetl reshard` (reshard.h, docs/reshard.md): the phases in order.
 *
 *   preflight  what every group of the shard file holds (identity, journal, rows, unfinished
 *              loads), gathered on every rank; the checks; the boundaries (new: from the
 *              global date histogram; resumed: from the journal); --plan stops here
 *   journal    schema and journal in every shard (the new ones get their tables first)
 *   moves      rows, revenue_daily rows, directory blocks (reshard_move.c); etl_runs rows to
 *              the new shards; then the journal says 'moved'
 *   switch     each shard: shard_map, identity count, journal 'switched' in one transaction
 *   cleanup    the journal deleted everywhere; the router refreshed
 *
 * Shard s (old or new) is owned by rank s % R: that rank takes its run lock and writes its
 * journal, switch and cleanup, and moves its revenue_daily rows and directory blocks out of it.
 * The rows of each (old shard, new shard) pair are moved by one rank, the pairs spread over all
 * ranks by their rows (assign_movers). Every phase ends with tx_agree, reached by every rank
 * also on errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reshard_internal.h"
#include "txetl/calendar.h"
#include "txetl/fmt.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"
#include "txetl/router.h"
#include "txetl/testhook.h"

int tx_rs_store(tx_rs *r, int s, tx_store **out, tx_error *err)
{
    if (r->own[s]) {
        *out = r->own[s];
        return TX_OK;
    }
    if (!r->peer[s]) {
        int rc = tx_store_open(&tx_store_mariadb, r->o->shards_path, s, &r->peer[s], err);
        if (rc != TX_OK)
            return rc;
    }
    *out = r->peer[s];
    return TX_OK;
}

int tx_rs_shard_of(const tx_rs *r, int32_t date)
{
    int s = 0;
    while (s + 1 < r->m && date >= r->bound[s + 1])
        s++;
    return s;
}

void tx_reshard_choose(const uint64_t *hist, int m, double last_share, int32_t *bound)
{
    uint64_t total = 0;
    for (int d = 0; d < TX_NDAYS; d++)
        total += hist[d];
    bound[0] = INT32_MIN;
    bound[m] = INT32_MAX;
    /* shards 0..m-2 weigh 1, the last last_share: boundary i at i / (m - 1 + last_share) */
    const double w = (double)(m - 1) + last_share;
    uint64_t cum = 0;
    int d = 0;
    for (int i = 1; i < m; i++) {
        double target = (double)total * (double)i / w;
        /* the first day at which the rows before it reach the target, or the day after whose
         * rows would overshoot it by more than they undershoot */
        while (d < TX_NDAYS && (double)(cum + hist[d]) <= target)
            cum += hist[d++];
        if (d < TX_NDAYS && hist[d] && target - (double)cum > (double)(cum + hist[d]) - target)
            cum += hist[d++];
        int32_t b = d;
        if (i > 1 && b <= bound[i - 1])
            b = bound[i - 1] + 1;
        if (i == 1 && b < 1)
            b = 1;
        bound[i] = b;
    }
}

/* ---- preflight --------------------------------------------------------------------------- */

/* What every group holds, gathered from the owners (zero elsewhere: OR gathers). */
typedef struct rs_view {
    tx_store_facts *f;
    tx_store_reshard_facts *rf;
} rs_view;

static int journal_bounds(tx_rs *r, tx_error *err)
{
    r->bound[0] = INT32_MIN;
    r->bound[r->m] = INT32_MAX;
    const char *p = r->j.boundaries;
    for (int i = 1; i < r->m; i++) {
        int y, mo, d, used = 0;
        if (sscanf(p, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3)
            return tx_error_set(err, TX_EUSAGE, "the reshard journal (reshard_state) holds "
                                "boundaries '%s', not %d dates: it was not written by this "
                                "txetl", r->j.boundaries, r->m - 1);
        r->bound[i] = tx_days_from_civil(y, mo, d);
        p += used;
        if (*p == ',')
            p++;
    }
    return TX_OK;
}

static void bounds_text(tx_rs *r)
{
    size_t l = 0;
    r->j.boundaries[0] = '\0';
    for (int i = 1; i < r->m && l + 12 < sizeof r->j.boundaries; i++) {
        char d[11];
        l += (size_t)snprintf(r->j.boundaries + l, sizeof r->j.boundaries - l, "%s%s",
                              i > 1 ? "," : "", tx_format_date(r->bound[i], d));
    }
}

/* The checks on the gathered view; the same result on every rank. *resume, r->n, r->j. */
static int decide(tx_rs *r, const rs_view *v, int *resume, int *done, tx_error *err)
{
    const char *path = r->o->shards_path;
    const int m = r->m;
    *resume = *done = 0;
    for (int a = 0; a < m; a++)
        for (int b = a + 1; b < m; b++)
            if (v->f[a].key[0] && !strcmp(v->f[a].key, v->f[b].key))
                return tx_error_set(err, TX_EUSAGE, "shard file %s: [shard%d] and [shard%d] "
                                    "reach the same database %s on %s: each group must reach "
                                    "a server of its own", path, a, b, v->f[a].database,
                                    v->f[a].where);
    int jg = -1;
    for (int g = 0; g < m; g++)
        if (v->rf[g].has_journal) {
            if (jg < 0)
                jg = g;
            else if (strcmp(v->rf[g].journal.reshard_id, v->rf[jg].journal.reshard_id))
                return tx_error_set(err, TX_EUSAGE, "[shard%d] and [shard%d] hold journals of "
                                    "different reshards (%s, %s): the shard file mixes "
                                    "clusters", jg, g, v->rf[jg].journal.reshard_id,
                                    v->rf[g].journal.reshard_id);
        }
    if (jg >= 0) {
        const tx_store_reshard_journal *j = &v->rf[jg].journal;
        if (j->to != m)
            return tx_error_set(err, TX_EUSAGE, "a reshard of this cluster from %d to %d "
                                "shards is unfinished, but shard file %s has %d groups: rerun "
                                "`txetl reshard --shards FILE` with the shard file of %d "
                                "groups it was started with", j->from, j->to, path, m, j->to);
        for (int g = 0; g < m; g++) {
            const tx_store_facts *f = &v->f[g];
            if (f->has_identity && (strcmp(f->cluster_id, j->cluster_id) || f->index != g ||
                                    (f->count != j->from && f->count != j->to)))
                return tx_error_set(err, TX_EUSAGE, "shard file %s: [shard%d] reaches shard %d "
                                    "of %d of cluster %.8s... (database %s on %s), but the "
                                    "unfinished reshard %s grows cluster %.8s... from %d to %d "
                                    "shards: fix the group", path, g, f->index, f->count,
                                    f->cluster_id, f->database, f->where, j->reshard_id,
                                    j->cluster_id, j->from, j->to);
        }
        r->j = *j;
        r->n = j->from;
        *resume = 1;
        return journal_bounds(r, err);
    }
    const tx_store_facts *f0 = &v->f[0];
    if (!f0->has_identity)
        return tx_error_set(err, TX_EUSAGE, "shard file %s: [shard0] (database %s on %s) holds "
                            "no cluster identity: a reshard grows a loaded cluster; load it "
                            "first", path, f0->database, f0->where);
    const int n = f0->count;
    if (m < n)
        return tx_error_set(err, TX_EUSAGE, "shard file %s has %d groups but the cluster has %d "
                            "shards: txetl reshard only grows a cluster (the file must hold "
                            "[shard0]..[shard%d] unchanged, then the new servers)", path, m, n,
                            n - 1);
    char cid[40];
    int rc = tx_store_cluster_check(v->f, n, path, cid, err);
    if (rc != TX_OK)
        return rc;
    for (int g = 0; g < n; g++) {
        if (!v->f[g].has_identity)
            return tx_error_set(err, TX_EUSAGE, "shard file %s: [shard%d] (database %s on %s) "
                                "holds no cluster identity: finish loading the cluster (run a "
                                "load) before growing it", path, g, v->f[g].database,
                                v->f[g].where);
        if (v->rf[g].running_run[0])
            return tx_error_set(err, TX_EUSAGE, "shard %d: load run %s did not finish (etl_runs "
                                "says running, or its journal holds it unfinished): run the "
                                "next load or `txetl snapshot` first (it completes or undoes "
                                "that run; `txetl status` says which), then txetl reshard", g, v->rf[g].running_run);
        if (v->rf[g].revenue_dirty)
            return tx_error_set(err, TX_EUSAGE, "shard %d: an earlier load died before it "
                                "recomputed revenue_daily: run a load (it repairs it), then "
                                "run txetl reshard", g);
    }
    if (m == n) {
        *done = 1;
        r->n = n;
        return TX_OK;
    }
    for (int g = n; g < m; g++) {
        const tx_store_facts *f = &v->f[g];
        const tx_store_reshard_facts *x = &v->rf[g];
        if (f->has_identity)
            return tx_error_set(err, TX_EUSAGE, "shard file %s: [shard%d] is a new shard but "
                                "reaches shard %d of %d of cluster %.8s... (database %s on %s): "
                                "a new group must reach an empty server", path, g, f->index,
                                f->count, f->cluster_id, f->database, f->where);
        if (x->rows || x->blocks || x->revenue_rows || x->runs || x->map_rows)
            return tx_error_set(err, TX_EUSAGE, "shard file %s: [shard%d] is a new shard but "
                                "database %s on %s holds txetl data (%llu transactions, %llu "
                                "directory blocks, %llu etl_runs rows): point the group at an "
                                "empty server, or drop that database", path, g, f->database,
                                f->where, (unsigned long long)x->rows,
                                (unsigned long long)x->blocks, (unsigned long long)x->runs);
    }
    r->n = n;
    snprintf(r->j.cluster_id, sizeof r->j.cluster_id, "%.32s", cid);
    r->j.from = n;
    r->j.to = m;
    snprintf(r->j.phase, sizeof r->j.phase, "moving");
    return TX_OK;
}

/* Rows per (source, target) from each owned shard's histogram, summed over ranks: mat[s * m + t]
 * = rows of shard s whose date belongs to new shard t. Collective. */
static int histograms(tx_rs *r, int fresh, uint64_t *mat, tx_error *err)
{
    uint64_t *hist = calloc(TX_NDAYS, sizeof *hist);
    uint64_t *mine = calloc(TX_NDAYS, sizeof *mine);
    int rc = hist && mine ? TX_OK : tx_error_set(err, TX_ENOMEM, "out of memory");
    memset(mat, 0, (size_t)r->m * (size_t)r->m * sizeof *mat);
    uint64_t **per = calloc((size_t)r->m, sizeof *per);
    if (!per && rc == TX_OK)
        rc = tx_error_set(err, TX_ENOMEM, "out of memory");
    for (int s = 0; s < r->m && rc == TX_OK; s++) {
        if (!r->own[s])
            continue;
        per[s] = calloc(TX_NDAYS, sizeof **per);
        if (!per[s]) {
            rc = tx_error_set(err, TX_ENOMEM, "out of memory");
            break;
        }
        rc = tx_store_reshard_histogram(r->own[s], per[s], err);
        for (int d = 0; d < TX_NDAYS && rc == TX_OK; d++)
            mine[d] += per[s][d];
    }
    rc = tx_agree(r->comm, rc, err);
    if (rc == TX_OK && fresh) {
        MPI_Allreduce(mine, hist, TX_NDAYS, MPI_UINT64_T, MPI_SUM, r->comm);
        uint64_t total = 0;
        for (int d = 0; d < TX_NDAYS; d++)
            total += hist[d];
        if (total == 0)
            rc = tx_error_set(err, TX_EUSAGE, "the cluster holds no transactions: there is "
                              "nothing to balance (load first, or start a larger cluster)");
        else {
            tx_reshard_choose(hist, r->m, TX_RESHARD_LAST_SHARE, r->bound);
            /* the same boundaries on every rank, whatever its floating point */
            MPI_Bcast(r->bound, r->m + 1, MPI_INT32_T, 0, r->comm);
            bounds_text(r);
        }
    }
    if (rc == TX_OK) {
        for (int s = 0; s < r->m; s++)
            for (int d = 0; per[s] && d < TX_NDAYS; d++)
                if (per[s][d])
                    mat[(size_t)s * (size_t)r->m + (size_t)tx_rs_shard_of(r, d)] += per[s][d];
        MPI_Allreduce(MPI_IN_PLACE, mat, r->m * r->m, MPI_UINT64_T, MPI_SUM, r->comm);
    }
    for (int s = 0; per && s < r->m; s++)
        free(per[s]);
    free(per);
    free(hist);
    free(mine);
    return rc;
}

/* Which rank moves the rows of old shard s to shard t (r->mover[s * m + t]): the pairs with
 * rows (mat), largest first, each to the rank with the fewest rows so far (the source's owner
 * s % R when it is one of those), so that every rank moves rows, not only the owners of the old
 * shards; a pair without rows goes to its source's owner. mat is the same on every rank, so the
 * assignment is too. */
static void assign_movers(tx_rs *r, const uint64_t *mat)
{
    const int n = r->n, m = r->m, nr = r->nranks;
    uint64_t *load = calloc((size_t)nr, sizeof *load);
    char *given = calloc((size_t)m * (size_t)m, 1);
    if (!load || !given)
        MPI_Abort(r->comm, 3);
    for (int s = 0; s < m; s++)
        for (int t = 0; t < m; t++)
            r->mover[s * m + t] = s % nr;
    for (;;) {
        int bs = -1, bt = -1;
        uint64_t best = 0;
        for (int s = 0; s < n; s++)
            for (int t = 0; t < m; t++)
                if (t != s && !given[s * m + t] && mat[(size_t)s * m + t] > best) {
                    best = mat[(size_t)s * m + t];
                    bs = s;
                    bt = t;
                }
        if (bs < 0)
            break;
        given[bs * m + bt] = 1;
        int pick = bs % nr;
        for (int k = 0; k < nr; k++)
            if (load[k] < load[pick])
                pick = k;
        r->mover[bs * m + bt] = pick;
        load[pick] += best;
    }
    free(load);
    free(given);
}

/* Waits until every rank gets here without spinning: a rank done with its moves would
 * otherwise busy-poll in the next collective, taking a core from the ranks still moving and
 * from their servers when ranks share cores. Collective. */
static void quiet_wait(tx_rs *r)
{
    MPI_Request req;
    if (MPI_Ibarrier(r->comm, &req) != MPI_SUCCESS)
        return;
    int done = 0;
    const struct timespec nap = {0, 2000000}; /* 2 ms */
    while (MPI_Test(&req, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done)
        nanosleep(&nap, NULL);
}

/* tx_agree after a phase of moves, waiting for the slower ranks quietly. Collective. */
static int agree_moved(tx_rs *r, int status, tx_error *err)
{
    quiet_wait(r);
    return tx_agree(r->comm, status, err);
}

static void print_plan(const tx_rs *r, const uint64_t *mat, int resume, FILE *out)
{
    const int m = r->m;
    fprintf(out, "reshard plan: %d -> %d shards%s\n", r->n, m,
            resume ? " (resuming the unfinished reshard with its recorded boundaries)" : "");
    uint64_t max = 0, min = UINT64_MAX;
    for (int s = 0; s < m; s++) {
        char lo[11] = "-inf", hi[11] = "+inf";
        if (r->bound[s] != INT32_MIN)
            tx_format_date(r->bound[s], lo);
        if (r->bound[s + 1] != INT32_MAX)
            tx_format_date(r->bound[s + 1], hi);
        uint64_t now = 0, after = 0, keep = mat[(size_t)s * m + s];
        for (int t = 0; t < m; t++) {
            now += mat[(size_t)s * m + t];
            after += mat[(size_t)t * m + s];
        }
        max = after > max ? after : max;
        min = after < min ? after : min;
        fprintf(out, "  shard %d: dates [%s, %s)  rows now %llu  after %llu  send %llu  receive "
                "%llu\n", s, lo, hi, (unsigned long long)now, (unsigned long long)after,
                (unsigned long long)(now - keep), (unsigned long long)(after - keep));
    }
    if (min > 0)
        fprintf(out, "  balance after: largest/smallest shard %.3f\n", (double)max / (double)min);
}

/* Collective. What every group holds, gathered on every rank, and the checks on it. */
static int look(tx_rs *r, rs_view *v, int *resume, int *done, tx_error *err)
{
    const int m = r->m;
    int rc = TX_OK;
    memset(v->f, 0, (size_t)m * sizeof *v->f);
    memset(v->rf, 0, (size_t)m * sizeof *v->rf);
    for (int s = 0; s < m && rc == TX_OK; s++)
        if (r->own[s]) {
            rc = tx_store_inspect(r->own[s], &v->f[s], err);
            if (rc == TX_OK)
                rc = tx_store_reshard_probe(r->own[s], &v->rf[s], err);
        }
    rc = tx_agree(r->comm, rc, err);
    if (rc != TX_OK)
        return rc;
    /* each group's facts come from its one owner, zero elsewhere: OR gathers them */
    MPI_Allreduce(MPI_IN_PLACE, v->f, (int)((size_t)m * sizeof *v->f), MPI_BYTE, MPI_BOR,
                  r->comm);
    MPI_Allreduce(MPI_IN_PLACE, v->rf, (int)((size_t)m * sizeof *v->rf), MPI_BYTE, MPI_BOR,
                  r->comm);
    return tx_agree(r->comm, decide(r, v, resume, done, err), err);
}

/* ---- the phases -------------------------------------------------------------------------- */

/* Collective. Runs step(r, s) on every owned shard in `which` ([lo, hi)), the test hook after
 * the first, then agrees. */
static int each_owned(tx_rs *r, int lo, int hi, const char *hook,
                      int (*step)(tx_rs *r, int s, tx_error *err), int rc, tx_error *err)
{
    int first = 1;
    for (int s = lo; s < hi && rc == TX_OK; s++) {
        if (!r->own[s])
            continue;
        rc = step(r, s, err);
        if (rc == TX_OK && first && hook)
            tx_test_hook(hook, r->rank);
        first = 0;
    }
    return tx_agree(r->comm, rc, err);
}

static int step_journal(tx_rs *r, int s, tx_error *err)
{
    tx_store_state st;
    int rc = tx_store_schema_check(r->own[s], TX_SCHEMA_LOAD, err);
    if (rc == TX_OK)
        rc = tx_store_prepare(r->own[s], 2 /* the directory format of load_internal.h */, &st,
                              err);
    if (rc == TX_OK)
        rc = tx_store_reshard_journal_write(r->own[s], &r->j, err);
    return rc;
}

static int step_moved(tx_rs *r, int s, tx_error *err)
{
    return tx_store_reshard_phase(r->own[s], "moved", err);
}

static int step_switch(tx_rs *r, int s, tx_error *err)
{
    return tx_store_reshard_switch(r->own[s], r->j.cluster_id, r->m, r->bound, r->j.reshard_id,
                                   err);
}

static int step_cleanup(tx_rs *r, int s, tx_error *err)
{
    return tx_store_reshard_journal_drop(r->own[s], err);
}

static void progress(const tx_rs *r, const char *what, uint64_t n, double t0)
{
    if (r->rank != 0 || r->o->quiet)
        return;
    double dt = MPI_Wtime() - t0;
    TX_LOG(TX_LOG_INFO, "reshard: %s: %llu moved in %.2f s (%.0f/s)", what,
           (unsigned long long)n, dt, dt > 0 ? (double)n / dt : 0.0);
}

static uint64_t sum_u64(tx_rs *r, uint64_t v)
{
    uint64_t t = 0;
    MPI_Allreduce(&v, &t, 1, MPI_UINT64_T, MPI_SUM, r->comm);
    return t;
}

static int run(tx_rs *r, tx_reshard_result *res, tx_error *err)
{
    const double t0 = MPI_Wtime();
    const int m = r->m;
    int rc = TX_OK, has_router = 0;
    for (int s = 0; s < m && rc == TX_OK; s++)
        if (s % r->nranks == r->rank)
            rc = tx_store_open(&tx_store_mariadb, r->o->shards_path, s, &r->own[s], err);
    rc = tx_agree(r->comm, rc, err);
    if (rc != TX_OK)
        return rc;
    rs_view v = {calloc((size_t)m, sizeof *v.f), calloc((size_t)m, sizeof *v.rf)};
    if (!v.f || !v.rf)
        MPI_Abort(r->comm, 3);
    int resume = 0, done = 0;
    rc = look(r, &v, &resume, &done, err);
    /* the run lock of every shard (a load meanwhile is refused), taken once the groups are
     * known to be right (two groups on one server would otherwise fail on the lock), then
     * everything looked at again under it */
    if (rc == TX_OK && !r->o->plan && !done) {
        for (int s = 0; s < m && rc == TX_OK; s++)
            if (r->own[s])
                rc = tx_store_run_lock(r->own[s], err);
        rc = tx_agree(r->comm, rc, err);
        if (rc == TX_OK)
            rc = look(r, &v, &resume, &done, err);
    }
    /* a rerun after the switch: every shard that has no journal any more already switched */
    int switched = 0;
    for (int s = 0; rc == TX_OK && s < m; s++)
        switched |= (v.f[s].has_identity && v.f[s].count == m && resume) ||
                    (v.rf[s].has_journal && (!strcmp(v.rf[s].journal.phase, "moved") ||
                                             !strcmp(v.rf[s].journal.phase, "switched")));
    res->from = r->n;
    res->to = m;
    if (rc == TX_OK && done) {
        res->nothing_to_do = 1;
        if (r->rank == 0)
            printf("reshard: the cluster already has %d shards and no unfinished reshard: "
                   "nothing to do (to grow it, add groups [shard%d].. of new empty servers)\n",
                   m, m);
        if (r->o->plan)
            goto out;
        goto router; /* a rerun after the cleanup of a killed reshard refreshes it too */
    }
    uint64_t *mat = rc == TX_OK ? calloc((size_t)m * (size_t)m, sizeof *mat) : NULL;
    if (rc == TX_OK && !mat)
        MPI_Abort(r->comm, 3);
    if (rc == TX_OK)
        rc = histograms(r, !resume, mat, err);
    if (rc == TX_OK && !resume) {
        /* the id of this reshard, rank 0's clock, the same everywhere */
        if (r->rank == 0) {
            time_t now = time(NULL);
            struct tm tm;
            gmtime_r(&now, &tm);
            snprintf(r->j.reshard_id, sizeof r->j.reshard_id, "reshard-%04d%02d%02dT%02d%02d%02dZ-"
                     "%dto%d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, r->n, m);
        }
        MPI_Bcast(r->j.reshard_id, sizeof r->j.reshard_id, MPI_CHAR, 0, r->comm);
    }
    if (rc == TX_OK && r->rank == 0 && (r->o->plan || !r->o->quiet))
        print_plan(r, mat, resume, r->o->plan ? stdout : stderr);
    if (rc == TX_OK)
        assign_movers(r, mat);
    free(mat);
    if (rc != TX_OK || r->o->plan)
        goto out;
    if (r->rank == 0 && !r->o->quiet)
        TX_LOG(TX_LOG_INFO, "reshard %s: %s %d -> %d shards", r->j.reshard_id,
               resume ? "resuming" : "growing", r->n, m);

    /* journal: in every shard that has not already finished (a rerun after some cleanup);
     * the old shards first, so that a load with the old shard file is refused as soon as any
     * shard holds a journal */
    for (int part = 0; part < 2 && rc == TX_OK; part++) {
        for (int s = part ? r->n : 0; s < (part ? m : r->n) && rc == TX_OK; s++) {
            if (!r->own[s] || (resume && !v.rf[s].has_journal && v.f[s].has_identity &&
                               v.f[s].count == m))
                continue;
            rc = step_journal(r, s, err);
        }
        rc = tx_agree(r->comm, rc, err);
    }
    if (rc == TX_OK)
        tx_test_hook("reshard.journal", r->rank);

    if (rc == TX_OK && !switched) {
        double t = MPI_Wtime();
        rc = agree_moved(r, tx_rs_move_rows(r, err), err);
        if (rc == TX_OK)
            progress(r, "rows", sum_u64(r, r->rows), t);
        t = MPI_Wtime();
        if (rc == TX_OK)
            rc = agree_moved(r, tx_rs_move_revenue(r, err), err);
        if (rc == TX_OK)
            progress(r, "revenue_daily rows", sum_u64(r, r->revenue), t);
        t = MPI_Wtime();
        if (rc == TX_OK)
            rc = agree_moved(r, tx_rs_move_directory(r, err), err);
        if (rc == TX_OK)
            progress(r, "directory blocks", sum_u64(r, r->blocks), t);
        if (rc == TX_OK)
            rc = agree_moved(r, tx_rs_copy_runs(r, err), err);
        if (rc == TX_OK)
            rc = each_owned(r, 0, m, NULL, step_moved, rc, err);
    }
    if (rc == TX_OK)
        rc = tx_agree(r->comm, tx_rs_check_stop(r, err), err);
    if (rc == TX_OK)
        rc = each_owned(r, 0, m, "reshard.switch", step_switch, rc, err);
    if (rc == TX_OK && r->rank == 0 && !r->o->quiet)
        TX_LOG(TX_LOG_INFO, "reshard: every shard holds the map of %d shards", m);
    if (rc == TX_OK)
        rc = each_owned(r, 0, m, "reshard.cleanup", step_cleanup, rc, err);
router: /* the router, where the shard file names one */
    if (rc == TX_OK && r->rank == 0) {
        rc = tx_shardfile_has_group(r->o->shards_path, "router", &has_router, err);
        if (rc == TX_OK && has_router) {
            tx_store_router_result rr;
            rc = tx_router_build(r->o->shards_path, &rr, err);
            if (rc == TX_OK && !r->o->quiet)
                TX_LOG(TX_LOG_INFO, "reshard: router refreshed (%d shards)", rr.nshards);
        }
    }
    rc = tx_agree(r->comm, rc, err);
    res->rows_moved = sum_u64(r, r->rows);
    res->revenue_moved = sum_u64(r, r->revenue);
    res->blocks_moved = sum_u64(r, r->blocks);
    res->elapsed_s = MPI_Wtime() - t0;
out:
    free(v.f);
    free(v.rf);
    return rc;
}

int tx_reshard_run(MPI_Comm comm, const tx_reshard_opts *o, tx_reshard_result *res,
                   tx_error *err)
{
    memset(res, 0, sizeof *res);
    tx_rs r;
    memset(&r, 0, sizeof r);
    r.comm = comm;
    r.o = o;
    MPI_Comm_rank(comm, &r.rank);
    MPI_Comm_size(comm, &r.nranks);
    int rc = tx_shardfile_count(o->shards_path, &r.m, err);
    rc = tx_agree(comm, rc, err);
    if (rc != TX_OK)
        return rc;
    r.own = calloc((size_t)r.m, sizeof *r.own);
    r.peer = calloc((size_t)r.m, sizeof *r.peer);
    r.bound = calloc((size_t)r.m + 1, sizeof *r.bound);
    r.mover = calloc((size_t)r.m * (size_t)r.m, sizeof *r.mover);
    if (!r.own || !r.peer || !r.bound || !r.mover)
        MPI_Abort(comm, 3);
    rc = run(&r, res, err);
    for (int s = 0; s < r.m; s++) {
        tx_store_close(&r.own[s]);
        tx_store_close(&r.peer[s]);
    }
    free(r.own);
    free(r.peer);
    free(r.bound);
    free(r.mover);
    return rc;
}
