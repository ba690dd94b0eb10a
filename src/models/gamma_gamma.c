/* gamma_gamma.c - the Gamma-Gamma spend model (Fader & Hardie 2013) with the `lifetimes`
 * package's conventions: the fit over customers with x > 0 and monetary > 0 spread across
 * ranks, and the conditional expected average value. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clv_internal.h"
#include "txetl/clv.h"

#define GG_GTOL 1e-8  /* as BG_GTOL, BG_XTOL (bgnbd.c) */
#define GG_XTOL 1e-10

typedef struct gg_data {
    size_t n;        /* this rank's customers with x > 0 and monetary > 0 */
    double *x, *xm;  /* x and x * monetary */
    size_t nx;       /* distinct x */
    double *gx, *gw;
    double k1, k0;   /* sum x ln(x m), sum ln m: the parameter-free parts */
    double ntotal;
    tx_clv_sum_fn sum;
    void *ctx;
} gg_data;

static int gg_included(const tx_clv_customer *c)
{
    return isfinite(c->x) && isfinite(c->monetary) && c->x > 0.0 && c->monetary > 0.0;
}

static void gg_data_free(gg_data *d)
{
    free(d->x);
    free(d->xm);
    free(d->gx);
    free(d->gw);
    memset(d, 0, sizeof *d);
}

static int gg_data_build(gg_data *d, const tx_clv_customer *c, size_t n)
{
    clv_group xs;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += (size_t)gg_included(&c[i]);
    d->x = malloc((m + 1) * sizeof *d->x);
    d->xm = malloc((m + 1) * sizeof *d->xm);
    if (!d->x || !d->xm || clv_group_init(&xs, 1, 64) != TX_OK)
        return TX_ENOMEM;
    int rc = TX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!gg_included(&c[i]))
            continue;
        double x = c[i].x, mv = c[i].monetary;
        if (clv_group_add(&xs, &x) < 0)
            goto out;
        d->x[d->n] = x;
        d->xm[d->n] = x * mv;
        d->k1 += x * log(x * mv);
        d->k0 += log(mv);
        d->n++;
    }
    d->nx = xs.nrows;
    d->gx = malloc((d->nx + 1) * sizeof *d->gx);
    d->gw = malloc((d->nx + 1) * sizeof *d->gw);
    if (!d->gx || !d->gw)
        goto out;
    memcpy(d->gx, xs.keys, d->nx * sizeof *d->gx);
    memcpy(d->gw, xs.weight, d->nx * sizeof *d->gw);
    rc = TX_OK;
out:
    clv_group_free(&xs);
    return rc;
}

/* Local sums in the layout of clv_s_* (clv_internal.h) for lifetimes' per-customer
 * log-likelihood
 *   lgamma(px+q) - lgamma(px) - lgamma(q) + q ln v + (px-1) ln m + px ln x - (px+q) ln(xm+v):
 * the lgamma and q ln v terms once per distinct x, (px-1) ln m + px ln x = p k1 - k0 from
 * the build, and -(px+q) ln(xm+v) per customer, the only part that depends on v: one log and
 * one division per customer, linear in p and q. */
static void gg_local(const gg_data *d, double p, double q, double v, double *S)
{
    enum { P, Q, V, NP = 3 };
    memset(S, 0, clv_s_len(NP) * sizeof *S);
    double ll = p * d->k1 - d->k0, all = fabs(p * d->k1) + fabs(d->k0);
    double dp = d->k1, adp = fabs(d->k1), dq = 0.0, adq = 0.0, sw = 0.0;
    double hpp = 0.0, hpq = 0.0, hqq = 0.0;
    const double lv = log(v), lg_q = clv_lgamma(q), ps_q = clv_digamma(q),
                 tg_q = clv_trigamma(q);
    for (size_t k = 0; k < d->nx; k++) {
        double x = d->gx[k], w = d->gw[k], px = p * x;
        double l1 = clv_lgamma(px + q), l2 = clv_lgamma(px);
        double ps_pxq = clv_digamma(px + q), ps_px = clv_digamma(px);
        double tg_pxq = clv_trigamma(px + q);
        ll += w * (l1 - l2 - lg_q + q * lv);
        all += w * (fabs(l1) + fabs(l2) + fabs(lg_q) + fabs(q * lv));
        dp += w * x * (ps_pxq - ps_px);
        adp += w * x * (fabs(ps_pxq) + fabs(ps_px));
        dq += w * (ps_pxq - ps_q + lv);
        adq += w * (fabs(ps_pxq) + fabs(ps_q) + fabs(lv));
        hpp += w * x * x * (tg_pxq - clv_trigamma(px));
        hpq += w * x * tg_pxq;
        hqq += w * (tg_pxq - tg_q);
        sw += w;
    }
    /* per customer: s = xm + v; sums of x ln s, ln s, x/s, 1/s, x/s^2, 1/s^2, x|ln s|, |ln s| */
    double s1 = 0, s0 = 0, r1 = 0, r0 = 0, q1 = 0, q0 = 0, a1 = 0, a0 = 0;
    const double *xs = d->x, *xm = d->xm;
    for (size_t i = 0; i < d->n; i++) {
        const double x = xs[i], s = xm[i] + v;
        const double l = log(s), inv = 1.0 / s, inv2 = inv * inv;
        s1 += x * l;
        s0 += l;
        r1 += x * inv;
        r0 += inv;
        q1 += x * inv2;
        q0 += inv2;
        a1 += x * fabs(l);
        a0 += fabs(l);
    }
    S[clv_s_ll()] = ll - (p * s1 + q * s0);
    S[clv_s_d1(P)] = dp - s1;
    S[clv_s_d1(Q)] = dq - s0;
    S[clv_s_d1(V)] = sw * q / v - (p * r1 + q * r0);
    S[clv_s_d2(NP, P, P)] = hpp;
    S[clv_s_d2(NP, P, Q)] = hpq;
    S[clv_s_d2(NP, P, V)] = -r1;
    S[clv_s_d2(NP, Q, Q)] = hqq;
    S[clv_s_d2(NP, Q, V)] = sw / v - r0;
    S[clv_s_d2(NP, V, V)] = -sw * q / (v * v) + p * q1 + q * q0;
    S[clv_s_absll(NP)] = all + p * a1 + q * a0;
    S[clv_s_absd1(NP, P)] = adp + a1;
    S[clv_s_absd1(NP, Q)] = adq + a0;
    S[clv_s_absd1(NP, V)] = sw * q / v + p * r1 + q * r0;
    S[clv_s_terms(NP)] = (double)(d->nx + d->n);
}

static int gg_objective(const double *th, clv_eval *ev, void *vctx)
{
    gg_data *d = vctx;
    double par[3] = {exp(th[0]), exp(th[1]), exp(th[2])};
    double s[CLV_S_MAX];
    gg_local(d, par[0], par[1], par[2], s);
    return clv_objective_finish(s, 3, par, d->ntotal, d->sum, d->ctx, ev);
}

int tx_gg_fit_run(const tx_clv_customer *c, size_t n, tx_clv_sum_fn sum, void *ctx,
                  tx_gg_fit *out, tx_error *err)
{
    return tx_gg_fit_run_opts(c, n, sum, ctx, NULL, out, err);
}

int tx_gg_fit_run_opts(const tx_clv_customer *c, size_t n, tx_clv_sum_fn sum, void *ctx,
                       const tx_clv_fit_opts *opts, tx_gg_fit *out, tx_error *err)
{
    gg_data d;
    memset(&d, 0, sizeof d);
    memset(out, 0, sizeof *out);
    out->stop_reason = "not fitted";
    const int max_iter = opts ? opts->max_iter : TX_CLV_MAX_ITER_DEFAULT;
    int rc, local_rc = gg_data_build(&d, c, n);
    double sm = 0.0;
    for (size_t i = 0; local_rc == TX_OK && i < d.n; i++)
        sm += d.xm[i] / d.x[i];
    double agree[3] = {(double)d.n, local_rc == TX_OK ? 0.0 : 1.0, sm};
    if (sum && (rc = sum(agree, 3, ctx)) != TX_OK) {
        tx_error_set(err, rc, "Gamma-Gamma fit: the cross-rank sum failed (status %d)", rc);
        goto out;
    }
    if (agree[1] > 0.0) {
        rc = tx_error_set(err, TX_ENOMEM, "Gamma-Gamma fit: out of memory grouping customers");
        goto out;
    }
    if (agree[0] < 1.0) {
        rc = tx_error_set(err, TX_ERR,
                          "Gamma-Gamma fit: no customers with x > 0 and monetary > 0");
        goto out;
    }
    d.ntotal = agree[0];
    d.sum = sum;
    d.ctx = ctx;
    /* Start: p = 1, q = 2, v = mean monetary (so the population mean v p/(q-1) matches). */
    double th[3] = {0.0, log(2.0), log(agree[2] / d.ntotal)};
    const clv_fit_out fit = {{&out->p, &out->q, &out->v}, {&out->se_p, &out->se_q, &out->se_v},
                             CLV_FIT_COMMON(out)};
    rc = clv_fit("Gamma-Gamma", 3, th, gg_objective, &d, GG_GTOL, GG_XTOL, max_iter, d.ntotal,
                 &fit, err);
out:
    gg_data_free(&d);
    return rc;
}

/* The smallest denominator q-1 or px+q-1 used: below it (q <= 1, where the population mean is
 * infinite) the value is clamped to stay finite. */
#define GG_MIN_DEN 1e-9

double tx_gg_expected_value(const tx_gg_fit *m, const tx_clv_customer *c)
{
    double v;
    if (isfinite(c->x) && isfinite(c->monetary) && c->x > 0.0 && c->monetary > 0.0)
        v = m->p * (m->v + c->x * c->monetary) / fmax(m->p * c->x + m->q - 1.0, GG_MIN_DEN);
    else
        v = m->v * m->p / fmax(m->q - 1.0, GG_MIN_DEN);
    return isfinite(v) ? v : 0.0;
}
