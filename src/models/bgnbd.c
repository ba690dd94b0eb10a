/* bgnbd.c - BG/NBD (Fader, Hardie & Lee 2005) with the `lifetimes` package's conventions:
 * the maximum-likelihood fit over customers spread across ranks (the predictions are in
 * clv_predict.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clv_internal.h"
#include "txetl/clv.h"

#define BG_GTOL 1e-8  /* on |grad_i| of the mean negative log-likelihood, times max(1,|f|) */
#define BG_XTOL 1e-10 /* on the Newton step in log-parameters: a relative change */

/* Customers grouped for the objective: x = 0 by T, x > 0 one row per distinct (x, t_x, T)
 * (through table entries), a table of distinct times for the logs, one group per
 * distinct x for the terms that depend on x only. */
typedef struct bg_data {
    size_t nzero;     /* rows with x = 0: only T matters */
    double *zT, *zw;
    size_t npos;      /* rows with x > 0 */
    double *pw, *px;  /* weight (customers in the row) and x */
    uint32_t *pix;    /* row -> x group */
    uint32_t *pit, *piT; /* row -> time table entries of t_x and T */
    size_t nt;        /* time table: distinct T values and t_x values (of x > 0) */
    double *tv, *tl, *ti; /* values; scratch log(alpha + value), 1 / (alpha + value) */
    size_t nx;        /* x groups */
    double *gx, *gw;
    double *glb, *gib; /* scratch per x group: log(a) - log(b+x-1), 1/(b+x-1) */
    double ntotal;    /* customers over all ranks */
    tx_clv_sum_fn sum;
    void *ctx;
} bg_data;

static void bg_data_free(bg_data *d)
{
    free(d->zT);
    free(d->zw);
    free(d->pit);
    free(d->piT);
    free(d->tv);
    free(d->tl);
    free(d->ti);
    free(d->pw);
    free(d->px);
    free(d->pix);
    free(d->gx);
    free(d->gw);
    free(d->glb);
    free(d->gib);
    memset(d, 0, sizeof *d);
}

static int customer_ok(const tx_clv_customer *c)
{
    return isfinite(c->x) && isfinite(c->t_x) && isfinite(c->T) && c->x >= 0.0 &&
           c->t_x >= 0.0 && c->T >= c->t_x;
}

/* Bits needed for the indices 0 .. n-1. */
static int index_bits(size_t n)
{
    int b = 0;
    while (b < 64 && ((uint64_t)1 << b) < (uint64_t)n)
        b++;
    return b;
}

/* LSD radix sort of n keys whose set bits are all below bit `bits`, 11 bits a pass; tmp has
 * room for n keys. Returns the buffer that holds the sorted keys (keys or tmp). */
static uint64_t *radix_sort(uint64_t *keys, uint64_t *tmp, size_t n, int bits)
{
    enum { DIGIT = 11, NBUCKET = 1 << DIGIT };
    size_t *cnt = malloc(NBUCKET * sizeof *cnt);
    if (!cnt)
        return NULL;
    for (int sh = 0; sh < bits; sh += DIGIT) {
        memset(cnt, 0, NBUCKET * sizeof *cnt);
        for (size_t i = 0; i < n; i++)
            cnt[(keys[i] >> sh) & (NBUCKET - 1)]++;
        size_t sum = 0;
        for (size_t k = 0; k < NBUCKET; k++) {
            size_t c = cnt[k];
            cnt[k] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            tmp[cnt[(keys[i] >> sh) & (NBUCKET - 1)]++] = keys[i];
        uint64_t *t = keys;
        keys = tmp;
        tmp = t;
    }
    free(cnt);
    return keys;
}

/* Local: groups this rank's customers. Distinct x values and distinct times go into small
 * tables; customers with x > 0 are grouped by the triple of their table entries, packed into
 * one 64-bit key and radix-sorted (when the tables are small enough to pack, else one row
 * each), so rows come out ordered by x group; customers with x = 0 are grouped by T.
 * Returns TX_OK or TX_ENOMEM. */
static int bg_data_build(bg_data *d, const tx_clv_customer *c, size_t n)
{
    clv_group xs, ts;
    uint32_t *cix = NULL, *cit = NULL, *ciT = NULL;
    uint64_t *keys = NULL, *tmp = NULL;
    double *zacc = NULL;
    int rc = TX_ENOMEM;
    memset(&xs, 0, sizeof xs);
    memset(&ts, 0, sizeof ts);
    if (clv_group_init(&xs, 1, 64) != TX_OK || clv_group_init(&ts, 1, 1024) != TX_OK)
        goto out;
    cix = malloc((n + 1) * sizeof *cix);
    cit = malloc((n + 1) * sizeof *cit);
    ciT = malloc((n + 1) * sizeof *ciT);
    if (!cix || !cit || !ciT)
        goto out;
    size_t npos_c = 0;
    for (size_t i = 0; i < n; i++) {
        double x = c[i].x, tx = x > 0.0 ? c[i].t_x : 0.0;
        long ix = clv_group_add(&xs, &x), iT = clv_group_add(&ts, &c[i].T);
        long it = x > 0.0 ? clv_group_add(&ts, &tx) : 0;
        if (ix < 0 || iT < 0 || it < 0)
            goto out;
        cix[i] = (uint32_t)ix;
        cit[i] = (uint32_t)it;
        ciT[i] = (uint32_t)iT;
        npos_c += x > 0.0;
    }
    d->nx = xs.nrows;
    d->nt = ts.nrows;
    d->gx = malloc((d->nx + 1) * sizeof *d->gx);
    d->gw = malloc((d->nx + 1) * sizeof *d->gw);
    d->glb = malloc((d->nx + 1) * sizeof *d->glb);
    d->gib = malloc((d->nx + 1) * sizeof *d->gib);
    d->tv = malloc((d->nt + 1) * sizeof *d->tv);
    d->tl = malloc((d->nt + 1) * sizeof *d->tl);
    d->ti = malloc((d->nt + 1) * sizeof *d->ti);
    zacc = calloc(d->nt + 1, sizeof *zacc);
    d->pit = malloc((npos_c + 1) * sizeof *d->pit);
    d->piT = malloc((npos_c + 1) * sizeof *d->piT);
    d->pix = malloc((npos_c + 1) * sizeof *d->pix);
    d->pw = malloc((npos_c + 1) * sizeof *d->pw);
    d->px = malloc((npos_c + 1) * sizeof *d->px);
    if (!d->gx || !d->gw || !d->glb || !d->gib || !d->tv || !d->tl || !d->ti || !zacc ||
        !d->pit || !d->piT || !d->pix || !d->pw || !d->px)
        goto out;
    memcpy(d->gx, xs.keys, d->nx * sizeof *d->gx);
    memcpy(d->gw, xs.weight, d->nx * sizeof *d->gw);
    memcpy(d->tv, ts.keys, d->nt * sizeof *d->tv);

    const int bx = index_bits(d->nx), bt = index_bits(d->nt);
    const int pack = bx + 2 * bt <= 63;
    if (pack) {
        keys = malloc((npos_c + 1) * sizeof *keys);
        tmp = malloc((npos_c + 1) * sizeof *tmp);
        if (!keys || !tmp)
            goto out;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(c[i].x > 0.0)) {
            zacc[ciT[i]] += 1.0;
        } else if (pack) {
            keys[m++] = (uint64_t)cix[i] << (2 * bt) | (uint64_t)cit[i] << bt | ciT[i];
        } else {
            d->pix[d->npos] = cix[i];
            d->pit[d->npos] = cit[i];
            d->piT[d->npos] = ciT[i];
            d->pw[d->npos] = 1.0;
            d->px[d->npos] = c[i].x;
            d->npos++;
        }
    }
    if (pack && m > 0) {
        const uint64_t *k = radix_sort(keys, tmp, m, bx + 2 * bt);
        if (!k)
            goto out;
        const uint64_t tmask = ((uint64_t)1 << bt) - 1;
        for (size_t i = 0; i < m; i++) {
            if (i > 0 && k[i] == k[i - 1]) {
                d->pw[d->npos - 1] += 1.0;
                continue;
            }
            uint32_t ix = (uint32_t)(k[i] >> (2 * bt));
            d->pix[d->npos] = ix;
            d->pit[d->npos] = (uint32_t)((k[i] >> bt) & tmask);
            d->piT[d->npos] = (uint32_t)(k[i] & tmask);
            d->pw[d->npos] = 1.0;
            d->px[d->npos] = d->gx[ix];
            d->npos++;
        }
    }
    size_t nz = 0;
    for (size_t k = 0; k < d->nt; k++)
        nz += zacc[k] > 0.0;
    d->zT = malloc((nz + 1) * sizeof *d->zT);
    d->zw = malloc((nz + 1) * sizeof *d->zw);
    if (!d->zT || !d->zw)
        goto out;
    for (size_t k = 0; k < d->nt; k++) {
        if (zacc[k] > 0.0) {
            d->zT[d->nzero] = d->tv[k];
            d->zw[d->nzero] = zacc[k];
            d->nzero++;
        }
    }
    rc = TX_OK;
out:
    free(tmp);
    free(keys);
    free(zacc);
    free(ciT);
    free(cit);
    free(cix);
    clv_group_free(&ts);
    clv_group_free(&xs);
    return rc;
}

/* Local sums at (r, alpha, a, b) in the layout of clv_s_* (clv_internal.h): the
 * log-likelihood, its first and second derivatives in r, alpha, a, b, and the absolute sums
 * for the rounding levels. The log-space form of lifetimes'
 * BetaGeoFitter._negative_log_likelihood:
 *   ll = A1 + A2 + log(exp(A3) + [x > 0] exp(A4)),
 *   A1 + A2 = lgamma(r+x) - lgamma(r) + r ln alpha + lgamma(a+b) + lgamma(b+x) - lgamma(b)
 *             - lgamma(a+b+x)                                   (x only: once per x group)
 *   A3 = -(r+x) ln(alpha+T),  A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x).
 * With u = A4 - A3 = ln a - ln(b+x-1) + (r+x) (ln(alpha+T) - ln(alpha+t_x)) and
 * s = sigmoid(u): ll = A3 + softplus(u), d ll = d A3 + s d u, and
 * d2 ll = d2 A3 + s d2 u + s (1-s) du du^T (the derivatives of u are short). */
static void bg_local(const bg_data *d, double r, double al, double a, double b, double *S)
{
    enum { R, AL, A, B, NP = 4 };
    memset(S, 0, clv_s_len(NP) * sizeof *S);
    const double lal = log(al), la = log(a);
    const double lg_r = clv_lgamma(r), lg_ab = clv_lgamma(a + b), lg_b = clv_lgamma(b);
    const double ps_r = clv_digamma(r), ps_ab = clv_digamma(a + b), ps_b = clv_digamma(b);
    const double tg_r = clv_trigamma(r), tg_ab = clv_trigamma(a + b), tg_b = clv_trigamma(b);
    double ll = 0, dr = 0, dal = 0, da = 0, db = 0, hrr = 0, hral = 0, halal = 0, haa = 0,
           hbb = 0, all = 0, adr = 0, ada = 0, adb = 0, sw = 0;

    /* A1 + A2, once per distinct x (the group tables also get ln a - ln(b+x-1), 1/(b+x-1)) */
    for (size_t k = 0; k < d->nx; k++) {
        double x = d->gx[k], w = d->gw[k];
        double l1 = clv_lgamma(r + x), l2 = clv_lgamma(b + x), l3 = clv_lgamma(a + b + x);
        double ps_rx = clv_digamma(r + x), ps_bx = clv_digamma(b + x);
        double ps_abx = clv_digamma(a + b + x), tg_abx = clv_trigamma(a + b + x);
        ll += w * (l1 - lg_r + r * lal + lg_ab + l2 - lg_b - l3);
        all += w * (fabs(l1) + fabs(lg_r) + fabs(r * lal) + fabs(lg_ab) + fabs(l2) + fabs(lg_b) +
                    fabs(l3));
        dr += w * (ps_rx - ps_r + lal);
        adr += w * (fabs(ps_rx) + fabs(ps_r) + fabs(lal));
        da += w * (ps_ab - ps_abx);
        ada += w * (fabs(ps_ab) + fabs(ps_abx));
        db += w * (ps_ab + ps_bx - ps_b - ps_abx);
        adb += w * (fabs(ps_ab) + fabs(ps_bx) + fabs(ps_b) + fabs(ps_abx));
        hrr += w * (clv_trigamma(r + x) - tg_r);
        haa += w * (tg_ab - tg_abx);
        hbb += w * (tg_ab + clv_trigamma(b + x) - tg_b - tg_abx);
        sw += w;
        if (x > 0.0) {
            d->glb[k] = la - log(b + x - 1.0);
            d->gib[k] = 1.0 / (b + x - 1.0);
        }
    }
    dal += sw * r / al;
    hral += sw / al;
    halal -= sw * r / (al * al);
    double hab = haa;

    /* x = 0: ll = A3 = -r ln(alpha + T), one row per distinct T */
    double zs = 0.0, zabs = 0.0, zi = 0.0, zi2 = 0.0;
    for (size_t i = 0; i < d->nzero; i++) {
        double w = d->zw[i], inv = 1.0 / (al + d->zT[i]), l = log(al + d->zT[i]);
        zs += w * l;
        zabs += w * fabs(l);
        zi += w * inv;
        zi2 += w * inv * inv;
    }
    ll -= r * zs;
    all += r * zabs;
    dr -= zs;
    adr += zabs;
    dal -= r * zi;
    hral -= zi;
    halal += r * zi2;

    /* x > 0: one row per distinct (x, t_x, T); logs and inverses from the time table */
    for (size_t k = 0; k < d->nt; k++) {
        double s = al + d->tv[k];
        d->tl[k] = log(s);
        d->ti[k] = 1.0 / s;
    }
    double pl = 0, pabs = 0, pr = 0, prabs = 0, pal = 0, p4s = 0, p4b = 0;
    double q_rr = 0, q_ral = 0, q_alal = 0, q_ra = 0, q_rb = 0, q_ala = 0, q_alb = 0, q_aa = 0,
           q_ab = 0, q_bb = 0;
    const double *pw = d->pw, *px = d->px, *tl = d->tl, *ti = d->ti, *glb = d->glb,
                 *gib = d->gib;
    const uint32_t *pit = d->pit, *piT = d->piT, *pix = d->pix;
    for (size_t i = 0; i < d->npos; i++) { /* branch-free: selects, no jumps */
        const double w = pw[i], rx = r + px[i];
        const double lT = tl[piT[i]], lt = tl[pit[i]], iT = ti[piT[i]], it = ti[pit[i]];
        const double lA = glb[pix[i]], ib = gib[pix[i]];
        const double dl = lT - lt;      /* >= 0 */
        const double u = lA + rx * dl;  /* A4 - A3 */
        const double e = exp(-fabs(u)); /* in (0, 1] */
        const double q = 1.0 / (1.0 + e);
        const double p4 = u > 0.0 ? q : e * q, p3 = u > 0.0 ? e * q : q;
        const double sp = e * q * q; /* s (1 - s) */
        const double ua = rx * (iT - it); /* du / dalpha */
        const double mi = p3 * iT + p4 * it;
        pl += w * (-rx * lT + (u > 0.0 ? u : 0.0) + log(1.0 + e)); /* e <= 1: log is enough */
        pabs += w * (rx * fabs(lT) + fabs(u));
        pr -= w * (p3 * lT + p4 * lt);
        prabs += w * (p3 * fabs(lT) + p4 * fabs(lt));
        pal -= w * rx * mi;
        p4s += w * p4;
        p4b += w * p4 * ib;
        q_rr += w * sp * dl * dl;
        q_ral += w * (sp * dl * ua - mi);
        q_alal += w * (rx * (p3 * iT * iT + p4 * it * it) + sp * ua * ua);
        q_ra += w * sp * dl;
        q_rb += w * sp * dl * ib;
        q_ala += w * sp * ua;
        q_alb += w * sp * ua * ib;
        q_aa += w * (sp - p4);
        q_ab += w * sp * ib;
        q_bb += w * (sp + p4) * ib * ib;
    }
    S[clv_s_ll()] = ll + pl;
    S[clv_s_d1(R)] = dr + pr;
    S[clv_s_d1(AL)] = dal + pal;
    S[clv_s_d1(A)] = da + p4s / a;
    S[clv_s_d1(B)] = db - p4b;
    S[clv_s_d2(NP, R, R)] = hrr + q_rr;
    S[clv_s_d2(NP, R, AL)] = hral + q_ral;
    S[clv_s_d2(NP, R, A)] = q_ra / a;
    S[clv_s_d2(NP, R, B)] = -q_rb;
    S[clv_s_d2(NP, AL, AL)] = halal + q_alal;
    S[clv_s_d2(NP, AL, A)] = q_ala / a;
    S[clv_s_d2(NP, AL, B)] = -q_alb;
    S[clv_s_d2(NP, A, A)] = haa + q_aa / (a * a);
    S[clv_s_d2(NP, A, B)] = hab - q_ab / a;
    S[clv_s_d2(NP, B, B)] = hbb + q_bb;
    S[clv_s_absll(NP)] = all + pabs;
    S[clv_s_absd1(NP, R)] = adr + prabs;
    S[clv_s_absd1(NP, AL)] = fabs(dal) + fabs(pal);
    S[clv_s_absd1(NP, A)] = ada + p4s / a;
    S[clv_s_absd1(NP, B)] = adb + p4b;
    S[clv_s_terms(NP)] = (double)(d->nx + d->nzero + d->npos);
}

static int bg_objective(const double *th, clv_eval *ev, void *vctx)
{
    bg_data *d = vctx;
    double p[4] = {exp(th[0]), exp(th[1]), exp(th[2]), exp(th[3])};
    double s[CLV_S_MAX];
    bg_local(d, p[0], p[1], p[2], p[3], s);
    return clv_objective_finish(s, 4, p, d->ntotal, d->sum, d->ctx, ev);
}

int tx_bgnbd_fit_run(const tx_clv_customer *c, size_t n, tx_clv_sum_fn sum, void *ctx,
                     tx_bgnbd_fit *out, tx_error *err)
{
    return tx_bgnbd_fit_run_opts(c, n, sum, ctx, NULL, out, err);
}

int tx_bgnbd_fit_run_opts(const tx_clv_customer *c, size_t n, tx_clv_sum_fn sum, void *ctx,
                          const tx_clv_fit_opts *opts, tx_bgnbd_fit *out, tx_error *err)
{
    bg_data d;
    memset(&d, 0, sizeof d);
    memset(out, 0, sizeof *out);
    out->stop_reason = "not fitted";
    const int max_iter = opts ? opts->max_iter : TX_CLV_MAX_ITER_DEFAULT;
    int rc;
    size_t bad = 0, first_bad = 0;
    double sT = 0.0, sx = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!customer_ok(&c[i])) {
            if (bad++ == 0)
                first_bad = i;
            continue;
        }
        sT += c[i].T;
        sx += c[i].x;
    }
    int local_rc = bad ? TX_ERR : bg_data_build(&d, c, n);
    /* One agreement: counts, failures and the scale of the starting point. */
    double agree[5] = {(double)n, bad ? 1.0 : 0.0, local_rc == TX_ENOMEM ? 1.0 : 0.0, sT, sx};
    if (sum && (rc = sum(agree, 5, ctx)) != TX_OK) {
        tx_error_set(err, rc, "BG/NBD fit: the cross-rank sum failed (status %d)", rc);
        goto out;
    }
    if (bad) {
        rc = tx_error_set(err, TX_ERR,
                          "BG/NBD fit: customer %zu (local index) has invalid x=%g t_x=%g T=%g "
                          "(need finite x >= 0, 0 <= t_x <= T)",
                          first_bad, c[first_bad].x, c[first_bad].t_x, c[first_bad].T);
        goto out;
    }
    if (agree[1] > 0.0) {
        rc = tx_error_set(err, TX_ERR, "BG/NBD fit: another rank has invalid customers");
        goto out;
    }
    if (agree[2] > 0.0) {
        rc = tx_error_set(err, TX_ENOMEM, "BG/NBD fit: out of memory grouping customers");
        goto out;
    }
    if (agree[0] < 1.0) {
        rc = tx_error_set(err, TX_ERR, "BG/NBD fit: no customers");
        goto out;
    }
    d.ntotal = agree[0];
    d.sum = sum;
    d.ctx = ctx;
    /* Start: r = a = b = 1 and alpha from the purchase rate ignoring dropout (mean x / mean T),
     * kept within the time scale of the data. */
    double mT = agree[3] / d.ntotal, mx = agree[4] / d.ntotal;
    if (!(mT > 0.0))
        mT = 1.0;
    double al0 = mx > 0.0 ? mT / mx : mT;
    al0 = fmin(fmax(al0, 0.05 * mT), 20.0 * mT);
    double th[4] = {0.0, log(al0), 0.0, 0.0};
    const clv_fit_out fit = {{&out->r, &out->alpha, &out->a, &out->b},
                             {&out->se_r, &out->se_alpha, &out->se_a, &out->se_b},
                             CLV_FIT_COMMON(out)};
    rc = clv_fit("BG/NBD", 4, th, bg_objective, &d, BG_GTOL, BG_XTOL, max_iter, d.ntotal, &fit,
                 err);
out:
    bg_data_free(&d);
    return rc;
}
