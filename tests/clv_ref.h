/* clv_ref.h - reference formulas the models' tests compare against (not the implementation). */
#ifndef TXETL_TESTS_CLV_REF_H
#define TXETL_TESTS_CLV_REF_H

#include <math.h>

#include "txetl/clv.h"

/* lifetimes' conditional_expected_number_of_purchases_up_to_time with a plain 2F1 series;
 * valid for small z and a != 1. */
static inline double lifetimes_expected(const tx_bgnbd_fit *m, const tx_clv_customer *c,
                                        double t)
{
    double x = c->x, A = m->r + x, B = m->b + x, C = m->a + m->b + x - 1.0;
    double z = t / (m->alpha + c->T + t);
    double term = 1.0, sum = 1.0;
    for (int k = 0; k < 5000 && fabs(term) > 1e-18 * fabs(sum); k++) {
        term *= (A + k) * (B + k) / ((C + k) * (k + 1.0)) * z;
        sum += term;
    }
    double first = C / (m->a - 1.0);
    double second = 1.0 - sum * pow((m->alpha + c->T) / (m->alpha + t + c->T), A);
    double den = 1.0;
    if (x > 0.0)
        den += m->a / (m->b + x - 1.0) * pow((m->alpha + c->T) / (m->alpha + c->t_x), A);
    return first * second / den;
}

#endif
