/* snapshot_schema.c - the column tables of snapshot.h: the one place that names the datasets
 * of docs/snapshot.md's tables, their types and the struct members holding them. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "txetl/alloc.h"
#include "txetl/snapshot.h"

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const tx_snapshot_column customers_cols[] = {
    {"customer_id", TX_SNAP_U64, offsetof(tx_snapshot_customers, customer_id)},
    {"first_purchase", TX_SNAP_I32, offsetof(tx_snapshot_customers, first_purchase)},
    {"last_purchase", TX_SNAP_I32, offsetof(tx_snapshot_customers, last_purchase)},
    {"orders", TX_SNAP_U32, offsetof(tx_snapshot_customers, orders)},
    {"revenue_cents", TX_SNAP_I64, offsetof(tx_snapshot_customers, revenue_cents)},
    {"recency_days", TX_SNAP_I32, offsetof(tx_snapshot_customers, recency_days)},
    {"r_score", TX_SNAP_U8, offsetof(tx_snapshot_customers, r_score)},
    {"f_score", TX_SNAP_U8, offsetof(tx_snapshot_customers, f_score)},
    {"m_score", TX_SNAP_U8, offsetof(tx_snapshot_customers, m_score)},
    {"segment", TX_SNAP_U8, offsetof(tx_snapshot_customers, segment)},
    {"frequency", TX_SNAP_F64, offsetof(tx_snapshot_customers, frequency)},
    {"recency", TX_SNAP_F64, offsetof(tx_snapshot_customers, recency)},
    {"T", TX_SNAP_F64, offsetof(tx_snapshot_customers, T)},
    {"monetary_value", TX_SNAP_F64, offsetof(tx_snapshot_customers, monetary_value)},
    {"p_alive", TX_SNAP_F64, offsetof(tx_snapshot_customers, p_alive)},
    {"expected_purchases", TX_SNAP_F64, offsetof(tx_snapshot_customers, expected_purchases)},
    {"expected_avg_value", TX_SNAP_F64, offsetof(tx_snapshot_customers, expected_avg_value)},
    {"clv", TX_SNAP_F64, offsetof(tx_snapshot_customers, clv)},
};
const tx_snapshot_table tx_snapshot_customers_table = {"/customers", customers_cols,
                                                       NCOLS(customers_cols)};

static const tx_snapshot_column daily_cols[] = {
    {"date", TX_SNAP_I32, offsetof(tx_snapshot_daily, date)},
    {"revenue_cents", TX_SNAP_I64, offsetof(tx_snapshot_daily, revenue_cents)},
    {"transactions", TX_SNAP_U64, offsetof(tx_snapshot_daily, transactions)},
    {"customers", TX_SNAP_U64, offsetof(tx_snapshot_daily, customers)},
    {"gross_cents", TX_SNAP_I64, offsetof(tx_snapshot_daily, gross_cents)},
    {"refunds_cents", TX_SNAP_I64, offsetof(tx_snapshot_daily, refunds_cents)},
};
const tx_snapshot_table tx_snapshot_daily_table = {"/revenue/daily", daily_cols,
                                                   NCOLS(daily_cols)};

static const tx_snapshot_column monthly_cols[] = {
    {"month", TX_SNAP_I32, offsetof(tx_snapshot_monthly, month)},
    {"revenue_cents", TX_SNAP_I64, offsetof(tx_snapshot_monthly, revenue_cents)},
    {"transactions", TX_SNAP_U64, offsetof(tx_snapshot_monthly, transactions)},
    {"active_customers", TX_SNAP_U64, offsetof(tx_snapshot_monthly, active_customers)},
    {"new_customers", TX_SNAP_U64, offsetof(tx_snapshot_monthly, new_customers)},
    {"gross_cents", TX_SNAP_I64, offsetof(tx_snapshot_monthly, gross_cents)},
    {"refunds_cents", TX_SNAP_I64, offsetof(tx_snapshot_monthly, refunds_cents)},
};
const tx_snapshot_table tx_snapshot_monthly_table = {"/revenue/monthly", monthly_cols,
                                                     NCOLS(monthly_cols)};

static const tx_snapshot_column cur_daily_cols[] = {
    {"date", TX_SNAP_I32, offsetof(tx_snapshot_cur_daily, date)},
    {"currency", TX_SNAP_S3, offsetof(tx_snapshot_cur_daily, currency)},
    {"revenue_cents", TX_SNAP_I64, offsetof(tx_snapshot_cur_daily, revenue_cents)},
    {"transactions", TX_SNAP_U64, offsetof(tx_snapshot_cur_daily, transactions)},
    {"customers", TX_SNAP_U64, offsetof(tx_snapshot_cur_daily, customers)},
    {"gross_cents", TX_SNAP_I64, offsetof(tx_snapshot_cur_daily, gross_cents)},
    {"refunds_cents", TX_SNAP_I64, offsetof(tx_snapshot_cur_daily, refunds_cents)},
};
const tx_snapshot_table tx_snapshot_cur_daily_table = {"/revenue/by_currency/daily",
                                                       cur_daily_cols, NCOLS(cur_daily_cols)};

static const tx_snapshot_column cur_monthly_cols[] = {
    {"month", TX_SNAP_I32, offsetof(tx_snapshot_cur_monthly, month)},
    {"currency", TX_SNAP_S3, offsetof(tx_snapshot_cur_monthly, currency)},
    {"revenue_cents", TX_SNAP_I64, offsetof(tx_snapshot_cur_monthly, revenue_cents)},
    {"transactions", TX_SNAP_U64, offsetof(tx_snapshot_cur_monthly, transactions)},
    {"active_customers", TX_SNAP_U64, offsetof(tx_snapshot_cur_monthly, active_customers)},
    {"gross_cents", TX_SNAP_I64, offsetof(tx_snapshot_cur_monthly, gross_cents)},
    {"refunds_cents", TX_SNAP_I64, offsetof(tx_snapshot_cur_monthly, refunds_cents)},
};
const tx_snapshot_table tx_snapshot_cur_monthly_table = {
    "/revenue/by_currency/monthly", cur_monthly_cols, NCOLS(cur_monthly_cols)};

static const tx_snapshot_column cohorts_cols[] = {
    {"cohort_month", TX_SNAP_I32, offsetof(tx_snapshot_cohorts, cohort_month)},
    {"offset", TX_SNAP_I32, offsetof(tx_snapshot_cohorts, offset)},
    {"customers", TX_SNAP_U64, offsetof(tx_snapshot_cohorts, customers)},
    {"revenue_cents", TX_SNAP_I64, offsetof(tx_snapshot_cohorts, revenue_cents)},
    {"cohort_size", TX_SNAP_U64, offsetof(tx_snapshot_cohorts, cohort_size)},
};
const tx_snapshot_table tx_snapshot_cohorts_table = {"/cohorts", cohorts_cols,
                                                     NCOLS(cohorts_cols)};

static const tx_snapshot_column holdout_cols[] = {
    {"customer_id", TX_SNAP_U64, offsetof(tx_snapshot_holdout_rows, customer_id)},
    {"frequency_cal", TX_SNAP_F64, offsetof(tx_snapshot_holdout_rows, frequency_cal)},
    {"predicted", TX_SNAP_F64, offsetof(tx_snapshot_holdout_rows, predicted)},
    {"actual", TX_SNAP_F64, offsetof(tx_snapshot_holdout_rows, actual)},
};
const tx_snapshot_table tx_snapshot_holdout_table = {"/holdout", holdout_cols,
                                                     NCOLS(holdout_cols)};

static const tx_snapshot_column bins_cols[] = {
    {"frequency_cal", TX_SNAP_I32, offsetof(tx_snapshot_holdout_bins, frequency_cal)},
    {"customers", TX_SNAP_U64, offsetof(tx_snapshot_holdout_bins, customers)},
    {"mean_predicted", TX_SNAP_F64, offsetof(tx_snapshot_holdout_bins, mean_predicted)},
    {"mean_actual", TX_SNAP_F64, offsetof(tx_snapshot_holdout_bins, mean_actual)},
};
const tx_snapshot_table tx_snapshot_bins_table = {"/holdout/by_frequency", bins_cols,
                                                  NCOLS(bins_cols)};

size_t tx_snapshot_type_size(tx_snapshot_type t)
{
    switch (t) {
    case TX_SNAP_U8: return 1;
    case TX_SNAP_S3: return 3;
    case TX_SNAP_I32:
    case TX_SNAP_U32: return 4;
    case TX_SNAP_I64:
    case TX_SNAP_U64:
    case TX_SNAP_F64: return 8;
    }
    return 0;
}

/* The member is a pointer to the column's element type; memcpy reads and writes it as the
 * void * it converts to and from (no type-punned lvalue). */
void *tx_snapshot_column_get(const void *s, const tx_snapshot_column *c)
{
    void *p;
    memcpy(&p, (const char *)s + c->member, sizeof p);
    return p;
}

void tx_snapshot_column_set(void *s, const tx_snapshot_column *c, void *array)
{
    memcpy((char *)s + c->member, &array, sizeof array);
}

void tx_snapshot_table_alloc(const tx_snapshot_table *t, void *s, size_t n)
{
    for (size_t i = 0; i < t->ncols; i++)
        tx_snapshot_column_set(s, &t->cols[i],
                               TX_XCALLOC(n, tx_snapshot_type_size(t->cols[i].type)));
}

void tx_snapshot_table_free(const tx_snapshot_table *t, void *s)
{
    for (size_t i = 0; i < t->ncols; i++) {
        free(tx_snapshot_column_get(s, &t->cols[i]));
        tx_snapshot_column_set(s, &t->cols[i], NULL);
    }
}
