/* load_reduce.c - phase 5 (and `txetl snapshot`): the reduce step over what the owned shards
 * store, streamed shard by shard (nothing is collected here), and the snapshot
 * (txetl/reduce.h). */
#include <stdlib.h>
#include <string.h>

#include "load_internal.h"
#include "txetl/alloc.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"
#include "txetl/reduce.h"

/* A source of the reduce step: one owned shard's transactions, month by month. */
static int read_stored(void *ctx, tx_reduce_row_fn row, void *sink, tx_error *err)
{
    return tx_store_read_months(ctx, row, sink, err);
}

int tx_load_reduce(tx_job *j, int bounds_known, int staged, tx_run_info *run, char *path,
                   size_t path_len, tx_error *err)
{
    /* One source per owned shard, with its date range: this run's shard map, or (txetl
     * snapshot) the shard's own; a shard without one holds nothing (unbounded). */
    tx_reduce_source *src = TX_XCALLOC((size_t)j->nshards + 1, sizeof *src);
    int32_t *b = TX_XMALLOC(((size_t)j->nshards + 1) * sizeof *b);
    int nsrc = 0, rc = TX_OK;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++) {
        if (!j->mine[s])
            continue;
        int has = 1;
        b[s] = INT32_MIN;
        b[s + 1] = INT32_MAX;
        if (bounds_known)
            memcpy(b, j->bound, ((size_t)j->nshards + 1) * sizeof *b);
        else
            rc = tx_map_read(j, s, b, &has, err);
        src[nsrc++] = (tx_reduce_source){read_stored, j->mine[s], has ? b[s] : INT32_MIN,
                                         has ? b[s + 1] : INT32_MAX};
    }
    free(b);
    rc = tx_agree(j->comm, rc, err);
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
    free(src);
    return rc;
}
