/* revenue.c - global daily and monthly revenue (SPEC §5). Each customer's days live on one
 * rank after the redistribution, so distinct-customer counts are local sums; one
 * MPI_Allreduce over the whole date range (1970..2099: 47482 days, 1560 months) makes them
 * global and exact. */
#include <string.h>

#include "analytics_internal.h"

void txa_civil_ym(int32_t days, int *y, int *m)
{
    /* Howard Hinnant's civil_from_days. */
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400 + (mm <= 2));
    *m = (int)mm;
}

static int month_index(int32_t day)
{
    int y, m;
    txa_civil_ym(day, &y, &m);
    return (y - 1970) * 12 + (m - 1);
}

enum { D_REV, D_TXN, D_CUST, NDCOL };
enum { M_ACTIVE, M_NEW, NMCOL };

void txa_revenue_compute(MPI_Comm comm, const txa_customers *c, const txa_cday *days,
                         txa_revenue *out)
{
    /* One int64 buffer: 3 daily columns, then 2 monthly ones (counts fit in int64). */
    const size_t nd = TXA_NDAYS, nm = TXA_NMONTHS;
    size_t total = NDCOL * nd + NMCOL * nm;
    int64_t *buf = txa_xcalloc(total, sizeof *buf);
    int64_t *rev = buf, *txn = buf + nd, *cust = buf + 2 * nd;
    int64_t *active = buf + NDCOL * nd, *fresh = active + nm;
    uint16_t *month_of = txa_xmalloc(nd * sizeof *month_of);
    for (size_t d = 0; d < nd; d++)
        month_of[d] = (uint16_t)month_index((int32_t)d);
    for (size_t i = 0; i < c->n; i++) {
        int last_month = -1;
        for (size_t k = c->day_start[i]; k < c->day_start[i + 1]; k++) {
            const txa_cday *d = &days[k];
            rev[d->date] += d->amount_cents;
            txn[d->date] += d->count;
            cust[d->date] += 1;
            int mi = month_of[d->date];
            if (mi != last_month) { /* days are sorted: a new month of this customer */
                active[mi] += 1;
                if (last_month < 0)
                    fresh[mi] += 1;
                last_month = mi;
            }
        }
    }
    MPI_Allreduce(MPI_IN_PLACE, buf, (int)total, MPI_INT64_T, MPI_SUM, comm);

    int64_t mrev[TXA_NMONTHS], mtxn[TXA_NMONTHS];
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
    out->ndaily = ndaily;
    out->daily_date = txa_xmalloc(ndaily * sizeof(int32_t));
    out->daily_revenue_cents = txa_xmalloc(ndaily * sizeof(int64_t));
    out->daily_transactions = txa_xmalloc(ndaily * sizeof(uint64_t));
    out->daily_customers = txa_xmalloc(ndaily * sizeof(uint64_t));
    size_t j = 0;
    for (size_t d = 0; d < nd; d++) {
        if (!txn[d])
            continue;
        out->daily_date[j] = (int32_t)d;
        out->daily_revenue_cents[j] = rev[d];
        out->daily_transactions[j] = (uint64_t)txn[d];
        out->daily_customers[j] = (uint64_t)cust[d];
        j++;
    }
    out->nmonthly = nmonthly;
    out->monthly_month = txa_xmalloc(nmonthly * sizeof(int32_t));
    out->monthly_revenue_cents = txa_xmalloc(nmonthly * sizeof(int64_t));
    out->monthly_transactions = txa_xmalloc(nmonthly * sizeof(uint64_t));
    out->monthly_active_customers = txa_xmalloc(nmonthly * sizeof(uint64_t));
    out->monthly_new_customers = txa_xmalloc(nmonthly * sizeof(uint64_t));
    j = 0;
    for (size_t m = 0; m < nm; m++) {
        if (!mtxn[m])
            continue;
        out->monthly_month[j] = (int32_t)((1970 + m / 12) * 100 + m % 12 + 1);
        out->monthly_revenue_cents[j] = mrev[m];
        out->monthly_transactions[j] = (uint64_t)mtxn[m];
        out->monthly_active_customers[j] = (uint64_t)active[m];
        out->monthly_new_customers[j] = (uint64_t)fresh[m];
        j++;
    }
    free(month_of);
    free(buf);
}

void txa_revenue_free(txa_revenue *r)
{
    free(r->daily_date);
    free(r->daily_revenue_cents);
    free(r->daily_transactions);
    free(r->daily_customers);
    free(r->monthly_month);
    free(r->monthly_revenue_cents);
    free(r->monthly_transactions);
    free(r->monthly_active_customers);
    free(r->monthly_new_customers);
    memset(r, 0, sizeof *r);
}
