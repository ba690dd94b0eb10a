/* load.c - the driver of `txetl load` and `txetl snapshot`. A load is the phases of README
 * "Design", numbered as tx_phase (load_internal.h) numbers them; each is local work ending in
 * one agreement, so at the first failure every rank leaves together and rank 0 reports:
 *   0 preflight       shard file, stores, cluster identity, servers and tables checked
 *                     (load_identity.c), run lock, schema, shard map; input headers
 *                     (load_map.c, load_scan.c)
 *   1 scan + route    parse and validate this rank's share; rejects to a part per rank,
 *                     joined; the date histogram; every valid version routed to the rank of
 *                     its directory shard and sorted there; the reject rate and count
 *                     checked before anything but the failed etl_runs row is written
 *                     (load_scan.c); for a snapshot, the currencies checked against
 *                     --fx-rates (load_fx.c). A --dry-run ends here.
 *   2 decide + apply  the run's etl_runs row and the shard map written; the versions decided
 *                     against the directory, rows and removals routed to the shards of their
 *                     dates and handed to the stores (load_decide.c). A --plan ends here, on
 *                     a store that wrote nothing, with its report (load_plan.c)
 *   3 finish          the last directory rows; each store's finish: removals, the secondary
 *                     index, revenue_daily (load_apply.c, txetl/store.h)
 *   4 commit          directory entries and audit rows committed per directory shard, the
 *                     etl_runs counts
 *   5 reduce          the snapshot from what the shards hold (unless --no-snapshot,
 *                     load_reduce.c); the etl_runs row marked succeeded
 * Every rank reaches every collective: a failing rank keeps taking part until its phase's
 * agreement. */
#include "load_internal.h"
#include "txetl/mpiutil.h"

/* Phase 2 begins with the run's first writes: the boundaries of a fresh cluster, the etl_runs
 * row ("running"), the shard map and the cluster identity on the shards that lack them. */
static int open_run(tx_job *j, const uint64_t *hist, tx_error *err)
{
    if (j->fresh)
        tx_map_choose(j, hist);
    int rc = tx_apply_runs_row(j, "running", NULL, NULL, err);
    if (rc == TX_OK)
        rc = tx_map_write(j, err);
    if (rc == TX_OK)
        rc = tx_load_identity_write(j, err);
    rc = tx_agree(j->comm, rc, err);
    j->runs_row = 1; /* also on failure: a shard may hold the row, which must end as failed */
    return rc;
}

/* Phase 3: the stores finish their loads. */
static int finish_phase(tx_job *j, tx_error *err)
{
    int rc = tx_agree(j->comm, tx_apply_finish(j, err), err);
    if (rc == TX_OK)
        tx_summary_phase_done(&j->sum, TX_PHASE_FINISH, "removals, indexes and revenue_daily");
    return rc;
}

/* Phase 4: only now that every shard has its rows, the directory commits; then the counts. */
static int commit_phase(tx_job *j, tx_error *err)
{
    int rc = tx_agree(j->comm, tx_apply_directory(j, err), err);
    j->committed = rc == TX_OK; /* a later failure's etl_runs row keeps the applied counts */
    if (rc == TX_OK)
        rc = tx_agree(j->comm, tx_apply_runs_row(j, "running", NULL, NULL, err), err);
    if (rc == TX_OK)
        tx_summary_phase_done(&j->sum, TX_PHASE_COMMIT, "committed the directory and audit log");
    return rc;
}

/* Phase 5: the snapshot carries the run as it stands after the commit. */
static int snapshot_phase(tx_job *j, tx_run_info *run, tx_error *err)
{
    tx_job_fill_run(j, run);
    if (j->o->no_snapshot)
        return TX_OK;
    int rc = tx_load_reduce(j, 1, run, err);
    if (rc == TX_OK)
        tx_summary_phase_done(&j->sum, TX_PHASE_REDUCE, "reduce and snapshot");
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
        j->runs_row = !dry; /* the run has started: etl_runs records how it ends (close_run) */
    if (rc == TX_OK)
        rc = tx_scan_phase(j, sc, dry, err);                                      /* 1 */
    if (rc == TX_OK)
        rc = tx_load_fx_check(j, sc, err);
    if (rc != TX_OK || dry)
        return rc;
    rc = open_run(j, sc->hist, err);                                              /* 2 */
    if (rc == TX_OK)
        rc = tx_decide_phase(j, sc->in, &sc->sorter, sc->hist, err);
    if (plan) {
        if (rc == TX_OK)
            tx_plan_gather(j);
        if (rc == TX_OK && j->rank == 0)
            tx_plan_print(j, stdout);
        return rc;
    }
    if (rc == TX_OK)
        rc = finish_phase(j, err);                                                /* 3 */
    if (rc == TX_OK)
        rc = commit_phase(j, err);                                                /* 4 */
    if (rc == TX_OK)
        rc = snapshot_phase(j, run, err);                                         /* 5 */
    return rc;
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
    }
    if (rc != TX_OK) {
        tx_error ignore = {0};
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
    tx_summary_end(&j->sum);
    tx_job_fill_run(j, run); /* the one source of both summaries */
    tx_summary_write_json(j, run, rc, err);
    tx_scan_close(&scan);
    tx_job_close(j);
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
    if (rc == TX_OK) {
        tx_job_fill_run(j, run);
        rc = tx_load_reduce(j, 0, run, err);
    }
    tx_job_close(j);
    return rc;
}
