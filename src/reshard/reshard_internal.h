/* reshard_internal.h - inside `txetl reshard` (src/reshard/ only):
 *   reshard.c       the driver: preflight checks, boundaries and plan, journal, switch, cleanup
 *   reshard_move.c  the moves: rows, revenue_daily rows, directory blocks, etl_runs rows */
#ifndef TXETL_RESHARD_INTERNAL_H
#define TXETL_RESHARD_INTERNAL_H

#include <stdint.h>

#include <mpi.h>

#include "txetl/reshard.h"
#include "txetl/store.h"

/* Rows (TransactionsOptimized) and directory blocks per chunk: bounds the memory of a move. */
#define TX_RESHARD_ROW_CHUNK 50000
#define TX_RESHARD_DIR_CHUNK 8192

typedef struct tx_rs {
    MPI_Comm comm;
    int rank, nranks;
    const tx_reshard_opts *o;
    int n, m;                /* old and new shard counts (m = groups of the shard file) */
    tx_store **own;          /* [m]: shards this rank owns (s % nranks == rank), run lock held */
    tx_store **peer;         /* [m]: the others, opened as move targets */
    int32_t *bound;          /* [m + 1]: the new boundaries */
    int *mover;              /* [m * m]: the rank that moves old shard s's rows to t (s * m + t) */
    tx_store_reshard_journal j;      /* the journal (recorded or new) */
    char reshard_id[65];
    uint64_t rows, revenue, blocks; /* this rank's moves */
    int hooked_rows, hooked_revenue, hooked_dir;
} tx_rs;

/* Local. The store of shard s for this rank: its own, else a peer connection (opened on first
 * use). */
int tx_rs_store(tx_rs *r, int s, tx_store **out, tx_error *err);

/* Local, pure. The new shard of a date. */
int tx_rs_shard_of(const tx_rs *r, int32_t date);

/* Local (reshard_move.c). This rank's moves, phase by phase: rows (the (source, target) pairs
 * r->mover gives it), then revenue_daily rows and directory blocks out of the old shards it
 * owns; etl_runs rows into the new shards it owns. Each returns this rank's status (callers
 * agree). */
int tx_rs_move_rows(tx_rs *r, tx_error *err);
int tx_rs_move_revenue(tx_rs *r, tx_error *err);
int tx_rs_move_directory(tx_rs *r, tx_error *err);
int tx_rs_copy_runs(tx_rs *r, tx_error *err);
/* Local. TX_ERR, saying how to go on, once SIGINT/SIGTERM arrived (txetl/interrupt.h); checked
 * between chunks and before the switch, so every rank stops at its next step boundary. */
int tx_rs_check_stop(const tx_rs *r, tx_error *err);

#endif
