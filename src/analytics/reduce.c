/* reduce.c - the reduce step (SPEC §5) and its snapshot (SPEC §6): tx_reduce_snapshot.
 *
 * Phases, each ending in agreement between ranks:
 *   1. check options and dates; as-of date = --as-of or the global latest date (Allreduce MAX);
 *   2. locally: drop dates after as-of, sum each (customer, day), sort by (customer, day);
 *   3. sample sort by customer_id (txa_sample_sort): each rank ends with a contiguous, sorted
 *      customer range and every day of its customers; sum (customer, day) again;
 *   4. per customer: orders, revenue, first/last purchase, recency, the lifetimes summary
 *      (frequency, recency, T, monetary_value); global rows via MPI_Exscan;
 *   5. RFM (txa_rfm), revenue tables (txa_revenue_compute);
 *   6. BG/NBD and Gamma-Gamma fits (src/models, sums through MPI_Allreduce), predictions;
 *   6b. with --holdout-start H: the calibration / holdout check (holdout()): a separate BG/NBD
 *      fit on each customer's days before H, predicted vs actual purchase days in [H, as-of];
 *   7. the snapshot (tx_snapshot_write).
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
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analytics_internal.h"
#include "txetl/clv.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"
#include "txetl/record.h"
#include "txetl/snapshot.h"

static int cday_cmp(const void *pa, const void *pb)
{
    const txa_cday *a = pa, *b = pb;
    if (a->customer_id != b->customer_id)
        return a->customer_id < b->customer_id ? -1 : 1;
    return (a->date > b->date) - (a->date < b->date);
}

static int cday_customer_cmp(const void *pa, const void *pb)
{
    const txa_cday *a = pa, *b = pb;
    return (a->customer_id > b->customer_id) - (a->customer_id < b->customer_id);
}

static void cday_sort(void *base, size_t n)
{
    static const txa_radix_key keys[] = {{offsetof(txa_cday, customer_id), 8, 0},
                                         {offsetof(txa_cday, date), 4, 1}};
    txa_radix_sort(base, n, sizeof(txa_cday), keys, 2);
}

/* Local. Sums entries of the same customer and day in d, sorted by (customer, day). Returns the
 * new count, or SIZE_MAX when a day's transaction count overflows. */
static size_t collapse(txa_cday *d, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (j && d[j - 1].customer_id == d[i].customer_id && d[j - 1].date == d[i].date) {
            if (d[j - 1].count > UINT32_MAX - d[i].count)
                return SIZE_MAX;
            d[j - 1].count += d[i].count;
            d[j - 1].amount_cents += d[i].amount_cents;
        } else {
            d[j++] = d[i];
        }
    }
    return j;
}

static void customers_alloc(txa_customers *c, size_t n)
{
    memset(c, 0, sizeof *c);
    c->n = n;
    c->customer_id = txa_xmalloc(n * sizeof(uint64_t));
    c->first_purchase = txa_xmalloc(n * sizeof(int32_t));
    c->last_purchase = txa_xmalloc(n * sizeof(int32_t));
    c->recency_days = txa_xmalloc(n * sizeof(int32_t));
    c->orders = txa_xmalloc(n * sizeof(uint32_t));
    c->revenue_cents = txa_xmalloc(n * sizeof(int64_t));
    c->r_score = txa_xmalloc(n * 4);
    c->f_score = c->r_score + n;
    c->m_score = c->r_score + 2 * n;
    c->segment = c->r_score + 3 * n;
    double *f = txa_xmalloc(n * 8 * sizeof(double));
    c->frequency = f;
    c->recency = f + n;
    c->T = f + 2 * n;
    c->monetary_value = f + 3 * n;
    c->p_alive = f + 4 * n;
    c->expected_purchases = f + 5 * n;
    c->expected_avg_value = f + 6 * n;
    c->clv = f + 7 * n;
    c->day_start = txa_xmalloc((n + 1) * sizeof(size_t));
}

static void customers_free(txa_customers *c)
{
    free(c->customer_id);
    free(c->first_purchase);
    free(c->last_purchase);
    free(c->recency_days);
    free(c->orders);
    free(c->revenue_cents);
    free(c->r_score);
    free(c->frequency);
    free(c->day_start);
    memset(c, 0, sizeof *c);
}

/* Local. The customer table from the sorted, collapsed customer-days. Returns TX_OK or TX_ERR
 * when a customer's orders overflow the u32 column. */
static int customers_build(const txa_cday *d, size_t nd, int32_t as_of, double unit,
                           txa_customers *c, tx_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < nd; i++)
        n += i == 0 || d[i].customer_id != d[i - 1].customer_id;
    customers_alloc(c, n);
    size_t k = 0;
    for (size_t i = 0; i < nd;) {
        size_t j = i;
        uint64_t orders = 0;
        int64_t revenue = 0;
        for (; j < nd && d[j].customer_id == d[i].customer_id; j++) {
            orders += d[j].count;
            revenue += d[j].amount_cents;
        }
        if (orders > UINT32_MAX)
            return tx_error_set(err, TX_ERR, "reduce: customer %llu has %llu orders (over 2^32)",
                                (unsigned long long)d[i].customer_id,
                                (unsigned long long)orders);
        int32_t first = d[i].date, last = d[j - 1].date;
        double x = (double)(j - i - 1);
        c->customer_id[k] = d[i].customer_id;
        c->first_purchase[k] = first;
        c->last_purchase[k] = last;
        c->recency_days[k] = as_of - last;
        c->orders[k] = (uint32_t)orders;
        c->revenue_cents[k] = revenue;
        c->frequency[k] = x;
        c->recency[k] = (double)(last - first) / unit;
        c->T[k] = (double)(as_of - first) / unit;
        /* Mean of the per-day sums after the first day, in currency units. */
        c->monetary_value[k] = x > 0 ? (double)(revenue - d[i].amount_cents) / 100.0 / x : 0.0;
        c->day_start[k] = i;
        k++;
        i = j;
    }
    c->day_start[n] = nd;
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
    tx_clv_customer *cc = txa_xmalloc(c->n * sizeof *cc);
    tx_clv_customer *rep = txa_xmalloc(c->n * sizeof *rep);
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

/* The /holdout check's arrays on this rank (tx_snapshot_holdout points into them). */
typedef struct holdout_rows {
    uint64_t *customer_id;
    double *frequency_cal, *predicted, *actual;
} holdout_rows;

/* Collective. The calibration / holdout check with lifetimes' calibration_and_holdout_data
 * conventions: calibration_end = H - 1; every customer with a purchase day before H gets its
 * calibration summary (x = its purchase days before H, minus 1; t_x = last such day - first;
 * T = calibration_end - first; in model units); a BG/NBD fit over those customers (all ranks);
 * predicted = E[Y(as_of - calibration_end)] given the calibration summary, actual = purchase
 * days in [H, as_of]. The main customer table and fits are not touched. Needs c->day_start
 * into days (each customer's days sorted). Callers have checked that some customer purchased
 * before H (else the fit fails: no customers). */
static int holdout(MPI_Comm comm, const txa_customers *c, const txa_cday *days, int32_t as_of,
                   const tx_analytics_opts *o, tx_snapshot_holdout *h, holdout_rows *rows,
                   tx_error *err)
{
    const double unit = o->unit_week ? 7.0 : 1.0;
    const int32_t start = o->holdout_start, cal_end = start - 1;
    size_t n = 0;
    for (size_t k = 0; k < c->n; k++)
        n += c->first_purchase[k] < start;
    rows->customer_id = txa_xmalloc(n * sizeof(uint64_t));
    double *f = txa_xmalloc(n * 3 * sizeof(double));
    rows->frequency_cal = f;
    rows->predicted = f + n;
    rows->actual = f + 2 * n;
    tx_clv_customer *cc = txa_xmalloc(n * sizeof *cc);
    size_t i = 0;
    for (size_t k = 0; k < c->n; k++) {
        int32_t first = c->first_purchase[k];
        if (first >= start)
            continue;
        int32_t last = first;
        uint64_t ncal = 0, nhold = 0;
        for (size_t j = c->day_start[k]; j < c->day_start[k + 1]; j++) {
            if (days[j].date < start) {
                ncal++;
                last = days[j].date;
            } else {
                nhold++;
            }
        }
        cc[i] = (tx_clv_customer){(double)(ncal - 1), (double)(last - first) / unit,
                                  (double)(cal_end - first) / unit, 0.0};
        rows->customer_id[i] = c->customer_id[k];
        rows->frequency_cal[i] = (double)(ncal - 1);
        rows->actual[i] = (double)nhold;
        i++;
    }
    memset(h, 0, sizeof *h);
    h->enabled = 1;
    h->calibration_end = cal_end;
    h->holdout_days = as_of - cal_end;
    h->n = n;
    uint64_t nn = n;
    MPI_Exscan(&nn, &h->offset, 1, MPI_UINT64_T, MPI_SUM, comm);
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0)
        h->offset = 0;
    MPI_Allreduce(&nn, &h->total, 1, MPI_UINT64_T, MPI_SUM, comm);
    h->customer_id = rows->customer_id;
    h->frequency_cal = rows->frequency_cal;
    h->predicted = rows->predicted;
    h->actual = rows->actual;
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
    h->mae = h->total ? sums[2] / (double)h->total : NAN;
    for (int b = 0; b < NB; b++) {
        h->bin_customers[b] = bins[b];
        h->bin_mean_predicted[b] = bins[b] ? sums[3 + b] / (double)bins[b] : NAN;
        h->bin_mean_actual[b] = bins[b] ? sums[3 + NB + b] / (double)bins[b] : NAN;
    }
    free(cc);
    return TX_OK;
}

/* Local. "YYYY-MM-DD" of a day (for messages). */
static const char *day_str(int32_t day, char *buf, size_t cap)
{
    int y, m, d;
    tx_civil_from_days(day, &y, &m, &d);
    snprintf(buf, cap, "%04d-%02d-%02d", y, m, d);
    return buf;
}

/* Collective (same answer on every rank). --holdout-start against the data: after the first
 * transaction date on or before as-of, and not after as-of. */
static int check_holdout(MPI_Comm comm, const tx_txn *t, size_t n, int32_t as_of,
                         const tx_analytics_opts *o, tx_error *err)
{
    int32_t first = INT32_MAX;
    for (size_t i = 0; i < n; i++)
        if (t[i].date <= as_of && t[i].date < first)
            first = t[i].date;
    MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT32_T, MPI_MIN, comm);
    char h[32], a[32], f[32];
    day_str(o->holdout_start, h, sizeof h);
    day_str(as_of, a, sizeof a);
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
                            h, day_str(first, f, sizeof f));
    return TX_OK;
}

/* Local. Options and dates; TX_EUSAGE / TX_ERR with err set. */
static int check_input(const tx_txn *t, size_t n, const tx_analytics_opts *o,
                       const tx_run_info *run, const char *dir, tx_error *err)
{
    if (!o || !run || !dir || (n && !t))
        return tx_error_set(err, TX_EUSAGE, "reduce: missing options, run or directory");
    if (o->as_of != INT32_MIN && (o->as_of < 0 || o->as_of >= TXA_NDAYS))
        return tx_error_set(err, TX_EUSAGE, "--as-of: day %d is outside 1970-01-01..2099-12-31",
                            (int)o->as_of);
    if (o->holdout_start != INT32_MIN &&
        (o->holdout_start < 1 || o->holdout_start >= TXA_NDAYS))
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
    for (size_t i = 0; i < n; i++)
        if (t[i].date < 0 || t[i].date >= TXA_NDAYS)
            return tx_error_set(err, TX_ERR,
                                "reduce: a transaction of customer %llu is dated day %d, "
                                "outside 1970-01-01..2099-12-31",
                                (unsigned long long)t[i].customer_id, (int)t[i].date);
    return TX_OK;
}

int tx_reduce_snapshot(MPI_Comm comm, tx_txn *txns, size_t n, const tx_analytics_opts *opts,
                       const tx_run_info *run, const char *dir, char *path_out,
                       size_t path_len, tx_error *err)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    double t0 = MPI_Wtime();
    if (path_out && path_len)
        path_out[0] = '\0';

    /* 1. Input and the as-of date. */
    int st = tx_agree(comm, check_input(txns, n, opts, run, dir, err), err);
    if (st != TX_OK)
        return st;
    int32_t as_of = opts->as_of;
    if (as_of == INT32_MIN) {
        int32_t latest = INT32_MIN;
        for (size_t i = 0; i < n; i++)
            if (txns[i].date > latest)
                latest = txns[i].date;
        MPI_Allreduce(MPI_IN_PLACE, &latest, 1, MPI_INT32_T, MPI_MAX, comm);
        as_of = latest;
        if (as_of == INT32_MIN) { /* nothing stored: the run's day */
            int64_t day = run->created_unix / 86400;
            as_of = (int32_t)(day < 0 ? 0 : day >= TXA_NDAYS ? TXA_NDAYS - 1 : day);
        }
    }

    if (opts->holdout_start != INT32_MIN) {
        st = tx_agree(comm, check_holdout(comm, txns, n, as_of, opts, err), err);
        if (st != TX_OK)
            return st;
    }

    /* 2. Local customer-days up to as-of. */
    txa_cday *local = txa_xmalloc(n * sizeof *local);
    size_t nlocal = 0;
    for (size_t i = 0; i < n; i++)
        if (txns[i].date <= as_of)
            local[nlocal++] =
                (txa_cday){txns[i].customer_id, txns[i].amount_cents, txns[i].date, 1};
    cday_sort(local, nlocal);
    nlocal = collapse(local, nlocal);
    if (nlocal == SIZE_MAX)
        st = tx_error_set(err, TX_ERR, "reduce: over 2^32 transactions of one customer and day");
    st = tx_agree(comm, st, err);

    /* 3. Redistribution by customer. */
    txa_cday *days = NULL;
    size_t ndays = 0;
    if (st == TX_OK)
        st = txa_sample_sort(comm, local, nlocal, sizeof *local, cday_cmp, cday_customer_cmp,
                             cday_sort, (void **)&days, &ndays, err);
    free(local);
    if (st != TX_OK)
        return st;
    ndays = collapse(days, ndays);
    if (ndays == SIZE_MAX)
        st = tx_error_set(err, TX_ERR, "reduce: over 2^32 transactions of one customer and day");
    double t_sort = MPI_Wtime();

    /* 4. Customers. */
    txa_customers c;
    memset(&c, 0, sizeof c);
    if (st == TX_OK)
        st = customers_build(days, ndays, as_of, opts->unit_week ? 7.0 : 1.0, &c, err);
    st = tx_agree(comm, st, err);
    tx_snapshot_customers *sc = NULL;
    txa_revenue rev;
    memset(&rev, 0, sizeof rev);
    tx_snapshot snap;
    memset(&snap, 0, sizeof snap);
    if (st == TX_OK) {
        uint64_t nc = c.n;
        MPI_Exscan(&nc, &c.offset, 1, MPI_UINT64_T, MPI_SUM, comm);
        if (rank == 0)
            c.offset = 0;
        MPI_Allreduce(&nc, &c.total, 1, MPI_UINT64_T, MPI_SUM, comm);

        /* 5. RFM and revenue. */
        st = txa_rfm(comm, &c, err);
    }
    if (st == TX_OK)
        txa_revenue_compute(comm, &c, days, &rev);
    double t_rfm = MPI_Wtime();

    /* 6. Models. */
    double t_models_fit = 0.0;
    if (st == TX_OK)
        st = models(comm, &c, opts, &snap.bgnbd, &snap.gg, &t_models_fit, err);
    holdout_rows hrows;
    memset(&hrows, 0, sizeof hrows);
    if (st == TX_OK && opts->holdout_start != INT32_MIN)
        st = holdout(comm, &c, days, as_of, opts, &snap.holdout, &hrows, err);
    double t_fit = MPI_Wtime();

    /* 7. Snapshot. */
    if (st == TX_OK) {
        snap.run = run;
        snap.opts = opts;
        snap.as_of = as_of;
        sc = &snap.customers;
        *sc = (tx_snapshot_customers){
            .n = c.n,
            .offset = c.offset,
            .total = c.total,
            .customer_id = c.customer_id,
            .first_purchase = c.first_purchase,
            .last_purchase = c.last_purchase,
            .orders = c.orders,
            .revenue_cents = c.revenue_cents,
            .recency_days = c.recency_days,
            .r_score = c.r_score,
            .f_score = c.f_score,
            .m_score = c.m_score,
            .segment = c.segment,
            .frequency = c.frequency,
            .recency = c.recency,
            .T = c.T,
            .monetary_value = c.monetary_value,
            .p_alive = c.p_alive,
            .expected_purchases = c.expected_purchases,
            .expected_avg_value = c.expected_avg_value,
            .clv = c.clv,
            .segment_names = txa_segment_names,
            .nsegments = txa_nsegments,
        };
        snap.revenue = (tx_snapshot_revenue){
            .ndaily = rev.ndaily,
            .daily_date = rev.daily_date,
            .daily_revenue_cents = rev.daily_revenue_cents,
            .daily_transactions = rev.daily_transactions,
            .daily_customers = rev.daily_customers,
            .nmonthly = rev.nmonthly,
            .monthly_month = rev.monthly_month,
            .monthly_revenue_cents = rev.monthly_revenue_cents,
            .monthly_transactions = rev.monthly_transactions,
            .monthly_active_customers = rev.monthly_active_customers,
            .monthly_new_customers = rev.monthly_new_customers,
        };
        st = tx_snapshot_write(comm, dir, &snap, path_out, path_len, err);
    }
    double t_end = MPI_Wtime();
    if (rank == 0 && st == TX_OK && snap.holdout.enabled)
        TX_LOG(TX_LOG_INFO,
               "holdout check: %llu customers, predicted %.1f vs actual %.0f purchases over %d "
               "days, MAE %.3f, calibration fit %s",
               (unsigned long long)snap.holdout.total, snap.holdout.sum_predicted,
               snap.holdout.sum_actual, (int)snap.holdout.holdout_days, snap.holdout.mae,
               snap.holdout.fit.converged ? "converged" : "NOT converged");
    if (rank == 0 && st == TX_OK)
        TX_LOG(TX_LOG_INFO,
               "reduce: %llu customers as of day %d; redistribute %.3f s, rfm+revenue %.3f s, "
               "fits %.3f s (BG/NBD %d iterations: %s; Gamma-Gamma %d iterations: %s), "
               "predictions%s %.3f s, snapshot %.3f s",
               (unsigned long long)c.total, (int)as_of, t_sort - t0, t_rfm - t_sort,
               t_models_fit, snap.bgnbd.iterations, snap.bgnbd.stop_reason,
               snap.gg.iterations, snap.gg.stop_reason, snap.holdout.enabled ? "+holdout" : "",
               t_fit - t_rfm - t_models_fit,
               t_end - t_fit);
    txa_revenue_free(&rev);
    free(hrows.customer_id);
    free(hrows.frequency_cal);
    customers_free(&c);
    free(days);
    return st;
}
