/* test_report_period.c - the dashboard's month-to-date / month-over-month / year-over-year
 * comparisons (src/report/report_period.c) on small hand-built revenue tables: January against
 * December of the year before, March 31 against February 28 / 29, missing months ("n/a"),
 * refund-only months (no percentage). */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "report_internal.h"
#include "txetl/calendar.h"

enum { MAXROWS = 64 };

typedef struct tables {
    int32_t date[MAXROWS];
    int64_t drev[MAXROWS];
    int32_t month[MAXROWS];
    int64_t mrev[MAXROWS];
    tx_snapshot_daily d;
    tx_snapshot_monthly m;
} tables;

static void init(tables *t)
{
    memset(t, 0, sizeof *t);
    t->d.date = t->date;
    t->d.revenue_cents = t->drev;
    t->m.month = t->month;
    t->m.revenue_cents = t->mrev;
}

/* A transaction day: added to the daily row (rows kept in date order by the callers) and to
 * its month's row. */
static void add(tables *t, int y, int mo, int d, int64_t cents)
{
    int32_t day = tx_days_from_civil(y, mo, d);
    if (t->d.n && t->date[t->d.n - 1] == day)
        t->drev[t->d.n - 1] += cents;
    else {
        t->date[t->d.n] = day;
        t->drev[t->d.n++] = cents;
    }
    int32_t key = y * 100 + mo;
    if (t->m.n && t->month[t->m.n - 1] == key)
        t->mrev[t->m.n - 1] += cents;
    else {
        t->month[t->m.n] = key;
        t->mrev[t->m.n++] = cents;
    }
}

static int32_t D(int y, int m, int d) { return tx_days_from_civil(y, m, d); }

static void test_january_against_december(void)
{
    tables t;
    init(&t);
    add(&t, 2022, 12, 10, 500);   /* YoY base of Dec 2023 */
    add(&t, 2023, 11, 3, 1000);
    add(&t, 2023, 12, 1, 200);
    add(&t, 2023, 12, 15, 300);   /* after day 14: outside the MTD base */
    add(&t, 2023, 12, 31, 700);
    add(&t, 2024, 1, 2, 400);
    add(&t, 2024, 1, 14, 100);
    rpt_periods p;
    rpt_periods_compute(&t.d, &t.m, D(2024, 1, 14), &p);
    CHECK(p.mtd.cur_from == D(2024, 1, 1) && p.mtd.cur_to == D(2024, 1, 14));
    CHECK(p.mtd.prev_from == D(2023, 12, 1) && p.mtd.prev_to == D(2023, 12, 14));
    CHECK(p.mtd.have_cur && p.mtd.have_prev);
    CHECK(p.mtd.cur_cents == 500 && p.mtd.prev_cents == 200);
    int64_t a;
    double f;
    CHECK(rpt_period_change(&p.mtd, &a, &f) == 1 && a == 300 && fabs(f - 1.5) < 1e-12);
    /* The last complete month is December 2023 (Jan 14 is not January's last day). */
    CHECK(p.mom.cur_from == D(2023, 12, 1) && p.mom.cur_to == D(2023, 12, 31));
    CHECK(p.mom.cur_cents == 1200 && p.mom.prev_cents == 1000);
    CHECK(p.mom.prev_from == D(2023, 11, 1) && p.mom.prev_to == D(2023, 11, 30));
    CHECK(p.yoy.prev_from == D(2022, 12, 1) && p.yoy.prev_cents == 500 && p.yoy.have_prev);
    CHECK(rpt_period_change(&p.yoy, &a, &f) == 1 && a == 700 && fabs(f - 1.4) < 1e-12);

    /* As of Jan 31: January is complete, compared with December. */
    rpt_periods_compute(&t.d, &t.m, D(2024, 1, 31), &p);
    CHECK(p.mom.cur_from == D(2024, 1, 1) && p.mom.cur_cents == 500);
    CHECK(p.mom.prev_from == D(2023, 12, 1) && p.mom.prev_cents == 1200);
    CHECK(p.mtd.prev_to == D(2023, 12, 31) && p.mtd.prev_cents == 1200);
    CHECK(!p.yoy.have_prev); /* no January 2023 */
    CHECK(rpt_period_change(&p.yoy, &a, &f) == 0);
}

static void test_march_31_against_february(void)
{
    tables t;
    init(&t);
    add(&t, 2024, 2, 1, 100);
    add(&t, 2024, 2, 29, 50); /* leap day: inside the base of Mar 29, 30 and 31 */
    add(&t, 2024, 3, 30, 10);
    add(&t, 2024, 3, 31, 5);
    rpt_periods p;
    rpt_periods_compute(&t.d, &t.m, D(2024, 3, 31), &p);
    CHECK(p.mtd.prev_to == D(2024, 2, 29) && p.mtd.prev_cents == 150);
    CHECK(p.mtd.cur_cents == 15);
    CHECK(p.mom.cur_from == D(2024, 3, 1) && p.mom.prev_from == D(2024, 2, 1)); /* March done */
    rpt_periods_compute(&t.d, &t.m, D(2024, 3, 28), &p);
    CHECK(p.mtd.prev_to == D(2024, 2, 28) && p.mtd.prev_cents == 100);
    CHECK(p.mtd.cur_cents == 0 && !p.mtd.have_cur);
    CHECK(p.mom.cur_from == D(2024, 2, 1) && p.mom.cur_cents == 150);
    CHECK(!p.mom.have_prev); /* no January */

    init(&t); /* 2023: no leap day; Mar 31 is compared with Feb 1..28 */
    add(&t, 2023, 2, 28, 70);
    add(&t, 2023, 3, 31, 7);
    rpt_periods_compute(&t.d, &t.m, D(2023, 3, 31), &p);
    CHECK(p.mtd.prev_to == D(2023, 2, 28) && p.mtd.prev_cents == 70);
    int64_t a;
    double f;
    CHECK(rpt_period_change(&p.mtd, &a, &f) == 1 && a == -63 && fabs(f + 0.9) < 1e-12);
}

static void test_missing_months_and_refunds(void)
{
    tables t;
    init(&t);
    rpt_periods p;
    rpt_periods_compute(&t.d, &t.m, D(2024, 6, 15), &p); /* nothing at all */
    int64_t a;
    double f;
    CHECK(!p.mtd.have_cur && !p.mtd.have_prev && rpt_period_change(&p.mtd, &a, &f) == 0);
    CHECK(rpt_period_change(&p.mom, &a, &f) == 0 && rpt_period_change(&p.yoy, &a, &f) == 0);

    add(&t, 2024, 3, 5, 900); /* April missing: May vs April is n/a */
    add(&t, 2024, 5, 5, 400);
    add(&t, 2024, 6, 2, -300); /* a refund-only month */
    rpt_periods_compute(&t.d, &t.m, D(2024, 6, 15), &p);
    CHECK(p.mom.cur_cents == 400 && p.mom.have_cur && !p.mom.have_prev);
    CHECK(rpt_period_change(&p.mom, &a, &f) == 0);
    CHECK(p.mtd.have_prev && p.mtd.prev_cents == 400 && p.mtd.cur_cents == -300);
    CHECK(rpt_period_change(&p.mtd, &a, &f) == 1 && a == -700 && fabs(f + 1.75) < 1e-12);
    rpt_periods_compute(&t.d, &t.m, D(2024, 7, 31), &p);  /* July vs June (-300) */
    CHECK(!p.mom.have_cur && p.mom.cur_cents == 0 && p.mom.have_prev && p.mom.prev_cents == -300);
    CHECK(rpt_period_change(&p.mom, &a, &f) == 1 && a == 300 && isnan(f)); /* no % of <= 0 */
    /* The very first month txetl accepts: the month before is December 1969 (no data). */
    init(&t);
    add(&t, 1970, 1, 1, 1);
    rpt_periods_compute(&t.d, &t.m, D(1970, 1, 1), &p);
    CHECK(p.mtd.prev_from == D(1969, 12, 1) && p.mtd.prev_to == D(1969, 12, 1));
    CHECK(p.mtd.cur_cents == 1 && !p.mtd.have_prev);
    CHECK(p.mom.cur_from == D(1969, 12, 1) && !p.mom.have_cur);
}

int main(void)
{
    test_january_against_december();
    test_march_31_against_february();
    test_missing_months_and_refunds();
    return check_report("test_report_period");
}
