/* analytics_internal.h - private to src/analytics: the pieces of the reduce step (docs/analytics.md)
 * shared between reduce.c (the driver), sort.c (distributed sample sort), rfm.c (NTILE and
 * segments) and revenue.c (daily / monthly revenue).
 *
 * MPI errors: the communicator keeps MPI's default handler (MPI_ERRORS_ARE_FATAL), so an MPI
 * call either succeeds or ends the job; out of memory ends the job too (TX_XMALLOC, alloc.h),
 * as the style rules allow. Every other failure is a status agreed between ranks. */
#ifndef TXETL_ANALYTICS_INTERNAL_H
#define TXETL_ANALYTICS_INTERNAL_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "txetl/alloc.h"
#include "txetl/calendar.h"
#include "txetl/error.h"
#include "txetl/reduce.h"
#include "txetl/snapshot.h"

/* Dates the reduce accepts are calendar.h's TX_NDAYS days 1970-01-01 .. 2099-12-31. rfm.c's
 * spelling, until its exchange rework lands (then rfm.c says TX_NDAYS and this goes). */
#define TXA_NDAYS TX_NDAYS

/* The customer table of one rank (its contiguous, sorted customer_id range) is the snapshot's
 * /customers table: the reduce computes straight into its columns. */
typedef tx_snapshot_customers txa_customers;

typedef int (*txa_cmp_fn)(const void *a, const void *b);

/* A sort key inside a fixed-size element: `bytes` (4 or 8) at `offset`, signed or not. */
typedef struct txa_radix_key {
    size_t offset;
    int bytes;
    int is_signed;
} txa_radix_key;

/* Local. Stable LSD radix sort of n elements of `size` bytes by keys[0] (most significant),
 * then keys[1], ... Skips byte positions where every element has the same digit. */
void txa_radix_sort(void *base, size_t n, size_t size, const txa_radix_key *keys, int nkeys);

/* Local. Sorts n elements in the order `sort` compares them (a radix sort, for speed). */
typedef void (*txa_sorter_fn)(void *base, size_t n);

/* Collective. Distributed sample sort. base holds n elements of `size` bytes, already sorted
 * by `sort`; `sorter` sorts in that same order (no longer needed: the received runs, each
 * sorted, are merged with `sort`; kept for the callers). Splitters come from weighted regular
 * sampling (each rank's samples weigh its
 * element count), so ranks receive about equal element counts. `part` is the partition key
 * (a prefix of `sort`'s order): elements equal under `part` land on the same rank. On return
 * *out (malloc'd, caller frees) holds the *nout elements this rank owns, sorted by `sort`;
 * ranks own ascending ranges in rank order. The elements move in bounded rounds
 * (tx_exchange_blocks). Returns TX_OK, or the exchange's status (the same on every rank). */
int txa_sample_sort(MPI_Comm comm, void *base, size_t n, size_t size, txa_cmp_fn sort,
                    txa_cmp_fn part, txa_sorter_fn sorter, void **out, size_t *nout,
                    tx_error *err);

/* Collective. Fills c->r_score, f_score, m_score (SQL NTILE(5) over all ranks' customers, in
 * the orders of docs/analytics.md) and c->segment. Needs customer_id, last_purchase, orders, revenue_cents, offset
 * and total. */
int txa_rfm(MPI_Comm comm, txa_customers *c, tx_error *err);

/* Local. The segment (docs/analytics.md) of (r, f), both 1..5: an index into txa_segment_names. */
uint8_t txa_segment(int r, int f);
extern const char *const txa_segment_names[];
extern const int txa_nsegments;

/* Local. NTILE(5) bucket (1..5) of 0-based row `pos` among `n` rows. */
uint8_t txa_ntile5(uint64_t pos, uint64_t n);

/* Revenue accumulators, one int64 buffer of TXA_ACC_LEN (counts fit in int64): per day
 * revenue, transactions and distinct customers, then per month distinct active and new
 * customers. Every rank adds its part; txa_revenue_compute sums them over the ranks. */
enum {
    TXA_ACC_REV = 0,
    TXA_ACC_TXN = TX_NDAYS,
    TXA_ACC_CUST = 2 * TX_NDAYS,
    TXA_ACC_ACTIVE = 3 * TX_NDAYS,
    TXA_ACC_NEW = 3 * TX_NDAYS + TX_NMONTHS,
    TXA_ACC_GROSS = 3 * TX_NDAYS + 2 * TX_NMONTHS, /* per day: the positive amounts */
    TXA_ACC_REFUND = 4 * TX_NDAYS + 2 * TX_NMONTHS, /* ... and the negative ones */
    TXA_ACC_LEN = 5 * TX_NDAYS + 2 * TX_NMONTHS
};

/* The same per original currency, one buffer of TXA_CACC_LEN per currency: per day net,
 * gross, refunds (cents of that currency), transactions, distinct customers (who bought in
 * that currency that day), then per month distinct active customers. */
enum {
    TXA_CACC_REV = 0,
    TXA_CACC_GROSS = TX_NDAYS,
    TXA_CACC_REFUND = 2 * TX_NDAYS,
    TXA_CACC_TXN = 3 * TX_NDAYS,
    TXA_CACC_CUST = 4 * TX_NDAYS,
    TXA_CACC_ACTIVE = 5 * TX_NDAYS,
    TXA_CACC_LEN = 5 * TX_NDAYS + TX_NMONTHS
};

/* The currencies of all ranks' stored transactions (identical on every rank after the fold),
 * in code order, and this rank's accumulators of each. */
typedef struct txa_currencies {
    int n;
    uint32_t *code; /* tx_currency_pack, ascending */
    int64_t *acc;   /* n x TXA_CACC_LEN */
} txa_currencies;

/* Collective. Daily and monthly revenue (global, identical on every rank) from every rank's
 * accumulators (summed in place over the ranks). Only days / months with at least one
 * transaction appear. Free with txa_revenue_free. */
void txa_revenue_compute(MPI_Comm comm, int64_t *acc, txa_currencies *cur,
                         tx_snapshot_revenue *out);
void txa_revenue_free(tx_snapshot_revenue *r);

/* One customer's purchases on one rank (before the merge), or over all ranks (after it).
 * Partials of one customer from disjoint date ranges merge exactly: counts and sums add,
 * first / last take min / max, first_sum comes from the partial with the earliest day, the
 * shared-month bits (fold.c) are or-ed. In memory a partial is followed by `words` u64 of
 * those bits: element stride txa_part_size(words). */
typedef struct txa_part {
    uint64_t customer_id;
    int64_t revenue;     /* cents */
    int64_t first_sum;   /* cents of the first purchase day */
    uint64_t orders;     /* transactions; 0 marks an empty hash slot while folding */
    int32_t first, last; /* purchase days */
    uint32_t ndays;      /* purchase days */
    uint32_t ncal;       /* with --holdout-start H: purchase days before H */
    uint32_t nhold;      /* ... and from H on */
    int32_t last_cal;    /* ... the last purchase day before H (INT32_MIN: none) */
    int32_t month;       /* while folding: the month of the latest row, and */
    uint32_t mask;       /* its days seen (bit = day of month - 1) */
} txa_part;

static inline size_t txa_part_size(int words)
{
    return sizeof(txa_part) + (size_t)words * sizeof(uint64_t);
}

/* The per-currency part of a fold (fold_cur.c): per (customer, currency) the days seen of its
 * latest month (for the distinct customers per day and currency), the shared months' (fold.c)
 * active (customer, month, currency) triples, per currency the accumulators, the stored rows
 * and those without a rate. */
#define TXA_MAX_CURRENCIES 64
typedef struct txa_fcur {
    uint32_t code;
    int64_t *acc; /* TXA_CACC_LEN */
    uint64_t rows, missing;
    int32_t first_missing; /* the first date without a rate (INT32_MAX: none) */
} txa_fcur;
typedef struct txa_pair {
    uint64_t customer_id;
    uint32_t cur; /* index into txa_fold_cur.c; UINT32_MAX marks an empty slot's entry */
    int32_t month;
    uint32_t mask;
    uint32_t pad;
} txa_pair;
typedef struct txa_cm {
    uint64_t customer_id;
    int32_t month; /* month index */
    uint32_t code;
} txa_cm;
typedef struct txa_fold_cur {
    int n, last;
    txa_fcur c[TXA_MAX_CURRENCIES];
    txa_pair *pair;
    size_t npair, paircap;
    uint32_t *slot; /* 1 + index into pair, 0 empty */
    size_t cap;
    int bits;
    txa_cm *cm;
    size_t ncm, cmcap;
    int64_t converted; /* the last row's amount in the reporting currency */
    uint32_t *gcode;   /* after txa_fold_cur_agree: every rank's currencies, ascending */
    int ng;
} txa_fold_cur;

/* Local. One row (date within the accepted days, on or before as-of): counted and added to its
 * currency's figures; *have_rate = whether fx converts it (then c->converted holds it). */
int txa_fold_cur_row(txa_fold_cur *c, tx_fx *fx, uint64_t customer_id, int64_t cents,
                     int32_t date, uint32_t currency, int month, int dom,
                     const int16_t *shared_bit, int *have_rate, tx_error *err);
/* Collective. Gathers every rank's currencies (c->gcode); TX_EUSAGE, the same on every rank,
 * when some rows had no rate (the message names the currencies, their shares and the first
 * date without a rate, and what to do). */
int txa_fold_cur_agree(MPI_Comm comm, txa_fold_cur *c, const tx_fx *fx, const char *fx_name,
                       tx_error *err);
/* Collective. The per-currency accumulators in global currency order (out), the shared months'
 * active customers counted once over all ranks. c's arrays are moved out or freed. */
int txa_fold_cur_merge(MPI_Comm comm, txa_fold_cur *c, txa_currencies *out, tx_error *err);
void txa_fold_cur_free(txa_fold_cur *c);
void txa_currencies_free(txa_currencies *cur);

/* The fold of one rank's sources (fold.c). */
typedef struct txa_fold txa_fold;

/* Collective. Checks the sources' ranges (disjoint over all ranks), then streams every source
 * of this rank, in date order, into one partial per customer (rows after as_of dropped unless
 * as_of is INT32_MIN; holdout INT32_MIN = off) and the day / month accumulators. Each row's
 * amount is converted to the reporting currency with fx (reduce.h's rule) for the partials and
 * the reporting-currency accumulators; the per-currency accumulators keep it as stored. When
 * some rows have no rate, TX_EUSAGE naming the currencies, their shares of the stored
 * transactions and the first uncovered date (fx_name: the --fx-rates file or NULL). *first /
 * *last: the global first and last purchase day (INT32_MAX / INT32_MIN without any). Same
 * status on every rank; on error *out is NULL. */
int txa_fold_sources(MPI_Comm comm, const tx_reduce_source *src, int nsrc, int32_t as_of,
                     int32_t holdout, tx_fx *fx, const char *fx_name, txa_fold **out,
                     int32_t *first, int32_t *last, tx_error *err);

/* Collective. Sends the partials to the ranks owning their customers (sample sort by
 * customer_id), merges them there and counts new customers and the shared months' active
 * customers. *parts (malloc'd, caller frees) holds this rank's merged partials, one per
 * customer, sorted by customer_id, plain txa_part (no bits); *acc (malloc'd, TXA_ACC_LEN)
 * the rank's accumulators, *cur the currencies and their accumulators (the shared months'
 * per-currency active customers counted in). Frees f. */
int txa_fold_merge(MPI_Comm comm, txa_fold *f, txa_part **parts, size_t *nparts,
                   int64_t **acc, txa_currencies *cur, tx_error *err);
/* What the cohort table (cohort.c) takes from one rank's fold (fold.c). The rank, if any,
 * whose months all come before every other rank's with none in common ("direct": the only
 * rank; in the load's reduce the one reading the earliest months) sees each of its customers'
 * first month, and counted its customer-months into
 * direct[] as it folded: TX_NMONTHS x (TX_COHORT_MAX_OFFSET + 1) counts by cohort month and
 * offset, then as many revenues (cents, reporting currency). Every other rank has one fixed
 * record per customer it folded: the month of its first row there (first_month), the revenue of
 * that month and the next TX_COHORT_MAX_OFFSET (rev, 13 per record), the bits of those with a
 * row (mask), and its shared-month bits (shared, `words` per record: months cut by a source
 * boundary, which another rank may hold too; shared_bit / shared_month map months and bits).
 * All arrays malloc'd or NULL; txa_cohorts_compute consumes them. */
typedef struct txa_cohort_in {
    int64_t *direct;
    size_t n;
    uint64_t *id;
    int32_t *first_month;
    int64_t *rev;
    uint16_t *mask;
    uint64_t *shared;
    int words;
    int16_t *shared_bit;
    int32_t *shared_month;
} txa_cohort_in;

/* Local. After txa_fold_sources and before txa_fold_merge: this rank's input of the cohort
 * table (*out overwritten; the caller owns its arrays); f keeps no reference. */
void txa_fold_take_months(txa_fold *f, txa_cohort_in *out);

/* Collective. The /cohorts table (snapshot.h), global and identical on every rank, from every
 * rank's cohort input (consumed: freed, *in zeroed), the merged partials of the customers this
 * rank owns (txa_fold_merge: sorted by customer_id; their first purchase day gives a customer's
 * cohort) and the as-of date. Exact integer sums: the same bits at any rank count. Free out with
 * tx_snapshot_table_free(&tx_snapshot_cohorts_table, out). */
int txa_cohorts_compute(MPI_Comm comm, txa_cohort_in *in, const txa_part *parts, size_t nparts,
                        int32_t as_of, tx_snapshot_cohorts *out, tx_error *err);

/* Local. Frees a cohort input's arrays (they may be NULL); *in zeroed. */
void txa_cohort_in_free(txa_cohort_in *in);

/* Local. Frees a fold (NULL is a no-op). */
void txa_fold_free(txa_fold *f);

#endif
