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
    int32_t date;      /* days since 1970-01-01 */
    uint32_t currency; /* tx_currency_pack of its three letters; 0 = USD */
} tx_txn;

/* Local, pure. A currency's three letters packed as c[0] << 16 | c[1] << 8 | c[2] (the order of
 * the packed values is the alphabetical order of the codes), and back (out gets 4 bytes). */
static inline uint32_t tx_currency_pack(const char *c)
{
    return (uint32_t)(unsigned char)c[0] << 16 | (uint32_t)(unsigned char)c[1] << 8 |
           (uint32_t)(unsigned char)c[2];
}
static inline char *tx_currency_unpack(uint32_t v, char out[4])
{
    if (v == 0)
        v = tx_currency_pack("USD");
    out[0] = (char)(v >> 16 & 0xff);
    out[1] = (char)(v >> 8 & 0xff);
    out[2] = (char)(v & 0xff);
    out[3] = '\0';
    return out;
}

/* ---- exchange rates (--fx-rates, docs/analytics.md Currencies) ----
 *
 * A table of rates into the reporting currency: the CSV `date,currency,rate` (header required;
 * rate = units of the reporting currency per unit of `currency`, > 0, at most 9 fraction
 * digits; one rate per (date, currency); rows in any order; a row for the reporting currency
 * must say 1). The rate of a day is the latest one on or before it; the reporting currency's
 * is 1. Conversion rule: an amount of c cents converts to c x rate rounded half away from zero
 * to whole cents, computed exactly in integers, row by row (the reduce converts each stored
 * transaction before anything is added). */
typedef struct tx_fx tx_fx;

/* Local. Whether c is three letters A-Z. */
int tx_fx_currency_ok(const char *c);
/* Local. Parses text (len bytes of the file `name`, for messages) with `reporting` the
 * reporting currency. TX_EUSAGE naming file:line for a malformed file. Free with
 * tx_fx_free. */
int tx_fx_parse(const char *text, size_t len, const char *name, const char *reporting,
                tx_fx **out, tx_error *err);
/* Local. Reads and parses the file at path (NULL: no rates, only the reporting currency). */
int tx_fx_load(const char *path, const char *reporting, tx_fx **out, tx_error *err);
/* Collective. The same, rank 0 reading the file and every rank parsing its bytes: the same
 * status on every rank. */
int tx_fx_load_collective(MPI_Comm comm, const char *path, const char *reporting, tx_fx **out,
                          tx_error *err);
void tx_fx_free(tx_fx *fx);
/* Local. The reporting currency (tx_currency_pack). */
uint32_t tx_fx_reporting(const tx_fx *fx);
/* Local. The first date a rate of currency covers (dates on or after it convert): INT32_MIN
 * for the reporting currency, INT32_MAX for a currency without any rate. */
int32_t tx_fx_first_date(const tx_fx *fx, uint32_t currency);
/* Local. *out = cents of currency on date converted by the rule above; returns 1, or 0 when
 * no rate covers that date (*out untouched). Not thread-safe (a look-up cache). */
int tx_fx_convert(tx_fx *fx, uint32_t currency, int32_t date, int64_t cents, int64_t *out);

/* Which currencies lack a rate: per currency (tx_currency_pack) the transactions counted, those
 * on a date no rate covers, and the first such date, kept as quadruples
 * (code, rows, missing, first_missing) of int64_t. The snapshot refuses when stored rows lack a
 * rate; a load refuses the same, before it writes, over the stored rows and its input. */
/* Collective. Every rank's n quadruples `mine`, combined per code (sums; the first date the
 * smallest), ascending by code: *out (free it) holds *nout of them, the same on every rank. */
void tx_fx_gather(MPI_Comm comm, const int64_t *mine, int n, int64_t **out, size_t *nout);
/* Local, pure. TX_OK when no quadruple of all[0..ng) has missing rows; else TX_EUSAGE "EUR
 * 8.1% and GBP 4.0% of <what> have no rate into USD (no --fx-rates given) for dates from
 * <first>: give --fx-rates with rates for them, or --reporting-currency<after>" (the share:
 * of all rows counted; fx_name: the --fx-rates file or NULL; after: a tail or NULL). */
int tx_fx_refusal(const int64_t *all, size_t ng, const tx_fx *fx, const char *fx_name,
                  const char *what, const char *after, tx_error *err);
/* A rank's tally of quadruples. Zeroed is empty; release with tx_fx_need_free. */
typedef struct tx_fx_need {
    int64_t *q;
    size_t n, cap, last;
} tx_fx_need;
/* Local. Counts n transactions of currency (0 = USD) on date, missing when fx has no rate
 * for that date. */
void tx_fx_need_add(tx_fx_need *nd, tx_fx *fx, uint32_t currency, int32_t date, uint64_t n);
/* Collective. tx_fx_gather of every rank's tally, then tx_fx_refusal: the same status on every
 * rank. */
int tx_fx_need_agree(MPI_Comm comm, const tx_fx_need *nd, const tx_fx *fx, const char *fx_name,
                     const char *what, const char *after, tx_error *err);
void tx_fx_need_free(tx_fx_need *nd);

/* The streaming input of the reduce. A source is one date range of the store (a shard,
 * holding dates in [lower, upper); INT32_MIN / INT32_MAX unbounded): read() hands each of its
 * stored transactions (amount in cents of its currency, tx_currency_pack) to `row` with `sink`, month by month in ascending order (any order within
 * a month); a non-zero return from row stops the read and is returned. The same type as
 * store.h's tx_store_txn_fn. Together the sources of all ranks hold every stored transaction
 * exactly once; their ranges are disjoint (checked, as are the rows' dates and months). */
typedef int (*tx_reduce_row_fn)(void *sink, uint64_t customer_id, int64_t amount_cents,
                                int32_t date, uint32_t currency, tx_error *err);
typedef struct tx_reduce_source {
    int (*read)(void *ctx, tx_reduce_row_fn row, void *sink, tx_error *err);
    void *ctx;
    int32_t lower, upper;
} tx_reduce_source;

/* Collective over comm. Each rank passes its nsrc sources (any number, 0 included). Streams
 * each source once (a rank's sources in date order) and folds it into per-customer state as
 * rows arrive (memory: at one rank the customers, at more the customers whose home the rank
 * is plus a bounded buffer, never the transactions; docs/analytics.md#memory); rows after the
 * as-of date are ignored. Partials meet at their customer's home rank during the fold, then
 * travel to the rank owning it (contiguous, sorted customer_id ranges by sample sort), merged
 * exactly; then docs/analytics.md and the snapshot
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
