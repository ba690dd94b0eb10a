/* test_clv_predict.c - tx_clv_predict (many customers at once, the hypergeometric part once per
 * distinct (x, T)) gives exactly, bit for bit, what the per-customer functions give: on a
 * simulated population in days and in weeks, with hostile customers mixed in, for several
 * models, horizons equal to and different from a month, the months in one table or in many
 * passes, and any subset of outputs; the number of distinct (x, T) pairs is right; and the
 * values agree with lifetimes' closed form (a plain 2F1 series) where that is
 * well-conditioned. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clv_ref.h"
#include "clv_sim.h"
#include "txetl/clv.h"

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Distinct (x, T) pairs of the customers after the predictions' clamping, counted by sorting. */
static int cmp_pair(const void *pa, const void *pb)
{
    const double *a = pa, *b = pb;
    if (a[0] != b[0])
        return a[0] < b[0] ? -1 : 1;
    return (a[1] > b[1]) - (a[1] < b[1]);
}

static size_t distinct_pairs(const tx_clv_customer *c, size_t n)
{
    double *k = malloc((2 * n + 1) * sizeof *k);
    for (size_t i = 0; i < n; i++) {
        double x = isfinite(c[i].x) && c[i].x > 0.0 ? c[i].x : 0.0;
        double tx = isfinite(c[i].t_x) && c[i].t_x > 0.0 ? c[i].t_x : 0.0;
        k[2 * i] = x;
        k[2 * i + 1] = isfinite(c[i].T) && c[i].T > tx ? c[i].T : tx;
    }
    qsort(k, n, 2 * sizeof *k, cmp_pair);
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        d += i == 0 || cmp_pair(&k[2 * i], &k[2 * (i - 1)]) != 0;
    free(k);
    return d;
}

/* One configuration: tx_clv_predict against the per-customer functions, every value. Returns
 * the number of values that differ in any bit. */
static size_t compare(const tx_bgnbd_fit *bg, const tx_gg_fit *gg, const tx_clv_customer *c,
                      size_t n, const tx_clv_predict_opts *o, const char *what)
{
    double *pa = malloc(n * sizeof *pa), *ep = malloc(n * sizeof *ep);
    double *ev = malloc(n * sizeof *ev), *cl = malloc(n * sizeof *cl);
    size_t ng = 0, bad = 0;
    tx_error err;
    tx_error_clear(&err);
    CHECK(tx_clv_predict(bg, gg, c, n, o, pa, ep, ev, cl, &ng, &err) == TX_OK);
    CHECK_MSG(ng == distinct_pairs(c, n), "%s: %zu groups, %zu distinct pairs", what, ng,
              distinct_pairs(c, n));
    for (size_t i = 0; i < n; i++) {
        double want_pa = tx_bgnbd_p_alive(bg, &c[i]);
        double want_ep = tx_bgnbd_expected(bg, &c[i], o->horizon);
        double want_ev = gg ? tx_gg_expected_value(gg, &c[i]) : NAN;
        double want_cl = gg ? tx_clv_value(bg, &c[i], want_ev, o->months, o->discount_monthly,
                                           o->units_per_month)
                            : NAN;
        int ok = same_bits(pa[i], want_pa) && same_bits(ep[i], want_ep) &&
                 (gg ? same_bits(ev[i], want_ev) && same_bits(cl[i], want_cl)
                     : isnan(ev[i]) && isnan(cl[i]));
        if (!ok && bad++ < 3)
            fprintf(stderr,
                    "%s: customer %zu (x=%g t_x=%g T=%g): p_alive %.17g/%.17g expected "
                    "%.17g/%.17g value %.17g/%.17g clv %.17g/%.17g\n",
                    what, i, c[i].x, c[i].t_x, c[i].T, pa[i], want_pa, ep[i], want_ep, ev[i],
                    want_ev, cl[i], want_cl);
    }
    CHECK_MSG(bad == 0, "%s: %zu of %zu customers differ", what, bad, n);
    free(pa);
    free(ep);
    free(ev);
    free(cl);
    return bad;
}

int main(void)
{
    /* txgen's population, day grid, T 548..1095 days, plus hostile customers */
    enum { NSIM = 20000, NHOST = 12 };
    const sim_params P = {.r = 0.75, .alpha = 40.0, .a = 0.8, .b = 4.0,
                          .p = 6.0, .q = 4.0, .v = 15.0};
    tx_clv_customer *days = malloc((NSIM + NHOST) * sizeof *days);
    tx_clv_customer *weeks = malloc((NSIM + NHOST) * sizeof *weeks);
    sim_rng g;
    sim_seed(&g, 777);
    for (size_t i = 0; i < NSIM; i++)
        sim_customer(&g, &P, 548.0 + (double)(int)(tx_rng_unif(&g) * 548.0), 1, &days[i]);
    const tx_clv_customer host[NHOST] = {
        {0, 0, 0, 0},       {0, 0, 1e12, 0},    {1000, 364, 365, 10}, {2, 40, 30, 1},
        {1, 1e-9, 1e-9, 1}, {3, 1, 1e300, 1},   {NAN, 1, 2, 1},       {2, NAN, 700, 5},
        {2, 3, INFINITY, 5}, {-1, 3, 700, 5},  {4, -2, 700, -5},     {2, 3, 700, NAN},
    };
    memcpy(days + NSIM, host, sizeof host);
    const size_t n = NSIM + NHOST;
    for (size_t i = 0; i < n; i++)
        weeks[i] = (tx_clv_customer){days[i].x, days[i].t_x / 7.0, days[i].T / 7.0,
                                     days[i].monetary};
    size_t pairs = distinct_pairs(days, n);
    printf("%zu customers, %zu distinct (x, T)\n", n, pairs);
    CHECK(pairs > 1000 && pairs < n / 2); /* the grouping has something to group */

    const tx_bgnbd_fit models[] = {
        {.r = 0.75, .alpha = 40.0, .a = 0.8, .b = 4.0},
        {.r = 0.243, .alpha = 4.414, .a = 0.793, .b = 2.426}, /* CDNOW (weeks) */
        {.r = 0.243, .alpha = 4.414, .a = 1.0, .b = 2.426},   /* a = 1 */
        {.r = 0.5, .alpha = 30.0, .a = 0.3, .b = 0.4},        /* a + b < 1 */
        {.r = 50.0, .alpha = 0.01, .a = 0.05, .b = 0.05},     /* the quadrature path */
        {.r = NAN, .alpha = NAN, .a = NAN, .b = NAN},         /* guards: NaN log-odds */
        {.r = 0.75, .alpha = 40.0, .a = INFINITY, .b = 4.0},  /* infinite log-odds */
        {.r = 1e300, .alpha = 1e-300, .a = 0.8, .b = 4.0},    /* overflowing products */
    };
    const tx_gg_fit gg = {.p = 6.25, .q = 3.74, .v = 15.44};
    const tx_clv_predict_opts day = {.horizon = 30.0, .months = 12, .discount_monthly = 0.01,
                                     .units_per_month = 30.0};
    const tx_clv_predict_opts week = {.horizon = 30.0 / 7.0, .months = 12,
                                      .discount_monthly = 0.01, .units_per_month = 4.345};
    size_t bad = 0;
    for (size_t mi = 0; mi < sizeof models / sizeof models[0]; mi++) {
        char what[64];
        snprintf(what, sizeof what, "model %zu, days", mi);
        bad += compare(&models[mi], &gg, days, n, &day, what);
        snprintf(what, sizeof what, "model %zu, weeks", mi);
        bad += compare(&models[mi], &gg, weeks, n, &week, what);
    }
    /* options: horizon != F, many months in passes of 5 and of 1 columns, no months, odd
     * discounts, no month length, no Gamma-Gamma fit */
    tx_clv_predict_opts o = day;
    o.horizon = 90.0;
    bad += compare(&models[0], &gg, days, n, &o, "horizon 90");
    o.months = 60;
    o.max_table = 5 * pairs;
    bad += compare(&models[0], &gg, days, n, &o, "60 months, 5 columns a pass");
    o.max_table = 1;
    o.horizon = 30.0;
    bad += compare(&models[0], &gg, days, n, &o, "60 months, 1 column a pass");
    o = day;
    o.months = 0;
    bad += compare(&models[0], &gg, days, n, &o, "0 months");
    o = day;
    o.discount_monthly = NAN;
    bad += compare(&models[0], &gg, days, n, &o, "discount NaN");
    o.discount_monthly = -1.0;
    o.horizon = 0.0;
    bad += compare(&models[0], &gg, days, n, &o, "discount -1, horizon 0");
    o = day;
    o.units_per_month = 0.0;
    o.horizon = -3.0;
    bad += compare(&models[0], &gg, days, n, &o, "no month length, horizon < 0");
    bad += compare(&models[0], NULL, days, n, &day, "no Gamma-Gamma");
    CHECK(bad == 0);

    /* any subset of outputs; the same values */
    double *pa = malloc(n * sizeof *pa), *cl = malloc(n * sizeof *cl);
    double *ep = malloc(n * sizeof *ep);
    size_t ng = 0;
    tx_error err;
    tx_error_clear(&err);
    CHECK(tx_clv_predict(&models[0], &gg, days, n, &day, NULL, NULL, NULL, cl, &ng, &err) ==
          TX_OK);
    CHECK(tx_clv_predict(&models[0], NULL, days, n, &day, NULL, ep, NULL, NULL, NULL, &err) ==
          TX_OK);
    CHECK(tx_clv_predict(&models[0], &gg, days, n, &day, pa, NULL, NULL, NULL, NULL, &err) ==
          TX_OK);
    CHECK(ng == pairs);
    size_t sub_bad = 0;
    for (size_t i = 0; i < n; i++) {
        double ev = tx_gg_expected_value(&gg, &days[i]);
        sub_bad += !same_bits(cl[i], tx_clv_value(&models[0], &days[i], ev, 12, 0.01, 30.0));
        sub_bad += !same_bits(ep[i], tx_bgnbd_expected(&models[0], &days[i], 30.0));
        sub_bad += !same_bits(pa[i], tx_bgnbd_p_alive(&models[0], &days[i]));
    }
    CHECK_MSG(sub_bad == 0, "%zu values differ with a subset of outputs", sub_bad);
    CHECK(tx_clv_predict(&models[0], &gg, days, 0, &day, pa, ep, NULL, cl, &ng, &err) == TX_OK);
    CHECK(ng == 0);

    /* real numbers: CDNOW's fit in weeks against lifetimes' closed form */
    const tx_bgnbd_fit *cd = &models[1];
    const tx_clv_customer cs[] = {
        {0, 0, 38.86, 0}, {2, 30.43, 38.86, 20}, {1, 2, 30, 5}, {7, 35, 37, 12}, {3, 5, 38, 9},
    };
    enum { NC = sizeof cs / sizeof cs[0] };
    double cpa[NC], cep[NC], cev[NC], ccl[NC];
    const tx_clv_predict_opts wk = {.horizon = 39.0, .months = 12, .discount_monthly = 0.01,
                                    .units_per_month = 4.345};
    CHECK(tx_clv_predict(cd, &gg, cs, NC, &wk, cpa, cep, cev, ccl, &ng, &err) == TX_OK);
    CHECK(ng == NC);
    CHECK(cpa[0] == 1.0);
    for (size_t i = 0; i < NC; i++) {
        double want = lifetimes_expected(cd, &cs[i], 39.0), clv = 0.0, prev = 0.0, disc = 1.0;
        CHECK_MSG(fabs(cep[i] - want) <= 1e-10 * want, "CDNOW customer %zu: E[Y(39)] %.15g vs "
                  "%.15g", i, cep[i], want);
        for (int k = 1; k <= 12; k++) {
            double cur = lifetimes_expected(cd, &cs[i], k * 4.345);
            disc *= 1.01;
            clv += cev[i] * (cur - prev) / disc;
            prev = cur;
        }
        CHECK_MSG(fabs(ccl[i] - clv) <= 1e-10 * clv, "CDNOW customer %zu: clv %.15g vs %.15g", i,
                  ccl[i], clv);
        if (i == 1)
            printf("CDNOW customer (2, 30.43, 38.86): p_alive %.6f E[Y(39)] %.6f clv %.4f\n",
                   cpa[i], cep[i], ccl[i]);
    }
    /* lifetimes' customer (x = 2, t_x = 30.43, T = 38.86): P(alive) 1 / (1 + a/(b+x-1) *
     * ((alpha+T)/(alpha+t_x))^(r+x)) */
    double want_pa = 1.0 / (1.0 + 0.793 / (2.426 + 1.0) *
                                      pow((4.414 + 38.86) / (4.414 + 30.43), 0.243 + 2.0));
    CHECK(fabs(cpa[1] - want_pa) <= 1e-13);
    free(pa);
    free(ep);
    free(cl);
    free(days);
    free(weeks);
    return check_report("test_clv_predict");
}
