/* clvfit_bench.c - times the BG/NBD and Gamma-Gamma fits (tx_models, one process) over a
 * simulated population: `clvfit_bench [N] [--continuous]`, N customers (default 1000000) in
 * day units, purchases on a day grid as txetl counts them (or continuous times).
 *
 * The population is txgen's (its --help: r 0.75, alpha 40, a 0.8, b 4; p 6, q 4, v 15; first
 * purchase uniform in the first half of three years, so T is 548..1095 days): what the fits
 * cost depends on how many distinct (x, t_x, T) rows the customers collapse to, and this
 * population has as many as a real extract (1.0 M of 1.4 M for txgen --customers 1400000);
 * the bench counts and prints them. It then times the predictions (CPU time): tx_clv_predict
 * (once per distinct (x, T): distinct_xT) against the per-customer functions, and checks they
 * agree bit for bit (exit 1 when not). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clv_sim.h"
#include "txetl/clv.h"
#include "txetl/cmp.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_now(void) /* the predictions: CPU time (the box is shared) */
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_triple(const void *pa, const void *pb)
{
    const tx_clv_customer *a = pa, *b = pb;
    int c = TX_CMP(a->x, b->x);
    c = c ? c : TX_CMP(a->t_x, b->t_x);
    return c ? c : TX_CMP(a->T, b->T);
}

/* Distinct (x, t_x, T) among the customers (sorts a copy). */
static size_t distinct_triples(const tx_clv_customer *c, size_t n)
{
    tx_clv_customer *s = malloc((n + 1) * sizeof *s);
    if (!s)
        return 0;
    memcpy(s, c, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_triple);
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += i == 0 || cmp_triple(&s[i], &s[i - 1]) != 0;
    free(s);
    return d;
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    int day_grid = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--continuous") == 0)
            day_grid = 0;
        else if (atol(argv[i]) > 0)
            n = (size_t)atol(argv[i]);
        else {
            fprintf(stderr, "usage: %s [N] [--continuous]\n", argv[0]);
            return 2;
        }
    }
    const sim_params P = {.r = 0.75, .alpha = 40.0, .a = 0.8, .b = 4.0,
                          .p = 6.0, .q = 4.0, .v = 15.0};
    tx_clv_customer *c = malloc(n * sizeof *c);
    if (!c)
        return 1;
    sim_rng g;
    sim_seed(&g, 12345);
    for (size_t i = 0; i < n; i++)
        sim_customer(&g, &P, 548.0 + (double)(int)(tx_rng_unif(&g) * 548.0), day_grid, &c[i]);
    size_t ntriples = distinct_triples(c, n), nrep = 0;
    for (size_t i = 0; i < n; i++)
        nrep += c[i].x > 0.0 && c[i].monetary > 0.0;

    tx_error err;
    tx_error_clear(&err);
    tx_bgnbd_fit bg;
    tx_gg_fit gg;
    double t0 = now();
    int rc = tx_bgnbd_fit_run(c, n, NULL, NULL, &bg, &err);
    double t1 = now();
    if (rc == TX_OK)
        rc = tx_gg_fit_run(c, n, NULL, NULL, &gg, &err);
    double t2 = now();
    if (rc != TX_OK) {
        fprintf(stderr, "clvfit_bench: %s\n", err.msg);
        return 1;
    }
    /* Predictions as the reduce makes them (P(alive), E[Y(30)], expected value, 12-month clv
     * at 1 % a month), CPU time: tx_clv_predict, and the per-customer functions it replaces
     * (the same values bit for bit: checked). */
    double *out = malloc((8 * n + 1) * sizeof *out);
    if (!out)
        return 1;
    double *pa = out, *ep = out + n, *ev = out + 2 * n, *cl = out + 3 * n;
    const tx_clv_predict_opts po = {.horizon = 30.0, .months = 12, .discount_monthly = 0.01,
                                    .units_per_month = 30.0};
    size_t pairs = 0;
    double t3 = cpu_now();
    rc = tx_clv_predict(&bg, &gg, c, n, &po, pa, ep, ev, cl, &pairs, &err);
    double t4 = cpu_now();
    if (rc != TX_OK) {
        fprintf(stderr, "clvfit_bench: %s\n", err.msg);
        return 1;
    }
    double *o = out + 4 * n;
    for (size_t i = 0; i < n; i++) {
        o[4 * i] = tx_bgnbd_p_alive(&bg, &c[i]);
        o[4 * i + 1] = tx_bgnbd_expected(&bg, &c[i], 30.0);
        o[4 * i + 2] = tx_gg_expected_value(&gg, &c[i]);
        o[4 * i + 3] = tx_clv_value(&bg, &c[i], o[4 * i + 2], 12, 0.01, 30.0);
    }
    double t5 = cpu_now();
    size_t mismatch = 0;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double got[4] = {pa[i], ep[i], ev[i], cl[i]};
        mismatch += memcmp(got, &o[4 * i], sizeof got) != 0;
        sum += cl[i];
    }
    printf("clvfit_bench: customers=%zu distinct_triples=%zu gg_customers=%zu unit=day times=%s\n",
           n, ntriples, nrep, day_grid ? "day-grid" : "continuous");
    printf("bgnbd_fit_s=%.4f r=%.5f alpha=%.4f a=%.5f b=%.5f (se %.2g %.2g %.2g %.2g) "
           "loglik=%.3f grad_norm=%.2e converged=%d iterations=%d stop_reason=\"%s\" "
           "(true r=%.3g alpha=%.3g a=%.3g b=%.3g)\n",
           t1 - t0, bg.r, bg.alpha, bg.a, bg.b, bg.se_r, bg.se_alpha, bg.se_a, bg.se_b, bg.loglik,
           bg.grad_norm, bg.converged, bg.iterations, bg.stop_reason, P.r, P.alpha, P.a, P.b);
    printf("gg_fit_s=%.4f p=%.5f q=%.5f v=%.5f (se %.2g %.2g %.2g) loglik=%.3f grad_norm=%.2e "
           "converged=%d iterations=%d stop_reason=\"%s\" n=%llu (true p=%.3g q=%.3g v=%.3g)\n",
           t2 - t1, gg.p, gg.q, gg.v, gg.se_p, gg.se_q, gg.se_v, gg.loglik, gg.grad_norm,
           gg.converged, gg.iterations, gg.stop_reason, gg.n, P.p, P.q, P.v);
    printf("both_fits_s=%.4f predict_cpu_s=%.4f distinct_xT=%zu predict_percustomer_cpu_s=%.4f "
           "predict_mismatches=%zu (p_alive, E[Y(30)], value, 12-month clv; mean clv %.4f)\n",
           t2 - t0, t4 - t3, pairs, t5 - t4, mismatch, sum / (double)n);
    free(out);
    if (mismatch) {
        fprintf(stderr, "clvfit_bench: %zu customers' grouped predictions differ\n", mismatch);
        return 1;
    }
    free(c);
    return 0;
}
