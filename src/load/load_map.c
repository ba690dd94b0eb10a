/* load_map.c - phase 0 and the cluster view: how many shards the shard file names, the stores
 * of the shards this rank owns (shard s is owned by rank s mod R), and the shard map - the
 * date boundaries every shard records, read at preflight, chosen once by the first load into
 * an empty cluster, written where missing (with the cluster identity). */
#include <stdlib.h>
#include <string.h>

#include "load_internal.h"
#include "txetl/alloc.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"

int tx_map_count(tx_job *j, tx_error *err)
{
    int rc = tx_shardfile_count(j->o->shards_path, &j->nshards, err);
    rc = tx_agree(j->comm, rc, err);
    if (rc != TX_OK)
        return rc;
    size_t n = (size_t)j->nshards;
    j->mine = TX_XCALLOC(n, sizeof *j->mine);
    j->homes = TX_XCALLOC(n, sizeof *j->homes);
    j->shard_rows = TX_XCALLOC(n, sizeof *j->shard_rows);
    j->shard_removed = TX_XCALLOC(n, sizeof *j->shard_removed);
    j->bound = TX_XMALLOC((n + 1) * sizeof *j->bound);
    return TX_OK;
}

static int open_stores(tx_job *j, const tx_store_ops *ops, int read_only, tx_error *err)
{
    int rc = TX_OK;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++)
        if (tx_job_owner(j, s) == j->rank)
            rc = (read_only ? tx_store_open_read : tx_store_open)(ops, j->o->shards_path, s,
                                                                 &j->mine[s], err);
    return rc;
}

int tx_map_open_stores(tx_job *j, const tx_store_ops *ops, tx_error *err)
{
    return open_stores(j, ops, 0, err);
}

int tx_map_open_stores_read(tx_job *j, const tx_store_ops *ops, tx_error *err)
{
    return open_stores(j, ops, 1, err);
}

/* What tx_map_read collects from an owned shard's shard_map. */
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

int tx_map_read(tx_job *j, int s, int32_t *bounds, int *has, tx_error *err)
{
    map_read m = {j, s, bounds, 0};
    int rc = tx_store_map_read(j->mine[s], map_row, &m, err);
    *has = m.has;
    return rc;
}

int tx_map_preflight(tx_job *j, const tx_store_ops *ops, tx_error *err)
{
    int rc = tx_map_count(j, err);
    if (rc != TX_OK)
        return rc;
    size_t nb = (size_t)j->nshards + 1;
    int32_t *mx = TX_XMALLOC(nb * sizeof *mx); /* per boundary, the largest and smallest */
    int32_t *mn = TX_XMALLOC(nb * sizeof *mn); /* value the owned maps give it */
    for (size_t i = 0; i < nb; i++) {
        mx[i] = INT32_MIN;
        mn[i] = INT32_MAX;
    }
    int has_local = 0;
    rc = tx_map_open_stores(j, ops, err);
    /* identity, servers and tables checked before anything is written (load_identity.c);
     * collective: every rank calls it with its status so far */
    rc = tx_load_check(j, rc, 1, err);
    if (rc == TX_OK)
        rc = tx_apply_prepare(j, err);
    /* a run the journals hold as unfinished: completed or undone before anything else
     * (load_recover.c), then the shards' state read again */
    char by[80];
    snprintf(by, sizeof by, "run %s", j->run_id);
    int resolved = 0;
    rc = tx_recover_runs(j, rc, by, &resolved, err);
    if (rc == TX_OK && resolved)
        rc = tx_apply_prepare(j, err);
    for (int s = 0; s < j->nshards && rc == TX_OK; s++) {
        if (!j->mine[s])
            continue;
        int32_t *b = TX_XMALLOC(nb * sizeof *b);
        int has = 0;
        rc = tx_map_read(j, s, b, &has, err);
        j->homes[s].has_map = has;
        if (rc == TX_OK && has) {
            has_local++;
            for (size_t i = 0; i < nb; i++) {
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
            memcpy(j->bound, mx, nb * sizeof *mx);
            if (has_total < j->nshards && j->rank == 0)
                TX_LOG(TX_LOG_WARN, "%d of %d shards hold the shard map; it is written to the "
                       "others", has_total, j->nshards);
        }
    }
    free(mx);
    free(mn);
    return rc;
}

void tx_map_choose(tx_job *j, const uint64_t *hist)
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

int tx_map_write(tx_job *j, tx_error *err)
{
    int rc = TX_OK;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++)
        if (j->mine[s] && !j->homes[s].has_map)
            rc = tx_store_map_write(j->mine[s], j->nshards, j->bound, j->run_id, err);
    for (int s = 0; s < j->nshards && rc == TX_OK; s++)
        if (j->mine[s] && !j->homes[s].has_identity)
            rc = tx_store_identity_write(j->mine[s], j->cluster_id, j->nshards, j->run_id, err);
    return rc;
}
