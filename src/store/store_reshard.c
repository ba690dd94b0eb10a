/* store_reshard.c - the SQL of `txetl reshard` (store.h, docs/reshard.md): the journal
 * (reshard_state), what a shard holds, and the moves of rows, revenue_daily rows, directory
 * blocks and etl_runs rows from one shard to another, each in bounded chunks: LOAD DATA LOCAL
 * REPLACE from memory into the target (the same primary key is the same row, so a copy made
 * twice is made once), then a delete by primary key from the source. The switch to the new
 * shard map is one transaction per shard.
 *
 * Rows are copied with every column the table has (SELECT *, the column list taken from the
 * result), so columns a site added to TransactionsOptimized move with their rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "txetl/calendar.h"
#include "txetl/fmt.h"

/* The MariaDB back end only: the null one has no connection. */
static int need_conn(tx_store *s, tx_error *err)
{
    if (!s->conn)
        return tx_error_set(err, TX_EUSAGE, "shard %d: reshard needs a MariaDB/MySQL shard",
                            s->index);
    return TX_OK;
}

/* "transaction_date >= 'A' AND transaction_date < 'B'" (an unbounded side left out). */
static void date_range(char *out, size_t size, const char *col, int32_t lo, int32_t hi)
{
    char a[11], b[11];
    if (lo == INT32_MIN && hi == INT32_MAX)
        snprintf(out, size, "1 = 1");
    else if (lo == INT32_MIN)
        snprintf(out, size, "%s < '%s'", col, tx_format_date(hi, b));
    else if (hi == INT32_MAX)
        snprintf(out, size, "%s >= '%s'", col, tx_format_date(lo, a));
    else
        snprintf(out, size, "%s >= '%s' AND %s < '%s'", col, tx_format_date(lo, a), col,
                 tx_format_date(hi, b));
}


/* ---- the journal and what a shard holds ------------------------------------------------- */

static int journal_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)len, (void)err;
    tx_store_reshard_facts *f = ctx;
    if (n < 6)
        return TX_OK;
    tx_store_reshard_journal *j = &f->journal;
    f->has_journal = 1;
    snprintf(j->reshard_id, sizeof j->reshard_id, "%s", v[0] ? v[0] : "");
    snprintf(j->cluster_id, sizeof j->cluster_id, "%s", v[1] ? v[1] : "");
    j->from = v[2] ? atoi(v[2]) : 0;
    j->to = v[3] ? atoi(v[3]) : 0;
    snprintf(j->boundaries, sizeof j->boundaries, "%s", v[4] ? v[4] : "");
    snprintf(j->phase, sizeof j->phase, "%s", v[5] ? v[5] : "");
    return TX_OK;
}

static const char journal_select[] = "SELECT reshard_id, cluster_id, from_count, to_count, "
                                     "boundaries, phase FROM reshard_state";

int tx_mdb_reshard_inspect(tx_conn *c, tx_store_facts *f, tx_error *err)
{
    int has = 0;
    int rc = tx_conn_has_table(c, "reshard_state", &has, err);
    if (rc != TX_OK || !has)
        return rc;
    tx_store_reshard_facts rf;
    memset(&rf, 0, sizeof rf);
    const tx_conn_reader rd = {.row = journal_row, .ctx = &rf};
    rc = tx_conn_query_rows(c, journal_select, &rd, err);
    if (rc == TX_OK && rf.has_journal) {
        f->reshard_from = rf.journal.from;
        f->reshard_to = rf.journal.to;
    }
    return rc;
}

static int running_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len, (void)err;
    tx_store_reshard_facts *f = ctx;
    snprintf(f->running_run, sizeof f->running_run, "%s", v[0] ? v[0] : "?");
    return TX_OK;
}

int tx_store_reshard_probe(tx_store *s, tx_store_reshard_facts *f, tx_error *err)
{
    memset(f, 0, sizeof *f);
    int rc = need_conn(s, err);
    if (rc != TX_OK || !tx_conn_database_exists(s->conn))
        return rc;
    tx_conn *c = s->conn;
    static const struct {
        const char *table;
        size_t off;
    } counts[] = {
        {"TransactionsOptimized", offsetof(tx_store_reshard_facts, rows)},
        {"txn_directory", offsetof(tx_store_reshard_facts, blocks)},
        {"revenue_daily", offsetof(tx_store_reshard_facts, revenue_rows)},
        {"etl_runs", offsetof(tx_store_reshard_facts, runs)},
        {"shard_map", offsetof(tx_store_reshard_facts, map_rows)},
    };
    for (size_t i = 0; i < sizeof counts / sizeof *counts && rc == TX_OK; i++) {
        int has = 0;
        rc = tx_conn_has_table(c, counts[i].table, &has, err);
        if (rc == TX_OK && has) {
            char q[128];
            snprintf(q, sizeof q, "SELECT COUNT(*) FROM %s", counts[i].table);
            rc = tx_conn_query_u64(c, q, (uint64_t *)((char *)f + counts[i].off), NULL, err);
        }
    }
    int has = 0;
    if (rc == TX_OK)
        rc = tx_conn_has_table(c, "reshard_state", &has, err);
    if (rc == TX_OK && has) {
        const tx_conn_reader rd = {.row = journal_row, .ctx = f};
        rc = tx_conn_query_rows(c, journal_select, &rd, err);
    }
    if (rc == TX_OK && f->runs) {
        const tx_conn_reader rd = {.row = running_row, .ctx = f};
        rc = tx_conn_query_rows(c, "SELECT run_id FROM etl_runs WHERE status = 'running' "
                                   "LIMIT 1", &rd, err);
    }
    /* a failed run its journal holds as unfinished (staged rows keyed to this shard's dates) */
    if (rc == TX_OK && !f->running_run[0])
        rc = tx_mdb_journal_pending(s, f->running_run, sizeof f->running_run, err);
    if (rc == TX_OK)
        rc = tx_conn_has_table(c, "shard_state", &has, err);
    if (rc == TX_OK && has) {
        uint64_t v = 0;
        int null = 1;
        rc = tx_conn_query_u64(c, "SELECT value FROM shard_state WHERE name = 'revenue_dirty'",
                               &v, &null, err);
        f->revenue_dirty = !null && v != 0;
    }
    return rc;
}

static int hist_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len, (void)err;
    uint64_t *hist = ctx;
    if (!v[0] || !v[1])
        return TX_OK;
    long d = atol(v[0]);
    if (d >= 0 && d < TX_NDAYS)
        hist[d] += strtoull(v[1], NULL, 10);
    return TX_OK;
}

int tx_store_reshard_histogram(tx_store *s, uint64_t *hist, tx_error *err)
{
    int rc = need_conn(s, err);
    if (rc != TX_OK || !tx_conn_database_exists(s->conn))
        return rc;
    int has = 0;
    rc = tx_conn_has_table(s->conn, "revenue_daily", &has, err);
    if (rc != TX_OK || !has)
        return rc;
    const tx_conn_reader rd = {.row = hist_row, .ctx = hist};
    return tx_conn_query_rows(s->conn, "SELECT DATEDIFF(transaction_date, '1970-01-01'), "
                                       "SUM(transactions) FROM revenue_daily GROUP BY "
                                       "transaction_date", &rd, err);
}

int tx_store_reshard_journal_write(tx_store *s, const tx_store_reshard_journal *j, tx_error *err)
{
    int rc = need_conn(s, err);
    if (rc != TX_OK)
        return rc;
    size_t bl = strlen(j->boundaries);
    char *esc = malloc(2 * bl + 1);
    if (!esc)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    tx_conn_escape(s->conn, esc, j->boundaries, bl);
    rc = tx_conn_execf(s->conn, err, "INSERT IGNORE INTO reshard_state (one_row, reshard_id, "
                       "cluster_id, from_count, to_count, boundaries, phase, started_at) VALUES "
                       "(1, '%s', '%s', %d, %d, '%s', '%s', UTC_TIMESTAMP(6))", j->reshard_id,
                       j->cluster_id, j->from, j->to, esc, j->phase);
    free(esc);
    return rc;
}

int tx_store_reshard_phase(tx_store *s, const char *phase, tx_error *err)
{
    int rc = need_conn(s, err);
    return rc ? rc : tx_conn_execf(s->conn, err, "UPDATE reshard_state SET phase = '%s'", phase);
}

int tx_store_reshard_journal_drop(tx_store *s, tx_error *err)
{
    int rc = need_conn(s, err);
    return rc ? rc : tx_conn_exec(s->conn, "DELETE FROM reshard_state", err);
}

/* ---- rows as LOAD DATA text, whatever the columns --------------------------------------- */

typedef struct copy_ctx {
    tx_buf *text;
    uint64_t n;
    unsigned ncols;     /* columns copied: the first ncols of the result */
    char cols[4096];    /* "(a, b, ...)" */
    int overflow;
    tx_store_chunk *ch; /* rows: the key and months (the result's last column is the days) */
    int id_col, date_col;
} copy_ctx;

static int copy_head(void *ctx, unsigned n, char **names, tx_error *err)
{
    copy_ctx *cc = ctx;
    size_t l = 0;
    cc->id_col = cc->date_col = -1;
    cc->cols[l++] = '(';
    for (unsigned i = 0; i < cc->ncols && i < n; i++) {
        int w = snprintf(cc->cols + l, sizeof cc->cols - l, "%s`%s`", i ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= sizeof cc->cols - l)
            return tx_error_set(err, TX_ERR, "internal error: column list too long");
        l += (size_t)w;
        if (!strcmp(names[i], "transaction_id"))
            cc->id_col = (int)i;
        if (!strcmp(names[i], "transaction_date"))
            cc->date_col = (int)i;
    }
    snprintf(cc->cols + l, sizeof cc->cols - l, ")");
    return TX_OK;
}

static int copy_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    copy_ctx *cc = ctx;
    tx_buf *b = cc->text;
    for (unsigned i = 0; i < cc->ncols && i < n; i++) {
        if (tx_buf_reserve(b, 4) != TX_OK)
            return tx_error_set(err, TX_ENOMEM, "out of memory");
        if (i)
            b->p[b->len++] = '\t';
        if (!v[i]) {
            b->p[b->len++] = '\\';
            b->p[b->len++] = 'N';
        } else if (tx_tsv_text(b, v[i], len[i]) != TX_OK) {
            return tx_error_set(err, TX_ENOMEM, "out of memory");
        }
    }
    if (tx_buf_reserve(b, 1) != TX_OK)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    b->p[b->len++] = '\n';
    cc->n++;
    tx_store_chunk *ch = cc->ch;
    if (ch && cc->id_col >= 0 && n > cc->ncols && v[cc->id_col] && v[n - 1]) {
        uint64_t id = strtoull(v[cc->id_col], NULL, 10);
        int32_t days = (int32_t)atol(v[n - 1]);
        if (ch->n == 0) {
            ch->first_id = id;
            ch->first_date = days;
        }
        ch->last_id = id;
        ch->last_date = days;
        ch->n++;
        if (days >= 0 && days < TX_NDAYS)
            ch->months[tx_month_index(days)] = 1;
    }
    return TX_OK;
}

/* The dates of [lo, hi) inside partition p (p NULL: all of them), and " PARTITION (`p`)". */
static void part_range(const tx_store_part *p, int32_t *lo, int32_t *hi, char *clause,
                       size_t size)
{
    clause[0] = '\0';
    if (!p)
        return;
    if (p->lo > *lo)
        *lo = p->lo;
    if (p->hi < *hi)
        *hi = p->hi;
    snprintf(clause, size, " PARTITION (`%s`)", p->name);
}

/* ---- partitions ------------------------------------------------------------------------- */

typedef struct parts_ctx {
    tx_store_part *p;
    size_t n, cap;
    int32_t prev; /* the upper bound of the partition before: this one's lower bound */
} parts_ctx;

static int parts_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len;
    parts_ctx *pc = ctx;
    if (pc->n == pc->cap) {
        size_t nc = pc->cap ? 2 * pc->cap : 64;
        tx_store_part *np = realloc(pc->p, nc * sizeof *np);
        if (!np)
            return tx_error_set(err, TX_ENOMEM, "out of memory");
        pc->p = np;
        pc->cap = nc;
    }
    tx_store_part *p = &pc->p[pc->n++];
    snprintf(p->name, sizeof p->name, "%s", v[0] ? v[0] : "");
    p->lo = pc->prev;
    p->hi = INT32_MAX;
    int y, m, d;
    if (v[1] && sscanf(v[1], "'%d-%d-%d'", &y, &m, &d) == 3)
        p->hi = tx_days_from_civil(y, m, d);
    pc->prev = p->hi;
    p->whole = 0;
    return TX_OK;
}

int tx_store_reshard_parts(tx_store *s, int32_t lo, int32_t hi, tx_store_part **parts,
                           size_t *n, tx_error *err)
{
    *parts = NULL;
    *n = 0;
    int rc = need_conn(s, err);
    if (rc != TX_OK)
        return rc;
    parts_ctx pc = {.prev = INT32_MIN};
    const tx_conn_reader rd = {.row = parts_row, .ctx = &pc};
    rc = tx_conn_query_rows(s->conn, "SELECT PARTITION_NAME, PARTITION_DESCRIPTION FROM "
                                     "information_schema.PARTITIONS WHERE TABLE_SCHEMA = "
                                     "DATABASE() AND TABLE_NAME = 'TransactionsOptimized' AND "
                                     "PARTITION_NAME IS NOT NULL ORDER BY "
                                     "PARTITION_ORDINAL_POSITION", &rd, err);
    if (rc != TX_OK) {
        free(pc.p);
        return rc;
    }
    size_t k = 0;
    for (size_t i = 0; i < pc.n && rc == TX_OK; i++) {
        tx_store_part p = pc.p[i];
        if (p.lo >= hi || p.hi <= lo)
            continue;
        /* whole: a month partition p<YYYYMM> holding exactly its month, inside [lo, hi) */
        int ym = 0;
        char tail = 0;
        p.whole = 0;
        if (sscanf(p.name, "p%6d%c", &ym, &tail) == 1 && ym % 100 >= 1 && ym % 100 <= 12) {
            int y = ym / 100, mo = ym % 100;
            int32_t ms = tx_days_from_civil(y, mo, 1);
            int32_t me = mo == 12 ? tx_days_from_civil(y + 1, 1, 1)
                                  : tx_days_from_civil(y, mo + 1, 1);
            p.whole = p.lo == ms && p.hi == me && ms >= lo && me <= hi;
        }
        int32_t a = lo, b = hi;
        char part[96], range[128], q[400];
        part_range(&p, &a, &b, part, sizeof part);
        date_range(range, sizeof range, "transaction_date", a, b);
        snprintf(q, sizeof q, "SELECT EXISTS (SELECT 1 FROM TransactionsOptimized%s WHERE %s)",
                 part, range);
        uint64_t any = 1;
        rc = tx_conn_query_u64(s->conn, q, &any, NULL, err);
        p.rows = any != 0;
        pc.p[k++] = p;
    }
    if (rc != TX_OK) {
        free(pc.p);
        return rc;
    }
    *parts = pc.p;
    *n = k;
    return TX_OK;
}

int tx_store_reshard_rows_months(tx_store *s, const tx_store_part *parts, size_t n,
                                 tx_error *err)
{
    int rc = need_conn(s, err);
    if (rc != TX_OK || n == 0)
        return rc;
    int *months = malloc(n * sizeof *months);
    if (!months)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    size_t nm = 0;
    for (size_t i = 0; i < n; i++)
        if (parts[i].rows && parts[i].name[0] == 'p' && parts[i].lo >= 0 &&
            parts[i].lo < TX_NDAYS)
            months[nm++] = tx_month_yyyymm(tx_month_index(parts[i].lo));
    rc = tx_mdb_ensure_partitions(s->conn, months, nm, err);
    free(months);
    return rc;
}

int tx_store_reshard_rows_truncate(tx_store *s, const tx_store_part *p, tx_error *err)
{
    int rc = need_conn(s, err);
    return rc ? rc : tx_conn_execf(s->conn, err, "ALTER TABLE TransactionsOptimized TRUNCATE "
                                   "PARTITION `%s`", p->name);
}

int tx_store_reshard_rows_read(tx_store *s, const tx_store_part *p, int32_t lo, int32_t hi,
                               int after, uint64_t after_id, int32_t after_date, size_t limit,
                               tx_store_chunk *ch, tx_error *err)
{
    int rc = need_conn(s, err);
    if (rc != TX_OK)
        return rc;
    ch->text.len = 0;
    ch->n = 0;
    memset(ch->months, 0, sizeof ch->months);
    uint64_t ncols = 0;
    rc = tx_conn_query_u64(s->conn, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
                                    "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                                    "'TransactionsOptimized'", &ncols, NULL, err);
    if (rc != TX_OK)
        return rc;
    char range[128], key[200] = "1 = 1", d[11], part[96];
    part_range(p, &lo, &hi, part, sizeof part);
    date_range(range, sizeof range, "transaction_date", lo, hi);
    if (after)
        snprintf(key, sizeof key, "(transaction_id > %llu OR (transaction_id = %llu AND "
                 "transaction_date > '%s'))", (unsigned long long)after_id,
                 (unsigned long long)after_id, tx_format_date(after_date, d));
    char q[800];
    snprintf(q, sizeof q, "SELECT *, DATEDIFF(transaction_date, '1970-01-01') FROM "
             "TransactionsOptimized%s WHERE %s AND %s ORDER BY transaction_id, transaction_date "
             "LIMIT %zu", part, range, key, limit);
    copy_ctx cc = {.text = &ch->text, .ncols = (unsigned)ncols, .ch = ch};
    const tx_conn_reader rd = {.head = copy_head, .row = copy_row, .ctx = &cc};
    rc = tx_conn_query_rows(s->conn, q, &rd, err);
    if (rc == TX_OK && ch->n && (cc.id_col < 0 || cc.date_col < 0))
        rc = tx_error_set(err, TX_ERR, "shard %d: TransactionsOptimized has no "
                          "transaction_id/transaction_date", s->index);
    if (rc == TX_OK)
        snprintf(ch->cols, sizeof ch->cols, "%s", cc.cols);
    return rc;
}

int tx_store_reshard_rows_none(tx_store *s, const tx_store_part *p, int32_t lo, int32_t hi,
                               int *none, tx_error *err)
{
    *none = 0;
    int rc = need_conn(s, err);
    if (rc != TX_OK)
        return rc;
    char range[128], part[96], q[400];
    part_range(p, &lo, &hi, part, sizeof part); /* the dates only: t may lack the partition */
    date_range(range, sizeof range, "transaction_date", lo, hi);
    snprintf(q, sizeof q, "SELECT EXISTS (SELECT 1 FROM TransactionsOptimized WHERE %s)", range);
    uint64_t any = 1;
    rc = tx_conn_query_u64(s->conn, q, &any, NULL, err);
    *none = rc == TX_OK && any == 0;
    return rc;
}

int tx_store_reshard_rows_put(tx_store *s, const tx_store_chunk *ch, int fresh, tx_error *err)
{
    int rc = need_conn(s, err);
    if (rc != TX_OK || ch->n == 0)
        return rc;
    int months[TX_NMONTHS];
    size_t nm = 0;
    for (int i = 0; i < TX_NMONTHS; i++)
        if (ch->months[i])
            months[nm++] = tx_month_yyyymm(i);
    rc = tx_mdb_ensure_partitions(s->conn, months, nm, err);
    if (rc == TX_OK && fresh)
        rc = tx_conn_exec(s->conn, "SET SESSION unique_checks = 0, foreign_key_checks = 0", err);
    if (rc == TX_OK)
        rc = tx_conn_load(s->conn, "TransactionsOptimized", !fresh, ch->cols, ch->text.p,
                          ch->text.len, ch->n, err);
    if (fresh) {
        tx_error e2 = {0};
        int rc2 = tx_conn_exec(s->conn, "SET SESSION unique_checks = 1, foreign_key_checks = 1",
                               rc == TX_OK ? err : &e2);
        if (rc == TX_OK)
            rc = rc2;
    }
    return rc;
}

int tx_store_reshard_rows_drop(tx_store *s, const tx_store_part *p, int32_t lo, int32_t hi,
                               const tx_store_chunk *ch, tx_error *err)
{
    int rc = need_conn(s, err);
    if (rc != TX_OK || ch->n == 0)
        return rc;
    char range[128], a[11], b[11], part[96];
    part_range(p, &lo, &hi, part, sizeof part);
    date_range(range, sizeof range, "transaction_date", lo, hi);
    return tx_conn_execf(s->conn, err, "DELETE FROM TransactionsOptimized%s WHERE %s AND "
                         "transaction_id BETWEEN %llu AND %llu AND NOT (transaction_id = %llu "
                         "AND transaction_date < '%s') AND NOT (transaction_id = %llu AND "
                         "transaction_date > '%s')", part, range,
                         (unsigned long long)ch->first_id, (unsigned long long)ch->last_id,
                         (unsigned long long)ch->first_id, tx_format_date(ch->first_date, a),
                         (unsigned long long)ch->last_id, tx_format_date(ch->last_date, b));
}

/* ---- revenue_daily ---------------------------------------------------------------------- */

static const char revenue_cols[] = "(transaction_date, currency, revenue, transactions, "
                                   "customers)";

int tx_store_reshard_revenue_read(tx_store *s, int32_t lo, int32_t hi, tx_buf *text,
                                  uint64_t *n, tx_error *err)
{
    int rc = need_conn(s, err);
    if (rc != TX_OK)
        return rc;
    char range[128], q[400];
    date_range(range, sizeof range, "transaction_date", lo, hi);
    snprintf(q, sizeof q, "SELECT transaction_date, currency, revenue, transactions, customers "
             "FROM revenue_daily WHERE %s ORDER BY transaction_date, currency", range);
    copy_ctx cc = {.text = text, .ncols = 5};
    const tx_conn_reader rd = {.head = copy_head, .row = copy_row, .ctx = &cc};
    rc = tx_conn_query_rows(s->conn, q, &rd, err);
    *n = cc.n;
    return rc;
}

int tx_store_reshard_revenue_put(tx_store *s, const tx_buf *text, uint64_t n, tx_error *err)
{
    int rc = need_conn(s, err);
    if (rc != TX_OK || n == 0)
        return rc;
    return tx_conn_load(s->conn, "revenue_daily", 1, revenue_cols, text->p, text->len, n, err);
}

int tx_store_reshard_revenue_drop(tx_store *s, int32_t lo, int32_t hi, tx_error *err)
{
    int rc = need_conn(s, err);
    if (rc != TX_OK)
        return rc;
    char range[128];
    date_range(range, sizeof range, "transaction_date", lo, hi);
    return tx_conn_execf(s->conn, err, "DELETE FROM revenue_daily WHERE %s", range);
}

/* ---- the directory ---------------------------------------------------------------------- */

typedef struct dir_ctx {
    tx_store_dirblock_fn fn;
    void *ctx;
    uint64_t last;
    size_t n;
} dir_ctx;

static int dir_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n;
    dir_ctx *dc = ctx;
    dc->last = strtoull(v[0], NULL, 10);
    dc->n++;
    return dc->fn(dc->ctx, dc->last, (unsigned)atoi(v[1]), (unsigned)atoi(v[2]), v[3] ? v[3] : "",
                  v[3] ? len[3] : 0, err);
}

int tx_store_reshard_dir_read(tx_store *s, int after_any, uint64_t after, size_t limit,
                              tx_store_dirblock_fn fn, void *ctx, uint64_t *last, size_t *n,
                              tx_error *err)
{
    *n = 0;
    int rc = need_conn(s, err);
    if (rc != TX_OK)
        return rc;
    char q[256];
    if (after_any)
        snprintf(q, sizeof q, "SELECT block, entries, tombstones, data FROM txn_directory WHERE "
                 "block > %llu ORDER BY block LIMIT %zu", (unsigned long long)after, limit);
    else
        snprintf(q, sizeof q, "SELECT block, entries, tombstones, data FROM txn_directory "
                 "ORDER BY block LIMIT %zu", limit);
    dir_ctx dc = {fn, ctx, 0, 0};
    const tx_conn_reader rd = {.row = dir_row, .ctx = &dc};
    rc = tx_conn_query_rows(s->conn, q, &rd, err);
    *last = dc.last;
    *n = dc.n;
    return rc;
}

int tx_store_reshard_dir_put(tx_store *s, const tx_buf *text, uint64_t n, tx_error *err)
{
    int rc = need_conn(s, err);
    if (rc != TX_OK || n == 0)
        return rc;
    return tx_conn_load(s->conn, "txn_directory", 1, "(block, entries, tombstones, data)",
                        text->p, text->len, n, err);
}

int tx_store_reshard_dir_drop(tx_store *s, const uint64_t *blocks, size_t n, tx_error *err)
{
    int rc = need_conn(s, err);
    if (rc != TX_OK || n == 0)
        return rc;
    tx_buf q = {0};
    rc = tx_mdb_block_list(&q, "DELETE FROM txn_directory WHERE block IN (", blocks, n, err);
    if (rc == TX_OK)
        rc = tx_conn_exec(s->conn, q.p, err);
    tx_buf_free(&q);
    return rc;
}

/* ---- etl_runs and the switch ------------------------------------------------------------ */

int tx_store_reshard_runs_copy(tx_store *from, tx_store *to, tx_error *err)
{
    int rc = need_conn(from, err);
    if (rc == TX_OK)
        rc = need_conn(to, err);
    uint64_t ncols = 0;
    if (rc == TX_OK)
        rc = tx_conn_query_u64(from->conn, "SELECT COUNT(*) FROM information_schema.COLUMNS "
                                           "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                                           "'etl_runs'", &ncols, NULL, err);
    if (rc != TX_OK)
        return rc;
    tx_buf text = {0};
    copy_ctx cc = {.text = &text, .ncols = (unsigned)ncols};
    const tx_conn_reader rd = {.head = copy_head, .row = copy_row, .ctx = &cc};
    rc = tx_conn_query_rows(from->conn, "SELECT * FROM etl_runs", &rd, err);
    if (rc == TX_OK && cc.n)
        rc = tx_conn_load(to->conn, "etl_runs", 1, cc.cols, text.p, text.len, cc.n, err);
    tx_buf_free(&text);
    return rc;
}

int tx_store_reshard_switch(tx_store *s, const char *cluster_id, int count,
                            const int32_t *bound, const char *reshard_id, tx_error *err)
{
    int rc = need_conn(s, err);
    if (rc == TX_OK)
        rc = tx_conn_begin(s->conn, err);
    if (rc == TX_OK)
        rc = tx_mdb_map_write(s, count, bound, reshard_id, err);
    if (rc == TX_OK)
        rc = tx_conn_execf(s->conn, err, "INSERT INTO cluster_identity (one_row, cluster_id, "
                           "shard_index, shard_count, created_run, created_at) VALUES (1, '%s', "
                           "%d, %d, '%s', UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE shard_count "
                           "= %d", cluster_id, s->index, count, reshard_id, count);
    if (rc == TX_OK)
        rc = tx_conn_exec(s->conn, "UPDATE reshard_state SET phase = 'switched'", err);
    if (rc == TX_OK)
        rc = tx_conn_commit(s->conn, err);
    if (rc != TX_OK && s->conn) {
        tx_error ignore = {0};
        tx_conn_rollback(s->conn, &ignore);
    }
    return rc;
}
