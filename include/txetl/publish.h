/* publish.h - `txetl publish`: a snapshot's global results as SQL tables in the analytics
 * database (docs/serving.md lists every column).
 *
 * The server is the shard file's group [analytics] (default: the [shard0] connection), the
 * database that group's `database` option (default CustomerAnalytics). The tables:
 *   customer_scores  one row per customer: every /customers column of the snapshot (days as
 *                    DATE, `revenue_cents` as `revenue` DECIMAL(20,2), `segment` by name, f64
 *                    as DOUBLE with NaN and infinities as NULL) and run_id; primary key
 *                    customer_id, indexes on segment and clv
 *   revenue_daily    basis ('reporting': /revenue/daily in the reporting currency; 'original':
 *                    a per-currency table, when the snapshot has one), currency, then the
 *                    snapshot table's columns (date DATE, revenue, transactions, customers),
 *                    run_id; primary key (basis, currency, date)
 *   revenue_monthly  the same over /revenue/monthly (month as DATE, its first day)
 *   cohorts          /cohorts: cohort_month (DATE, the month's first day), month_offset (the
 *                    dataset `offset`: OFFSET is reserved in SQL), customers, revenue
 *                    DECIMAL(20,2), cohort_size, run_id; primary key (cohort_month,
 *                    month_offset); empty (and res->note says why) for a snapshot without /cohorts
 *   model_params     model, parameter, value, se, converged, loglik, grad_norm, n, unit,
 *                    run_id: one row per fitted parameter and per /model setting
 *   snapshots        one row per published snapshot (kept across refreshes): run_id, created,
 *                    as_of, published, file, ranks, shards, customers, reporting_currency and
 *                    the run's counts
 * Column lists and types come from snapshot.h's column tables (through snapread.h): a column
 * added there is published by itself. sql/analytics.sql is the same DDL (tx_publish_ddl). */
#ifndef TXETL_PUBLISH_H
#define TXETL_PUBLISH_H

#include <mpi.h>
#include <stdint.h>
#include <stdio.h>

#include "txetl/error.h"

/* What a publication wrote. */
typedef struct tx_publish_result {
    char run_id[64];
    char group[64];    /* the shard file group connected with: analytics or shard0 */
    char database[65];
    uint64_t customers, daily, monthly, params; /* daily, monthly: basis 'reporting' rows */
    uint64_t original_daily, original_monthly;   /* basis 'original' rows (per currency) */
    uint64_t cohorts;  /* cohorts rows */
    int has_cohorts;   /* the snapshot has /cohorts (an older txetl's has not) */
    char note[768];    /* "" or one line: why the cohorts table is empty */
    double read_s;     /* reading the snapshot and formatting rows */
    double load_s;     /* the server's LOAD DATA time */
    double swap_s;     /* secondary indexes, the RENAME and dropping the old tables */
    double total_s;
} tx_publish_result;

/* Local (no MPI). Publishes the snapshot at snapshot_path into the analytics database of the
 * shard file at shards_path: loads every table as `<name>_new` (LOAD DATA LOCAL from memory,
 * 64k rows per statement), then replaces them all in one RENAME (a reader sees the previous
 * snapshot's tables or this one's, never a mix), keeping earlier rows of `snapshots`.
 * Publishing a snapshot again replaces its tables and its `snapshots` row. res may be NULL.
 * TX_OK; TX_EUSAGE for a bad shard file; TX_ERR naming the snapshot file and object, or the
 * server, table and what to do (the live tables are then unchanged); TX_ENOMEM. */
int tx_publish(const char *snapshot_path, const char *shards_path, tx_publish_result *res,
               tx_error *err);

/* Collective over comm: rank 0 runs tx_publish (the snapshot is one file, written by every
 * rank already; reading it back on one rank keeps the swap on one connection), logs what it
 * wrote unless quiet, and every rank returns the same status (tx_agree). */
int tx_publish_collective(MPI_Comm comm, const char *snapshot_path, const char *shards_path,
                          int quiet, tx_error *err);

/* Local. Writes the analytics tables' DDL (CREATE TABLE IF NOT EXISTS, the form of
 * sql/analytics.sql) to out. TX_ERR when out cannot be written. */
int tx_publish_ddl(FILE *out, tx_error *err);

#endif
