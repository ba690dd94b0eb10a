/* report_internal.h - the snapshot as the report sees it, shared by the reader (report.c) and
 * the HTML renderer (report_html.c): its tables are snapshot.h's table structs, read through
 * their column tables. Not a public header. */
#ifndef TXETL_REPORT_INTERNAL_H
#define TXETL_REPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "txetl/error.h"
#include "txetl/snapshot.h"

enum { RPT_NCOUNTS = 8 };
extern const char *const rpt_count_names[RPT_NCOUNTS]; /* read, rejected, ... superseded */

typedef struct rpt_model {
    double r, alpha, a, b, bg_loglik, bg_grad_norm;
    int bg_converged;
    uint64_t bg_n;
    char unit[32];
    double p, q, v, gg_loglik, gg_grad_norm;
    int gg_converged;
    uint64_t gg_n;
    double horizon_days, clv_months, discount_rate;
    /* optional (older snapshots lack them): NaN / "" when absent */
    double se_r, se_alpha, se_a, se_b, se_p, se_q, se_v;
    char bg_stop[128], gg_stop[128];
} rpt_model;

/* /holdout (present only in snapshots made with --holdout-start). */
typedef struct rpt_holdout {
    int present;
    char calibration_end[64]; /* YYYY-MM-DD */
    double holdout_days;
    uint64_t n;
    double sum_predicted, sum_actual, mae;
    double r, alpha, a, b;
    int converged;
    tx_snapshot_holdout_bins bins; /* /holdout/by_frequency */
} rpt_holdout;

typedef struct rpt_snapshot {
    const char *source;        /* the snapshot's path as given, for the footer */
    const char *source_target; /* when source is a symlink (latest.h5): the basename of the
                                  file it resolves to, which is the file read; else NULL */
    char run_id[256];
    char created_utc[64];
    char as_of[64];
    uint64_t ranks, shards;
    char currency[8]; /* the reporting currency (root attribute reporting_currency) */
    uint64_t counts[RPT_NCOUNTS];
    tx_snapshot_customers cust; /* only the columns the report shows (report.c); others NULL */
    char **segment_names;       /* nseg strings (cust.segment_names points at them) */
    size_t nseg;
    tx_snapshot_daily daily;
    tx_snapshot_monthly monthly;
    tx_snapshot_cur_monthly by_monthly; /* /revenue/by_currency/monthly (original currencies) */
    rpt_model model;
    rpt_holdout holdout;
    tx_snapshot_cohorts cohorts; /* /cohorts (empty in snapshots without it) */
    int has_cohorts;             /* the snapshot has a /cohorts table */
} rpt_snapshot;

/* A period comparison of the dashboard (report_period.c): net revenue (reporting currency,
 * cents) of a current period against an earlier one, each a day range [from, to] (days since
 * 1970-01-01, inclusive); have_* = the snapshot has any revenue row in that period. */
typedef struct rpt_period {
    int32_t cur_from, cur_to, prev_from, prev_to;
    int64_t cur_cents, prev_cents;
    int have_cur, have_prev;
} rpt_period;

typedef struct rpt_periods {
    rpt_period mtd; /* days 1..d of as-of's month vs days 1..d of the month before (clamped) */
    rpt_period mom; /* the last complete month vs the month before it */
    rpt_period yoy; /* the last complete month vs the same month a year earlier */
} rpt_periods;

/* Local, pure. The comparisons as of day as_of: MTD from the daily rows, MoM and YoY from the
 * monthly rows. "The last complete month" is as-of's month when as-of is its last day, else
 * the month before. */
void rpt_periods_compute(const tx_snapshot_daily *d, const tx_snapshot_monthly *m,
                         int32_t as_of, rpt_periods *out);
/* Local, pure. 0 when the earlier period has no data (the change is "n/a"); else 1 with
 * *abs_cents = current - earlier and *frac = that / earlier (NaN when earlier <= 0). */
int rpt_period_change(const rpt_period *p, int64_t *abs_cents, double *frac);

/* One RFM segment's totals (report_html.c computes them, the segment chart draws them). */
typedef struct rpt_segstat {
    const char *name;
    uint64_t customers;
    int64_t revenue_cents;
    double clv;
} rpt_segstat;

/* Formatting (report_fmt.c). Each writes into buf (cap bytes) and returns buf. Non-finite
 * values print as an en dash. */
const char *rpt_fmt_u64(char *buf, size_t cap, uint64_t v);        /* 1,234,567 */
const char *rpt_fmt_i64(char *buf, size_t cap, int64_t v);         /* -1,234 */
/* Money: the amount, then the currency code of rpt_set_currency (the reporting currency of
 * the snapshot being rendered): "1,234.56 USD"; rpt_fmt_cents_in names its own currency. */
void rpt_set_currency(const char *code); /* NULL or "": no code */
const char *rpt_fmt_cents(char *buf, size_t cap, int64_t cents);   /* 1,234.56 USD */
const char *rpt_fmt_cents_in(char *buf, size_t cap, int64_t cents, const char *code);
const char *rpt_fmt_money(char *buf, size_t cap, double units);    /* 1,234.56 USD */
const char *rpt_fmt_pct(char *buf, size_t cap, double frac, int decimals); /* 12.5% */
const char *rpt_fmt_num(char *buf, size_t cap, double v, int decimals);    /* 1,234.5 */
const char *rpt_fmt_compact(char *buf, size_t cap, double v);      /* 1.2k, 15M: axis ticks */
const char *rpt_fmt_date(char *buf, size_t cap, int32_t days);     /* 2024-01-05 */
const char *rpt_fmt_month(char *buf, size_t cap, int32_t yyyymm);  /* Jan 2024 */
extern const char *const rpt_month_abbr[12];
/* one when n is exactly 1, else many: "1 customer", "0 customers", "2 customers". */
const char *rpt_plural(double n, const char *one, const char *many);
/* Writes s HTML-escaped (& < > " '), so it is safe in text and in quoted attributes. */
void rpt_esc(FILE *out, const char *s);
/* A "nice" step (1, 2, 2.5 or 5 times a power of ten) cutting [0, range] into about n parts. */
double rpt_nice_step(double range, int n);

/* SVG charts (report_charts.c), each one <svg class="chart"> with a stable id. */
void rpt_chart_daily(FILE *out, const tx_snapshot_daily *d);                 /* chart-daily-revenue */
void rpt_chart_monthly(FILE *out, const tx_snapshot_monthly *m);             /* chart-monthly-revenue */
void rpt_chart_segments(FILE *out, const rpt_segstat *s, size_t n);  /* chart-segments */
/* sorted: the finite CLV values in ascending order. */
void rpt_chart_clv_hist(FILE *out, const double *sorted, size_t n);  /* chart-clv-hist */
/* Mean actual vs mean predicted holdout purchases by calibration frequency. */
void rpt_chart_holdout(FILE *out, const rpt_holdout *h);             /* chart-holdout */

/* Dashboard sections of report_dash.c: "Period comparisons" (MTD, MoM, YoY: section
 * #periods, cards #period-mtd, #period-mom, #period-yoy) and "Cohorts" (section #cohorts,
 * tables #cohort-customers and #cohort-revenue, heat-shaded). */
void rpt_write_periods(FILE *out, const rpt_snapshot *s);
void rpt_write_cohorts(FILE *out, const rpt_snapshot *s);
/* The CSS rules of those sections (appended to the page's style sheet). */
extern const char rpt_dash_css[];

/* Local. Writes the whole dashboard for snap to out. Returns TX_OK, TX_ENOMEM, or TX_ERR when
 * the stream reports a write error (the message names out_name). */
int rpt_render_html(FILE *out, const char *out_name, const rpt_snapshot *snap, tx_error *err);

#endif
