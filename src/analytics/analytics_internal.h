/* analytics_internal.h - private to src/analytics: the pieces of the reduce step (SPEC §5)
 * shared between reduce.c (the driver), sort.c (distributed sample sort), rfm.c (NTILE and
 * segments) and revenue.c (daily / monthly revenue).
 *
 * MPI errors: the communicator keeps MPI's default handler (MPI_ERRORS_ARE_FATAL), so an MPI
 * call either succeeds or ends the job; out of memory ends the job too (MPI_Abort), as the
 * style rules allow. Every other failure is a status agreed between ranks. */
#ifndef TXETL_ANALYTICS_INTERNAL_H
#define TXETL_ANALYTICS_INTERNAL_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "txetl/error.h"

/* Dates the reduce accepts: 1970-01-01 .. 2099-12-31 (SPEC §2), as days since the epoch. */
#define TXA_NDAYS 47482
/* Months of that range: (2099 - 1970 + 1) * 12. */
#define TXA_NMONTHS 1560

/* One customer's purchases on one day, after summing its transactions of that day. */
typedef struct txa_cday {
    uint64_t customer_id;
    int64_t amount_cents;
    int32_t date;
    uint32_t count; /* transactions */
} txa_cday;

/* The customer table of one rank: its contiguous, sorted customer_id range. */
typedef struct txa_customers {
    size_t n;
    uint64_t offset, total; /* global row of the first row; rows over all ranks */
    uint64_t *customer_id;
    int32_t *first_purchase, *last_purchase, *recency_days;
    uint32_t *orders;
    int64_t *revenue_cents;
    uint8_t *r_score, *f_score, *m_score, *segment;
    double *frequency, *recency, *T, *monetary_value;
    double *p_alive, *expected_purchases, *expected_avg_value, *clv;
    size_t *day_start; /* n + 1 offsets into the rank's txa_cday array */
} txa_customers;

/* Local. malloc that ends the job on failure (never returns NULL; n = 0 allowed). */
static inline void *txa_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "txetl: out of memory (%zu bytes) in the reduce step\n", n);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return p;
}

static inline void *txa_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "txetl: out of memory (%zu x %zu bytes) in the reduce step\n", n, size);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return p;
}

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

/* Collective. Fills c->r_score, f_score, m_score (SQL NTILE(5) over all ranks' customers, SPEC
 * §5 orders) and c->segment. Needs customer_id, last_purchase, orders, revenue_cents, offset
 * and total. */
int txa_rfm(MPI_Comm comm, txa_customers *c, tx_error *err);

/* Local. The §5 segment of (r, f), both 1..5: an index into txa_segment_names. */
uint8_t txa_segment(int r, int f);
extern const char *const txa_segment_names[];
extern const int txa_nsegments;

/* Local. NTILE(5) bucket (1..5) of 0-based row `pos` among `n` rows. */
uint8_t txa_ntile5(uint64_t pos, uint64_t n);

/* The global revenue tables (identical on every rank after txa_revenue). */
typedef struct txa_revenue {
    size_t ndaily, nmonthly;
    int32_t *daily_date;
    int64_t *daily_revenue_cents;
    uint64_t *daily_transactions, *daily_customers;
    int32_t *monthly_month;
    int64_t *monthly_revenue_cents;
    uint64_t *monthly_transactions, *monthly_active_customers, *monthly_new_customers;
} txa_revenue;

/* Collective. Daily and monthly revenue from each rank's customer-days (days sorted by
 * customer then date, one entry per customer and day, dates 0 .. TXA_NDAYS-1; every
 * customer's days on one rank). Only days / months with at least one transaction appear. */
void txa_revenue_compute(MPI_Comm comm, const txa_customers *c, const txa_cday *days,
                         txa_revenue *out);
void txa_revenue_free(txa_revenue *r);

/* Local. Calendar (y, m) of days since 1970-01-01. */
void txa_civil_ym(int32_t days, int *y, int *m);

#endif
