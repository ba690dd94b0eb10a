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
 * Memory. At one rank the hash table is every customer's partial. At more, a rank's table is
 * a bounded buffer (TXETL_REDUCE_BUFFER partials, default 262144): when it is full, and at the
 * end, every partial goes to its customer's home rank (fold_home.c) and the table starts
 * empty. A customer whose partial went home in the middle of a month may have more rows in that
 * month: the days it was seen on in the month (12 bytes a customer and its hash slot, until
 * the stream's month ends) make its next partial count neither a day nor the month again. A
 * rank then holds the customers it is home to, the buffer, those day bits and one month's
 * (customer, currency) pairs (fold_cur.c; both sized by the busiest month), the
 * (customer, month, currency) triples of the months cut by a source boundary, and the
 * messages, however many transactions each customer has or how many customers its months
 * hold.
 *
 * Cohorts (cohort.c). At one rank each partial's first month is its customer's cohort: each
 * partial sums its latest month's revenue, and when the customer's rows move on to a later
 * month (and at txa_fold_take_cohorts for the last) that month is counted into the
 * (cohort, offset) table at once. At more ranks, a rank cannot know whether another saw the
 * customer earlier, so each element carries a window: the revenue of the 13 months from its
 * first month on and which of them had a row. The home merge aligns and adds the windows
 * (fold_home.c); at the end the home's window starts at the customer's cohort and is counted
 * there. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analytics_internal.h"
#include "txetl/log.h"
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
    /* Cohorts (cohort.c). One rank: each partial's revenue in its latest month so far (mrev,
     * by partial index, [pcap]) and the (cohort, offset) table; more: the elements' windows. */
    int64_t *mrev;
    int64_t *direct; /* one rank: TX_NMONTHS x COHORT_K counts, then revenues */
    /* More than one rank: the home table, the buffer's size in partials, the stream's month
     * (-1 before the first row), rows since the last look at arriving messages, the times the
     * buffer was sent. */
    txa_home *home;
    size_t budget;
    int stream_month;
    unsigned since_poll;
    uint64_t flushes;
    /* ... and the days seen in the stream's month of the customers whose partial went home
     * during that month (carry: dense id / mask, hash slots; emptied when the month ends). */
    uint64_t *carry_id;
    uint32_t *carry_mask;
    size_t ncarry, carrycap;
    uint32_t *carry_slot;
    size_t carry_cap;
    int carry_bits;
};

enum { COHORT_K = TXA_COHORT_K, DEFAULT_BUFFER = 262144, POLL_ROWS = 1024 };

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
    txa_home_free(f->home);
    free(f->carry_id);
    free(f->carry_mask);
    free(f->carry_slot);
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
        if (f->direct)
            f->mrev = TX_XREALLOC(f->mrev, f->pcap * sizeof *f->mrev);
    }
    f->slot[h] = (uint32_t)(f->n + 1);
    txa_part *p = part_at(f, f->n);
    p->orders = 0;
    return p;
}

/* One rank: a customer's month left behind (its rows come in ascending months) counted into
 * the (cohort, offset) table; a month more than TX_COHORT_MAX_OFFSET months after the
 * customer's first is beyond every offset the table counts. */
static void cohort_emit(txa_fold *f, const txa_part *p, int64_t cents)
{
    const int off = p->month - f->month_of[p->first];
    if (!f->direct || off > TX_COHORT_MAX_OFFSET)
        return;
    const size_t c = (size_t)f->month_of[p->first] * COHORT_K + (size_t)off;
    f->direct[c] += 1;
    f->direct[(size_t)TX_NMONTHS * COHORT_K + c] += cents;
}

int64_t *txa_fold_take_cohorts(txa_fold *f)
{
    if (f->direct) {
        for (size_t i = 0; i < f->n; i++)
            cohort_emit(f, part_at(f, i), f->mrev[i]);
        int64_t *t = f->direct;
        f->direct = NULL;
        return t;
    }
    int64_t *t = TX_XCALLOC(2 * (size_t)TX_NMONTHS * COHORT_K, sizeof *t);
    size_t n = 0;
    const char *e = f->home ? txa_home_elems(f->home, &n) : NULL;
    const size_t stride = txa_elem_size(f->words);
    for (size_t i = 0; i < n; i++) { /* complete: the window starts at the cohort */
        const char *x = e + i * stride;
        const txa_part *p = (const txa_part *)(const void *)x;
        const size_t at = (size_t)f->month_of[p->first] * COHORT_K;
        const int64_t *rev = txa_elem_crev(x, f->words);
        for (uint64_t b = *txa_elem_cmask(x, f->words); b; b &= b - 1) {
            const int k = __builtin_ctzll(b);
            t[at + (size_t)k] += 1;
            t[(size_t)TX_NMONTHS * COHORT_K + at + (size_t)k] += rev[k];
        }
    }
    return t;
}

/* The carry entry of customer id: its slot (0: none, and *h the free slot for it). */
static uint32_t *carry_find(txa_fold *f, uint64_t id, size_t *h)
{
    for (*h = slot_hash(id, f->carry_bits);; *h = (*h + 1) & (f->carry_cap - 1)) {
        uint32_t *k = &f->carry_slot[*h];
        if (!*k || f->carry_id[*k - 1] == id)
            return k;
    }
}

/* The days seen in the stream's month of customer id before its partial went home (0: none). */
static uint32_t carried(txa_fold *f, uint64_t id)
{
    if (!f->ncarry)
        return 0;
    size_t h;
    const uint32_t *k = carry_find(f, id, &h);
    return *k ? f->carry_mask[*k - 1] : 0;
}

/* Remembers mask as the days seen in the stream's month of customer id. */
static void carry_put(txa_fold *f, uint64_t id, uint32_t mask)
{
    if (4 * (f->ncarry + 1) > 3 * f->carry_cap) {
        free(f->carry_slot);
        f->carry_bits = f->carry_bits ? f->carry_bits + 1 : 10;
        f->carry_cap = (size_t)1 << f->carry_bits;
        f->carry_slot = TX_XCALLOC(f->carry_cap, sizeof *f->carry_slot);
        for (size_t i = 0; i < f->ncarry; i++) {
            size_t h;
            carry_find(f, f->carry_id[i], &h);
            f->carry_slot[h] = (uint32_t)(i + 1);
        }
    }
    size_t h;
    uint32_t *k = carry_find(f, id, &h);
    if (*k) {
        f->carry_mask[*k - 1] = mask;
        return;
    }
    if (f->ncarry == f->carrycap) {
        f->carrycap = f->carrycap ? 2 * f->carrycap : 4096;
        f->carry_id = TX_XREALLOC(f->carry_id, f->carrycap * sizeof *f->carry_id);
        f->carry_mask = TX_XREALLOC(f->carry_mask, f->carrycap * sizeof *f->carry_mask);
    }
    f->carry_id[f->ncarry] = id;
    f->carry_mask[f->ncarry] = mask;
    *k = (uint32_t)++f->ncarry;
}

/* More than one rank: the buffer to the customers' homes, and empty again. A customer with
 * rows in the stream's month may have more of them after: the days seen in it are carried, so
 * its next partial counts neither a day nor the month twice. */
static void flush(txa_fold *f, int carry)
{
    for (size_t i = 0; carry && i < f->n; i++) {
        const txa_part *p = part_at(f, i);
        if (p->month == f->stream_month)
            carry_put(f, p->customer_id, p->mask);
    }
    txa_home_send(f->home, f->part, f->n);
    f->n = 0;
    memset(f->slot, 0, f->cap * sizeof *f->slot);
    f->flushes++;
}

/* The buffer's size in partials: TXETL_REDUCE_BUFFER when set (at least 1), else the
 * default. */
static size_t buffer_partials(void)
{
    const char *s = getenv("TXETL_REDUCE_BUFFER");
    if (s && *s) {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (!*end && v >= 1 && v < UINT32_MAX / 2)
            return (size_t)v;
    }
    return DEFAULT_BUFFER;
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
    const int m = f->month_of[date];
    if (m != f->stream_month) { /* every row of the months before is in */
        if (m < f->stream_month)
            return tx_error_set(err, TX_ERR,
                                "reduce: source %d is not in month order: customer %llu day %d "
                                "after a later month",
                                f->source, (unsigned long long)customer_id, (int)date);
        txa_fold_cur_month_done(&f->cur);
        if (f->ncarry) { /* nothing carries into a later month */
            f->ncarry = 0;
            memset(f->carry_slot, 0, f->carry_cap * sizeof *f->carry_slot);
        }
        f->stream_month = m;
    }
    if (f->home && ++f->since_poll >= POLL_ROWS) { /* what other ranks sent meanwhile */
        f->since_poll = 0;
        txa_home_poll(f->home);
    }
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
    if (f->home && f->n >= f->budget)
        flush(f, 1);
    txa_part *p = part_get(f, customer_id);
    const size_t pi = (size_t)((char *)p - f->part) / f->stride;
    const uint32_t dbit = 1u << f->dom_of[date];
    int new_day = 1, new_month = 1;
    if (!p->orders) {
        memset(p, 0, f->stride);
        p->customer_id = customer_id;
        p->first = p->last = date;
        p->last_cal = INT32_MIN;
        p->month = m;
        if (f->direct)
            f->mrev[pi] = 0; /* else the window: zeroed with p */
        f->n++;
        const uint32_t seen = carried(f, customer_id);
        if (seen) { /* an earlier partial of this month went home: its days and month count */
            p->mask = seen;
            new_month = 0;
            new_day = !(seen & dbit);
        }
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
    if (!f->direct) { /* the window: the month's offset from the partial's first month */
        const int off = m - f->month_of[p->first];
        if (off <= TX_COHORT_MAX_OFFSET) {
            txa_elem_rev(p, f->words)[off] += amount_cents;
            *txa_elem_mask(p, f->words) |= 1ull << off;
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
    int size = 1;
    MPI_Comm_size(comm, &size);
    if (size == 1) {
        f->direct = TX_XCALLOC(2 * (size_t)TX_NMONTHS * COHORT_K, sizeof *f->direct);
    } else { /* elements with windows, sent home as the buffer fills */
        f->stride = txa_elem_size(f->words);
        f->home = txa_home_new(comm, f->words);
        f->budget = buffer_partials();
    }
    f->stream_month = -1;
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
    if (f->home) { /* the rest home; every rank tells when it is done, also after an error */
        if (st == TX_OK && f->n)
            flush(f, 0);
        txa_home_finish(f->home);
        if (st == TX_OK && txa_home_overflow(f->home))
            st = tx_error_set(err, TX_ERR, "reduce: over 2^32 customers at home on one rank");
        uint64_t sent = 0, got = 0, msgs = 0;
        txa_home_stats(f->home, &sent, &got, &msgs);
        size_t nh = 0;
        txa_home_elems(f->home, &nh);
        TX_LOG(TX_LOG_DEBUG, "reduce: the fold's buffer went home %llu times: %llu partials "
               "sent in %llu messages, %llu received, %zu customers at home",
               (unsigned long long)f->flushes, (unsigned long long)sent,
               (unsigned long long)msgs, (unsigned long long)got, nh);
        free(f->part); /* the buffer, its slots and the carried days */
        f->part = NULL;
        f->n = f->pcap = 0;
        free(f->slot);
        f->slot = NULL;
        free(f->carry_id);
        free(f->carry_mask);
        free(f->carry_slot);
        f->carry_id = NULL;
        f->carry_mask = NULL;
        f->carry_slot = NULL;
        f->ncarry = f->carrycap = f->carry_cap = 0;
    }
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
    const int words = f->words;
    const size_t stride = txa_part_size(words);
    /* The partials (at more than one rank the home table's, without their windows), the
     * unused room given back, sorted by customer. */
    size_t n = f->n;
    char *p = f->part;
    f->part = NULL;
    if (f->home) {
        free(p);
        p = txa_home_take(f->home, &n);
        const size_t from = txa_elem_size(words);
        for (size_t i = 0; i < n; i++) /* to the left: i * stride <= i * from */
            memmove(p + i * stride, p + i * from, stride);
    }
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
            txa_part_merge(&c, &q);
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
