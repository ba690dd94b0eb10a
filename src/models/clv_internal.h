/* clv_internal.h - what the CLV model files share inside tx_models: digamma, lgamma without the
 * global signgam, a (x, t_x, T) row hash for grouping customers, and the BFGS minimiser that
 * both fits drive. Not installed; include/txetl/clv.h is the public contract. */
#ifndef TXETL_MODELS_CLV_INTERNAL_H
#define TXETL_MODELS_CLV_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "txetl/clv.h"

/* Digamma for x > 0: recurrence up to x >= 10, then the asymptotic series (|error| < 1e-15). */
double clv_digamma(double x);

/* ln Gamma(x) for x > 0, thread-safe (lgamma_r: no write to the global signgam). */
double clv_lgamma(double x);

/* Groups keys of up to 3 doubles (compared bit for bit) into distinct rows, in order of first
 * appearance. clv_group_add returns the row index of the key or -1 when out of memory. */
typedef struct clv_group {
    double *keys;    /* nrows * width */
    double *weight;  /* nrows: how many adds hit the row */
    uint32_t *slots; /* open addressing, 0 = empty, else row index + 1 */
    size_t cap;      /* slots, a power of two */
    size_t nrows, rows_cap;
    int width;
} clv_group;

int clv_group_init(clv_group *g, int width, size_t expect);
long clv_group_add(clv_group *g, const double *key);
void clv_group_free(clv_group *g);

/* The objective of a fit: mean negative log-likelihood f and its gradient g (length n) at
 * theta (log-parameters). Collective in the fits: every call sums across ranks. Returns TX_OK
 * or the negative status of the failed sum. */
typedef int (*clv_objective)(const double *theta, double *f, double *g, void *ctx);

/* The common tail of both objectives: s[0] is this rank's log-likelihood and s[1..n] its
 * derivatives by the parameters p[0..n-1] (theta = log p). Sums s across ranks with `sum`
 * (NULL: one process), then sets f = -LL / ntotal and g[i] = -dLL/dp_i * p_i / ntotal. */
int clv_objective_finish(double *s, int n, const double *p, double ntotal, tx_clv_sum_fn sum,
                         void *ctx, double *f, double *g);

typedef struct clv_min_result {
    double f;      /* objective at the returned theta */
    double gnorm;  /* Euclidean norm of the gradient there */
    int iters;
    int evals;
    int converged; /* gnorm <= gtol * max(1, |f|) */
} clv_min_result;

/* BFGS on the inverse Hessian with a backtracking Armijo line search and a step cap of 4 in
 * each coordinate (a factor e^4 in a parameter). n <= 4. theta is updated in place to the best
 * point found. Deterministic: the same objective values give the same steps, so ranks that see
 * the same sums stay in step. Returns TX_OK or the objective's error. */
int clv_minimize(int n, double *theta, clv_objective fn, void *ctx, double gtol, int max_iter,
                 clv_min_result *res);

#endif
