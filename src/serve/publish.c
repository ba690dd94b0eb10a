/* publish.c - tx_publish (publish.h): a snapshot read back through snapread.h, its tables
 * turned into bulk-load text and handed to the store's refresh (store.h), which swaps them
 * all in at once. The SQL itself is the store's; this file decides the tables' columns (from
 * snapshot.h's column tables) and their rows. */
#include "txetl/publish.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "txetl/fmt.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"
#include "txetl/snapread.h"
#include "txetl/snapshot.h"
#include "txetl/store.h"

#define ANALYTICS_GROUP "analytics"
#define ANALYTICS_FALLBACK "shard0"
#define ANALYTICS_DB "CustomerAnalytics"

/* The tables in the order they are created and swapped. */
enum { T_CUSTOMERS, T_DAILY, T_MONTHLY, T_COHORTS, T_PARAMS, T_SNAPSHOTS, NT };

/* A snapshot table published as one SQL table: optional key columns before it. */
static const tx_snapshot_table *const source[NT] = {
    [T_CUSTOMERS] = &tx_snapshot_customers_table,
    [T_DAILY] = &tx_snapshot_daily_table,
    [T_MONTHLY] = &tx_snapshot_monthly_table,
    [T_COHORTS] = &tx_snapshot_cohorts_table,
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void add_col(tx_store_table *t, const char *name, tx_store_coltype type, int nullable)
{
    if (t->ncols < TX_STORE_MAX_COLUMNS)
        t->cols[t->ncols++] = (tx_store_column){name, type, nullable};
}

/* Names of cents columns without "_cents" (`revenue_cents` -> `revenue`), kept for the life
 * of the process: the tables borrow them. */
static const char *sql_name(const tx_snapshot_column *c, tx_snapread_kind k)
{
    static char names[TX_STORE_MAX_COLUMNS][64];
    static size_t used;
    size_t len = strlen(c->name);
    if (k != TX_SNAPREAD_CENTS || len <= 6 || strcmp(c->name + len - 6, "_cents") != 0)
        return c->name;
    for (size_t i = 0; i < used; i++)
        if (strncmp(names[i], c->name, len - 6) == 0 && names[i][len - 6] == '\0')
            return names[i];
    if (used == TX_STORE_MAX_COLUMNS || len - 6 >= sizeof names[0])
        return c->name;
    snprintf(names[used], sizeof names[used], "%.*s", (int)(len - 6), c->name);
    return names[used++];
}

/* The SQL columns of snapshot table st: by kind, else by element type. */
static void add_snapshot_cols(tx_store_table *t, const tx_snapshot_table *st, int nullable)
{
    for (size_t i = 0; i < st->ncols; i++) {
        const tx_snapshot_column *c = &st->cols[i];
        tx_snapread_kind k = tx_snapread_kind_of(st, c);
        tx_store_coltype type = TX_SQL_TEXT;
        switch (k) {
        case TX_SNAPREAD_DATE:
        case TX_SNAPREAD_MONTH: type = TX_SQL_DATE; break;
        case TX_SNAPREAD_CENTS: type = TX_SQL_MONEY; break;
        case TX_SNAPREAD_SEGMENT: type = TX_SQL_NAME; break;
        case TX_SNAPREAD_PLAIN:
            switch (c->type) {
            case TX_SNAP_U8: type = TX_SQL_U8; break;
            case TX_SNAP_I32: type = TX_SQL_I32; break;
            case TX_SNAP_U32: type = TX_SQL_U32; break;
            case TX_SNAP_I64: type = TX_SQL_I64; break;
            case TX_SNAP_U64: type = TX_SQL_U64; break;
            case TX_SNAP_F64: type = TX_SQL_F64; break;
            case TX_SNAP_S3: type = TX_SQL_CURRENCY; break;
            }
        }
        /* f64 may be NaN or infinite: NULL in SQL */
        add_col(t, sql_name(c, k), type, nullable || type == TX_SQL_F64);
    }
}

/* The six tables' definitions (identical on every call). */
static void define_tables(tx_store_table *t)
{
    memset(t, 0, NT * sizeof *t);
    tx_store_table *c = &t[T_CUSTOMERS];
    c->name = "customer_scores";
    c->comment = "txetl: one row per customer of the published snapshot (/customers)";
    add_snapshot_cols(c, source[T_CUSTOMERS], 0);
    add_col(c, "run_id", TX_SQL_NAME, 0);
    c->primary_key = "customer_id";
    c->indexes[0] = "segment";
    c->indexes[1] = "clv";

    for (int k = T_DAILY; k <= T_MONTHLY; k++) {
        tx_store_table *r = &t[k];
        r->name = k == T_DAILY ? "revenue_daily" : "revenue_monthly";
        r->comment = k == T_DAILY ? "txetl: /revenue/daily (basis reporting) and per-currency "
                                    "daily revenue (basis original)"
                                  : "txetl: /revenue/monthly (basis reporting) and per-currency "
                                    "monthly revenue (basis original)";
        add_col(r, "basis", TX_SQL_NAME, 0);
        add_col(r, "currency", TX_SQL_CURRENCY, 0);
        /* value columns may be NULL: a per-currency table may lack one (new_customers) */
        add_snapshot_cols(r, source[k], 1);
        r->cols[2].nullable = 0; /* the date / month */
        add_col(r, "run_id", TX_SQL_NAME, 0);
        r->primary_key = k == T_DAILY ? "basis, currency, date" : "basis, currency, month";
    }

    tx_store_table *co = &t[T_COHORTS];
    co->name = "cohorts";
    co->comment = "txetl: customers by month of first purchase, N = 0..12 months later "
                  "(/cohorts, reporting currency)";
    add_snapshot_cols(co, source[T_COHORTS], 0); /* cohort_month: the month's first day */
    for (size_t i = 0; i < co->ncols; i++) /* OFFSET is reserved in SQL: a name BI tools and */
        if (strcmp(co->cols[i].name, "offset") == 0) /* users need not quote */
            co->cols[i].name = "month_offset";
    add_col(co, "run_id", TX_SQL_NAME, 0);
    co->primary_key = "cohort_month, month_offset";

    tx_store_table *m = &t[T_PARAMS];
    m->name = "model_params";
    m->comment = "txetl: fitted model parameters and CLV settings (/model)";
    add_col(m, "model", TX_SQL_NAME, 0);
    add_col(m, "parameter", TX_SQL_NAME, 0);
    add_col(m, "value", TX_SQL_F64, 1);
    add_col(m, "se", TX_SQL_F64, 1);
    add_col(m, "converged", TX_SQL_U8, 1);
    add_col(m, "loglik", TX_SQL_F64, 1);
    add_col(m, "grad_norm", TX_SQL_F64, 1);
    add_col(m, "n", TX_SQL_U64, 1);
    add_col(m, "unit", TX_SQL_NAME, 1);
    add_col(m, "run_id", TX_SQL_NAME, 0);
    m->primary_key = "model, parameter";

    tx_store_table *s = &t[T_SNAPSHOTS];
    s->name = "snapshots";
    s->comment = "txetl: one row per published snapshot; the newest `published` is live";
    static const char *const counts[] = {"rows_read", "rows_rejected", "rows_inserted",
                                         "rows_updated", "rows_moved", "rows_deleted",
                                         "rows_stale", "rows_superseded"};
    add_col(s, "run_id", TX_SQL_NAME, 0);
    add_col(s, "created", TX_SQL_TIME, 0);
    add_col(s, "as_of", TX_SQL_DATE, 0);
    add_col(s, "published", TX_SQL_TIME, 0);
    add_col(s, "file", TX_SQL_TEXT, 0);
    add_col(s, "ranks", TX_SQL_I32, 0);
    add_col(s, "shards", TX_SQL_I32, 0);
    add_col(s, "customers", TX_SQL_U64, 0);
    add_col(s, "reporting_currency", TX_SQL_CURRENCY, 0);
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++)
        add_col(s, counts[i], TX_SQL_U64, 0);
    s->primary_key = "run_id";
    s->indexes[0] = "published";
    s->history = 1;
}

int tx_publish_ddl(FILE *out, tx_error *err)
{
    tx_store_table t[NT];
    define_tables(t);
    int rc = TX_OK;
    for (int i = 0; i < NT && rc == TX_OK; i++) {
        tx_buf b = {0};
        if (tx_store_table_ddl(&t[i], "", 1, &b) != TX_OK)
            rc = tx_error_set(err, TX_ENOMEM, "out of memory");
        else
            fprintf(out, "%s%s", i ? "\n" : "", b.p);
        tx_buf_free(&b);
    }
    if (rc == TX_OK && (fflush(out) != 0 || ferror(out)))
        rc = tx_error_set(err, TX_ERR, "cannot write the DDL");
    return rc;
}

/* ---- rows ---- */

typedef struct pub {
    tx_snapread *snap;
    tx_store_refresh *ref;
    char run_id[64];
    char currency[8];
    tx_publish_result *res;
    tx_error *err;
} pub;

/* Appends a tab (unless first) and s escaped for the bulk load. */
static int put_field(tx_buf *b, const char *s, size_t len, int first)
{
    if (tx_buf_reserve(b, 1) != TX_OK)
        return TX_ENOMEM;
    if (!first)
        b->p[b->len++] = '\t';
    return tx_tsv_text(b, s, len);
}

static int put_null(tx_buf *b, int first)
{
    return put_field(b, "", 0, first) == TX_OK && tx_buf_reserve(b, 2) == TX_OK
               ? (b->p[b->len++] = '\\', b->p[b->len++] = 'N', TX_OK)
               : TX_ENOMEM;
}

static int put_eol(tx_buf *b)
{
    if (tx_buf_reserve(b, 1) != TX_OK)
        return TX_ENOMEM;
    b->p[b->len++] = '\n';
    return TX_OK;
}

/* Loads snapshot table `st` into table `table`, a chunk per LOAD DATA: `prefix` fields first
 * (tab-joined, already escaped), then the columns, then run_id. With `layout` (a per-currency
 * table st in the rows of the reporting one): the prefix (the basis), st's currency, then
 * layout's columns taken from st's columns of the same name, NULL where st has none
 * (new_customers). *rows receives the count. */
static int load_table(pub *p, size_t table, const tx_snapshot_table *st, const char *prefix,
                      const tx_snapshot_table *layout, uint64_t *rows)
{
    tx_snapread_table *tab = NULL;
    enum { MAXCOLS = 64 };
    int map[MAXCOLS];
    size_t ncols = layout ? layout->ncols : st->ncols;
    int cur = -1;
    for (size_t c = 0; c < st->ncols && layout; c++)
        if (strcmp(st->cols[c].name, "currency") == 0)
            cur = (int)c;
    if (ncols > MAXCOLS || (layout && cur < 0))
        return tx_error_set(p->err, TX_ERR, "publish: internal error: %s has %s", st->group,
                            ncols > MAXCOLS ? "too many columns" : "no currency column");
    for (size_t c = 0; c < ncols; c++) {
        map[c] = layout ? -1 : (int)c;
        for (size_t k = 0; k < st->ncols && layout; k++)
            if (strcmp(st->cols[k].name, layout->cols[c].name) == 0)
                map[c] = (int)k;
    }
    int rc = tx_snapread_table_open(p->snap, st, &tab, p->err);
    uint64_t total = rc == TX_OK ? tx_snapread_table_rows(tab) : 0;
    tx_buf b = {0};
    size_t rid_len = strlen(p->run_id);
    for (uint64_t start = 0; start < total && rc == TX_OK; start += TX_SNAPREAD_CHUNK) {
        size_t n = total - start < TX_SNAPREAD_CHUNK ? (size_t)(total - start) : TX_SNAPREAD_CHUNK;
        double t0 = now_s();
        rc = tx_snapread_table_read(tab, start, n, p->err);
        for (size_t r = 0; r < n && rc == TX_OK; r++) {
            int first = 1;
            if (prefix) {
                size_t pl = strlen(prefix);
                if (tx_buf_reserve(&b, pl) != TX_OK)
                    rc = TX_ENOMEM;
                else
                    memcpy(b.p + b.len, prefix, pl), b.len += pl;
                first = 0;
            }
            for (int c = layout ? -1 : 0; c < (int)ncols && rc == TX_OK; c++, first = 0) {
                char buf[64];
                const char *text;
                size_t len;
                int k = c < 0 ? cur : map[c]; /* c = -1: the currency after the basis */
                if (k < 0) {
                    rc = put_null(&b, first);
                    continue;
                }
                int st_ = tx_snapread_text(tab, (size_t)k, r, start + r, 1, buf, &text, &len,
                                           p->err);
                if (st_ < 0)
                    rc = st_;
                else if (st_ != TX_SNAPREAD_VALUE)
                    rc = put_null(&b, first);
                else
                    rc = put_field(&b, text, len, first);
            }
            if (rc == TX_OK)
                rc = put_field(&b, p->run_id, rid_len, 0);
            if (rc == TX_OK)
                rc = put_eol(&b);
        }
        if (rc == TX_ENOMEM)
            rc = tx_error_set(p->err, TX_ENOMEM, "out of memory formatting %s", st->group);
        double t1 = now_s();
        p->res->read_s += t1 - t0;
        if (rc == TX_OK)
            rc = tx_store_refresh_load(p->ref, table, &b, n, p->err);
        p->res->load_s += now_s() - t1;
    }
    tx_buf_free(&b);
    tx_snapread_table_close(&tab);
    *rows = total;
    return rc;
}

/* A DOUBLE field: %.17g (exact), NULL when not finite. */
static int put_f64(tx_buf *b, double x)
{
    char v[32];
    return isfinite(x) ? put_field(b, v, (size_t)snprintf(v, sizeof v, "%.17g", x), 0)
                       : put_null(b, 0);
}

/* An integer field, NULL when !has. */
static int put_i64(tx_buf *b, int64_t x, int has)
{
    char v[32];
    return has ? put_field(b, v, (size_t)snprintf(v, sizeof v, "%lld", (long long)x), 0)
               : put_null(b, 0);
}

/* One model_params line. NAN value / se: NULL. */
static int param_line(pub *p, tx_buf *b, const char *model, const char *param, double value,
                      double se, int64_t converged, int has_conv, double loglik, double gnorm,
                      int64_t n, int has_n, const char *unit)
{
    int rc = put_field(b, model, strlen(model), 1);
    if (rc == TX_OK)
        rc = put_field(b, param, strlen(param), 0);
    const struct {
        int is_int, has; /* an integer (NULL unless has), else a double */
        double d;
        int64_t i;
    } f[] = {{0, 1, value, 0},  {0, 1, se, 0},    {1, has_conv, 0, converged},
             {0, 1, loglik, 0}, {0, 1, gnorm, 0}, {1, has_n, 0, n}};
    for (size_t i = 0; i < sizeof f / sizeof f[0] && rc == TX_OK; i++)
        rc = f[i].is_int ? put_i64(b, f[i].i, f[i].has) : put_f64(b, f[i].d);
    if (rc == TX_OK)
        rc = unit ? put_field(b, unit, strlen(unit), 0) : put_null(b, 0);
    if (rc == TX_OK)
        rc = put_field(b, p->run_id, strlen(p->run_id), 0);
    return rc == TX_OK ? put_eol(b) : rc;
}

/* model_params: the parameters of /model/bgnbd and /model/gamma_gamma (with se_<name> when
 * the snapshot has it) and the /model settings. */
static int load_params(pub *p)
{
    static const struct {
        const char *group, *model;
        const char *params[5];
    } models[] = {{"/model/bgnbd", "bgnbd", {"r", "alpha", "a", "b", NULL}},
                  {"/model/gamma_gamma", "gamma_gamma", {"p", "q", "v", NULL, NULL}}};
    tx_buf b = {0};
    uint64_t n = 0;
    int rc = TX_OK;
    for (size_t m = 0; m < sizeof models / sizeof *models && rc == TX_OK; m++) {
        const char *g = models[m].group;
        double loglik, gnorm;
        int64_t conv, cnt;
        int has_conv, has_n, has;
        char unit[16] = "";
        tx_error ignore = {0};
        int has_unit = tx_snapread_string(p->snap, g, "unit", unit, sizeof unit, &ignore) == TX_OK;
        rc = tx_snapread_f64(p->snap, g, "loglik", &loglik, &has, p->err);
        if (rc == TX_OK)
            rc = tx_snapread_f64(p->snap, g, "grad_norm", &gnorm, &has, p->err);
        if (rc == TX_OK)
            rc = tx_snapread_i64(p->snap, g, "converged", &conv, &has_conv, p->err);
        if (rc == TX_OK)
            rc = tx_snapread_i64(p->snap, g, "n", &cnt, &has_n, p->err);
        for (int k = 0; k < 5 && models[m].params[k] && rc == TX_OK; k++) {
            const char *name = models[m].params[k];
            char se_name[32];
            double v, se;
            snprintf(se_name, sizeof se_name, "se_%s", name);
            rc = tx_snapread_f64(p->snap, g, name, &v, NULL, p->err);
            if (rc == TX_OK)
                rc = tx_snapread_f64(p->snap, g, se_name, &se, &has, p->err);
            if (rc == TX_OK)
                rc = param_line(p, &b, models[m].model, name, v, se, conv, has_conv, loglik,
                                gnorm, cnt, has_n, has_unit ? unit : NULL);
            n++;
        }
    }
    static const char *const settings[] = {"horizon_days", "clv_months", "discount_rate"};
    for (size_t k = 0; k < sizeof settings / sizeof *settings && rc == TX_OK; k++) {
        double v;
        int has;
        rc = tx_snapread_f64(p->snap, "/model", settings[k], &v, &has, p->err);
        if (rc == TX_OK && has) {
            rc = param_line(p, &b, "clv", settings[k], v, NAN, 0, 0, NAN, NAN, 0, 0, NULL);
            n++;
        }
    }
    if (rc == TX_ENOMEM)
        rc = tx_error_set(p->err, TX_ENOMEM, "out of memory");
    if (rc == TX_OK)
        rc = tx_store_refresh_load(p->ref, T_PARAMS, &b, n, p->err);
    tx_buf_free(&b);
    p->res->params = n;
    return rc;
}

/* The snapshots row of this publication. */
static int load_snapshot_row(pub *p, const char *path)
{
    char created[64], as_of[16], line[256];
    int64_t ranks = 0, shards = 0;
    int rc = tx_snapread_string(p->snap, "/", "created_utc", created, sizeof created, p->err);
    if (rc == TX_OK)
        rc = tx_snapread_string(p->snap, "/", "as_of", as_of, sizeof as_of, p->err);
    if (rc == TX_OK)
        rc = tx_snapread_i64(p->snap, "/", "ranks", &ranks, NULL, p->err);
    if (rc == TX_OK)
        rc = tx_snapread_i64(p->snap, "/", "shards", &shards, NULL, p->err);
    if (rc != TX_OK)
        return rc;
    /* "YYYY-MM-DDTHH:MM:SSZ" -> DATETIME */
    for (char *c = created; *c; c++)
        if (*c == 'T')
            *c = ' ';
        else if (*c == 'Z')
            *c = '\0';
    char published[32];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    tx_format_timestamp((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, published);
    char abs[4096];
    const char *file = realpath(path, abs) ? abs : path;
    tx_buf b = {0};
    rc = put_field(&b, p->run_id, strlen(p->run_id), 1);
    const char *text[] = {created, as_of, published, file};
    for (size_t i = 0; i < 4 && rc == TX_OK; i++)
        rc = put_field(&b, text[i], strlen(text[i]), 0);
    snprintf(line, sizeof line, "%lld\t%lld\t%llu\t%s", (long long)ranks, (long long)shards,
             (unsigned long long)p->res->customers, p->currency);
    if (rc == TX_OK)
        rc = tx_buf_reserve(&b, strlen(line) + 1);
    if (rc == TX_OK) {
        b.p[b.len++] = '\t';
        memcpy(b.p + b.len, line, strlen(line));
        b.len += strlen(line);
    }
    static const char *const counts[] = {"read", "rejected", "inserted", "updated",
                                         "moved", "deleted", "stale", "superseded"};
    for (size_t i = 0; i < 8 && rc == TX_OK; i++) {
        int64_t v = 0;
        char d[32];
        rc = tx_snapread_i64(p->snap, "/", counts[i], &v, NULL, p->err);
        if (rc == TX_OK)
            rc = put_field(&b, d, (size_t)snprintf(d, sizeof d, "%lld", (long long)v), 0);
    }
    if (rc == TX_OK)
        rc = put_eol(&b);
    if (rc == TX_ENOMEM)
        rc = tx_error_set(p->err, TX_ENOMEM, "out of memory");
    if (rc == TX_OK)
        rc = tx_store_refresh_load(p->ref, T_SNAPSHOTS, &b, 1, p->err);
    tx_buf_free(&b);
    return rc;
}

int tx_publish(const char *snapshot_path, const char *shards_path, tx_publish_result *res,
               tx_error *err)
{
    tx_publish_result local;
    res = res ? res : &local;
    memset(res, 0, sizeof *res);
    double t0 = now_s();
    if (shards_path == NULL || *shards_path == '\0')
        return tx_error_set(err, TX_EUSAGE, "publish: --shards FILE is required");
    tx_store_table tables[NT];
    define_tables(tables);
    pub p = {.res = res, .err = err};
    tx_store_db *db = NULL;
    int by_currency = 0;
    int rc = tx_snapread_open(snapshot_path, &p.snap, err);
    if (rc == TX_OK)
        rc = tx_snapread_string(p.snap, "/", "run_id", p.run_id, sizeof p.run_id, err);
    if (rc == TX_OK) {
        /* format_version 1 has no reporting_currency: its revenue is in USD */
        tx_error ignore = {0};
        if (tx_snapread_string(p.snap, "/", "reporting_currency", p.currency, sizeof p.currency,
                               &ignore) != TX_OK)
            snprintf(p.currency, sizeof p.currency, "USD");
        else
            by_currency = 1; /* format 2: /revenue/by_currency too */
        snprintf(res->run_id, sizeof res->run_id, "%s", p.run_id);
        rc = tx_store_db_open(shards_path, ANALYTICS_GROUP, ANALYTICS_FALLBACK, ANALYTICS_DB, &db,
                              err);
    }
    if (rc == TX_OK) {
        snprintf(res->group, sizeof res->group, "%s", tx_store_db_group(db));
        snprintf(res->database, sizeof res->database, "%s", tx_store_db_database(db));
        rc = tx_store_refresh_begin(db, tables, NT, &p.ref, err);
    }
    char prefix[64];
    snprintf(prefix, sizeof prefix, "reporting\t%s", p.currency);
    if (rc == TX_OK)
        rc = load_table(&p, T_CUSTOMERS, source[T_CUSTOMERS], NULL, NULL, &res->customers);
    if (rc == TX_OK)
        rc = load_table(&p, T_DAILY, source[T_DAILY], prefix, NULL, &res->daily);
    if (rc == TX_OK)
        rc = load_table(&p, T_MONTHLY, source[T_MONTHLY], prefix, NULL, &res->monthly);
    /* basis 'original': /revenue/by_currency/{daily,monthly}, in each row's own currency (a
     * format 1 snapshot has none) */
    uint64_t od = 0, om = 0;
    if (rc == TX_OK && by_currency)
        rc = load_table(&p, T_DAILY, &tx_snapshot_cur_daily_table, "original", source[T_DAILY],
                        &od);
    if (rc == TX_OK && by_currency)
        rc = load_table(&p, T_MONTHLY, &tx_snapshot_cur_monthly_table, "original",
                        source[T_MONTHLY], &om);
    res->original_daily = od;
    res->original_monthly = om;
    /* /cohorts: a snapshot of a txetl before it has none; the table is then swapped in empty
     * (never the previous snapshot's cohorts beside this one's other tables) */
    res->has_cohorts = rc == TX_OK && tx_snapread_has_table(p.snap, source[T_COHORTS]);
    if (rc == TX_OK && res->has_cohorts)
        rc = load_table(&p, T_COHORTS, source[T_COHORTS], NULL, NULL, &res->cohorts);
    else if (rc == TX_OK)
        snprintf(res->note, sizeof res->note, "%s has no /cohorts (written by a txetl before "
                 "that table existed): the cohorts table is left empty for run %s",
                 snapshot_path, p.run_id);
    if (rc == TX_OK)
        rc = load_params(&p);
    if (rc == TX_OK)
        rc = load_snapshot_row(&p, snapshot_path);
    double ts = now_s();
    if (rc == TX_OK)
        rc = tx_store_refresh_commit(p.ref, err);
    res->swap_s = now_s() - ts;
    tx_store_refresh_end(&p.ref);
    tx_store_db_close(&db);
    int crc = tx_snapread_close(&p.snap, err);
    if (rc == TX_OK)
        rc = crc;
    res->total_s = now_s() - t0;
    return rc;
}

int tx_publish_collective(MPI_Comm comm, const char *snapshot_path, const char *shards_path,
                          int quiet, tx_error *err)
{
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    int rc = TX_OK;
    if (rank == 0) {
        tx_publish_result r;
        rc = tx_publish(snapshot_path, shards_path, &r, err);
        if (rc == TX_OK && !quiet)
            TX_LOG(TX_LOG_INFO, "published %s to %s ([%s]): %llu customers, %llu daily, %llu "
                   "monthly, %llu cohort rows in %.2f s", r.run_id, r.database, r.group,
                   (unsigned long long)r.customers, (unsigned long long)r.daily,
                   (unsigned long long)r.monthly, (unsigned long long)r.cohorts, r.total_s);
        if (rc == TX_OK && !r.has_cohorts)
            TX_LOG(TX_LOG_INFO, "note: %s", r.note);
    }
    return tx_agree(comm, rc, err);
}
