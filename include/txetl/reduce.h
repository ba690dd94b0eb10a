/* reduce.h - the reduce step (docs/analytics.md): global per-customer aggregates, RFM, BG/NBD +
 * Gamma-Gamma, CLV and revenue from the stored transactions, streamed from each rank's shards
 * (or handed over in memory), written as a parallel-HDF5 snapshot (docs/snapshot.md). */
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

/* The streaming input of the reduce. A source is one date range of the store (a shard,
 * holding dates in [lower, upper); INT32_MIN / INT32_MAX unbounded): read() hands each of its
 * stored transactions to `row` with `sink`, month by month in ascending order (any order within
 * a month); a non-zero return from row stops the read and is returned. The same type as
 * store.h's tx_store_txn_fn. Together the sources of all ranks hold every stored transaction
 * exactly once; their ranges are disjoint (checked, as are the rows' dates and months). */
typedef int (*tx_reduce_row_fn)(void *sink, uint64_t customer_id, int64_t amount_cents,
                                int32_t date, tx_error *err);
typedef struct tx_reduce_source {
    int (*read)(void *ctx, tx_reduce_row_fn row, void *sink, tx_error *err);
    void *ctx;
    int32_t lower, upper;
} tx_reduce_source;

/* Collective over comm. Each rank passes its nsrc sources (any number, 0 included). Streams
 * each source once (a rank's sources in date order) and folds it into per-customer state as
 * rows arrive (memory: the customers of the sources plus fixed buffers, never the
 * transactions); rows after the as-of
 * date are ignored. Partials travel to the rank owning their customer (contiguous, sorted
 * customer_id ranges by sample sort) and merge there exactly; then docs/analytics.md and the snapshot
 * `<dir>/snapshot-<run_id>.h5`, written collectively (temporary name, rename, then
 * `<dir>/latest.h5` symlink). On success *path_out (if not NULL) holds the final path. All
 * ranks return the same status (a source's error included); on error nothing is left at the
 * final path. With opts->holdout_start set (not INT32_MIN) the snapshot also holds /holdout
 * (snapshot.h): it must be after the first transaction date and not after as-of, else
 * TX_EUSAGE naming --holdout-start; the rest of the snapshot is the same as without it. */
int tx_reduce_snapshot_stream(MPI_Comm comm, const tx_reduce_source *src, int nsrc,
                              const tx_analytics_opts *opts, const tx_run_info *run,
                              const char *dir, char *path_out, size_t path_len,
                              tx_error *err);

/* Collective over comm. The same from transactions in memory (tests, small inputs): each rank
 * passes the transactions it holds (any subset; together the ranks pass every stored
 * transaction exactly once, in any order, any split). They are redistributed by date (each
 * rank then holds one date range: a source, in date order) and streamed to tx_reduce_snapshot_stream; memory
 * grows with n. txns stays owned by the caller and may be reordered. */
int tx_reduce_snapshot(MPI_Comm comm, tx_txn *txns, size_t n, const tx_analytics_opts *opts,
                       const tx_run_info *run, const char *dir, char *path_out,
                       size_t path_len, tx_error *err);

#endif
