/* sort.c - distributed sample sort for the reduce step: weighted regular sampling, splitters
 * computed identically on every rank, the elements moved in bounded exchange rounds
 * (tx_exchange_blocks, src/route). */
#include <stddef.h>
#include <string.h>

#include "analytics_internal.h"
#include "txetl/mpiutil.h"
#include "txetl/route.h"

/* Samples per rank: enough for a few percent of imbalance at most. */
#define SAMPLES_PER_RANK 256

typedef struct sample_ctx {
    size_t size; /* element bytes; each gathered sample is the element then a double weight */
    txa_cmp_fn sort;
} sample_ctx;

static int sample_cmp(const void *a, const void *b, void *arg)
{
    const sample_ctx *ctx = arg;
    return ctx->sort(a, b);
}

/* Index of the first element of base[0..n) that is greater than key under part. */
static size_t upper_bound(const char *base, size_t n, size_t size, const void *key,
                          txa_cmp_fn part)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (part(base + mid * size, key) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Every rank: P-1 splitters from the gathered weighted samples. Returns how many it found
 * (fewer when there are few samples: the remaining ranks get nothing). */
static int pick_splitters(char *samples, size_t nsamples, size_t size, txa_cmp_fn sort,
                          int nranks, char *splitters)
{
    const size_t rec = size + sizeof(double);
    sample_ctx ctx = {size, sort};
    qsort_r(samples, nsamples, rec, sample_cmp, &ctx);
    double total = 0;
    for (size_t i = 0; i < nsamples; i++) {
        double w;
        memcpy(&w, samples + i * rec + size, sizeof w);
        total += w;
    }
    int found = 0;
    double cum = 0;
    for (size_t i = 0; i < nsamples && found < nranks - 1; i++) {
        double w;
        memcpy(&w, samples + i * rec + size, sizeof w);
        cum += w;
        /* Rank `found` ends at the sample where the cumulative weight reaches its share. */
        while (found < nranks - 1 && cum >= total * (double)(found + 1) / nranks) {
            memcpy(splitters + (size_t)found * size, samples + i * rec, size);
            found++;
        }
    }
    return found;
}

static inline uint64_t radix_digits(const char *elem, const txa_radix_key *key, uint64_t flip)
{
    if (key->bytes == 8) {
        uint64_t v;
        memcpy(&v, elem + key->offset, 8);
        return v ^ flip;
    }
    uint32_t v;
    memcpy(&v, elem + key->offset, 4);
    return (uint64_t)(v ^ (uint32_t)flip);
}

/* One scatter pass by digit b; SIZE is a compile-time constant for the common sizes so the
 * copy is inlined. */
#define RADIX_SCATTER(SIZE)                                                                        \
    for (size_t i = 0; i < n; i++) {                                                               \
        uint64_t v = radix_digits(src + i * (SIZE), key, flip);                                    \
        memcpy(dst + h[(v >> (8 * b)) & 0xff]++ * (SIZE), src + i * (SIZE), (SIZE));             \
    }

void txa_radix_sort(void *base, size_t n, size_t size, const txa_radix_key *keys, int nkeys)
{
    if (n < 2)
        return;
    char *src = base, *dst = TX_XMALLOC(n * size), *tmp_buf = dst;
    size_t *hist = TX_XMALLOC(8 * 256 * sizeof *hist);
    for (int k = nkeys - 1; k >= 0; k--) { /* least significant key first */
        const txa_radix_key *key = &keys[k];
        const uint64_t flip = key->is_signed ? 1ull << (key->bytes * 8 - 1) : 0;
        memset(hist, 0, 8 * 256 * sizeof *hist);
        for (size_t i = 0; i < n; i++) {
            uint64_t v = radix_digits(src + i * size, key, flip);
            for (int b = 0; b < key->bytes; b++)
                hist[b * 256 + ((v >> (8 * b)) & 0xff)]++;
        }
        for (int b = 0; b < key->bytes; b++) {
            size_t *h = hist + b * 256;
            int skip = 0;
            for (int d = 0; d < 256; d++)
                if (h[d] == n)
                    skip = 1;
            if (skip)
                continue;
            size_t sum = 0;
            for (int d = 0; d < 256; d++) {
                size_t c = h[d];
                h[d] = sum;
                sum += c;
            }
            if (size == 24) {
                RADIX_SCATTER(24)
            } else {
                RADIX_SCATTER(size)
            }
            char *t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != (char *)base)
        memcpy(base, src, n * size);
    free(hist);
    free(tmp_buf);
}

/* Local. Merges the k sorted runs of base (run r: cnt[r] elements at element offset displ[r],
 * runs contiguous in order) into one sorted run, pairwise rounds through a scratch buffer:
 * O(n log k) comparisons instead of a full re-sort. Stable: equal elements keep run order. */
static void merge_runs(char *base, size_t n, size_t size, txa_cmp_fn cmp, const size_t *cnt,
                       int k)
{
    if (k < 2 || n < 2)
        return;
    size_t *bound = TX_XMALLOC(((size_t)k + 1) * sizeof *bound);
    bound[0] = 0;
    for (int r = 0; r < k; r++)
        bound[r + 1] = bound[r] + cnt[r];
    char *src = base, *dst = TX_XMALLOC(n * size), *scratch = dst;
    int runs = k;
    while (runs > 1) {
        int out = 0;
        for (int r = 0; r < runs; r += 2) {
            size_t lo = bound[r], mid = bound[r + 1], hi = r + 1 < runs ? bound[r + 2] : mid;
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi) {
                if (cmp(src + j * size, src + i * size) < 0)
                    memcpy(dst + o++ * size, src + j++ * size, size);
                else
                    memcpy(dst + o++ * size, src + i++ * size, size);
            }
            memcpy(dst + o * size, src + i * size, (mid - i) * size);
            o += mid - i;
            memcpy(dst + o * size, src + j * size, (hi - j) * size);
            bound[out++] = lo;
        }
        bound[out] = n;
        runs = out;
        char *t = src;
        src = dst;
        dst = t;
    }
    if (src != base)
        memcpy(base, src, n * size);
    free(scratch);
    free(bound);
}

int txa_sample_sort(MPI_Comm comm, void *base, size_t n, size_t size, txa_cmp_fn sort,
                    txa_cmp_fn part, txa_sorter_fn sorter, void **out, size_t *nout,
                    tx_error *err)
{
    int rank, nranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    const size_t rec = size + sizeof(double);
    char *b = base;

    /* 1. Weighted regular samples of the local (sorted) elements. */
    int k = n < SAMPLES_PER_RANK ? (int)n : SAMPLES_PER_RANK;
    char *mine = TX_XMALLOC((size_t)k * rec);
    double weight = k ? (double)n / k : 0;
    for (int i = 0; i < k; i++) {
        size_t at = (size_t)(((double)i + 0.5) * (double)n / k);
        if (at >= n)
            at = n - 1;
        memcpy(mine + (size_t)i * rec, b + at * size, size);
        memcpy(mine + (size_t)i * rec + size, &weight, sizeof weight);
    }
    size_t nbytes = 0;
    char *all = tx_allgather_var(comm, mine, k * (int)rec, MPI_BYTE, 1, &nbytes);
    free(mine);

    /* 2. Splitters, the same on every rank; rank j gets (s_{j-1}, s_j] under part. */
    char *split = TX_XMALLOC((size_t)nranks * size);
    int nsplit = pick_splitters(all, nbytes / rec, size, sort, nranks, split);
    free(all);
    size_t *cnt = TX_XMALLOC(sizeof(size_t) * (size_t)nranks * 2), *rcnt = cnt + nranks;
    size_t prev = 0;
    for (int r = 0; r < nranks; r++) {
        size_t end = r < nsplit ? upper_bound(b, n, size, split + (size_t)r * size, part) : n;
        if (end < prev) /* equal splitters: an empty range */
            end = prev;
        cnt[r] = end - prev;
        prev = end;
    }
    free(split);

    /* 3. Each rank's range to its owner, in rounds of a bounded size (the elements are already
     * grouped by destination: the input is sorted). */
    void *recv = NULL;
    size_t nrecv = 0;
    int st = tx_exchange_blocks(comm, b, cnt, size, tx_route_round_bytes(), &recv, rcnt, &nrecv,
                                err);
    if (st != TX_OK) {
        free(cnt);
        *out = NULL;
        *nout = 0;
        return st;
    }

    /* 4. Sorted runs from each rank (each rank's slice of its sorted input): merged. */
    (void)sorter;
    merge_runs(recv, nrecv, size, sort, rcnt, nranks);
    free(cnt);
    *out = recv;
    *nout = nrecv;
    return TX_OK;
}
