/* snapshot.h - the HDF5 snapshot of SPEC §6: one file per run, written collectively with
 * parallel HDF5 under a temporary name, renamed when complete, `latest.h5` pointed at it.
 *
 * Layout (all strings are variable-length UTF-8, which h5py reads as str):
 *   /                  attrs format "txetl-snapshot", format_version i32 = 1, run_id,
 *                      created_utc "YYYY-MM-DDTHH:MM:SSZ", as_of "YYYY-MM-DD", ranks i32,
 *                      shards i32, read rejected inserted updated moved deleted stale
 *                      superseded u64
 *   /customers/<col>   the columns of tx_snapshot_customers, 1-D, sorted by customer_id;
 *                      group attr segment_names (1-D array of strings, indexed by `segment`)
 *   /revenue/daily/    date i32, revenue_cents i64, transactions u64, customers u64
 *   /revenue/monthly/  month i32 (YYYYMM), revenue_cents i64, transactions u64,
 *                      active_customers u64, new_customers u64
 *   /model             attrs horizon_days i32, clv_months i32, discount_rate f64
 *   /model/bgnbd       attrs r alpha a b loglik grad_norm f64, converged i32, n u64, unit,
 *                      se_r se_alpha se_a se_b f64, iterations i32, stop_reason str
 *   /model/gamma_gamma attrs p q v loglik grad_norm f64, converged i32, n u64,
 *                      se_p se_q se_v f64, iterations i32, stop_reason str ("converged", or
 *                      why the fit stopped short, or "not fitted")
 *   /holdout           only with --holdout-start (tx_snapshot_holdout): attrs calibration_end
 *                      "YYYY-MM-DD", holdout_start "YYYY-MM-DD", holdout_days i32, unit,
 *                      n u64, sum_predicted sum_actual mae f64, r alpha a b loglik f64,
 *                      converged i32; datasets customer_id u64, frequency_cal predicted
 *                      actual f64 (1-D, sorted by customer_id, one row per customer with a
 *                      purchase before holdout_start)
 *   /holdout/by_frequency/  frequency_cal i32 (0..7, 7 = 7 or more), customers u64,
 *                      mean_predicted mean_actual f64 (NaN for a frequency without customers) */
#ifndef TXETL_SNAPSHOT_H
#define TXETL_SNAPSHOT_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "txetl/clv.h"
#include "txetl/error.h"
#include "txetl/run.h"

/* This rank's rows of /customers: rows [offset, offset + n) of `total`, ranks in rank order
 * holding consecutive row ranges. Arrays of n elements each (may be NULL when n is 0). */
typedef struct tx_snapshot_customers {
    size_t n;
    uint64_t offset;
    uint64_t total;
    const uint64_t *customer_id;
    const int32_t *first_purchase;
    const int32_t *last_purchase;
    const uint32_t *orders;
    const int64_t *revenue_cents;
    const int32_t *recency_days;
    const uint8_t *r_score;
    const uint8_t *f_score;
    const uint8_t *m_score;
    const uint8_t *segment;
    const double *frequency;
    const double *recency;
    const double *T;
    const double *monetary_value;
    const double *p_alive;
    const double *expected_purchases;
    const double *expected_avg_value;
    const double *clv;
    const char *const *segment_names; /* nsegments names, the values of `segment` */
    int nsegments;
} tx_snapshot_customers;

/* Revenue tables: global, and identical on every rank (rank 0 writes them). */
typedef struct tx_snapshot_revenue {
    size_t ndaily;
    const int32_t *daily_date; /* days since 1970-01-01 */
    const int64_t *daily_revenue_cents;
    const uint64_t *daily_transactions;
    const uint64_t *daily_customers;
    size_t nmonthly;
    const int32_t *monthly_month; /* YYYYMM */
    const int64_t *monthly_revenue_cents;
    const uint64_t *monthly_transactions;
    const uint64_t *monthly_active_customers;
    const uint64_t *monthly_new_customers;
} tx_snapshot_revenue;

/* Bins of /holdout/by_frequency: calibration frequency 0 .. 6, and 7 or more. */
#define TX_HOLDOUT_NBINS 8

/* The calibration / holdout check (--holdout-start H, lifetimes' calibration_and_holdout_data
 * conventions): a BG/NBD fit on the purchase days before H (calibration_end = H - 1, T measured
 * to it), and for every customer who purchased before H the expected purchases over the
 * holdout (calibration_end, as_of] given the calibration data, next to the purchase days in
 * [H, as_of]. Rows as in tx_snapshot_customers: [offset, offset + n) of total, in rank order. */
typedef struct tx_snapshot_holdout {
    int enabled; /* 0: no /holdout group (everything else ignored) */
    int32_t calibration_end; /* days since 1970-01-01: H - 1 */
    int32_t holdout_days;    /* as_of - calibration_end */
    size_t n;
    uint64_t offset;
    uint64_t total;
    const uint64_t *customer_id;
    const double *frequency_cal; /* repeat purchase days before H */
    const double *predicted;     /* E[Y(holdout_days in model units) | calibration data] */
    const double *actual;        /* purchase days in [H, as_of] */
    /* Global, identical on every rank. */
    double sum_predicted, sum_actual, mae;
    tx_bgnbd_fit fit;
    uint64_t bin_customers[TX_HOLDOUT_NBINS];
    double bin_mean_predicted[TX_HOLDOUT_NBINS];
    double bin_mean_actual[TX_HOLDOUT_NBINS];
} tx_snapshot_holdout;

/* Everything one snapshot holds. Every field but `customers`' rows must be identical on all
 * ranks. */
typedef struct tx_snapshot {
    const tx_run_info *run;
    const tx_analytics_opts *opts;
    int32_t as_of; /* days since 1970-01-01 */
    tx_snapshot_customers customers;
    tx_snapshot_revenue revenue;
    tx_bgnbd_fit bgnbd;
    tx_gg_fit gg;
    tx_snapshot_holdout holdout; /* zeroed (enabled = 0): no /holdout group */
} tx_snapshot;

/* Collective over comm. Creates dir (mkdir -p), writes `<dir>/.snapshot-<run_id>.h5.tmp`
 * with parallel HDF5 (collective transfers, each rank its row range as a hyperslab), and once
 * every rank succeeded renames it to `<dir>/snapshot-<run_id>.h5` and atomically replaces the
 * symlink `<dir>/latest.h5` (relative target). On success *path_out (if not NULL) holds the
 * final path. All ranks return the same status: TX_OK, TX_EUSAGE for a run_id that cannot be
 * a file name, TX_ERR for I/O and HDF5 failures (the temporary file is removed and nothing is
 * left at the final path), with err set on every rank. */
int tx_snapshot_write(MPI_Comm comm, const char *dir, const tx_snapshot *s, char *path_out,
                      size_t path_len, tx_error *err);

#endif
