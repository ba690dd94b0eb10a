/* cohort.c - the monthly cohort table of the reduce step (docs/analytics.md#cohorts):
 * customers by month of first purchase, and for N = 0 .. TX_COHORT_MAX_OFFSET months later
 * how many of them bought in month cohort + N and their net revenue in it.
 *
 * Input: the (customer, month, revenue) elements the fold emits when a customer's rows move on
 * to a later month (fold.c: a customer's rows come in ascending months, so a month's sum is
 * complete when the next one starts), one per customer and month and rank. They go to the
 * ranks by customer (txa_sample_sort: one customer's elements on one rank, sorted by month),
 * where a customer's first month is its cohort and two elements of one month (a month cut by a
 * source boundary, folded on two ranks) add up. Each rank counts into a dense (cohort, offset)
 * table over the months in play; one MPI_Allreduce of integers sums it, so the result is exact
 * and the same at any rank count. The rank that read the earliest months (all of them, at one
 * rank) counted its customers' months into that table as it folded (txa_cohort_in.direct):
 * they are added in, and its one marker per customer (with other ranks) gives the customer's
 * cohort to the rank counting the customer's later months. Memory: one element per
 * customer-month with a transaction within 12 months of its first on that rank, on the other
 * ranks; months² x 13 counters. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analytics_internal.h"

static int cmp_customer(const void *pa, const void *pb)
{
    const txa_cmrev *a = pa, *b = pb;
    return (a->customer_id > b->customer_id) - (a->customer_id < b->customer_id);
}

static int cmp_customer_month(const void *pa, const void *pb)
{
    const txa_cmrev *a = pa, *b = pb;
    int c = cmp_customer(pa, pb);
    return c ? c : (a->month > b->month) - (a->month < b->month);
}

void txa_cohort_in_free(txa_cohort_in *in)
{
    free(in->rec);
    free(in->direct);
    memset(in, 0, sizeof *in);
}

int txa_cohorts_compute(MPI_Comm comm, txa_cohort_in *in, int32_t as_of,
                        tx_snapshot_cohorts *out, tx_error *err)
{
    memset(out, 0, sizeof *out);
    enum { K = TX_COHORT_MAX_OFFSET + 1 };
    txa_cmrev *rec = in->rec;
    const size_t n = in->n;
    int64_t *direct = in->direct;
    memset(in, 0, sizeof *in);
    static const txa_radix_key keys[2] = {{offsetof(txa_cmrev, customer_id), 8, 0},
                                          {offsetof(txa_cmrev, month), 4, 1}};
    txa_radix_sort(rec, n, sizeof *rec, keys, 2);
    txa_cmrev *m = NULL;
    size_t nm = 0;
    int st = txa_sample_sort(comm, rec, n, sizeof *rec, cmp_customer_month, cmp_customer, NULL,
                             (void **)&m, &nm, err);
    free(rec);
    if (st != TX_OK) {
        free(m);
        free(direct);
        return st;
    }
    /* The months in play: the earliest cohort .. as-of's month. */
    int lo = nm ? m[0].month : INT_MAX;
    for (size_t i = 1; i < nm; i++)
        if (m[i].month < lo)
            lo = m[i].month;
    for (int c = 0; direct && c < lo && c < TX_NMONTHS; c++)
        if (direct[(size_t)c * K] > 0)
            lo = c; /* the earliest cohort counted directly */
    MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_INT, MPI_MIN, comm);
    const int hi = tx_month_index(as_of);
    if (lo == INT_MAX || lo > hi) { /* no customers: an empty table */
        free(m);
        free(direct);
        return TX_OK;
    }
    const size_t nmon = (size_t)(hi - lo + 1), cells = nmon * K;
    int64_t *cnt = TX_XCALLOC(2 * cells, sizeof *cnt), *rev = cnt + cells;
    if (direct) { /* cohorts lo..hi; the fold counted no month after as-of's */
        const size_t at = (size_t)lo * K, rv = (size_t)TX_NMONTHS * K;
        for (size_t c = 0; c < cells; c++) {
            cnt[c] += direct[at + c];
            rev[c] += direct[rv + at + c];
        }
        free(direct);
    }
    for (size_t i = 0; i < nm;) {
        const uint64_t id = m[i].customer_id;
        const int cohort = m[i].month;
        while (i < nm && m[i].customer_id == id) {
            const int month = m[i].month;
            int64_t sum = 0;
            int counted = 0; /* a marker's month: counted by the direct rank */
            for (; i < nm && m[i].customer_id == id && m[i].month == month; i++) {
                sum += m[i].revenue;
                counted |= (int)m[i].marker;
            }
            if (counted)
                continue;
            const int off = month - cohort;
            if (off < K && month <= hi) {
                size_t c = (size_t)(cohort - lo) * K + (size_t)off;
                cnt[c] += 1;
                rev[c] += sum;
            }
        }
    }
    free(m);
    MPI_Allreduce(MPI_IN_PLACE, cnt, (int)(2 * cells), MPI_INT64_T, MPI_SUM, comm);
    size_t rows = 0;
    for (size_t c = 0; c < nmon; c++)
        if (cnt[c * K] > 0) {
            size_t left = (size_t)hi - (size_t)lo - c + 1;
            rows += left < K ? left : K;
        }
    tx_snapshot_table_alloc(&tx_snapshot_cohorts_table, out, rows);
    out->n = rows;
    size_t r = 0;
    for (size_t c = 0; c < nmon; c++) {
        if (cnt[c * K] <= 0)
            continue;
        size_t left = (size_t)hi - (size_t)lo - c + 1;
        for (size_t k = 0; k < (left < K ? left : K); k++, r++) {
            out->cohort_month[r] = tx_month_yyyymm(lo + (int)c);
            out->offset[r] = (int32_t)k;
            out->customers[r] = (uint64_t)cnt[c * K + k];
            out->revenue_cents[r] = rev[c * K + k];
            out->cohort_size[r] = (uint64_t)cnt[c * K];
        }
    }
    free(cnt);
    return TX_OK;
}
