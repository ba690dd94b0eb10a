/* shard.h - one MariaDB/MySQL shard: the option-file group [shard<i>] read by the client
 * library, a connection with timeouts, statements, and bulk loads streamed from memory with
 * LOAD DATA LOCAL INFILE (the local-infile handler serves only txetl's own buffer). */
#ifndef TXETL_SHARD_H
#define TXETL_SHARD_H

#include <mysql.h>
#include <stddef.h>
#include <stdint.h>

#include "txetl/error.h"

typedef struct tx_shard tx_shard;

/* Local. Counts the groups [shard0] .. [shard<N-1>] of the shard file (they must be
 * contiguous from 0) and warns when the file is readable by group or others. Only group names
 * are looked at here; the options in them are read by the client library. TX_EUSAGE naming the
 * file when it is unreadable, holds no [shard0] or has a gap. */
int tx_shardfile_count(const char *path, int *nshards, tx_error *err);

/* Local. Connects to shard `index` of the shard file (connect/read/write timeouts set), creates
 * its database (option `database`, default Customer) when absent and makes it current. TX_ERR
 * naming the shard and the server's message when it cannot. Free with tx_shard_close. */
int tx_shard_open(const char *path, int index, tx_shard **out, tx_error *err);
void tx_shard_close(tx_shard **s);

/* Local. Takes the run lock (GET_LOCK('txetl_run'), held by this connection until it closes,
 * taken again after a reconnect). TX_ERR naming the shard when another run holds it.
 * Statements on a shard retry transient failures (lock wait timeout 1205, deadlock 1213, a lost
 * connection: reconnect) 3 times with backoff, but never inside an open transaction. */
int tx_shard_run_lock(tx_shard *s, tx_error *err);

int tx_shard_index(const tx_shard *s);
const char *tx_shard_database(const tx_shard *s);
MYSQL *tx_shard_mysql(tx_shard *s);

/* Local. Runs one statement (results discarded). TX_ERR naming the shard on failure. */
int tx_shard_exec(tx_shard *s, const char *sql, tx_error *err);
int tx_shard_execf(tx_shard *s, tx_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Local. Runs a query whose first row's first column is an unsigned integer (NULL -> 0,
 * *is_null = 1 when is_null is given). */
int tx_shard_query_u64(tx_shard *s, const char *sql, uint64_t *out, int *is_null, tx_error *err);

/* Local. Runs a query and returns its result (caller frees with mysql_free_result). `stream`
 * = 1 uses mysql_use_result (rows fetched one by one; no other statement until freed). */
int tx_shard_query(tx_shard *s, const char *sql, int stream, MYSQL_RES **res, tx_error *err);

/* Local. LOAD DATA LOCAL INFILE of `len` bytes of tab-separated rows (txetl's escaping: see
 * tx_tsv_text; \N is NULL) into `table` (`columns` = the column list, with a SET clause
 * allowed after it); `replace` = 1 replaces rows with the same primary key. Checks that the
 * server read exactly `rows` records, skipped none and warned of nothing; otherwise TX_ERR
 * naming the shard, the table and the first warning. */
int tx_shard_load(tx_shard *s, const char *table, int replace, const char *columns,
                  const char *buf, size_t len, uint64_t rows, tx_error *err);

/* Local. Escapes a string literal for SQL on this connection into out (2*len+1 bytes). */
void tx_shard_escape(tx_shard *s, char *out, const char *in, size_t len);

/* A growable byte buffer for building LOAD DATA payloads. */
typedef struct tx_buf {
    char *p;
    size_t len, cap;
} tx_buf;

int tx_buf_reserve(tx_buf *b, size_t extra);
void tx_buf_free(tx_buf *b);
/* Appends text escaped for LOAD DATA (\\ \t \n \r \0 escaped). */
int tx_tsv_text(tx_buf *b, const char *s, size_t len);

#endif

/* A loader: a second connection to a shard and a thread that runs jobs on it in order, so the
 * server inserts while the caller prepares the next batch. Jobs never call MPI. */
typedef struct tx_loader tx_loader;

/* A job runs on the loader's thread with the loader's connection; it owns ctx and frees it. */
typedef int (*tx_loader_fn)(tx_shard *s, void *ctx, tx_error *err);

/* Local. Connects (like tx_shard_open) and starts the thread. At most `depth` jobs wait at
 * once: tx_loader_submit blocks beyond that, which bounds the memory they hold. */
int tx_loader_start(const char *path, int index, int depth, tx_loader **out, tx_error *err);

/* Local. Queues a job; after an earlier job failed, runs nothing more and returns its error
 * (the job's ctx is then released by calling fn with s = NULL). */
int tx_loader_submit(tx_loader *l, tx_loader_fn fn, void *ctx, tx_error *err);

/* Local. Waits until every queued job has run; returns the first failure (err set). */
int tx_loader_wait(tx_loader *l, tx_error *err);

/* Local. Waits, stops the thread, closes the connection (an open transaction rolls back). */
void tx_loader_stop(tx_loader **l);
