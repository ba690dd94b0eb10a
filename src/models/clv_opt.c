/* clv_opt.c - numerical helpers of the CLV fits: digamma, lgamma_r, a row-grouping hash and a
 * small dense BFGS minimiser (dimension <= 4). */
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

/* ---- BFGS --------------------------------------------------------------------------------- */

enum { NMAX = 4 };

static double dot(int n, const double *a, const double *b)
{
    double s = 0.0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

int clv_minimize(int n, double *theta, clv_objective fn, void *ctx, double gtol, int max_iter,
                 clv_min_result *res)
{
    const double c1 = 1e-4, max_coord_step = 4.0;
    double H[NMAX][NMAX], g[NMAX], d[NMAX], xn[NMAX], gn[NMAX], s[NMAX], y[NMAX];
    double f, fn_val;
    int rc, evals = 0, iter = 0, converged = 0;

    memset(res, 0, sizeof *res);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            H[i][j] = i == j ? 1.0 : 0.0;
    if ((rc = fn(theta, &f, g, ctx)) != TX_OK)
        return rc;
    evals++;
    int first = 1;
    for (;;) {
        double gnorm = sqrt(dot(n, g, g));
        if (isfinite(f) && gnorm <= gtol * fmax(1.0, fabs(f))) {
            converged = 1;
            break;
        }
        if (iter >= max_iter || !isfinite(f) || !isfinite(gnorm))
            break;
        iter++;
        /* d = -H g; fall back to steepest descent when H lost positive definiteness. */
        for (int i = 0; i < n; i++) {
            d[i] = 0.0;
            for (int j = 0; j < n; j++)
                d[i] -= H[i][j] * g[j];
        }
        double gd = dot(n, g, d);
        if (!(gd < 0.0)) {
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    H[i][j] = i == j ? 1.0 : 0.0;
            for (int i = 0; i < n; i++)
                d[i] = -g[i];
            gd = -gnorm * gnorm;
            first = 1;
        }
        double dmax = 0.0;
        for (int i = 0; i < n; i++)
            dmax = fmax(dmax, fabs(d[i]));
        double step = dmax > max_coord_step ? max_coord_step / dmax : 1.0;
        /* Backtracking; a rounding-level slack lets the last digits settle near the optimum. */
        double slack = 8.0 * 2.220446049250313e-16 * fabs(f);
        int accepted = 0;
        for (int ls = 0; ls < 60; ls++) {
            for (int i = 0; i < n; i++)
                xn[i] = theta[i] + step * d[i];
            if ((rc = fn(xn, &fn_val, gn, ctx)) != TX_OK)
                return rc;
            evals++;
            if (isfinite(fn_val) && fn_val <= f + c1 * step * gd + slack &&
                isfinite(sqrt(dot(n, gn, gn)))) {
                accepted = 1;
                break;
            }
            step *= ls < 2 ? 0.5 : 0.2;
        }
        if (!accepted)
            break; /* no decrease possible along d: stop, converged stays as measured */
        for (int i = 0; i < n; i++) {
            s[i] = xn[i] - theta[i];
            y[i] = gn[i] - g[i];
        }
        double sy = dot(n, s, y);
        if (sy > 1e-12 * sqrt(dot(n, s, s) * dot(n, y, y))) {
            if (first) { /* scale the initial inverse Hessian (Nocedal & Wright 6.20) */
                double sc = sy / dot(n, y, y);
                for (int i = 0; i < n; i++)
                    H[i][i] = sc;
                first = 0;
            }
            double Hy[NMAX], rho = 1.0 / sy;
            for (int i = 0; i < n; i++) {
                Hy[i] = 0.0;
                for (int j = 0; j < n; j++)
                    Hy[i] += H[i][j] * y[j];
            }
            double yHy = dot(n, y, Hy);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    H[i][j] += (1.0 + rho * yHy) * rho * s[i] * s[j] -
                               rho * (Hy[i] * s[j] + s[i] * Hy[j]);
        }
        memcpy(theta, xn, (size_t)n * sizeof *theta);
        memcpy(g, gn, (size_t)n * sizeof *g);
        f = fn_val;
    }
    res->f = f;
    res->gnorm = sqrt(dot(n, g, g));
    res->iters = iter;
    res->evals = evals;
    res->converged = converged;
    return TX_OK;
}

int clv_objective_finish(double *s, int n, const double *p, double ntotal, tx_clv_sum_fn sum,
                         void *ctx, double *f, double *g)
{
    if (sum) {
        int rc = sum(s, n + 1, ctx);
        if (rc != TX_OK)
            return rc;
    }
    *f = -s[0] / ntotal;
    for (int i = 0; i < n; i++)
        g[i] = -s[i + 1] * p[i] / ntotal;
    return TX_OK;
}
