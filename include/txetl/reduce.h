/* reduce.h - the reduce step (SPEC §5): global per-customer aggregates, RFM, BG/NBD +
 * Gamma-Gamma, CLV and revenue from the stored transactions each rank read from its shards,
 * written as a parallel-HDF5 snapshot (SPEC §6). */
#ifndef TXETL_REDUCE_H
#define TXETL_REDUCE_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "txetl/error.h"
#include "txetl/run.h"

/* One stored, non-deleted transaction as the reduce sees it. */
typedef struct tx_txn {
    uint64_t customer_id;
    int64_t amount_cents;
    int32_t date; /* days since 1970-01-01 */
    int32_t pad;
} tx_txn;

/* Collective over comm. Each rank passes the transactions it read (any subset; together the
 * ranks pass every stored transaction exactly once, in any order, any split). Transactions
 * after the as-of date are ignored. Redistributes customers to contiguous sorted customer_id
 * ranges, computes SPEC §5 and writes `<dir>/snapshot-<run_id>.h5` collectively (temporary
 * name, rename, then `<dir>/latest.h5` symlink). On success *path_out (if not NULL) holds the
 * final path. All ranks return the same status; on error nothing is left at the final path.
 * With opts->holdout_start set (not INT32_MIN) the snapshot also holds /holdout (snapshot.h):
 * it must be after the first transaction date and not after as-of, else TX_EUSAGE naming
 * --holdout-start; the rest of the snapshot is the same as without it.
 * txns stays owned by the caller and may be reordered. */
int tx_reduce_snapshot(MPI_Comm comm, tx_txn *txns, size_t n, const tx_analytics_opts *opts,
                       const tx_run_info *run, const char *dir, char *path_out,
                       size_t path_len, tx_error *err);

#endif
