/* cohort.c - the monthly cohort table of the reduce step (docs/analytics.md#cohorts):
 * customers by month of first purchase, and for N = 0 .. TX_COHORT_MAX_OFFSET months later
 * how many of them bought in month cohort + N and their net revenue in it.
 *
 * Input (fold.c, txa_fold_take_cohorts): each rank's dense (cohort, offset) table of the
 * customers it counted, each customer counted by one rank (at one rank as it folded; at more
 * by its home rank, from its complete history). One MPI_Allreduce of integers sums the tables
 * over the months in play: exact and the same at any rank count. Memory: months x 13
 * counters. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analytics_internal.h"

enum { K = TXA_COHORT_K };

void txa_cohorts_compute(MPI_Comm comm, int64_t *part, int32_t as_of, tx_snapshot_cohorts *out)
{
    memset(out, 0, sizeof *out);
    /* The months in play: the earliest cohort .. as-of's month (the fold counted no month
     * after as-of's). */
    int lo = INT_MAX;
    for (int c = 0; c < TX_NMONTHS && lo == INT_MAX; c++)
        if (part[(size_t)c * K] > 0)
            lo = c;
    MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_INT, MPI_MIN, comm);
    const int hi = tx_month_index(as_of);
    if (lo == INT_MAX || lo > hi) { /* no customers: an empty table */
        free(part);
        return;
    }
    const size_t nmon = (size_t)(hi - lo + 1), cells = nmon * K;
    int64_t *cnt = TX_XCALLOC(2 * cells, sizeof *cnt), *rev = cnt + cells;
    const size_t at = (size_t)lo * K, rv = (size_t)TX_NMONTHS * K;
    for (size_t c = 0; c < cells; c++) {
        cnt[c] = part[at + c];
        rev[c] = part[rv + at + c];
    }
    free(part);
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
}
