/* store.h - the only room that speaks SQL: one shard of a shard file behind a table of
 * operations (ior's aiori back ends), with a MariaDB back end and a null one that writes
 * nothing and finds nothing (--dry-run, unit tests).
 *
 * A shard file is a client option file with groups [shard0] .. [shard<N-1>]; the client library
 * reads the options of each (host, socket, user, password, ssl-*, ...), plus `database`
 * (default Customer). Bulk loads are LOAD DATA LOCAL INFILE streamed from txetl's own memory:
 * the local-infile handler serves only that buffer, never a file a server names.
 *
 * Every operation is Local (no MPI) and works on one shard; callers agree across ranks. Errors
 * name the shard (and the table) at fault. A store's connections are its own: a handle is used
 * by one thread at a time. */
#ifndef TXETL_STORE_H
#define TXETL_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "txetl/calendar.h"
#include "txetl/error.h"
#include "txetl/run.h"

/* ---- payloads ---------------------------------------------------------------------------- */

/* A growable byte buffer: the text of a bulk load. Zero-initialised is empty. */
typedef struct tx_buf {
    char *p;
    size_t len, cap;
} tx_buf;

/* Local. Room for `extra` more bytes (the capacity at least doubles). TX_ENOMEM (no message). */
int tx_buf_reserve(tx_buf *b, size_t extra);
/* Local. Frees the bytes and empties b. */
void tx_buf_free(tx_buf *b);
/* Local. Appends len bytes escaped for a bulk-load field (\\ \t \n \r \0 escaped). TX_ENOMEM. */
int tx_tsv_text(tx_buf *b, const char *s, size_t len);

/* ---- the shard file ---------------------------------------------------------------------- */

/* Local. Counts the groups [shard0] .. [shard<N-1>] of the shard file (contiguous from 0) and
 * (rank 0) warns when the file is readable by group or others. TX_EUSAGE naming the file when
 * it is unreadable, holds no [shard0], has a gap or a group the client library would read
 * under another name ([shard01]), or when a [shard<N>] group holds an option the client
 * library does not know (tx_shardfile_check_options). */
int tx_shardfile_count(const char *path, int *nshards, tx_error *err);

/* Local. Checks every option name of the [shard<N>] groups of the shard file (and of the files
 * it names with !include) against the options the client library (Connector/C) reads from an
 * option file, '_' and '-' alike, `loose-` prefixed names skipped: the library silently ignores
 * an unknown one (`sockett=`), and the shard would then be reached with a default. TX_EUSAGE
 * "shard file F:LINE: [shardN] has option 'sockett', which the client library does not know
 * (did you mean socket?)". */
int tx_shardfile_check_options(const char *path, tx_error *err);

/* ---- a store ----------------------------------------------------------------------------- */

typedef struct tx_store tx_store;

/* How many row loaders a store feeds in parallel (each on its own months). Months are indexed
 * as calendar.h's tx_month_index: 1970-01 .. 2099-12. */
enum { TX_STORE_ROW_LOADERS = 2 };

/* What a shard holds when a run starts (tx_store_prepare). */
typedef struct tx_store_state {
    uint8_t months[TX_NMONTHS]; /* 1 = TransactionsOptimized has that month's partition */
    int table_empty;   /* TransactionsOptimized holds no row: this run is its backfill */
    int dir_empty;     /* txn_directory holds no block: look-ups can be skipped */
    int revenue_dirty; /* an earlier backfill died before recomputing revenue_daily */
} tx_store_state;

/* One row of shard_map: shard `index` of `count` holds dates in [lower, upper) (days since
 * 1970-01-01; INT32_MIN / INT32_MAX for unbounded). A non-zero return stops the read. */
typedef int (*tx_store_map_fn)(void *ctx, int index, int count, int32_t lower, int32_t upper,
                               tx_error *err);
/* One stored directory block: its number and its `data` column as stored (len bytes, valid
 * during the call). A non-zero return stops the look-up. */
typedef int (*tx_store_block_fn)(void *ctx, uint64_t block, const char *data, size_t len,
                                 tx_error *err);
/* One stored transaction, for the reduce: its amount in cents of its currency, which is packed
 * as its three letters c0 << 16 | c1 << 8 | c2 (reduce.h's tx_currency_pack). A non-zero return
 * stops the read. */
typedef int (*tx_store_txn_fn)(void *ctx, uint64_t customer_id, int64_t amount_cents,
                               int32_t date, uint32_t currency, tx_error *err);
/* One (date, currency) of the stored transactions: how many there are (revenue_daily's
 * transactions); currency packed as tx_store_txn_fn's. A non-zero return stops the read. */
typedef int (*tx_store_revenue_fn)(void *ctx, int32_t date, uint32_t currency,
                                   uint64_t transactions, tx_error *err);
/* A run's etl_runs row. Strings are borrowed. */
typedef struct tx_store_run {
    const char *run_id;
    const char *started;  /* 'YYYY-MM-DD HH:MM:SS.ffffff' UTC */
    const char *finished; /* the same, or NULL while running */
    const char *status;   /* running | succeeded | failed */
    const char *message;  /* or NULL (at most 1024 bytes are kept) */
    int ranks, shards;
    char *const *files;
    int nfiles;
    const tx_run_counts *counts; /* the run's global counts */
} tx_store_run;

/* What a group of the shard file reached (tx_store_inspect): the server, the database and the
 * cluster identity recorded there. Plain bytes (no pointers): ranks exchange them as such. */
typedef struct tx_store_facts {
    int reached;            /* 1 once filled */
    int db_exists;          /* the database exists (a load creates it) */
    int has_tables;         /* the database holds TransactionsOptimized */
    int has_identity;       /* cluster_identity holds a row */
    int index, count;       /* the recorded shard index and shard count */
    char cluster_id[36];    /* the recorded cluster id (32 hex digits) */
    char where[200];        /* "the server at socket /x/sock" / "... at HOST port P" */
    char database[68];
    char key[400];          /* equal keys = the same database on the same server */
    char version[80];       /* @@version */
    int local_infile;       /* @@GLOBAL.local_infile */
    uint64_t max_allowed_packet; /* @@GLOBAL.max_allowed_packet */
    int reshard_from, reshard_to; /* an unfinished reshard's journal: from -> to shards (0: none) */
} tx_store_facts;

/* The largest statement txetl sends a server, which max_allowed_packet must allow: the
 * partition DDL of a first load whose dates span all 1560 months (under 200 KiB), a directory
 * look-up of 2048 blocks (about 45 KiB), an etl_runs row (about 12 KiB); LOAD DATA LOCAL
 * streams its text (directory/audit chunks of 8 MiB, row rounds of 16 MiB) in packets of the
 * client's network buffer, so those sizes do not count. 1 MiB leaves room. */
#define TX_STORE_PACKET_NEED (1u << 20)

/* A run's state in one shard's intent journal (run_journal, docs/load.md "A failed run"). */
enum {
    TX_JOURNAL_NONE = 0, /* the run wrote nothing here */
    TX_JOURNAL_OPEN,     /* it began writing (a backfill: rows straight into the table) */
    TX_JOURNAL_STAGED,   /* everything this shard applies for it is staged and committed */
    TX_JOURNAL_APPLIED,  /* this shard applied it */
    TX_JOURNAL_UNDONE,   /* a later command undid it */
};
typedef struct tx_store_journal {
    int state;            /* TX_JOURNAL_* */
    int backfill;         /* the run stored its rows straight into an empty table here */
    char resolved_by[80]; /* "run X" / "snapshot X" that completed or undid it, or "" */
    char message[400];    /* the run's etl_runs message here, or "" */
} tx_store_journal;

/* A partition's date range and estimated rows (tx_store_month_rows). */
typedef int (*tx_store_part_rows_fn)(void *ctx, int32_t lower, int32_t upper, uint64_t rows,
                                     tx_error *err);

/* A back end: its operations, one function type each (the back end defines them, tx_store_ops
 * points at them). Each operation's contract is the one of its tx_store_* wrapper below. One
 * a back end leaves NULL does nothing and succeeds (a load takes its text and frees it); all
 * have prepare, read_months, status and inspect. */
typedef int tx_store_open_op(tx_store *s, tx_error *err);
typedef void tx_store_close_op(tx_store *s);
typedef int tx_store_run_lock_op(tx_store *s, tx_error *err);
typedef int tx_store_prepare_op(tx_store *s, int dir_format, tx_store_state *st, tx_error *err);
typedef int tx_store_map_read_op(tx_store *s, tx_store_map_fn fn, void *ctx, tx_error *err);
typedef int tx_store_map_write_op(tx_store *s, int nshards, const int32_t *bound,
                                  const char *run_id, tx_error *err);
typedef int tx_store_begin_op(tx_store *s, const int *months, size_t nmonths, tx_error *err);
typedef int tx_store_dir_lookup_op(tx_store *s, const uint64_t *blocks, size_t n,
                                   tx_store_block_fn fn, void *ctx, tx_error *err);
typedef int tx_store_rows_load_op(tx_store *s, int loader, tx_buf *rows, uint64_t n, tx_error *err);
typedef int tx_store_rows_remove_op(tx_store *s, tx_buf *keys, uint64_t n, tx_error *err);
typedef int tx_store_dir_load_op(tx_store *s, tx_buf *blocks, uint64_t n, tx_error *err);
typedef int tx_store_audit_load_op(tx_store *s, tx_buf *rows, uint64_t n, tx_error *err);
typedef int tx_store_finish_op(tx_store *s, tx_error *err);
typedef int tx_store_dir_commit_op(tx_store *s, tx_error *err);
typedef int tx_store_runs_row_op(tx_store *s, const tx_store_run *run, tx_error *err);
typedef int tx_store_read_txns_op(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err);
typedef int tx_store_read_months_op(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err);
typedef int tx_store_read_dates_op(tx_store *s, int32_t lo, int32_t hi, tx_store_txn_fn fn,
                                   void *ctx, tx_error *err);
typedef int tx_store_month_rows_op(tx_store *s, tx_store_part_rows_fn fn, void *ctx,
                                   tx_error *err);
typedef int tx_store_status_op(tx_store *s, FILE *out, tx_error *err);
typedef int tx_store_inspect_op(tx_store *s, tx_store_facts *f, tx_error *err);
typedef int tx_store_schema_check_op(tx_store *s, int mode, tx_error *err);
typedef int tx_store_identity_write_op(tx_store *s, const char *cluster_id, int count,
                                       const char *run_id, tx_error *err);
typedef int tx_store_revenue_read_op(tx_store *s, tx_store_revenue_fn fn, void *ctx, tx_error *err);
typedef int tx_store_journal_mark_op(tx_store *s, const char *run_id, int state, tx_error *err);
typedef int tx_store_apply_op(tx_store *s, const char *run_id, tx_error *err);
typedef int tx_store_journal_pending_op(tx_store *s, char *run_id, size_t size, tx_error *err);
typedef int tx_store_journal_state_op(tx_store *s, const char *run_id,
                                      struct tx_store_journal *out, tx_error *err);
typedef int tx_store_journal_resolve_op(tx_store *s, const char *run_id, int complete,
                                        const char *by, tx_error *err);

typedef struct tx_store_ops {
    const char *name;
    tx_store_open_op *open;
    tx_store_close_op *close;
    tx_store_run_lock_op *run_lock;
    tx_store_prepare_op *prepare;
    tx_store_map_read_op *map_read;
    tx_store_map_write_op *map_write;
    tx_store_begin_op *begin;
    tx_store_dir_lookup_op *dir_lookup;
    tx_store_rows_load_op *rows_load;
    tx_store_rows_remove_op *rows_remove;
    tx_store_dir_load_op *dir_load;
    tx_store_audit_load_op *audit_load;
    tx_store_finish_op *finish;
    tx_store_dir_commit_op *dir_commit;
    tx_store_runs_row_op *runs_row;
    tx_store_read_txns_op *read_txns;
    tx_store_read_months_op *read_months;
    tx_store_read_dates_op *read_dates; /* the reduce's read of a date range (NULL: none) */
    tx_store_month_rows_op *month_rows;
    tx_store_status_op *status;
    tx_store_inspect_op *inspect;
    tx_store_schema_check_op *schema_check;
    tx_store_identity_write_op *identity_write;
    tx_store_revenue_read_op *revenue_read;
    /* the run's intent journal (a back end without one leaves these NULL: no-ops) */
    tx_store_journal_mark_op *journal_mark;
    tx_store_apply_op *apply;
    tx_store_journal_pending_op *journal_pending;
    tx_store_journal_state_op *journal_state;
    tx_store_journal_resolve_op *journal_resolve;
} tx_store_ops;

/* The MariaDB/MySQL back end (connections from the shard file). */
extern const tx_store_ops tx_store_mariadb;
/* The null back end: connects to nothing, writes nothing; a shard that is empty and has no
 * shard map, whose loads and commits succeed and whose reads return no row. */
extern const tx_store_ops tx_store_null;
/* The plan back end (store_plan.c, `txetl load --plan`): reads from MariaDB as the MariaDB
 * back end does (what the shard holds, its shard map, directory look-ups, the checks before a
 * load) and discards every write: it creates no database, table or partition, writes no row and
 * takes only the run lock (GET_LOCK, which writes nothing). A shard without a database or
 * txetl's tables reads as empty. */
extern const tx_store_ops tx_store_plan;

/* Local. A store for shard `index` of the shard file at `path`, on back end `ops`: the MariaDB
 * back end connects (timeouts set; the database made current when it exists). Connecting
 * writes nothing: a missing database is created by tx_store_prepare (a load's). TX_ERR naming
 * the shard and the server's message when it cannot; TX_ENOMEM. *out is NULL on failure. Free
 * with tx_store_close. */
int tx_store_open(const tx_store_ops *ops, const char *path, int index, tx_store **out,
                  tx_error *err);
/* Local. tx_store_open for a command that only reads (status, snapshot): the database must
 * exist, else TX_EUSAGE "shard N: database D does not exist on <server>: check database= in
 * [shardN] of FILE"; nothing is ever created on the server. */
int tx_store_open_read(const tx_store_ops *ops, const char *path, int index, tx_store **out,
                       tx_error *err);
/* Local. Stops the store's loaders and closes its connections (an uncommitted directory
 * transaction rolls back; the run lock is released). *s = NULL. NULL is a no-op. */
void tx_store_close(tx_store **s);
/* Local. The shard index the store was opened for. */
int tx_store_index(const tx_store *s);

/* Local. Takes the run lock (GET_LOCK('txetl_run'), held while the store is open, taken again
 * after a reconnect). TX_ERR naming the shard and the lock when another run holds it.
 * Statements retry transient failures (1205, 1213, a lost connection) 3 times with backoff,
 * never inside a transaction. */
int tx_store_run_lock(tx_store *s, tx_error *err);

/* Local. Creates the database when absent, the schema (sql/schema.sql; idempotent) and repairs
 * what a dead run left: its etl_runs row marked failed ("abandoned: ..."), any index of
 * sql/schema.sql a table lacks rebuilt (with a warning naming it); an audit_log
 * of an older txetl gets its payment_method/currency columns. `dir_format` is the encoding of
 * txn_directory.data the caller reads and writes: recorded in shard_state while the directory
 * is empty; a non-empty directory recorded with another format (none = format 1) is refused.
 * Fills *st. TX_EUSAGE naming the shard when txn_directory has an older (or newer) txetl's
 * layout; TX_ERR on a store opened by tx_store_open_read. Call with the run lock held, after
 * tx_store_schema_check. */
int tx_store_prepare(tx_store *s, int dir_format, tx_store_state *st, tx_error *err);

/* Local. Hands each row of shard_map, in shard order, to fn. No row: fn is never called. */
int tx_store_map_read(tx_store *s, tx_store_map_fn fn, void *ctx, tx_error *err);
/* Local. Replaces shard_map with the `nshards` shards of bound[0 .. nshards] (shard i holds
 * [bound[i], bound[i + 1]); INT32_MIN / INT32_MAX unbounded), created by run `run_id`. */
int tx_store_map_write(tx_store *s, int nshards, const int32_t *bound, const char *run_id,
                       tx_error *err);

/* Local. Before the first row of a run: gives every month of `months` (YYYYMM, ascending, the
 * months of this run's dates that the shard does not have yet) its partition, empties the
 * staging tables, for a backfill (table_empty) marks revenue_daily dirty and drops the
 * secondary index (built again by tx_store_finish), starts the loaders and opens the
 * directory's transaction. */
int tx_store_begin(tx_store *s, const int *months, size_t nmonths, tx_error *err);

/* Local. Hands fn each stored directory block among blocks[0..n) (ascending, distinct), in no
 * particular order. */
int tx_store_dir_lookup(tx_store *s, const uint64_t *blocks, size_t n, tx_store_block_fn fn,
                        void *ctx, tx_error *err);

/* Local. Queues `n` lines of rows (columns transaction_id, customer_id, transaction_date,
 * transaction_amount, transaction_category, payment_method, currency, last_updated, as
 * tx_tsv_text escapes them) on row loader `loader` (0 .. TX_STORE_ROW_LOADERS - 1; callers
 * keep each month on one loader): a backfill REPLACEs them straight into
 * TransactionsOptimized, an incremental run stages them for tx_store_finish. Takes *rows (b is
 * left empty). A loader's earlier failure is returned here or by tx_store_finish. */
int tx_store_rows_load(tx_store *s, int loader, tx_buf *rows, uint64_t n, tx_error *err);
/* Local. Queues `n` lines "transaction_id\ttransaction_date" of stored copies to remove (by
 * tx_store_finish). Takes *keys. */
int tx_store_rows_remove(tx_store *s, tx_buf *keys, uint64_t n, tx_error *err);
/* Local. Queues `n` lines of directory blocks (block, entries, tombstones, data) into the
 * directory's open transaction (REPLACE by block). Takes *blocks. */
int tx_store_dir_load(tx_store *s, tx_buf *blocks, uint64_t n, tx_error *err);
/* Local. Queues `n` lines of audit_log rows (run_id, transaction_id, action, old_date,
 * new_date, old_amount, new_amount, old_category, new_category, old_last_updated,
 * new_last_updated; applied_at is the server's UTC time) into the directory's transaction.
 * Takes *rows. */
int tx_store_audit_load(tx_store *s, tx_buf *rows, uint64_t n, tx_error *err);

/* Local. After the last row: waits for the row loaders and the directory loader, so that
 * everything of the run is committed in the stage_* tables (a backfill's rows: in the table);
 * nothing is applied yet (tx_store_apply does that). */
int tx_store_finish(tx_store *s, tx_error *err);
/* Local. Waits for the directory loader (the directory and audit rows now commit in
 * tx_store_apply's transaction; kept for back ends). */
int tx_store_dir_commit(tx_store *s, tx_error *err);

/* Local. Hands fn every (date, currency) of the stored transactions with its count, from
 * revenue_daily (counted from TransactionsOptimized when revenue_daily is incomplete). Reads
 * only. A back end without the operation hands nothing. */
int tx_store_revenue_read(tx_store *s, tx_store_revenue_fn fn, void *ctx, tx_error *err);
/* ---- the intent journal (store_journal.c; docs/load.md "A failed run") ------------------ */

/* Local. Records run `run_id` as `state` (TX_JOURNAL_OPEN: call after tx_store_begin, before
 * the first row; TX_JOURNAL_STAGED: call after tx_store_finish, when every row, removal,
 * directory block and audit row of the shard's part is committed in the stage_* tables). */
int tx_store_journal_mark(tx_store *s, const char *run_id, int state, tx_error *err);
/* Local. Applies what the run staged on this shard, in one transaction that also marks it
 * applied: rows and removals (an incremental run) or the backfill's removals, secondary
 * index and revenue_daily, then the directory blocks and audit rows. A no-op when the journal
 * does not hold the run as staged (so completing it again changes nothing). */
int tx_store_apply(tx_store *s, const char *run_id, tx_error *err);
/* Local. The oldest run this shard holds as unfinished ('open' or 'staged') into run_id (size
 * bytes), or "" when none (also when run_journal is absent: a cluster of an older txetl).
 * Reads only. */
int tx_store_journal_pending(tx_store *s, char *run_id, size_t size, tx_error *err);
/* Local. Run `run_id` as this shard's journal and etl_runs hold it. Reads only. */
int tx_store_journal_state(tx_store *s, const char *run_id, tx_store_journal *out,
                           tx_error *err);
/* Local. Resolves unfinished run `run_id` on this shard, `by` naming the command doing it
 * ("run X"): `complete` = 1 applies what it staged (tx_store_apply) and appends "completed by
 * <by>" to its etl_runs message; 0 undoes it (a backfill's rows emptied out of the table it
 * found empty, revenue_daily rebuilt, the shard map it wrote removed), marks it undone,
 * zeroes its applied counts in etl_runs and appends "undone by <by>". Its etl_runs row ends as
 * failed either way. Call with the run lock held; idempotent. */
int tx_store_journal_resolve(tx_store *s, const char *run_id, int complete, const char *by,
                             tx_error *err);

/* Local. Inserts or updates the run's etl_runs row. */
int tx_store_runs_row(tx_store *s, const tx_store_run *run, tx_error *err);

/* Local. Streams every stored transaction (customer_id, amount in cents, date) to fn, one row
 * at a time from the server (memory stays flat). No other operation on s meanwhile. */
int tx_store_read_txns(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err);
/* Local. Streams every stored transaction to fn as tx_store_read_txns, month partition by
 * month partition in date order: months ascending, any order within a month (each partition is
 * scanned in its clustered order, no index look-ups, no sort; the type of fn is reduce.h's
 * tx_reduce_row_fn). No other operation on s meanwhile. */
int tx_store_read_months(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err);
/* Local. Streams the stored transactions dated in [lo, hi) to fn as tx_store_read_months (month
 * partition by month partition, months ascending, each partition scanned in its clustered
 * order; a partition partly in the range filtered by date). The session is set read-only
 * first. The reduce's read when several ranks share a shard: each reads its own dates. */
int tx_store_read_dates(tx_store *s, int32_t lo, int32_t hi, tx_store_txn_fn fn, void *ctx,
                        tx_error *err);
/* Local. Hands fn each partition of the transactions table in date order: its date range
 * [lower, upper) (INT32_MIN / INT32_MAX: unbounded) and the server's estimate of its rows
 * (statistics, not a count: for balancing work, never for results). */
int tx_store_month_rows(tx_store *s, tx_store_part_rows_fn fn, void *ctx, tx_error *err);

/* Local. Prints the `txetl status` lines of this shard to out: database, rows, month
 * partitions, directory entries and tombstones, boundaries, date range and the last runs. A
 * failed query prints its message in place: returns TX_OK. */
int tx_store_status(tx_store *s, FILE *out, tx_error *err);

/* ---- serving the results in SQL (docs/serving.md): the analytics database, the router ------------ */

/* A connection to a server of the shard file that is not a shard: the analytics database
 * (group [analytics]) or the Spider router (group [router]). */
typedef struct tx_store_db tx_store_db;

/* Local. Connects to the server of group [group] of the shard file (its client options, read
 * by the client library as for a shard), or, when the file has no such group and `fallback`
 * is not NULL, to the server of group [fallback]. The database is [group]'s own `database`
 * option when it has one, else default_db (never the fallback group's database: that one is
 * the shard's); created when absent and made current. TX_EUSAGE naming the file when [group]
 * is required (fallback NULL) and missing, or the database is not a plain identifier; TX_ERR
 * naming the group and the server's message when it cannot connect. Free with
 * tx_store_db_close (*out is NULL on failure). */
int tx_store_db_open(const char *path, const char *group, const char *fallback,
                     const char *default_db, tx_store_db **out, tx_error *err);
/* Local. Closes the connection (an unfinished refresh is abandoned first). NULL is a no-op. */
void tx_store_db_close(tx_store_db **db);
/* Local. The group it connected with ("analytics", or the fallback "shard0"), and the
 * database it works in. */
const char *tx_store_db_group(const tx_store_db *db);
const char *tx_store_db_database(const tx_store_db *db);
/* Local. Whether the shard file has group [group] (exactly that name). TX_EUSAGE naming the
 * file when it cannot be read. */
int tx_shardfile_has_group(const char *path, const char *group, int *has, tx_error *err);

/* SQL column types of a served table. */
typedef enum tx_store_coltype {
    TX_SQL_U8,       /* TINYINT UNSIGNED */
    TX_SQL_I32,      /* INT */
    TX_SQL_U32,      /* INT UNSIGNED */
    TX_SQL_I64,      /* BIGINT */
    TX_SQL_U64,      /* BIGINT UNSIGNED */
    TX_SQL_F64,      /* DOUBLE */
    TX_SQL_DATE,     /* DATE */
    TX_SQL_MONEY,    /* DECIMAL(20,2) */
    TX_SQL_NAME,     /* VARCHAR(64) */
    TX_SQL_CURRENCY, /* CHAR(3) */
    TX_SQL_TIME,     /* DATETIME(6) */
    TX_SQL_TEXT,     /* TEXT */
} tx_store_coltype;

typedef struct tx_store_column {
    const char *name;
    tx_store_coltype type;
    int nullable; /* NULL allowed (\N in a bulk load) */
} tx_store_column;

enum { TX_STORE_MAX_COLUMNS = 64, TX_STORE_MAX_INDEXES = 4 };

/* A served table. Strings are borrowed. */
typedef struct tx_store_table {
    const char *name;
    const char *comment;
    size_t ncols;
    tx_store_column cols[TX_STORE_MAX_COLUMNS];
    const char *primary_key;                      /* column list, e.g. "customer_id" */
    const char *indexes[TX_STORE_MAX_INDEXES];    /* secondary index column lists, or NULL */
    int history; /* keeps its rows across refreshes; loaded rows replace by primary key */
} tx_store_table;

/* Local. Appends `CREATE TABLE IF NOT EXISTS `<name><suffix>` (...) ...;\n` of t to b, with
 * or without its secondary indexes. TX_ENOMEM. */
int tx_store_table_ddl(const tx_store_table *t, const char *suffix, int with_indexes,
                       tx_buf *b);

/* One atomic replacement of a set of tables (a snapshot's publication). */
typedef struct tx_store_refresh tx_store_refresh;

/* Local. Starts a refresh of tables[0 .. n) (borrowed until tx_store_refresh_end) on db: takes
 * the lock 'txetl_publish.<database>' (waiting up to 60 s for another publisher; TX_ERR naming
 * it otherwise), creates each live table when absent (empty), drops what a dead refresh left
 * (`<name>_new`, `<name>_old`), creates `<name>_new` without secondary indexes and copies a
 * history table's rows into it. *out is NULL on failure. */
int tx_store_refresh_begin(tx_store_db *db, const tx_store_table *tables, size_t n,
                           tx_store_refresh **out, tx_error *err);
/* Local. LOAD DATA LOCAL of `n` lines (the table's columns in order, as tx_tsv_text escapes
 * them, \N for NULL) into `<name>_new` of table `table`. Takes *rows (left empty). TX_ERR
 * naming the server and table when the server stored another number of rows or warned. */
int tx_store_refresh_load(tx_store_refresh *r, size_t table, tx_buf *rows, uint64_t n,
                          tx_error *err);
/* Local. Builds the secondary indexes of every `<name>_new`, then swaps all tables in ONE
 * `RENAME TABLE a TO a_old, a_new TO a, ...` (a reader sees every old table or every new one,
 * never a mix), drops the `_old` ones and releases the lock. */
int tx_store_refresh_commit(tx_store_refresh *r, tx_error *err);
/* Local. Ends a refresh: one not committed drops its `_new` tables (the live ones are left as
 * they were). Releases the lock, frees *r. NULL is a no-op. */
void tx_store_refresh_end(tx_store_refresh **r);

/* What the router was given, per shard. */
typedef struct tx_store_router_result {
    int nshards;
    char server_prefix[80]; /* the CREATE SERVER names are <prefix><index> */
    int dropped_servers;    /* servers of an earlier, larger map that were dropped */
    int tls_shards;         /* shards reached with TLS, whose Spider links are not encrypted */
} tx_store_router_result;

/* Local. On the router db: for every shard i of the shard file (its [shard<i>] connection
 * options, as the client library read them: socket or host/port, user, password, and its
 * database) `CREATE OR REPLACE SERVER <prefix><i>` (the statement is never logged: it holds
 * the password), then `TransactionsOptimized` and `revenue_daily` as Spider tables with the
 * shard's columns and keys (from shard 0) and one partition per shard, `PARTITION BY RANGE
 * COLUMNS(transaction_date)`, partition i `VALUES LESS THAN (bound[i + 1])` (the last
 * MAXVALUE) with REMOTE_SERVER <prefix><i>; built as `<name>_new` and swapped in with one
 * RENAME; servers of a larger earlier map dropped; FLUSH TABLES. bound[0 .. nshards] as in
 * tx_store_map_write. TX_EUSAGE naming the group when an option is longer than the 64 bytes
 * CREATE SERVER keeps; TX_ERR naming the shard or router at fault. */
int tx_store_router_build(tx_store_db *db, const char *path, int nshards, const int32_t *bound,
                          tx_store_router_result *res, tx_error *err);

/* ---- growing the cluster: `txetl reshard` (docs/reshard.md) ------------------------------- */

/* An unfinished reshard's journal (table reshard_state, one row per shard). */
typedef struct tx_store_reshard_journal {
    char reshard_id[65];
    char cluster_id[36];
    int from, to;          /* shard counts before and after */
    char boundaries[8192]; /* the to - 1 inner boundaries, 'YYYY-MM-DD' comma-separated */
    char phase[17];        /* moving | moved | switched */
} tx_store_reshard_journal;

/* What a shard holds, for a reshard's checks (tables that are absent count 0 rows). */
typedef struct tx_store_reshard_facts {
    int has_journal;
    tx_store_reshard_journal journal;
    uint64_t rows, blocks, revenue_rows, runs, map_rows;
    char running_run[65]; /* an etl_runs row still 'running', or "" */
    int revenue_dirty;    /* shard_state's revenue_dirty is set (a backfill died) */
} tx_store_reshard_facts;

/* A chunk of TransactionsOptimized rows on its way from one shard to another: their text (as
 * LOAD DATA reads it), count, the primary-key range read, and the months present. */
typedef struct tx_store_chunk {
    tx_buf text;
    uint64_t n;
    uint64_t first_id, last_id;
    int32_t first_date, last_date;
    uint8_t months[TX_NMONTHS];
    char cols[4096]; /* the column list of the text: "(`transaction_id`, ...)" */
} tx_store_chunk;

/* One directory block as stored (valid during the call). */
typedef int (*tx_store_dirblock_fn)(void *ctx, uint64_t block, unsigned entries,
                                    unsigned tombstones, const char *data, size_t len,
                                    tx_error *err);

/* Local. Reads what the shard holds (journal, row counts, an unfinished load). Reads only; a
 * database that does not exist holds nothing. */
int tx_store_reshard_probe(tx_store *s, tx_store_reshard_facts *f, tx_error *err);
/* Local. Adds to hist[TX_NDAYS] the stored transactions per date (revenue_daily's
 * transactions summed over currencies). */
int tx_store_reshard_histogram(tx_store *s, uint64_t *hist, tx_error *err);
/* Local. Writes the journal unless the shard holds one (a rerun keeps the first). Call after
 * tx_store_prepare. */
int tx_store_reshard_journal_write(tx_store *s, const tx_store_reshard_journal *j, tx_error *err);
/* Local. Sets the journal's phase (no journal: nothing happens). */
int tx_store_reshard_phase(tx_store *s, const char *phase, tx_error *err);
/* Local. Deletes the journal. */
int tx_store_reshard_journal_drop(tx_store *s, tx_error *err);
/* A partition of TransactionsOptimized (a month p<YYYYMM>, or a gap): its name, the dates
 * [lo, hi) it holds (INT32_MIN / INT32_MAX unbounded), whether every one of them lies in the
 * range it was listed for, and whether it holds a row of that range. */
typedef struct tx_store_part {
    char name[64];
    int32_t lo, hi;
    int whole, rows;
} tx_store_part;

/* Local. The partitions of TransactionsOptimized holding dates of [lo, hi), in date order:
 * *parts (malloc'd, the caller frees) and *n. */
int tx_store_reshard_parts(tx_store *s, int32_t lo, int32_t hi, tx_store_part **parts,
                           size_t *n, tx_error *err);
/* Local. Creates in TransactionsOptimized the month partitions of the parts[0..n) of another
 * shard that hold rows (one ALTER TABLE for all, instead of one per chunk). */
int tx_store_reshard_rows_months(tx_store *s, const tx_store_part *parts, size_t n,
                                 tx_error *err);
/* Local. Reads into *ch (emptied first) at most `limit` rows of TransactionsOptimized with a
 * date in [lo, hi) (INT32_MIN / INT32_MAX unbounded) and in partition p (NULL: any) whose
 * primary key follows (after_id, after_date) when `after` is set, in primary-key order.
 * ch->n = 0 when none is left. */
int tx_store_reshard_rows_read(tx_store *s, const tx_store_part *p, int32_t lo, int32_t hi,
                               int after, uint64_t after_id, int32_t after_date, size_t limit,
                               tx_store_chunk *ch, tx_error *err);
/* Local. *none = whether TransactionsOptimized holds no row with a date in [lo, hi) and in
 * partition p's dates (p NULL: any). */
int tx_store_reshard_rows_none(tx_store *s, const tx_store_part *p, int32_t lo, int32_t hi,
                               int *none, tx_error *err);
/* Local. Gives the chunk's months their partitions, then LOAD DATA LOCAL REPLACE of its rows
 * into TransactionsOptimized (committed: the same primary key is the same row). `fresh`: the
 * caller knows none of the rows' keys is in the table (tx_store_reshard_rows_none before its
 * first chunk of those dates): a plain LOAD DATA with the session's unique and foreign-key
 * checks off, which InnoDB writes into an empty partition in bulk; a duplicate fails it. */
int tx_store_reshard_rows_put(tx_store *s, const tx_store_chunk *ch, int fresh, tx_error *err);
/* Local. Deletes from TransactionsOptimized the rows of [lo, hi) and partition p (NULL: any)
 * in the chunk's key range (exactly the rows tx_store_reshard_rows_read read: nothing else
 * writes meanwhile). */
int tx_store_reshard_rows_drop(tx_store *s, const tx_store_part *p, int32_t lo, int32_t hi,
                               const tx_store_chunk *ch, tx_error *err);
/* Local. Empties partition p of TransactionsOptimized (ALTER TABLE ... TRUNCATE PARTITION):
 * for a partition whose every date went to another shard, once all its rows are there. */
int tx_store_reshard_rows_truncate(tx_store *s, const tx_store_part *p, tx_error *err);
/* Local. The revenue_daily rows of dates [lo, hi) as LOAD DATA text (appended to *text,
 * *n rows), then put into another shard (REPLACE by (date, currency)), then deleted. */
int tx_store_reshard_revenue_read(tx_store *s, int32_t lo, int32_t hi, tx_buf *text,
                                  uint64_t *n, tx_error *err);
int tx_store_reshard_revenue_put(tx_store *s, const tx_buf *text, uint64_t n, tx_error *err);
int tx_store_reshard_revenue_drop(tx_store *s, int32_t lo, int32_t hi, tx_error *err);
/* Local. Hands fn at most `limit` directory blocks after block `after` (all when after_any is
 * 0), ascending. *last = the last block handed, *n = how many. */
int tx_store_reshard_dir_read(tx_store *s, int after_any, uint64_t after, size_t limit,
                              tx_store_dirblock_fn fn, void *ctx, uint64_t *last, size_t *n,
                              tx_error *err);
/* Local. LOAD DATA LOCAL REPLACE of `n` lines "block\tentries\ttombstones\tdata" into
 * txn_directory (committed). */
int tx_store_reshard_dir_put(tx_store *s, const tx_buf *text, uint64_t n, tx_error *err);
/* Local. Deletes the directory blocks blocks[0..n). */
int tx_store_reshard_dir_drop(tx_store *s, const uint64_t *blocks, size_t n, tx_error *err);
/* Local. Copies every etl_runs row of `from` into `to` (REPLACE by run_id; all columns). */
int tx_store_reshard_runs_copy(tx_store *from, tx_store *to, tx_error *err);
/* Local. In one transaction: shard_map replaced by the `count` shards of bound[0 .. count],
 * the identity set to shard tx_store_index(s) of `count` of cluster `cluster_id` (inserted
 * when absent), the journal's phase 'switched'. Idempotent. */
int tx_store_reshard_switch(tx_store *s, const char *cluster_id, int count,
                            const int32_t *bound, const char *reshard_id, tx_error *err);

/* ---- preflight: what a group reaches, before anything is written -------------------------- */

/* Local. Fills *f with what the store reached: server, database, the cluster identity recorded
 * in cluster_identity (none when the table or its row is absent: before the first load, or a
 * txetl that did not record one), @@version, local_infile, max_allowed_packet. Reads only. The
 * null back end reaches "null store N", no identity, every requirement met. */
int tx_store_inspect(tx_store *s, tx_store_facts *f, tx_error *err);

/* What tx_store_schema_check accepts of missing tables. */
enum {
    TX_SCHEMA_READ = 0,   /* every table must be there (snapshot) */
    TX_SCHEMA_LOAD = 1,   /* missing ones are fine: tx_store_prepare creates them */
    TX_SCHEMA_STATUS = 2, /* no txetl table at all is fine (no load yet); some missing is not */
};

/* Local. Compares every txetl table of the shard with sql/schema.sql: a missing, extra (in
 * TransactionsOptimized only NOT NULL columns without a default are refused: more columns are
 * allowed) or retyped column is TX_EUSAGE naming the shard, the table, the column, what the
 * shard has and what sql/schema.sql expects, with the statement that fixes it. Missing tables
 * as `mode` says (else TX_EUSAGE naming them: check database=). A missing index is not an
 * error here (tx_store_prepare re-creates it and logs so). Reads only. */
int tx_store_schema_check(tx_store *s, int mode, tx_error *err);

/* Local. Records the cluster identity in the shard's cluster_identity (once: a shard that has
 * one keeps it): cluster id, this shard's index, `count` shards, the run that recorded it. */
int tx_store_identity_write(tx_store *s, const char *cluster_id, int count, const char *run_id,
                            tx_error *err);

/* Local, pure. Whether a server of @@version `version` is new enough for txetl: MariaDB 10.5 or
 * later, MySQL 8.0 or later. 1 = yes; 0 = no, with the reason in why (size bytes); -1 = the
 * version cannot be read (why says so). */
int tx_store_version_ok(const char *version, char *why, size_t size);

/* Local, pure. Checks that group [shard<i>] of the shard file `path` reached shard i of one
 * cluster, from what each of the n groups reached (f[0..n), all filled): two groups reaching one
 * database of one server, groups reaching shards of different clusters, a shard recorded with
 * another shard count, or groups reaching shards of other indexes (swapped groups) are TX_EUSAGE
 * naming every group at fault and what it reached. Groups whose shard has no identity yet (a
 * first load that died midway) pass, provided their database holds txetl's tables: a first load
 * creates every shard's tables before it records any identity, so beside an identified shard a
 * missing database or an empty one is a wrong group (a typo in database=). On success *cluster_id gets the recorded cluster id (37
 * bytes), or "" when no shard has one. */
int tx_store_cluster_check(const tx_store_facts *f, int n, const char *path, char *cluster_id,
                           tx_error *err);

#endif
