/* store_apply.c - the MariaDB back end's verbs of a run's writes: partitions and loaders at the
 * start, directory look-ups, rows, removals, directory and audit rows on the loader threads,
 * the backfill's or incremental run's finish (everything staged), the apply transaction.
 *
 * The intent journal (store_journal.c) makes a failed run complete or never started: during
 * the run everything a shard will apply is staged (stage_apply, stage_remove, stage_dir,
 * stage_audit; a backfill's rows straight into its empty table) and committed, the shard marks
 * the run 'staged', and only once every shard has done so does each shard apply its part in
 * one transaction that also marks it 'applied' (tx_mdb_apply_run). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "txetl/alloc.h"
#include "txetl/fmt.h"
#include "txetl/record.h"

/* ---- jobs on the loader threads --------------------------------------------------------- */

static int exec_job(tx_conn *c, void *ctx, tx_error *err)
{
    int rc = c ? tx_conn_exec(c, ctx, err) : TX_OK;
    free(ctx);
    return rc;
}

static int submit_sql(tx_loader *l, const char *sql, tx_error *err)
{
    char *copy = strdup(sql);
    if (!copy)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    return tx_loader_submit(l, exec_job, copy, err);
}

/* A LOAD DATA job: the text it owns. */
typedef struct load_job {
    const char *table, *cols;
    int replace;
    tx_buf text;
    uint64_t lines;
} load_job;

static int load_job_run(tx_conn *c, void *ctx, tx_error *err)
{
    load_job *lj = ctx;
    int rc = c ? tx_conn_load(c, lj->table, lj->replace, lj->cols, lj->text.p, lj->text.len,
                              lj->lines, err)
               : TX_OK;
    tx_buf_free(&lj->text);
    free(lj);
    return rc;
}

/* Moves *text (`lines` lines) into a new job for loader l. */
static int submit_load(tx_loader *l, const char *table, int replace, const char *cols,
                       tx_buf *text, uint64_t lines, tx_error *err)
{
    load_job *lj = calloc(1, sizeof *lj);
    if (!lj) {
        tx_buf_free(text);
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    }
    lj->table = table;
    lj->replace = replace;
    lj->cols = cols;
    lj->text = *text;
    lj->lines = lines;
    memset(text, 0, sizeof *text);
    return tx_loader_submit(l, load_job_run, lj, err);
}

/* ---- partitions ------------------------------------------------------------------------- */

/* TransactionsOptimized's partitions in order: name and upper bound (INT32_MAX: MAXVALUE). */
typedef struct part {
    char name[65];
    int32_t hi;
} part;

typedef struct parts {
    part *p;
    size_t n, cap;
} parts;

static int part_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len;
    parts *ps = ctx;
    if (tx_grow(&ps->p, &ps->cap, ps->n, sizeof *ps->p, 64) != 0)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    part *p = &ps->p[ps->n++];
    snprintf(p->name, sizeof p->name, "%s", v[0] ? v[0] : "");
    p->hi = INT32_MAX;
    int y, m, d;
    if (v[1] && sscanf(v[1], "'%d-%d-%d'", &y, &m, &d) == 3)
        p->hi = tx_days_from_civil(y, m, d);
    return TX_OK;
}

static void month_bounds(int ym, int32_t *start, int32_t *end)
{
    int y = ym / 100, m = ym % 100;
    *start = tx_days_from_civil(y, m, 1);
    *end = m == 12 ? tx_days_from_civil(y + 1, 1, 1) : tx_days_from_civil(y, m + 1, 1);
}

static int append(char **sql, size_t *len, size_t *cap, const char *text)
{
    size_t n = strlen(text);
    if (*len + n + 1 > *cap) {
        size_t nc = (*cap ? *cap * 2 : 4096) + n;
        char *p = realloc(*sql, nc);
        if (!p)
            return TX_ENOMEM;
        *sql = p;
        *cap = nc;
    }
    memcpy(*sql + *len, text, n + 1);
    *len += n;
    return TX_OK;
}

static void piece(char *out, size_t size, int32_t lo, int32_t hi, int month)
{
    char bound[16], name[16];
    if (hi == INT32_MAX)
        snprintf(bound, sizeof bound, "MAXVALUE");
    else {
        char d[11];
        snprintf(bound, sizeof bound, "'%s'", tx_format_date(hi, d));
    }
    if (month) {
        int y, m, dd;
        tx_civil_from_days(lo, &y, &m, &dd);
        snprintf(name, sizeof name, "p%04d%02d", y, m);
    } else if (lo == INT32_MIN) {
        snprintf(name, sizeof name, "gmin");
    } else {
        int y, m, dd;
        tx_civil_from_days(lo, &y, &m, &dd);
        snprintf(name, sizeof name, "g%04d%02d%02d", y, m, dd);
    }
    snprintf(out, size, "PARTITION %s VALUES LESS THAN (%s)", name, bound);
}

/* Gives every month of `months` (YYYYMM, sorted) its own partition: each gap partition (g*,
 * empty) that covers needed months is split into month partitions and the gaps between them,
 * one REORGANIZE per gap partition, the partitions read again after each. */
int tx_mdb_ensure_partitions(tx_conn *c, const int *months, size_t nm, tx_error *err)
{
    parts ps = {0};
    char *sql = NULL;
    size_t len = 0, cap = 0;
    int rc = TX_OK;
    while (nm > 0 && rc == TX_OK) {
        ps.n = 0;
        const tx_conn_reader rd = {.row = part_row, .ctx = &ps};
        rc = tx_conn_query_rows(c, "SELECT PARTITION_NAME, PARTITION_DESCRIPTION FROM "
                                   "information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() "
                                   "AND TABLE_NAME = 'TransactionsOptimized' ORDER BY "
                                   "PARTITION_ORDINAL_POSITION", &rd, err);
        int32_t lo = INT32_MIN;
        size_t mi = 0;
        int split = 0;
        for (size_t pi = 0; rc == TX_OK && pi < ps.n && !split; pi++) {
            const char *name = ps.p[pi].name;
            int32_t hi = ps.p[pi].hi;
            /* months below this partition's upper bound are inside it */
            size_t first = mi;
            while (mi < nm) {
                int32_t ms, me;
                month_bounds(months[mi], &ms, &me);
                if (ms >= hi)
                    break;
                mi++;
            }
            if (name[0] == 'g' && mi > first) {
                len = 0;
                char buf[160];
                snprintf(buf, sizeof buf, "ALTER TABLE TransactionsOptimized REORGANIZE "
                         "PARTITION %s INTO (", name);
                rc = append(&sql, &len, &cap, buf);
                int32_t cursor = lo;
                for (size_t k = first; k < mi && rc == TX_OK; k++) {
                    int32_t ms, me;
                    month_bounds(months[k], &ms, &me);
                    if (cursor < ms) {
                        piece(buf, sizeof buf, cursor, ms, 0);
                        rc = append(&sql, &len, &cap, buf);
                        rc = rc ? rc : append(&sql, &len, &cap, ", ");
                    }
                    piece(buf, sizeof buf, ms, me, 1);
                    rc = rc ? rc : append(&sql, &len, &cap, buf);
                    cursor = me;
                    if (k + 1 < mi || cursor < hi)
                        rc = rc ? rc : append(&sql, &len, &cap, ", ");
                }
                if (cursor < hi) {
                    piece(buf, sizeof buf, cursor, hi, 0);
                    rc = rc ? rc : append(&sql, &len, &cap, buf);
                }
                rc = rc ? rc : append(&sql, &len, &cap, ")");
                if (rc == TX_ENOMEM)
                    rc = tx_error_set(err, TX_ENOMEM, "out of memory");
                else if (rc == TX_OK)
                    rc = tx_conn_exec(c, sql, err);
                split = 1;
            }
            lo = hi;
        }
        /* needed months in later partitions: look again for the rest */
        if (!split)
            break;
        months += mi;
        nm -= mi;
    }
    free(ps.p);
    free(sql);
    return rc;
}

int tx_mdb_begin(tx_store *s, const int *months, size_t nmonths, tx_error *err)
{
    int rc = tx_mdb_ensure_partitions(s->conn, months, nmonths, err);
    static const char *const stages[] = {"stage_remove", "stage_apply", "stage_pairs",
                                         "stage_revenue", "stage_dir", "stage_audit"};
    for (size_t i = 0; i < sizeof stages / sizeof *stages && rc == TX_OK; i++)
        rc = tx_conn_execf(s->conn, err, "TRUNCATE TABLE %s", stages[i]);
    /* A backfill stores rows straight into the table and recomputes revenue_daily at the
     * end: mark it, so a run after a failure recomputes it too. */
    if (rc == TX_OK && s->fast)
        rc = tx_conn_exec(s->conn, "REPLACE INTO shard_state VALUES ('revenue_dirty', 1)", err);
    if (rc == TX_OK && s->fast)
        rc = tx_conn_exec(s->conn, "ALTER TABLE TransactionsOptimized DROP INDEX "
                                   "idx_customer_date", err);
    for (int k = 0; k < TX_STORE_ROW_LOADERS && rc == TX_OK; k++)
        rc = tx_loader_start(s->path, s->index, TX_LOADER_DEPTH, &s->rows[k], err);
    if (rc == TX_OK)
        rc = tx_loader_start(s->path, s->index, TX_LOADER_DEPTH, &s->dir, err);
    return rc;
}

/* ---- directory look-ups ----------------------------------------------------------------- */

static int block_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n;
    const tx_relay *b = ctx;
    return b->fn.block(b->ctx, strtoull(v[0], NULL, 10), v[1], len[1], err);
}

int tx_mdb_block_list(tx_buf *q, const char *head, const uint64_t *blocks, size_t n,
                      tx_error *err)
{
    size_t hl = strlen(head);
    q->len = 0;
    if (tx_buf_reserve(q, hl + 21 * n + 2) != TX_OK)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    memcpy(q->p, head, hl);
    q->len = hl;
    for (size_t i = 0; i < n; i++) {
        if (i)
            q->p[q->len++] = ',';
        q->len += (size_t)tx_fmt_u64(q->p + q->len, blocks[i]);
    }
    q->p[q->len++] = ')';
    q->p[q->len] = '\0';
    return TX_OK;
}

int tx_mdb_dir_lookup(tx_store *s, const uint64_t *blocks, size_t n, tx_store_block_fn fn,
                      void *ctx, tx_error *err)
{
    tx_buf q = {0};
    if (tx_mdb_block_list(&q, "SELECT block, data FROM txn_directory WHERE block IN (", blocks,
                          n, err) != TX_OK)
        return err->status;
    tx_relay b = {.fn.block = fn, .ctx = ctx};
    const tx_conn_reader rd = {.row = block_row, .ctx = &b};
    int rc = tx_conn_query_rows(s->conn, q.p, &rd, err);
    tx_buf_free(&q);
    return rc;
}

/* ---- rows, removals, directory and audit rows ------------------------------------------- */

/* audit_log's columns as stage_audit holds them (applied_at is set when they are applied). */
#define AUDIT_COLS                                                                                 \
    "run_id, transaction_id, action, old_date, new_date, old_amount, new_amount, old_category, "   \
    "new_category, old_payment_method, new_payment_method, old_currency, new_currency, "           \
    "old_last_updated, new_last_updated"

int tx_mdb_rows_load(tx_store *s, int loader, tx_buf *rows, uint64_t n, tx_error *err)
{
    if (n == 0) {
        tx_buf_free(rows);
        return TX_OK;
    }
    return submit_load(s->rows[loader], s->fast ? "TransactionsOptimized" : "stage_apply", 1,
                       "(transaction_id, customer_id, transaction_date, transaction_amount, "
                       "transaction_category, payment_method, currency, last_updated)",
                       rows, n, err);
}

int tx_mdb_rows_remove(tx_store *s, tx_buf *keys, uint64_t n, tx_error *err)
{
    if (n == 0) {
        tx_buf_free(keys);
        return TX_OK;
    }
    return submit_load(s->rows[0], "stage_remove", 1, "(transaction_id, transaction_date)", keys,
                       n, err);
}

int tx_mdb_dir_load(tx_store *s, tx_buf *blocks, uint64_t n, tx_error *err)
{
    if (n == 0) {
        tx_buf_free(blocks);
        return TX_OK;
    }
    return submit_load(s->dir, "stage_dir", 1, "(block, entries, tombstones, data)", blocks, n,
                       err);
}

int tx_mdb_audit_load(tx_store *s, tx_buf *rows, uint64_t n, tx_error *err)
{
    if (n == 0) {
        tx_buf_free(rows);
        return TX_OK;
    }
    return submit_load(s->dir, "stage_audit", 0, "(" AUDIT_COLS ")", rows, n, err);
}

/* ---- finish and commit ------------------------------------------------------------------ */

/* The statements of an incremental run's apply, in one transaction per shard: the rows staged
 * in stage_apply and the removals in stage_remove replace the stored copies, and revenue_daily
 * changes by what the affected keys held before and hold after. Measuring before and after on
 * the table itself makes a rerun (whose rows are already in place) change nothing. */
#define JOIN_APPLY                                                                                 \
    " JOIN stage_apply a ON t.transaction_id = a.transaction_id AND t.transaction_date = "         \
    "a.transaction_date"
#define JOIN_REMOVE                                                                                \
    " JOIN stage_remove r ON t.transaction_id = r.transaction_id AND t.transaction_date = "        \
    "r.transaction_date"
#define PAIR_EXISTS                                                                                \
    "EXISTS (SELECT 1 FROM TransactionsOptimized t WHERE t.customer_id = p.customer_id AND "       \
    "t.transaction_date = p.transaction_date AND t.currency = p.currency)"
static const char *const incremental_apply[] = {
    /* (date, currency, customer) triples whose count may change; what is known without
     * probing is set here: a triple of a stored copy had rows before, a triple of a staged row
     * has rows after. Everything is per (date, currency): a transaction whose currency changes
     * leaves its old currency's figures and joins its new one's. */
    "INSERT IGNORE INTO stage_pairs (transaction_date, currency, customer_id, had_before) "
    "SELECT t.transaction_date, t.currency, t.customer_id, 1 FROM TransactionsOptimized t"
    JOIN_APPLY,
    "INSERT IGNORE INTO stage_pairs (transaction_date, currency, customer_id, had_before) "
    "SELECT t.transaction_date, t.currency, t.customer_id, 1 FROM TransactionsOptimized t"
    JOIN_REMOVE,
    "INSERT INTO stage_pairs (transaction_date, currency, customer_id, has_after) SELECT "
    "transaction_date, currency, customer_id, 1 FROM stage_apply ON DUPLICATE KEY UPDATE "
    "has_after = 1",
    "UPDATE stage_pairs p SET had_before = " PAIR_EXISTS " WHERE had_before = 0",
    "INSERT INTO stage_revenue SELECT t.transaction_date, t.currency, -SUM(t.transaction_amount), "
    "-COUNT(*) FROM TransactionsOptimized t" JOIN_APPLY " GROUP BY t.transaction_date, t.currency",
    "INSERT INTO stage_revenue SELECT t.transaction_date, t.currency, -SUM(t.transaction_amount), "
    "-COUNT(*) FROM TransactionsOptimized t" JOIN_REMOVE
    " GROUP BY t.transaction_date, t.currency",
    "DELETE t FROM TransactionsOptimized t" JOIN_REMOVE,
    "DELETE t FROM TransactionsOptimized t" JOIN_APPLY,
    "INSERT INTO TransactionsOptimized (transaction_id, customer_id, transaction_date, "
    "transaction_amount, transaction_category, payment_method, currency, last_updated) SELECT "
    "transaction_id, customer_id, transaction_date, transaction_amount, transaction_category, "
    "payment_method, currency, last_updated FROM stage_apply ORDER BY transaction_id, "
    "transaction_date",
    "INSERT INTO stage_revenue SELECT transaction_date, currency, SUM(transaction_amount), "
    "COUNT(*) FROM stage_apply GROUP BY transaction_date, currency",
    "UPDATE stage_pairs p SET has_after = " PAIR_EXISTS " WHERE has_after = 0",
    "INSERT IGNORE INTO revenue_daily (transaction_date, currency, revenue, transactions, "
    "customers) SELECT DISTINCT transaction_date, currency, 0, 0, 0 FROM stage_revenue",
    "UPDATE revenue_daily rd JOIN (SELECT transaction_date, currency, SUM(revenue) AS rev, "
    "SUM(transactions) AS n FROM stage_revenue GROUP BY transaction_date, currency) d ON "
    "d.transaction_date = rd.transaction_date AND d.currency = rd.currency SET rd.revenue = "
    "rd.revenue + d.rev, rd.transactions = CAST(CAST(rd.transactions AS SIGNED) + d.n AS "
    "UNSIGNED)",
    "UPDATE revenue_daily rd JOIN (SELECT transaction_date, currency, SUM(has_after) - "
    "SUM(had_before) AS c FROM stage_pairs GROUP BY transaction_date, currency) d ON "
    "d.transaction_date = rd.transaction_date AND d.currency = rd.currency SET rd.customers = "
    "CAST(CAST(rd.customers AS SIGNED) + d.c AS UNSIGNED)",
    "DELETE FROM revenue_daily WHERE transactions = 0",
};

/* Whether TransactionsOptimized has its secondary index (a backfill drops it at begin). */
static int has_customer_index(tx_conn *c, int *has, tx_error *err)
{
    uint64_t n = 0;
    int null;
    int rc = tx_conn_query_u64(c, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE "
                                  "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                                  "'TransactionsOptimized' AND INDEX_NAME = 'idx_customer_date'",
                               &n, &null, err);
    *has = n > 0;
    return rc;
}

/* A backfill's rows are in: removals, then the secondary index and revenue_daily from scratch
 * side by side on two connections (an online ADD INDEX lets the scan read the table meanwhile;
 * submitted first, the ALTER normally takes its brief exclusive lock before the scan starts,
 * and when it does not, it waits for the scan and the two merely run one after the other).
 * Every step is idempotent: a later command completing the run repeats what is left. */
static int backfill_derived(tx_store *s, tx_error *err)
{
    int has = 0;
    int rc = tx_conn_exec(s->conn, "DELETE t FROM TransactionsOptimized t" JOIN_REMOVE, err);
    if (rc == TX_OK)
        rc = has_customer_index(s->conn, &has, err);
    if (rc == TX_OK && !has)
        rc = submit_sql(s->rows[0], "ALTER TABLE TransactionsOptimized ADD INDEX "
                        "idx_customer_date (customer_id, transaction_date)", err);
    if (rc == TX_OK) {
        tx_error werr = {0};
        rc = tx_mdb_revenue_rebuild(s->conn, err);
        int wrc = tx_loader_wait(s->rows[0], &werr);
        if (rc == TX_OK && wrc != TX_OK)
            rc = tx_error_set(err, wrc, "%s", werr.msg);
    }
    return rc;
}

int tx_mdb_finish(tx_store *s, tx_error *err)
{
    int rc = TX_OK;
    for (int k = 0; k < TX_STORE_ROW_LOADERS && rc == TX_OK; k++)
        rc = tx_loader_wait(s->rows[k], err);
    if (rc == TX_OK)
        rc = tx_loader_wait(s->dir, err);
    return rc;
}

int tx_mdb_apply_run(tx_store *s, const char *run_id, int backfill, int recovering,
                     tx_error *err)
{
    tx_conn *c = s->conn;
    int rc = TX_OK;
    if (backfill) {
        if (recovering) { /* no loader threads: the index in place, then revenue_daily */
            rc = tx_conn_exec(c, "DELETE t FROM TransactionsOptimized t" JOIN_REMOVE, err);
            if (rc == TX_OK)
                rc = tx_mdb_repair_indexes(s, err);
            if (rc == TX_OK)
                rc = tx_mdb_revenue_rebuild(c, err);
        } else {
            rc = backfill_derived(s, err);
        }
    }
    char rid[160];
    tx_conn_escape(c, rid, run_id, strnlen(run_id, 64));
    if (rc == TX_OK)
        rc = tx_conn_begin(c, err);
    for (size_t i = 0; !backfill && rc == TX_OK &&
                       i < sizeof incremental_apply / sizeof *incremental_apply; i++)
        rc = tx_conn_exec(c, incremental_apply[i], err);
    if (rc == TX_OK && !backfill && s->revenue_dirty) /* an earlier backfill died before it */
        rc = tx_mdb_revenue_rebuild(c, err);
    if (rc == TX_OK)
        rc = tx_conn_exec(c, "DELETE FROM shard_state WHERE name = 'revenue_dirty'", err);
    if (rc == TX_OK)
        rc = tx_conn_exec(c, "REPLACE INTO txn_directory (block, entries, tombstones, data) "
                             "SELECT block, entries, tombstones, data FROM stage_dir", err);
    if (rc == TX_OK)
        rc = tx_conn_exec(c, "INSERT INTO audit_log (" AUDIT_COLS ", applied_at) SELECT "
                             AUDIT_COLS ", UTC_TIMESTAMP(6) FROM stage_audit ORDER BY seq", err);
    if (rc == TX_OK)
        rc = tx_conn_execf(c, err, "UPDATE run_journal SET state = 'applied', changed_at = "
                           "UTC_TIMESTAMP(6) WHERE run_id = '%s'", rid);
    if (rc == TX_OK)
        rc = tx_conn_commit(c, err);
    if (rc != TX_OK) {
        tx_error ignore = {0};
        tx_conn_rollback(c, &ignore);
    }
    if (rc == TX_OK)
        s->revenue_dirty = 0;
    return rc;
}

int tx_mdb_dir_commit(tx_store *s, tx_error *err)
{
    return tx_loader_wait(s->dir, err);
}
