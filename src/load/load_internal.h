/* load_internal.h - what the load's phases share (not a public header: src/load/ only). */
#ifndef TXETL_LOAD_INTERNAL_H
#define TXETL_LOAD_INTERNAL_H

#include <mpi.h>
#include <stdint.h>

#include "txetl/error.h"
#include "txetl/load.h"
#include "txetl/record.h"
#include "txetl/run.h"
#include "txetl/calendar.h"
#include "txetl/fmt.h"
#include "txetl/hash.h"
#include "txetl/store.h"
#include "txetl/versions.h"
#include "spill.h"

/* Bytes a rank queues before an exchange round: bounds memory per round. */
#define TX_ROUND_BYTES (16u << 20)
/* Versions a rank sorts in memory before spilling a sorted run (~200 bytes each with its
 * key): this caps the sorter's memory whatever the input size. */
#define TX_SORT_RECORDS (1024u * 1024u)
/* The directory keeps transactions in blocks of TX_DIR_BLOCK consecutive ids (block = id /
 * TX_DIR_BLOCK), one row per block: a backfill writes a sixteenth of the rows it would with a
 * row per id (those rows were a third of a backfill's server time), while a change batch
 * rewrites at most TX_DIR_BLOCK entries per id it touches. */
#define TX_DIR_BLOCK 16
/* Bytes of directory or audit rows per LOAD DATA handed to a loader thread. */
#define TX_DIR_CHUNK (8u << 20)
/* Row loaders per shard, each on its own months' partitions. */
#define TX_ROW_LOADERS TX_STORE_ROW_LOADERS

/* What a rank keeps per shard it owns, as the home of dates and as a directory shard. */
typedef struct tx_home {
    uint8_t months[TX_NMONTHS]; /* month partitions present */
    int dir_empty;              /* the directory was empty: no look-ups needed */
    int has_map;                /* the shard holds the shard map */
    int has_identity;           /* the shard holds the cluster identity (load_identity.c) */
    tx_buf dir, audit;          /* directory and audit rows not yet handed to the store */
    uint64_t ndir, naudit;
    tx_buf rows[TX_ROW_LOADERS], removes; /* LOAD DATA text of the current round */
    uint64_t nrows[TX_ROW_LOADERS], nremoves;
} tx_home;

/* The stored version of a transaction, from the directory: tx_stored (txetl/versions.h). */

/* Phases with their own time in the summary. */
enum { PH_SCAN, PH_APPLY, PH_FINISH, PH_COMMIT, PH_REDUCE, TX_NPHASES };

typedef struct tx_job {
    MPI_Comm comm;
    int rank, nranks;
    const tx_load_opts *o;
    char run_id[64];
    char started_utc[32];  /* rank 0's start, 'YYYY-MM-DD HH:MM:SS.ffffff', the same on all */
    double t0;         /* MPI_Wtime at start */
    double phase_t0;   /* start of the current phase */
    double phase_s[TX_NPHASES]; /* durations (rank 0, after each phase's agreement) */
    int progress_line; /* a progress line is open on the terminal */
    uint64_t *shard_rows, *shard_removed; /* [nshards]: rows this rank applied / removed */
    uint64_t *routed;  /* [nranks]: versions per destination (--dry-run) */
    int nshards;
    tx_store **mine;   /* [nshards]: the shards this rank owns (s % nranks == rank), else NULL;
                          the null store's in a dry run */
    int32_t *bound;    /* [nshards + 1]: shard s holds dates in [bound[s], bound[s + 1]) */
    int fresh;         /* no shard had a shard map: this run chooses the boundaries */
    int runs_row;      /* an etl_runs row of this run exists in the owned shards */
    int committed;     /* every shard committed this run's directory: its counts are applied */
    char cluster_id[40]; /* the cluster's id (recorded, or chosen by this first load) */
    tx_home *homes;    /* [nshards]: state of the owned shards (NULL entries elsewhere) */
    tx_run_counts counts;
} tx_job;

static inline int tx_job_owner(const tx_job *j, int shard)
{
    return shard % j->nranks;
}

/* Shard owning a date: the number of inner boundaries at or below it. */
static inline int tx_job_shard_of_date(const tx_job *j, int32_t date)
{
    int lo = 1, hi = j->nshards; /* find first i in [1, nshards) with bound[i] > date */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (j->bound[mid] > date)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo - 1;
}

/* Shard holding a transaction_id's directory entry: a fixed hash of the id. */
static inline int tx_job_dir_shard(const tx_job *j, uint64_t id)
{
    return (int)(tx_hash_u64(id / TX_DIR_BLOCK) % (uint64_t)j->nshards); /* a block: one shard */
}

/* The encoding of txn_directory.data that tx_fmt_dir_block writes and tx_parse_dir_block
 * reads, recorded per shard in shard_state ('directory_format'): 2 = entries carry
 * payment_method and currency (1: they did not; such a shard is refused at prepare). */
#define TX_DIR_FORMAT 2
/* A block of the directory (TX_DIR_BLOCK). */
typedef struct tx_dir_block {
    uint64_t block;
    int n;                      /* entries, sorted by id */
    uint64_t id[TX_DIR_BLOCK];
    tx_stored st[TX_DIR_BLOCK]; /* found = 1 */
} tx_dir_block;

/* Appends block b as a LOAD DATA line of txn_directory: block, entries, tombstones, data. */
int tx_fmt_dir_block(tx_buf *buf, const tx_dir_block *b);
/* Reads the data column of block `block` (len bytes, as stored). Returns 0, or -1 when it is
 * malformed. */
int tx_parse_dir_block(uint64_t block, const char *data, size_t len, tx_dir_block *out);

/* Appends one row of TransactionsOptimized's columns, tab-separated, '\n'-ended. */
int tx_fmt_row(tx_buf *b, const tx_record *r);

/* The load's side of the store (load_apply.c): per owned shard, what a phase hands the store.
 * Each is Local: it works on the owned shards (j->mine) and returns this rank's status; callers
 * agree. No SQL here: src/store speaks it. */
/* Run lock, schema (and repairs), the state of j->homes. */
int tx_apply_prepare(tx_job *j, tx_error *err);
/* Before the first row: the store of each owned shard gets the months of every date in `hist`
 * (the run's global date histogram) that it owns and lacks (tx_store_begin). */
int tx_apply_begin(tx_job *j, const uint64_t *hist, tx_error *err);
/* The directory blocks holding n ids (sorted) of directory shard `shard`: *out (grown as
 * needed, *cap entries) gets the blocks found, sorted by block, *nout of them. */
int tx_apply_lookup(tx_job *j, int shard, const uint64_t *ids, size_t n, tx_dir_block **out,
                    size_t *nout, size_t *cap, tx_error *err);
/* Hands the round's rows of shard s (h->rows) and removals (h->removes) to its store. */
int tx_apply_rows(tx_job *j, int s, tx_error *err);
/* Hands shard s's directory/audit rows to its store when over TX_DIR_CHUNK (or all of them
 * when `all`). */
int tx_apply_dir_rows(tx_job *j, int s, int all, tx_error *err);
/* After the last row: the last directory rows, then tx_store_finish of each owned shard. */
int tx_apply_finish(tx_job *j, tx_error *err);
/* Commits the directory transaction of each owned shard (call when every shard has its rows). */
int tx_apply_directory(tx_job *j, tx_error *err);
/* The run's etl_runs row in every owned shard: status, global counts (a "failed" row before
 * j->committed keeps read and rejected, 0 in the applied counts), `finished` (a UTC timestamp
 * agreed by all ranks, or NULL while running), message (or NULL). */
int tx_apply_runs_row(tx_job *j, const char *status, const char *finished, const char *message,
                      tx_error *err);

/* Collective (load_identity.c). Before anything is written: what each group of the shard file
 * reached (tx_store_inspect on the owned shards, exchanged so that every rank sees every
 * group) checked by tx_store_cluster_check, then on each owned shard the tables against
 * sql/schema.sql (tx_store_schema_check) and, for a load (`for_load`), the server's version,
 * local_infile and max_allowed_packet. `rc` is this rank's status so far (a failed open):
 * every rank calls this whatever it is; returns the agreed status (TX_EUSAGE naming the
 * groups, shard, table or server variable at fault and what to do). A load gets
 * j->cluster_id (the recorded one, or a new random one when no shard has any) and
 * j->homes[s].has_identity. */
int tx_load_check(tx_job *j, int rc, int for_load, tx_error *err);
/* Local (load_identity.c). Records the cluster identity in the owned shards that lack it. */
int tx_load_identity_write(tx_job *j, tx_error *err);

/* TransactionsOptimized's columns in tx_fmt_row's order (load_format.c; the store keeps its
 * own copy of the list next to the LOAD DATA it is for). */
extern const char *const tx_cols_rows;

#endif
