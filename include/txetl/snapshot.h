/* snapshot.h - the HDF5 snapshot of docs/snapshot.md: one file per run, written collectively with
 * parallel HDF5 under a temporary name, renamed when complete, `latest.h5` pointed at it.
 *
 * Layout (strings are variable-length UTF-8, which h5py reads as str, except the S3 columns:
 * fixed 3-byte ASCII, which h5py reads as bytes):
 *   /                  attrs format "txetl-snapshot", format_version i32 = 2, run_id,
 *                      created_utc "YYYY-MM-DDTHH:MM:SSZ", as_of "YYYY-MM-DD", ranks i32,
 *                      shards i32, reporting_currency (e.g. "USD"), read rejected inserted
 *                      updated moved deleted stale superseded u64
 *   /customers/<col>   the columns of tx_snapshot_customers_table, 1-D, sorted by customer_id;
 *                      group attr segment_names (1-D array of strings, indexed by `segment`)
 *   /revenue/daily/    date i32, revenue_cents i64, transactions u64, customers u64,
 *                      gross_cents i64, refunds_cents i64 (reporting currency; revenue_cents
 *                      = gross_cents + refunds_cents, refunds the negative amounts)
 *   /revenue/monthly/  month i32 (YYYYMM), revenue_cents i64, transactions u64,
 *                      active_customers u64, new_customers u64, gross_cents, refunds_cents
 *   /revenue/by_currency/daily/   date i32, currency S3, revenue_cents i64, transactions u64,
 *                      customers u64, gross_cents i64, refunds_cents i64 (original
 *                      currencies, sorted by (date, currency))
 *   /revenue/by_currency/monthly/ month i32, currency S3, revenue_cents i64, transactions
 *                      u64, active_customers u64, gross_cents i64, refunds_cents i64
 *   /model             attrs horizon_days i32, clv_months i32, discount_rate f64
 *   /model/bgnbd       attrs r alpha a b loglik grad_norm f64, converged i32, n u64, unit,
 *                      se_r se_alpha se_a se_b f64, iterations i32, stop_reason str
 *   /model/gamma_gamma attrs p q v loglik grad_norm f64, converged i32, n u64,
 *                      se_p se_q se_v f64, iterations i32, stop_reason str ("converged", or
 *                      why the fit stopped short, or "not fitted")
 *   /cohorts/          cohort_month i32 (YYYYMM of the first purchase), offset i32 (months
 *                      after it, 0..TX_COHORT_MAX_OFFSET), customers u64 (of the cohort who
 *                      bought in month cohort + offset), revenue_cents i64 (theirs in that
 *                      month, reporting currency), cohort_size u64 (the cohort's customers);
 *                      sorted by (cohort_month, offset)
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

/* ---- The tables: one struct per HDF5 table, one column table describing it ----
 *
 * A table is a group of 1-D datasets of equal length (its columns). Its rows live column-major
 * in a struct holding one pointer per column; the table's tx_snapshot_column list (below)
 * names each dataset, its element type and which pointer member holds it. The writer
 * (src/snapshot), the report's reader (src/report) and tests/mpi/snapcmp all walk those lists:
 * a new column is one pointer member here plus one line in snapshot_schema.c (and the code
 * that computes it). Every list is in the order the datasets are created (it shows in the
 * file's bytes). */

/* /customers: this rank's rows [offset, offset + n) of `total`, ranks in rank order holding
 * consecutive row ranges, sorted by customer_id. Arrays of n elements each (may be NULL when n
 * is 0). The reduce step computes straight into it (src/analytics: txa_customers). */
typedef struct tx_snapshot_customers {
    size_t n;
    uint64_t offset;
    uint64_t total;
    uint64_t *customer_id;
    int32_t *first_purchase; /* days since 1970-01-01 */
    int32_t *last_purchase;
    uint32_t *orders;
    int64_t *revenue_cents;
    int32_t *recency_days;
    uint8_t *r_score;
    uint8_t *f_score;
    uint8_t *m_score;
    uint8_t *segment; /* index into segment_names */
    double *frequency;
    double *recency;
    double *T;
    double *monetary_value;
    double *p_alive;
    double *expected_purchases;
    double *expected_avg_value;
    double *clv;
    const char *const *segment_names; /* nsegments names, the values of `segment` */
    int nsegments;
} tx_snapshot_customers;

/* /revenue/daily: global, identical on every rank (rank 0 writes it); n rows. */
typedef struct tx_snapshot_daily {
    size_t n;
    int32_t *date; /* days since 1970-01-01 */
    int64_t *revenue_cents; /* net: gross + refunds */
    uint64_t *transactions;
    uint64_t *customers;
    int64_t *gross_cents;   /* the positive amounts */
    int64_t *refunds_cents; /* the negative amounts (<= 0) */
} tx_snapshot_daily;

/* /revenue/monthly: global, identical on every rank (rank 0 writes it); n rows. */
typedef struct tx_snapshot_monthly {
    size_t n;
    int32_t *month; /* YYYYMM */
    int64_t *revenue_cents;
    uint64_t *transactions;
    uint64_t *active_customers;
    uint64_t *new_customers;
    int64_t *gross_cents;
    int64_t *refunds_cents;
} tx_snapshot_monthly;

/* /revenue/by_currency/daily: in the original currencies, one row per (date, currency) with a
 * transaction, sorted by (date, currency). `currency` holds 3 bytes per row (TX_SNAP_S3). */
typedef struct tx_snapshot_cur_daily {
    size_t n;
    int32_t *date;
    char *currency;
    int64_t *revenue_cents;
    uint64_t *transactions;
    uint64_t *customers; /* distinct customers with a transaction in that currency that day */
    int64_t *gross_cents;
    int64_t *refunds_cents;
} tx_snapshot_cur_daily;

/* /revenue/by_currency/monthly: the same per (month, currency). */
typedef struct tx_snapshot_cur_monthly {
    size_t n;
    int32_t *month; /* YYYYMM */
    char *currency;
    int64_t *revenue_cents;
    uint64_t *transactions;
    uint64_t *active_customers;
    int64_t *gross_cents;
    int64_t *refunds_cents;
} tx_snapshot_cur_monthly;

/* Revenue tables: global, and identical on every rank. daily / monthly are in the reporting
 * currency, by_daily / by_monthly in the original ones. */
typedef struct tx_snapshot_revenue {
    char reporting[4]; /* the reporting currency, root attribute reporting_currency */
    tx_snapshot_daily daily;
    tx_snapshot_monthly monthly;
    tx_snapshot_cur_daily by_daily;
    tx_snapshot_cur_monthly by_monthly;
} tx_snapshot_revenue;

/* /cohorts: customers by month of first purchase. One row per cohort (a month with at least
 * one first purchase) and offset N = 0 .. min(TX_COHORT_MAX_OFFSET, as-of's month - cohort):
 * the cohort's customers with a transaction in month cohort + N and their net revenue in it
 * (reporting currency). Offset 0 holds every customer of the cohort (customers = cohort_size).
 * The as-of month is counted up to as-of. Global, identical on every rank (rank 0 writes it). */
#define TX_COHORT_MAX_OFFSET 12
typedef struct tx_snapshot_cohorts {
    size_t n;
    int32_t *cohort_month; /* YYYYMM */
    int32_t *offset;       /* months after cohort_month */
    uint64_t *customers;
    int64_t *revenue_cents;
    uint64_t *cohort_size;
} tx_snapshot_cohorts;

/* Bins of /holdout/by_frequency: calibration frequency 0 .. 6, and 7 or more. */
#define TX_HOLDOUT_NBINS 8

/* /holdout's per-customer rows: one per customer who purchased before H, sorted by
 * customer_id; rows as in tx_snapshot_customers: [offset, offset + n) of total, in rank
 * order. */
typedef struct tx_snapshot_holdout_rows {
    size_t n;
    uint64_t offset;
    uint64_t total;
    uint64_t *customer_id;
    double *frequency_cal; /* repeat purchase days before H */
    double *predicted;     /* E[Y(holdout_days in model units) | calibration data] */
    double *actual;        /* purchase days in [H, as_of] */
} tx_snapshot_holdout_rows;

/* /holdout/by_frequency: global, n rows (TX_HOLDOUT_NBINS in a txetl snapshot). */
typedef struct tx_snapshot_holdout_bins {
    size_t n;
    int32_t *frequency_cal; /* the bin: 0 .. 7, the last holds 7 or more */
    uint64_t *customers;
    double *mean_predicted; /* NaN for a bin without customers */
    double *mean_actual;
} tx_snapshot_holdout_bins;

/* The calibration / holdout check (--holdout-start H, lifetimes' calibration_and_holdout_data
 * conventions): a BG/NBD fit on the purchase days before H (calibration_end = H - 1, T measured
 * to it), and for every customer who purchased before H the expected purchases over the
 * holdout (calibration_end, as_of] given the calibration data, next to the purchase days in
 * [H, as_of]. */
typedef struct tx_snapshot_holdout {
    int enabled; /* 0: no /holdout group (everything else ignored) */
    int32_t calibration_end; /* days since 1970-01-01: H - 1 */
    int32_t holdout_days;    /* as_of - calibration_end */
    tx_snapshot_holdout_rows rows;
    /* Global, identical on every rank. */
    double sum_predicted, sum_actual, mae;
    tx_bgnbd_fit fit;
    uint64_t bin_customers[TX_HOLDOUT_NBINS];
    double bin_mean_predicted[TX_HOLDOUT_NBINS];
    double bin_mean_actual[TX_HOLDOUT_NBINS];
} tx_snapshot_holdout;

/* The element type of a column. Its HDF5 file type is the little-endian one of that width
 * and signedness (IEEE for f64), its memory type the native one (txetl/snapshot_h5.h). */
typedef enum tx_snapshot_type {
    TX_SNAP_U8,
    TX_SNAP_I32,
    TX_SNAP_U32,
    TX_SNAP_I64,
    TX_SNAP_U64,
    TX_SNAP_F64,
    TX_SNAP_S3, /* a fixed-length string of 3 bytes (a currency code): HDF5 S3, null-padded */
} tx_snapshot_type;

/* One dataset of a table. */
typedef struct tx_snapshot_column {
    const char *name;      /* the dataset's name in the table's group */
    tx_snapshot_type type;
    size_t member;         /* offsetof, in the table's struct, of the pointer to its array */
} tx_snapshot_column;

/* One table: its group and its columns, in creation order. */
typedef struct tx_snapshot_table {
    const char *group; /* absolute path, e.g. "/customers" */
    const tx_snapshot_column *cols;
    size_t ncols;
} tx_snapshot_table;

/* The tables of docs/snapshot.md and the structs they describe. */
extern const tx_snapshot_table tx_snapshot_customers_table; /* tx_snapshot_customers */
extern const tx_snapshot_table tx_snapshot_daily_table;     /* tx_snapshot_daily */
extern const tx_snapshot_table tx_snapshot_monthly_table;   /* tx_snapshot_monthly */
extern const tx_snapshot_table tx_snapshot_cur_daily_table;   /* tx_snapshot_cur_daily */
extern const tx_snapshot_table tx_snapshot_cur_monthly_table; /* tx_snapshot_cur_monthly */
extern const tx_snapshot_table tx_snapshot_cohorts_table;   /* tx_snapshot_cohorts */
extern const tx_snapshot_table tx_snapshot_holdout_table;   /* tx_snapshot_holdout_rows */
extern const tx_snapshot_table tx_snapshot_bins_table;      /* tx_snapshot_holdout_bins */

/* Local. Bytes of one element of type t (1, 3, 4 or 8). */
size_t tx_snapshot_type_size(tx_snapshot_type t);

/* Local. The array of column c in the table struct at s (NULL when not set). */
void *tx_snapshot_column_get(const void *s, const tx_snapshot_column *c);

/* Local. Points column c of the table struct at s to array (the caller keeps ownership). */
void tx_snapshot_column_set(void *s, const tx_snapshot_column *c, void *array);

/* Local. Sets every column of table t in the struct at s to a new array of n elements
 * (TX_XMALLOC: ends the job when memory runs out; n = 0 allowed). Free with
 * tx_snapshot_table_free. */
void tx_snapshot_table_alloc(const tx_snapshot_table *t, void *s, size_t n);

/* Local. Frees every column array of table t in the struct at s and sets it to NULL. */
void tx_snapshot_table_free(const tx_snapshot_table *t, void *s);

/* Everything one snapshot holds. Every field but the rows of `customers` and `holdout.rows`
 * must be identical on all ranks. */
typedef struct tx_snapshot {
    const tx_run_info *run;
    const tx_analytics_opts *opts;
    int32_t as_of; /* days since 1970-01-01 */
    tx_snapshot_customers customers;
    tx_snapshot_revenue revenue;
    tx_bgnbd_fit bgnbd;
    tx_gg_fit gg;
    tx_snapshot_holdout holdout; /* zeroed (enabled = 0): no /holdout group */
    tx_snapshot_cohorts cohorts; /* zeroed: an empty /cohorts table */
} tx_snapshot;

/* Collective over comm. Creates dir (mkdir -p), writes `<dir>/.snapshot-<run_id>.h5.tmp`
 * with parallel HDF5 (collective transfers, each rank its row range as a hyperslab), and once
 * every rank succeeded renames it to `<dir>/snapshot-<run_id>.h5` and atomically replaces the
 * symlink `<dir>/latest.h5` (relative target). On success *path_out (if not NULL) holds the
 * final path. All ranks return the same status: TX_OK, TX_EUSAGE for a run_id that cannot be
 * a file name, TX_ERR for I/O and HDF5 failures (the temporary file is removed and nothing is
 * left at the final path), with err set on every rank.
 * With s->opts->staged the complete file stays at its temporary name (*path_out holds it):
 * nothing is at the final path and latest.h5 is unchanged until tx_snapshot_install (or
 * tx_snapshot_discard). txetl load stages its snapshot so that none is in place for a run
 * that is not marked succeeded. */
int tx_snapshot_write(MPI_Comm comm, const char *dir, const tx_snapshot *s, char *path_out,
                      size_t path_len, tx_error *err);

/* Local (rank 0). Puts run_id's staged snapshot in place: renames
 * `<dir>/.snapshot-<run_id>.h5.tmp` to `<dir>/snapshot-<run_id>.h5` and points `<dir>/latest.h5`
 * at it (*path_out, if not NULL, holds the final path). TX_ERR naming the paths when a rename
 * or the symlink fails (nothing is then left at the final path); TX_EUSAGE for a run id that
 * cannot be a file name. */
int tx_snapshot_install(const char *dir, const char *run_id, char *path_out, size_t path_len,
                        tx_error *err);
/* Local (rank 0). Removes run_id's staged snapshot, if any. */
void tx_snapshot_discard(const char *dir, const char *run_id);

#endif
