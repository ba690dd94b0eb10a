/* store_read.c - the MariaDB back end's run journal row and its reads: etl_runs, the stored
 * transactions (and customer-days) streamed to the reduce, `txetl status`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "txetl/alloc.h"
#include "txetl/calendar.h"

int tx_mdb_runs_row(tx_store *s, const tx_store_run *r, tx_error *err)
{
    const tx_run_counts *c = r->counts;
    char files[4096] = "";
    size_t fl = 0;
    for (int i = 0; i < r->nfiles && fl + 2 < sizeof files; i++)
        fl += (size_t)snprintf(files + fl, sizeof files - fl, "%s%s", i ? "\n" : "", r->files[i]);
    if (fl >= sizeof files)
        fl = sizeof files - 1;
    char efiles[2 * sizeof files + 1], emsg[2 * 1024 + 1];
    tx_conn_escape(s->conn, efiles, files, fl);
    const char *message = r->message, *finished = r->finished;
    size_t ml = message ? strlen(message) : 0;
    if (ml > 1024)
        ml = 1024;
    tx_conn_escape(s->conn, emsg, message ? message : "", ml);
    return tx_conn_execf(
        s->conn, err,
        "INSERT INTO etl_runs (run_id, started_at, finished_at, status, ranks, shards, "
        "input_files, rows_read, rows_rejected, rows_inserted, rows_updated, rows_moved, "
        "rows_deleted, rows_stale, rows_superseded, message) VALUES ('%s', '%s', "
        "%s%s%s, '%s', %d, %d, '%s', %llu, %llu, %llu, %llu, %llu, %llu, %llu, %llu, %s%s%s) "
        "ON DUPLICATE KEY UPDATE finished_at = %s%s%s, status = '%s', rows_read = %llu, "
        "rows_rejected = %llu, rows_inserted = %llu, rows_updated = %llu, rows_moved = %llu, "
        "rows_deleted = %llu, rows_stale = %llu, rows_superseded = %llu, message = %s%s%s",
        r->run_id, r->started, finished ? "'" : "", finished ? finished : "NULL",
        finished ? "'" : "", r->status, r->ranks, r->shards, efiles,
        (unsigned long long)c->read, (unsigned long long)c->rejected,
        (unsigned long long)c->inserted, (unsigned long long)c->updated,
        (unsigned long long)c->moved, (unsigned long long)c->deleted,
        (unsigned long long)c->stale, (unsigned long long)c->superseded, message ? "'" : "",
        message ? emsg : "NULL", message ? "'" : "", finished ? "'" : "",
        finished ? finished : "NULL", finished ? "'" : "", r->status,
        (unsigned long long)c->read, (unsigned long long)c->rejected,
        (unsigned long long)c->inserted, (unsigned long long)c->updated,
        (unsigned long long)c->moved, (unsigned long long)c->deleted,
        (unsigned long long)c->stale, (unsigned long long)c->superseded, message ? "'" : "",
        message ? emsg : "NULL", message ? "'" : "");
}

typedef struct txn_ctx {
    tx_store_txn_fn fn;
    void *ctx;
} txn_ctx;

static int txn_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n;
    txn_ctx *t = ctx;
    if (len[3] != 3)
        return tx_error_set(err, TX_ERR, "TransactionsOptimized: customer %s has a transaction "
                            "with currency '%.8s' (not three letters)", v[0], v[3]);
    const uint32_t cur = (uint32_t)(unsigned char)v[3][0] << 16 |
                         (uint32_t)(unsigned char)v[3][1] << 8 | (unsigned char)v[3][2];
    return t->fn(t->ctx, strtoull(v[0], NULL, 10), strtoll(v[1], NULL, 10), (int32_t)atol(v[2]),
                 cur, err);
}

int tx_mdb_read_txns(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err)
{
    txn_ctx t = {fn, ctx};
    const tx_conn_reader rd = {.stream = 1, .what = "transactions", .row = txn_row, .ctx = &t};
    return tx_conn_query_rows(s->conn, "SELECT customer_id, CAST(transaction_amount * 100 AS "
                                       "SIGNED), DATEDIFF(transaction_date, '1970-01-01'), "
                                       "currency FROM TransactionsOptimized", &rd, err);
}

/* A partition name from the server: only [A-Za-z0-9_], up to 64 bytes, goes into a statement. */
static int part_name_ok(const char *name, unsigned long len, tx_error *err)
{
    if (len == 0 || len > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789_") != len) {
        tx_error_set(err, TX_ERR, "TransactionsOptimized has a partition named '%.64s'", name);
        return 0;
    }
    return 1;
}

/* The partition names of TransactionsOptimized in range order, for the month reads. */
typedef struct part_list {
    char (*name)[65];
    size_t n, cap;
} part_list;

static int part_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n;
    part_list *l = ctx;
    if (!v[0])
        return TX_OK;
    if (!part_name_ok(v[0], len[0], err))
        return TX_ERR;
    if (tx_grow(&l->name, &l->cap, l->n, sizeof *l->name, 64) != 0)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    memcpy(l->name[l->n++], v[0], len[0] + 1);
    return TX_OK;
}

int tx_mdb_read_months(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err)
{
    part_list l = {0};
    const tx_conn_reader lr = {.row = part_row, .ctx = &l};
    int rc = tx_conn_query_rows(s->conn,
                                "SELECT PARTITION_NAME FROM information_schema.PARTITIONS WHERE "
                                "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                                "'TransactionsOptimized' ORDER BY PARTITION_ORDINAL_POSITION",
                                &lr, err);
    txn_ctx t = {fn, ctx};
    const tx_conn_reader rd = {.stream = 1, .what = "transactions", .row = txn_row, .ctx = &t};
    for (size_t i = 0; i < l.n && rc == TX_OK; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT customer_id, CAST(transaction_amount * 100 AS SIGNED), "
                 "DATEDIFF(transaction_date, '1970-01-01'), currency FROM TransactionsOptimized "
                 "PARTITION (%s)",
                 l.name[i]);
        rc = tx_conn_query_rows(s->conn, sql, &rd, err);
    }
    free(l.name);
    return rc;
}

int tx_store_read_months(tx_store *s, tx_store_txn_fn fn, void *ctx, tx_error *err)
{
    return s->ops->read_months(s, fn, ctx, err);
}

/* ---- the reduce's read of a date range ---------------------------------------------------- */

/* "-123.45" (DECIMAL(14,2) as the server sends it: always two fraction digits) to cents. */
static int cents_of(const char *v, unsigned long n, int64_t *out)
{
    unsigned long i = 0;
    int neg = n > 0 && v[0] == '-';
    i += (unsigned long)neg;
    int64_t c = 0;
    unsigned long d0 = i;
    for (; i < n && v[i] >= '0' && v[i] <= '9'; i++)
        c = c * 10 + (v[i] - '0');
    if (i == d0 || i + 3 != n || v[i] != '.' || v[i + 1] < '0' || v[i + 1] > '9' ||
        v[i + 2] < '0' || v[i + 2] > '9' || i - d0 > 12)
        return 0;
    c = c * 100 + (v[i + 1] - '0') * 10 + (v[i + 2] - '0');
    *out = neg ? -c : c;
    return 1;
}

/* "YYYY-MM-DD" to days since 1970-01-01. */
static int day_of(const char *v, unsigned long n, int32_t *out)
{
    if (n != 10 || v[4] != '-' || v[7] != '-')
        return 0;
    int x[8];
    static const int at[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    for (int k = 0; k < 8; k++) {
        if (v[at[k]] < '0' || v[at[k]] > '9')
            return 0;
        x[k] = v[at[k]] - '0';
    }
    *out = tx_days_from_civil(x[0] * 1000 + x[1] * 100 + x[2] * 10 + x[3], x[4] * 10 + x[5],
                              x[6] * 10 + x[7]);
    return 1;
}

/* A row of customer_id, transaction_amount, transaction_date, currency as stored (the server
 * sends the columns; the conversions are done here, which costs the server less). */
static int slice_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n;
    txn_ctx *t = ctx;
    int64_t cents;
    int32_t day;
    if (!cents_of(v[1], len[1], &cents) || !day_of(v[2], len[2], &day))
        return tx_error_set(err, TX_ERR, "TransactionsOptimized: customer %s has a transaction "
                            "with amount '%.20s' or date '%.12s' txetl cannot read", v[0], v[1],
                            v[2]);
    if (len[3] != 3)
        return tx_error_set(err, TX_ERR, "TransactionsOptimized: customer %s has a transaction "
                            "with currency '%.8s' (not three letters)", v[0], v[3]);
    const uint32_t cur = (uint32_t)(unsigned char)v[3][0] << 16 |
                         (uint32_t)(unsigned char)v[3][1] << 8 | (unsigned char)v[3][2];
    return t->fn(t->ctx, strtoull(v[0], NULL, 10), cents, day, cur, err);
}

/* The partitions of TransactionsOptimized in range order: name, date range, estimated rows. */
typedef struct part_info {
    char name[65];
    int32_t lower, upper; /* [lower, upper); INT32_MIN / INT32_MAX unbounded */
    uint64_t rows;        /* the server's estimate (information_schema TABLE_ROWS) */
} part_info;
typedef struct part_infos {
    part_info *p;
    size_t n, cap;
} part_infos;

static int info_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n;
    part_infos *l = ctx;
    if (!v[0])
        return TX_OK;
    if (!part_name_ok(v[0], len[0], err))
        return TX_ERR;
    int32_t upper = INT32_MAX;
    if (v[1] && strcmp(v[1], "MAXVALUE") != 0 &&
        !(len[1] == 12 && v[1][0] == '\'' && day_of(v[1] + 1, 10, &upper)))
        return tx_error_set(err, TX_ERR, "TransactionsOptimized: partition %s ends at '%.32s', "
                            "not a date", v[0], v[1]);
    if (tx_grow(&l->p, &l->cap, l->n, sizeof *l->p, 64) != 0)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    part_info *p = &l->p[l->n];
    memcpy(p->name, v[0], len[0] + 1);
    p->lower = l->n ? l->p[l->n - 1].upper : INT32_MIN;
    p->upper = upper;
    p->rows = v[2] ? strtoull(v[2], NULL, 10) : 0;
    l->n++;
    return TX_OK;
}

static int part_infos_read(tx_conn *c, part_infos *l, tx_error *err)
{
    memset(l, 0, sizeof *l);
    const tx_conn_reader rd = {.row = info_row, .ctx = l};
    int rc = tx_conn_query_rows(c, "SELECT PARTITION_NAME, PARTITION_DESCRIPTION, TABLE_ROWS "
                                   "FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = "
                                   "DATABASE() AND TABLE_NAME = 'TransactionsOptimized' ORDER BY "
                                   "PARTITION_ORDINAL_POSITION",
                                &rd, err);
    if (rc != TX_OK) {
        free(l->p);
        memset(l, 0, sizeof *l);
    }
    return rc;
}

int tx_mdb_month_rows(tx_store *s, tx_store_part_rows_fn fn, void *ctx, tx_error *err)
{
    part_infos l;
    int rc = part_infos_read(s->conn, &l, err);
    for (size_t i = 0; i < l.n && rc == TX_OK; i++)
        rc = fn(ctx, l.p[i].lower, l.p[i].upper, l.p[i].rows, err);
    free(l.p);
    return rc;
}

/* 'YYYY-MM-DD' of a day (within 0000..9999). */
static void date_sql(int32_t day, char out[16])
{
    int y, m, d;
    tx_civil_from_days(day, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

int tx_mdb_read_dates(tx_store *s, int32_t lo, int32_t hi, tx_store_txn_fn fn, void *ctx,
                      tx_error *err)
{
    if (lo >= hi)
        return TX_OK;
    part_infos l;
    int rc = part_infos_read(s->conn, &l, err);
    /* this session only reads */
    if (rc == TX_OK)
        rc = tx_conn_execf(s->conn, err, "SET SESSION TRANSACTION READ ONLY");
    txn_ctx t = {fn, ctx};
    const tx_conn_reader rd = {.stream = 1, .what = "transactions", .row = slice_row, .ctx = &t};
    for (size_t i = 0; i < l.n && rc == TX_OK; i++) {
        const part_info *p = &l.p[i];
        if (p->upper <= lo || p->lower >= hi)
            continue; /* no day of [lo, hi) */
        /* the stored columns, converted here (cheaper for the server); a partition partly in
         * [lo, hi) filtered by date */
        char sql[512], a[16], b[16], where[96] = "";
        const int cut_lo = p->lower < lo, cut_hi = p->upper > hi;
        date_sql(cut_lo ? lo : 0, a);
        date_sql(cut_hi ? hi : 0, b);
        if (cut_lo || cut_hi)
            snprintf(where, sizeof where, " WHERE %s%s%s%s%s%s%s", cut_lo ? "transaction_date >= '" : "",
                     cut_lo ? a : "", cut_lo ? "'" : "", cut_lo && cut_hi ? " AND " : "",
                     cut_hi ? "transaction_date < '" : "", cut_hi ? b : "", cut_hi ? "'" : "");
        snprintf(sql, sizeof sql,
                 "SELECT customer_id, transaction_amount, transaction_date, currency FROM "
                 "TransactionsOptimized PARTITION (%s)%s",
                 p->name, where);
        rc = tx_conn_query_rows(s->conn, sql, &rd, err);
    }
    free(l.p);
    return rc;
}

int tx_store_read_dates(tx_store *s, int32_t lo, int32_t hi, tx_store_txn_fn fn, void *ctx,
                        tx_error *err)
{
    if (!s->ops->read_dates)
        return tx_error_set(err, TX_ERR, "shard %d: the %s back end cannot read a date range",
                            s->index, s->ops->name);
    return s->ops->read_dates(s, lo, hi, fn, ctx, err);
}

int tx_store_month_rows(tx_store *s, tx_store_part_rows_fn fn, void *ctx, tx_error *err)
{
    if (!s->ops->month_rows)
        return tx_error_set(err, TX_ERR, "shard %d: the %s back end cannot count its months",
                            s->index, s->ops->name);
    return s->ops->month_rows(s, fn, ctx, err);
}

/* ---- txetl status ----------------------------------------------------------------------- */

static int print_head(void *ctx, unsigned n, char **names, tx_error *err)
{
    (void)err;
    FILE *out = ctx;
    fputs("   ", out);
    for (unsigned i = 0; i < n; i++)
        fprintf(out, " %s", names[i]);
    fputc('\n', out);
    return TX_OK;
}

static int print_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)len, (void)err;
    FILE *out = ctx;
    fputs("   ", out);
    for (unsigned i = 0; i < n; i++)
        fprintf(out, " %s", v[i] ? v[i] : "NULL");
    fputc('\n', out);
    return TX_OK;
}

/* Prints a titled result table; a failed query prints its message instead. */
static void print_query(tx_conn *c, const char *title, const char *sql, FILE *out)
{
    tx_error err = {0};
    /* the title goes out once the query has run: buffered here until then */
    char *text = NULL;
    size_t tlen = 0;
    FILE *mem = open_memstream(&text, &tlen);
    int rc = TX_ENOMEM;
    if (mem) {
        const tx_conn_reader rd = {.head = print_head, .row = print_row, .ctx = mem};
        rc = tx_conn_query_rows(c, sql, &rd, &err);
        fclose(mem);
    }
    if (rc != TX_OK)
        fprintf(out, "  %s: %s\n", title, mem ? err.msg : "out of memory");
    else
        fprintf(out, "  %s:\n%s", title, text);
    free(text);
}

int tx_mdb_status(tx_store *s, FILE *out, tx_error *err)
{
    (void)err;
    tx_conn *c = s->conn;
    uint64_t rows = 0, dir = 0, tomb = 0, parts = 0;
    int null;
    tx_error e = {0};
    tx_conn_query_u64(c, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                         "DATABASE() AND TABLE_NAME = 'TransactionsOptimized'", &rows, &null, &e);
    if (rows == 0) {
        fprintf(out, "shard %d: reachable, database %s, no txetl schema yet\n", s->index,
                tx_conn_database(c));
        return TX_OK;
    }
    tx_conn_query_u64(c, "SELECT COUNT(*) FROM TransactionsOptimized", &rows, &null, &e);
    tx_conn_query_u64(c, "SELECT COALESCE(SUM(entries), 0) FROM txn_directory", &dir, &null, &e);
    tx_conn_query_u64(c, "SELECT COALESCE(SUM(tombstones), 0) FROM txn_directory", &tomb, &null,
                      &e);
    tx_conn_query_u64(c, "SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE "
                         "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                         "'TransactionsOptimized' AND PARTITION_NAME LIKE 'p%'", &parts, &null,
                      &e);
    fprintf(out, "shard %d: reachable, database %s, %llu rows in %llu month partitions, "
                 "%llu directory entries (%llu tombstones)\n",
            s->index, tx_conn_database(c), (unsigned long long)rows, (unsigned long long)parts,
            (unsigned long long)dir, (unsigned long long)tomb);
    print_query(c, "boundaries", "SELECT shard_index, lower_date, upper_date FROM shard_map "
                                 "ORDER BY shard_index", out);
    print_query(c, "months", "SELECT MIN(transaction_date) AS first_date, "
                             "MAX(transaction_date) AS last_date FROM TransactionsOptimized", out);
    print_query(c, "last runs",
                "SELECT run_id, status, started_at, finished_at, ranks, rows_read, "
                "rows_rejected, rows_inserted, rows_updated, rows_moved, rows_deleted, "
                "rows_stale, rows_superseded FROM etl_runs ORDER BY started_at DESC LIMIT 5",
                out);
    return TX_OK;
}
