/* load_internal.h - what the load's phases share (not a public header: src/load/ only): the job
 * context and, file by file, what each part of the load offers the others.
 *
 *   load.c          the driver: the phases in order (tx_load_run, tx_snapshot_run)
 *   load_job.c      the job context: init and close, run id, the agreed UTC clock
 *   load_map.c      phase 0: the cluster view (shard count, owned stores, shard map)
 *   load_scan.c     phase 1: the scan's source and sink, the input, the version sorter
 *   load_rejects.c  the rejects parts (one per rank) and their join
 *   load_route.c    the routed rounds every phase with messages runs (tags, pack, rounds)
 *   load_decide.c   phase 2: deciding versions, rows and removals to the shards of their dates
 *   load_apply.c    what each phase hands the stores of the owned shards
 *   load_reduce.c   phase 5: the stored transactions read back, the reduce step
 *   load_summary.c  progress, phase times, the human and JSON summaries
 *   load_format.c   LOAD DATA rows and directory blocks
 *   load_identity.c phase 0: cluster identity, server and table checks before any write
 *   load_fx.c       phase 1's end: the currencies a snapshot will need, before any write
 *   load_plan.c     phase 2's decisions per shard and by example; --plan's report */
#ifndef TXETL_LOAD_INTERNAL_H
#define TXETL_LOAD_INTERNAL_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

#include "txetl/error.h"
#include "txetl/extract.h"
#include "txetl/load.h"
#include "txetl/record.h"
#include "txetl/run.h"
#include "txetl/calendar.h"
#include "txetl/fmt.h"
#include "txetl/hash.h"
#include "txetl/store.h"
#include "txetl/reduce.h"
#include "txetl/route.h"
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

/* The phases of a load, numbered as load.c's driver runs them and as README "Design" names
 * them. Each is local work ending in an agreement; the summary times phases 1-5. */
typedef enum tx_phase {
    TX_PHASE_PREFLIGHT, /* 0: shard file, stores, run lock, schema, shard map; input headers */
    TX_PHASE_SCAN,      /* 1: scan + validate + route versions to their directory shards */
    TX_PHASE_DECIDE,    /* 2: decide each transaction; rows and removals to their shards */
    TX_PHASE_FINISH,    /* 3: everything staged and committed, the journal marks it staged */
    TX_PHASE_COMMIT,    /* 4: each shard applies its part in one transaction (rows, directory,
                           audit, revenue_daily) */
    TX_PHASE_REDUCE,    /* 5: reduce + snapshot (unless --no-snapshot) */
    TX_NPHASES
} tx_phase;

/* What a run reports (load_summary.c): one clock, the counts of docs/load.md and the phase times. The
 * progress lines, the phase lines, the human summary and --summary-json all read it. */
typedef struct tx_run_summary {
    int talk;                  /* this rank prints progress and phase lines (rank 0, no --quiet) */
    int progress_line;         /* a progress line is open on the terminal */
    double t0;                 /* MPI_Wtime at the job's start: the run's one clock */
    double phase_t0;           /* start of the current phase on that clock */
    double phase_s[TX_NPHASES]; /* durations, set after each phase's agreement (phase 1 counts
                                   from t0: preflight is not timed on its own) */
    double seconds;            /* the run's duration, set once by tx_summary_end */
    tx_run_counts counts;      /* this rank's during the scan, the global counts after */
} tx_run_summary;

/* What phase 2 decided, per shard and by example (load_decide.c), for --plan and the JSON
 * summary: each transaction's counts on the shard of its date after the run (a delete, or a
 * stale version of a stored row, on the shard of the stored copy); the moves and deletes of
 * the smallest transaction ids. Summed over the ranks by tx_plan_gather (load_plan.c). */
enum { TX_PLAN_EXAMPLES = 5 };
typedef struct tx_example {
    uint64_t id;
    int32_t old_date; /* INT32_MIN: not stored before (a delete of an id never stored) */
    int32_t new_date; /* INT32_MIN: removed (a delete) */
} tx_example;
typedef struct tx_decided {
    tx_run_counts *shard;                  /* [nshards] */
    tx_example move[TX_PLAN_EXAMPLES], del[TX_PLAN_EXAMPLES]; /* ascending ids */
    int nmove, ndel;
    int gathered; /* tx_plan_gather ran: the global figures */
} tx_decided;

typedef struct tx_job {
    /* the job (load_job.c): who runs it, with what options, as which run */
    MPI_Comm comm;
    int rank, nranks;
    const tx_load_opts *o;
    char run_id[64];
    char started_utc[32]; /* rank 0's start, 'YYYY-MM-DD HH:MM:SS.ffffff', the same on all */
    int runs_row;         /* an etl_runs row of this run exists in the owned shards */
    /* the cluster view (load_map.c): the shards, the stores this rank owns, the boundaries */
    int nshards;
    tx_store **mine;   /* [nshards]: the shards this rank owns (s % nranks == rank), else NULL;
                          the null store's in a dry run */
    int32_t *bound;    /* [nshards + 1]: shard s holds dates in [bound[s], bound[s + 1]) */
    int fresh;         /* no shard had a shard map: this run chooses the boundaries */
    int committed;     /* every shard staged this run (its journal says so): it is applied, now
                          or by the next command, so its counts count */
    int journal;       /* run_journal rows of this run may exist (a failure must be resolved) */
    int applied;       /* every shard applied this run */
    char cluster_id[40]; /* the cluster's id (recorded, or chosen by this first load) */
    /* the owned shards as homes of dates and directory shards (load_apply.c, load_decide.c) */
    tx_home *homes;    /* [nshards]: state of the owned shards (zeroed entries elsewhere) */
    /* what the run reports (load_summary.c); the per-shard tallies are kept by rows_sink
     * (load_decide.c) under these names and summed by the JSON summary */
    tx_run_summary sum;
    uint64_t *shard_rows, *shard_removed; /* [nshards]: rows this rank applied / removed */
    tx_decided decided; /* phase 2's decisions per shard and examples (load_plan.c) */
    char snapshot[4096]; /* the snapshot phase 5 wrote (staged: its temporary path), or "" */
    char warning[1400];  /* what failed after the run succeeded (load_publish.c), or "" */
} tx_job;

/* Local, pure. The rank owning shard `shard`. */
static inline int tx_job_owner(const tx_job *j, int shard)
{
    return shard % j->nranks;
}

/* Local, pure. Shard owning a date: the number of inner boundaries at or below it. */
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

/* Local, pure. Shard holding a transaction_id's directory entry: a fixed hash of its block. */
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

/* Local. Appends block b as a LOAD DATA line of txn_directory: block, entries, tombstones,
 * data. TX_ENOMEM. */
int tx_fmt_dir_block(tx_buf *buf, const tx_dir_block *b);
/* Local. Reads the data column of block `block` (len bytes, as stored). Returns 0, or -1 when
 * it is malformed. */
int tx_parse_dir_block(uint64_t block, const char *data, size_t len, tx_dir_block *out);

/* Local. Appends one row of TransactionsOptimized's columns, tab-separated, '\n'-ended.
 * TX_ENOMEM. */
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
/* After the last row: the last directory rows, then tx_store_finish of each owned shard (all
 * of its part committed in the stage_* tables). */
int tx_apply_finish(tx_job *j, tx_error *err);
/* The journal of each owned shard marks the run staged (call after tx_apply_finish and the
 * etl_runs row with the decided counts). */
int tx_apply_stage_mark(tx_job *j, tx_error *err);
/* Each owned shard applies what it staged (tx_store_apply), call only when every shard has
 * staged; test hooks "load.apply" before the first, "load.apply_one" after it. */
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

/* TransactionsOptimized's columns in tx_fmt_row's order (load_format.c; the store keeps its
 * own copy of the list next to the LOAD DATA it is for). */
extern const char *const tx_cols_rows;


/* ---- the job (load_job.c) ------------------------------------------------------------------ */

/* Collective. A job for comm running options o: rank and size, the summary's clock started,
 * the run id and start time (rank 0's, broadcast). Release with tx_job_close. */
void tx_job_init(tx_job *j, MPI_Comm comm, const tx_load_opts *o);
/* Local. Closes the owned stores and frees the per-shard state; closing again is a no-op. */
void tx_job_close(tx_job *j);
/* Collective. Rank 0's clock as 'YYYY-MM-DD HH:MM:SS.ffffff' UTC, the same on every rank, so
 * every shard's etl_runs row carries the same times. */
void tx_job_utc_now(tx_job *j, char out[32]);
/* Local. *run as the job stands: run id, ranks, shards, the global counts and the run's
 * duration (tx_summary_end; 0 before), created now. */
void tx_job_fill_run(const tx_job *j, tx_run_info *run);

/* ---- the cluster view (load_map.c) --------------------------------------------------------- */

/* Collective (agrees). Counts the shard groups of --shards into j->nshards and allocates the
 * per-shard arrays of j (stores, homes, boundaries, tallies); on failure nothing is allocated.
 * Returns the agreed status. */
int tx_map_count(tx_job *j, tx_error *err);
/* Local. Opens a store on `ops` for every shard this rank owns (j->mine). Returns this rank's
 * status; callers agree. */
int tx_map_open_stores(tx_job *j, const tx_store_ops *ops, tx_error *err);
/* Local. tx_map_open_stores for a command that only reads (`txetl snapshot`): each store by
 * tx_store_open_read, which creates nothing on the server. Returns this rank's status. */
int tx_map_open_stores_read(tx_job *j, const tx_store_ops *ops, tx_error *err);
/* Local. Reads the shard_map of owned shard s into bounds[0 .. nshards] (shard i holds
 * [bounds[i], bounds[i + 1])); *has = 1 when the shard holds a map. TX_EUSAGE when the map
 * names another shard count than the shard file. */
int tx_map_read(tx_job *j, int s, int32_t *bounds, int *has, tx_error *err);
/* Collective (agrees), phase 0. tx_map_count, tx_map_open_stores, the cluster identity,
 * servers and tables checked (tx_load_check, before anything is written), the run lock and
 * schema of every owned shard (tx_apply_prepare) and its shard map; then j->bound and j->fresh, the same
 * on every rank. TX_EUSAGE when a shard map names another shard count or the shards' maps
 * differ. */
int tx_map_preflight(tx_job *j, const tx_store_ops *ops, tx_error *err);
/* Local. j->bound for a fresh cluster from the global date histogram `hist`
 * [TX_NDAYS]: shard i starts at the first date by which i/N of the records lie before it. */
void tx_map_choose(tx_job *j, const uint64_t *hist);
/* Local. Writes the shard map, then the cluster identity (j->cluster_id, from tx_load_check),
 * to the owned shards that lack them: all of them at the first load, the ones a failed first
 * load did not reach otherwise. Neither is ever written again to a shard that has it. */
int tx_map_write(tx_job *j, tx_error *err);

/* ---- the routed rounds (load_route.c) ------------------------------------------------------ */

/* Messages between ranks: packed records (spill.h) whose head gives the tag and the shard the
 * message is for. */
enum { MSG_VERSION = 1, MSG_APPLY = 2, MSG_REMOVE = 3 };

/* Local. Packs r into the outbox for rank `dest`. */
static inline int send_packed(tx_outbox *ob, int dest, int shard, int tag, const tx_record *r,
                              tx_error *err)
{
    char buf[sizeof(tx_packed_head) + sizeof(tx_record) + 8];
    return tx_outbox_put(ob, dest, buf, tx_pack(buf, shard, tag, r), err);
}

/* Local. The size of the packed message at p (of `left` bytes), or TX_ERR for a damaged
 * round. */
static inline int next_msg(const char *p, size_t left, size_t *size, tx_error *err)
{
    *size = tx_packed_entry(p, left);
    if (*size == 0)
        return tx_error_set(err, TX_ERR, "a damaged message in an exchange round");
    return TX_OK;
}

/* A source fills the outbox up to the round budget and says whether it has more; a sink takes
 * the messages (`bytes` of packed records) a round delivered to this rank. */
typedef int (*source_fn)(tx_job *j, void *ctx, tx_outbox *ob, int *more, tx_error *err);
typedef int (*sink_fn)(tx_job *j, void *ctx, const char *m, size_t bytes, tx_error *err);

/* Collective (agrees). Exchange rounds until no rank has more: src fills each round (while
 * this rank's status is TX_OK), sink takes what the round delivered, this rank's own part
 * first. A local failure stops local work but not the rounds; returns the agreed status. */
int tx_routed_phase(tx_job *j, source_fn src, void *sctx, sink_fn sink, void *kctx,
                    tx_error *err);

/* ---- the rejects (load_rejects.c) ---------------------------------------------------------- */

/* This rank's part of the rejects file, "<--rejects>.part<rank>.<run_id>", sorted by input
 * position like the share it comes from. --rejects /dev/null discards (no part: path NULL). */
typedef struct tx_rejects_part {
    char *path;
    FILE *f;
} tx_rejects_part;

/* Local. Creates this rank's part. TX_ERR naming it when it cannot be written; TX_EUSAGE when
 * --rejects names an existing non-regular file other than /dev/null; TX_ENOMEM. */
int tx_rejects_part_open(const tx_job *j, tx_rejects_part *p, tx_error *err);
/* Local. Appends the line of a rejected record: file,line,offset,reason,record (its first
 * 4096 bytes), CSV-quoted. TX_ERR naming the rejects file when the part cannot be written. */
int tx_rejects_put(const tx_job *j, tx_rejects_part *p, const char *file, const tx_raw *raw,
                   tx_error *err);
/* Local. Closes the part (the file stays for tx_rejects_join) and frees its path. Returns rc,
 * or TX_ERR naming the part when rc is TX_OK and it cannot be written. */
int tx_rejects_part_close(tx_rejects_part *p, int rc, tx_error *err);
/* Collective (agrees). Rank 0 joins every rank's part, in rank order, under the header line
 * into --rejects (a temporary file renamed into place) and removes the parts. */
int tx_rejects_join(tx_job *j, tx_error *err);

/* ---- phase 1: scan and route (load_scan.c) ------------------------------------------------- */

/* What the scan leaves for the later phases. Zeroed is empty; release with tx_scan_close. */
typedef struct tx_scan {
    tx_input *in;      /* the input files */
    uint64_t *hist;    /* [TX_NDAYS]: after phase 1, the global date histogram */
    tx_sorter *sorter; /* after phase 1, this rank's versions sorted for phase 2 */
    tx_fx *fx;         /* the rates a load with a snapshot checks its currencies against */
    tx_fx_need need;   /* the scan's valid versions per currency (load_fx.c), when fx is set */
} tx_scan;

/* Collective (agreed by tx_input_open), the end of phase 0. Opens --files and checks their
 * headers; rank 0 names the columns it ignores. */
int tx_scan_open(tx_job *j, tx_scan *sc, tx_error *err);
/* Collective (agrees), phase 1. One parse of this rank's share: rejects to this rank's part,
 * valid records in the date histogram and, as versions, to the rank of their directory shard,
 * which sorts them (count_routes: only counted per destination, as --dry-run does, and logged
 * by rank 0). Then the global counts (j->sum.counts) and histogram, the rejects joined, the
 * phase timed; TX_ERR when the reject rate exceeds --max-reject-rate or the count
 * --max-rejects (a limit given). */
int tx_scan_phase(tx_job *j, tx_scan *sc, int count_routes, tx_error *err);
/* Local. Frees what the scan holds. */
void tx_scan_close(tx_scan *sc);

/* ---- phase 2: decide and apply (load_decide.c) --------------------------------------------- */

/* Collective (agrees), phase 2. tx_apply_begin on the owned shards with the global histogram,
 * then rounds: the versions of *sorter decided a block of ids at a time against the stored
 * directory entries (docs/load.md, txetl/versions.h); rows go to the rank owning the shard of their
 * date, removals of old copies to the shard of the old date, and every round is handed to the
 * stores; directory and audit rows are kept for the commit. A change row of an input file
 * (`in`) whose header lacks an optional column keeps that column's stored value (docs/input.md,
 * tx_versions_opts.file_cols). Frees *sorter. On success the
 * decisions' global counts are in j->sum.counts and the phase is timed. */
int tx_decide_phase(tx_job *j, const tx_input *in, tx_sorter **sorter, const uint64_t *hist,
                    tx_error *err);

/* ---- currencies before any write (load_fx.c) ---------------------------------------------- */

/* Collective (agrees), before the scan. For a load that writes a snapshot (not --no-snapshot,
 * not --dry-run): --fx-rates read (a malformed file refused now) into sc->fx, so the scan
 * counts its valid versions per currency and date in sc->need. */
int tx_load_fx_open(tx_job *j, tx_scan *sc, tx_error *err);
/* Collective (agrees), after the scan, before anything is written. The currencies stored after
 * the run are taken to be those stored now (every owned shard's revenue_daily) and those of
 * the valid versions (a delete that would remove a currency's last row is not counted off):
 * when any but the reporting currency has rows on dates no rate covers, TX_EUSAGE naming them
 * and their shares, as the snapshot would refuse after the rows were applied. TX_OK when the
 * check does not apply (sc->fx NULL). */
int tx_load_fx_check(tx_job *j, tx_scan *sc, tx_error *err);

/* ---- --plan (load_plan.c) ------------------------------------------------------------------ */

/* Local. Counts one decided transaction in j->decided: `o` its outcome, `winner` its best
 * version. */
void tx_plan_tally(tx_job *j, const tx_versions_outcome *o, const tx_record *winner);
/* Collective. Sums j->decided over the ranks (rank 0 gets the global per-shard counts and the
 * smallest ids' examples). */
void tx_plan_gather(tx_job *j);
/* Local (rank 0 prints). What the run would do: the counts per shard, the examples of moves and
 * deletes (transaction, old date and shard -> new date and shard). */
void tx_plan_print(const tx_job *j, FILE *out);
/* ---- a failed run's completion or undoing (load_recover.c) ------------------------------- */

/* Collective (agrees). With the run lock held on every owned store (j->mine, writable):
 * every run the journals hold as unfinished is completed (every shard has it staged or
 * applied) or undone (docs/load.md "A failed run"), `by` ("run X", "snapshot X") recorded in
 * its etl_runs row; rank 0 says which on stderr. `rc` is this rank's status so far. *done = 1
 * when a run was resolved (the caller reads the shards' state again). */
int tx_recover_runs(tx_job *j, int rc, const char *by, int *done, tx_error *err);
/* Collective. Whether any owned shard's journal holds an unfinished run (reads only): the
 * agreed answer, 0 on any error. */
int tx_recover_pending(tx_job *j);

/* ---- phase 5: reduce (load_reduce.c) ------------------------------------------------------- */

/* Collective (agrees). The reduce step over every shard's stored transactions, streamed shard
 * by shard with each shard's date range (j->bound when `bounds_known`, as in a load; otherwise
 * each shard's own shard_map, as in `txetl snapshot`), every rank reading its own months of
 * every shard over read-only connections of its own (load_reduce.c), and the snapshot under
 * --snapshot-dir (txetl/reduce.h) with *run's attributes; rank 0 logs the path, which *path
 * receives. With `staged` the file stays at its temporary name (path), not in place
 * (tx_snapshot_write); tx_load_snapshot_finish puts it there. Publishes nothing. */
int tx_load_reduce(tx_job *j, int bounds_known, int staged, tx_run_info *run, char *path,
                   size_t path_len, tx_error *err);
/* Collective (load_publish.c), once the snapshot at path is written and, for a load, its run
 * marked succeeded: with `staged` rank 0 puts it in place (tx_snapshot_install), then unless
 * --no-publish it is published (tx_publish_collective). A failure fails nothing: warn (cap
 * bytes, the same on every rank, "" when all went well) says what stands and what to run, and
 * rank 0 logs it as a warning. */
void tx_load_snapshot_finish(tx_job *j, int staged, const char *path, char *warn, size_t cap);

/* ---- the run summary (load_summary.c) ------------------------------------------------------ */

/* Local. Starts the run's clock; `talk`: this rank prints progress and phase lines. */
void tx_summary_start(tx_run_summary *s, int talk);
/* Local. A progress line of `phase` (when talking): done of total units of this rank's share,
 * rows so far; on a terminal one line updated in place about twice a second, in a log a line
 * every 5 seconds (*last: when the previous was printed). */
void tx_summary_progress(tx_run_summary *s, const char *phase, uint64_t done, uint64_t total,
                         uint64_t rows, double *last);
/* Local. The name load_decide.c (moved as it was) calls tx_summary_progress by. */
static inline void progress(tx_job *j, const char *phase, uint64_t done, uint64_t total,
                            uint64_t rows, double *last)
{
    tx_summary_progress(&j->sum, phase, done, total, rows, last);
}
/* Local. Ends `phase` now (call after its agreement, so its time is the slowest rank's): keeps
 * its duration and, when talking, logs "<what> in S s (T s since start)". */
void tx_summary_phase_done(tx_run_summary *s, tx_phase phase, const char *what);
/* Local. Stops the run's clock: s->seconds. */
void tx_summary_end(tx_run_summary *s);
/* Collective. Sums this rank's counts over the ranks, in place. */
void tx_summary_sum_counts(MPI_Comm comm, tx_run_counts *c);
/* Collective (when --summary-json is given and the shard file was read). Sums the per-shard
 * tallies; rank 0 writes --summary-json for the run *run ended with status rc (err's message
 * when failed): run id, status, the counts, the phase times and the rows per shard. A file
 * that cannot be written is logged, not returned. */
void tx_summary_write_json(tx_job *j, const tx_run_info *run, int rc, const tx_error *err);

#endif
