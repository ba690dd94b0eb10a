/* clv_predict.c - per-customer predictions of the fitted models with the `lifetimes`
 * package's conventions (docs/analytics.md): P(alive), the conditional expected number of purchases
 * and the customer lifetime value, one customer at a time (tx_bgnbd_p_alive,
 * tx_bgnbd_expected, tx_clv_value) and for many customers at once (tx_clv_predict: the
 * hypergeometric part once per distinct (x, T), the same values bit for bit). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clv_internal.h"
#include "txetl/clv.h"


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

/* ---- many customers at once --------------------------------------------------------------- */

enum { PREDICT_TABLE_DEFAULT = 1 << 22 };

/* The grouped state of tx_clv_predict: customers -> distinct (x, T) rows (clamped inputs)
 * and, per row, r + x and log(b + max(x,1) - 1) for P(alive). */
typedef struct predict_groups {
    clv_group g;
    uint32_t *gi;      /* customer -> row */
    double *grx, *glb; /* per row */
} predict_groups;

static void predict_groups_free(predict_groups *p)
{
    clv_group_free(&p->g);
    free(p->gi);
    free(p->grx);
    free(p->glb);
}

static int predict_groups_build(predict_groups *p, const tx_bgnbd_fit *m,
                                const tx_clv_customer *c, size_t n)
{
    memset(p, 0, sizeof *p);
    p->gi = malloc((n + 1) * sizeof *p->gi);
    if (!p->gi || clv_group_init(&p->g, 2, 1024) != TX_OK)
        return TX_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        double key[2], tx;
        clamp_customer(&c[i], &key[0], &tx, &key[1]);
        long r = clv_group_add(&p->g, key);
        if (r < 0)
            return TX_ENOMEM;
        p->gi[i] = (uint32_t)r;
    }
    const size_t ng = p->g.nrows;
    p->grx = malloc((ng + 1) * sizeof *p->grx);
    p->glb = malloc((ng + 1) * sizeof *p->glb);
    if (!p->grx || !p->glb)
        return TX_ENOMEM;
    for (size_t k = 0; k < ng; k++) {
        double x = p->g.keys[2 * k];
        p->grx[k] = m->r + x;
        p->glb[k] = log(m->b + fmax(x, 1.0) - 1.0); /* as log_div */
    }
    return TX_OK;
}

/* P(alive) of every customer: tx_bgnbd_p_alive's operations in its order, with selects. */
static void predict_p_alive(const predict_groups *p, const tx_bgnbd_fit *m,
                            const tx_clv_customer *c, size_t n, double *pa)
{
    const double la = log(m->a), al = m->alpha;
    const uint32_t *gi = p->gi;
    const double *grx = p->grx, *glb = p->glb;
    for (size_t i = 0; i < n; i++) {
        double x, tx, T;
        clamp_customer(&c[i], &x, &tx, &T);
        const uint32_t g = gi[i];
        const double ld = grx[g] * (log1p((T - tx) / (al + tx))) + la - glb[g];
        const double e = exp(-fabs(ld)); /* ld = +-inf: 0, so 0 / 1 or 1 / 1 as before */
        const double v = (ld > 0.0 ? e : 1.0) / (1.0 + e);
        pa[i] = x > 0.0 && !isnan(ld) ? v : 1.0;
    }
}

/* tab[k * bw + j] = expected_alive of row k at time ts[j] (0 where expected_purchases would
 * return 0 for the time), j < nc <= bw. */
static void predict_table(const predict_groups *p, const tx_bgnbd_fit *m, const double *ts,
                          size_t nc, size_t bw, double *tab)
{
    for (size_t k = 0; k < p->g.nrows; k++) {
        const double x = p->g.keys[2 * k], T = p->g.keys[2 * k + 1];
        for (size_t j = 0; j < nc; j++) {
            const double t = ts[j];
            tab[k * bw + j] = !(t > 0.0) || !isfinite(t)
                                  ? 0.0
                                  : expected_alive(m->r + x, m->a, m->b + x, t / (m->alpha + T));
        }
    }
}

/* expected_purchases' product and its guard (pa is finite, in [0, 1]). */
static inline double finite_or_zero(double v) { return isfinite(v) ? v : 0.0; }

int tx_clv_predict(const tx_bgnbd_fit *bg, const tx_gg_fit *gg, const tx_clv_customer *c,
                   size_t n, const tx_clv_predict_opts *o, double *p_alive, double *expected,
                   double *expected_value, double *clv, size_t *ngroups, tx_error *err)
{
    predict_groups p;
    double *pa = p_alive, *ev = expected_value, *prev = NULL, *tab = NULL, *ts = NULL;
    double *disc = NULL, *pa_s = NULL, *ev_s = NULL;
    int rc = predict_groups_build(&p, bg, c, n);
    if (ngroups)
        *ngroups = p.g.nrows;
    if (rc != TX_OK)
        goto out;
    rc = TX_ENOMEM;
    if (!pa && !(pa = pa_s = malloc((n + 1) * sizeof *pa)))
        goto out;
    predict_p_alive(&p, bg, c, n, pa);

    /* Gamma-Gamma: per customer, cheap. */
    if (!gg) {
        for (size_t i = 0; i < n; i++) {
            if (expected_value)
                expected_value[i] = NAN;
            if (clv)
                clv[i] = NAN;
        }
        clv = NULL;
    } else {
        if (clv && !ev && !(ev = ev_s = malloc((n + 1) * sizeof *ev)))
            goto out;
        for (size_t i = 0; ev && i < n; i++)
            ev[i] = tx_gg_expected_value(gg, &c[i]);
    }

    /* Columns: ts[0] = the horizon (when wanted and not equal to F), then k F, k = 1..months
     * (when clv is wanted and tx_clv_value would not return 0 for everyone). */
    const double F = o->units_per_month;
    const int nm = clv && o->months > 0 && F > 0.0 ? o->months : 0;
    if (clv && nm == 0)
        for (size_t i = 0; i < n; i++)
            clv[i] = 0.0;
    const int hcol = expected && nm > 0 && o->horizon == F ? 1 : expected ? 0 : -1;
    const size_t first = hcol == 0 ? 0 : 1, ncol = (size_t)nm + 1 - first;
    if (ncol == 0 || n == 0) {
        rc = TX_OK;
        goto out;
    }
    ts = malloc(((size_t)nm + 1) * sizeof *ts);
    disc = malloc(((size_t)nm + 1) * sizeof *disc);
    if (!ts || !disc)
        goto out;
    const double dm = o->discount_monthly;
    const double d = isfinite(dm) && dm > -0.999 ? dm : 0.0;
    ts[0] = o->horizon;
    disc[0] = 1.0;
    for (int k = 1; k <= nm; k++) { /* tx_clv_value's sequence */
        ts[k] = (double)k * F;
        disc[k] = disc[k - 1] * (1.0 + d);
    }
    const size_t ng = p.g.nrows, budget = o->max_table ? o->max_table : PREDICT_TABLE_DEFAULT;
    const size_t bw = budget / ng >= ncol ? ncol : budget / ng > 0 ? budget / ng : 1;
    tab = malloc((ng * bw + 1) * sizeof *tab);
    if (!tab || (nm > 0 && !(prev = malloc((n + 1) * sizeof *prev))))
        goto out;
    for (size_t i = 0; nm > 0 && i < n; i++)
        clv[i] = prev[i] = 0.0;
    const uint32_t *gi = p.gi;
    /* The columns first .. nm in passes of bw: a table, then every customer. */
    for (size_t j0 = first; j0 <= (size_t)nm; j0 += bw) {
        const size_t nc = (size_t)nm + 1 - j0 < bw ? (size_t)nm + 1 - j0 : bw;
        predict_table(&p, bg, ts + j0, nc, bw, tab);
        if (hcol >= 0 && (size_t)hcol >= j0 && (size_t)hcol < j0 + nc) {
            const size_t jh = (size_t)hcol - j0;
            for (size_t i = 0; i < n; i++)
                expected[i] = finite_or_zero(pa[i] * tab[(size_t)gi[i] * bw + jh]);
        }
        const size_t k0 = j0 == 0 ? 1 : j0; /* clv columns of this pass: k0 .. j0+nc-1 */
        for (size_t i = 0; nm > 0 && i < n; i++) {
            const double *row = tab + (size_t)gi[i] * bw; /* column k at row[k - j0] */
            const double pai = pa[i], evi = ev[i];
            double acc = clv[i], pr = prev[i];
            for (size_t k = k0; k < j0 + nc; k++) {
                const double cur = finite_or_zero(pai * row[k - j0]);
                acc += evi * (cur - pr) / disc[k];
                pr = cur;
            }
            clv[i] = acc;
            prev[i] = pr;
        }
    }
    for (size_t i = 0; nm > 0 && i < n; i++)
        clv[i] = isfinite(ev[i]) && isfinite(clv[i]) ? clv[i] : 0.0;
    rc = TX_OK;
out:
    if (rc != TX_OK)
        tx_error_set(err, rc, "CLV predictions: out of memory (%zu customers)", n);
    free(tab);
    free(prev);
    free(disc);
    free(ts);
    free(ev_s);
    free(pa_s);
    predict_groups_free(&p);
    return rc;
}
