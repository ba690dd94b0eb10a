/* load_recover.c - what the next command does with a run that did not finish (docs/load.md
 * "A failed run"). Every shard's journal (run_journal) says how far the run got there: 'open'
 * (it wrote something: a backfill's rows straight into its empty table, or staged rows),
 * 'staged' (all of its part is staged and committed), 'applied'. No shard applies before every
 * shard has staged, so exactly one of these holds:
 *   - every shard holds the run as staged or applied: some shards may have applied it; the
 *     others apply what they staged now -> the run is COMPLETED;
 *   - some shard does not: no shard applied anything; what the run wrote is dropped (staged
 *     rows are ignored and emptied by the next run; a backfill's rows are emptied out of the
 *     table that was empty before it; a shard map it wrote is removed) -> the run is UNDONE,
 *     as if it had never started.
 * The run lock is held on every shard meanwhile. */
#include <stdlib.h>
#include <string.h>

#include "load_internal.h"
#include "txetl/alloc.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"

enum { RID = 64 };

/* Collective. The smallest unfinished run id any owned shard's journal holds ("" when none),
 * the same on every rank. */
static int oldest_pending(tx_job *j, char out[RID], tx_error *err)
{
    char mine[RID] = "";
    int rc = TX_OK;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++) {
        char id[RID] = "";
        if (j->mine[s])
            rc = tx_store_journal_pending(j->mine[s], id, sizeof id, err);
        if (rc == TX_OK && id[0] && (!mine[0] || strcmp(id, mine) < 0))
            memcpy(mine, id, RID);
    }
    rc = tx_agree(j->comm, rc, err);
    char *all = TX_XMALLOC((size_t)j->nranks * RID);
    MPI_Allgather(mine, RID, MPI_CHAR, all, RID, MPI_CHAR, j->comm);
    out[0] = '\0';
    for (int r = 0; r < j->nranks; r++) {
        const char *id = all + (size_t)r * RID;
        if (id[0] && (!out[0] || strcmp(id, out) < 0))
            snprintf(out, RID, "%s", id);
    }
    free(all);
    return rc;
}

int tx_recover_pending(tx_job *j)
{
    char id[RID];
    tx_error ignore = {0};
    return oldest_pending(j, id, &ignore) == TX_OK && id[0];
}

/* Collective. Resolves run `id`: the journal states gathered, the decision, each owned shard
 * resolved. */
static int resolve(tx_job *j, const char *id, const char *by, tx_error *err)
{
    /* per owned shard: staged-or-applied, applied, backfill; the message of the run */
    long cnt[3] = {0, 0, 0};
    char msg[400] = "";
    int rc = TX_OK;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++) {
        if (!j->mine[s])
            continue;
        tx_store_journal st;
        rc = tx_store_journal_state(j->mine[s], id, &st, err);
        cnt[0] += st.state == TX_JOURNAL_STAGED || st.state == TX_JOURNAL_APPLIED;
        cnt[1] += st.state == TX_JOURNAL_APPLIED;
        cnt[2] += st.backfill;
        if (!msg[0] && st.message[0])
            snprintf(msg, sizeof msg, "%s", st.message);
    }
    rc = tx_agree(j->comm, rc, err);
    if (rc != TX_OK)
        return rc;
    MPI_Allreduce(MPI_IN_PLACE, cnt, 3, MPI_LONG, MPI_SUM, j->comm);
    const int complete = cnt[0] == j->nshards;
    if (j->rank == 0) {
        if (complete)
            TX_LOG(TX_LOG_WARN, "run %s did not finish (%s); every shard had staged its changes "
                   "(%ld of %d had applied them): completing it now, as %s", id,
                   msg[0] ? msg : "it ended without a word", cnt[1], j->nshards, by);
        else
            TX_LOG(TX_LOG_WARN, "run %s did not finish (%s); only %ld of %d shards had staged "
                   "its changes and none had applied them: undoing it now, as %s (as if it "
                   "had never started%s)", id, msg[0] ? msg : "it ended without a word",
                   cnt[0], j->nshards, by, cnt[2] ? "; its backfill's rows are removed" : "");
    }
    for (int s = 0; s < j->nshards && rc == TX_OK; s++)
        if (j->mine[s])
            rc = tx_store_journal_resolve(j->mine[s], id, complete, by, err);
    rc = tx_agree(j->comm, rc, err);
    if (rc == TX_OK && j->rank == 0)
        TX_LOG(TX_LOG_WARN, "run %s %s: its etl_runs row says \"%s by %s\"", id,
               complete ? "completed" : "undone", complete ? "completed" : "undone", by);
    return rc;
}

int tx_recover_runs(tx_job *j, int rc, const char *by, int *done, tx_error *err)
{
    *done = 0;
    rc = tx_agree(j->comm, rc, err);
    /* one unfinished run at most in practice (the run lock serialises runs and each command
     * resolves before it writes); a few rounds cover one whose own resolution died */
    for (int round = 0; rc == TX_OK && round < 8; round++) {
        char id[RID];
        rc = oldest_pending(j, id, err);
        if (rc != TX_OK || !id[0])
            break;
        if (j->o->plan) { /* read-only: it cannot resolve, and would count a half-applied run */
            rc = tx_error_set(err, TX_EUSAGE, "run %s did not finish; --plan reads only, so it "
                              "cannot complete or undo it first and would count a half-applied "
                              "run: `txetl status` says which the next load will do; run a "
                              "load (it resolves the failed run first) or `txetl snapshot`, "
                              "then plan", id);
            break;
        }
        rc = resolve(j, id, by, err);
        if (rc == TX_OK)
            *done = 1;
    }
    return rc;
}
