/* test_sorter.c - the version sorter of the load (src/load/spill.c): packed entries, the radix
 * sort of keys, spilled runs and their merge give exactly the order of docs/load.md's version rules
 * (directory shard, transaction_id, last_updated desc, input position desc) and hand every
 * record back byte for byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "spill.h"
#include "xorshift.h"

typedef struct item {
    int shard;
    tx_record rec;
} item;

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
    return xorshift64(&rng_state);
}

/* The reference order, written out independently of spill.c. */
static int cmp_item(const void *pa, const void *pb)
{
    const item *a = pa, *b = pb;
    if (a->shard != b->shard)
        return a->shard < b->shard ? -1 : 1;
    if (a->rec.transaction_id != b->rec.transaction_id)
        return a->rec.transaction_id < b->rec.transaction_id ? -1 : 1;
    if (a->rec.last_updated_us != b->rec.last_updated_us)
        return a->rec.last_updated_us > b->rec.last_updated_us ? -1 : 1;
    if (a->rec.file_index != b->rec.file_index)
        return a->rec.file_index > b->rec.file_index ? -1 : 1;
    if (a->rec.offset != b->rec.offset)
        return a->rec.offset > b->rec.offset ? -1 : 1;
    return 0;
}

/* A record as the parser leaves it: text tails zeroed. */
static void make(item *it, int nshards, uint64_t id_range, uint64_t id_base, uint64_t off)
{
    memset(it, 0, sizeof *it);
    tx_record *r = &it->rec;
    r->transaction_id = id_base + rnd() % id_range;
    /* the directory shard is a function of the id, as in the load */
    it->shard = (int)(r->transaction_id * 0x9e3779b97f4a7c15u >> 40) % nshards;
    r->customer_id = rnd() % 100000;
    r->amount_cents = (int64_t)(rnd() % 2000001) - 1000000;
    r->last_updated_us = (int64_t)(rnd() % 4) * 1000000 + 1700000000000000; /* many ties */
    r->file_index = (uint32_t)(rnd() % 3);
    r->offset = off;
    r->date = (int32_t)(19000 + rnd() % 1500);
    memcpy(r->currency, rnd() % 2 ? "USD" : "EUR", 3);
    r->op = rnd() % 5 ? 'U' : 'D';
    r->category_len = (uint8_t)(rnd() % 4 == 0 ? TX_CATEGORY_MAX : rnd() % 20);
    r->payment_len = (uint8_t)(rnd() % 4 == 0 ? TX_PAYMENT_MAX : rnd() % 12);
    for (int i = 0; i < r->category_len; i++)
        r->category[i] = (char)(1 + rnd() % 255); /* any byte but NUL; quotes, tabs, UTF-8 */
    for (int i = 0; i < r->payment_len; i++)
        r->payment[i] = (char)(1 + rnd() % 255);
}

/* Sorts items through a sorter holding at most max_records in memory; checks the order and
 * every byte against the reference. */
static void run_case(const char *what, item *items, size_t n, size_t max_records)
{
    tx_error err = {0};
    tx_sorter *s = NULL;
    CHECK(tx_sorter_new(max_records, &s, &err) == TX_OK);
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(tx_sorter_add(s, items[i].shard, &items[i].rec, &err) == TX_OK, "%s: add: %s",
                  what, err.msg);
    CHECK(tx_sorter_count(s) == n);
    CHECK_MSG(tx_sorter_finish(s, &err) == TX_OK, "%s: finish: %s", what, err.msg);
    qsort(items, n, sizeof *items, cmp_item);
    size_t got = 0, bad = 0;
    for (;;) {
        int shard = -1, pshard = -1;
        const tx_record *peek = NULL;
        int p = tx_sorter_peek(s, &pshard, &peek, &err);
        tx_record r;
        int k = tx_sorter_next(s, &shard, &r, &err);
        CHECK_MSG(p == k, "%s: peek %d next %d", what, p, k);
        if (k <= 0) {
            CHECK_MSG(k == 0, "%s: next: %s", what, err.msg);
            break;
        }
        if (got < n && (shard != items[got].shard || pshard != shard ||
                        memcmp(&r, &items[got].rec, sizeof r) != 0))
            bad++;
        got++;
    }
    CHECK_MSG(got == n, "%s: %zu of %zu versions came back", what, got, n);
    CHECK_MSG(bad == 0, "%s: %zu versions out of order or changed", what, bad);
    tx_sorter_free(&s);
    CHECK(s == NULL);
}

int main(void)
{
    enum { N = 20000 };
    item *items = malloc(N * sizeof *items);
    item *copy = malloc(N * sizeof *copy);
    if (!items || !copy)
        return 1;

    /* mostly distinct ids over 4 shards (radix passes over id and shard bytes), high id bits */
    for (size_t i = 0; i < N; i++)
        make(&items[i], 4, UINT64_C(1) << 40, UINT64_C(1) << 50, i * 37);
    memcpy(copy, items, N * sizeof *items);
    run_case("in memory, distinct ids", copy, N, 1u << 20);
    memcpy(copy, items, N * sizeof *items);
    run_case("spilled runs, distinct ids", copy, N, 1024);

    /* few ids: long runs of versions of one transaction, ties on last_updated and file */
    for (size_t i = 0; i < N; i++)
        make(&items[i], 3, 50, 7, i * 11);
    memcpy(copy, items, N * sizeof *items);
    run_case("in memory, 50 ids", copy, N, 1u << 20);
    memcpy(copy, items, N * sizeof *items);
    run_case("spilled runs, 50 ids", copy, N, 1024);

    /* one shard, one id: the whole input is one version group */
    for (size_t i = 0; i < N; i++)
        make(&items[i], 1, 1, 42, i);
    memcpy(copy, items, N * sizeof *items);
    run_case("one id", copy, N, 1024);

    /* too few for the radix sort (qsort path), and nothing at all */
    for (size_t i = 0; i < 100; i++)
        make(&items[i], 2, 1000, 0, i);
    memcpy(copy, items, 100 * sizeof *items);
    run_case("100 versions", copy, 100, 1024);
    run_case("empty", copy, 0, 1024);

    free(items);
    free(copy);
    return check_report("test_sorter");
}
