/* reduce.c - the reduce step (docs/analytics.md) and its snapshot (docs/snapshot.md): tx_reduce_snapshot.
 *
 * Phases, each ending in agreement between ranks:
 *   1. check options;
 *   2. stream every source (a shard: its customer-days in customer order) and fold it into one
 *      partial per customer and source, and the daily revenue figures (txa_fold_sources, fold.c);
 *      as-of date = --as-of (later rows dropped while streaming) or the global latest date;
 *   3. partials to the customers' owners (sample sort by customer_id: contiguous, sorted
 *      customer ranges) and merged there (txa_fold_merge); the cohort table
 *      (txa_cohorts_compute: the fold's per-customer records, their cohorts asked of the
 *      owners);
 *   4. per customer: orders, revenue, first/last purchase, recency, the lifetimes summary
 *      (frequency, recency, T, monetary_value); global rows via MPI_Exscan;
 *   5. RFM (txa_rfm), revenue tables (txa_revenue_compute);
 *   6. BG/NBD and Gamma-Gamma fits (src/models, sums through MPI_Allreduce), predictions;
 *   6b. with --holdout-start H: the calibration / holdout check (holdout()): a separate BG/NBD
 *      fit on each customer's days before H, predicted vs actual purchase days in [H, as-of];
 *   7. the snapshot (tx_snapshot_write).
 * Memory: the partials and the customer table, O(customers); never the transactions (except
 * tx_reduce_snapshot, which is handed them).
 *
 * No customers at all (nothing stored, or nothing on or before as-of): the snapshot still
 * holds every dataset (empty) and the model groups with converged = 0, n = 0 and NaN
 * parameters: the fits are skipped, not failed. Likewise Gamma-Gamma when no customer has a
 * repeat purchase with positive monetary value: its attributes are NaN, converged 0, and
 * expected_avg_value and clv are NaN for everyone. A fit that ran but did not converge keeps
 * its predictions; /model/<fit>/converged = 0 says they are not to be trusted.
 *
 * Without any transaction and without --as-of there is no latest date: as-of is then the day
 * of run->created_unix (UTC). */
#include "txetl/reduce.h"

#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analytics_internal.h"
#include "txetl/clv.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"
#include "txetl/record.h"
#include "txetl/snapshot.h"

static void customers_alloc(txa_customers *c, size_t n)
{
    memset(c, 0, sizeof *c);
    tx_snapshot_table_alloc(&tx_snapshot_customers_table, c, n);
    c->n = n;
    c->segment_names = txa_segment_names;
    c->nsegments = txa_nsegments;
}

static void customers_free(txa_customers *c)
{
    tx_snapshot_table_free(&tx_snapshot_customers_table, c);
    memset(c, 0, sizeof *c);
}

/* Local. The customer table from the merged partials (one per customer, sorted by
 * customer_id). Returns TX_OK or TX_ERR when a customer's orders overflow the u32 column. */
static int customers_build(const txa_part *p, size_t n, int32_t as_of, double unit,
                           txa_customers *c, tx_error *err)
{
    customers_alloc(c, n);
    for (size_t k = 0; k < n; k++) {
        if (p[k].orders > UINT32_MAX)
            return tx_error_set(err, TX_ERR, "reduce: customer %llu has %llu orders (over 2^32)",
                                (unsigned long long)p[k].customer_id,
                                (unsigned long long)p[k].orders);
        int32_t first = p[k].first, last = p[k].last;
        double x = (double)(p[k].ndays - 1);
        c->customer_id[k] = p[k].customer_id;
        c->first_purchase[k] = first;
        c->last_purchase[k] = last;
        c->recency_days[k] = as_of - last;
        c->orders[k] = (uint32_t)p[k].orders;
        c->revenue_cents[k] = p[k].revenue;
        c->frequency[k] = x;
        c->recency[k] = (double)(last - first) / unit;
        c->T[k] = (double)(as_of - first) / unit;
        /* Mean of the per-day sums after the first day, in currency units. */
        c->monetary_value[k] = x > 0 ? (double)(p[k].revenue - p[k].first_sum) / 100.0 / x : 0.0;
    }
    return TX_OK;
}

static int sum_allreduce(double *buf, int n, void *ctx)
{
    MPI_Comm comm = *(MPI_Comm *)ctx;
    return MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, comm) == MPI_SUCCESS
               ? TX_OK
               : TX_ERR;
}

/* A fit's attributes when it did not run. */
static const tx_bgnbd_fit bg_none = {.r = NAN, .alpha = NAN, .a = NAN, .b = NAN, .loglik = NAN,
                                     .grad_norm = NAN, .se_r = NAN, .se_alpha = NAN,
                                     .se_a = NAN, .se_b = NAN, .stop_reason = "not fitted"};
static const tx_gg_fit gg_none = {.p = NAN, .q = NAN, .v = NAN, .loglik = NAN, .grad_norm = NAN,
                                  .se_p = NAN, .se_q = NAN, .se_v = NAN,
                                  .stop_reason = "not fitted"};

/* Collective. The fits' settings: the default iteration limit, or rank 0's environment
 * variable TXETL_CLV_MAX_ITER (a positive integer; for tests that force a fit to stop short). */
static tx_clv_fit_opts fit_opts(MPI_Comm comm)
{
    int rank, max_iter = TX_CLV_MAX_ITER_DEFAULT;
    MPI_Comm_rank(comm, &rank);
    const char *env = rank == 0 ? getenv("TXETL_CLV_MAX_ITER") : NULL;
    if (env && atoi(env) > 0)
        max_iter = atoi(env);
    MPI_Bcast(&max_iter, 1, MPI_INT, 0, comm);
    return (tx_clv_fit_opts){.max_iter = max_iter};
}

/* Collective. Both fits (skipped when no customer qualifies) and the predictions; *fit_s is
 * the time of the two fits. */
static int models(MPI_Comm comm, txa_customers *c, const tx_analytics_opts *o,
                  tx_bgnbd_fit *bg, tx_gg_fit *gg, double *fit_s, tx_error *err)
{
    const double unit = o->unit_week ? 7.0 : 1.0;
    const double units_per_month = o->unit_week ? 4.345 : 30.0;
    tx_clv_customer *cc = TX_XMALLOC(c->n * sizeof *cc);
    tx_clv_customer *rep = TX_XMALLOC(c->n * sizeof *rep);
    uint64_t cnt[2] = {c->n, 0};
    for (size_t i = 0; i < c->n; i++) {
        cc[i] = (tx_clv_customer){c->frequency[i], c->recency[i], c->T[i], c->monetary_value[i]};
        if (cc[i].x > 0 && cc[i].monetary > 0)
            rep[cnt[1]++] = cc[i];
    }
    MPI_Allreduce(MPI_IN_PLACE, cnt, 2, MPI_UINT64_T, MPI_SUM, comm);
    *bg = bg_none;
    *gg = gg_none;
    const tx_clv_fit_opts fo = fit_opts(comm);
    double t0 = MPI_Wtime();
    int st = TX_OK;
    if (cnt[0] > 0)
        st = tx_agree(comm, tx_bgnbd_fit_run_opts(cc, c->n, sum_allreduce, &comm, &fo, bg, err),
                      err);
    if (st == TX_OK && cnt[1] > 0) {
        size_t nrep = 0;
        for (size_t i = 0; i < c->n; i++)
            nrep += cc[i].x > 0 && cc[i].monetary > 0;
        st = tx_agree(comm, tx_gg_fit_run_opts(rep, nrep, sum_allreduce, &comm, &fo, gg, err),
                      err);
    }
    *fit_s = MPI_Wtime() - t0;
    const int have_bg = cnt[0] > 0, have_gg = cnt[1] > 0;
    /* Predictions (local): the hypergeometric terms once per distinct (x, T) on this rank. */
    const tx_clv_predict_opts po = {.horizon = (double)o->horizon_days / unit,
                                    .months = o->clv_months,
                                    .discount_monthly = o->discount_rate,
                                    .units_per_month = units_per_month};
    if (st == TX_OK && have_bg)
        st = tx_agree(comm,
                      tx_clv_predict(bg, have_gg ? gg : NULL, cc, c->n, &po, c->p_alive,
                                     c->expected_purchases, c->expected_avg_value, c->clv, NULL,
                                     err),
                      err);
    for (size_t i = 0; i < c->n && st == TX_OK && !have_bg; i++)
        c->p_alive[i] = c->expected_purchases[i] = c->expected_avg_value[i] = c->clv[i] = NAN;
    free(rep);
    free(cc);
    return st;
}

/* Collective. The calibration / holdout check with lifetimes' calibration_and_holdout_data
 * conventions: calibration_end = H - 1; every customer with a purchase day before H gets its
 * calibration summary (x = its purchase days before H, minus 1; t_x = last such day - first;
 * T = calibration_end - first; in model units); a BG/NBD fit over those customers (all ranks);
 * predicted = E[Y(as_of - calibration_end)] given the calibration summary, actual = purchase
 * days in [H, as_of]. The main customer table and fits are not touched. Needs the merged
 * partials p (row k of c is p[k]). Callers have checked that some customer purchased
 * before H (else the fit fails: no customers). h->rows' arrays are the caller's to free
 * (tx_snapshot_table_free), whatever the outcome. */
static int holdout(MPI_Comm comm, const txa_customers *c, const txa_part *p, int32_t as_of, const tx_analytics_opts *o,
                   tx_snapshot_holdout *h, tx_error *err)
{
    const double unit = o->unit_week ? 7.0 : 1.0;
    const int32_t start = o->holdout_start, cal_end = start - 1;
    size_t n = 0;
    for (size_t k = 0; k < c->n; k++)
        n += c->first_purchase[k] < start;
    memset(h, 0, sizeof *h);
    tx_snapshot_holdout_rows *rows = &h->rows;
    tx_snapshot_table_alloc(&tx_snapshot_holdout_table, rows, n);
    tx_clv_customer *cc = TX_XMALLOC(n * sizeof *cc);
    size_t i = 0;
    for (size_t k = 0; k < c->n; k++) {
        int32_t first = c->first_purchase[k];
        if (first >= start)
            continue;
        int32_t last = p[k].last_cal;
        uint64_t ncal = p[k].ncal, nhold = p[k].nhold;
        cc[i] = (tx_clv_customer){(double)(ncal - 1), (double)(last - first) / unit,
                                  (double)(cal_end - first) / unit, 0.0};
        rows->customer_id[i] = c->customer_id[k];
        rows->frequency_cal[i] = (double)(ncal - 1);
        rows->actual[i] = (double)nhold;
        i++;
    }
    h->enabled = 1;
    h->calibration_end = cal_end;
    h->holdout_days = as_of - cal_end;
    rows->n = n;
    uint64_t nn = n;
    MPI_Exscan(&nn, &rows->offset, 1, MPI_UINT64_T, MPI_SUM, comm);
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0)
        rows->offset = 0;
    MPI_Allreduce(&nn, &rows->total, 1, MPI_UINT64_T, MPI_SUM, comm);
    h->fit = bg_none;
    const tx_clv_fit_opts fo = fit_opts(comm);
    int st = tx_agree(comm, tx_bgnbd_fit_run_opts(cc, n, sum_allreduce, &comm, &fo, &h->fit, err),
                      err);
    if (st != TX_OK) {
        free(cc);
        return st;
    }
    /* Sums: predicted, actual, |predicted - actual|, then per bin predicted and actual. */
    enum { NB = TX_HOLDOUT_NBINS };
    const double duration = (double)h->holdout_days / unit;
    double sums[3 + 2 * NB] = {0};
    uint64_t bins[NB] = {0};
    const tx_clv_predict_opts po = {.horizon = duration};
    st = tx_agree(comm,
                  tx_clv_predict(&h->fit, NULL, cc, n, &po, NULL, rows->predicted, NULL, NULL,
                                 NULL, err),
                  err);
    if (st != TX_OK) {
        free(cc);
        return st;
    }
    for (size_t k = 0; k < n; k++) {
        double p = rows->predicted[k], a = rows->actual[k];
        int b = cc[k].x >= NB - 1 ? NB - 1 : (int)cc[k].x;
        sums[0] += p;
        sums[1] += a;
        sums[2] += fabs(p - a);
        sums[3 + b] += p;
        sums[3 + NB + b] += a;
        bins[b]++;
    }
    MPI_Allreduce(MPI_IN_PLACE, sums, 3 + 2 * NB, MPI_DOUBLE, MPI_SUM, comm);
    MPI_Allreduce(MPI_IN_PLACE, bins, NB, MPI_UINT64_T, MPI_SUM, comm);
    h->sum_predicted = sums[0];
    h->sum_actual = sums[1];
    h->mae = rows->total ? sums[2] / (double)rows->total : NAN;
    for (int b = 0; b < NB; b++) {
        h->bin_customers[b] = bins[b];
        h->bin_mean_predicted[b] = bins[b] ? sums[3 + b] / (double)bins[b] : NAN;
        h->bin_mean_actual[b] = bins[b] ? sums[3 + NB + b] / (double)bins[b] : NAN;
    }
    free(cc);
    return TX_OK;
}

/* Local (first is global: the same answer on every rank). --holdout-start against the data:
 * after the first transaction date on or before as-of, and not after as-of. */
static int check_holdout(int32_t first, int32_t as_of, const tx_analytics_opts *o,
                         tx_error *err)
{
    char h[32], a[32], f[32];
    tx_format_date(o->holdout_start, h);
    tx_format_date(as_of, a);
    if (o->holdout_start > as_of)
        return tx_error_set(err, TX_EUSAGE,
                            "--holdout-start: %s is after the as-of date %s (the holdout period "
                            "is from --holdout-start to as-of)",
                            h, a);
    if (first == INT32_MAX)
        return tx_error_set(err, TX_EUSAGE,
                            "--holdout-start: no transactions on or before the as-of date %s to "
                            "calibrate on",
                            a);
    if (o->holdout_start <= first)
        return tx_error_set(err, TX_EUSAGE,
                            "--holdout-start: %s is not after the first transaction date %s "
                            "(the calibration period before it would be empty)",
                            h, tx_format_date(first, f));
    return TX_OK;
}

/* Local. Options; TX_EUSAGE with err set. */
static int check_input(const tx_analytics_opts *o, const tx_run_info *run, const char *dir,
                       int input_ok, tx_error *err)
{
    if (!o || !run || !dir || !input_ok)
        return tx_error_set(err, TX_EUSAGE, "reduce: missing options, run, directory or input");
    if (o->as_of != INT32_MIN && (o->as_of < 0 || o->as_of >= TX_NDAYS))
        return tx_error_set(err, TX_EUSAGE, "--as-of: day %d is outside 1970-01-01..2099-12-31",
                            (int)o->as_of);
    if (o->holdout_start != INT32_MIN &&
        (o->holdout_start < 1 || o->holdout_start >= TX_NDAYS))
        return tx_error_set(err, TX_EUSAGE,
                            "--holdout-start: day %d is outside 1970-01-02..2099-12-31",
                            (int)o->holdout_start);
    if (o->horizon_days < 0)
        return tx_error_set(err, TX_EUSAGE, "--horizon-days: %d is negative", o->horizon_days);
    if (o->clv_months < 0)
        return tx_error_set(err, TX_EUSAGE, "--clv-months: %d is negative", o->clv_months);
    if (!isfinite(o->discount_rate) || o->discount_rate <= -1.0)
        return tx_error_set(err, TX_EUSAGE, "--discount-rate: %g is not above -1",
                            o->discount_rate);
    if (o->reporting_currency && !tx_fx_currency_ok(o->reporting_currency))
        return tx_error_set(err, TX_EUSAGE, "--reporting-currency: '%s' is not three letters "
                            "A-Z (e.g. USD)", o->reporting_currency);
    return TX_OK;
}

int tx_reduce_snapshot_stream(MPI_Comm comm, const tx_reduce_source *src, int nsrc,
                              const tx_analytics_opts *opts, const tx_run_info *run,
                              const char *dir, char *path_out, size_t path_len,
                              tx_error *err)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    double t0 = MPI_Wtime();
    if (path_out && path_len)
        path_out[0] = '\0';

    /* 1. Options. */
    int st = tx_agree(comm, check_input(opts, run, dir, nsrc >= 0 && (nsrc == 0 || src), err),
                      err);
    if (st != TX_OK)
        return st;

    /* 2. Stream and fold (every amount converted to the reporting currency); the as-of
     * date. */
    const char *reporting = opts->reporting_currency ? opts->reporting_currency : "USD";
    tx_fx *fx = NULL;
    st = tx_fx_load_collective(comm, opts->fx_rates, reporting, &fx, err);
    if (st != TX_OK)
        return st;
    txa_fold *fold = NULL;
    int32_t first = INT32_MAX, latest = INT32_MIN;
    st = txa_fold_sources(comm, src, nsrc, opts->as_of, opts->holdout_start, fx, opts->fx_rates,
                          &fold, &first, &latest, err);
    tx_fx_free(fx);
    if (st != TX_OK)
        return st;
    double t_read = MPI_Wtime();
    int32_t as_of = opts->as_of;
    if (as_of == INT32_MIN) {
        as_of = latest;
        if (as_of == INT32_MIN) { /* nothing stored: the run's day */
            int64_t day = run->created_unix / 86400;
            as_of = (int32_t)(day < 0 ? 0 : day >= TX_NDAYS ? TX_NDAYS - 1 : day);
        }
    }
    if (opts->holdout_start != INT32_MIN) {
        st = tx_agree(comm, check_holdout(first, as_of, opts, err), err);
        if (st != TX_OK) {
            txa_fold_free(fold);
            return st;
        }
    }

    /* 3. Partials to the customers' owners, merged. */
    txa_part *parts = NULL;
    size_t nparts = 0;
    int64_t *acc = NULL;
    txa_currencies cur;
    int64_t *cohorts = txa_fold_take_cohorts(fold); /* this rank's part of the table */
    st = txa_fold_merge(comm, fold, &parts, &nparts, &acc, &cur, err);
    if (st != TX_OK) {
        free(cohorts);
        return st;
    }
    double t_sort = MPI_Wtime(); /* the cohorts count with "rfm+revenue" (phase 5's tables) */
    tx_snapshot snap;
    memset(&snap, 0, sizeof snap);
    txa_cohorts_compute(comm, cohorts, as_of, &snap.cohorts); /* consumes cohorts */

    /* 4. Customers. */
    txa_customers c;
    memset(&c, 0, sizeof c);
    st = customers_build(parts, nparts, as_of, opts->unit_week ? 7.0 : 1.0, &c, err);
    st = tx_agree(comm, st, err);
    if (opts->holdout_start == INT32_MIN) { /* else holdout() reads them */
        free(parts);
        parts = NULL;
    }
    if (st == TX_OK) {
        uint64_t nc = c.n;
        MPI_Exscan(&nc, &c.offset, 1, MPI_UINT64_T, MPI_SUM, comm);
        if (rank == 0)
            c.offset = 0;
        MPI_Allreduce(&nc, &c.total, 1, MPI_UINT64_T, MPI_SUM, comm);

        /* 5. RFM and revenue. */
        st = txa_rfm(comm, &c, err);
    }
    snprintf(snap.revenue.reporting, sizeof snap.revenue.reporting, "%s", reporting);
    if (st == TX_OK)
        txa_revenue_compute(comm, acc, &cur, &snap.revenue);
    free(acc);
    txa_currencies_free(&cur);
    double t_rfm = MPI_Wtime();

    /* 6. Models. */
    double t_models_fit = 0.0;
    if (st == TX_OK)
        st = models(comm, &c, opts, &snap.bgnbd, &snap.gg, &t_models_fit, err);
    if (st == TX_OK && opts->holdout_start != INT32_MIN)
        st = holdout(comm, &c, parts, as_of, opts, &snap.holdout, err);
    free(parts);
    double t_fit = MPI_Wtime();

    /* 7. Snapshot: the customer table is the one computed above. */
    if (st == TX_OK) {
        snap.run = run;
        snap.opts = opts;
        snap.as_of = as_of;
        snap.customers = c;
        st = tx_snapshot_write(comm, dir, &snap, path_out, path_len, err);
    }
    double t_end = MPI_Wtime();
    if (rank == 0 && st == TX_OK && snap.holdout.enabled)
        TX_LOG(TX_LOG_INFO,
               "holdout check: %llu customers, predicted %.1f vs actual %.0f purchases over %d "
               "days, MAE %.3f, calibration fit %s",
               (unsigned long long)snap.holdout.rows.total, snap.holdout.sum_predicted,
               snap.holdout.sum_actual, (int)snap.holdout.holdout_days, snap.holdout.mae,
               snap.holdout.fit.converged ? "converged" : "NOT converged");
    if (rank == 0 && st == TX_OK)
        TX_LOG(TX_LOG_INFO,
               "reduce: %llu customers as of %s; read+fold %.3f s, redistribute %.3f s, "
               "rfm+revenue %.3f s, fits %.3f s (BG/NBD %d iterations: %s; Gamma-Gamma %d "
               "iterations: %s), predictions%s %.3f s, snapshot %.3f s",
               (unsigned long long)c.total, tx_format_date(as_of, (char[16]){0}), t_read - t0,
               t_sort - t_read, t_rfm - t_sort, t_models_fit, snap.bgnbd.iterations,
               snap.bgnbd.stop_reason, snap.gg.iterations, snap.gg.stop_reason,
               snap.holdout.enabled ? "+holdout" : "", t_fit - t_rfm - t_models_fit,
               t_end - t_fit);
    txa_revenue_free(&snap.revenue);
    tx_snapshot_table_free(&tx_snapshot_cohorts_table, &snap.cohorts);
    tx_snapshot_table_free(&tx_snapshot_holdout_table, &snap.holdout.rows);
    customers_free(&c);
    return st;
}

/* ---- transactions in memory ------------------------------------------------------------- */

typedef struct txn_source {
    const tx_txn *t;
    size_t n;
} txn_source;

static int txn_read(void *ctx, tx_reduce_row_fn row, void *sink, tx_error *err)
{
    const txn_source *s = ctx;
    for (size_t i = 0; i < s->n; i++) {
        int rc = row(sink, s->t[i].customer_id, s->t[i].amount_cents, s->t[i].date,
                     s->t[i].currency, err);
        if (rc != TX_OK)
            return rc;
    }
    return TX_OK;
}

static int txn_date_cmp(const void *pa, const void *pb)
{
    const tx_txn *a = pa, *b = pb;
    if (a->date != b->date)
        return a->date < b->date ? -1 : 1;
    return (a->customer_id > b->customer_id) - (a->customer_id < b->customer_id);
}

static int txn_day_cmp(const void *pa, const void *pb)
{
    const tx_txn *a = pa, *b = pb;
    return (a->date > b->date) - (a->date < b->date);
}

static void txn_date_sort(void *base, size_t n)
{
    static const txa_radix_key keys[] = {{offsetof(tx_txn, date), 4, 1},
                                         {offsetof(tx_txn, customer_id), 8, 0}};
    txa_radix_sort(base, n, sizeof(tx_txn), keys, 2);
}

int tx_reduce_snapshot(MPI_Comm comm, tx_txn *txns, size_t n, const tx_analytics_opts *opts,
                       const tx_run_info *run, const char *dir, char *path_out,
                       size_t path_len, tx_error *err)
{
    if (path_out && path_len)
        path_out[0] = '\0';
    int st = tx_agree(comm, check_input(opts, run, dir, !n || txns, err), err);
    if (st != TX_OK)
        return st;
    /* By date: each rank one date range (all transactions of a day on one rank), a source
     * streamed in date order. */
    txn_date_sort(txns, n);
    tx_txn *mine = NULL;
    size_t nmine = 0;
    st = txa_sample_sort(comm, txns, n, sizeof *txns, txn_date_cmp, txn_day_cmp, txn_date_sort,
                         (void **)&mine, &nmine, err);
    if (st != TX_OK)
        return st;
    txn_source ts = {mine, nmine};
    tx_reduce_source s = {txn_read, &ts, INT32_MIN, INT32_MAX};
    if (nmine) { /* the received dates, in order: [first, last] */
        s.lower = mine[0].date;
        s.upper = mine[nmine - 1].date == INT32_MAX ? INT32_MAX : mine[nmine - 1].date + 1;
    }
    st = tx_reduce_snapshot_stream(comm, &s, nmine ? 1 : 0, opts, run, dir, path_out, path_len,
                                   err);
    free(mine);
    return st;
}
