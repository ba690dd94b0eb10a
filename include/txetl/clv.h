/* clv.h - BG/NBD and Gamma-Gamma models (the `lifetimes` package's conventions, docs/analytics.md):
 * maximum-likelihood fits over customers spread across ranks, and per-customer predictions. */
#ifndef TXETL_CLV_H
#define TXETL_CLV_H

#include <stddef.h>

#include "txetl/error.h"

/* Sums `n` doubles element-wise across all ranks, in place (an MPI_Allreduce of MPI_SUM).
 * ctx is passed through. Return TX_OK or a negative status. NULL means: one process only. */
typedef int (*tx_clv_sum_fn)(double *buf, int n, void *ctx);

/* One customer in model time units (days or weeks): frequency x = repeat purchase days,
 * recency t_x = last - first purchase, T = as-of - first purchase, monetary = mean per-day spend
 * over the repeat days (0 when x = 0). */
typedef struct tx_clv_customer {
    double x;
    double t_x;
    double T;
    double monetary;
} tx_clv_customer;

/* A fit's parameters are maximum-likelihood estimates found by Newton's method on the exact
 * Hessian in log-parameters. converged = 1 only when, at the returned point, the Hessian is
 * positive definite, the gradient of the mean negative log-likelihood is below 1e-8 *
 * max(1, |mean|) or at the rounding level of its sums over the customers, and the Newton
 * step would change no parameter by more than 1e-10 relative beyond what that rounding
 * level moves it (an allowance of at most 1e-8: a longer step along a flat direction is a
 * ridge running to 0 or infinity, not noise). Any other stop (iteration limit, non-finite
 * values, a parameter running to 0 or infinity, no decrease possible) leaves converged = 0
 * and says why in stop_reason.
 * Standard errors are lifetimes' summary: the square roots of the diagonal of the inverse
 * Hessian of the negative total log-likelihood in the parameters at the returned point (NaN
 * when that Hessian is not positive definite). */
typedef struct tx_bgnbd_fit {
    double r, alpha, a, b;
    double loglik;    /* total log-likelihood at the optimum, over all ranks' customers */
    double grad_norm; /* Euclidean norm of the gradient of the mean negative log-likelihood in
                         the optimizer's coordinates (log-parameters) at the optimum */
    int converged;    /* 1 when the convergence test above passed; 0 otherwise */
    unsigned long long n; /* customers in the fit */
    double se_r, se_alpha, se_a, se_b; /* standard errors */
    int iterations;   /* Newton iterations taken */
    const char *stop_reason; /* static string: "converged" or why the fit stopped short */
} tx_bgnbd_fit;

typedef struct tx_gg_fit {
    double p, q, v;
    double loglik;
    double grad_norm;
    int converged;
    unsigned long long n; /* customers with x > 0 and monetary > 0 */
    double se_p, se_q, se_v;
    int iterations;
    const char *stop_reason;
} tx_gg_fit;

/* Optimizer settings of a fit. */
typedef struct tx_clv_fit_opts {
    int max_iter; /* Newton iterations before giving up (converged = 0); default 100 */
} tx_clv_fit_opts;

enum { TX_CLV_MAX_ITER_DEFAULT = 100 };

/* Collective (through sum): every rank passes its own customers; all ranks run the same
 * optimizer steps (one sum of a few dozen doubles per evaluation of the log-likelihood) and
 * return the same parameters. Returns TX_OK even when the fit did not converge (converged =
 * 0 and stop_reason say so); a negative status only for errors (sum failed, no customers,
 * invalid customers, out of memory) with err set. opts NULL: the defaults. The _run forms
 * take the defaults. */
int tx_bgnbd_fit_run_opts(const tx_clv_customer *c, size_t n, tx_clv_sum_fn sum, void *ctx,
                          const tx_clv_fit_opts *opts, tx_bgnbd_fit *out, tx_error *err);
int tx_gg_fit_run_opts(const tx_clv_customer *c, size_t n, tx_clv_sum_fn sum, void *ctx,
                       const tx_clv_fit_opts *opts, tx_gg_fit *out, tx_error *err);
int tx_bgnbd_fit_run(const tx_clv_customer *c, size_t n, tx_clv_sum_fn sum, void *ctx,
                     tx_bgnbd_fit *out, tx_error *err);
int tx_gg_fit_run(const tx_clv_customer *c, size_t n, tx_clv_sum_fn sum, void *ctx,
                  tx_gg_fit *out, tx_error *err);

/* Local. Per-customer predictions (tx_clv_predict below gives the same values for many
 * customers at once, far faster), never NaN or infinite for finite inputs:
 * p_alive (1 when x = 0), expected purchases in the next `t` time units (lifetimes'
 * conditional_expected_number_of_purchases_up_to_time). */
double tx_bgnbd_p_alive(const tx_bgnbd_fit *m, const tx_clv_customer *c);
double tx_bgnbd_expected(const tx_bgnbd_fit *m, const tx_clv_customer *c, double t);

/* Local. Gamma-Gamma conditional expected average value; customers with x = 0 or
 * monetary <= 0 get the population mean v*p/(q-1). */
double tx_gg_expected_value(const tx_gg_fit *m, const tx_clv_customer *c);

/* Local. lifetimes' customer_lifetime_value for one customer:
 * sum_{k=1..months} value * (E[Y(k*F)] - E[Y((k-1)*F)]) / (1+d)^k, F = units_per_month
 * (30 for days, 4.345 for weeks). */
double tx_clv_value(const tx_bgnbd_fit *m, const tx_clv_customer *c, double expected_value,
                    int months, double discount_monthly, double units_per_month);

/* What tx_clv_predict computes besides P(alive). */
typedef struct tx_clv_predict_opts {
    double horizon;          /* expected purchases over the next `horizon` time units */
    int months;              /* clv over this many months (<= 0: clv 0, as tx_clv_value) */
    double discount_monthly; /* d, as tx_clv_value */
    double units_per_month;  /* F, as tx_clv_value */
    size_t max_table;        /* doubles in the per-(x, T) table at once; 0: 4 Mi (tests set it
                                small to run the months in several passes) */
} tx_clv_predict_opts;

/* Local. The predictions of n customers at once, equal bit for bit to calling, per customer
 * c[i], tx_bgnbd_p_alive, tx_bgnbd_expected(o->horizon), tx_gg_expected_value and
 * tx_clv_value(expected value, o->months, o->discount_monthly, o->units_per_month).
 * E[Y(t)] = P(alive | x, t_x, T) * A(x, T, t): the hypergeometric part A depends on x and T
 * only (not on t_x), so it is computed once per distinct (x, T) pair and t (the horizon and
 * k F, k = 1..months); each customer then costs a table look-up and a few flops.
 * Outputs are arrays of n doubles, each NULL when not wanted; gg NULL (no Gamma-Gamma fit):
 * expected_value and clv are NaN. *ngroups (NULL: not wanted) = distinct (x, T) pairs.
 * Returns TX_OK, or TX_ENOMEM with err set (the outputs are then unspecified). */
int tx_clv_predict(const tx_bgnbd_fit *bg, const tx_gg_fit *gg, const tx_clv_customer *c,
                   size_t n, const tx_clv_predict_opts *o, double *p_alive, double *expected,
                   double *expected_value, double *clv, size_t *ngroups, tx_error *err);

#endif
