/* test_reshard_choose.c - the boundary rule of `txetl reshard` (docs/reshard.md): shards
 * 0..m-2 get about equal rows, the last (open-ended) one about 0.9 of one of theirs; the
 * boundaries strictly increase whatever the histogram (sparse, one busy day, all on one day). */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "txetl/calendar.h"
#include "txetl/reshard.h"

static uint64_t hist[TX_NDAYS];

/* Rows per shard of hist under bound[0..m]. */
static void shares(const int32_t *bound, int m, uint64_t *rows)
{
    for (int s = 0; s < m; s++)
        rows[s] = 0;
    for (int d = 0; d < TX_NDAYS; d++) {
        int s = 0;
        while (s + 1 < m && d >= bound[s + 1])
            s++;
        rows[s] += hist[d];
    }
}

static void increasing(const int32_t *bound, int m)
{
    CHECK(bound[0] == INT32_MIN && bound[m] == INT32_MAX);
    for (int i = 1; i < m; i++)
        CHECK_MSG(bound[i] > bound[i - 1] || i == 1, "bound %d = %d after %d", i, bound[i],
                  bound[i - 1]);
}

int main(void)
{
    const int32_t start = tx_days_from_civil(2022, 1, 1), days = 3 * 365;
    uint64_t seed = 7;
    for (int m = 2; m <= 9; m++) {
        /* a history without skew: about 30 rows a day, a little noise */
        for (int d = 0; d < TX_NDAYS; d++)
            hist[d] = 0;
        for (int d = start; d < start + days; d++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            hist[d] = 25 + (seed >> 61);
        }
        int32_t bound[16];
        uint64_t rows[16], total = 0;
        tx_reshard_choose(hist, m, TX_RESHARD_LAST_SHARE, bound);
        increasing(bound, m);
        shares(bound, m, rows);
        for (int s = 0; s < m; s++)
            total += rows[s];
        const double mean = (double)total / m, unit = (double)total / (m - 1 + 0.9);
        for (int s = 0; s < m; s++) {
            CHECK_MSG(rows[s] > 0.85 * mean && rows[s] < 1.15 * mean,
                      "m=%d shard %d holds %llu rows, mean %.0f", m, s,
                      (unsigned long long)rows[s], mean);
            const double want = s == m - 1 ? 0.9 * unit : unit;
            CHECK_MSG(rows[s] > want - 40 && rows[s] < want + 40, "m=%d shard %d: %llu, want %.0f",
                      m, s, (unsigned long long)rows[s], want);
        }
    }
    /* everything on one day: the boundaries still increase (shards after it are empty) */
    for (int d = 0; d < TX_NDAYS; d++)
        hist[d] = 0;
    hist[start] = 1000;
    int32_t b[8];
    tx_reshard_choose(hist, 5, TX_RESHARD_LAST_SHARE, b);
    increasing(b, 5);
    uint64_t r[8];
    shares(b, 5, r);
    CHECK(r[0] + r[1] + r[2] + r[3] + r[4] == 1000);
    /* one busy day among quiet ones, and sparse days */
    for (int d = start; d < start + 100; d += 7)
        hist[d] = 3;
    hist[start + 50] = 500;
    tx_reshard_choose(hist, 4, TX_RESHARD_LAST_SHARE, b);
    increasing(b, 4);
    return check_report("test_reshard_choose");
}
