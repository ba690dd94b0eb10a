/* run.h - what identifies a run and the counts it reports (docs/load.md), shared by load, the
 * shards' etl_runs rows, the summary and the snapshot. */
#ifndef TXETL_RUN_H
#define TXETL_RUN_H

#include <stdint.h>

/* The counts of a run (docs/load.md). They reconcile:
 * read = rejected + inserted + updated + moved + deleted + stale + superseded. */
typedef struct tx_run_counts {
    uint64_t read, rejected, inserted, updated, moved, deleted, stale, superseded;
} tx_run_counts;

/* Analytics options (docs/analytics.md, docs/commands.md). */
typedef struct tx_analytics_opts {
    int32_t as_of;        /* days since epoch; INT32_MIN = latest stored transaction date */
    int unit_week;        /* 0 = day, 1 = week (days / 7) */
    int horizon_days;     /* default 30 */
    int clv_months;       /* default 12 */
    double discount_rate; /* monthly, default 0.01 */
    int32_t holdout_start; /* --holdout-start, days since epoch; INT32_MIN = off. When set, an
                              extra BG/NBD fit on the days before it, checked against the
                              purchases from it to as-of (snapshot group /holdout) */
    const char *reporting_currency; /* --reporting-currency CUR; NULL = "USD" */
    const char *fx_rates;           /* --fx-rates FILE (reduce.h's tx_fx); NULL = none */
    int staged; /* not an option: 1 leaves the snapshot complete at its temporary name, not
                   in place (txetl load puts it there once its run is marked succeeded,
                   tx_snapshot_install) */
} tx_analytics_opts;

/* A run as the snapshot's root attributes describe it. */
typedef struct tx_run_info {
    char run_id[64];      /* unique across runs, e.g. "20261125T211500Z-3f2a9c" */
    int64_t created_unix; /* seconds since epoch, UTC */
    int ranks;
    int shards;
    tx_run_counts counts;
    double seconds;       /* the run's wall time on its one clock (txetl load: job start to
                             summary, rank 0's), the time both summaries print */
} tx_run_info;

/* Local, pure. The run's rate as both summaries print it: records read per second of
 * run->seconds (0 when no time passed). */
static inline double tx_run_rows_per_second(const tx_run_info *run)
{
    return run->seconds > 0 ? (double)run->counts.read / run->seconds : 0.0;
}

#endif
