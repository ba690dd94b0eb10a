/* load.c - the driver of `txetl load` and `txetl snapshot`. A load is the phases of README
 * "Design", numbered as tx_phase (load_internal.h) numbers them; each is local work ending in
 * one agreement, so at the first failure every rank leaves together and rank 0 reports:
 *   0 preflight       shard file, stores, cluster identity, servers and tables checked
 *                     (load_identity.c), run lock, schema, shard map; a run the journals hold
 *                     as unfinished completed or undone (load_recover.c); input headers
 *                     (load_map.c, load_scan.c)
 *   1 scan + route    parse and validate this rank's share; rejects to a part per rank,
 *                     joined; the date histogram; every valid version routed to the rank of
 *                     its directory shard and sorted there; the reject rate and count
 *                     checked before anything but the failed etl_runs row is written
 *                     (load_scan.c); for a snapshot, the currencies checked against
 *                     --fx-rates (load_fx.c). A --dry-run ends here.
 *   2 decide + stage  the run's etl_runs row, the shard map and each shard's journal row
 *                     ('open') written; the versions decided against the directory, rows and
 *                     removals routed to the shards of their dates and staged there, directory
 *                     blocks and audit rows staged on their directory shards (load_decide.c).
 *                     A --plan ends here, on a store that wrote nothing, with its report
 *                     (load_plan.c)
 *   3 finish          the last staged rows committed, the etl_runs row with the decided
 *                     counts, each journal marks the run 'staged' (load_apply.c)
 *   4 commit          only once every shard has staged: each shard applies its part in one
 *                     transaction that marks it 'applied' (rows, removals, directory, audit,
 *                     revenue_daily; a backfill's secondary index)
 *   5 reduce          the snapshot from what the shards hold (unless --no-snapshot,
 *                     load_reduce.c), under its temporary name; the etl_runs row marked
 *                     succeeded; then the snapshot put in place and published
 *                     (load_publish.c: a failure there is a warning, the run stands)
 * Every rank reaches every collective: a failing rank keeps taking part until its phase's
 * agreement. SIGINT/SIGTERM (txetl/interrupt.h) fail the run at the next boundary or routed
 * round, on every rank together.
 *
 * Fault points (TXETL_TEST_HOOK=WHERE:RANK:kill|pause, txetl/testhook.h), in run order:
 *   load.preflight  after phase 0 (run lock held, nothing of this run written)
 *   load.scan       after phase 1 (the scan)
 *   load.open       after the etl_runs row, shard map and journal rows are written
 *   load.decide     after phase 2 (rows staged, a backfill's rows in its tables)
 *   load.staged     after phase 3 (every shard staged: the run will be completed)
 *   load.apply      in phase 4, before this rank's first shard applies
 *   load.apply_one  in phase 4, after this rank's first shard applied (others may not have)
 *   load.applied    after phase 4 (every shard applied)
 *   load.reduce     after phase 4, before the snapshot (the last point a signal fails the run)
 *   load.reduced    after phase 5's snapshot is written under its temporary name, before the
 *                   run is marked succeeded (nothing is in place: latest.h5 and the analytics
 *                   tables still show the previous snapshot)
 *   load.succeeded  after the run is marked succeeded, before its snapshot is put in place
 *                   (latest.h5) and published
 *   snapshot.start  `txetl snapshot`, after the stores are open, before anything is resolved
 *   snapshot.reduce `txetl snapshot`, after any unfinished run was resolved, before reading */
#include <stdlib.h>
#include <string.h>

#include "load_internal.h"
#include "txetl/interrupt.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"
#include "txetl/snapshot.h"
#include "txetl/testhook.h"

/* A phase boundary: the fault point `where`, then SIGINT/SIGTERM turned into a failure that
 * every rank agrees on. */
static int boundary(tx_job *j, const char *where, int rc, tx_error *err)
{
    tx_test_hook(where, j->rank);
    if (rc == TX_OK && tx_interrupted())
        rc = tx_error_set(err, TX_ERR, "interrupted by %s", tx_interrupt_name(tx_interrupted()));
    return tx_agree(j->comm, rc, err);
}

/* Phase 2 begins with the run's first writes: the boundaries of a fresh cluster, the etl_runs
 * row ("running"), the shard map and the cluster identity on the shards that lack them. */
static int open_run(tx_job *j, const uint64_t *hist, tx_error *err)
{
    if (j->fresh)
        tx_map_choose(j, hist);
    int rc = tx_apply_runs_row(j, "running", NULL, NULL, err);
    if (rc == TX_OK)
        rc = tx_map_write(j, err); /* and the cluster identity */
    rc = tx_agree(j->comm, rc, err);
    j->runs_row = 1; /* also on failure: a shard may hold the row, which must end as failed */
    return rc;
}

/* Phase 3: every shard's part committed in its stage tables, the decided counts in etl_runs,
 * then the journal's 'staged' mark. Once every rank agrees, the run is as good as applied: a
 * failure from here on is completed by the next command. */
static int finish_phase(tx_job *j, tx_error *err)
{
    int rc = tx_apply_finish(j, err);
    if (rc == TX_OK)
        rc = tx_apply_runs_row(j, "running", NULL, NULL, err);
    if (rc == TX_OK)
        rc = tx_apply_stage_mark(j, err);
    rc = tx_agree(j->comm, rc, err);
    j->committed = rc == TX_OK;
    if (rc == TX_OK)
        tx_summary_phase_done(&j->sum, TX_PHASE_FINISH, "staged on every shard");
    return rc;
}

/* Phase 4: every shard applies its part, each in one transaction. */
static int commit_phase(tx_job *j, tx_error *err)
{
    int rc = tx_agree(j->comm, tx_apply_directory(j, err), err);
    j->applied = rc == TX_OK;
    if (rc == TX_OK)
        tx_summary_phase_done(&j->sum, TX_PHASE_COMMIT, "applied rows, directory and audit log");
    return rc;
}

/* Phase 5: the snapshot carries the run as it stands after the commit. */
static int snapshot_phase(tx_job *j, tx_run_info *run, tx_error *err)
{
    tx_job_fill_run(j, run);
    if (j->o->no_snapshot)
        return TX_OK;
    /* staged: nothing is in place (latest.h5, the analytics tables) until the run is marked
     * succeeded (tx_load_run) */
    int rc = tx_load_reduce(j, 1, 1, run, j->snapshot, sizeof j->snapshot, err);
    if (rc == TX_OK)
        tx_summary_phase_done(&j->sum, TX_PHASE_REDUCE, "reduce and snapshot");
    else
        j->snapshot[0] = '\0';
    return rc;
}

/* The phases in order; each returns a status every rank holds. --dry-run and --plan are
 * decided here, once, by the store back end: --dry-run on the null store (it connects to
 * nothing and writes nothing), each version's route counted instead of shipped, and the run
 * ends after the scan with its counts; --plan on the plan store (it reads the shards as a load
 * does and drops every write), every version decided as the real run decides it, and the run
 * ends after phase 2 with what it would do (load_plan.c). A load that writes a snapshot checks
 * the currencies it will need before it writes (load_fx.c). */
static int run_phases(tx_job *j, tx_scan *sc, tx_run_info *run, tx_error *err)
{
    const int dry = j->o->dry_run, plan = j->o->plan;
    const tx_store_ops *ops = dry ? &tx_store_null : plan ? &tx_store_plan : &tx_store_mariadb;
    int rc = tx_load_fx_open(j, sc, err); /* a malformed --fx-rates: refused before preflight */
    if (rc == TX_OK)
        rc = tx_map_preflight(j, ops, err);                                       /* 0 */
    if (rc == TX_OK)
        rc = tx_scan_open(j, sc, err);
    if (rc == TX_OK)
        rc = boundary(j, "load.preflight", rc, err);
    if (rc == TX_OK)
        j->runs_row = !dry; /* the run has started: etl_runs records how it ends (close_run) */
    if (rc == TX_OK)
        rc = tx_scan_phase(j, sc, dry, err);                                      /* 1 */
    if (rc == TX_OK)
        rc = tx_load_fx_check(j, sc, err);
    if (rc != TX_OK || dry)
        return rc;
    rc = boundary(j, "load.scan", rc, err);
    if (rc == TX_OK)
        rc = boundary(j, "load.open", open_run(j, sc->hist, err), err);          /* 2 */
    if (rc == TX_OK)
        rc = boundary(j, "load.decide",
                      tx_decide_phase(j, sc->in, &sc->sorter, sc->hist, err), err);
    if (plan) {
        if (rc == TX_OK)
            tx_plan_gather(j);
        if (rc == TX_OK && j->rank == 0)
            tx_plan_print(j, stdout);
        return rc;
    }
    if (rc == TX_OK)
        rc = boundary(j, "load.staged", finish_phase(j, err), err);              /* 3 */
    if (rc == TX_OK)
        rc = boundary(j, "load.applied", commit_phase(j, err), err);             /* 4 */
    if (rc == TX_OK)
        rc = boundary(j, "load.reduce", rc, err);
    if (rc == TX_OK)
        rc = snapshot_phase(j, run, err);                                         /* 5 */
    /* A signal from here on no longer fails the run: it has finished (applied, and its
     * snapshot written under its temporary name), so it is marked succeeded and txetl exits
     * 0. */
    if (rc == TX_OK)
        tx_test_hook("load.reduced", j->rank);
    return rc;
}

/* What the next command does with this failed run, appended to its message. */
static void say_next(const tx_job *j, tx_error *err)
{
    const char *next =
        j->applied ? "its changes are applied on every shard (no snapshot was written for it)"
        : j->committed ? "every shard had staged its changes: the next load or `txetl snapshot` "
                         "completes the run first"
        : j->journal   ? "not every shard had staged its changes, none is applied: the next "
                         "load or `txetl snapshot` undoes what it wrote first"
                       : "nothing of it was written to TransactionsOptimized";
    size_t n = strlen(err->msg);
    if (n + 40 < sizeof err->msg)
        snprintf(err->msg + n, sizeof err->msg - n, " [run %s failed: %s]", j->run_id, next);
}

/* Collective. The run's etl_runs row ends as "succeeded" (agreed) or, when the run failed
 * after writing it, as "failed" with the message (that write's own failure is ignored). */
static int close_run(tx_job *j, int rc, tx_error *err)
{
    if (!j->runs_row)
        return rc;
    char at[32];
    if (rc == TX_OK) {
        tx_job_utc_now(j, at);
        rc = tx_agree(j->comm, tx_apply_runs_row(j, "succeeded", at, NULL, err), err);
        if (rc == TX_OK && tx_interrupted() && j->rank == 0)
            TX_LOG(TX_LOG_WARN, "%s arrived while the snapshot was written; run %s had applied "
                   "everything and is marked succeeded", tx_interrupt_name(tx_interrupted()),
                   j->run_id);
    }
    if (rc != TX_OK) {
        tx_error ignore = {0};
        say_next(j, err);
        tx_job_utc_now(j, at);
        tx_apply_runs_row(j, "failed", at, err->msg, &ignore);
    }
    return rc;
}

int tx_load_run(MPI_Comm comm, const tx_load_opts *o, tx_run_info *run, tx_error *err)
{
    tx_job job, *j = &job;
    tx_scan scan = {0};
    tx_job_init(j, comm, o);
    int rc = run_phases(j, &scan, run, err);
    rc = close_run(j, rc, err);
    /* The order that keeps "no snapshot for a failed run": the snapshot was written under its
     * temporary name, the run is marked succeeded, and only then is the file put in place
     * (latest.h5) and published. A failed run's staged file is removed; one killed before
     * this leaves only that hidden temporary file, which nothing reads. */
    if (rc != TX_OK && j->rank == 0 && !j->o->no_snapshot)
        tx_snapshot_discard(j->o->snapshot_dir ? j->o->snapshot_dir : "snapshots", j->run_id);
    if (rc == TX_OK && j->snapshot[0]) {
        tx_test_hook("load.succeeded", j->rank);
        tx_load_snapshot_finish(j, 1, j->snapshot, j->warning, sizeof j->warning);
        if (j->warning[0]) { /* the run stands: etl_runs keeps succeeded and says what failed */
            tx_error ignore = {0};
            char at[32];
            tx_job_utc_now(j, at);
            tx_apply_runs_row(j, "succeeded", at, j->warning, &ignore);
        }
    }
    tx_summary_end(&j->sum);
    tx_job_fill_run(j, run); /* the one source of both summaries */
    tx_summary_write_json(j, run, rc, err);
    tx_scan_close(&scan);
    tx_job_close(j);
    return rc;
}

/* Collective. `txetl snapshot` never reads a half-applied run: when a journal holds an
 * unfinished one, each rank opens its shards for writing, takes the run lock and completes or
 * undoes the run as a load would (load_recover.c); then the read goes on. */
static int snapshot_resolve(tx_job *j, tx_error *err)
{
    tx_store **readers = j->mine;
    j->mine = calloc((size_t)j->nshards, sizeof *j->mine);
    int rc = j->mine ? tx_map_open_stores(j, &tx_store_mariadb, err)
                     : tx_error_set(err, TX_ENOMEM, "out of memory");
    for (int s = 0; j->mine && s < j->nshards && rc == TX_OK; s++)
        if (j->mine[s])
            rc = tx_store_run_lock(j->mine[s], err);
    char by[96];
    snprintf(by, sizeof by, "snapshot %s", j->run_id);
    int done = 0;
    rc = tx_recover_runs(j, rc, by, &done, err);
    for (int s = 0; j->mine && s < j->nshards; s++)
        tx_store_close(&j->mine[s]);
    free(j->mine);
    j->mine = readers;
    return rc;
}

int tx_snapshot_run(MPI_Comm comm, const tx_load_opts *o, tx_run_info *run, tx_error *err)
{
    tx_job job, *j = &job;
    tx_job_init(j, comm, o);
    int rc = tx_map_count(j, err);
    if (rc == TX_OK)
        rc = tx_load_check(j, tx_map_open_stores_read(j, &tx_store_mariadb, err), 0,
                           err); /* reads only: identity and tables */
    if (rc == TX_OK)
        rc = boundary(j, "snapshot.start", rc, err);
    if (rc == TX_OK && tx_recover_pending(j))
        rc = snapshot_resolve(j, err);
    if (rc == TX_OK)
        rc = boundary(j, "snapshot.reduce", rc, err);
    char path[4096] = "";
    if (rc == TX_OK) {
        tx_job_fill_run(j, run);
        rc = tx_load_reduce(j, 0, 0, run, path, sizeof path, err);
    }
    if (rc == TX_OK) /* in place already: published, a failure only warned about */
        tx_load_snapshot_finish(j, 0, path, j->warning, sizeof j->warning);
    tx_job_close(j);
    return rc;
}
