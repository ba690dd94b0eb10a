/* reshard.h - `txetl reshard`: grow a cluster of N shards to M > N (docs/reshard.md).
 *
 * The shard file names the cluster's groups [shard0]..[shardN-1] unchanged, then new empty
 * servers [shardN]..[shardM-1]. txetl chooses new date boundaries that balance the stored rows
 * (the newest, open-ended range gets a little less, room to grow), writes a journal in every
 * shard, moves every transaction whose date now belongs to another shard, the revenue_daily
 * rows of those dates and the directory blocks whose home changes, then switches every shard to
 * the new map and count and deletes the journal. Killed at any point, a rerun resumes from the
 * journal with the same boundaries and reaches the same end state. */
#ifndef TXETL_RESHARD_H
#define TXETL_RESHARD_H

#include <stdint.h>

#include <mpi.h>

#include "txetl/error.h"

typedef struct tx_reshard_opts {
    const char *shards_path; /* --shards NEW_FILE */
    int plan;                /* --plan: read only, print what would move */
    int quiet;               /* --quiet: no progress lines */
} tx_reshard_opts;

/* What a reshard did (the same on every rank). */
typedef struct tx_reshard_result {
    int from, to;            /* shard counts */
    int nothing_to_do;       /* the cluster already has `to` shards and no journal */
    uint64_t rows_moved, revenue_moved, blocks_moved;
    double elapsed_s;
} tx_reshard_result;

/* Collective. Runs the reshard (or, with o->plan, prints its plan on stdout of rank 0 and
 * writes nothing). TX_EUSAGE (exit 2) for a shard file that is not the cluster's groups
 * followed by empty servers, a smaller or equal count, an unfinished load or another
 * unfinished reshard; TX_ERR when a shard fails midway (rerun to resume). */
int tx_reshard_run(MPI_Comm comm, const tx_reshard_opts *o, tx_reshard_result *res,
                   tx_error *err);

/* Local, pure. The boundaries of m shards for the stored rows per date hist[TX_NDAYS]:
 * bound[0] = INT32_MIN, bound[m] = INT32_MAX, bound[1..m-1] strictly increasing, chosen so that
 * shards 0..m-2 hold about equal rows and the last (open-ended) shard about `last_share` of one
 * of theirs (0.9: room for the dates still to come). */
void tx_reshard_choose(const uint64_t *hist, int m, double last_share, int32_t *bound);

/* The last shard's share of rows relative to the others' (docs/reshard.md). */
#define TX_RESHARD_LAST_SHARE 0.9

#endif
