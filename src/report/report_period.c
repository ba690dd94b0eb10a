/* report_period.c - the dashboard's period comparisons (month to date, month over month, year
 * over year) from the snapshot's daily and monthly revenue, as of its as-of date. Pure: no I/O,
 * no allocation; the unit test (tests/unit/test_report_period.c) calls it directly. */
#include "report_internal.h"

#include <math.h>

#include "txetl/calendar.h"

/* The month before (y, m). */
static void month_before(int *y, int *m)
{
    if (--*m == 0) {
        *m = 12;
        --*y;
    }
}

/* Net revenue of the daily rows in [from, to] (days, inclusive); *have = any row in it. */
static int64_t daily_sum(const tx_snapshot_daily *d, int32_t from, int32_t to, int *have)
{
    int64_t s = 0;
    *have = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->date[i] >= from && d->date[i] <= to) {
            s += d->revenue_cents[i];
            *have = 1;
        }
    return s;
}

/* Net revenue of month y-m from the monthly rows; *have = it has a row. */
static int64_t monthly_get(const tx_snapshot_monthly *mo, int y, int m, int *have)
{
    const int32_t key = y * 100 + m;
    *have = 0;
    for (size_t i = 0; i < mo->n; i++)
        if (mo->month[i] == key) {
            *have = 1;
            return mo->revenue_cents[i];
        }
    return 0;
}

static void month_period(const tx_snapshot_monthly *mo, int y, int m, int32_t *from,
                         int32_t *to, int64_t *cents, int *have)
{
    *from = tx_days_from_civil(y, m, 1);
    *to = tx_days_from_civil(y, m, tx_month_days(y, m));
    *cents = monthly_get(mo, y, m, have);
}

void rpt_periods_compute(const tx_snapshot_daily *d, const tx_snapshot_monthly *mo,
                         int32_t as_of, rpt_periods *out)
{
    int y, m, dd;
    tx_civil_from_days(as_of, &y, &m, &dd);

    /* Month to date: days 1..dd of as-of's month against days 1..dd of the month before (its
     * last day when it is shorter: Mar 31 against Feb 29). */
    rpt_period *p = &out->mtd;
    p->cur_from = tx_days_from_civil(y, m, 1);
    p->cur_to = as_of;
    p->cur_cents = daily_sum(d, p->cur_from, p->cur_to, &p->have_cur);
    int py = y, pm = m;
    month_before(&py, &pm);
    const int plen = tx_month_days(py, pm);
    p->prev_from = tx_days_from_civil(py, pm, 1);
    p->prev_to = tx_days_from_civil(py, pm, dd < plen ? dd : plen);
    p->prev_cents = daily_sum(d, p->prev_from, p->prev_to, &p->have_prev);

    /* The last complete month: as-of's own when as-of is its last day, else the one before. */
    int cy = y, cm = m;
    if (dd != tx_month_days(y, m))
        month_before(&cy, &cm);
    p = &out->mom;
    month_period(mo, cy, cm, &p->cur_from, &p->cur_to, &p->cur_cents, &p->have_cur);
    int by = cy, bm = cm;
    month_before(&by, &bm);
    month_period(mo, by, bm, &p->prev_from, &p->prev_to, &p->prev_cents, &p->have_prev);

    /* Year over year: that month against the same month a year earlier. */
    p = &out->yoy;
    month_period(mo, cy, cm, &p->cur_from, &p->cur_to, &p->cur_cents, &p->have_cur);
    month_period(mo, cy - 1, cm, &p->prev_from, &p->prev_to, &p->prev_cents, &p->have_prev);
}

int rpt_period_change(const rpt_period *p, int64_t *abs_cents, double *frac)
{
    if (!p->have_prev) {
        *abs_cents = 0;
        *frac = 0.0;
        return 0;
    }
    *abs_cents = p->cur_cents - p->prev_cents;
    *frac = p->prev_cents > 0 ? (double)*abs_cents / (double)p->prev_cents : NAN;
    return 1;
}
