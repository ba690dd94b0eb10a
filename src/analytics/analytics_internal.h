/* analytics_internal.h - private to src/analytics: the pieces of the reduce step (SPEC §5)
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
#include "txetl/snapshot.h"

/* Dates the reduce accepts are calendar.h's TX_NDAYS days 1970-01-01 .. 2099-12-31. rfm.c's
 * spelling, until its exchange rework lands (then rfm.c says TX_NDAYS and this goes). */
#define TXA_NDAYS TX_NDAYS

/* One customer's purchases on one day, after summing its transactions of that day. */
typedef struct txa_cday {
    uint64_t customer_id;
    int64_t amount_cents;
    int32_t date;
    uint32_t count; /* transactions */
} txa_cday;

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
 * ranks own ascending ranges in rank order. Returns TX_OK, or TX_ERR (same on every rank)
 * when counts exceed what MPI's int counts can address. */
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

/* Collective. Daily and monthly revenue (global, identical on every rank) from each rank's
 * customer-days: days sorted by customer then date, one entry per customer and day, dates
 * 0 .. TX_NDAYS-1, every customer's days on one rank, customer i's days at
 * [day_start[i], day_start[i + 1]). Only days / months with at least one transaction appear.
 * Free with txa_revenue_free. */
void txa_revenue_compute(MPI_Comm comm, const txa_customers *c, const size_t *day_start,
                         const txa_cday *days, tx_snapshot_revenue *out);
void txa_revenue_free(tx_snapshot_revenue *r);

#endif
