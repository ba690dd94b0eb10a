/* report_html.c - the dashboard page: header, KPIs, run counts, revenue, RFM segments, CLV and
 * model parameters, as one self-contained HTML document (inline CSS, inline SVG, no script,
 * nothing fetched). Text from the snapshot is always escaped. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "txetl/version.h"

enum { TOP_N = 20 };

static const char CSS[] =
    ":root{--bg:#f3f5f9;--card:#fff;--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;"
    "--rev:#2563eb;--avg:#f59e0b;--tx:#7c3aed;--cust:#0d9488;--new:#f59e0b;--clv:#4f46e5;"
    "--good:#15803d;--bad:#b91c1c}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\n"
    "main{max-width:1280px;margin:0 auto;padding:20px 24px 40px}\n"
    "header.top{background:#0f172a;color:#e2e8f0;padding:18px 24px}\n"
    "header.top .in{max-width:1232px;margin:0 auto;display:flex;flex-wrap:wrap;gap:8px 40px;"
    "align-items:baseline}\n"
    "header.top h1{margin:0;font-size:22px;font-weight:650;color:#fff;margin-right:auto}\n"
    "header.top dl{display:flex;flex-wrap:wrap;gap:4px 28px;margin:0}\n"
    "header.top dt{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:#94a3b8}\n"
    "header.top dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}\n"
    "nav{max-width:1232px;margin:10px auto 0;display:flex;flex-wrap:wrap;gap:4px 18px;"
    "font-size:13px}\n"
    "nav a{color:#93c5fd;text-decoration:none}\n"
    "section{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:18px 22px;margin:18px 0;box-shadow:0 1px 2px rgba(15,23,42,.04)}\n"
    "h2{font-size:17px;margin:0 0 4px}\n"
    "h3{font-size:14px;margin:18px 0 8px;color:#374151}\n"
    "p.note{margin:0 0 12px;color:var(--muted);font-size:13px}\n"
    ".kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px}\n"
    ".kpi{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:#fafbfd}\n"
    ".kpi .k{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}\n"
    ".kpi .v{font-size:19px;font-weight:650;font-variant-numeric:tabular-nums;"
    "overflow-wrap:anywhere}\n"
    ".kpi .s{font-size:12px;color:var(--muted)}\n"
    ".kpis.small{grid-template-columns:repeat(auto-fit,minmax(122px,1fr))}"
    ".kpis.small .v{font-size:17px}\n"
    ".two{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:26px;"
    "align-items:start}\n"
    ".three{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:18px;align-items:start}\n"
    /* .fit: a chart beside a table; the table takes its natural width, the chart the rest */
    ".two.fit{grid-template-columns:minmax(320px,1fr) auto}\n"
    "@media (max-width:1000px){.two,.two.fit,.three{grid-template-columns:minmax(0,1fr)}}\n"
    "svg.chart{display:block;width:100%;height:auto;margin:6px 0 4px;font-family:inherit}\n"
    "svg .grid{stroke:#eef0f4}svg .axis{stroke:#9ca3af}svg .vgrid{stroke:#f1f3f7}\n"
    "svg .tick{font-size:12px;fill:#6b7280}svg .legend{font-size:13px;fill:#374151}\n"
    "svg .val{font-size:12px;fill:#374151;font-weight:600}svg .seg{font-size:13px;fill:#1f2937}\n"
    "svg .nodata{font-size:16px;fill:#9ca3af}svg .axis-title{font-size:12px;fill:#6b7280}\n"
    "svg .line{fill:none;stroke-width:2;stroke-linejoin:round}svg .dashed{stroke-dasharray:6 4}\n"
    "svg .area.rev{fill:var(--rev);opacity:.10}svg .line.rev{stroke:var(--rev)}\n"
    "svg .line.avg{stroke:var(--avg);stroke-width:2.5}svg .line.tx{stroke:var(--tx)}\n"
    "svg .line.cust{stroke:var(--cust)}\n"
    "svg rect.rev{fill:var(--rev)}svg rect.cust{fill:var(--cust)}svg rect.new{fill:var(--new)}\n"
    "svg rect.clv{fill:var(--clv)}svg rect.clv.tail{fill:#a5b4fc}\n"
    "svg rect.act{fill:var(--cust)}svg rect.pred{fill:var(--clv)}\n"
    "svg line.avg,svg line.rev{stroke:var(--avg);stroke-width:2.5}\n"
    "svg line.tx{stroke:var(--tx);stroke-width:2.5}svg line.cust{stroke:var(--cust);"
    "stroke-width:2.5}\n"
    "svg line.median{stroke:#0f172a;stroke-width:1.5}svg line.mean{stroke:#dc2626;"
    "stroke-width:1.5}\n"
    "svg rect.hit{fill:transparent}svg rect.hit:hover{fill:rgba(37,99,235,.08)}\n"
    "svg rect:not(.hit):hover{opacity:.8}\n"
    ".two>div{min-width:0;overflow-x:auto}\n"
    "table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\n"
    "th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;"
    "white-space:nowrap}\n"
    "th{white-space:normal;vertical-align:bottom}\n"
    "th{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);"
    "font-weight:600;background:#f9fafb}\n"
    "td.n,th.n{text-align:right}tbody tr:hover{background:#f8fafc}\n"
    "tfoot td{font-weight:650;border-top:2px solid #d1d5db}\n"
    "td.empty{text-align:center;color:var(--muted);padding:18px}\n"
    ".badge{display:inline-block;padding:2px 9px;border-radius:999px;font-size:12px;"
    "font-weight:650}\n"
    ".ok{background:#dcfce7;color:var(--good)}.bad{background:#fee2e2;color:var(--bad)}\n"
    "tr.bad td,td.bad{color:var(--bad);font-weight:650;background:#fef2f2}\n"
    ".alert{background:#fef2f2;border:1px solid #fca5a5;color:var(--bad);border-radius:10px;"
    "padding:12px 18px;margin:18px 0;font-weight:600}\n"
    ".card h3{margin-top:4px;display:flex;justify-content:space-between;align-items:center}\n"
    ".scroll{overflow-x:auto}.pos{color:var(--good)}.neg{color:var(--bad)}\n"
    ".chart-box{overflow-x:auto}\n"
    /* Phones: less padding; wide charts keep a legible size and scroll sideways inside their
     * box; the two-column cards' cells may wrap; wider tables scroll inside .scroll, never the
     * page. */
    "@media (max-width:700px){main{padding:12px 10px 28px}header.top{padding:14px 12px}"
    "section{padding:14px 12px;margin:12px 0}.chart-box.wide svg.chart{min-width:720px}"
    ".chart-box svg.chart{min-width:420px}.card td{white-space:normal}th,td{padding:6px 7px}}\n"
    "footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}\n";

/* Sums over the snapshot that several sections use. */
typedef struct totals {
    int64_t revenue_cents;   /* from /revenue/daily: net = gross + refunds */
    int64_t gross_cents, refunds_cents;
    uint64_t transactions;   /* from /revenue/daily */
    double clv, expected, p_alive_sum;
    size_t nclv;             /* customers with a finite CLV */
    double *clv_sorted;      /* finite CLVs, ascending */
    size_t *top;             /* indices of the top customers by CLV */
    size_t ntop;
    rpt_segstat *seg;        /* nseg named segments, plus one "Unknown" when needed */
    size_t nseg;
} totals;

/* A customer's sort key for the top-N table. */
typedef struct rank_key {
    double clv;
    uint64_t id;
    size_t index;
} rank_key;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* CLV descending (non-finite last), then customer_id ascending. */
static int cmp_top(const void *a, const void *b)
{
    const rank_key *p = a, *q = b;
    int fx = isfinite(p->clv), fy = isfinite(q->clv);
    if (fx != fy)
        return fy - fx;
    if (fx && p->clv != q->clv)
        return p->clv < q->clv ? 1 : -1;
    return (p->id > q->id) - (p->id < q->id);
}

static void totals_free(totals *t)
{
    free(t->clv_sorted);
    free(t->top);
    free(t->seg);
    memset(t, 0, sizeof *t);
}

static int totals_compute(const rpt_snapshot *s, totals *t, tx_error *err)
{
    const tx_snapshot_customers *c = &s->cust;
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < s->daily.n; i++) {
        t->revenue_cents += s->daily.revenue_cents[i];
        t->gross_cents += s->daily.gross_cents[i];
        t->refunds_cents += s->daily.refunds_cents[i];
        t->transactions += s->daily.transactions[i];
    }
    int unknown = 0;
    for (size_t i = 0; i < c->n; i++)
        unknown |= c->segment[i] >= s->nseg;
    t->nseg = s->nseg + (size_t)unknown;
    t->clv_sorted = malloc((c->n ? c->n : 1) * sizeof *t->clv_sorted);
    rank_key *keys = malloc((c->n ? c->n : 1) * sizeof *keys);
    t->top = malloc(TOP_N * sizeof *t->top);
    t->seg = calloc(t->nseg ? t->nseg : 1, sizeof *t->seg);
    if (t->clv_sorted == NULL || keys == NULL || t->top == NULL || t->seg == NULL) {
        free(keys);
        totals_free(t);
        return tx_error_set(err, TX_ENOMEM, "out of memory rendering the report");
    }
    for (size_t k = 0; k < s->nseg; k++)
        t->seg[k].name = s->segment_names[k];
    if (unknown)
        t->seg[s->nseg].name = "Unknown segment";
    for (size_t i = 0; i < c->n; i++) {
        rpt_segstat *g = &t->seg[c->segment[i] < s->nseg ? c->segment[i] : s->nseg];
        g->customers++;
        g->revenue_cents += c->revenue_cents[i];
        if (isfinite(c->clv[i])) {
            g->clv += c->clv[i];
            t->clv += c->clv[i];
            t->clv_sorted[t->nclv++] = c->clv[i];
        }
        if (isfinite(c->expected_purchases[i]))
            t->expected += c->expected_purchases[i];
        if (isfinite(c->p_alive[i]))
            t->p_alive_sum += c->p_alive[i];
        keys[i] = (rank_key){.clv = c->clv[i], .id = c->customer_id[i], .index = i};
    }
    qsort(t->clv_sorted, t->nclv, sizeof *t->clv_sorted, cmp_double);
    qsort(keys, c->n, sizeof *keys, cmp_top);
    t->ntop = c->n < TOP_N ? c->n : TOP_N;
    for (size_t k = 0; k < t->ntop; k++)
        t->top[k] = keys[k].index;
    free(keys);
    return TX_OK;
}

static void kpi(FILE *o, const char *label, const char *value, const char *sub)
{
    fputs("<div class=\"kpi\"><div class=\"k\">", o);
    rpt_esc(o, label);
    fputs("</div><div class=\"v\">", o);
    rpt_esc(o, value);
    fputs("</div>", o);
    if (sub != NULL && *sub) {
        fputs("<div class=\"s\">", o);
        rpt_esc(o, sub);
        fputs("</div>", o);
    }
    fputs("</div>\n", o);
}

static void write_header(FILE *o, const rpt_snapshot *s)
{
    char r[32], sh[32];
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>txetl finance dashboard \xe2\x80\x93 ", o);
    rpt_esc(o, s->run_id);
    fprintf(o, "</title>\n<style>\n%s%s</style>\n</head>\n<body>\n", CSS, rpt_dash_css);
    fputs("<header class=\"top\"><div class=\"in\"><h1>Finance dashboard</h1><dl>", o);
    const char *labels[] = {"Run", "As of", "Created (UTC)"};
    const char *values[] = {s->run_id, s->as_of, s->created_utc};
    for (int i = 0; i < 3; i++) {
        fprintf(o, "<div><dt>%s</dt><dd%s>", labels[i], i == 0 ? " id=\"run-id\"" : "");
        rpt_esc(o, values[i]);
        fputs("</dd></div>", o);
    }
    fprintf(o, "<div><dt>Ranks / shards</dt><dd>%s / %s</dd></div></dl></div>\n",
            rpt_fmt_u64(r, sizeof r, s->ranks), rpt_fmt_u64(sh, sizeof sh, s->shards));
    fputs("<nav><a href=\"#overview\">Overview</a><a href=\"#periods\">Periods</a>"
          "<a href=\"#run\">Run</a><a href=\"#revenue\">Revenue</a>"
          "<a href=\"#cohorts\">Cohorts</a><a href=\"#segments\">Segments</a>"
          "<a href=\"#clv\">Customer value</a><a href=\"#model\">Model</a>", o);
    if (s->holdout.present)
        fputs("<a href=\"#holdout\">Model check</a>", o);
    fputs("</nav></header>\n<main>\n", o);
}

static void write_alert(FILE *o, const rpt_model *m)
{
    if (m->bg_converged && m->gg_converged)
        return;
    fputs("<div class=\"alert\" id=\"fit-warning\">Model fit NOT converged: ", o);
    if (!m->bg_converged)
        fputs("BG/NBD (P(alive), expected purchases) ", o);
    if (!m->bg_converged && !m->gg_converged)
        fputs("and ", o);
    if (!m->gg_converged)
        fputs("Gamma-Gamma (expected order value) ", o);
    fputs("did not converge", o);
    const char *why[2] = {m->bg_converged ? "" : m->bg_stop, m->gg_converged ? "" : m->gg_stop};
    for (int i = 0; i < 2; i++) {
        if (why[i][0] != '\0') {
            fputs(i == 0 || why[0][0] == '\0' ? " (" : "; ", o);
            fputs(i == 0 ? "BG/NBD: " : "Gamma-Gamma: ", o);
            rpt_esc(o, why[i]);
        }
    }
    if (why[0][0] != '\0' || why[1][0] != '\0')
        fputs(")", o);
    fputs(". CLV, P(alive) and expected purchases in this report are not "
          "reliable results.</div>\n", o);
}

static void write_overview(FILE *o, const rpt_snapshot *s, const totals *t)
{
    char v[64], sub[128], a[48];
    const tx_snapshot_customers *c = &s->cust;
    fputs("<section id=\"overview\"><h2>Overview</h2><p class=\"note\">All amounts in <span "
          "id=\"reporting-currency\">", o);
    rpt_esc(o, s->currency);
    fputs("</span>, the reporting currency (other currencies converted at the rate of each "
          "transaction's date); net revenue = gross sales + refunds.</p><div class=\"kpis\">\n",
          o);
    snprintf(sub, sizeof sub, "%zu %s, %zu %s", s->daily.n,
             rpt_plural((double)s->daily.n, "day", "days"), s->monthly.n,
             rpt_plural((double)s->monthly.n, "month", "months"));
    kpi(o, "Net revenue", rpt_fmt_cents(v, sizeof v, t->revenue_cents), sub);
    kpi(o, "Gross sales", rpt_fmt_cents(v, sizeof v, t->gross_cents), "positive amounts");
    kpi(o, "Refunds", rpt_fmt_cents(v, sizeof v, t->refunds_cents), "negative amounts");
    kpi(o, "Customers", rpt_fmt_u64(v, sizeof v, c->n), "");
    kpi(o, "Transactions", rpt_fmt_u64(v, sizeof v, t->transactions), "");
    kpi(o, "Avg order value",
        t->transactions ? rpt_fmt_money(v, sizeof v, (double)t->revenue_cents / 100.0 /
                                                        (double)t->transactions)
                        : "\xe2\x80\x93",
        "revenue / transactions");
    snprintf(sub, sizeof sub, "next %.0f %s, discounted", s->model.clv_months,
             rpt_plural(s->model.clv_months, "month", "months"));
    kpi(o, "Predicted CLV", rpt_fmt_money(v, sizeof v, t->clv), sub);
    snprintf(sub, sizeof sub, "next %.0f %s", s->model.horizon_days,
             rpt_plural(s->model.horizon_days, "day", "days"));
    kpi(o, "Expected purchases", rpt_fmt_num(v, sizeof v, t->expected, 0), sub);
    snprintf(sub, sizeof sub, "mean P(alive); %s %s", rpt_fmt_u64(a, sizeof a, c->n),
             rpt_plural((double)c->n, "customer", "customers"));
    kpi(o, "Customers alive", c->n ? rpt_fmt_pct(v, sizeof v, t->p_alive_sum / (double)c->n, 1)
                                   : "\xe2\x80\x93",
        sub);
    fputs("</div></section>\n", o);
}

static void write_run(FILE *o, const rpt_snapshot *s)
{
    static const char *const labels[RPT_NCOUNTS] = {"Read", "Rejected", "Inserted", "Updated",
                                                    "Moved", "Deleted", "Stale", "Superseded"};
    char v[64], sub[64];
    fputs("<section id=\"run\"><h2>Load run</h2><p class=\"note\">Records of this run "
          "(every record read is counted once: rejected, inserted, updated, moved, deleted, "
          "stale or superseded). ", o);
    uint64_t sum = 0;
    for (int i = 1; i < RPT_NCOUNTS; i++)
        sum += s->counts[i];
    if (sum == s->counts[0])
        fputs("<span class=\"badge ok\" id=\"counts-reconcile\">read = rejected + inserted + "
              "updated + moved + deleted + stale + superseded \xe2\x9c\x93</span>", o);
    else
        fprintf(o, "<span class=\"badge bad\" id=\"counts-reconcile\">counts do NOT reconcile: "
                   "read %s, outcomes sum to %s</span>",
                rpt_fmt_u64(v, sizeof v, s->counts[0]), rpt_fmt_u64(sub, sizeof sub, sum));
    fputs("</p><div class=\"kpis small\" id=\"run-counts\">\n", o);
    for (int i = 0; i < RPT_NCOUNTS; i++) {
        sub[0] = '\0';
        if (i > 0 && s->counts[0] > 0) {
            char p[32];
            snprintf(sub, sizeof sub, "%s of read",
                     rpt_fmt_pct(p, sizeof p, (double)s->counts[i] / (double)s->counts[0], 2));
        }
        kpi(o, labels[i], rpt_fmt_u64(v, sizeof v, s->counts[i]), sub);
    }
    fputs("</div></section>\n", o);
}

/* One currency's totals over /revenue/by_currency/monthly. */
typedef struct cur_total {
    char code[4];
    int64_t revenue, gross, refunds;
    uint64_t transactions;
} cur_total;

/* "Revenue by currency": per original currency (never converted, never added together), its
 * net revenue, gross sales, refunds and transactions over every month of the snapshot. */
static void write_by_currency(FILE *o, const tx_snapshot_cur_monthly *b)
{
    enum { MAXCUR = 64 };
    cur_total cur[MAXCUR];
    size_t nc = 0, dropped = 0;
    for (size_t i = 0; i < b->n; i++) {
        char code[4];
        memcpy(code, b->currency + 3 * i, 3);
        code[3] = '\0';
        size_t k = 0;
        while (k < nc && strcmp(cur[k].code, code) != 0)
            k++;
        if (k == nc) {
            if (nc == MAXCUR) {
                dropped++;
                continue;
            }
            memset(&cur[nc], 0, sizeof cur[nc]);
            memcpy(cur[nc].code, code, 4);
            nc++;
        }
        cur[k].revenue += b->revenue_cents[i];
        cur[k].gross += b->gross_cents[i];
        cur[k].refunds += b->refunds_cents[i];
        cur[k].transactions += b->transactions[i];
    }
    fputs("<h3>Revenue by currency</h3><p class=\"note\">In each original currency, not "
          "converted.</p><div class=\"scroll\"><table id=\"revenue-by-currency\"><thead><tr>"
          "<th>Currency</th><th class=\"n\">Revenue</th><th class=\"n\">Gross sales</th>"
          "<th class=\"n\">Refunds</th><th class=\"n\">Transactions</th></tr></thead><tbody>\n",
          o);
    if (nc == 0)
        fputs("<tr><td class=\"empty\" colspan=\"5\">No transactions in this snapshot</td></tr>\n",
              o);
    for (size_t k = 0; k < nc; k++) {
        char r[48], g[48], f[48], tx[32];
        fputs("<tr><td>", o);
        rpt_esc(o, cur[k].code);
        fprintf(o, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                   "<td class=\"n\">%s</td></tr>\n",
                rpt_fmt_cents_in(r, sizeof r, cur[k].revenue, cur[k].code),
                rpt_fmt_cents_in(g, sizeof g, cur[k].gross, cur[k].code),
                rpt_fmt_cents_in(f, sizeof f, cur[k].refunds, cur[k].code),
                rpt_fmt_u64(tx, sizeof tx, cur[k].transactions));
    }
    if (dropped)
        fprintf(o, "<tr><td colspan=\"5\">%zu more rows of currencies beyond the first %d not "
                   "shown</td></tr>\n", dropped, (int)MAXCUR);
    fputs("</tbody></table></div>\n", o);
}

static void write_revenue(FILE *o, const rpt_snapshot *s)
{
    const tx_snapshot_monthly *m = &s->monthly;
    fputs("<section id=\"revenue\"><h2>Revenue</h2><h3>Daily revenue, transactions and "
          "customers</h3>\n", o);
    fputs("<div class=\"chart-box wide\">", o);
    rpt_chart_daily(o, &s->daily);
    fputs("</div><h3>Monthly revenue and customers</h3>\n<div class=\"chart-box wide\">", o);
    rpt_chart_monthly(o, m);
    fputs("</div><div class=\"scroll\"><table id=\"monthly\"><thead><tr><th>Month</th>"
          "<th class=\"n\">Revenue</th>"
          "<th class=\"n\">vs. previous</th><th class=\"n\">Transactions</th>"
          "<th class=\"n\">Avg order value</th><th class=\"n\">Active customers</th>"
          "<th class=\"n\">New customers</th></tr></thead><tbody>\n", o);
    if (m->n == 0)
        fputs("<tr><td class=\"empty\" colspan=\"7\">No transactions in this snapshot</td></tr>\n",
              o);
    for (size_t i = 0; i < m->n; i++) {
        char mon[32], rev[48], chg[48] = "\xe2\x80\x93", tx[32], aov[48] = "\xe2\x80\x93", act[32],
             nw[32];
        const char *cls = "";
        if (i > 0 && m->revenue_cents[i - 1] > 0) {
            double g = (double)m->revenue_cents[i] / (double)m->revenue_cents[i - 1] - 1.0;
            char p[40];
            snprintf(chg, sizeof chg, "%s%s", g > 0 ? "+" : "", rpt_fmt_pct(p, sizeof p, g, 1));
            cls = g >= 0 ? " pos" : " neg";
        }
        if (m->transactions[i] > 0)
            rpt_fmt_money(aov, sizeof aov,
                          (double)m->revenue_cents[i] / 100.0 / (double)m->transactions[i]);
        fprintf(o, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n%s\">%s</td>"
                   "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                   "<td class=\"n\">%s</td></tr>\n",
                rpt_fmt_month(mon, sizeof mon, m->month[i]),
                rpt_fmt_cents(rev, sizeof rev, m->revenue_cents[i]), cls, chg,
                rpt_fmt_u64(tx, sizeof tx, m->transactions[i]), aov,
                rpt_fmt_u64(act, sizeof act, m->active_customers[i]),
                rpt_fmt_u64(nw, sizeof nw, m->new_customers[i]));
    }
    fputs("</tbody></table></div>\n", o);
    write_by_currency(o, &s->by_monthly);
    fputs("</section>\n", o);
}

static void write_segments(FILE *o, const rpt_snapshot *s, const totals *t)
{
    uint64_t ncust = s->cust.n;
    int64_t rev = 0;
    double clv = 0;
    for (size_t k = 0; k < t->nseg; k++) {
        rev += t->seg[k].revenue_cents;
        clv += t->seg[k].clv;
    }
    fputs("<section id=\"segments\"><h2>RFM segments</h2><p class=\"note\">Customers by "
          "recency and frequency score (1\xe2\x80\x93" "5 quintiles); revenue to date and "
          "predicted CLV per segment.</p><div class=\"two fit\"><div>\n", o);
    fputs("<div class=\"chart-box\">", o);
    rpt_chart_segments(o, t->seg, t->nseg);
    fputs("</div></div><div class=\"scroll\"><table id=\"segment-table\"><thead><tr>"
          "<th>Segment</th>"
          "<th class=\"n\">Customers</th><th class=\"n\">Share</th><th class=\"n\">Revenue</th>"
          "<th class=\"n\">Share</th><th class=\"n\">Avg CLV</th></tr></thead><tbody>\n", o);
    for (size_t k = 0; k < t->nseg; k++) {
        const rpt_segstat *g = &t->seg[k];
        char c[32], cs[32], r[48], rs[32], ac[48] = "\xe2\x80\x93";
        if (g->customers)
            rpt_fmt_money(ac, sizeof ac, g->clv / (double)g->customers);
        fputs("<tr><td>", o);
        rpt_esc(o, g->name);
        fprintf(o, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                   "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                rpt_fmt_u64(c, sizeof c, g->customers),
                ncust ? rpt_fmt_pct(cs, sizeof cs, (double)g->customers / (double)ncust, 1)
                      : "\xe2\x80\x93",
                rpt_fmt_cents(r, sizeof r, g->revenue_cents),
                rev > 0 ? rpt_fmt_pct(rs, sizeof rs, (double)g->revenue_cents / (double)rev, 1)
                        : "\xe2\x80\x93",
                ac);
    }
    char c[32], r[48], ac[48] = "\xe2\x80\x93";
    if (ncust)
        rpt_fmt_money(ac, sizeof ac, clv / (double)ncust);
    fprintf(o, "</tbody><tfoot><tr><td>All customers</td><td class=\"n\">%s</td>"
               "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
               "<td class=\"n\">%s</td></tr></tfoot></table></div></div></section>\n",
            rpt_fmt_u64(c, sizeof c, ncust), ncust ? "100.0%" : "\xe2\x80\x93",
            rpt_fmt_cents(r, sizeof r, rev), rev > 0 ? "100.0%" : "\xe2\x80\x93", ac);
}

static void write_clv(FILE *o, const rpt_snapshot *s, const totals *t)
{
    const tx_snapshot_customers *c = &s->cust;
    const rpt_model *m = &s->model;
    int ok = m->bg_converged && m->gg_converged;
    char v[64];
    fprintf(o, "<section id=\"clv\"><h2>Customer lifetime value%s</h2><p class=\"note\">"
               "Predicted value of each customer's purchases over the next %.0f %s "
               "(BG/NBD \xc3\x97 Gamma-Gamma, discounted at %.2f%% a month).</p>\n",
            ok ? "" : " <span class=\"badge bad\">fit NOT converged: not reliable</span>",
            m->clv_months, rpt_plural(m->clv_months, "month", "months"),
            m->discount_rate * 100.0);
    fputs("<div class=\"chart-box wide\">", o);
    rpt_chart_clv_hist(o, t->clv_sorted, t->nclv);
    fputs("</div>", o);
    fputs("<div class=\"kpis small\" id=\"clv-stats\">\n", o);
    const double qs[] = {0.5, 0.9, 0.99};
    const char *qn[] = {"Median CLV", "90th percentile", "99th percentile"};
    kpi(o, "Mean CLV", t->nclv ? rpt_fmt_money(v, sizeof v, t->clv / (double)t->nclv)
                               : "\xe2\x80\x93", "");
    for (int k = 0; k < 3; k++) {
        size_t i = t->nclv ? (size_t)floor(qs[k] * (double)(t->nclv - 1) + 0.5) : 0;
        kpi(o, qn[k], t->nclv ? rpt_fmt_money(v, sizeof v, t->clv_sorted[i]) : "\xe2\x80\x93",
            "");
    }
    kpi(o, "Highest CLV", t->nclv ? rpt_fmt_money(v, sizeof v, t->clv_sorted[t->nclv - 1])
                                  : "\xe2\x80\x93", "");
    double top_share = 0;
    for (size_t k = 0; k < t->ntop; k++)
        top_share += isfinite(c->clv[t->top[k]]) ? c->clv[t->top[k]] : 0;
    kpi(o, "Top 20 share of CLV",
        t->clv > 0 ? rpt_fmt_pct(v, sizeof v, top_share / t->clv, 1) : "\xe2\x80\x93", "");
    size_t shown = t->ntop > 0 ? t->ntop : TOP_N;
    fprintf(o, "</div>\n<h3>Top %zu %s by CLV</h3>\n<div class=\"scroll\">"
               "<table id=\"top-customers\"><thead><tr>"
               "<th class=\"n\">#</th><th>Customer ID</th><th>Segment</th><th class=\"n\">Orders"
               "</th><th class=\"n\">Revenue</th><th class=\"n\">P(alive)</th>"
               "<th class=\"n\">Expected purchases (%.0f d)</th><th class=\"n\">Expected order "
               "value</th><th class=\"n\">CLV</th></tr></thead><tbody>\n",
            shown, rpt_plural((double)shown, "customer", "customers"), m->horizon_days);
    if (t->ntop == 0)
        fputs("<tr><td class=\"empty\" colspan=\"9\">No customers in this snapshot</td></tr>\n", o);
    for (size_t k = 0; k < t->ntop; k++) {
        size_t i = t->top[k];
        char ord[32], rev[48], pa[32], ep[32], eav[48], clv[48];
        fprintf(o, "<tr><td class=\"n\">%zu</td><td>%llu</td><td>", k + 1,
                (unsigned long long)c->customer_id[i]);
        rpt_esc(o, c->segment[i] < s->nseg ? s->segment_names[c->segment[i]] : "Unknown segment");
        fprintf(o, "</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                   "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\"><b>%s</b></td>"
                   "</tr>\n",
                rpt_fmt_u64(ord, sizeof ord, c->orders[i]),
                rpt_fmt_cents(rev, sizeof rev, c->revenue_cents[i]),
                rpt_fmt_pct(pa, sizeof pa, c->p_alive[i], 1),
                rpt_fmt_num(ep, sizeof ep, c->expected_purchases[i], 2),
                rpt_fmt_money(eav, sizeof eav, c->expected_avg_value[i]),
                rpt_fmt_money(clv, sizeof clv, c->clv[i]));
    }
    fputs("</tbody></table></div></section>\n", o);
}

static void param_row(FILE *o, const char *name, const char *value)
{
    fputs("<tr><td>", o);
    rpt_esc(o, name);
    fputs("</td><td class=\"n\">", o);
    rpt_esc(o, value);
    fputs("</td></tr>\n", o);
}

static void status_row(FILE *o, const char *id, int converged)
{
    fprintf(o, "<tr class=\"%s\" id=\"%s\"><td>converged</td><td class=\"n\">%s</td></tr>\n",
            converged ? "" : "bad", id, converged ? "yes" : "NOT converged");
}

static void param_num(FILE *o, const char *name, double v, const char *fmt)
{
    char buf[64];
    snprintf(buf, sizeof buf, fmt, v);
    param_row(o, name, isfinite(v) ? buf : "\xe2\x80\x93");
}

/* A parameter with its standard error (lifetimes' summary: se(coef)), when known. */
static void param_se(FILE *o, const char *name, double v, double se)
{
    char buf[96];
    if (!isfinite(v))
        snprintf(buf, sizeof buf, "\xe2\x80\x93");
    else if (isfinite(se))
        snprintf(buf, sizeof buf, "%.6g (s.e. %.3g)", v, se);
    else
        snprintf(buf, sizeof buf, "%.6g", v);
    param_row(o, name, buf);
}

static void stop_row(FILE *o, const char *id, int converged, const char *why)
{
    if (converged || why[0] == '\0')
        return;
    fprintf(o, "<tr class=\"bad\" id=\"%s\"><td>stopped because</td><td class=\"n\">", id);
    rpt_esc(o, why);
    fputs("</td></tr>\n", o);
}

/* One fitted model's card: its parameters with their standard errors and the fit's
 * diagnostics; `id` names the card (model-<id>) and its rows (<id>-converged, ...). */
typedef struct fit_card {
    const char *id, *title;
    int npar;
    const char *name[4];
    double val[4], se[4];
    double loglik, grad_norm;
    int converged;
    const char *stop;
    uint64_t n;
} fit_card;

/* Writes the card up to its last common row; the caller adds its own rows and closes it. */
static void write_fit(FILE *o, const fit_card *c)
{
    char v[64], id[64];
    fprintf(o, "<div class=\"card\" id=\"model-%s\"><h3>%s "
               "<span class=\"badge %s\">%s</span></h3><table><tbody>\n",
            c->id, c->title, c->converged ? "ok" : "bad",
            c->converged ? "converged" : "NOT converged");
    for (int i = 0; i < c->npar; i++)
        param_se(o, c->name[i], c->val[i], c->se[i]);
    param_row(o, "log-likelihood", rpt_fmt_num(v, sizeof v, c->loglik, 3));
    param_num(o, "gradient norm", c->grad_norm, "%.3g");
    snprintf(id, sizeof id, "%s-converged", c->id);
    status_row(o, id, c->converged);
    snprintf(id, sizeof id, "%s-stop-reason", c->id);
    stop_row(o, id, c->converged, c->stop);
    param_row(o, "customers (n)", rpt_fmt_u64(v, sizeof v, c->n));
}

static void write_model(FILE *o, const rpt_model *m)
{
    char v[64];
    const fit_card bg = {"bgnbd", "BG/NBD (purchase frequency)", 4, {"r", "alpha", "a", "b"},
                         {m->r, m->alpha, m->a, m->b}, {m->se_r, m->se_alpha, m->se_a, m->se_b},
                         m->bg_loglik, m->bg_grad_norm, m->bg_converged, m->bg_stop, m->bg_n};
    const fit_card gg = {"gamma-gamma", "Gamma-Gamma (order value)", 3, {"p", "q", "v"},
                         {m->p, m->q, m->v}, {m->se_p, m->se_q, m->se_v}, m->gg_loglik,
                         m->gg_grad_norm, m->gg_converged, m->gg_stop, m->gg_n};
    fputs("<section id=\"model\"><h2>Model parameters</h2><p class=\"note\">Maximum-likelihood "
          "fits behind P(alive), expected purchases and CLV; s.e. = standard error from the "
          "inverse Hessian of the log-likelihood.</p><div class=\"three\">\n", o);
    write_fit(o, &bg);
    param_row(o, "time unit", m->unit);
    fputs("</tbody></table></div>\n", o);
    write_fit(o, &gg);
    if (m->q > 1)
        param_row(o, "population mean order value",
                  rpt_fmt_money(v, sizeof v, m->v * m->p / (m->q - 1)));
    fputs("</tbody></table></div>\n", o);
    fputs("<div class=\"card\" id=\"model-settings\"><h3>Prediction settings</h3><table><tbody>\n",
          o);
    param_num(o, "horizon (expected purchases)", m->horizon_days, "%.0f days");
    param_num(o, "CLV horizon", m->clv_months, "%.0f months");
    param_num(o, "discount rate", m->discount_rate * 100.0, "%.2f%% per month");
    fputs("</tbody></table></div></div></section>\n", o);
}

/* The calibration / holdout check (only for snapshots made with --holdout-start). */
static void write_holdout(FILE *o, const rpt_snapshot *s)
{
    const rpt_holdout *h = &s->holdout;
    if (!h->present)
        return;
    char v[64], sub[128], a[48];
    fputs("<section id=\"holdout\"><h2>Model check (holdout) ", o);
    fprintf(o, "<span class=\"badge %s\">%s</span></h2><p class=\"note\">",
            h->converged ? "ok" : "bad",
            h->converged ? "calibration fit converged" : "calibration fit NOT converged");
    fputs("A separate BG/NBD fit on the purchases up to ", o);
    rpt_esc(o, h->calibration_end);
    fprintf(o, " only (the calibration period); for each customer who bought by then, the "
               "purchases it predicts over the following %.0f %s (to ", h->holdout_days,
            rpt_plural(h->holdout_days, "day", "days"));
    rpt_esc(o, s->as_of);
    fputs(") against the purchase days that customer actually had. The model elsewhere in "
          "this report is fitted on all data.</p>\n<div class=\"kpis small\" "
          "id=\"holdout-totals\">\n", o);
    kpi(o, "Customers", rpt_fmt_u64(v, sizeof v, h->n), "bought in the calibration period");
    kpi(o, "Predicted purchases", rpt_fmt_num(v, sizeof v, h->sum_predicted, 1),
        "holdout period, all customers");
    kpi(o, "Actual purchases", rpt_fmt_num(v, sizeof v, h->sum_actual, 0),
        "purchase days in the holdout period");
    sub[0] = '\0';
    if (h->sum_actual > 0)
        snprintf(sub, sizeof sub, "predicted %s actual",
                 h->sum_predicted >= h->sum_actual ? "above" : "below");
    if (h->sum_actual > 0) {
        double d = h->sum_predicted / h->sum_actual - 1.0;
        snprintf(a, sizeof a, "%s", d > 0 ? "+" : "");
        rpt_fmt_pct(a + strlen(a), sizeof a - strlen(a), d, 1);
    } else {
        snprintf(a, sizeof a, "\xe2\x80\x93");
    }
    kpi(o, "Difference", a, sub);
    kpi(o, "MAE", rpt_fmt_num(v, sizeof v, h->mae, 3),
        "mean |predicted \xe2\x88\x92 actual| per customer");
    fputs("</div><div class=\"two fit\"><div>\n", o);
    fputs("<div class=\"chart-box\">", o);
    rpt_chart_holdout(o, h);
    fputs("</div></div><div><div class=\"scroll\"><table id=\"holdout-table\"><thead><tr>"
          "<th>Calibration repeat purchases"
          "</th><th class=\"n\">Customers</th><th class=\"n\">Mean actual</th>"
          "<th class=\"n\">Mean predicted</th></tr></thead><tbody>\n", o);
    for (size_t i = 0; i < h->bins.n; i++) {
        char c[32], ma[32], mp[32];
        fprintf(o, "<tr><td>%d%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
                   "<td class=\"n\">%s</td></tr>\n",
                (int)h->bins.frequency_cal[i], i + 1 == h->bins.n ? "+" : "",
                rpt_fmt_u64(c, sizeof c, h->bins.customers[i]),
                rpt_fmt_num(ma, sizeof ma, h->bins.mean_actual[i], 3),
                rpt_fmt_num(mp, sizeof mp, h->bins.mean_predicted[i], 3));
    }
    fputs("</tbody></table></div>\n<div class=\"card\" id=\"holdout-fit\"><h3>Calibration fit "
          "(BG/NBD)</h3><table><tbody>\n", o);
    param_num(o, "r", h->r, "%.6g");
    param_num(o, "alpha", h->alpha, "%.6g");
    param_num(o, "a", h->a, "%.6g");
    param_num(o, "b", h->b, "%.6g");
    status_row(o, "holdout-converged", h->converged);
    param_row(o, "calibration end", h->calibration_end);
    snprintf(v, sizeof v, "%.0f %s", h->holdout_days, rpt_plural(h->holdout_days, "day", "days"));
    param_row(o, "holdout period", isfinite(h->holdout_days) ? v : "\xe2\x80\x93");
    param_row(o, "time unit", s->model.unit);
    fputs("</tbody></table></div></div></div></section>\n", o);
}

int rpt_render_html(FILE *o, const char *out_name, const rpt_snapshot *s, tx_error *err)
{
    totals t;
    int rc = totals_compute(s, &t, err);
    if (rc != TX_OK)
        return rc;
    rpt_set_currency(s->currency);
    write_header(o, s);
    write_alert(o, &s->model);
    write_overview(o, s, &t);
    rpt_write_periods(o, s);
    write_run(o, s);
    write_revenue(o, s);
    rpt_write_cohorts(o, s);
    write_segments(o, s, &t);
    write_clv(o, s, &t);
    write_model(o, &s->model);
    write_holdout(o, s);
    fputs("<footer>txetl " TXETL_VERSION " (" TXETL_GIT_SHA ") \xc2\xb7 snapshot "
          "<span id=\"source\">", o);
    rpt_esc(o, s->source ? s->source : "");
    if (s->source_target != NULL) { /* a link such as latest.h5: name the file it points to */
        fputs(" \xe2\x86\x92 ", o);
        rpt_esc(o, s->source_target);
    }
    fputs("</span></footer>\n</main>\n</body>\n</html>\n", o);
    totals_free(&t);
    rpt_set_currency(NULL);
    if (ferror(o))
        return tx_error_set(err, TX_ERR, "%s: write failed: %s", out_name, strerror(errno));
    return TX_OK;
}
