/* test_clv_guards.c - predictions agree with lifetimes' 2F1 formula where that formula is
 * well-conditioned, and stay finite (never NaN or inf) for extreme inputs: x = 1000,
 * a = 1 +- 1e-7, a + b < 1 with x = 0, T and t huge, q <= 1. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "clv_ref.h"
#include "txetl/clv.h"

static int finite_nonneg(double v) { return isfinite(v) && v >= 0.0; }

int main(void)
{
    const tx_bgnbd_fit cd = {.r = 0.243, .alpha = 4.414, .a = 0.793, .b = 2.426};
    const tx_clv_customer cs[] = {
        {0, 0, 38.86, 0}, {2, 30.43, 38.86, 20}, {1, 2, 30, 5}, {7, 35, 37, 12}, {3, 5, 38, 9},
    };
    const double ts[] = {1.0, 4.345, 13.0, 39.0};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        for (size_t j = 0; j < sizeof ts / sizeof ts[0]; j++) {
            double got = tx_bgnbd_expected(&cd, &cs[i], ts[j]);
            double want = lifetimes_expected(&cd, &cs[i], ts[j]);
            CHECK_MSG(fabs(got - want) <= 1e-10 * want, "customer %zu t=%g: %.15g vs %.15g", i,
                      ts[j], got, want);
        }
    }
    CHECK(tx_bgnbd_p_alive(&cd, &cs[0]) == 1.0); /* x = 0 */

    /* Extreme but finite inputs. */
    const tx_bgnbd_fit models[] = {
        {.r = 0.243, .alpha = 4.414, .a = 1.0000001, .b = 2.426},
        {.r = 0.243, .alpha = 4.414, .a = 0.9999999, .b = 2.426},
        {.r = 0.243, .alpha = 4.414, .a = 1.0, .b = 2.426},
        {.r = 0.5, .alpha = 30.0, .a = 0.3, .b = 0.4},     /* a + b < 1 */
        {.r = 50.0, .alpha = 0.01, .a = 0.05, .b = 0.05},
        {.r = 1e-4, .alpha = 1e4, .a = 20.0, .b = 1e-3},
    };
    const tx_clv_customer ext[] = {
        {0, 0, 0, 0},          {0, 0, 1e12, 0},      {1000, 364, 365, 10}, {1000, 1, 1e6, 10},
        {1, 1e-9, 1e-9, 1},    {5, 1e12, 1e12, 3},   {2, 40, 30, 1},       /* t_x > T: clamped */
        {3, 1, 1e300, 1},
    };
    const double tt[] = {0.0, -5.0, 1e-12, 1.0, 30.0, 365.0, 1e6, 1e12};
    int finite = 1, bounded = 1, monotone = 1;
    for (size_t mi = 0; mi < sizeof models / sizeof models[0]; mi++) {
        for (size_t ci = 0; ci < sizeof ext / sizeof ext[0]; ci++) {
            double pa = tx_bgnbd_p_alive(&models[mi], &ext[ci]);
            finite &= isfinite(pa) && pa >= 0.0 && pa <= 1.0;
            double prev = 0.0;
            for (size_t ti = 0; ti < sizeof tt / sizeof tt[0]; ti++) {
                double e = tx_bgnbd_expected(&models[mi], &ext[ci], tt[ti]);
                if (!finite_nonneg(e)) {
                    finite = 0;
                    fprintf(stderr, "model %zu customer %zu t=%g: %g\n", mi, ci, tt[ti], e);
                }
                /* E[Y(t)] <= (r+x) t / (alpha+T), and non-decreasing in t */
                double T = ext[ci].T > ext[ci].t_x ? ext[ci].T : ext[ci].t_x;
                if (tt[ti] > 0.0 &&
                    e > (1.0 + 1e-12) * (models[mi].r + ext[ci].x) * tt[ti] / (models[mi].alpha + T))
                    bounded = 0;
                if (e < prev * (1.0 - 1e-12))
                    monotone = 0;
                prev = e;
            }
            double clv = tx_clv_value(&models[mi], &ext[ci], 25.0, 12, 0.01, 30.0);
            finite &= finite_nonneg(clv);
        }
    }
    CHECK(finite);
    CHECK(bounded);
    CHECK(monotone);

    /* a = 1 is a removable singularity of lifetimes' formula: the value is continuous there. */
    tx_clv_customer c1 = {2, 30.43, 38.86, 20};
    double e_lo = tx_bgnbd_expected(&models[1], &c1, 39.0);
    double e_1 = tx_bgnbd_expected(&models[2], &c1, 39.0);
    double e_hi = tx_bgnbd_expected(&models[0], &c1, 39.0);
    printf("a=1-1e-7: %.12f  a=1: %.12f  a=1+1e-7: %.12f\n", e_lo, e_1, e_hi);
    CHECK(fabs(e_lo - e_1) < 1e-6 && fabs(e_hi - e_1) < 1e-6);

    /* x = 1000 with a long horizon: finite, below the no-dropout bound. */
    tx_clv_customer big = {1000, 364, 365, 10};
    double eb = tx_bgnbd_expected(&cd, &big, 365.0);
    printf("x=1000: E[Y(365)] = %.6f p_alive = %.6f\n", eb, tx_bgnbd_p_alive(&cd, &big));
    CHECK(finite_nonneg(eb) && eb > 100.0);

    /* Gamma-Gamma: q <= 1 (infinite population mean) still gives finite values. */
    tx_gg_fit g1 = {.p = 6.25, .q = 0.5, .v = 15.44};
    tx_gg_fit g2 = {.p = 6.25, .q = 3.74, .v = 15.44};
    tx_clv_customer zero = {0, 0, 10, 0}, rep = {2, 5, 10, 20};
    CHECK(finite_nonneg(tx_gg_expected_value(&g1, &zero)));
    CHECK(finite_nonneg(tx_gg_expected_value(&g1, &rep)));
    CHECK(fabs(tx_gg_expected_value(&g2, &zero) - 15.44 * 6.25 / 2.74) < 1e-9);
    /* lifetimes: (1 - w) * population mean + w * m, w = p x / (p x + q - 1) */
    double w = 6.25 * 2 / (6.25 * 2 + 3.74 - 1);
    CHECK(fabs(tx_gg_expected_value(&g2, &rep) - ((1 - w) * 15.44 * 6.25 / 2.74 + w * 20)) < 1e-9);
    /* Degenerate data (nobody repeats: the likelihood has no interior maximum, it rises
     * towards r/alpha -> 0): the fit stays finite and converged = 1 only if the gradient
     * tolerance really was met. */
    tx_clv_customer none[100];
    for (int i = 0; i < 100; i++)
        none[i] = (tx_clv_customer){0, 0, 10.0 + i, 0};
    tx_bgnbd_fit nf;
    tx_error err;
    tx_error_clear(&err);
    CHECK(tx_bgnbd_fit_run(none, 100, NULL, NULL, &nf, &err) == TX_OK);
    printf("all x = 0: r=%g alpha=%g a=%g b=%g LL=%g |g|=%g converged=%d (%s)\n", nf.r, nf.alpha,
           nf.a, nf.b, nf.loglik, nf.grad_norm, nf.converged, nf.stop_reason);
    CHECK(isfinite(nf.r) && isfinite(nf.alpha) && isfinite(nf.loglik));
    CHECK(nf.converged == 0 || nf.grad_norm <= 1e-7 * fmax(1.0, fabs(nf.loglik) / 100.0));
    /* r / alpha runs to 0: a boundary, not an optimum */
    CHECK(nf.converged == 0 && strstr(nf.stop_reason, "boundary") != NULL);
    tx_gg_fit gf;
    CHECK(tx_gg_fit_run(none, 100, NULL, NULL, &gf, &err) == TX_ERR); /* nobody with x > 0 */
    return check_report("test_clv_guards");
}
