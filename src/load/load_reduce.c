/* load_reduce.c - phase 5 (and `txetl snapshot`): the stored transactions of the owned shards
 * read back into memory, then the reduce step and the snapshot (txetl/reduce.h).
 *
 * txn_array to reduce_phase are load.c's code as it was (a pending change applies to it). */
#include <stdlib.h>

#include "load_internal.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"
#include "txetl/reduce.h"

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

int tx_load_reduce(tx_job *j, tx_run_info *run, tx_error *err)
{
    return reduce_phase(j, run, err);
}
