/* fold.c - the streaming input of the reduce step (docs/analytics.md): each rank's sources (shards)
 * streamed row by row, month by month, into one partial per customer (a hash table: memory is
 * set by the customers, not the transactions), plus per-day revenue figures and per-month
 * active customers; then the partials go to the ranks owning their customers
 * (txa_sample_sort) and merge there.
 *
 * Exactness. Purchase days: a customer's rows come in ascending months, so the days seen of its
 * latest month (a 31-bit mask) tell a new day from a repeat. Sources hold disjoint date ranges
 * (checked), so a (customer, day) is on one rank: purchase days and daily distinct customers
 * add up over ranks. A month lies in two sources only when a range boundary cuts it (at most
 * one per boundary): for those "shared" months, known from the declared ranges before any row,
 * each partial keeps a bit per shared month instead of counting it, the merge ors the bits and
 * counts each customer once. Every other month is in one source and counted as it streams.
 *
 * Cohorts (cohort.c). The rank, if any, whose months all come before every other rank's, with
 * no month in common (the only rank; in the load's reduce, which cuts ranks at month starts,
 * the one reading the earliest months) sees every one of its customers' first month:
 * each partial sums its latest month's revenue, and when the customer's rows move on to a
 * later month (and at txa_fold_take_months for the last) that month is counted into the
 * (cohort, offset) table at once ("direct"). Every other rank keeps, per partial, the revenue
 * of the 13 months from the partial's first month on (a fixed record: a customer's cohort is
 * no later than that month, so no later month counts) and the months among them with a row;
 * cohort.c asks the customers' owners for their cohorts and counts them. Either way the memory
 * is set by the customers, not by the months or rows they have. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analytics_internal.h"
#include "txetl/mpiutil.h"
#include "txetl/record.h"

struct txa_fold {
    int32_t as_of, holdout; /* INT32_MIN: none */
    int words;              /* u64 of shared-month bits after each partial */
    size_t stride;          /* txa_part_size(words) */
    char *part;             /* the partials, dense: n of room for pcap */
    size_t n, pcap;
    uint32_t *slot;         /* hash table: 1 + the index of a partial, 0 empty; cap slots */
    size_t cap;
    int bits;                  /* log2(cap) */
    int32_t lower, upper;      /* the current source's range */
    int source;                /* its index, for messages */
    int16_t *shared_bit;       /* [TX_NMONTHS]: bit of a shared month, or -1 */
    int32_t *shared_month;     /* [nshared]: the month of each bit */
    int nshared;
    int32_t first, last;       /* days folded on this rank */
    int64_t *acc;              /* TXA_ACC_LEN accumulators */
    uint16_t *month_of;        /* [TX_NDAYS] */
    uint8_t *dom_of;           /* [TX_NDAYS]: day of month - 1 */
    /* Currencies (fold_cur.c): the reporting-currency conversion and the per-currency
     * figures. */
    tx_fx *fx;
    txa_fold_cur cur;
    /* Cohorts (cohort.c), by partial index ([pcap]): direct, each partial's revenue in its
     * latest month so far (mrev) and the (cohort, offset) table; otherwise the 13 months'
     * revenues and the bits of those with a row. */
    int64_t *mrev;   /* direct only */
    int64_t *direct; /* NULL, or txa_cohort_in's direct table */
    int64_t *crev;   /* not direct: [pcap * COHORT_K] */
    uint16_t *cmask; /* not direct: [pcap] */
};

enum { COHORT_K = TX_COHORT_MAX_OFFSET + 1 };

void txa_fold_free(txa_fold *f)
{
    if (!f)
        return;
    free(f->part);
    free(f->slot);
    free(f->shared_bit);
    free(f->shared_month);
    free(f->acc);
    free(f->month_of);
    free(f->dom_of);
    txa_fold_cur_free(&f->cur);
    free(f->mrev);
    free(f->direct);
    free(f->crev);
    free(f->cmask);
    free(f);
}

static inline txa_part *part_at(const txa_fold *f, size_t i)
{
    return (txa_part *)(void *)(f->part + i * f->stride);
}

static inline size_t slot_hash(uint64_t id, int bits)
{
    return (size_t)((id * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

/* The partial of customer id: found, or a fresh one (orders 0, f->n not yet counted). */
static txa_part *part_get(txa_fold *f, uint64_t id)
{
    if (4 * (f->n + 1) > 3 * f->cap) { /* load at most 3/4: double and rehash */
        free(f->slot);
        f->bits++;
        f->cap = (size_t)1 << f->bits;
        f->slot = TX_XCALLOC(f->cap, sizeof *f->slot);
        for (size_t i = 0; i < f->n; i++) {
            size_t h = slot_hash(part_at(f, i)->customer_id, f->bits);
            while (f->slot[h])
                h = (h + 1) & (f->cap - 1);
            f->slot[h] = (uint32_t)(i + 1);
        }
    }
    size_t h = slot_hash(id, f->bits);
    for (;; h = (h + 1) & (f->cap - 1)) {
        uint32_t k = f->slot[h];
        if (!k)
            break;
        if (part_at(f, k - 1)->customer_id == id)
            return part_at(f, k - 1);
    }
    if (f->n == f->pcap) { /* grows in place mostly (large blocks are remapped) */
        f->pcap = f->pcap ? 2 * f->pcap : (size_t)1 << 12;
        f->part = TX_XREALLOC(f->part, f->pcap * f->stride);
        if (f->direct) {
            f->mrev = TX_XREALLOC(f->mrev, f->pcap * sizeof *f->mrev);
        } else {
            f->crev = TX_XREALLOC(f->crev, f->pcap * COHORT_K * sizeof *f->crev);
            f->cmask = TX_XREALLOC(f->cmask, f->pcap * sizeof *f->cmask);
        }
    }
    f->slot[h] = (uint32_t)(f->n + 1);
    txa_part *p = part_at(f, f->n);
    p->orders = 0;
    return p;
}

/* Direct: a customer's month left behind (its rows come in ascending months) counted into the
 * (cohort, offset) table; a month more than TX_COHORT_MAX_OFFSET months after the customer's
 * first is beyond every offset the table counts. */
static void cohort_emit(txa_fold *f, const txa_part *p, int64_t cents)
{
    const int off = p->month - f->month_of[p->first];
    if (!f->direct || off > TX_COHORT_MAX_OFFSET)
        return;
    const size_t c = (size_t)f->month_of[p->first] * COHORT_K + (size_t)off;
    f->direct[c] += 1;
    f->direct[(size_t)TX_NMONTHS * COHORT_K + c] += cents;
}

void txa_fold_take_months(txa_fold *f, txa_cohort_in *out)
{
    memset(out, 0, sizeof *out);
    out->words = f->words; /* the shared months: an owner counts them (cohort.c) */
    out->shared_bit = TX_XMALLOC(TX_NMONTHS * sizeof *out->shared_bit);
    memcpy(out->shared_bit, f->shared_bit, TX_NMONTHS * sizeof *out->shared_bit);
    out->shared_month = TX_XMALLOC(((size_t)f->nshared ? (size_t)f->nshared : 1) *
                                   sizeof *out->shared_month);
    memcpy(out->shared_month, f->shared_month, (size_t)f->nshared * sizeof *out->shared_month);
    if (f->direct) {
        for (size_t i = 0; i < f->n; i++)
            cohort_emit(f, part_at(f, i), f->mrev[i]);
        out->direct = f->direct;
        f->direct = NULL;
        return;
    }
    const size_t n = f->n, w = (size_t)f->words;
    out->n = n;
    out->id = TX_XMALLOC((n ? n : 1) * sizeof *out->id);
    out->first_month = TX_XMALLOC((n ? n : 1) * sizeof *out->first_month);
    out->shared = TX_XMALLOC((n * w > 0 ? n * w : 1) * sizeof *out->shared);
    for (size_t i = 0; i < n; i++) {
        const txa_part *p = part_at(f, i);
        out->id[i] = p->customer_id;
        out->first_month[i] = f->month_of[p->first];
        if (w)
            memcpy(out->shared + i * w, p + 1, w * sizeof *out->shared);
    }
    out->rev = n ? TX_XREALLOC(f->crev, n * COHORT_K * sizeof *f->crev) : f->crev;
    out->mask = n ? TX_XREALLOC(f->cmask, n * sizeof *f->cmask) : f->cmask;
    f->crev = NULL;
    f->cmask = NULL;
}

/* Collective. Whether this rank's months all come before every other rank's (no month in
 * common): then it counts its cohorts directly (the top of the file). */
static int earliest_rank(MPI_Comm comm, const tx_reduce_source *src, int nsrc)
{
    int32_t r[2] = {INT32_MAX, INT32_MIN}; /* first and last month this rank reads */
    for (int s = 0; s < nsrc; s++) {
        if (src[s].lower >= src[s].upper)
            continue;
        const int32_t lo = src[s].lower < 0 ? 0 : src[s].lower;
        const int32_t hi = src[s].upper > TX_NDAYS ? TX_NDAYS : src[s].upper;
        if (lo >= hi)
            continue;
        if (tx_month_index(lo) < r[0])
            r[0] = tx_month_index(lo);
        if (tx_month_index(hi - 1) > r[1])
            r[1] = tx_month_index(hi - 1);
    }
    int size = 1, me = 0;
    MPI_Comm_size(comm, &size);
    MPI_Comm_rank(comm, &me);
    int32_t *all = TX_XMALLOC(2 * (size_t)size * sizeof *all);
    MPI_Allgather(r, 2, MPI_INT32_T, all, 2, MPI_INT32_T, comm);
    int ok = r[0] <= r[1];
    for (int k = 0; k < size && ok; k++)
        if (k != me && all[2 * k] <= all[2 * k + 1] && all[2 * k] <= r[1])
            ok = 0; /* rank k reads a month as early as this rank's last */
    free(all);
    return ok;
}

static int fold_row(void *sink, uint64_t customer_id, int64_t amount_cents, int32_t date,
                    uint32_t currency, tx_error *err)
{
    txa_fold *f = sink;
    if (date < 0 || date >= TX_NDAYS)
        return tx_error_set(err, TX_ERR,
                            "reduce: a transaction of customer %llu is dated day %d, outside "
                            "1970-01-01..2099-12-31",
                            (unsigned long long)customer_id, (int)date);
    if (date < f->lower || date >= f->upper)
        return tx_error_set(err, TX_ERR,
                            "reduce: source %d holds a transaction of customer %llu dated day "
                            "%d, outside its date range",
                            f->source, (unsigned long long)customer_id, (int)date);
    if (f->as_of != INT32_MIN && date > f->as_of)
        return TX_OK;
    if (f->n >= UINT32_MAX - 1)
        return tx_error_set(err, TX_ERR, "reduce: over 2^32 customers on one rank");
    /* The row in its own currency; then in the reporting currency (no rate: counted, left out,
     * and the fold fails once every row is seen). */
    int have_rate = 0;
    int rc = txa_fold_cur_row(&f->cur, f->fx, customer_id, amount_cents, date, currency,
                              f->month_of[date], f->dom_of[date], f->shared_bit, &have_rate,
                              err);
    if (rc != TX_OK || !have_rate)
        return rc;
    amount_cents = f->cur.converted;
    txa_part *p = part_get(f, customer_id);
    const size_t pi = (size_t)((char *)p - f->part) / f->stride;
    const int m = f->month_of[date];
    const uint32_t dbit = 1u << f->dom_of[date];
    int new_day = 1, new_month = 1;
    if (!p->orders) {
        memset(p, 0, f->stride);
        p->customer_id = customer_id;
        p->first = p->last = date;
        p->last_cal = INT32_MIN;
        p->month = m;
        if (f->direct) {
            f->mrev[pi] = 0;
        } else {
            memset(f->crev + pi * COHORT_K, 0, COHORT_K * sizeof *f->crev);
            f->cmask[pi] = 0;
        }
        f->n++;
    } else if (m < p->month) {
        return tx_error_set(err, TX_ERR,
                            "reduce: source %d is not in month order: customer %llu day %d "
                            "after a later month",
                            f->source, (unsigned long long)customer_id, (int)date);
    } else if (m == p->month) {
        new_month = 0;
        new_day = !(p->mask & dbit);
    } else {
        if (f->direct) {
            cohort_emit(f, p, f->mrev[pi]);
            f->mrev[pi] = 0;
        }
        p->month = m;
        p->mask = 0;
    }
    if (f->direct)
        f->mrev[pi] += amount_cents;
    p->orders++;
    p->revenue += amount_cents;
    if (date < p->first || p->orders == 1) {
        p->first = date;
        p->first_sum = amount_cents;
    } else if (date == p->first) {
        p->first_sum += amount_cents;
    }
    if (date > p->last)
        p->last = date;
    if (!f->direct) { /* the month's offset from the partial's first month */
        const int off = m - f->month_of[p->first];
        if (off <= TX_COHORT_MAX_OFFSET) {
            f->crev[pi * COHORT_K + (size_t)off] += amount_cents;
            f->cmask[pi] |= (uint16_t)(1u << off);
        }
    }
    f->acc[TXA_ACC_REV + date] += amount_cents;
    f->acc[(amount_cents < 0 ? TXA_ACC_REFUND : TXA_ACC_GROSS) + date] += amount_cents;
    f->acc[TXA_ACC_TXN + date] += 1;
    if (new_day) {
        p->mask |= dbit;
        p->ndays++;
        f->acc[TXA_ACC_CUST + date] += 1;
        if (f->holdout != INT32_MIN) {
            if (date < f->holdout) {
                p->ncal++;
                if (date > p->last_cal)
                    p->last_cal = date;
            } else {
                p->nhold++;
            }
        }
    }
    if (new_month) {
        int b = f->shared_bit[m];
        if (b < 0)
            f->acc[TXA_ACC_ACTIVE + m] += 1;
        else
            ((uint64_t *)(void *)(p + 1))[b / 64] |= 1ull << (b % 64);
    }
    if (date < f->first)
        f->first = date;
    if (date > f->last)
        f->last = date;
    return TX_OK;
}

static int range_cmp(const void *pa, const void *pb)
{
    const int32_t *a = pa, *b = pb;
    return (a[0] > b[0]) - (a[0] < b[0]);
}

/* Collective. Every rank's declared source ranges: TX_ERR (same on every rank) when two
 * overlap; else the shared months (cut by a range boundary, in two ranges) get their bits. */
static int shared_months(MPI_Comm comm, txa_fold *f, const tx_reduce_source *src, int nsrc,
                         tx_error *err)
{
    int32_t *mine = TX_XMALLOC(2 * (size_t)(nsrc > 0 ? nsrc : 1) * sizeof *mine);
    int nm = 0;
    for (int s = 0; s < nsrc; s++) {
        if (src[s].lower >= src[s].upper)
            continue; /* holds nothing */
        mine[nm++] = src[s].lower;
        mine[nm++] = src[s].upper;
    }
    size_t total = 0;
    int32_t *all = tx_allgather_var(comm, mine, nm, MPI_INT32_T, sizeof *all, &total);
    free(mine);
    const size_t nr = total / 2;
    qsort(all, nr, 2 * sizeof *all, range_cmp);
    int st = TX_OK;
    uint8_t *in = TX_XCALLOC(TX_NMONTHS, 1);
    for (size_t i = 0; i < nr; i++) {
        if (i && all[2 * i] < all[2 * i - 1] && st == TX_OK)
            st = tx_error_set(err, TX_ERR,
                              "reduce: two sources (shards) have overlapping date ranges: "
                              "shards must hold disjoint dates");
        int64_t lo = all[2 * i] < 0 ? 0 : all[2 * i];
        int64_t hi = all[2 * i + 1] > TX_NDAYS ? TX_NDAYS : all[2 * i + 1];
        if (lo >= hi)
            continue;
        for (int m = tx_month_index((int32_t)lo); m <= tx_month_index((int32_t)(hi - 1)); m++)
            if (in[m] < 2)
                in[m]++;
    }
    free(all);
    f->shared_bit = TX_XMALLOC(TX_NMONTHS * sizeof *f->shared_bit);
    f->shared_month = TX_XMALLOC(TX_NMONTHS * sizeof *f->shared_month);
    for (int m = 0; m < TX_NMONTHS; m++) {
        f->shared_bit[m] = -1;
        if (in[m] == 2) {
            f->shared_month[f->nshared] = m;
            f->shared_bit[m] = (int16_t)f->nshared++;
        }
    }
    free(in);
    f->words = (f->nshared + 63) / 64;
    f->stride = txa_part_size(f->words);
    return st;
}

int txa_fold_sources(MPI_Comm comm, const tx_reduce_source *src, int nsrc, int32_t as_of,
                     int32_t holdout, tx_fx *fx, const char *fx_name, txa_fold **out,
                     int32_t *first, int32_t *last, tx_error *err)
{
    txa_fold *f = TX_XCALLOC(1, sizeof *f);
    f->fx = fx;
    f->as_of = as_of;
    f->holdout = holdout;
    f->first = INT32_MAX;
    f->last = INT32_MIN;
    int st = shared_months(comm, f, src, nsrc, err);
    if (earliest_rank(comm, src, nsrc))
        f->direct = TX_XCALLOC(2 * (size_t)TX_NMONTHS * COHORT_K, sizeof *f->direct);
    f->acc = TX_XCALLOC(TXA_ACC_LEN, sizeof *f->acc);
    f->month_of = TX_XMALLOC(TX_NDAYS * sizeof *f->month_of);
    f->dom_of = TX_XMALLOC(TX_NDAYS);
    for (int32_t d = 0, dom = 0; d < TX_NDAYS; d++, dom++) {
        f->month_of[d] = (uint16_t)tx_month_index(d);
        if (d && f->month_of[d] != f->month_of[d - 1])
            dom = 0;
        f->dom_of[d] = (uint8_t)dom;
    }
    f->bits = 10;
    f->cap = (size_t)1 << f->bits;
    f->slot = TX_XCALLOC(f->cap, sizeof *f->slot);
    /* This rank's sources in date order: each customer's rows in ascending months. */
    int *order = TX_XMALLOC((size_t)(nsrc > 0 ? nsrc : 1) * sizeof *order);
    for (int s = 0; s < nsrc; s++) {
        int k = s;
        while (k > 0 && src[order[k - 1]].lower > src[s].lower) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = s;
    }
    for (int i = 0; i < nsrc && st == TX_OK; i++) {
        const tx_reduce_source *s = &src[order[i]];
        f->source = order[i];
        f->lower = s->lower;
        f->upper = s->upper;
        st = s->read(s->ctx, fold_row, f, err);
    }
    free(order);
    st = tx_agree(comm, st, err);
    if (st == TX_OK) /* every rank's currencies; rows without a rate fail here */
        st = txa_fold_cur_agree(comm, &f->cur, fx, fx_name, err);
    if (st != TX_OK) {
        txa_fold_free(f);
        *out = NULL;
        return st;
    }
    /* MIN of (first, -last); a rank with no rows has last = INT32_MIN (not negated). */
    int32_t fl[2] = {f->first, f->last == INT32_MIN ? INT32_MAX : -f->last};
    MPI_Allreduce(MPI_IN_PLACE, fl, 2, MPI_INT32_T, MPI_MIN, comm);
    *first = fl[0];
    *last = fl[1] == INT32_MAX ? INT32_MIN : -fl[1];
    *out = f;
    return TX_OK;
}

static int part_cmp(const void *pa, const void *pb)
{
    const txa_part *a = pa, *b = pb;
    return (a->customer_id > b->customer_id) - (a->customer_id < b->customer_id);
}

int txa_fold_merge(MPI_Comm comm, txa_fold *f, txa_part **parts, size_t *nparts,
                   int64_t **acc, txa_currencies *cur, tx_error *err)
{
    memset(cur, 0, sizeof *cur);
    int cst = txa_fold_cur_merge(comm, &f->cur, cur, err);
    const size_t stride = f->stride;
    const int words = f->words;
    /* The partials, the unused room given back, sorted by customer. */
    size_t n = f->n;
    char *p = f->part;
    f->part = NULL;
    free(f->slot);
    f->slot = NULL;
    if (n)
        p = TX_XREALLOC(p, n * stride);
    int64_t *a = f->acc;
    f->acc = NULL;
    int32_t *shared_month = f->shared_month;
    f->shared_month = NULL;
    txa_fold_free(f);
    static const txa_radix_key key = {offsetof(txa_part, customer_id), 8, 0};
    txa_radix_sort(p, n, stride, &key, 1);
    char *m = NULL;
    size_t nm = 0;
    /* No sorter: the element size is only known here, and txa_sample_sort merges the sorted
     * runs it receives with part_cmp (its sorter argument is unused). */
    int st = txa_sample_sort(comm, p, n, stride, part_cmp, part_cmp, NULL, (void **)&m, &nm,
                             err);
    free(p);
    if (st == TX_OK)
        st = cst;
    if (st != TX_OK) {
        free(m);
        txa_currencies_free(cur);
        free(a);
        free(shared_month);
        *parts = NULL;
        *nparts = 0;
        *acc = NULL;
        return st;
    }
    /* One customer's partials (one per rank at most) merged into plain txa_part. */
    txa_part *out = (txa_part *)(void *)m; /* written behind the read position */
    uint64_t *bits = TX_XMALLOC(((size_t)words ? (size_t)words : 1) * sizeof *bits);
    size_t k = 0;
    for (size_t i = 0; i < nm;) {
        txa_part c;
        memcpy(&c, m + i * stride, sizeof c);
        if (words)
            memcpy(bits, m + i * stride + sizeof c, (size_t)words * sizeof *bits);
        size_t j = i + 1;
        for (; j < nm; j++) {
            txa_part q;
            memcpy(&q, m + j * stride, sizeof q);
            if (q.customer_id != c.customer_id)
                break;
            for (int w = 0; w < words; w++) {
                uint64_t b;
                memcpy(&b, m + j * stride + sizeof q + (size_t)w * sizeof b, sizeof b);
                bits[w] |= b;
            }
            if (q.first < c.first) {
                c.first = q.first;
                c.first_sum = q.first_sum;
            } else if (q.first == c.first) {
                c.first_sum += q.first_sum;
            }
            c.revenue += q.revenue;
            c.orders += q.orders;
            c.ndays += q.ndays;
            c.ncal += q.ncal;
            c.nhold += q.nhold;
            if (q.last > c.last)
                c.last = q.last;
            if (q.last_cal > c.last_cal)
                c.last_cal = q.last_cal;
        }
        for (int w = 0; w < words; w++)
            for (uint64_t b = bits[w]; b; b &= b - 1)
                a[TXA_ACC_ACTIVE + shared_month[w * 64 + __builtin_ctzll(b)]] += 1;
        a[TXA_ACC_NEW + tx_month_index(c.first)] += 1;
        memcpy(&out[k++], &c, sizeof c);
        i = j;
    }
    free(bits);
    free(shared_month);
    if (k)
        out = TX_XREALLOC(out, k * sizeof *out);
    else {
        free(out);
        out = NULL;
    }
    *parts = out;
    *nparts = k;
    *acc = a;
    return TX_OK;
}
