/* load_publish.c - after the reduce (docs/serving.md "When a publication fails"): a load's
 * staged snapshot put in place once its run is marked succeeded, then the snapshot published
 * to the analytics database. Neither step can fail the run any more: its rows are applied and
 * etl_runs says succeeded, so a failure here is a warning (rank 0's log, the etl_runs row's
 * message, the JSON summary) that says what stands and what to run, and the exit status stays
 * 0, as etl_runs says. */
#include <stdio.h>
#include <string.h>

#include "load_internal.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"
#include "txetl/publish.h"
#include "txetl/snapshot.h"

/* The directory snapshots go to. */
static const char *snapshot_dir(const tx_job *j)
{
    return j->o->snapshot_dir ? j->o->snapshot_dir : "snapshots";
}

/* Collective. Rank 0's warning w (may be "") on every rank, logged by rank 0. */
static void warn_all(tx_job *j, char *w, size_t cap)
{
    MPI_Bcast(w, (int)cap, MPI_CHAR, 0, j->comm);
    if (j->rank == 0 && w[0])
        TX_LOG(TX_LOG_WARN, "%s", w);
}

void tx_load_snapshot_finish(tx_job *j, int staged, const char *path_in, char *warn,
                             size_t cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", path_in);
    warn[0] = '\0';
    if (staged) { /* rank 0 renames the file into place and points latest.h5 at it */
        tx_error e = {0};
        if (j->rank == 0 &&
            tx_snapshot_install(snapshot_dir(j), j->run_id, path, sizeof path, &e) != TX_OK)
            snprintf(warn, cap, "run %s succeeded (its rows are applied) but its snapshot "
                     "could not be put in place: %s; run `txetl snapshot --shards %s "
                     "--snapshot-dir %s` to write one", j->run_id, e.msg, j->o->shards_path,
                     snapshot_dir(j));
        else if (j->rank == 0 && !j->o->quiet)
            TX_LOG(TX_LOG_INFO, "snapshot in place: %s (%s/latest.h5)", path, snapshot_dir(j));
        warn_all(j, warn, cap);
        if (warn[0])
            return;
    }
    if (j->o->no_publish)
        return;
    tx_error e = {0};
    if (tx_publish_collective(j->comm, path, j->o->shards_path, j->o->quiet, &e) != TX_OK &&
        j->rank == 0)
        snprintf(warn, cap, "%ssnapshot written (%s), publish failed: %s; the analytics "
                 "tables still hold the previous snapshot: rerun `txetl publish %s --shards %s`",
                 staged ? "rows applied, " : "", path, e.msg, path, j->o->shards_path);
    warn_all(j, warn, cap);
}
