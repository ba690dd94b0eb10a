/* gamma_gamma.c - the Gamma-Gamma spend model (Fader & Hardie 2013) with the `lifetimes`
 * package's conventions: the fit over customers with x > 0 and monetary > 0 spread across
 * ranks, and the conditional expected average value. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clv_internal.h"
#include "txetl/clv.h"

enum { GG_MAX_ITER = 200 };
#define GG_GTOL 1e-7

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

/* Local sums: out[0] = sum of lifetimes' per-customer log-likelihood
 *   lgamma(px+q) - lgamma(px) - lgamma(q) + q ln v + (px-1) ln m + px ln x - (px+q) ln(xm+v),
 * out[1..3] = its derivatives in p, q, v. */
static void gg_local(const gg_data *d, double p, double q, double v, double out[4])
{
    double ll = p * d->k1 - d->k0, dp = d->k1, dq = 0.0, dv = 0.0;
    const double lv = log(v), lg_q = clv_lgamma(q), ps_q = clv_digamma(q);
    for (size_t k = 0; k < d->nx; k++) {
        double x = d->gx[k], w = d->gw[k], px = p * x;
        double ps_pxq = clv_digamma(px + q);
        ll += w * (clv_lgamma(px + q) - clv_lgamma(px) - lg_q + q * lv);
        dp += w * x * (ps_pxq - clv_digamma(px));
        dq += w * (ps_pxq - ps_q + lv);
        dv += w * q / v;
    }
    double s1 = 0.0, s0 = 0.0, r1 = 0.0, r0 = 0.0;
    for (size_t i = 0; i < d->n; i++) {
        double x = d->x[i], s = d->xm[i] + v;
        double l = log(s), inv = 1.0 / s;
        s1 += x * l;
        s0 += l;
        r1 += x * inv;
        r0 += inv;
    }
    out[0] = ll - (p * s1 + q * s0);
    out[1] = dp - s1;
    out[2] = dq - s0;
    out[3] = dv - (p * r1 + q * r0);
}

static int gg_objective(const double *th, double *f, double *g, void *vctx)
{
    gg_data *d = vctx;
    double par[3] = {exp(th[0]), exp(th[1]), exp(th[2])};
    double s[4];
    gg_local(d, par[0], par[1], par[2], s);
    return clv_objective_finish(s, 3, par, d->ntotal, d->sum, d->ctx, f, g);
}

int tx_gg_fit_run(const tx_clv_customer *c, size_t n, tx_clv_sum_fn sum, void *ctx,
                  tx_gg_fit *out, tx_error *err)
{
    gg_data d;
    memset(&d, 0, sizeof d);
    memset(out, 0, sizeof *out);
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
    clv_min_result res;
    rc = clv_minimize(3, th, gg_objective, &d, GG_GTOL, GG_MAX_ITER, &res);
    if (rc != TX_OK) {
        tx_error_set(err, rc, "Gamma-Gamma fit: the cross-rank sum failed (status %d)", rc);
        goto out;
    }
    out->p = exp(th[0]);
    out->q = exp(th[1]);
    out->v = exp(th[2]);
    out->loglik = -res.f * d.ntotal;
    out->grad_norm = res.gnorm;
    out->converged = res.converged;
    out->n = (unsigned long long)d.ntotal;
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
