/* txgen_gen.c - the PRNG, the BG/NBD + Gamma-Gamma customer generator, the id permutation. */
#include "txgen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG ---- */

void txg_rng_seed(txg_rng *g, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ull);
    x = tx_splitmix64(&x) ^ stream;
    for (int i = 0; i < 4; i++)
        g->s[i] = tx_splitmix64(&x);
}

uint64_t txg_next(txg_rng *g) { return tx_rng_next(g); }

double txg_unif(txg_rng *g) { return tx_rng_unif(g); }

uint64_t txg_below(txg_rng *g, uint64_t n) { return n ? txg_next(g) % n : 0; }

/* ---- Dates ---- */

int txg_parse_date(const char *s, int32_t *days)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    return tx_civil_days(atoi(s), atoi(s + 5), atoi(s + 8), days);
}

/* ---- Text tables ---- */

const char *const txg_categories[] = {
    "",
    "groceries", "electronics", "clothing", "home & garden", "restaurants", "travel",
    "health & beauty", "sports", "books", "toys", "café & bistro", "家電", "électroménager",
    "pharmacy", "fuel", "entertainment", "subscriptions", "pet supplies", "Bücher & Medien",
    /* tricky ones (only in --tricky records) */
    "food, drinks & more",            /* quoted comma */
    "the \"best\" shop",              /* quotes */
    "gifts\nand cards",               /* newline in quoted text */
    "  spaced text  ",                /* text is kept as it is */
    "電電電電電電電電電電電電電電電電電電電電abcd", /* 20*3 + 4 = 64 bytes */
    "éééééééééééééééééééééééééééééééé", /* 32*2 = 64 bytes */
    "🎁🎁🎁🎁🎁🎁🎁🎁🎁🎁🎁🎁🎁🎁🎁🎁", /* 16*4 = 64 bytes */
    "say \"hi\", then\r\nleave",     /* all of it */
};
const int txg_ncategories = (int)(sizeof txg_categories / sizeof txg_categories[0]);
const int txg_nplain_categories = 20;

const char *const txg_payments[] = {
    "", "card", "cash", "paypal", "bank_transfer", "apple_pay", "google_pay", "gift_card",
    "crédit", "bank_transfer_international_wire", /* exactly 32 bytes */
};
const int txg_npayments = (int)(sizeof txg_payments / sizeof txg_payments[0]);
#define NPLAIN_PAYMENTS 8

const char txg_currencies[][4] = {"USD", "EUR", "GBP"};

/* ---- Rows ---- */

void txg_rows_push(txg_rows *r, const txg_row *x) { txg_rows_insert(r, r->n, x); }

void txg_rows_insert(txg_rows *r, size_t at, const txg_row *x)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        r->v = TX_XREALLOC(r->v, cap * sizeof *r->v);
        r->cap = cap;
    }
    memmove(r->v + at + 1, r->v + at, (r->n - at) * sizeof *x);
    r->v[at] = *x;
    r->n++;
}

uint64_t txg_customer_id(uint64_t c) { return 1000 + (c + 1) * 7; }

static uint16_t pick_category(txg_rng *g)
{
    double u = txg_unif(g);
    return (uint16_t)(1 + (int)((txg_nplain_categories - 1) * u * u));
}

static uint8_t pick_payment(txg_rng *g)
{
    static const uint8_t w[] = {1, 1, 1, 1, 1, 1, 2, 2, 3, 4, 5, 6, 7, 8};
    return w[txg_below(g, sizeof w)];
}

static uint8_t pick_currency(txg_rng *g)
{
    uint64_t k = txg_below(g, 100);
    return k < 90 ? 0 : k < 96 ? 1 : 2;
}

/* A last_updated on `date` in a random style; the fraction matches the style. */
static void pick_lu(txg_rng *g, int32_t date, txg_row *r)
{
    uint64_t k = txg_below(g, 10);
    r->lu_style = k < 5 ? 0 : k < 6 ? 1 : k < 7 ? 2 : k < 9 ? 3 : 4;
    int64_t us = (int64_t)date * 86400000000LL + (int64_t)txg_below(g, 86400) * 1000000;
    if (r->lu_style == 3)
        us += (int64_t)txg_below(g, 1000000);
    else if (r->lu_style == 4)
        us += (int64_t)txg_below(g, 1000) * 1000;
    r->lu_us = us;
}

static int64_t pick_cents(txg_rng *g, double nu)
{
    double dollars = tx_rng_gamma(g, TXG_P) / nu;
    int64_t c = (int64_t)llround(dollars * 100);
    if (c < 1)
        c = 1;
    if (txg_unif(g) < TXG_REFUND_RATE)
        c = -c;
    return c;
}

/* Shapes a tricky row of variant v (the writer adds the formatting quirks). */
static void make_tricky(txg_rng *outer, const txg_opts *o, txg_row *r)
{
    /* A private stream: the variant (from the id index) must not change the outer draws. */
    txg_rng gs, *g = &gs;
    txg_rng_seed(g, txg_next(outer), r->idx);
    int nt = txg_ncategories - 1 - txg_nplain_categories; /* tricky categories */
    switch (r->sub) {
    case 0: /* quoted comma/quote/newline text */
        r->cat = (uint16_t)(txg_nplain_categories + txg_below(g, 4));
        r->cat = r->cat == txg_nplain_categories + 3 ? (uint16_t)(txg_ncategories - 1) : r->cat;
        break;
    case 1: /* "+5" */
        r->cents = (int64_t)(1 + txg_below(g, 50)) * 100;
        break;
    case 2: /* spaces around non-text fields, one fraction digit */
        r->cents = (r->cents / 10) * 10;
        if (r->cents == 0)
            r->cents = 10;
        break;
    case 3: /* leap day + microsecond T...Z timestamp */
        r->date = tx_days_from_civil(2024, 2, 29);
        r->lu_us = (int64_t)tx_days_from_civil(2024, 3, 1) * 86400000000LL + 36000000000LL + 123456;
        r->lu_style = 2;
        break;
    case 4: /* exactly 64 bytes of multibyte text, 32-byte payment */
        r->cat = (uint16_t)(txg_nplain_categories + 4 + txg_below(g, 3));
        r->pay = (uint8_t)(txg_npayments - 1);
        break;
    case 5: /* empty optional fields: defaults */
        r->cat = 0;
        r->pay = 0;
        r->cur = 0;
        r->lu_us = (int64_t)r->date * 86400000000LL;
        break;
    case 6: /* quoted non-text fields */
        break;
    case 7: /* text kept with its spaces */
        r->cat = (uint16_t)(txg_nplain_categories + 3);
        break;
    case 8: /* tiny and zero amounts */
        r->cents = txg_below(g, 2) ? 1 : 0;
        break;
    case 9: /* half-second timestamp, tab-padded */
        r->lu_us = (r->lu_us / 1000000) * 1000000 + 500000;
        r->lu_style = 5;
        break;
    }
    (void)nt;
    if (!o->has[TX_COL_TRANSACTION_CATEGORY])
        r->cat = 0;
    if (!o->has[TX_COL_PAYMENT_METHOD])
        r->pay = 0;
    if (!o->has[TX_COL_CURRENCY])
        r->cur = 0;
    if (!o->has[TX_COL_LAST_UPDATED])
        r->lu_us = (int64_t)r->date * 86400000000LL;
}

/* One extra version of purchase `base`: other last_updated, maybe other date and amount. */
static void make_dup(txg_rng *g, const txg_opts *o, const txg_row *base, double nu, txg_row *d)
{
    *d = *base;
    uint64_t k = txg_below(g, 10);
    int64_t shift = (int64_t)(1 + txg_below(g, 30 * 86400)) * 1000000;
    if (k < 5)
        d->lu_us += shift;
    else if (k < 8)
        d->lu_us -= shift;
    /* else: equal last_updated, the later position wins */
    uint64_t j = txg_below(g, 20);
    if (j >= 12 && j < 17)
        d->date += (int32_t)(1 + txg_below(g, 10)) * (txg_below(g, 2) ? 1 : -1);
    else if (j >= 17)
        d->date = o->start + (int32_t)txg_below(g, (uint64_t)(o->end - o->start + 1));
    if (txg_below(g, 2))
        d->cents = pick_cents(g, nu);
    if (txg_below(g, 4) == 0 && o->has[TX_COL_TRANSACTION_CATEGORY])
        d->cat = pick_category(g);
    if (!o->has[TX_COL_LAST_UPDATED])
        d->lu_us = (int64_t)d->date * 86400000000LL;
}

uint64_t txg_customer(const txg_opts *o, uint64_t c, uint64_t id_base, txg_rows *rows)
{
    txg_rng g;
    txg_rng_seed(&g, o->seed, c);
    rows->n = 0;
    double lambda = tx_rng_gamma(&g, TXG_R) / TXG_ALPHA;
    double a = tx_rng_gamma(&g, TXG_A), b = tx_rng_gamma(&g, TXG_B);
    double p = a / (a + b);
    double nu = tx_rng_gamma(&g, TXG_Q) / TXG_V;
    double span = (double)(o->end - o->start + 1);
    double t = txg_unif(&g) * span * 0.5;
    uint64_t next = id_base;
    size_t nprim = 0;
    for (;;) {
        txg_row r;
        memset(&r, 0, sizeof r);
        r.idx = next++;
        r.date = o->start + (int32_t)floor(t);
        r.cents = pick_cents(&g, nu);
        r.cat = o->has[TX_COL_TRANSACTION_CATEGORY] ? pick_category(&g) : 0;
        r.pay = o->has[TX_COL_PAYMENT_METHOD] ? pick_payment(&g) : 0;
        r.cur = pick_currency(&g);
        pick_lu(&g, r.date, &r);
        if (!o->has[TX_COL_CURRENCY])
            r.cur = 0;
        if (!o->has[TX_COL_LAST_UPDATED])
            r.lu_us = (int64_t)r.date * 86400000000LL;
        r.op = 'U';
        r.kind = TXG_VALID;
        txg_rows_push(rows, &r);
        nprim++;
        if (o->tricky && txg_unif(&g) < TXG_TRICKY_RATE) {
            txg_row x = r;
            x.idx = next++;
            x.kind = TXG_TRICKY;
            x.sub = (uint8_t)(x.idx % TXG_NTRICKY);
            make_tricky(&g, o, &x);
            txg_rows_push(rows, &x);
        }
        if (o->nbad > 0 && txg_unif(&g) < o->bad_rate) {
            txg_row x = r;
            x.idx = next++;
            x.kind = TXG_BAD;
            x.sub = (uint8_t)o->bad[x.idx % (uint64_t)o->nbad];
            txg_rows_push(rows, &x);
        }
        /* Next repeat purchase; dropout is possible only after a repeat purchase. */
        t += -log(txg_unif(&g)) / lambda;
        if (t >= span)
            break;
        if (nprim > 1 && txg_unif(&g) < p) /* dropout after a repeat purchase (BG/NBD) */
            break;
    }
    if (o->dup_rate > 0) {
        /* Extra versions of the ordinary purchases, appended, then moved to random places. */
        size_t n0 = rows->n;
        for (size_t i = 0; i < n0; i++) {
            if (rows->v[i].kind != TXG_VALID || txg_unif(&g) >= o->dup_rate)
                continue;
            int extra = 1 + (int)txg_below(&g, 3);
            for (int e = 0; e < extra; e++) {
                txg_row d;
                make_dup(&g, o, &rows->v[i], nu, &d);
                txg_rows_push(rows, &d);
            }
        }
        size_t nd = rows->n - n0;
        if (nd > 0) {
            txg_row *dups = TX_XMALLOC(nd * sizeof *dups);
            memcpy(dups, rows->v + n0, nd * sizeof *dups);
            rows->n = n0;
            for (size_t j = 0; j < nd; j++)
                txg_rows_insert(rows, txg_below(&g, rows->n + 1), &dups[j]);
            free(dups);
        }
    }
    return next - id_base;
}

/* ---- Id permutation: a 4-round Feistel network on 2^(2*half) ids, cycle-walking into
 * [0, m). A bijection, so computable per id on any rank. ---- */

void txg_perm_init(txg_perm *p, uint64_t m, uint64_t seed, int on)
{
    memset(p, 0, sizeof *p);
    p->on = on;
    p->m = m;
    int bits = 2;
    while (bits < 64 && (1ull << bits) < m)
        bits += 2;
    p->half = bits / 2;
    p->mask = (1ull << p->half) - 1;
    uint64_t x = seed ^ 0x5EED5EED5EED5EEDull;
    for (int i = 0; i < 4; i++)
        p->key[i] = tx_splitmix64(&x);
}

static uint64_t feistel(const txg_perm *p, uint64_t v)
{
    uint64_t l = v >> p->half, r = v & p->mask;
    for (int i = 0; i < 4; i++) {
        uint64_t x = r ^ p->key[i];
        uint64_t f = tx_splitmix64(&x) & p->mask;
        uint64_t nl = r;
        r = l ^ f;
        l = nl;
    }
    return (l << p->half) | r;
}

uint64_t txg_id(const txg_perm *p, uint64_t idx)
{
    if (!p->on)
        return idx + 1;
    uint64_t v = idx;
    do
        v = feistel(p, v);
    while (v >= p->m);
    return v + 1;
}
