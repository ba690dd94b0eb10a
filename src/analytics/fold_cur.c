/* fold_cur.c - the currencies of the fold (fold.c): every stored row is counted in its own
 * currency (net, gross, refunds, transactions, distinct customers per day; distinct active
 * customers per month) and converted to the reporting currency for everything else
 * (reduce.h's tx_fx). Exactness as in fold.c: a (customer, currency) pair's rows come in
 * ascending months, so the days seen of its latest month tell a new day; the months a range
 * boundary cuts ("shared") are settled after the fold by one sample sort of the
 * (customer, month, currency) triples seen in them. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "analytics_internal.h"
#include "txetl/cmp.h"
#include "txetl/mpiutil.h"
#include "txetl/fmt.h"

void txa_fold_cur_free(txa_fold_cur *c)
{
    for (int k = 0; k < c->n; k++)
        free(c->c[k].acc);
    free(c->pair);
    free(c->slot);
    free(c->cm);
    free(c->gcode);
    memset(c, 0, sizeof *c);
}

void txa_currencies_free(txa_currencies *cur)
{
    free(cur->code);
    free(cur->acc);
    memset(cur, 0, sizeof *cur);
}

static int cur_index(txa_fold_cur *c, uint32_t code, tx_error *err)
{
    if (c->last < c->n && c->c[c->last].code == code)
        return c->last;
    for (int k = 0; k < c->n; k++)
        if (c->c[k].code == code)
            return c->last = k;
    if (c->n == TXA_MAX_CURRENCIES)
        return tx_error_set(err, TX_ERR, "reduce: more than %d currencies on one rank",
                            TXA_MAX_CURRENCIES), -1;
    txa_fcur *f = &c->c[c->n];
    f->code = code;
    f->acc = TX_XCALLOC(TXA_CACC_LEN, sizeof *f->acc);
    f->first_missing = INT32_MAX;
    return c->last = c->n++;
}

static inline size_t pair_hash(uint64_t id, uint32_t k, int bits)
{
    return (size_t)(((id ^ ((uint64_t)k << 56)) * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

static txa_pair *pair_get(txa_fold_cur *c, uint64_t id, uint32_t k)
{
    if (4 * (c->npair + 1) > 3 * c->cap) {
        free(c->slot);
        c->bits = c->bits ? c->bits + 1 : 10;
        c->cap = (size_t)1 << c->bits;
        c->slot = TX_XCALLOC(c->cap, sizeof *c->slot);
        for (size_t i = 0; i < c->npair; i++) {
            size_t h = pair_hash(c->pair[i].customer_id, c->pair[i].cur, c->bits);
            while (c->slot[h])
                h = (h + 1) & (c->cap - 1);
            c->slot[h] = (uint32_t)(i + 1);
        }
    }
    size_t h = pair_hash(id, k, c->bits);
    for (;; h = (h + 1) & (c->cap - 1)) {
        uint32_t s = c->slot[h];
        if (!s)
            break;
        if (c->pair[s - 1].customer_id == id && c->pair[s - 1].cur == k)
            return &c->pair[s - 1];
    }
    if (c->npair == c->paircap) {
        c->paircap = c->paircap ? 2 * c->paircap : 4096;
        c->pair = TX_XREALLOC(c->pair, c->paircap * sizeof *c->pair);
    }
    c->slot[h] = (uint32_t)(c->npair + 1);
    txa_pair *p = &c->pair[c->npair++];
    *p = (txa_pair){id, k, INT32_MIN, 0, 0};
    return p;
}

void txa_fold_cur_month_done(txa_fold_cur *c)
{
    c->npair = 0;
    if (c->slot)
        memset(c->slot, 0, c->cap * sizeof *c->slot);
}

int txa_fold_cur_row(txa_fold_cur *c, tx_fx *fx, uint64_t customer_id, int64_t cents,
                     int32_t date, uint32_t currency, int month, int dom,
                     const int16_t *shared_bit, int *have_rate, tx_error *err)
{
    if (currency == 0)
        currency = tx_currency_pack("USD");
    int k = cur_index(c, currency, err);
    if (k < 0)
        return TX_ERR;
    txa_fcur *f = &c->c[k];
    f->rows++;
    *have_rate = tx_fx_convert(fx, currency, date, cents, &c->converted);
    if (!*have_rate) {
        f->missing++;
        if (date < f->first_missing)
            f->first_missing = date;
        return TX_OK;
    }
    int64_t *a = f->acc;
    a[TXA_CACC_REV + date] += cents;
    a[(cents < 0 ? TXA_CACC_REFUND : TXA_CACC_GROSS) + date] += cents;
    a[TXA_CACC_TXN + date] += 1;
    txa_pair *p = pair_get(c, customer_id, (uint32_t)k);
    const uint32_t dbit = 1u << dom;
    if (p->month == month && (p->mask & dbit))
        return TX_OK; /* a day seen already */
    if (p->month != month) {
        if (p->month > month)
            return tx_error_set(err, TX_ERR, "reduce: not in month order: customer %llu day %d "
                                "after a later month", (unsigned long long)customer_id,
                                (int)date);
        p->month = month;
        p->mask = 0;
        if (shared_bit[month] < 0) {
            a[TXA_CACC_ACTIVE + month] += 1;
        } else {
            if (c->ncm == c->cmcap) {
                c->cmcap = c->cmcap ? 2 * c->cmcap : 1024;
                c->cm = TX_XREALLOC(c->cm, c->cmcap * sizeof *c->cm);
            }
            c->cm[c->ncm++] = (txa_cm){customer_id, month, currency};
        }
    }
    p->mask |= dbit;
    a[TXA_CACC_CUST + date] += 1;
    return TX_OK;
}

int txa_fold_cur_agree(MPI_Comm comm, txa_fold_cur *c, const tx_fx *fx, const char *fx_name,
                       tx_error *err)
{
    int64_t *mine = TX_XMALLOC(4 * (size_t)(c->n ? c->n : 1) * sizeof *mine);
    for (int k = 0; k < c->n; k++) {
        mine[4 * k] = c->c[k].code;
        mine[4 * k + 1] = (int64_t)c->c[k].rows;
        mine[4 * k + 2] = (int64_t)c->c[k].missing;
        mine[4 * k + 3] = c->c[k].first_missing;
    }
    int64_t *all;
    size_t ng;
    tx_fx_gather(comm, mine, c->n, &all, &ng); /* fx.c: the load's check shares it */
    free(mine);
    c->ng = (int)ng;
    c->gcode = TX_XMALLOC((ng ? ng : 1) * sizeof *c->gcode);
    for (size_t i = 0; i < ng; i++)
        c->gcode[i] = (uint32_t)all[4 * i];
    int st = tx_fx_refusal(all, ng, fx, fx_name, "stored transactions", NULL, err);
    free(all);
    return st;
}

static int cm_cmp(const void *pa, const void *pb)
{
    const txa_cm *a = pa, *b = pb;
    int c = TX_CMP(a->code, b->code);
    c = c ? c : TX_CMP(a->month, b->month);
    return c ? c : TX_CMP(a->customer_id, b->customer_id);
}

int txa_fold_cur_merge(MPI_Comm comm, txa_fold_cur *c, txa_currencies *out, tx_error *err)
{
    memset(out, 0, sizeof *out);
    out->n = c->ng;
    out->code = c->gcode;
    c->gcode = NULL;
    out->acc = TX_XCALLOC((size_t)(out->n ? out->n : 1) * TXA_CACC_LEN, sizeof *out->acc);
    for (int k = 0; k < c->n; k++)
        for (int g = 0; g < out->n; g++)
            if (out->code[g] == c->c[k].code)
                memcpy(out->acc + (size_t)g * TXA_CACC_LEN, c->c[k].acc,
                       TXA_CACC_LEN * sizeof *out->acc);
    free(c->pair);
    free(c->slot);
    c->pair = NULL;
    c->slot = NULL;
    /* the shared months' triples: equal ones meet on one rank, each counted once */
    if (c->ncm > 1) /* qsort wants a non-NULL base even for no elements */
        qsort(c->cm, c->ncm, sizeof *c->cm, cm_cmp);
    txa_cm *m = NULL;
    size_t nm = 0;
    int st = txa_sample_sort(comm, c->cm, c->ncm, sizeof *c->cm, cm_cmp, cm_cmp, NULL,
                             (void **)&m, &nm, err);
    free(c->cm);
    c->cm = NULL;
    for (size_t i = 0; st == TX_OK && i < nm; i++) {
        if (i && cm_cmp(&m[i], &m[i - 1]) == 0)
            continue;
        for (int g = 0; g < out->n; g++)
            if (out->code[g] == m[i].code)
                out->acc[(size_t)g * TXA_CACC_LEN + TXA_CACC_ACTIVE + (size_t)m[i].month] += 1;
    }
    free(m);
    return st;
}
