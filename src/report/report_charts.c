/* report_charts.c - the dashboard's inline SVG charts: daily revenue (with its 7-day average;
 * transactions and customers in panels of their own below it), monthly revenue and customers,
 * RFM segment shares and the CLV histogram. Pure drawing: every number arrives computed;
 * every label is escaped. Hover details use SVG <title> elements, so the page needs no script. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "txetl/calendar.h"

/* A linear value axis: lo..hi (multiples of step) drawn from pixel p0 (lo) to p1 (hi). */
typedef struct scale {
    double lo, hi, step, p0, p1;
} scale;

static scale make_scale(double vmin, double vmax, double p0, double p1, int nticks)
{
    scale s = {.p0 = p0, .p1 = p1};
    if (!isfinite(vmin) || !isfinite(vmax)) {
        vmin = 0;
        vmax = 1;
    }
    if (vmin > 0)
        vmin = 0;
    if (vmax <= vmin)
        vmax = vmin + 1;
    s.step = rpt_nice_step(vmax - vmin, nticks);
    s.lo = floor(vmin / s.step) * s.step;
    s.hi = ceil(vmax / s.step) * s.step;
    return s;
}

static double at(const scale *s, double v)
{
    return s->p0 + (v - s->lo) / (s->hi - s->lo) * (s->p1 - s->p0);
}

static void svg_begin(FILE *o, const char *id, int w, int h, const char *label)
{
    fprintf(o, "<svg id=\"%s\" class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
            id, w, h);
    rpt_esc(o, label);
    fputs("\">\n", o);
}

static void svg_no_data(FILE *o, int w, int h, const char *what)
{
    fprintf(o, "<text class=\"nodata\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", w / 2, h / 2);
    rpt_esc(o, what);
    fputs("</text>\n", o);
}

/* Horizontal grid lines and tick labels of a vertical axis, from x0 to x1; labels left of x0
 * (or right of x1 when right is set). */
static void y_grid(FILE *o, const scale *s, double x0, double x1, int right)
{
    char lab[32];
    for (double v = s->lo; v <= s->hi + s->step * 0.5; v += s->step) {
        double y = at(s, v);
        fprintf(o, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                fabs(v) < s->step * 1e-9 ? "axis" : "grid", x0, y, x1, y);
        fprintf(o, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>\n",
                right ? x1 + 6 : x0 - 8, y + 4, right ? "start" : "end",
                rpt_fmt_compact(lab, sizeof lab, fabs(v) < s->step * 1e-9 ? 0.0 : v));
    }
}

/* One legend entry at (x, y); returns the x after it. kind: 0 box, 1 line, 2 dashed line. */
static double legend(FILE *o, double x, double y, const char *cls, int kind, const char *text)
{
    if (kind == 0)
        fprintf(o, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" rx=\"2\"/>",
                cls, x, y - 10);
    else
        fprintf(o, "<line class=\"%s%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", cls,
                kind == 2 ? " dashed" : "", x, y - 4, x + 18, y - 4);
    fprintf(o, "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">", x + 24, y);
    rpt_esc(o, text);
    fputs("</text>\n", o);
    return x + 24 + 7.2 * (double)strlen(text) + 22;
}

/* Date ticks along [d0, d1] mapped to [x0, x1]: month starts for long ranges, else days. */
static void date_ticks(FILE *o, int32_t d0, int32_t d1, double x0, double x1, double ytop,
                       double ybot, double ylab)
{
    double span = d1 > d0 ? (double)(d1 - d0) : 1.0;
    char lab[32];
    int y, m, d;
    if (d1 - d0 >= 60) {
        tx_civil_from_days(d0, &y, &m, &d);
        int nmonths = (int)(span / 30.4) + 1;
        int mstep = nmonths <= 12 ? 1 : nmonths <= 24 ? 2 : nmonths <= 48 ? 3 : 12;
        if (d != 1 && ++m > 12) { /* first month start inside the range */
            m = 1;
            y++;
        }
        for (int32_t t = tx_days_from_civil(y, m, 1); t <= d1;) {
            double x = x0 + (t - d0) / span * (x1 - x0);
            fprintf(o, "<line class=\"vgrid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                    x, ytop, x, ybot);
            snprintf(lab, sizeof lab, "%s %d", rpt_month_abbr[m - 1], y);
            fprintf(o, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                    x, ylab, lab);
            m += mstep;
            while (m > 12) {
                m -= 12;
                y++;
            }
            t = tx_days_from_civil(y, m, 1);
        }
        return;
    }
    int32_t step = (int32_t)ceil(span / 8.0);
    if (step < 1)
        step = 1;
    for (int32_t t = d0; t <= d1; t += step) {
        double x = d1 > d0 ? x0 + (t - d0) / span * (x1 - x0) : (x0 + x1) / 2;
        tx_civil_from_days(t, &y, &m, &d);
        snprintf(lab, sizeof lab, "%s %d", rpt_month_abbr[m - 1], d);
        fprintf(o, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                x, ylab, lab);
    }
}

/* A polyline through (xs[i], at(s, v[i])) as one path; 'area' closes it down to the zero line. */
static void series_path(FILE *o, const char *cls, const double *xs, const double *v, size_t n,
                        const scale *s, int area)
{
    if (n == 0)
        return;
    fprintf(o, "<path class=\"%s\" d=\"", cls);
    for (size_t i = 0; i < n; i++)
        fprintf(o, "%c%.1f,%.1f", i ? 'L' : 'M', xs[i], at(s, v[i]));
    if (n == 1) /* a single day: a short flat stroke so it stays visible */
        fprintf(o, "L%.1f,%.1f", xs[0] + 0.5, at(s, v[0]));
    if (area)
        fprintf(o, "L%.1f,%.1fL%.1f,%.1fZ", xs[n - 1], at(s, 0), xs[0], at(s, 0));
    fputs("\"/>\n", o);
}

void rpt_chart_daily(FILE *o, const tx_snapshot_daily *d)
{
    /* Three panels on one date axis, each with its own value axis: revenue (A), transactions
     * (B), distinct customers (C). Customers never exceed transactions and often equal them, so
     * on one axis the customers line would hide the transactions line. */
    const int W = 1200, H = 560;
    const double L = 78, R = 1170, A0 = 40, A1 = 238, B0 = 290, B1 = 380, C0 = 432, C1 = 522;
    svg_begin(o, "chart-daily-revenue", W, H, "Daily revenue, transactions and customers");
    if (d->n == 0) {
        svg_no_data(o, W, H, "No transactions in this snapshot");
        fputs("</svg>\n", o);
        return;
    }
    size_t n = d->n;
    double *xs = malloc(n * sizeof *xs), *rev = malloc(n * sizeof *rev);
    double *avg = malloc(n * sizeof *avg), *tx = malloc(n * sizeof *tx);
    double *cu = malloc(n * sizeof *cu);
    if (!xs || !rev || !avg || !tx || !cu) {
        svg_no_data(o, W, H, "Out of memory drawing this chart");
        goto out;
    }
    int32_t d0 = d->date[0], d1 = d->date[n - 1];
    double span = d1 > d0 ? (double)(d1 - d0) : 0;
    double rmin = 0, rmax = 0, tmax = 0, cmax = 0, window = 0;
    for (size_t i = 0; i < n; i++) {
        xs[i] = span > 0 ? L + (d->date[i] - d0) / span * (R - L) : (L + R) / 2;
        rev[i] = (double)d->revenue_cents[i] / 100.0;
        tx[i] = (double)d->transactions[i];
        cu[i] = (double)d->customers[i];
        /* trailing 7-calendar-day mean (days absent from the table count as zero) */
        size_t j0 = i;
        while (j0 > 0 && d->date[i] - d->date[j0 - 1] < 7)
            j0--;
        window = 0;
        for (size_t j = j0; j <= i; j++)
            window += rev[j];
        int32_t days_in = d->date[i] - d0 + 1 < 7 ? d->date[i] - d0 + 1 : 7;
        avg[i] = window / days_in;
        rmin = fmin(rmin, rev[i]);
        rmax = fmax(rmax, rev[i]);
        tmax = fmax(tmax, tx[i]);
        cmax = fmax(cmax, cu[i]);
    }
    scale sa = make_scale(rmin, rmax, A1, A0, 5);
    scale sb = make_scale(0, tmax, B1, B0, 3);
    scale sc = make_scale(0, cmax, C1, C0, 3);
    double lx = legend(o, L, 20, "rev", 0, "Revenue per day");
    legend(o, lx, 20, "avg", 2, "7-day average");
    legend(o, L, 272, "tx", 1, "Transactions per day");
    legend(o, L, 414, "cust", 1, "Customers per day (distinct)");
    y_grid(o, &sa, L, R, 0);
    y_grid(o, &sb, L, R, 0);
    y_grid(o, &sc, L, R, 0);
    date_ticks(o, d0, d1, L, R, A0, C1, H - 12);
    series_path(o, "area rev", xs, rev, n, &sa, 1);
    series_path(o, "line rev", xs, rev, n, &sa, 0);
    series_path(o, "line avg dashed", xs, avg, n, &sa, 0);
    series_path(o, "line tx", xs, tx, n, &sb, 0);
    series_path(o, "line cust", xs, cu, n, &sc, 0);
    /* hover targets, one per day, spanning all panels */
    double hw = span > 0 ? (R - L) / (span + 1) : 40;
    for (size_t i = 0; i < n; i++) {
        char date[16], money[48], t[32], c[32];
        fprintf(o, "<rect class=\"hit\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
                   "<title>%s\nRevenue %s\n%s %s\n%s %s</title></rect>\n",
                xs[i] - hw / 2, A0, hw, C1 - A0, rpt_fmt_date(date, sizeof date, d->date[i]),
                rpt_fmt_cents(money, sizeof money, d->revenue_cents[i]),
                rpt_fmt_u64(t, sizeof t, d->transactions[i]),
                rpt_plural((double)d->transactions[i], "transaction", "transactions"),
                rpt_fmt_u64(c, sizeof c, d->customers[i]),
                rpt_plural((double)d->customers[i], "customer", "customers"));
    }
out:
    free(xs);
    free(rev);
    free(avg);
    free(tx);
    free(cu);
    fputs("</svg>\n", o);
}

/* Category labels under bars, thinned so that neighbours do not overlap. */
static void month_labels(FILE *o, const tx_snapshot_monthly *m, double x0, double slot, double y)
{
    size_t every = (size_t)ceil(64.0 / slot);
    char lab[32];
    for (size_t i = 0; i < m->n; i += every ? every : 1)
        fprintf(o, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                x0 + slot * ((double)i + 0.5), y, rpt_fmt_month(lab, sizeof lab, m->month[i]));
}

static void bar(FILE *o, const char *cls, const scale *s, double x, double w, double v,
                const char *title)
{
    double y0 = at(s, 0), y1 = at(s, v);
    double top = fmin(y0, y1), h = fabs(y0 - y1);
    fprintf(o, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"2\">"
               "<title>",
            cls, x, top, w, h < 0.5 ? 0.5 : h);
    rpt_esc(o, title);
    fputs("</title></rect>\n", o);
}

void rpt_chart_monthly(FILE *o, const tx_snapshot_monthly *m)
{
    const int W = 1200, H = 330;
    const double T0 = 44, T1 = 290, L1 = 78, R1 = 560, L2 = 680, R2 = 1170;
    svg_begin(o, "chart-monthly-revenue", W, H, "Monthly revenue, active and new customers");
    if (m->n == 0) {
        svg_no_data(o, W, H, "No transactions in this snapshot");
        fputs("</svg>\n", o);
        return;
    }
    double rmin = 0, rmax = 0, cmax = 0;
    for (size_t i = 0; i < m->n; i++) {
        rmin = fmin(rmin, (double)m->revenue_cents[i] / 100.0);
        rmax = fmax(rmax, (double)m->revenue_cents[i] / 100.0);
        cmax = fmax(cmax, (double)m->active_customers[i]);
        cmax = fmax(cmax, (double)m->new_customers[i]);
    }
    scale sr = make_scale(rmin, rmax * 1.08, T1, T0, 5);
    scale sc = make_scale(0, cmax * 1.08, T1, T0, 5);
    legend(o, L1, 20, "rev", 0, "Revenue");
    double lx = legend(o, L2, 20, "cust", 0, "Active customers");
    legend(o, lx, 20, "new", 0, "New customers");
    y_grid(o, &sr, L1, R1, 0);
    y_grid(o, &sc, L2, R2, 0);
    double slot1 = (R1 - L1) / (double)m->n, slot2 = (R2 - L2) / (double)m->n;
    double bw1 = fmin(slot1 * 0.64, 90), bw2 = fmin(slot2 * 0.36, 46);
    for (size_t i = 0; i < m->n; i++) {
        char mon[32], money[48], act[32], nw[32], title[160];
        rpt_fmt_month(mon, sizeof mon, m->month[i]);
        rpt_fmt_cents(money, sizeof money, m->revenue_cents[i]);
        rpt_fmt_u64(act, sizeof act, m->active_customers[i]);
        rpt_fmt_u64(nw, sizeof nw, m->new_customers[i]);
        double v = (double)m->revenue_cents[i] / 100.0;
        double cx1 = L1 + slot1 * ((double)i + 0.5), cx2 = L2 + slot2 * ((double)i + 0.5);
        snprintf(title, sizeof title, "%s: revenue %s", mon, money);
        bar(o, "rev", &sr, cx1 - bw1 / 2, bw1, v, title);
        snprintf(title, sizeof title, "%s: %s active customers", mon, act);
        bar(o, "cust", &sc, cx2 - bw2 - 1, bw2, (double)m->active_customers[i], title);
        snprintf(title, sizeof title, "%s: %s new customers", mon, nw);
        bar(o, "new", &sc, cx2 + 1, bw2, (double)m->new_customers[i], title);
        if (m->n <= 12) {
            char lab[48];
            fprintf(o, "<text class=\"val\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                    cx1, at(&sr, fmax(v, 0)) - 6,
                    m->n <= 6 ? money : rpt_fmt_compact(lab, sizeof lab, v));
            fprintf(o, "<text class=\"val\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                    cx2 - bw2 / 2 - 1, at(&sc, (double)m->active_customers[i]) - 6, act);
            fprintf(o, "<text class=\"val\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                    cx2 + bw2 / 2 + 1, at(&sc, (double)m->new_customers[i]) - 6, nw);
        }
    }
    month_labels(o, m, L1, slot1, T1 + 22);
    month_labels(o, m, L2, slot2, T1 + 22);
    fputs("</svg>\n", o);
}

void rpt_chart_segments(FILE *o, const rpt_segstat *s, size_t n)
{
    const double LBL = 168, X0 = 176, X1 = 500, ROW = 34, TOP = 58;
    const int W = 600, H = (int)(TOP + ROW * (double)(n ? n : 3) + 12);
    svg_begin(o, "chart-segments", W, H, "Customers and revenue share by RFM segment");
    uint64_t ncust = 0;
    int64_t rev = 0;
    for (size_t i = 0; i < n; i++) {
        ncust += s[i].customers;
        rev += s[i].revenue_cents > 0 ? s[i].revenue_cents : 0;
    }
    if (ncust == 0) {
        svg_no_data(o, W, H, "No customers in this snapshot");
        fputs("</svg>\n", o);
        return;
    }
    double lx = legend(o, X0, 20, "cust", 0, "Share of customers");
    legend(o, lx, 20, "rev", 0, "Share of revenue");
    double maxshare = 0;
    for (size_t i = 0; i < n; i++) {
        maxshare = fmax(maxshare, (double)s[i].customers / (double)ncust);
        if (rev > 0)
            maxshare = fmax(maxshare, (double)s[i].revenue_cents / (double)rev);
    }
    scale sx = make_scale(0, maxshare, X0, X1, 4);
    for (double v = sx.step; v <= sx.hi + sx.step * 0.5; v += sx.step) {
        char lab[32];
        double x = at(&sx, v);
        fprintf(o, "<line class=\"vgrid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x,
                TOP - 4, x, H - 8.0);
        fprintf(o, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                x, TOP - 10, rpt_fmt_pct(lab, sizeof lab, v, 0));
    }
    for (size_t i = 0; i < n; i++) {
        double y = TOP + ROW * (double)i;
        double cs = (double)s[i].customers / (double)ncust;
        double rs = rev > 0 && s[i].revenue_cents > 0 ? (double)s[i].revenue_cents / (double)rev : 0;
        char cp[32], rp[32], cnt[32];
        fprintf(o, "<text class=\"seg\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", LBL, y + 19);
        rpt_esc(o, s[i].name);
        fputs("</text>", o);
        fprintf(o, "<rect class=\"cust\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" rx=\"2\">"
                   "<title>",
                X0, y + 4, fmax(at(&sx, cs) - X0, 1));
        rpt_esc(o, s[i].name);
        fprintf(o, ": %s %s (%s)</title></rect>", rpt_fmt_u64(cnt, sizeof cnt, s[i].customers),
                rpt_plural((double)s[i].customers, "customer", "customers"),
                rpt_fmt_pct(cp, sizeof cp, cs, 1));
        fprintf(o, "<rect class=\"rev\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" rx=\"2\">"
                   "<title>",
                X0, y + 17, fmax(at(&sx, rs) - X0, 1));
        rpt_esc(o, s[i].name);
        fprintf(o, ": %s of revenue</title></rect>", rpt_fmt_pct(rp, sizeof rp, rs, 1));
        fprintf(o, "<text class=\"val\" x=\"%.1f\" y=\"%.1f\">%s</text>", at(&sx, cs) + 5, y + 14,
                cp);
        fprintf(o, "<text class=\"val\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", at(&sx, rs) + 5,
                y + 27, rp);
    }
    fputs("</svg>\n", o);
}

/* Value at quantile q of an ascending array (nearest rank). */
static double quantile(const double *v, size_t n, double q)
{
    size_t i = (size_t)floor(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

void rpt_chart_clv_hist(FILE *o, const double *v, size_t n)
{
    enum { MAXBINS = 64 };
    const int W = 1200, H = 330;
    const double L = 78, R = 1170, T0 = 40, T1 = 270;
    svg_begin(o, "chart-clv-hist", W, H, "Distribution of predicted customer lifetime value");
    if (n == 0) {
        svg_no_data(o, W, H, "No customers in this snapshot");
        fputs("</svg>\n", o);
        return;
    }
    /* Bins of a nice width up to the 99th percentile; the long tail goes in one last bin. */
    double lo = fmin(0, v[0]), p99 = quantile(v, n, 0.99);
    double width = rpt_nice_step(p99 - lo > 0 ? p99 - lo : 1, 24);
    lo = floor(lo / width) * width;
    size_t nb = (size_t)ceil((p99 - lo) / width);
    if (nb < 1)
        nb = 1;
    if (nb > MAXBINS - 1)
        nb = MAXBINS - 1;
    double edge = lo + width * (double)nb;
    int tail = v[n - 1] >= edge;
    size_t counts[MAXBINS] = {0};
    for (size_t i = 0; i < n; i++) {
        size_t b = v[i] >= edge ? nb : (size_t)((v[i] - lo) / width);
        counts[b < nb + 1 ? b : nb]++;
    }
    size_t total_bins = nb + (size_t)tail, cmax = 0;
    for (size_t b = 0; b < total_bins; b++)
        cmax = counts[b] > cmax ? counts[b] : cmax;
    scale sy = make_scale(0, (double)cmax * 1.05, T1, T0, 5);
    double slot = (R - L) / (double)total_bins;
    double mean = 0;
    for (size_t i = 0; i < n; i++)
        mean += v[i];
    mean /= (double)n;
    double med = quantile(v, n, 0.5);
    char ml[64], mv[48];
    double lx = legend(o, L, 20, "clv", 0, "Customers per CLV band");
    snprintf(ml, sizeof ml, "Median %s", rpt_fmt_money(mv, sizeof mv, med));
    lx = legend(o, lx, 20, "median", 2, ml);
    snprintf(ml, sizeof ml, "Mean %s", rpt_fmt_money(mv, sizeof mv, mean));
    legend(o, lx, 20, "mean", 2, ml);
    y_grid(o, &sy, L, R, 0);
    size_t every = total_bins <= 14 ? 1 : (total_bins + 11) / 12;
    for (size_t b = 0; b < total_bins; b++) {
        char a[48], z[48], c[32], title[160];
        double b0 = lo + width * (double)b;
        rpt_fmt_money(a, sizeof a, b0);
        rpt_fmt_u64(c, sizeof c, counts[b]);
        if (b == nb)
            snprintf(title, sizeof title, "%s and above: %s %s", a, c,
                     rpt_plural((double)counts[b], "customer", "customers"));
        else
            snprintf(title, sizeof title, "%s to %s: %s %s", a,
                     rpt_fmt_money(z, sizeof z, b0 + width), c,
                     rpt_plural((double)counts[b], "customer", "customers"));
        bar(o, b == nb ? "clv tail" : "clv", &sy, L + slot * (double)b + 1, slot - 2,
            (double)counts[b], title);
        if (b % every == 0 || b == nb) {
            char lab[48], t[64];
            rpt_fmt_compact(lab, sizeof lab, b0);
            snprintf(t, sizeof t, "%s%s", b == nb ? "\xe2\x89\xa5 " : "", lab);
            fprintf(o, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>\n",
                    b == nb ? L + slot * ((double)b + 0.5) : L + slot * (double)b, T1 + 18,
                    "middle", t);
        }
    }
    const char *cls[] = {"median", "mean"};
    double mk[] = {med, mean};
    for (int k = 0; k < 2; k++) {
        if (mk[k] >= edge)
            continue;
        double x = L + (mk[k] - lo) / width * slot;
        fprintf(o, "<line class=\"%s dashed\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                cls[k], x, T0, x, T1);
    }
    fprintf(o, "<text class=\"axis-title\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
               "Predicted customer lifetime value (band start)</text>\n",
            (L + R) / 2, H - 8);
    fputs("</svg>\n", o);
}

void rpt_chart_holdout(FILE *o, const rpt_holdout *h)
{
    const int W = 600, H = 340;
    const double L = 56, R = 586, T0 = 44, T1 = 280;
    svg_begin(o, "chart-holdout", W, H,
              "Mean actual and predicted holdout purchases by calibration frequency");
    uint64_t ncust = 0;
    double vmax = 0;
    for (size_t i = 0; i < h->bins.n; i++) {
        ncust += h->bins.customers[i];
        if (isfinite(h->bins.mean_actual[i]))
            vmax = fmax(vmax, h->bins.mean_actual[i]);
        if (isfinite(h->bins.mean_predicted[i]))
            vmax = fmax(vmax, h->bins.mean_predicted[i]);
    }
    if (h->bins.n == 0 || ncust == 0) {
        svg_no_data(o, W, H, "No customers in the calibration period");
        fputs("</svg>\n", o);
        return;
    }
    scale sy = make_scale(0, vmax * 1.08, T1, T0, 5);
    double lx = legend(o, L, 20, "act", 0, "Actual (mean per customer)");
    legend(o, lx, 20, "pred", 0, "Predicted by the calibration fit");
    y_grid(o, &sy, L, R, 0);
    double slot = (R - L) / (double)h->bins.n, bw = fmin(slot * 0.36, 40);
    for (size_t i = 0; i < h->bins.n; i++) {
        char lab[32], c[32], v[32], title[200];
        snprintf(lab, sizeof lab, "%d%s", (int)h->bins.frequency_cal[i],
                 i + 1 == h->bins.n ? "+" : "");
        rpt_fmt_u64(c, sizeof c, h->bins.customers[i]);
        double cx = L + slot * ((double)i + 0.5);
        const char *cls[] = {"act", "pred"};
        const char *what[] = {"actual", "predicted"};
        const double val[] = {h->bins.mean_actual[i], h->bins.mean_predicted[i]};
        for (int k = 0; k < 2; k++) {
            if (!isfinite(val[k]))
                continue;
            snprintf(title, sizeof title, "frequency %s (%s %s): mean %s purchases %s", lab, c,
                     rpt_plural((double)h->bins.customers[i], "customer", "customers"), what[k],
                     rpt_fmt_num(v, sizeof v, val[k], 3));
            bar(o, cls[k], &sy, k == 0 ? cx - bw - 1 : cx + 1, bw, val[k], title);
        }
        fprintf(o, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
                cx, T1 + 18, lab);
        fprintf(o,
                "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">n=%s</text>\n",
                cx, T1 + 33, c);
    }
    fprintf(o, "<text class=\"axis-title\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
               "Repeat purchases in the calibration period</text>\n",
            (L + R) / 2, H - 6);
    fputs("</svg>\n", o);
}
