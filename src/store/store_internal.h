/* store_internal.h - inside the store (src/store/ only): one MariaDB connection (tx_conn), the
 * loader threads that run jobs on connections of their own, and what a store handle holds.
 * mysql.h stays in conn.c: nothing here names a Connector/C type. */
#ifndef TXETL_STORE_INTERNAL_H
#define TXETL_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "txetl/error.h"
#include "txetl/store.h"

/* ---- one connection (conn.c) ------------------------------------------------------------ */

typedef struct tx_conn tx_conn;

/* Local. Connects to shard `index` of the shard file (connect/read/write timeouts, txetl's
 * local-infile handler installed before connecting), creates its database (the shard file's
 * `database`, default Customer, read by tx_shardfile_database) when absent and makes it
 * current, sets the session's time zone and SQL mode. TX_ERR naming the shard and the server's
 * message when it cannot, TX_EUSAGE for a database name that is not a plain identifier. Free
 * with tx_conn_close (also on failure: *out is then NULL). */
int tx_conn_open(const char *path, int index, tx_conn **out, tx_error *err);
/* How tx_conn_open_mode treats the shard's database. */
enum {
    TX_CONN_CREATE = 0, /* created when absent (tx_conn_open) */
    TX_CONN_EXISTING,   /* must exist: TX_EUSAGE "shard N: database D does not exist on ...:
                           check database= in [shardN] of FILE"; nothing is created */
    TX_CONN_DEFER,      /* nothing is created; when absent the connection stays in
                           information_schema (tx_conn_database_exists = 0) until
                           tx_conn_create_database */
};
/* Local. tx_conn_open with the database handled as `mode` says. Reading (EXISTING, DEFER)
 * writes nothing to the server. */
int tx_conn_open_mode(const char *path, int index, int mode, tx_conn **out, tx_error *err);
/* Local. Whether the shard's database exists and is the current one. */
int tx_conn_database_exists(const tx_conn *c);
/* Local. Whether table `name` (txetl's own name, no quoting) is in the shard's database (*has
 * = 0 when the database does not exist). */
int tx_conn_has_table(tx_conn *c, const char *name, int *has, tx_error *err);
/* Local. Creates the database when absent (a DEFER connection) and makes it current. */
int tx_conn_create_database(tx_conn *c, tx_error *err);
/* Local. Where the connection went, for messages: "the server at socket /x/sock" or "the
 * server at HOST port P". Returns out. */
const char *tx_conn_where(const tx_conn *c, char *out, size_t size);
/* Local. Closes the connection (an open transaction rolls back, the run lock is released). */
void tx_conn_close(tx_conn **c);

int tx_conn_index(const tx_conn *c);
/* The database the connection works in (owned by c). */
const char *tx_conn_database(const tx_conn *c);

/* Local. Takes the run lock (GET_LOCK('txetl_run', 0)), held by this connection until it
 * closes and taken again after a reconnect. TX_ERR naming the shard when another run holds
 * it. Statements retry transient failures (lock wait 1205, deadlock 1213, a lost connection:
 * reconnect) 3 times with backoff, never inside an open transaction. */
int tx_conn_run_lock(tx_conn *c, tx_error *err);

/* Local. Runs one statement, results discarded. TX_ERR naming the shard, the server's error
 * and the statement's head. Not for transaction control: see tx_conn_begin. */
int tx_conn_exec(tx_conn *c, const char *sql, tx_error *err);
int tx_conn_execf(tx_conn *c, tx_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Local. START TRANSACTION / COMMIT / ROLLBACK. While a transaction is open (begin succeeded,
 * no commit or rollback has yet) no statement is retried: its work would be lost with it. */
int tx_conn_begin(tx_conn *c, tx_error *err);
int tx_conn_commit(tx_conn *c, tx_error *err);
int tx_conn_rollback(tx_conn *c, tx_error *err);

/* Local. A query whose first row's first column is an unsigned integer (*out = 0 and
 * *is_null = 1 for no row or NULL; is_null may be NULL). */
int tx_conn_query_u64(tx_conn *c, const char *sql, uint64_t *out, int *is_null, tx_error *err);
/* Local. A query's first row's first column as text into out[size] (cut to fit; "" for no
 * row or NULL). */
int tx_conn_query_text(tx_conn *c, const char *sql, char *out, size_t size, tx_error *err);

/* How tx_conn_query_rows hands over a result: `head` (may be NULL) once with the column names,
 * then `row` per row with its values (NULL for SQL NULL) and their lengths. Values are valid
 * during the call only. A callback's non-zero return stops the query and is returned. */
typedef struct tx_conn_reader {
    int stream;       /* rows fetched one by one from the server (mysql_use_result): memory
                         stays flat, and no other statement runs on c meanwhile */
    const char *what; /* names the rows in the message of a failed streaming read */
    int (*head)(void *ctx, unsigned n, char **names, tx_error *err);
    int (*row)(void *ctx, unsigned n, char **values, const unsigned long *lens, tx_error *err);
    void *ctx;
} tx_conn_reader;

/* A reader's ctx when each row goes on, converted, to a caller's callback of store.h (the
 * member its row function calls) with the caller's ctx. */
typedef struct tx_relay {
    union {
        tx_store_map_fn map;
        tx_store_block_fn block;
        tx_store_revenue_fn revenue;
    } fn;
    void *ctx;
} tx_relay;

/* Local. Runs a query and hands its rows to rd. TX_ERR naming the shard on failure. */
int tx_conn_query_rows(tx_conn *c, const char *sql, const tx_conn_reader *rd, tx_error *err);

/* Local. LOAD DATA LOCAL INFILE of `len` bytes of tab-separated lines (txetl's escaping, see
 * tx_tsv_text; \N is NULL) into `table` (`columns`: the column list, a SET clause allowed after
 * it); `replace` = 1 replaces rows with the same primary key. The local-infile handler serves
 * only this buffer; a server asking for any other file gets nothing (TX_ERR: "... txetl
 * refuses to send"). Checks that the server read exactly `rows` records, skipped none and
 * warned of nothing; otherwise TX_ERR naming the shard, the table and the first warning. */
int tx_conn_load(tx_conn *c, const char *table, int replace, const char *columns,
                 const char *buf, size_t len, uint64_t rows, tx_error *err);

/* Local. Escapes `len` bytes as an SQL string literal's contents into out (2 * len + 1 bytes),
 * NUL-terminated. */
void tx_conn_escape(tx_conn *c, char *out, const char *in, size_t len);

/* Local (shardfile.c). The `database` option the client library applies to group
 * [shard<index>] of the shard file (set in that group or in [client], [client-server],
 * [client-mariadb], also in a file it names with !include; the last one read wins), or "" when
 * none: copied into out (size bytes).
 * txetl keeps its own copy because Connector/C has no getter for it. TX_EUSAGE naming the file
 * when it cannot be read. */
int tx_shardfile_database(const char *path, int index, char *out, size_t size, tx_error *err);

/* ---- servers that are not shards (conn.c) ---------------------------------------------- */

/* Local. Connects to the server of group [group] of the shard file (as tx_conn_open does for
 * a shard) and works in `database` (created when absent). `label` names the server in every
 * message ("analytics server"). */
int tx_conn_open_group(const char *path, const char *group, const char *database,
                       const char *label, tx_conn **out, tx_error *err);
/* The label of messages ("shard 3", "analytics server"). */
const char *tx_conn_label(const tx_conn *c);
/* Local. tx_conn_exec for a statement holding a secret (CREATE SERVER ... PASSWORD): logs and
 * messages show `what` instead of the statement. */
int tx_conn_exec_secret(tx_conn *c, const char *sql, const char *what, tx_error *err);

/* Where a live connection went, as the client library read it from the shard file. */
typedef struct tx_conn_endpoint_t {
    int is_socket; /* a unix socket (socket set), else TCP to host:port */
    char host[256], socket[4096], user[128], password[256];
    unsigned port;
    int tls; /* the connection is encrypted */
} tx_conn_endpoint_t;
/* Local. Fills *e. The password stays in memory: never log it. */
int tx_conn_endpoint(const tx_conn *c, tx_conn_endpoint_t *e);

/* Local (shardfile.c). Whether the shard file (or a file it !includes) has group [group]
 * (*has), and that group's own `database` option ("" when none; [client] groups are not read:
 * their `database` is meant for the shards). TX_EUSAGE naming the file when unreadable. */
int tx_shardfile_group(const char *path, const char *group, int *has, char *database,
                       size_t size, tx_error *err);

/* ---- loaders (loader.c) ----------------------------------------------------------------- */

/* A loader: a connection of its own and a thread that runs jobs on it in order, so the server
 * works while the caller prepares the next batch. Jobs never call MPI. */
typedef struct tx_loader tx_loader;

/* A job runs on the loader's thread with its connection; it owns ctx and frees it. Called with
 * c = NULL after an earlier job failed: it then only releases ctx. */
typedef int (*tx_loader_fn)(tx_conn *c, void *ctx, tx_error *err);

/* Local. Connects (tx_conn_open) and starts the thread. At most `depth` jobs wait at once:
 * tx_loader_submit blocks beyond that, which bounds the memory they hold. */
int tx_loader_start(const char *path, int index, int depth, tx_loader **out, tx_error *err);
/* Local. Queues a job; after an earlier job failed, runs nothing more and returns its error
 * (the job's ctx is then released by calling fn with c = NULL). */
int tx_loader_submit(tx_loader *l, tx_loader_fn fn, void *ctx, tx_error *err);
/* Local. Waits until every queued job has run; returns the first failure (err set). */
int tx_loader_wait(tx_loader *l, tx_error *err);
/* Local. Waits, stops the thread, closes the connection (an open transaction rolls back). */
void tx_loader_stop(tx_loader **l);

/* ---- a store handle --------------------------------------------------------------------- */

/* LOAD DATA jobs a loader holds at once (bounds their memory). */
#define TX_LOADER_DEPTH 2

struct tx_store {
    const tx_store_ops *ops;
    int index;
    char path[4096];
    /* the MariaDB back end's state (NULL / 0 in the null back end) */
    tx_conn *conn;                           /* statements, look-ups, the run lock */
    tx_loader *rows[TX_STORE_ROW_LOADERS];   /* rows on alternate months, removals on [0] */
    tx_loader *dir;                          /* directory + audit rows, staged */
    int read_only;     /* opened by tx_store_open_read: the database must exist, nothing is
                          created */
    int fast;          /* TransactionsOptimized was empty: a backfill straight into it */
    int revenue_dirty; /* an earlier backfill died before recomputing revenue_daily */
};

/* The MariaDB back end's operations, by verb (store_prepare.c, store_apply.c, store_read.c). */
tx_store_open_op tx_mdb_open;
tx_store_close_op tx_mdb_close;
tx_store_run_lock_op tx_mdb_run_lock;
tx_store_prepare_op tx_mdb_prepare;
/* store_mariadb.c. What a load's prepare reads once the schema is in place, of the tables
 * there are (rows_t: TransactionsOptimized, dir_t: txn_directory, state_t: shard_state; an
 * absent one reads as empty, not dirty): the month partitions, whether the directory and the
 * table are empty, whether revenue_daily is dirty; sets s->fast and s->revenue_dirty. */
int tx_mdb_state_read(tx_store *s, int rows_t, int dir_t, int state_t, tx_store_state *st,
                      tx_error *err);
tx_store_map_read_op tx_mdb_map_read;
tx_store_map_write_op tx_mdb_map_write;
tx_store_begin_op tx_mdb_begin;
/* store_apply.c. Gives every month of months[0..nm) (YYYYMM, ascending) its partition of
 * TransactionsOptimized (splitting the empty gap partitions; months that have one are left). */
int tx_mdb_ensure_partitions(tx_conn *c, const int *months, size_t nm, tx_error *err);
/* store_reshard.c. Fills f->reshard_* from the shard's reshard_state (none: zeros). */
int tx_mdb_reshard_inspect(tx_conn *c, tx_store_facts *f, tx_error *err);
tx_store_dir_lookup_op tx_mdb_dir_lookup;
/* Local (store_apply.c). *q = head, then blocks[0..n) comma-separated, then ")" (a
 * NUL-terminated statement). TX_ENOMEM. */
int tx_mdb_block_list(tx_buf *q, const char *head, const uint64_t *blocks, size_t n,
                      tx_error *err);
tx_store_rows_load_op tx_mdb_rows_load;
tx_store_rows_remove_op tx_mdb_rows_remove;
tx_store_dir_load_op tx_mdb_dir_load;
tx_store_audit_load_op tx_mdb_audit_load;
tx_store_finish_op tx_mdb_finish;
/* store_revenue.c. revenue_daily from scratch: one row per (date, currency) of
 * TransactionsOptimized (after a backfill, or to repair it). */
int tx_mdb_revenue_rebuild(tx_conn *c, tx_error *err);
/* Before the schema runs: drops revenue_daily, stage_pairs and stage_revenue where they have
 * an older txetl's layout (no currency column); *rebuild = 1 when revenue_daily was dropped
 * (the caller rebuilds it once the schema has recreated it). */
int tx_mdb_revenue_upgrade(tx_conn *c, int *rebuild, tx_error *err);
/* store_revenue.c. Hands fn each (date, currency, transactions) stored: from revenue_daily, or
 * (`from_rows`: revenue_daily is incomplete or of an older layout) counted in
 * TransactionsOptimized. Reads only. tx_mdb_revenue_read: the store's, from the rows when an
 * earlier backfill left revenue_daily dirty. */
int tx_mdb_currency_days(tx_conn *c, int from_rows, tx_store_revenue_fn fn, void *ctx,
                         tx_error *err);
tx_store_revenue_read_op tx_mdb_revenue_read;
tx_store_dir_commit_op tx_mdb_dir_commit;
/* store_apply.c: a shard's apply transaction (tx_store_apply); `recovering`: a later command
 * completes the run (the secondary index is repaired in place, not built side by side). */
int tx_mdb_apply_run(tx_store *s, const char *run_id, int backfill, int recovering,
                     tx_error *err);
/* store_journal.c: the intent journal (store.h). */
tx_store_journal_mark_op tx_mdb_journal_mark;
tx_store_apply_op tx_mdb_apply;
tx_store_journal_pending_op tx_mdb_journal_pending;
tx_store_journal_state_op tx_mdb_journal_state;
tx_store_journal_resolve_op tx_mdb_journal_resolve;
tx_store_runs_row_op tx_mdb_runs_row;
tx_store_read_txns_op tx_mdb_read_txns;
tx_store_read_months_op tx_mdb_read_months;
tx_store_read_dates_op tx_mdb_read_dates;
tx_store_month_rows_op tx_mdb_month_rows;
tx_store_status_op tx_mdb_status;
/* store_check.c: preflight reads, the schema compared with sql/schema.sql, the identity. */
tx_store_inspect_op tx_mdb_inspect;
tx_store_schema_check_op tx_mdb_schema_check;
tx_store_identity_write_op tx_mdb_identity_write;
/* Local (store_check.c). Re-creates every index of sql/schema.sql a table lacks (a run that
 * died between dropping and rebuilding TransactionsOptimized's secondary index left it out),
 * logging a warning naming the shard, table and index. */
int tx_mdb_repair_indexes(tx_store *s, tx_error *err);

/* The MariaDB back end's reads that the plan back end makes as they are (store_plan.c). */
#define TX_STORE_MDB_READS                                                                  \
    .run_lock = tx_mdb_run_lock, .dir_lookup = tx_mdb_dir_lookup, .status = tx_mdb_status,   \
    .inspect = tx_mdb_inspect, .schema_check = tx_mdb_schema_check,                          \
    .journal_pending = tx_mdb_journal_pending, .journal_state = tx_mdb_journal_state

#endif
