/* clv_internal.h - what the CLV model files share inside tx_models: digamma, trigamma, lgamma
 * without the global signgam, a (x, t_x, T) row hash for grouping customers, the sums both
 * objectives end with, and the Newton minimiser that both fits drive. Not installed;
 * include/txetl/clv.h is the public contract. */
#ifndef TXETL_MODELS_CLV_INTERNAL_H
#define TXETL_MODELS_CLV_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "txetl/clv.h"

/* Digamma for x > 0: recurrence up to x >= 10, then the asymptotic series (|error| < 1e-15). */
double clv_digamma(double x);

/* Trigamma for x > 0, the same way (relative error < 1e-15). */
double clv_trigamma(double x);

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

enum { CLV_NMAX = 4 };

/* One evaluation of a fit's objective at theta = log(parameters): the mean negative
 * log-likelihood over all ranks' customers, its gradient and Hessian in theta, and the
 * rounding levels of f and of each gradient entry (what the rounding of the sums over the
 * customers can leave in them: nothing below it is signal). */
typedef struct clv_eval {
    double f;
    double g[CLV_NMAX];
    double H[CLV_NMAX][CLV_NMAX];
    double f_round;
    double g_round[CLV_NMAX];
} clv_eval;

/* Collective in the fits (every call sums across ranks once). Returns TX_OK or the negative
 * status of the failed sum. */
typedef int (*clv_objective)(const double *theta, clv_eval *ev, void *ctx);

/* The layout of one rank's sums at parameters p[0..n-1], summed across ranks in one call:
 * the log-likelihood, its first derivatives by p, its second derivatives by p (upper
 * triangle, row by row), the sums of the absolute values of the terms of the log-likelihood
 * and of each first derivative, and the number of terms summed. CLV_S_MAX entries suffice
 * for any n <= CLV_NMAX. */
enum { CLV_S_MAX = 1 + CLV_NMAX + CLV_NMAX * (CLV_NMAX + 1) / 2 + 1 + CLV_NMAX + 1 };

static inline int clv_s_ll(void) { return 0; }
static inline int clv_s_d1(int i) { return 1 + i; }
/* (i, j), i <= j: row by row through the upper triangle */
static inline int clv_s_d2(int n, int i, int j)
{
    return 1 + n + i * n - i * (i - 1) / 2 + (j - i);
}
static inline int clv_s_absll(int n) { return 1 + n + n * (n + 1) / 2; }
static inline int clv_s_absd1(int n, int i) { return clv_s_absll(n) + 1 + i; }
static inline int clv_s_terms(int n) { return clv_s_absll(n) + 1 + n; }
static inline int clv_s_len(int n) { return clv_s_terms(n) + 1; }

/* The common tail of both objectives: sums s (clv_s_len(n) entries, this rank's) across
 * ranks with `sum` (NULL: one process), then fills ev for theta = log p, the mean over
 * ntotal customers. Returns TX_OK or the status of the failed sum. */
int clv_objective_finish(double *s, int n, const double *p, double ntotal, tx_clv_sum_fn sum,
                         void *ctx, clv_eval *ev);

/* Why a minimisation stopped. */
typedef enum clv_stop {
    CLV_STOP_CONVERGED = 0,
    CLV_STOP_MAX_ITER,   /* the iteration limit */
    CLV_STOP_NONFINITE,  /* f, its gradient or Hessian not finite at the current point */
    CLV_STOP_BOUNDARY,   /* a parameter ran off towards 0 or infinity: moved by more than
                            a factor e^25 (7e10) from the start */
    CLV_STOP_NO_DESCENT, /* no decrease along the step, short of the tolerances */
} clv_stop;

/* The snapshot's stop_reason text of a clv_stop (a static string). */
const char *clv_stop_text(clv_stop s);

typedef struct clv_min_result {
    clv_eval at;     /* the objective at the returned theta */
    double gnorm;    /* Euclidean norm of at.g */
    double se[CLV_NMAX]; /* standard errors of theta_i = log p_i, sqrt(diag(H^-1) / ntotal) at
                            the returned theta (so se(p_i) = p_i se[i]); NaN where H is not
                            positive definite */
    int iters;
    int evals;
    clv_stop stop;
} clv_min_result;

/* Newton's method on the exact Hessian, with the Hessian's eigenvalues taken in absolute value
 * where it is not positive definite, a step cap of 2 in each coordinate (a factor e^2 in a
 * parameter), and a backtracking Armijo line search allowing the rounding level of f.
 * Converged (stop = CLV_STOP_CONVERGED) at a point where the Hessian is positive definite,
 * every |g_i| <= max(gtol * max(1, |f|), g_round_i), and the Newton step changes no theta_i
 * (a relative change of the parameter) by more than xtol plus what the gradient's rounding
 * level moves it (that allowance at most 1e-8: beyond it the direction is flat, a ridge to
 * the boundary, not noise). Anything else stops it as not converged, with the reason.
 * n <= 4; theta is updated in place to the last point evaluated and accepted. ntotal scales the standard
 * errors. Deterministic: the same objective values give the same steps, so ranks that see the
 * same sums stay in step. Returns TX_OK or the objective's error. */
int clv_minimize(int n, double *theta, clv_objective fn, void *ctx, double gtol, double xtol,
                 int max_iter, double ntotal, clv_min_result *res);

/* Where a fit's results go: its npar parameters and their standard errors, then what every fit
 * reports (tx_bgnbd_fit and tx_gg_fit name these members alike: CLV_FIT_COMMON). */
typedef struct clv_fit_out {
    double *par[CLV_NMAX], *se[CLV_NMAX];
    double *loglik, *grad_norm;
    int *converged, *iterations;
    unsigned long long *n;
    const char **stop_reason;
} clv_fit_out;
#define CLV_FIT_COMMON(o)                                                                          \
    .loglik = &(o)->loglik, .grad_norm = &(o)->grad_norm, .converged = &(o)->converged,            \
    .iterations = &(o)->iterations, .n = &(o)->n, .stop_reason = &(o)->stop_reason

/* clv_minimize over the npar log-parameters theta, then the fit into *out: parameters
 * exp(theta_i) with standard errors p_i se[i], the total log-likelihood, the gradient norm,
 * converged, n = ntotal, the iterations and the stop reason. `model` names the fit in the
 * error when the objective's cross-rank sum fails (its status is returned). */
int clv_fit(const char *model, int npar, double *theta, clv_objective fn, void *ctx, double gtol,
            double xtol, int max_iter, double ntotal, const clv_fit_out *out, tx_error *err);

#endif
