/* cmp.h - comparing and searching sorted arrays. Pure and Local. */
#ifndef TXETL_CMP_H
#define TXETL_CMP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Three-way comparison, for qsort-style comparators: -1, 0 or 1 as x is less than, equal to or
 * greater than y (operands evaluated twice). A comparator on several keys chains them:
 * `int c = TX_CMP(a->k1, b->k1); return c ? c : TX_CMP(a->k2, b->k2);`. */
#define TX_CMP(x, y) (((x) > (y)) - ((x) < (y)))

/* The first index of the n elements at base (elem bytes each, sorted ascending by the uint64_t
 * member at byte offset key_at) whose key is not below `key`; n when there is none. */
static inline size_t tx_lower_bound_u64(const void *base, size_t n, size_t elem, size_t key_at,
                                        uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t k;
        memcpy(&k, (const char *)base + mid * elem + key_at, sizeof k);
        if (k < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#endif
