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
 * Partials of one customer from disjoint rows, each purchase day and month counted by one of
 * them (disjoint date ranges, or the pieces of one rank's stream, fold.c), merge exactly:
 * counts and sums add, first / last take min / max, first_sum comes from the partial with the
 * earliest day (added on a tie), the shared-month bits (fold.c) are or-ed. In memory a partial is followed by `words` u64 of
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
/* Local. The stream has passed to a later month: the (customer, currency) pairs, all of
 * earlier months, are forgotten (their memory is one month's pairs). */
void txa_fold_cur_month_done(txa_fold_cur *c);
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
 * as_of is INT32_MIN; holdout INT32_MIN = off) and the day / month accumulators; at more than
 * one rank the partials go to their customers' home ranks as the bounded buffer fills
 * (fold.c, fold_home.c), so that every rank returns with the complete partials of the
 * customers it is home to. Each row's
 * amount is converted to the reporting currency with fx (reduce.h's rule) for the partials and
 * the reporting-currency accumulators; the per-currency accumulators keep it as stored. When
 * some rows have no rate, TX_EUSAGE naming the currencies, their shares of the stored
 * transactions and the first uncovered date (fx_name: the --fx-rates file or NULL). *first /
 * *last: the global first and last purchase day (INT32_MAX / INT32_MIN without any). Same
 * status on every rank; on error *out is NULL. */
int txa_fold_sources(MPI_Comm comm, const tx_reduce_source *src, int nsrc, int32_t as_of,
                     int32_t holdout, tx_fx *fx, const char *fx_name, txa_fold **out,
                     int32_t *first, int32_t *last, tx_error *err);

/* Collective. Sends the partials (at more than one rank the home partials) to the ranks
 * owning their customers (sample sort by customer_id), merges them there and counts new
 * customers and the shared months' active customers. *parts (malloc'd, caller frees) holds this rank's merged partials, one per
 * customer, sorted by customer_id, plain txa_part (no bits); *acc (malloc'd, TXA_ACC_LEN)
 * the rank's accumulators, *cur the currencies and their accumulators (the shared months'
 * per-currency active customers counted in). Frees f. */
int txa_fold_merge(MPI_Comm comm, txa_fold *f, txa_part **parts, size_t *nparts,
                   int64_t **acc, txa_currencies *cur, tx_error *err);
/* Local. After txa_fold_sources and before txa_fold_merge: this rank's part of the cohort
 * table (cohort.c), TX_NMONTHS x TXA_COHORT_K customer counts by cohort month and offset, then
 * as many revenues (cents, reporting currency); malloc'd, the caller owns it. At one rank the
 * fold counted them as it went (each customer's first month is its cohort); at more, they are
 * counted from the complete home partials' windows (fold_home.c). */
int64_t *txa_fold_take_cohorts(txa_fold *f);

/* Collective. The /cohorts table (snapshot.h), global and identical on every rank, from every
 * rank's part (consumed: freed) and the as-of date. Exact integer sums: the same at any rank
 * count. Free out with tx_snapshot_table_free(&tx_snapshot_cohorts_table, out). */
void txa_cohorts_compute(MPI_Comm comm, int64_t *part, int32_t as_of, tx_snapshot_cohorts *out);

/* Local. Merges partial q of a customer into c, the same customer's partial of other rows
 * (each day and month counted by one of them: txa_part's comment): counts and sums add, first / last take min / max, first_sum comes from the earlier first day
 * (added on a tie). Neither's shared-month bits, nor the latest-month fields. */
static inline void txa_part_merge(txa_part *c, const txa_part *q)
{
    if (q->first < c->first) {
        c->first = q->first;
        c->first_sum = q->first_sum;
    } else if (q->first == c->first) {
        c->first_sum += q->first_sum;
    }
    c->revenue += q->revenue;
    c->orders += q->orders;
    c->ndays += q->ndays;
    c->ncal += q->ncal;
    c->nhold += q->nhold;
    if (q->last > c->last)
        c->last = q->last;
    if (q->last_cal > c->last_cal)
        c->last_cal = q->last_cal;
}

/* An element of the fold at more than one rank: a txa_part, its `words` u64 of shared-month
 * bits, then its cohort window: the revenue (cents, reporting currency) of the month of its
 * first purchase day and of the TX_COHORT_MAX_OFFSET months after (a customer's cohort is no
 * later than that month, so no later month counts) and a u64 whose bit k says month k of
 * them had a row. */
enum { TXA_COHORT_K = TX_COHORT_MAX_OFFSET + 1 };
static inline size_t txa_elem_size(int words)
{
    return txa_part_size(words) + (TXA_COHORT_K + 1) * sizeof(int64_t);
}
static inline int64_t *txa_elem_rev(void *e, int words)
{
    return (int64_t *)(void *)((char *)e + txa_part_size(words));
}
static inline const int64_t *txa_elem_crev(const void *e, int words)
{
    return (const int64_t *)(const void *)((const char *)e + txa_part_size(words));
}
static inline uint64_t *txa_elem_mask(void *e, int words)
{
    return (uint64_t *)(void *)((char *)e + txa_part_size(words) +
                                TXA_COHORT_K * sizeof(int64_t));
}
static inline const uint64_t *txa_elem_cmask(const void *e, int words)
{
    return (const uint64_t *)(const void *)((const char *)e + txa_part_size(words) +
                                            TXA_COHORT_K * sizeof(int64_t));
}

/* Local. Merges element src into dst (the same customer, other rows; a month may be in both):
 * txa_part_merge, the bits or-ed, the windows aligned on the earlier first month and added, their month bits
 * or-ed. */
void txa_elem_merge(void *dst, const void *src, int words);

/* The home table (fold_home.c): at more than one rank, the partials a rank folds go to their
 * customer's home rank during the fold and merge there. */
typedef struct txa_home txa_home;

/* Local. The home rank (0 .. size-1) of a customer. */
int txa_home_of(uint64_t customer_id, int size);
/* Collective: duplicates comm for the table's messages and posts the first receive. Elements
 * of txa_elem_size(words) bytes (words the same on every rank). */
txa_home *txa_home_new(MPI_Comm comm, int words);
/* Local. Merges the messages that have arrived. */
void txa_home_poll(txa_home *h);
/* Local (point to point). Sends each of the n elements to its home rank (merged here when that
 * is this rank), receiving meanwhile; elems stays the caller's and may be reused on return. */
void txa_home_send(txa_home *h, const char *elems, size_t n);
/* Every rank calls it once, after its last txa_home_send (also after an error, so no rank
 * waits for ever): tells the others, receives until every rank has told, frees the messages'
 * buffers and the communicator. The home table then holds the complete partials of the
 * customers whose home this rank is. */
void txa_home_finish(txa_home *h);
/* Local. Whether the table outgrew 2^32 - 2 partials (some were not kept). */
int txa_home_overflow(const txa_home *h);
/* Local. The n home elements (the table keeps them) / moved out (the caller frees them). */
const char *txa_home_elems(const txa_home *h, size_t *n);
char *txa_home_take(txa_home *h, size_t *n);
/* Local. Elements sent to other ranks and received from them, and data messages sent. */
void txa_home_stats(const txa_home *h, uint64_t *sent, uint64_t *received, uint64_t *messages);
/* Local. NULL is a no-op; after txa_home_finish. */
void txa_home_free(txa_home *h);

/* Local. Frees a fold (NULL is a no-op). */
void txa_fold_free(txa_fold *f);

#endif
