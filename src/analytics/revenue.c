/* revenue.c - global daily and monthly revenue (docs/analytics.md). A day's figures come from the one
 * source (shard) holding that day, a month's distinct customers from the fold and the merge
 * (fold.c), so one MPI_Allreduce over the whole date range (1970..2099: 47482 days, 1560
 * months) makes them global and exact. */
#include <string.h>

#include "analytics_internal.h"

/* The per-currency tables from the summed per-currency accumulators, rows by (date | month,
 * currency): currency codes ascend, so the inner loop over them gives that order. */
static void by_currency(const txa_currencies *cur, const uint16_t *month_of,
                        tx_snapshot_revenue *out)
{
    const int nc = cur->n;
    const size_t L = TXA_CACC_LEN;
    size_t ndaily = 0, nmonthly = 0;
    int64_t(*mo)[4] = TX_XCALLOC((size_t)(nc ? nc : 1) * TX_NMONTHS, sizeof *mo);
    for (int k = 0; k < nc; k++) {
        const int64_t *a = cur->acc + (size_t)k * L;
        for (size_t d = 0; d < TX_NDAYS; d++) {
            if (!a[TXA_CACC_TXN + d])
                continue;
            ndaily++;
            int64_t *m = mo[(size_t)k * TX_NMONTHS + month_of[d]];
            m[0] += a[TXA_CACC_REV + d];
            m[1] += a[TXA_CACC_GROSS + d];
            m[2] += a[TXA_CACC_REFUND + d];
            m[3] += a[TXA_CACC_TXN + d];
        }
        for (size_t m = 0; m < TX_NMONTHS; m++)
            nmonthly += mo[(size_t)k * TX_NMONTHS + m][3] != 0;
    }
    tx_snapshot_cur_daily *dl = &out->by_daily;
    tx_snapshot_table_alloc(&tx_snapshot_cur_daily_table, dl, ndaily);
    dl->n = ndaily;
    size_t j = 0;
    for (size_t d = 0; d < TX_NDAYS && nc; d++)
        for (int k = 0; k < nc; k++) {
            const int64_t *a = cur->acc + (size_t)k * L;
            if (!a[TXA_CACC_TXN + d])
                continue;
            char c[4];
            dl->date[j] = (int32_t)d;
            memcpy(dl->currency + 3 * j, tx_currency_unpack(cur->code[k], c), 3);
            dl->revenue_cents[j] = a[TXA_CACC_REV + d];
            dl->gross_cents[j] = a[TXA_CACC_GROSS + d];
            dl->refunds_cents[j] = a[TXA_CACC_REFUND + d];
            dl->transactions[j] = (uint64_t)a[TXA_CACC_TXN + d];
            dl->customers[j] = (uint64_t)a[TXA_CACC_CUST + d];
            j++;
        }
    tx_snapshot_cur_monthly *ml = &out->by_monthly;
    tx_snapshot_table_alloc(&tx_snapshot_cur_monthly_table, ml, nmonthly);
    ml->n = nmonthly;
    j = 0;
    for (size_t m = 0; m < TX_NMONTHS && nc; m++)
        for (int k = 0; k < nc; k++) {
            const int64_t *v = mo[(size_t)k * TX_NMONTHS + m];
            if (!v[3])
                continue;
            char c[4];
            ml->month[j] = tx_month_yyyymm((int)m);
            memcpy(ml->currency + 3 * j, tx_currency_unpack(cur->code[k], c), 3);
            ml->revenue_cents[j] = v[0];
            ml->gross_cents[j] = v[1];
            ml->refunds_cents[j] = v[2];
            ml->transactions[j] = (uint64_t)v[3];
            ml->active_customers[j] =
                (uint64_t)cur->acc[(size_t)k * L + TXA_CACC_ACTIVE + m];
            j++;
        }
    free(mo);
}

void txa_revenue_compute(MPI_Comm comm, int64_t *buf, txa_currencies *cur,
                         tx_snapshot_revenue *out)
{
    const size_t nd = TX_NDAYS, nm = TX_NMONTHS, total = TXA_ACC_LEN;
    int64_t *rev = buf + TXA_ACC_REV, *txn = buf + TXA_ACC_TXN, *cust = buf + TXA_ACC_CUST;
    int64_t *active = buf + TXA_ACC_ACTIVE, *fresh = buf + TXA_ACC_NEW;
    uint16_t *month_of = TX_XMALLOC(nd * sizeof *month_of);
    for (size_t d = 0; d < nd; d++)
        month_of[d] = (uint16_t)tx_month_index((int32_t)d);
    MPI_Allreduce(MPI_IN_PLACE, buf, (int)total, MPI_INT64_T, MPI_SUM, comm);
    for (int k = 0; k < cur->n; k++) /* every rank has the same currencies */
        MPI_Allreduce(MPI_IN_PLACE, cur->acc + (size_t)k * TXA_CACC_LEN, TXA_CACC_LEN,
                      MPI_INT64_T, MPI_SUM, comm);
    int64_t *gross = buf + TXA_ACC_GROSS, *refund = buf + TXA_ACC_REFUND;

    int64_t mrev[TX_NMONTHS], mtxn[TX_NMONTHS], mgross[TX_NMONTHS], mrefund[TX_NMONTHS];
    memset(mrev, 0, sizeof mrev);
    memset(mtxn, 0, sizeof mtxn);
    memset(mgross, 0, sizeof mgross);
    memset(mrefund, 0, sizeof mrefund);
    size_t ndaily = 0, nmonthly = 0;
    for (size_t d = 0; d < nd; d++) {
        if (!txn[d])
            continue;
        ndaily++;
        int mi = month_of[d];
        mrev[mi] += rev[d];
        mtxn[mi] += txn[d];
        mgross[mi] += gross[d];
        mrefund[mi] += refund[d];
    }
    for (size_t m = 0; m < nm; m++)
        nmonthly += mtxn[m] != 0;

    char rep[4];
    memcpy(rep, out->reporting, sizeof rep); /* set by the caller */
    memset(out, 0, sizeof *out);
    memcpy(out->reporting, rep, sizeof rep);
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
        dl->gross_cents[j] = gross[d];
        dl->refunds_cents[j] = refund[d];
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
        mo->gross_cents[j] = mgross[m];
        mo->refunds_cents[j] = mrefund[m];
        j++;
    }
    by_currency(cur, month_of, out);
    free(month_of);
}

void txa_revenue_free(tx_snapshot_revenue *r)
{
    tx_snapshot_table_free(&tx_snapshot_daily_table, &r->daily);
    tx_snapshot_table_free(&tx_snapshot_monthly_table, &r->monthly);
    tx_snapshot_table_free(&tx_snapshot_cur_daily_table, &r->by_daily);
    tx_snapshot_table_free(&tx_snapshot_cur_monthly_table, &r->by_monthly);
    memset(r, 0, sizeof *r);
}
