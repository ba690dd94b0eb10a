/* load_internal.h - what the load's phases share (not a public header: src/load/ only). */
#ifndef TXETL_LOAD_INTERNAL_H
#define TXETL_LOAD_INTERNAL_H

#include <mpi.h>
#include <stdint.h>

#include "txetl/error.h"
#include "txetl/load.h"
#include "txetl/record.h"
#include "txetl/run.h"
#include "txetl/shard.h"

/* Bytes a rank queues before an exchange round: bounds memory per round. */
#define TX_ROUND_BYTES (32u << 20)
/* Days since epoch of 1970-01-01 .. 2099-12-31: the histogram's size. */
#define TX_NDAYS 47482

typedef struct tx_job {
    MPI_Comm comm;
    int rank, nranks;
    const tx_load_opts *o;
    char run_id[64];
    double t0;         /* MPI_Wtime at start */
    int nshards;
    tx_shard **mine;   /* [nshards]: the shards this rank owns (s % nranks == rank), else NULL */
    int32_t *bound;    /* [nshards + 1]: shard s holds dates in [bound[s], bound[s + 1]) */
    int fresh;         /* no shard had a shard map: this run chooses the boundaries */
    int runs_row;      /* an etl_runs row of this run exists in the owned shards */
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
    uint64_t z = id + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (int)(z % (uint64_t)j->nshards);
}

/* Fast text formatting for LOAD DATA rows (load_format.c). Each returns chars written. */
int tx_fmt_u64(char *out, uint64_t v);
int tx_fmt_i64(char *out, int64_t v);
int tx_fmt_cents(char *out, int64_t cents); /* -12.30 */
/* Appends one full row (TransactionsOptimized columns, tab-separated, '\n'-ended), and with
 * `versions` = 1 also op, file_index, file_offset (the stage_versions layout). */
int tx_fmt_row(tx_buf *b, const tx_record *r, int versions);

/* Phases on the shards (load_apply.c). Each is Local: it works on the owned shards and
 * returns this rank's status; callers agree. */
int tx_apply_prepare(tx_job *j, tx_error *err);              /* schema, run lock, stage reset */
int tx_apply_decide(tx_job *j, tx_run_counts *local, tx_error *err); /* versions -> winners */
int tx_apply_commit_rows(tx_job *j, tx_error *err);          /* stage_apply/remove -> table */
int tx_apply_commit_directory(tx_job *j, tx_error *err);     /* directory + audit */
int tx_apply_runs_row(tx_job *j, const char *status, const char *message, tx_error *err);

/* Column lists of the staging tables, for tx_shard_load. */
extern const char *const tx_cols_versions;
extern const char *const tx_cols_rows;

#endif
