/* rng.h - xoshiro256** (Blackman & Vigna) and the variates drawn from it: uniform, normal
 * (Marsaglia's polar method), gamma (Marsaglia & Tsang). Used by txgen and by the models'
 * simulated populations (tests/clv_sim.h). Local, pure, inline. The values are part of txgen's
 * contract: a seed gives the same extract in every version. */
#ifndef TXETL_RNG_H
#define TXETL_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct tx_rng {
    uint64_t s[4];
} tx_rng;

static inline uint64_t tx_rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* The next 64 random bits. */
static inline uint64_t tx_rng_next(tx_rng *g)
{
    uint64_t *s = g->s;
    uint64_t r = tx_rng_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = tx_rng_rotl(s[3], 45);
    return r;
}

/* Uniform in (0, 1). */
static inline double tx_rng_unif(tx_rng *g)
{
    return ((double)(tx_rng_next(g) >> 11) + 0.5) * 0x1.0p-53;
}

/* Standard normal. */
static inline double tx_rng_normal(tx_rng *g)
{
    for (;;) {
        double u = 2 * tx_rng_unif(g) - 1, v = 2 * tx_rng_unif(g) - 1, s = u * u + v * v;
        if (s > 0 && s < 1)
            return u * sqrt(-2 * log(s) / s);
    }
}

/* Gamma(shape, rate 1). */
static inline double tx_rng_gamma(tx_rng *g, double shape)
{
    if (shape < 1)
        return tx_rng_gamma(g, shape + 1) * pow(tx_rng_unif(g), 1 / shape);
    double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = tx_rng_normal(g), v = 1 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = tx_rng_unif(g);
        if (u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)))
            return d * v;
    }
}

#endif
