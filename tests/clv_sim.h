/* clv_sim.h - a seeded BG/NBD + Gamma-Gamma population simulator for the models' tests and
 * bench/clvfit_bench (rng.h's xoshiro256** and Marsaglia-Tsang gamma variates). */
#ifndef TXETL_TESTS_CLV_SIM_H
#define TXETL_TESTS_CLV_SIM_H

#include <math.h>
#include <stdint.h>

#include "txetl/clv.h"
#include "txetl/hash.h"
#include "txetl/rng.h"

/* The generator (rng.h), seeded by splitmix64 from one number. */
typedef tx_rng sim_rng;

static inline void sim_seed(sim_rng *g, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        g->s[i] = tx_splitmix64(&seed);
}

typedef struct sim_params {
    double r, alpha, a, b; /* BG/NBD */
    double p, q, v;        /* Gamma-Gamma */
} sim_params;

/* One customer observed T time units after the first purchase. With day_grid, times are
 * days: purchases on the same day (floor of the time) count once, as txetl counts them. */
static inline void sim_customer(sim_rng *g, const sim_params *P, double T, int day_grid,
                                tx_clv_customer *c)
{
    double lambda = tx_rng_gamma(g, P->r) / P->alpha;
    double ga = tx_rng_gamma(g, P->a), gb = tx_rng_gamma(g, P->b);
    double drop = ga / (ga + gb);
    double t = 0.0, tx = 0.0, last_day = 0.0;
    double x = 0.0;
    for (;;) {
        t += -log(tx_rng_unif(g)) / lambda;
        if (t > T)
            break;
        if (day_grid) {
            double day = floor(t);
            if (day == last_day)
                continue; /* same occasion */
            last_day = day;
            tx = day;
        } else {
            tx = t;
        }
        x += 1.0;
        if (tx_rng_unif(g) < drop)
            break;
    }
    c->x = x;
    c->t_x = tx;
    c->T = T;
    c->monetary = 0.0;
    if (x > 0.0) { /* nu ~ Gamma(q, rate v); mean of x Gamma(p, rate nu) spends */
        double nu = tx_rng_gamma(g, P->q) / P->v;
        c->monetary = tx_rng_gamma(g, P->p * x) / (nu * x);
    }
}

#endif
