/* revenue.c - global daily and monthly revenue (docs/analytics.md). A day's figures come from the one
 * source (shard) holding that day, a month's distinct customers from the fold and the merge
 * (fold.c), so one MPI_Allreduce over the whole date range (1970..2099: 47482 days, 1560
 * months) makes them global and exact. */
#include <string.h>

#include "analytics_internal.h"

void txa_revenue_compute(MPI_Comm comm, int64_t *buf, tx_snapshot_revenue *out)
{
    const size_t nd = TX_NDAYS, nm = TX_NMONTHS, total = TXA_ACC_LEN;
    int64_t *rev = buf + TXA_ACC_REV, *txn = buf + TXA_ACC_TXN, *cust = buf + TXA_ACC_CUST;
    int64_t *active = buf + TXA_ACC_ACTIVE, *fresh = buf + TXA_ACC_NEW;
    uint16_t *month_of = TX_XMALLOC(nd * sizeof *month_of);
    for (size_t d = 0; d < nd; d++)
        month_of[d] = (uint16_t)tx_month_index((int32_t)d);
    MPI_Allreduce(MPI_IN_PLACE, buf, (int)total, MPI_INT64_T, MPI_SUM, comm);

    int64_t mrev[TX_NMONTHS], mtxn[TX_NMONTHS];
    memset(mrev, 0, sizeof mrev);
    memset(mtxn, 0, sizeof mtxn);
    size_t ndaily = 0, nmonthly = 0;
    for (size_t d = 0; d < nd; d++) {
        if (!txn[d])
            continue;
        ndaily++;
        int mi = month_of[d];
        mrev[mi] += rev[d];
        mtxn[mi] += txn[d];
    }
    for (size_t m = 0; m < nm; m++)
        nmonthly += mtxn[m] != 0;

    memset(out, 0, sizeof *out);
    tx_snapshot_daily *dl = &out->daily;
    tx_snapshot_table_alloc(&tx_snapshot_daily_table, dl, ndaily);
    dl->n = ndaily;
    size_t j = 0;
    for (size_t d = 0; d < nd; d++) {
        if (!txn[d])
            continue;
        dl->date[j] = (int32_t)d;
        dl->revenue_cents[j] = rev[d];
        dl->transactions[j] = (uint64_t)txn[d];
        dl->customers[j] = (uint64_t)cust[d];
        j++;
    }
    tx_snapshot_monthly *mo = &out->monthly;
    tx_snapshot_table_alloc(&tx_snapshot_monthly_table, mo, nmonthly);
    mo->n = nmonthly;
    j = 0;
    for (size_t m = 0; m < nm; m++) {
        if (!mtxn[m])
            continue;
        mo->month[j] = tx_month_yyyymm((int)m);
        mo->revenue_cents[j] = mrev[m];
        mo->transactions[j] = (uint64_t)mtxn[m];
        mo->active_customers[j] = (uint64_t)active[m];
        mo->new_customers[j] = (uint64_t)fresh[m];
        j++;
    }
    free(month_of);
}

void txa_revenue_free(tx_snapshot_revenue *r)
{
    tx_snapshot_table_free(&tx_snapshot_daily_table, &r->daily);
    tx_snapshot_table_free(&tx_snapshot_monthly_table, &r->monthly);
    memset(r, 0, sizeof *r);
}
