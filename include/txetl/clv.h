/* clv.h - BG/NBD and Gamma-Gamma models (the `lifetimes` package's conventions, SPEC §5):
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

typedef struct tx_bgnbd_fit {
    double r, alpha, a, b;
    double loglik;    /* total log-likelihood at the optimum, over all ranks' customers */
    double grad_norm; /* Euclidean norm of the gradient of the mean negative log-likelihood in
                         the optimizer's coordinates at the optimum */
    int converged;    /* 1 when the optimizer met its tolerance; 0 otherwise */
    unsigned long long n; /* customers in the fit */
} tx_bgnbd_fit;

typedef struct tx_gg_fit {
    double p, q, v;
    double loglik;
    double grad_norm;
    int converged;
    unsigned long long n; /* customers with x > 0 and monetary > 0 */
} tx_gg_fit;

/* Collective (through sum): every rank passes its own customers; all ranks run the same
 * optimizer steps and return the same parameters. Returns TX_OK even when the fit did not
 * converge (converged = 0 says so); a negative status only for errors (sum failed, no
 * customers, out of memory) with err set. */
int tx_bgnbd_fit_run(const tx_clv_customer *c, size_t n, tx_clv_sum_fn sum, void *ctx,
                     tx_bgnbd_fit *out, tx_error *err);
int tx_gg_fit_run(const tx_clv_customer *c, size_t n, tx_clv_sum_fn sum, void *ctx,
                  tx_gg_fit *out, tx_error *err);

/* Local. Per-customer predictions, never NaN or infinite for finite inputs:
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

#endif
