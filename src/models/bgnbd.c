/* bgnbd.c - BG/NBD (Fader, Hardie & Lee 2005) with the `lifetimes` package's conventions:
 * the maximum-likelihood fit over customers spread across ranks, P(alive) and the conditional
 * expected number of purchases. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clv_internal.h"
#include "txetl/clv.h"

enum { BG_MAX_ITER = 200 };
#define BG_GTOL 1e-7 /* on ||grad|| of the mean negative log-likelihood, relative to max(1,|f|) */

/* Customers grouped for the objective: x = 0 by T, x > 0 one row per distinct (x, t_x, T)
 * (through table entries), a table of distinct times for the logs, one group per
 * distinct x for the terms that depend on x only. */
typedef struct bg_data {
    size_t nzero;     /* rows with x = 0: only T matters */
    double *zT, *zw;
    size_t npos;      /* rows with x > 0 */
    double *pw;
    uint32_t *pix;    /* row -> x group */
    uint32_t *pit, *piT; /* row -> time table entries of t_x and T */
    size_t nt;        /* time table: distinct T values and t_x values (of x > 0) */
    double *tv, *tl, *ti; /* values; scratch log(alpha + value), 1 / (alpha + value) */
    size_t nx;        /* x groups */
    double *gx, *gw;
    double *glb, *gib; /* scratch per x group: log(a) - log(b+x-1), 1/(b+x-1) */
    double ntotal;    /* customers over all ranks */
    tx_clv_sum_fn sum;
    void *ctx;
} bg_data;

static void bg_data_free(bg_data *d)
{
    free(d->zT);
    free(d->zw);
    free(d->pit);
    free(d->piT);
    free(d->tv);
    free(d->tl);
    free(d->ti);
    free(d->pw);
    free(d->pix);
    free(d->gx);
    free(d->gw);
    free(d->glb);
    free(d->gib);
    memset(d, 0, sizeof *d);
}

static int customer_ok(const tx_clv_customer *c)
{
    return isfinite(c->x) && isfinite(c->t_x) && isfinite(c->T) && c->x >= 0.0 &&
           c->t_x >= 0.0 && c->T >= c->t_x;
}

typedef struct bg_slot {
    uint64_t key; /* packed (x group, t_x entry, T entry) + 1; 0 = empty */
    uint32_t row;
} bg_slot;

/* Local: groups this rank's customers. Distinct x values and distinct times go into small
 * tables; customers with x > 0 are grouped by the packed triple of their table entries
 * (when the tables are small enough to pack, else one row each), customers with x = 0 by T.
 * Returns TX_OK or TX_ENOMEM. */
static int bg_data_build(bg_data *d, const tx_clv_customer *c, size_t n)
{
    clv_group xs, ts;
    uint32_t *cix = NULL, *cit = NULL, *ciT = NULL;
    double *zacc = NULL;
    bg_slot *slots = NULL;
    int rc = TX_ENOMEM;
    memset(&xs, 0, sizeof xs);
    memset(&ts, 0, sizeof ts);
    if (clv_group_init(&xs, 1, 64) != TX_OK || clv_group_init(&ts, 1, 1024) != TX_OK)
        goto out;
    cix = malloc((n + 1) * sizeof *cix);
    cit = malloc((n + 1) * sizeof *cit);
    ciT = malloc((n + 1) * sizeof *ciT);
    if (!cix || !cit || !ciT)
        goto out;
    size_t npos_c = 0;
    for (size_t i = 0; i < n; i++) {
        double x = c[i].x, tx = x > 0.0 ? c[i].t_x : 0.0;
        long ix = clv_group_add(&xs, &x), iT = clv_group_add(&ts, &c[i].T);
        long it = x > 0.0 ? clv_group_add(&ts, &tx) : 0;
        if (ix < 0 || iT < 0 || it < 0)
            goto out;
        cix[i] = (uint32_t)ix;
        cit[i] = (uint32_t)it;
        ciT[i] = (uint32_t)iT;
        npos_c += x > 0.0;
    }
    d->nx = xs.nrows;
    d->nt = ts.nrows;
    d->gx = malloc((d->nx + 1) * sizeof *d->gx);
    d->gw = malloc((d->nx + 1) * sizeof *d->gw);
    d->glb = malloc((d->nx + 1) * sizeof *d->glb);
    d->gib = malloc((d->nx + 1) * sizeof *d->gib);
    d->tv = malloc((d->nt + 1) * sizeof *d->tv);
    d->tl = malloc((d->nt + 1) * sizeof *d->tl);
    d->ti = malloc((d->nt + 1) * sizeof *d->ti);
    zacc = calloc(d->nt + 1, sizeof *zacc);
    d->pit = malloc((npos_c + 1) * sizeof *d->pit);
    d->piT = malloc((npos_c + 1) * sizeof *d->piT);
    d->pix = malloc((npos_c + 1) * sizeof *d->pix);
    d->pw = malloc((npos_c + 1) * sizeof *d->pw);
    if (!d->gx || !d->gw || !d->glb || !d->gib || !d->tv || !d->tl || !d->ti || !zacc ||
        !d->pit || !d->piT || !d->pix || !d->pw)
        goto out;
    memcpy(d->gx, xs.keys, d->nx * sizeof *d->gx);
    memcpy(d->gw, xs.weight, d->nx * sizeof *d->gw);
    memcpy(d->tv, ts.keys, d->nt * sizeof *d->tv);

    const int pack = d->nx < (1u << 21) && d->nt < (1u << 21);
    size_t cap = 64, mask;
    while (cap < 2 * npos_c + 2)
        cap <<= 1;
    mask = cap - 1;
    if (pack && !(slots = calloc(cap, sizeof *slots)))
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (!(c[i].x > 0.0)) {
            zacc[ciT[i]] += 1.0;
            continue;
        }
        if (pack) {
            uint64_t key = ((uint64_t)cix[i] << 42 | (uint64_t)cit[i] << 21 | ciT[i]) + 1;
            uint64_t h = key * 0x9e3779b97f4a7c15ULL;
            size_t j = (size_t)(h ^ (h >> 29)) & mask;
            while (slots[j].key != 0 && slots[j].key != key)
                j = (j + 1) & mask;
            if (slots[j].key == key) {
                d->pw[slots[j].row] += 1.0;
                continue;
            }
            slots[j].key = key;
            slots[j].row = (uint32_t)d->npos;
        }
        d->pix[d->npos] = cix[i];
        d->pit[d->npos] = cit[i];
        d->piT[d->npos] = ciT[i];
        d->pw[d->npos] = 1.0;
        d->npos++;
    }
    size_t nz = 0;
    for (size_t k = 0; k < d->nt; k++)
        nz += zacc[k] > 0.0;
    d->zT = malloc((nz + 1) * sizeof *d->zT);
    d->zw = malloc((nz + 1) * sizeof *d->zw);
    if (!d->zT || !d->zw)
        goto out;
    for (size_t k = 0; k < d->nt; k++) {
        if (zacc[k] > 0.0) {
            d->zT[d->nzero] = d->tv[k];
            d->zw[d->nzero] = zacc[k];
            d->nzero++;
        }
    }
    rc = TX_OK;
out:
    free(slots);
    free(zacc);
    free(ciT);
    free(cit);
    free(cix);
    clv_group_free(&ts);
    clv_group_free(&xs);
    return rc;
}

/* Local sums at (r, alpha, a, b): out[0] = log-likelihood, out[1..4] = its derivatives in
 * r, alpha, a, b. The log-space form of lifetimes' BetaGeoFitter._negative_log_likelihood. */
static void bg_local(const bg_data *d, double r, double al, double a, double b, double out[5])
{
    double ll = 0.0, dr = 0.0, dal = 0.0, da = 0.0, db = 0.0;
    const double lal = log(al), la = log(a);
    const double lg_r = clv_lgamma(r), lg_ab = clv_lgamma(a + b), lg_b = clv_lgamma(b);
    const double ps_r = clv_digamma(r), ps_ab = clv_digamma(a + b), ps_b = clv_digamma(b);

    for (size_t k = 0; k < d->nx; k++) {
        double x = d->gx[k], w = d->gw[k];
        ll += w * (clv_lgamma(r + x) - lg_r + r * lal + lg_ab + clv_lgamma(b + x) - lg_b -
                   clv_lgamma(a + b + x));
        double ps_abx = clv_digamma(a + b + x);
        dr += w * (clv_digamma(r + x) - ps_r + lal);
        dal += w * r / al;
        da += w * (ps_ab - ps_abx);
        db += w * (ps_ab + clv_digamma(b + x) - ps_b - ps_abx);
        if (x > 0.0) {
            d->glb[k] = la - log(b + x - 1.0);
            d->gib[k] = 1.0 / (b + x - 1.0);
        }
    }
    /* x = 0: log-likelihood term A3 = -r log(alpha + T) */
    double zs = 0.0, zi = 0.0;
    for (size_t i = 0; i < d->nzero; i++) {
        double w = d->zw[i], s = al + d->zT[i];
        zs += w * log(s);
        zi += w / s;
    }
    ll -= r * zs;
    dr -= zs;
    dal -= r * zi;
    /* x > 0: log(exp(A3) + exp(A4)), A4 = log a - log(b+x-1) - (r+x) log(alpha + t_x) */
    for (size_t k = 0; k < d->nt; k++) {
        double s = al + d->tv[k];
        d->tl[k] = log(s);
        d->ti[k] = 1.0 / s;
    }
    double pl = 0.0, pr = 0.0, pal = 0.0, p4a = 0.0, p4b = 0.0;
    for (size_t i = 0; i < d->npos; i++) {
        double w = d->pw[i], rx = r + d->gx[d->pix[i]];
        uint32_t iT = d->piT[i], it = d->pit[i];
        double lT = d->tl[iT], lt = d->tl[it];
        double A3 = -rx * lT, A4 = d->glb[d->pix[i]] - rx * lt;
        double dlt = A4 - A3;
        double e = exp(-fabs(dlt));
        double p4 = dlt > 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e), p3 = 1.0 - p4;
        pl += w * ((dlt > 0.0 ? A4 : A3) + log(1.0 + e)); /* e <= 1: log1p's accuracy not needed */
        pr -= w * (p3 * lT + p4 * lt);
        pal -= w * rx * (p3 * d->ti[iT] + p4 * d->ti[it]);
        p4a += w * p4;
        p4b += w * p4 * d->gib[d->pix[i]];
    }
    out[0] = ll + pl;
    out[1] = dr + pr;
    out[2] = dal + pal;
    out[3] = da + p4a / a;
    out[4] = db - p4b;
}

static int bg_objective(const double *th, double *f, double *g, void *vctx)
{
    bg_data *d = vctx;
    double p[4] = {exp(th[0]), exp(th[1]), exp(th[2]), exp(th[3])};
    double s[5];
    bg_local(d, p[0], p[1], p[2], p[3], s);
    return clv_objective_finish(s, 4, p, d->ntotal, d->sum, d->ctx, f, g);
}

int tx_bgnbd_fit_run(const tx_clv_customer *c, size_t n, tx_clv_sum_fn sum, void *ctx,
                     tx_bgnbd_fit *out, tx_error *err)
{
    bg_data d;
    memset(&d, 0, sizeof d);
    memset(out, 0, sizeof *out);
    int rc;
    size_t bad = 0, first_bad = 0;
    double sT = 0.0, sx = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!customer_ok(&c[i])) {
            if (bad++ == 0)
                first_bad = i;
            continue;
        }
        sT += c[i].T;
        sx += c[i].x;
    }
    int local_rc = bad ? TX_ERR : bg_data_build(&d, c, n);
    /* One agreement: counts, failures and the scale of the starting point. */
    double agree[5] = {(double)n, bad ? 1.0 : 0.0, local_rc == TX_ENOMEM ? 1.0 : 0.0, sT, sx};
    if (sum && (rc = sum(agree, 5, ctx)) != TX_OK) {
        tx_error_set(err, rc, "BG/NBD fit: the cross-rank sum failed (status %d)", rc);
        goto out;
    }
    if (bad) {
        rc = tx_error_set(err, TX_ERR,
                          "BG/NBD fit: customer %zu (local index) has invalid x=%g t_x=%g T=%g "
                          "(need finite x >= 0, 0 <= t_x <= T)",
                          first_bad, c[first_bad].x, c[first_bad].t_x, c[first_bad].T);
        goto out;
    }
    if (agree[1] > 0.0) {
        rc = tx_error_set(err, TX_ERR, "BG/NBD fit: another rank has invalid customers");
        goto out;
    }
    if (agree[2] > 0.0) {
        rc = tx_error_set(err, TX_ENOMEM, "BG/NBD fit: out of memory grouping customers");
        goto out;
    }
    if (agree[0] < 1.0) {
        rc = tx_error_set(err, TX_ERR, "BG/NBD fit: no customers");
        goto out;
    }
    d.ntotal = agree[0];
    d.sum = sum;
    d.ctx = ctx;
    /* Start: r = a = b = 1 and alpha from the purchase rate ignoring dropout (mean x / mean T),
     * kept within the time scale of the data. */
    double mT = agree[3] / d.ntotal, mx = agree[4] / d.ntotal;
    if (!(mT > 0.0))
        mT = 1.0;
    double al0 = mx > 0.0 ? mT / mx : mT;
    al0 = fmin(fmax(al0, 0.05 * mT), 20.0 * mT);
    double th[4] = {0.0, log(al0), 0.0, 0.0};
    clv_min_result res;
    rc = clv_minimize(4, th, bg_objective, &d, BG_GTOL, BG_MAX_ITER, &res);
    if (rc != TX_OK) {
        tx_error_set(err, rc, "BG/NBD fit: the cross-rank sum failed (status %d)", rc);
        goto out;
    }
    out->r = exp(th[0]);
    out->alpha = exp(th[1]);
    out->a = exp(th[2]);
    out->b = exp(th[3]);
    out->loglik = -res.f * d.ntotal;
    out->grad_norm = res.gnorm;
    out->converged = res.converged;
    out->n = (unsigned long long)d.ntotal;
out:
    bg_data_free(&d);
    return rc;
}

/* ---- predictions -------------------------------------------------------------------------- */

/* Inputs made usable: x, t_x >= 0, T >= t_x (a prediction never fails). */
static void clamp_customer(const tx_clv_customer *c, double *x, double *tx, double *T)
{
    *x = isfinite(c->x) && c->x > 0.0 ? c->x : 0.0;
    *tx = isfinite(c->t_x) && c->t_x > 0.0 ? c->t_x : 0.0;
    *T = isfinite(c->T) && c->T > *tx ? c->T : *tx;
}

/* log of lifetimes' P(alive) odds denominator term: (r+x) log((alpha+T)/(alpha+t_x))
 * + log(a / (b + max(x,1) - 1)). */
static double log_div(const tx_bgnbd_fit *m, double x, double tx, double T)
{
    double bx = m->b + fmax(x, 1.0) - 1.0;
    return (m->r + x) * (log1p((T - tx) / (m->alpha + tx))) + log(m->a) - log(bx);
}

double tx_bgnbd_p_alive(const tx_bgnbd_fit *m, const tx_clv_customer *c)
{
    double x, tx, T;
    clamp_customer(c, &x, &tx, &T);
    if (x == 0.0)
        return 1.0;
    double ld = log_div(m, x, tx, T);
    if (!isfinite(ld))
        return ld > 0.0 ? 0.0 : 1.0;
    if (ld > 0.0) {
        double e = exp(-ld);
        return e / (1.0 + e);
    }
    return 1.0 / (1.0 + exp(ld));
}

/* expected_alive (below) for large tau, where the series would need too many terms: the
 * Beta expectation integrated in u = logit(p) with the trapezoidal rule (the integrand is
 * analytic and decays exponentially on both sides, so the rule converges geometrically), plus
 * closed-form tails: u < uL (p tau tiny: f ~ R tau (1 - (R+1) p tau / 2)) and u > uR
 * (p ~ 1: f ~ 1 - (1+tau)^-R). */
static double expected_alive_quad(double R, double a, double bb, double tau)
{
    const double lB = clv_lgamma(a) + clv_lgamma(bb) - clv_lgamma(a + bb);
    const double kappa = a * bb / (a + bb), sigma = 1.0 / sqrt(kappa);
    const double umode = log(a) - log(bb);
    double uL = -18.0 - log(fmax(tau * (R + 1.0), a + bb));
    double uR = 37.0;
    uL = fmin(uL, umode - 40.0 * sigma);
    uR = fmax(uR, umode + 40.0 * sigma);
    double h = fmin(0.25, 0.3 * sigma);
    double steps = ceil((uR - uL) / h);
    if (steps > 200000.0) /* pathological parameters: a coarser rule, still finite */
        steps = 200000.0;
    h = (uR - uL) / steps;
    double acc = 0.0;
    for (long k = 0; k <= (long)steps; k++) {
        double u = uL + (double)k * h;
        double lp = u >= 0.0 ? -log1p(exp(-u)) : u - log1p(exp(u)); /* log p */
        double lq = lp - u;                                         /* log (1-p) */
        double pr = exp(lp);
        double y = pr * tau; /* f = (1 - (1+y)^-R) / p, its expansion when y is tiny */
        double f = y < 1e-8 ? R * tau * (1.0 - 0.5 * (R + 1.0) * y) : -expm1(-R * log1p(y)) / pr;
        double w = exp(a * lp + bb * lq - lB);
        acc += (k == 0 || k == (long)steps ? 0.5 : 1.0) * f * w;
    }
    acc *= h;
    double left = R * tau *
                  (exp(a * uL) / a - ((a + bb) + 0.5 * (R + 1.0) * tau) * exp((a + 1.0) * uL) /
                                         (a + 1.0));
    double right = -expm1(-R * log1p(tau)) * exp(-bb * uR) / bb;
    return acc + (left + right) * exp(-lB);
}

/* E[purchases in the next tau*(alpha+T) | alive] for lambda ~ Gamma(R, alpha+T) and
 * p ~ Beta(a, bb), i.e. E_p[(1 - (1 + p tau)^-R) / p]. Equal to lifetimes'
 * (a+b+x-1)/(a-1) * (1 - (1-z)^R 2F1(R, b+x; a+b+x-1; z)), z = tau/(1+tau), but written as a
 * negative-binomial mixture with only positive terms:
 *   sum_{n>=1} NB(n; R, z) * S_n,  S_n = sum_{j<n} (bb)_j / (a+bb)_j,
 * so it needs neither a != 1 nor a+b+x-1 > 0 and cannot cancel, overflow or turn NaN. */
static double expected_alive(double R, double a, double bb, double tau)
{
    if (!(tau > 0.0))
        return 0.0;
    if (!isfinite(tau))
        tau = 1e300;
    /* the series needs about R tau + 40 (1 + tau) terms */
    if (R * tau + 40.0 * (1.0 + tau) > 4000.0)
        return fmin(fmax(expected_alive_quad(R, a, bb, tau), 0.0), R * tau);
    const double z = tau / (1.0 + tau);
    const double big = 1e250, lbig = 250.0 * 2.302585092994046;
    double lscale = -R * log1p(tau); /* log of the NB(0) probability (1-z)^R */
    double P = 1.0;                  /* NB(n) / exp(lscale) */
    double q = 1.0;                  /* (bb)_j / (a+bb)_j at j = n-1 */
    double S = 0.0, acc = 0.0;
    const long max_terms = 5000000L; /* tau ~ 1e5: far beyond any horizon */
    /* Up to the mean R*tau every term counts; after it, test the tail every 8 terms. */
    long n = 1, mean = (long)fmin(R * tau, (double)max_terms);
    for (;;) {
        long stop = n <= mean ? mean : n + 7;
        for (; n <= stop; n++) {
            double j = (double)(n - 1), dn = (double)n, c = a + bb + j;
            double inv = 1.0 / (dn * c); /* one division for both ratios */
            P *= (R + j) * z * c * inv;
            S += q;
            acc += P * S;
            q *= (bb + j) * dn * inv;
            if (P > big) {
                P /= big;
                acc /= big;
                lscale += lbig;
            }
        }
        if (n > max_terms || !(acc > 0.0))
            break;
        /* later ratios P(m+1)/P(m) are at most rho; S grows by at most q per term */
        double rc = (R + (double)n) / (double)(n + 1) * z;
        double rho = rc > z ? rc : z;
        if (rho < 1.0) {
            double tail = P * (S * rho / (1.0 - rho) + q * rho / ((1.0 - rho) * (1.0 - rho)));
            if (tail <= 1e-15 * acc)
                break;
        }
    }
    if (!(acc > 0.0))
        return 0.0;
    double v = exp(lscale + log(acc));
    if (!isfinite(v)) /* cannot exceed R*tau (the limit p -> 0) */
        v = R * tau;
    return fmin(v, R * tau);
}

/* E[Y(t)] = P(alive) * expected_alive (lifetimes' numerator / denominator). */
static double expected_purchases(const tx_bgnbd_fit *m, double x, double T, double p_alive,
                                 double t)
{
    if (!(t > 0.0) || !isfinite(t))
        return 0.0;
    double v = p_alive * expected_alive(m->r + x, m->a, m->b + x, t / (m->alpha + T));
    return isfinite(v) ? v : 0.0;
}

double tx_bgnbd_expected(const tx_bgnbd_fit *m, const tx_clv_customer *c, double t)
{
    double x, tx, T;
    clamp_customer(c, &x, &tx, &T);
    return expected_purchases(m, x, T, tx_bgnbd_p_alive(m, c), t);
}

double tx_clv_value(const tx_bgnbd_fit *m, const tx_clv_customer *c, double expected_value,
                    int months, double discount_monthly, double units_per_month)
{
    if (months <= 0 || !isfinite(expected_value) || !(units_per_month > 0.0))
        return 0.0;
    double d = isfinite(discount_monthly) && discount_monthly > -0.999 ? discount_monthly : 0.0;
    double x, tx, T;
    clamp_customer(c, &x, &tx, &T);
    double pa = tx_bgnbd_p_alive(m, c);
    double prev = 0.0, disc = 1.0, clv = 0.0;
    for (int k = 1; k <= months; k++) {
        double cur = expected_purchases(m, x, T, pa, (double)k * units_per_month);
        disc *= 1.0 + d;
        clv += expected_value * (cur - prev) / disc;
        prev = cur;
    }
    return isfinite(clv) ? clv : 0.0;
}
