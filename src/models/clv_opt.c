/* clv_opt.c - numerical helpers of the CLV fits: digamma, trigamma, lgamma_r, a row-grouping
 * hash, and a small dense Newton minimiser on exact Hessians (dimension <= 4). */
#include "clv_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "txetl/error.h"

double clv_digamma(double x)
{
    double acc = 0.0;
    while (x < 10.0) {
        acc -= 1.0 / x;
        x += 1.0;
    }
    double f = 1.0 / (x * x);
    /* -sum B_2k / (2k x^2k), k = 1..7 */
    double t = f * (-1.0 / 12 +
                    f * (1.0 / 120 +
                         f * (-1.0 / 252 +
                              f * (1.0 / 240 + f * (-1.0 / 132 + f * (691.0 / 32760 - f / 12.0))))));
    return acc + log(x) - 0.5 / x + t;
}

double clv_trigamma(double x)
{
    double acc = 0.0;
    while (x < 10.0) {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    double f = 1.0 / (x * x);
    /* 1/x + 1/(2x^2) + sum B_2k / x^(2k+1), k = 1..7 */
    double t = f * (1.0 / 6 +
                    f * (-1.0 / 30 +
                         f * (1.0 / 42 +
                              f * (-1.0 / 30 + f * (5.0 / 66 + f * (-691.0 / 2730 + f * 7.0 / 6))))));
    return acc + (1.0 + 0.5 / x + t) / x;
}

double clv_lgamma(double x)
{
    int sign;
    return lgamma_r(x, &sign);
}

/* ---- grouping hash ---------------------------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
    z ^= z >> 30;
    z *= 0xbf58476d1ce4e5b9ULL;
    z ^= z >> 27;
    z *= 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return z;
}

static uint64_t key_hash(const double *key, int width)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < width; i++) {
        uint64_t bits;
        memcpy(&bits, &key[i], sizeof bits);
        h = mix64(h ^ bits) + (uint64_t)i;
    }
    return h;
}

int clv_group_init(clv_group *g, int width, size_t expect)
{
    memset(g, 0, sizeof *g);
    g->width = width;
    g->cap = 64;
    while (g->cap < 2 * expect + 2)
        g->cap <<= 1;
    g->rows_cap = expect + 16;
    g->slots = calloc(g->cap, sizeof *g->slots);
    g->keys = malloc(g->rows_cap * (size_t)width * sizeof *g->keys);
    g->weight = malloc(g->rows_cap * sizeof *g->weight);
    if (!g->slots || !g->keys || !g->weight) {
        clv_group_free(g);
        return TX_ENOMEM;
    }
    return TX_OK;
}

void clv_group_free(clv_group *g)
{
    free(g->slots);
    free(g->keys);
    free(g->weight);
    memset(g, 0, sizeof *g);
}

/* Doubles the slot table (keeps the load factor <= 1/2). */
static int group_grow(clv_group *g)
{
    size_t cap = g->cap * 2, mask = cap - 1;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return TX_ENOMEM;
    for (size_t r = 0; r < g->nrows; r++) {
        size_t i = (size_t)key_hash(&g->keys[r * (size_t)g->width], g->width) & mask;
        while (slots[i] != 0)
            i = (i + 1) & mask;
        slots[i] = (uint32_t)(r + 1);
    }
    free(g->slots);
    g->slots = slots;
    g->cap = cap;
    return TX_OK;
}

long clv_group_add(clv_group *g, const double *key)
{
    const int w = g->width;
    if (2 * (g->nrows + 1) > g->cap && group_grow(g) != TX_OK)
        return -1;
    size_t mask = g->cap - 1;
    size_t i = (size_t)key_hash(key, w) & mask;
    for (;;) {
        uint32_t s = g->slots[i];
        if (s == 0)
            break;
        const double *k = &g->keys[(size_t)(s - 1) * (size_t)w];
        int same = 1;
        for (int j = 0; j < w; j++) { /* bitwise: -0.0 and 0.0 are distinct rows, harmless */
            uint64_t u, v;
            memcpy(&u, &k[j], sizeof u);
            memcpy(&v, &key[j], sizeof v);
            same &= u == v;
        }
        if (same) {
            g->weight[s - 1] += 1.0;
            return (long)(s - 1);
        }
        i = (i + 1) & mask;
    }
    if (g->nrows == g->rows_cap) {
        size_t nc = g->rows_cap * 2;
        double *nk = realloc(g->keys, nc * (size_t)w * sizeof *nk);
        if (!nk)
            return -1;
        g->keys = nk;
        double *nw = realloc(g->weight, nc * sizeof *nw);
        if (!nw)
            return -1;
        g->weight = nw;
        g->rows_cap = nc;
    }
    if (g->nrows >= UINT32_MAX - 1)
        return -1;
    memcpy(&g->keys[g->nrows * (size_t)w], key, (size_t)w * sizeof *key);
    g->weight[g->nrows] = 1.0;
    g->slots[i] = (uint32_t)(g->nrows + 1);
    return (long)g->nrows++;
}

/* ---- the objectives' common tail ---------------------------------------------------------- */

#define EPS 2.220446049250313e-16

int clv_objective_finish(double *s, int n, const double *p, double ntotal, tx_clv_sum_fn sum,
                         void *ctx, clv_eval *ev)
{
    if (sum) {
        int rc = sum(s, clv_s_len(n), ctx);
        if (rc != TX_OK)
            return rc;
    }
    memset(ev, 0, sizeof *ev);
    /* Rounding level of a sum of m terms: the terms' own errors (a few ulps each) plus the
     * accumulated additions, which grow like sqrt(m) in practice (n m eps is the bound). */
    const double lev = EPS * (16.0 + sqrt(fmax(s[clv_s_terms(n)], 1.0))) / ntotal;
    ev->f = -s[clv_s_ll()] / ntotal;
    ev->f_round = lev * s[clv_s_absll(n)];
    for (int i = 0; i < n; i++) {
        ev->g[i] = -s[clv_s_d1(i)] * p[i] / ntotal;
        ev->g_round[i] = lev * s[clv_s_absd1(n, i)] * p[i];
        for (int j = i; j < n; j++) {
            /* d2f/dtheta_i dtheta_j = p_i p_j d2F/dp_i dp_j + [i == j] p_i dF/dp_i */
            double h = s[clv_s_d2(n, i, j)] * p[i] * p[j] + (i == j ? s[clv_s_d1(i)] * p[i] : 0.0);
            ev->H[i][j] = ev->H[j][i] = -h / ntotal;
        }
    }
    return TX_OK;
}

/* ---- Newton ------------------------------------------------------------------------------- */

static double dot(int n, const double *a, const double *b)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Cyclic Jacobi eigen-decomposition of the symmetric n x n matrix A: A = V diag(w) V^T.
 * Deterministic; converges quadratically, a handful of sweeps for n <= 4. */
static void sym_eigen(int n, const double A[CLV_NMAX][CLV_NMAX], double w[CLV_NMAX],
                      double V[CLV_NMAX][CLV_NMAX])
{
    double a[CLV_NMAX][CLV_NMAX];
    memcpy(a, A, sizeof a);
    for (int i = 0; i < CLV_NMAX; i++)
        for (int j = 0; j < CLV_NMAX; j++)
            V[i][j] = i == j ? 1.0 : 0.0;
    for (int sweep = 0; sweep < 60; sweep++) {
        double off = 0.0, diag = 0.0;
        for (int i = 0; i < n; i++) {
            diag += a[i][i] * a[i][i];
            for (int j = i + 1; j < n; j++)
                off += a[i][j] * a[i][j];
        }
        if (!(off > 1e-36 * diag))
            break;
        for (int p = 0; p < n; p++) {
            for (int q = p + 1; q < n; q++) {
                if (a[p][q] == 0.0)
                    continue;
                double theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                double t = (theta >= 0.0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < n; k++) { /* columns p, q */
                    double akp = a[k][p], akq = a[k][q];
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) { /* rows p, q */
                    double apk = a[p][k], aqk = a[q][k];
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for (int k = 0; k < n; k++) {
                    double vkp = V[k][p], vkq = V[k][q];
                    V[k][p] = c * vkp - s * vkq;
                    V[k][q] = s * vkp + c * vkq;
                }
            }
        }
    }
    for (int i = 0; i < n; i++)
        w[i] = a[i][i];
}

/* M = V diag(1 / d) V^T. */
static void eigen_inverse(int n, const double V[CLV_NMAX][CLV_NMAX], const double *d,
                          double M[CLV_NMAX][CLV_NMAX])
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int k = 0; k < n; k++)
                s += V[i][k] * V[j][k] / d[k];
            M[i][j] = s;
        }
}

static int eval_finite(int n, const clv_eval *e)
{
    int ok = isfinite(e->f);
    for (int i = 0; i < n; i++) {
        ok &= isfinite(e->g[i]);
        for (int j = 0; j < n; j++)
            ok &= isfinite(e->H[i][j]);
    }
    return ok;
}

const char *clv_stop_text(clv_stop s)
{
    switch (s) {
    case CLV_STOP_CONVERGED:
        return "converged";
    case CLV_STOP_MAX_ITER:
        return "iteration limit reached";
    case CLV_STOP_NONFINITE:
        return "non-finite log-likelihood or derivatives";
    case CLV_STOP_BOUNDARY:
        return "a parameter ran to a boundary (0 or infinity)";
    case CLV_STOP_NO_DESCENT:
        return "no decrease along the Newton step before the tolerances were met";
    }
    return "unknown";
}

int clv_minimize(int n, double *theta, clv_objective fn, void *ctx, double gtol, double xtol,
                 int max_iter, double ntotal, clv_min_result *res)
{
    const double c1 = 1e-4, max_coord_step = 2.0, max_abs_theta = 25.0, max_round_step = 1e-8;
    double theta0[CLV_NMAX], d[CLV_NMAX], xn[CLV_NMAX];
    double w[CLV_NMAX], V[CLV_NMAX][CLV_NMAX], Hi[CLV_NMAX][CLV_NMAX];
    clv_eval e, en;
    int rc;

    memset(res, 0, sizeof *res);
    memset(Hi, 0, sizeof Hi);
    memcpy(theta0, theta, (size_t)n * sizeof *theta);
    if ((rc = fn(theta, &e, ctx)) != TX_OK)
        return rc;
    res->evals++;
    res->stop = CLV_STOP_MAX_ITER;
    for (;;) {
        if (!eval_finite(n, &e)) {
            res->stop = CLV_STOP_NONFINITE;
            break;
        }
        /* Newton direction from |H|: the eigenvalues in absolute value, floored. */
        sym_eigen(n, e.H, w, V);
        double wmax = 0.0;
        int pd = 1;
        for (int i = 0; i < n; i++) {
            wmax = fmax(wmax, fabs(w[i]));
            pd &= w[i] > 0.0;
        }
        for (int i = 0; i < n; i++)
            w[i] = fmax(fabs(w[i]), fmax(1e-10 * wmax, 1e-300));
        eigen_inverse(n, V, w, Hi);
        int grad_ok = 1, step_ok = 1;
        const double gt = gtol * fmax(1.0, fabs(e.f));
        for (int i = 0; i < n; i++) {
            d[i] = 0.0;
            double d_round = 0.0;
            for (int j = 0; j < n; j++) {
                d[i] -= Hi[i][j] * e.g[j];
                d_round += fabs(Hi[i][j]) * e.g_round[j];
            }
            grad_ok &= fabs(e.g[i]) <= fmax(gt, e.g_round[i]);
            /* The rounding allowance is capped: where it would be larger the direction is
             * flat (a ridge running off to 0 or infinity, an unidentified parameter), and a
             * step there is not noise but the way to the supremum. */
            step_ok &= fabs(d[i]) <= xtol + fmin(d_round, max_round_step);
        }
        if (pd && grad_ok && step_ok) {
            res->stop = CLV_STOP_CONVERGED;
            break;
        }
        if (res->iters >= max_iter)
            break;
        res->iters++;
        double dmax = 0.0;
        for (int i = 0; i < n; i++)
            dmax = fmax(dmax, fabs(d[i]));
        double step = dmax > max_coord_step ? max_coord_step / dmax : 1.0;
        double gd = dot(n, e.g, d); /* < 0: |H|^-1 is positive definite */
        int accepted = 0;
        for (int ls = 0; ls < 60 && !accepted; ls++) {
            for (int i = 0; i < n; i++)
                xn[i] = theta[i] + step * d[i];
            if ((rc = fn(xn, &en, ctx)) != TX_OK)
                return rc;
            res->evals++;
            accepted = eval_finite(n, &en) && en.f <= e.f + c1 * step * gd + e.f_round;
            if (!accepted)
                step *= 0.5;
        }
        if (!accepted) {
            res->stop = CLV_STOP_NO_DESCENT;
            break;
        }
        memcpy(theta, xn, (size_t)n * sizeof *theta);
        e = en;
        int out = 0;
        for (int i = 0; i < n; i++)
            out |= fabs(theta[i] - theta0[i]) > max_abs_theta;
        if (out) {
            res->stop = CLV_STOP_BOUNDARY;
            break;
        }
    }
    res->at = e;
    res->gnorm = sqrt(dot(n, e.g, e.g));
    /* Standard errors (lifetimes' summary): inverse Hessian of the mean objective / ntotal. */
    int pd = eval_finite(n, &e);
    if (pd) {
        sym_eigen(n, e.H, w, V);
        for (int i = 0; i < n; i++)
            pd &= w[i] > 0.0;
    }
    if (pd)
        eigen_inverse(n, V, w, Hi);
    for (int i = 0; i < n; i++)
        res->se[i] = pd && Hi[i][i] > 0.0 ? sqrt(Hi[i][i] / ntotal) : NAN;
    return TX_OK;
}

int clv_fit(const char *model, int npar, double *theta, clv_objective fn, void *ctx, double gtol,
            double xtol, int max_iter, double ntotal, const clv_fit_out *out, tx_error *err)
{
    clv_min_result res;
    int rc = clv_minimize(npar, theta, fn, ctx, gtol, xtol, max_iter, ntotal, &res);
    if (rc != TX_OK)
        return tx_error_set(err, rc, "%s fit: the cross-rank sum failed (status %d)", model, rc);
    for (int i = 0; i < npar; i++) {
        *out->par[i] = exp(theta[i]);
        *out->se[i] = *out->par[i] * res.se[i];
    }
    *out->loglik = -res.at.f * ntotal;
    *out->grad_norm = res.gnorm;
    *out->converged = res.stop == CLV_STOP_CONVERGED;
    *out->n = (unsigned long long)ntotal;
    *out->iterations = res.iters;
    *out->stop_reason = clv_stop_text(res.stop);
    return TX_OK;
}
