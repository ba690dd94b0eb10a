/* report_dash.c - the finance sections of the dashboard: period comparisons (month to date,
 * month over month, year over year, from report_period.c) and the monthly cohort table
 * (/cohorts: share of each cohort still buying and revenue retained N months later, heat
 * shaded). Every money figure names its currency (the reporting currency); text from the
 * snapshot is escaped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "txetl/calendar.h"

const char rpt_dash_css[] =
    ".periods{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}\n"
    ".period .v{font-size:19px}.period .chg{font-weight:650;font-variant-numeric:tabular-nums;"
    "margin-top:4px;overflow-wrap:anywhere}.period .chg.na{color:var(--muted);font-weight:500}\n"
    ".cohort-box{overflow-x:auto;max-width:100%}\n"
    "table.cohort td,table.cohort th{padding:4px 6px;font-size:12px}\n"
    "table.cohort td.h{text-align:right;min-width:46px}\n"
    "table.cohort td.future{background:#fafafa}\n"
    /* the cohort label stays in view while the months scroll sideways (phones) */
    "table.cohort tr>:first-child{position:sticky;left:0;background:#fff;z-index:1}\n"
    "table.cohort thead tr>:first-child{background:#f9fafb}\n"
    "table.cohort td.hot{color:#fff}\n"
    ".legend-heat{display:inline-block;width:120px;height:10px;vertical-align:middle;"
    "border-radius:3px;background:linear-gradient(90deg,rgba(37,99,235,.04),"
    "rgba(37,99,235,1))}\n";

/* Days since 1970-01-01 of the snapshot's as_of "YYYY-MM-DD"; 0 when it does not parse. */
static int parse_as_of(const char *s, int32_t *day)
{
    int y, m, d;
    if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 ||
        d > tx_month_days(y, m))
        return 0;
    *day = tx_days_from_civil(y, m, d);
    return 1;
}

/* "2024-03-01 – 2024-03-31", or "Mar 2024" for a whole month. */
static void fmt_range(char *buf, size_t cap, int32_t from, int32_t to, int whole_month)
{
    int y, m, d;
    tx_civil_from_days(from, &y, &m, &d);
    if (whole_month) {
        rpt_fmt_month(buf, cap, y * 100 + m);
        return;
    }
    char a[24], b[24];
    snprintf(buf, cap, "%s \xe2\x80\x93 %s", rpt_fmt_date(a, sizeof a, from),
             rpt_fmt_date(b, sizeof b, to));
}

static void period_card(FILE *o, const char *id, const char *label, const rpt_period *p,
                        int whole_month)
{
    char cur[64], prev[64], cr[64], pr[64], ch[64], pc[48];
    fmt_range(cr, sizeof cr, p->cur_from, p->cur_to, whole_month);
    fmt_range(pr, sizeof pr, p->prev_from, p->prev_to, whole_month);
    fprintf(o, "<div class=\"kpi period\" id=\"%s\"><div class=\"k\">%s</div>"
               "<div class=\"v\">%s</div><div class=\"s\">%s</div>",
            id, label, rpt_fmt_cents(cur, sizeof cur, p->cur_cents), cr);
    int64_t abs_cents;
    double frac;
    if (!rpt_period_change(p, &abs_cents, &frac)) {
        fprintf(o, "<div class=\"s\">vs %s: no data</div><div class=\"chg na\">change: n/a"
                   "</div></div>\n", pr);
        return;
    }
    fprintf(o, "<div class=\"s\">vs %s: %s</div>", pr,
            rpt_fmt_cents(prev, sizeof prev, p->prev_cents));
    rpt_fmt_cents(ch, sizeof ch, abs_cents);
    if (isfinite(frac))
        snprintf(pc, sizeof pc, "%s%s", frac > 0 ? "+" : "", rpt_fmt_pct(cr, sizeof cr, frac, 1));
    else
        snprintf(pc, sizeof pc, "%% n/a");
    fprintf(o, "<div class=\"chg %s\">%s%s (%s)</div></div>\n",
            abs_cents > 0 ? "pos" : abs_cents < 0 ? "neg" : "", abs_cents > 0 ? "+" : "", ch,
            pc);
}

void rpt_write_periods(FILE *o, const rpt_snapshot *s)
{
    fputs("<section id=\"periods\"><h2>Period comparisons</h2><p class=\"note\">Net revenue "
          "in ", o);
    rpt_esc(o, s->currency);
    fputs(" as of the snapshot's as-of date. Month to date: days 1 to the as-of day of its "
          "month against the same days of the month before (to its last day when shorter). "
          "Month over month: the last complete month against the one before; year over year: "
          "against the same month a year earlier. n/a when the earlier period has no "
          "transactions.</p>", o);
    int32_t as_of;
    if (!parse_as_of(s->as_of, &as_of)) {
        fputs("<p class=\"note\">The snapshot's as-of date does not parse: no comparisons."
              "</p></section>\n", o);
        return;
    }
    rpt_periods p;
    rpt_periods_compute(&s->daily, &s->monthly, as_of, &p);
    fputs("<div class=\"periods\">\n", o);
    period_card(o, "period-mtd", "Month to date", &p.mtd, 0);
    period_card(o, "period-mom", "Month over month", &p.mom, 1);
    period_card(o, "period-yoy", "Year over year", &p.yoy, 1);
    fputs("</div></section>\n", o);
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One heat-shaded cell showing v as a percentage; its colour is v / scale, clipped to [0, 1]. */
static void heat_cell(FILE *o, double v, double scale, const char *title)
{
    char t[32];
    double a = scale > 0 ? v / scale : v;
    a = a < 0 ? 0 : a > 1 ? 1 : a;
    fprintf(o, "<td class=\"h%s\" style=\"background:rgba(37,99,235,%.2f)\" title=\"",
            a > 0.55 ? " hot" : "", 0.04 + 0.96 * a);
    rpt_esc(o, title);
    fprintf(o, "\">%s</td>", rpt_fmt_pct(t, sizeof t, v, 0));
}

/* One of the two cohort tables: shares of customers (revenue 0) or of month-0 revenue (1). */
static void cohort_table(FILE *o, const tx_snapshot_cohorts *c, int revenue)
{
    enum { K = TX_COHORT_MAX_OFFSET + 1 };
    fprintf(o, "<div class=\"cohort-box\"><table class=\"cohort\" id=\"%s\"><thead><tr>"
               "<th>Cohort</th><th class=\"n\">%s</th>",
            revenue ? "cohort-revenue" : "cohort-customers",
            revenue ? "Month-0 revenue" : "Customers");
    for (int k = 0; k < K; k++)
        fprintf(o, "<th class=\"n\">M%d</th>", k);
    fputs("</tr></thead><tbody>\n", o);
    /* The colour scale: the 95th percentile of the shares after month 0 (month 0 is 100% by
     * definition and would wash the rest out; a tiny cohort's 50% would too); at most 100%. */
    double scale = 1.0;
    double *v = c->n ? malloc(c->n * sizeof *v) : NULL;
    if (v != NULL) {
        size_t nv = 0;
        for (size_t i = 0, r0 = 0; i < c->n; i++) {
            if (c->offset[i] == 0)
                r0 = i;
            const double base =
                revenue ? (double)c->revenue_cents[r0] : (double)c->cohort_size[i];
            const double x = revenue ? (double)c->revenue_cents[i] : (double)c->customers[i];
            if (c->offset[i] > 0 && base > 0)
                v[nv++] = x / base;
        }
        qsort(v, nv, sizeof *v, cmp_double);
        if (nv && v[(nv - 1) * 95 / 100] > 0 && v[(nv - 1) * 95 / 100] < 1)
            scale = v[(nv - 1) * 95 / 100];
        free(v);
    }
    if (c->n == 0)
        fprintf(o, "<tr><td class=\"empty\" colspan=\"%d\">No customers in this snapshot</td>"
                   "</tr>\n", K + 2);
    for (size_t i = 0; i < c->n;) {
        const int32_t cm = c->cohort_month[i];
        size_t j = i;
        while (j < c->n && c->cohort_month[j] == cm)
            j++;
        /* Offset 0 is the cohort's first row (sorted by cohort_month, offset). */
        const uint64_t size = c->cohort_size[i];
        const int64_t rev0 = c->offset[i] == 0 ? c->revenue_cents[i] : 0;
        char mon[32], first[64];
        fprintf(o, "<tr><td>%s</td><td class=\"n\">%s</td>",
                rpt_fmt_month(mon, sizeof mon, cm),
                revenue ? rpt_fmt_cents(first, sizeof first, rev0)
                        : rpt_fmt_u64(first, sizeof first, size));
        int k = 0;
        for (size_t r = i; r < j && k < K; r++) {
            for (; k < c->offset[r] && k < K; k++) /* offsets missing in a foreign file */
                fputs("<td class=\"h future\"></td>", o);
            if (k >= K)
                break;
            char title[128], a[64], b[32];
            if (revenue) {
                snprintf(title, sizeof title, "%s in month %d",
                         rpt_fmt_cents(a, sizeof a, c->revenue_cents[r]), k);
                if (rev0 > 0)
                    heat_cell(o, (double)c->revenue_cents[r] / (double)rev0, scale, title);
                else
                    fputs("<td class=\"h\">n/a</td>", o);
            } else {
                snprintf(title, sizeof title, "%s of %s %s in month %d",
                         rpt_fmt_u64(a, sizeof a, c->customers[r]),
                         rpt_fmt_u64(b, sizeof b, size),
                         rpt_plural((double)size, "customer", "customers"), k);
                heat_cell(o, size ? (double)c->customers[r] / (double)size : 0.0, scale, title);
            }
            k++;
        }
        for (; k < K; k++) /* months after as-of */
            fputs("<td class=\"h future\"></td>", o);
        fputs("</tr>\n", o);
        i = j;
    }
    fputs("</tbody></table></div>\n", o);
}

void rpt_write_cohorts(FILE *o, const rpt_snapshot *s)
{
    fputs("<section id=\"cohorts\"><h2>Cohorts</h2><p class=\"note\">Customers by month of "
          "first purchase (the cohort). M<i>N</i>: <i>N</i> months after the cohort's month; "
          "M0 is the cohort's own month. The as-of month counts up to the as-of date, months "
          "after it are blank. Darker = higher <span class=\"legend-heat\"></span> (the darkest "
          "is the top 5% of each table's shares after M0)</p>", o);
    if (!s->has_cohorts) {
        fputs("<p class=\"note\" id=\"cohorts-missing\">This snapshot has no cohort table "
              "(it was written by an older txetl).</p></section>\n", o);
        return;
    }
    fputs("<h3>Customers still buying</h3><p class=\"note\">Share of the cohort's customers "
          "with a transaction in month M<i>N</i>.</p>\n", o);
    cohort_table(o, &s->cohorts, 0);
    fputs("<h3>Revenue retained</h3><p class=\"note\">The cohort's net revenue in month "
          "M<i>N</i> as a share of its month-0 revenue, in ", o);
    rpt_esc(o, s->currency);
    fputs(" (the reporting currency; each cell's amount shows on hover).</p>\n", o);
    cohort_table(o, &s->cohorts, 1);
    fputs("</section>\n", o);
}
