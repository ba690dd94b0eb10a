/* report.c - tx_report_write: reads an HDF5 snapshot (docs/snapshot.md) serially through
 * snapread.h and hands it to the HTML renderer. Every dataset and attribute the dashboard
 * shows is required; a missing one fails with a message naming the file and the object.
 * /holdout is optional (snapshots made with --holdout-start), but complete when present.
 * Unknown groups are ignored. */
#include "txetl/report.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_internal.h"
#include "txetl/fs.h"
#include "txetl/snapread.h"

const char *const rpt_count_names[RPT_NCOUNTS] = {"read",    "rejected", "inserted", "updated",
                                                  "moved",   "deleted",  "stale",    "superseded"};

/* The file being read (snapread.h) and where its errors go. */
typedef struct reader {
    tx_snapread *r;
    tx_error *err;
} reader;

static int num_f64(reader *rd, const char *obj, const char *name, double *out)
{
    return tx_snapread_f64(rd->r, obj, name, out, NULL, rd->err);
}

static int num_u64(reader *rd, const char *obj, const char *name, uint64_t *out)
{
    return tx_snapread_u64(rd->r, obj, name, out, NULL, rd->err);
}

static int num_int(reader *rd, const char *obj, const char *name, int *out)
{
    int64_t v = 0;
    int rc = tx_snapread_i64(rd->r, obj, name, &v, NULL, rd->err);
    *out = (int)v;
    return rc;
}

static int str(reader *rd, const char *obj, const char *name, char *buf, size_t cap)
{
    return tx_snapread_string(rd->r, obj, name, buf, cap, rd->err);
}

/* The root's attributes (open has checked format and format_version). */
static int read_root(reader *rd, rpt_snapshot *s)
{
    int rc = str(rd, "/", "reporting_currency", s->currency, sizeof s->currency);
    if (rc == TX_OK && strlen(s->currency) != 3)
        rc = tx_error_set(rd->err, TX_ERR, "%s: attribute reporting_currency \"%s\" is not a "
                          "3-letter currency code", tx_snapread_path(rd->r), s->currency);
    if (rc == TX_OK)
        rc = str(rd, "/", "run_id", s->run_id, sizeof s->run_id);
    if (rc == TX_OK)
        rc = str(rd, "/", "created_utc", s->created_utc, sizeof s->created_utc);
    if (rc == TX_OK)
        rc = str(rd, "/", "as_of", s->as_of, sizeof s->as_of);
    if (rc == TX_OK)
        rc = num_u64(rd, "/", "ranks", &s->ranks);
    if (rc == TX_OK)
        rc = num_u64(rd, "/", "shards", &s->shards);
    for (int i = 0; i < RPT_NCOUNTS && rc == TX_OK; i++)
        rc = num_u64(rd, "/", rpt_count_names[i], &s->counts[i]);
    return rc;
}

/* /customers: the columns the dashboard shows, and the segment names. */
static int read_customers(reader *rd, rpt_snapshot *s)
{
    static const size_t shown[] = {
        offsetof(tx_snapshot_customers, customer_id),
        offsetof(tx_snapshot_customers, orders),
        offsetof(tx_snapshot_customers, revenue_cents),
        offsetof(tx_snapshot_customers, segment),
        offsetof(tx_snapshot_customers, p_alive),
        offsetof(tx_snapshot_customers, expected_purchases),
        offsetof(tx_snapshot_customers, expected_avg_value),
        offsetof(tx_snapshot_customers, clv),
    };
    const tx_snapshot_table *t = &tx_snapshot_customers_table;
    tx_snapshot_customers *c = &s->cust;
    int rc = tx_snapread_table_load(rd->r, t, c, shown, sizeof shown / sizeof shown[0], &c->n,
                                    rd->err);
    if (rc == TX_OK)
        rc = tx_snapread_strings(rd->r, t->group, "segment_names", &s->segment_names, &s->nseg,
                                 rd->err);
    if (rc == TX_OK) {
        c->segment_names = (const char *const *)s->segment_names;
        c->nsegments = (int)s->nseg;
    }
    return rc;
}

static int read_revenue(reader *rd, rpt_snapshot *s)
{
    const struct {
        const tx_snapshot_table *t;
        void *rows;
        size_t *n;
    } tabs[] = {
        {&tx_snapshot_daily_table, &s->daily, &s->daily.n},
        {&tx_snapshot_monthly_table, &s->monthly, &s->monthly.n},
        {&tx_snapshot_cur_monthly_table, &s->by_monthly, &s->by_monthly.n},
    };
    int rc = TX_OK;
    for (size_t i = 0; i < sizeof tabs / sizeof tabs[0] && rc == TX_OK; i++)
        rc = tx_snapread_table_load(rd->r, tabs[i].t, tabs[i].rows, NULL, 0, tabs[i].n, rd->err);
    return rc;
}

/* One fitted model's attributes in /model/<group>: npar parameters, then the fit's
 * diagnostics; standard errors se_<name> and stop_reason when present. */
typedef struct fit_attrs {
    const char *group;
    int npar;
    const char *name[6];
    double *val[6], *se[4];
    int *converged;
    uint64_t *n;
    char *stop;
    size_t stop_cap;
} fit_attrs;

static int read_fit(reader *rd, const fit_attrs *f)
{
    int rc = TX_OK;
    for (int i = 0; i < f->npar + 2 && rc == TX_OK; i++) /* + loglik, grad_norm */
        rc = num_f64(rd, f->group, f->name[i], f->val[i]);
    if (rc == TX_OK)
        rc = num_int(rd, f->group, "converged", f->converged);
    if (rc == TX_OK)
        rc = num_u64(rd, f->group, "n", f->n);
    int present = 0;
    for (int i = 0; i < f->npar && rc == TX_OK; i++) {
        char se[32];
        snprintf(se, sizeof se, "se_%s", f->name[i]);
        rc = tx_snapread_f64(rd->r, f->group, se, f->se[i], &present, rd->err);
    }
    f->stop[0] = '\0';
    if (rc == TX_OK && tx_snapread_has(rd->r, f->group, "stop_reason"))
        rc = str(rd, f->group, "stop_reason", f->stop, f->stop_cap);
    return rc;
}

static int read_model(reader *rd, rpt_model *m)
{
    const fit_attrs bg = {"/model/bgnbd", 4, {"r", "alpha", "a", "b", "loglik", "grad_norm"},
                          {&m->r, &m->alpha, &m->a, &m->b, &m->bg_loglik, &m->bg_grad_norm},
                          {&m->se_r, &m->se_alpha, &m->se_a, &m->se_b}, &m->bg_converged,
                          &m->bg_n, m->bg_stop, sizeof m->bg_stop};
    const fit_attrs gg = {"/model/gamma_gamma", 3, {"p", "q", "v", "loglik", "grad_norm"},
                          {&m->p, &m->q, &m->v, &m->gg_loglik, &m->gg_grad_norm},
                          {&m->se_p, &m->se_q, &m->se_v}, &m->gg_converged, &m->gg_n,
                          m->gg_stop, sizeof m->gg_stop};
    static const char *const top_names[] = {"horizon_days", "clv_months", "discount_rate"};
    double *top[] = {&m->horizon_days, &m->clv_months, &m->discount_rate};
    int rc = read_fit(rd, &bg);
    if (rc == TX_OK)
        rc = str(rd, bg.group, "unit", m->unit, sizeof m->unit);
    if (rc == TX_OK)
        rc = read_fit(rd, &gg);
    for (size_t i = 0; i < 3 && rc == TX_OK; i++)
        rc = num_f64(rd, "/model", top_names[i], top[i]);
    return rc;
}

/* /holdout, when the snapshot has one (--holdout-start); then everything the section shows is
 * required. */
static int read_holdout(reader *rd, rpt_holdout *h)
{
    const char *g = tx_snapshot_holdout_table.group;
    if (!tx_snapread_has(rd->r, g, NULL))
        return TX_OK;
    static const char *const names[] = {"holdout_days", "sum_predicted", "sum_actual", "mae",
                                        "r", "alpha", "a", "b"};
    double *vals[] = {&h->holdout_days, &h->sum_predicted, &h->sum_actual, &h->mae,
                      &h->r, &h->alpha, &h->a, &h->b};
    int rc = str(rd, g, "calibration_end", h->calibration_end, sizeof h->calibration_end);
    for (size_t i = 0; i < sizeof names / sizeof names[0] && rc == TX_OK; i++)
        rc = num_f64(rd, g, names[i], vals[i]);
    if (rc == TX_OK)
        rc = num_u64(rd, g, "n", &h->n);
    if (rc == TX_OK)
        rc = num_int(rd, g, "converged", &h->converged);
    if (rc == TX_OK)
        rc = tx_snapread_table_load(rd->r, &tx_snapshot_bins_table, &h->bins, NULL, 0,
                                    &h->bins.n, rd->err);
    if (rc == TX_OK)
        h->present = 1;
    return rc;
}

/* /cohorts, when the snapshot has it (snapshots before it was added have none). */
static int read_cohorts(reader *rd, rpt_snapshot *s)
{
    if (!tx_snapread_has(rd->r, tx_snapshot_cohorts_table.group, NULL))
        return TX_OK;
    s->has_cohorts = 1;
    return tx_snapread_table_load(rd->r, &tx_snapshot_cohorts_table, &s->cohorts, NULL, 0,
                                  &s->cohorts.n, rd->err);
}

static void snapshot_free(rpt_snapshot *s)
{
    tx_snapshot_table_free(&tx_snapshot_cohorts_table, &s->cohorts);
    tx_snapshot_table_free(&tx_snapshot_customers_table, &s->cust);
    tx_snapread_strings_free(s->segment_names, s->nseg);
    tx_snapshot_table_free(&tx_snapshot_daily_table, &s->daily);
    tx_snapshot_table_free(&tx_snapshot_monthly_table, &s->monthly);
    tx_snapshot_table_free(&tx_snapshot_cur_monthly_table, &s->by_monthly);
    tx_snapshot_table_free(&tx_snapshot_bins_table, &s->holdout.bins);
    memset(s, 0, sizeof *s);
}

static int snapshot_read(const char *path, rpt_snapshot *s, tx_error *err)
{
    reader rd = {.r = NULL, .err = err};
    int rc = tx_snapread_open(path, &rd.r, err);
    if (rc == TX_OK)
        rc = read_root(&rd, s);
    if (rc == TX_OK)
        rc = read_customers(&rd, s);
    if (rc == TX_OK)
        rc = read_revenue(&rd, s);
    if (rc == TX_OK)
        rc = read_model(&rd, &s->model);
    if (rc == TX_OK)
        rc = read_holdout(&rd, &s->holdout);
    if (rc == TX_OK)
        rc = read_cohorts(&rd, s);
    if (tx_snapread_close(&rd.r, rc == TX_OK ? err : NULL) != TX_OK && rc == TX_OK)
        rc = TX_ERR;
    return rc;
}

int tx_report_write(const char *snapshot_path, const char *out_path, tx_error *err)
{
    if (snapshot_path == NULL || *snapshot_path == '\0')
        return tx_error_set(err, TX_EUSAGE, "report: no snapshot file given");
    if (out_path == NULL || *out_path == '\0')
        return tx_error_set(err, TX_EUSAGE, "report: no output file given (--out REPORT.html)");

    rpt_snapshot snap;
    memset(&snap, 0, sizeof snap);
    snap.source = snapshot_path;
    char *tmp = NULL, *resolved = NULL;
    FILE *out = NULL;
    /* A link (latest.h5) is resolved once: the file read is the file the footer names, even
     * if the link moves on meanwhile. */
    struct stat st;
    if (lstat(snapshot_path, &st) == 0 && S_ISLNK(st.st_mode) &&
        (resolved = realpath(snapshot_path, NULL)) != NULL) {
        const char *slash = strrchr(resolved, '/');
        snap.source_target = slash != NULL ? slash + 1 : resolved;
    }
    int rc = snapshot_read(resolved != NULL ? resolved : snapshot_path, &snap, err);
    if (rc != TX_OK)
        goto out;

    /* written beside the target and renamed into place; /dev/null is written directly (a
     * rename would replace the device), any other non-regular target is refused */
    const int target = tx_fs_rename_target(out_path);
    if (target < 0) {
        rc = tx_error_set(err, TX_EUSAGE, "--out %s is not a regular file: give the path of the "
                          "HTML file to write", out_path);
        goto out;
    }
    size_t len = strlen(out_path) + 32;
    tmp = malloc(len);
    if (tmp == NULL) {
        rc = tx_error_set(err, TX_ENOMEM, "out of memory writing %s", out_path);
        goto out;
    }
    if (target == 1)
        snprintf(tmp, len, "%s", out_path);
    else
        snprintf(tmp, len, "%s.tmp.%ld", out_path, (long)getpid());
    out = fopen(tmp, "w");
    if (out == NULL) {
        rc = tx_error_set(err, TX_ERR, "%s: cannot create report: %s", tmp, strerror(errno));
        goto out;
    }
    rc = rpt_render_html(out, out_path, &snap, err);
    int close_rc = fclose(out);
    out = NULL;
    if (rc == TX_OK && close_rc != 0)
        rc = tx_error_set(err, TX_ERR, "%s: write failed: %s", tmp, strerror(errno));
    if (rc == TX_OK && target == 0 && rename(tmp, out_path) != 0)
        rc = tx_error_set(err, TX_ERR, "%s: cannot rename %s into place: %s", out_path, tmp,
                          strerror(errno));
    if (rc != TX_OK && target == 0)
        unlink(tmp);
out:
    free(tmp);
    snapshot_free(&snap);
    free(resolved);
    return rc;
}
