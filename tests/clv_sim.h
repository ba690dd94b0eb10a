/* clv_sim.h - a seeded BG/NBD + Gamma-Gamma population simulator for the models' tests and
 * bench/clvfit_bench (xoshiro256**, Marsaglia-Tsang gamma variates). */
#ifndef TXETL_TESTS_CLV_SIM_H
#define TXETL_TESTS_CLV_SIM_H

#include <math.h>
#include <stdint.h>

#include "txetl/clv.h"

typedef struct sim_rng {
    uint64_t s[4];
} sim_rng;

static inline uint64_t sim_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline void sim_seed(sim_rng *g, uint64_t seed)
{
    for (int i = 0; i < 4; i++) { /* splitmix64 */
        uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        g->s[i] = z ^ (z >> 31);
    }
}

static inline uint64_t sim_next(sim_rng *g)
{
    uint64_t *s = g->s, r = sim_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = sim_rotl(s[3], 45);
    return r;
}

/* Uniform in (0, 1). */
static inline double sim_unif(sim_rng *g)
{
    return ((double)(sim_next(g) >> 11) + 0.5) * 0x1.0p-53;
}

static inline double sim_normal(sim_rng *g)
{
    for (;;) {
        double u = 2.0 * sim_unif(g) - 1.0, v = 2.0 * sim_unif(g) - 1.0, s = u * u + v * v;
        if (s > 0.0 && s < 1.0)
            return u * sqrt(-2.0 * log(s) / s);
    }
}

/* Gamma(shape k, scale 1). */
static inline double sim_gamma(sim_rng *g, double k)
{
    if (k < 1.0)
        return sim_gamma(g, k + 1.0) * pow(sim_unif(g), 1.0 / k);
    double d = k - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = sim_normal(g), v = 1.0 + c * x;
        if (v <= 0.0)
            continue;
        v = v * v * v;
        double u = sim_unif(g);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v;
    }
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
    double lambda = sim_gamma(g, P->r) / P->alpha;
    double ga = sim_gamma(g, P->a), gb = sim_gamma(g, P->b);
    double drop = ga / (ga + gb);
    double t = 0.0, tx = 0.0, last_day = 0.0;
    double x = 0.0;
    for (;;) {
        t += -log(sim_unif(g)) / lambda;
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
        if (sim_unif(g) < drop)
            break;
    }
    c->x = x;
    c->t_x = tx;
    c->T = T;
    c->monetary = 0.0;
    if (x > 0.0) { /* nu ~ Gamma(q, rate v); mean of x Gamma(p, rate nu) spends */
        double nu = sim_gamma(g, P->q) / P->v;
        c->monetary = sim_gamma(g, P->p * x) / (nu * x);
    }
}

#endif
