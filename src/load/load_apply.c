/* load_apply.c - the SQL of a run on the shards this rank owns: run lock and schema, directory
 * look-ups, rows into TransactionsOptimized, removals, revenue_daily, the directory and audit.
 *
 * Order makes reruns converge: rows are applied (idempotently: LOAD DATA REPLACE by primary
 * key; removals by primary key) on every shard before any directory entry changes; a shard's
 * directory entries and audit rows commit in one transaction. A run that dies before its
 * directory commit is decided identically by the rerun, which applies the same rows again; one
 * that dies after some directory commits finds those versions stale (already applied). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_internal.h"
#include "txetl/log.h"
#include "txetl/schema.h"

/* Runs every ';'-at-end-of-line statement of sql/schema.sql. */
static int run_schema(tx_shard *s, tx_error *err)
{
    const char *p = tx_schema_sql;
    size_t cap = strlen(p) + 1;
    char *stmt = malloc(cap);
    if (!stmt)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    size_t n = 0;
    int rc = TX_OK;
    while (*p && rc == TX_OK) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *q = p;
        while (q < p + len && (*q == ' ' || *q == '\t'))
            q++;
        if (!(q + 1 < p + len && q[0] == '-' && q[1] == '-')) {
            memcpy(stmt + n, p, len);
            n += len;
            stmt[n++] = '\n';
            size_t e = len;
            while (e > 0 && (p[e - 1] == ' ' || p[e - 1] == '\r'))
                e--;
            if (e > 0 && p[e - 1] == ';') {
                stmt[n] = '\0';
                rc = tx_shard_exec(s, stmt, err);
                n = 0;
            }
        }
        p += len + (eol ? 1 : 0);
    }
    free(stmt);
    return rc;
}

static int months_present(tx_shard *sh, tx_home *h, tx_error *err)
{
    MYSQL_RES *res;
    int rc = tx_shard_query(sh, "SELECT PARTITION_NAME FROM information_schema.PARTITIONS WHERE "
                                "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                                "'TransactionsOptimized' AND PARTITION_NAME LIKE 'p%'",
                            0, &res, err);
    if (rc != TX_OK)
        return rc;
    memset(h->months, 0, sizeof h->months);
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        int ym = atoi(row[0] + 1), y = ym / 100, m = ym % 100;
        if (y >= 1970 && y < 2100 && m >= 1 && m <= 12)
            h->months[(y - 1970) * 12 + m - 1] = 1;
    }
    mysql_free_result(res);
    return TX_OK;
}

/* The directory's entries are in format TX_DIR_FORMAT (load_format.c), recorded in shard_state
 * when the directory is empty: a shard whose non-empty directory has another format (none
 * recorded = format 1, before payment_method and currency were kept) is refused before
 * anything is written; its entries lack what an update from a file without those columns
 * must keep. */
static int check_dir_format(tx_job *j, tx_shard *sh, int s, tx_error *err)
{
    uint64_t got = 0, fmt = 0;
    int null = 0, fnull = 0;
    int rc = tx_shard_query_u64(sh, "SELECT EXISTS (SELECT 1 FROM txn_directory)", &got, &null,
                                err);
    if (rc == TX_OK && got == 0)
        return j->o->dry_run ? TX_OK
                             : tx_shard_execf(sh, err, "REPLACE INTO shard_state VALUES "
                                              "('directory_format', %d)", TX_DIR_FORMAT);
    if (rc == TX_OK)
        rc = tx_shard_query_u64(sh, "SELECT value FROM shard_state WHERE name = "
                                    "'directory_format'", &fmt, &fnull, err);
    if (rc == TX_OK && (fnull || fmt != TX_DIR_FORMAT))
        rc = tx_error_set(err, TX_EUSAGE, "shard %d: txn_directory has the layout of an %s txetl "
                          "(directory format %llu; this txetl reads format %d, whose entries "
                          "keep payment_method and currency): nothing was written; drop the "
                          "database on every shard and load the extracts again with this txetl",
                          s, !fnull && fmt > TX_DIR_FORMAT ? "newer" : "older",
                          fnull ? 1ull : (unsigned long long)fmt, TX_DIR_FORMAT);
    return rc;
}

/* audit_log of a txetl before old_/new_payment_method and old_/new_currency gets them (NULL in
 * its existing rows: those runs did not record them), where schema.sql puts them. */
static int repair_audit_columns(tx_job *j, tx_shard *sh, tx_error *err)
{
    static const char *const add[][2] = {{"old_payment_method", "VARCHAR(32) NULL AFTER "
                                                                "new_category"},
                                         {"new_payment_method", "VARCHAR(32) NULL AFTER "
                                                                "old_payment_method"},
                                         {"old_currency", "CHAR(3) NULL AFTER "
                                                          "new_payment_method"},
                                         {"new_currency", "CHAR(3) NULL AFTER old_currency"}};
    int rc = TX_OK;
    for (size_t i = 0; i < sizeof add / sizeof *add && rc == TX_OK && !j->o->dry_run; i++) {
        uint64_t got = 0;
        int null;
        char q[256];
        snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
                 "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'audit_log' AND COLUMN_NAME = '%s'",
                 add[i][0]);
        rc = tx_shard_query_u64(sh, q, &got, &null, err);
        if (rc == TX_OK && got == 0)
            rc = tx_shard_execf(sh, err, "ALTER TABLE audit_log ADD COLUMN %s %s", add[i][0],
                                add[i][1]);
    }
    return rc;
}

int tx_apply_prepare(tx_job *j, tx_error *err)
{
    for (int s = 0; s < j->nshards; s++) {
        tx_shard *sh = j->mine[s];
        if (!sh)
            continue;
        uint64_t got = 0;
        int null;
        /* The run lock: held by this connection until it closes (also when txetl dies). */
        int rc = tx_shard_run_lock(sh, err);
        if (rc != TX_OK)
            return rc;
        if ((rc = run_schema(sh, err)) != TX_OK)
            return rc;
        /* txetl before 0.2 kept the directory as one row per transaction_id */
        if ((rc = tx_shard_query_u64(sh, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
                                         "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                                         "'txn_directory' AND COLUMN_NAME = 'tombstones'",
                                     &got, &null, err)) != TX_OK)
            return rc;
        if (got == 0)
            return tx_error_set(err, TX_EUSAGE, "shard %d: txn_directory has the layout of an "
                                "older txetl (a row per id, no block column): start from a "
                                "fresh database and reload the extracts", s);
        if ((rc = check_dir_format(j, sh, s, err)) != TX_OK ||
            (rc = repair_audit_columns(j, sh, err)) != TX_OK)
            return rc;
        /* We hold the run lock: a run still marked running ended without finishing. */
        if (!j->o->dry_run &&
            (rc = tx_shard_exec(sh, "UPDATE etl_runs SET status = 'failed', message = "
                                    "CONCAT('abandoned: the run ended without finishing; ', "
                                    "COALESCE(message, '')) WHERE status = 'running'", err)))
            return rc;
        /* A run that died between dropping and rebuilding the secondary index left it out. */
        if ((rc = tx_shard_query_u64(sh, "SELECT COUNT(*) FROM information_schema.STATISTICS "
                                         "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                                         "'TransactionsOptimized' AND INDEX_NAME = "
                                         "'idx_customer_date'", &got, &null, err)) != TX_OK)
            return rc;
        if (got == 0 && !j->o->dry_run &&
            (rc = tx_shard_exec(sh, "ALTER TABLE TransactionsOptimized ADD INDEX "
                                    "idx_customer_date (customer_id, transaction_date)", err)))
            return rc;
        tx_home *h = &j->homes[s];
        if ((rc = months_present(sh, h, err)) != TX_OK)
            return rc;
        if ((rc = tx_shard_query_u64(sh, "SELECT EXISTS (SELECT 1 FROM txn_directory)", &got,
                                     &null, err)) != TX_OK)
            return rc;
        h->dir_empty = got == 0;
        if ((rc = tx_shard_query_u64(sh, "SELECT EXISTS (SELECT 1 FROM TransactionsOptimized)",
                                     &got, &null, err)) != TX_OK)
            return rc;
        h->fast = got == 0;
        if ((rc = tx_shard_query_u64(sh, "SELECT value FROM shard_state WHERE name = "
                                         "'revenue_dirty'", &got, &null, err)) != TX_OK)
            return rc;
        h->revenue_dirty = !null && got != 0;
    }
    return TX_OK;
}

static int exec_job(tx_shard *sh, void *ctx, tx_error *err)
{
    int rc = sh ? tx_shard_exec(sh, ctx, err) : TX_OK;
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

static int ensure_partitions(tx_shard *sh, const int *months, size_t nm, tx_error *err);

int tx_apply_begin(tx_job *j, const uint64_t *hist, tx_error *err)
{
    for (int s = 0; s < j->nshards; s++) {
        tx_shard *sh = j->mine[s];
        if (!sh)
            continue;
        tx_home *h = &j->homes[s];
        /* the months of this run's dates that this shard owns, without a partition yet */
        int need[TX_NMONTHS];
        size_t nneed = 0;
        int lo = j->bound[s] < 0 ? 0 : j->bound[s];
        int hi = j->bound[s + 1] > TX_NDAYS ? TX_NDAYS : j->bound[s + 1];
        for (int d = lo; d < hi; d++) {
            if (!hist[d])
                continue;
            int y, m, dd;
            tx_civil_from_days(d, &y, &m, &dd);
            int idx = (y - 1970) * 12 + m - 1;
            if (!h->months[idx]) {
                h->months[idx] = 1;
                need[nneed++] = y * 100 + m;
            }
        }
        int rc = ensure_partitions(sh, need, nneed, err);
        static const char *const stages[] = {"stage_remove", "stage_apply", "stage_pairs",
                                             "stage_revenue"};
        for (size_t i = 0; i < sizeof stages / sizeof *stages && rc == TX_OK; i++)
            rc = tx_shard_execf(sh, err, "TRUNCATE TABLE %s", stages[i]);
        /* A backfill stores rows straight into the table and recomputes revenue_daily at the
         * end: mark it, so a run after a failure recomputes it too. */
        if (rc == TX_OK && h->fast)
            rc = tx_shard_exec(sh, "REPLACE INTO shard_state VALUES ('revenue_dirty', 1)", err);
        if (rc == TX_OK && h->fast)
            rc = tx_shard_exec(sh, "ALTER TABLE TransactionsOptimized DROP INDEX "
                                   "idx_customer_date", err);
        for (int k = 0; k < TX_ROW_LOADERS && rc == TX_OK; k++)
            rc = tx_loader_start(j->o->shards_path, s, TX_LOADER_DEPTH, &h->rows_loader[k], err);
        if (rc == TX_OK)
            rc = tx_loader_start(j->o->shards_path, s, TX_LOADER_DEPTH, &h->dir_loader, err);
        if (rc == TX_OK)
            rc = submit_sql(h->dir_loader, "START TRANSACTION", err);
        if (rc != TX_OK)
            return rc;
    }
    return TX_OK;
}

static int cmp_block(const void *pa, const void *pb)
{
    const tx_dir_block *a = pa, *b = pb;
    return a->block < b->block ? -1 : a->block > b->block;
}

int tx_apply_lookup(tx_job *j, int shard, const uint64_t *ids, size_t n, tx_dir_block **out,
                    size_t *nout, size_t *cap, tx_error *err)
{
    *nout = 0;
    if (n == 0 || j->homes[shard].dir_empty)
        return TX_OK;
    tx_buf q = {0};
    static const char head[] = "SELECT block, data FROM txn_directory WHERE block IN (";
    if (tx_buf_reserve(&q, sizeof head + 21 * n + 2) != TX_OK)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    memcpy(q.p, head, sizeof head - 1);
    q.len = sizeof head - 1;
    size_t nblocks = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t blk = ids[i] / TX_DIR_BLOCK; /* ids are sorted: each block once */
        if (i > 0 && blk == ids[i - 1] / TX_DIR_BLOCK)
            continue;
        if (nblocks++)
            q.p[q.len++] = ',';
        q.len += (size_t)tx_fmt_u64(q.p + q.len, blk);
    }
    q.p[q.len++] = ')';
    q.p[q.len] = '\0';
    if (nblocks > *cap) {
        tx_dir_block *nb = realloc(*out, nblocks * sizeof *nb);
        if (!nb) {
            tx_buf_free(&q);
            return tx_error_set(err, TX_ENOMEM, "out of memory");
        }
        *out = nb;
        *cap = nblocks;
    }
    MYSQL_RES *res;
    int rc = tx_shard_query(j->mine[shard], q.p, 0, &res, err);
    tx_buf_free(&q);
    if (rc != TX_OK)
        return rc;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)) && rc == TX_OK) {
        unsigned long *len = mysql_fetch_lengths(res);
        uint64_t blk = strtoull(row[0], NULL, 10);
        if (*nout == nblocks || tx_parse_dir_block(blk, row[1], len[1], &(*out)[*nout]) != 0)
            rc = tx_error_set(err, TX_ERR, "shard %d: txn_directory block %llu is malformed",
                              shard, (unsigned long long)blk);
        else
            (*nout)++;
    }
    mysql_free_result(res);
    if (rc == TX_OK)
        qsort(*out, *nout, sizeof **out, cmp_block);
    return rc;
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
 * empty) that covers needed months is split into month partitions and the gaps between them. */
static int ensure_partitions(tx_shard *sh, const int *months, size_t nm, tx_error *err)
{
    if (nm == 0)
        return TX_OK;
    MYSQL_RES *res;
    MYSQL_ROW row;
    int rc;
    rc = tx_shard_query(sh, "SELECT PARTITION_NAME, PARTITION_DESCRIPTION FROM "
                            "information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND "
                            "TABLE_NAME = 'TransactionsOptimized' ORDER BY "
                            "PARTITION_ORDINAL_POSITION",
                        0, &res, err);
    if (rc != TX_OK)
        return rc;
    int32_t lo = INT32_MIN;
    size_t mi = 0;
    char *sql = NULL;
    size_t len = 0, cap = 0;
    while (rc == TX_OK && (row = mysql_fetch_row(res))) {
        const char *name = row[0], *desc = row[1];
        int32_t hi = INT32_MAX;
        int y, m, d;
        if (desc && sscanf(desc, "'%d-%d-%d'", &y, &m, &d) == 3)
            hi = tx_days_from_civil(y, m, d);
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
            snprintf(buf, sizeof buf, "ALTER TABLE TransactionsOptimized REORGANIZE PARTITION %s "
                     "INTO (", name);
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
            else if (rc == TX_OK) {
                /* the result set must be read to the end before another statement */
                MYSQL_ROW rest;
                while ((rest = mysql_fetch_row(res)) != NULL) {
                    /* partitions after this one are handled on the next call */
                }
                mysql_free_result(res);
                res = NULL;
                rc = tx_shard_exec(sh, sql, err);
                free(sql);
                /* needed months in later partitions: look again for the rest */
                return rc == TX_OK ? ensure_partitions(sh, months + mi, nm - mi, err) : rc;
            }
        }
        lo = hi;
    }
    if (res)
        mysql_free_result(res);
    free(sql);
    return rc;
}

/* A LOAD DATA job: the text it owns. */
typedef struct load_job {
    const char *table, *cols;
    int replace;
    tx_buf text;
    uint64_t lines;
} load_job;

static int load_job_run(tx_shard *sh, void *ctx, tx_error *err)
{
    load_job *lj = ctx;
    int rc = sh ? tx_shard_load(sh, lj->table, lj->replace, lj->cols, lj->text.p, lj->text.len,
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
    if (!lj)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    lj->table = table;
    lj->replace = replace;
    lj->cols = cols;
    lj->text = *text;
    lj->lines = lines;
    memset(text, 0, sizeof *text);
    return tx_loader_submit(l, load_job_run, lj, err);
}

int tx_apply_rows(tx_job *j, int s, tx_error *err)
{
    tx_home *h = &j->homes[s];
    int rc = TX_OK;
    for (int k = 0; k < TX_ROW_LOADERS && rc == TX_OK; k++) {
        if (h->nrows[k])
            rc = submit_load(h->rows_loader[k],
                             h->fast ? "TransactionsOptimized" : "stage_apply", 1, tx_cols_rows,
                             &h->rows[k], h->nrows[k], err);
        h->nrows[k] = 0;
    }
    if (rc == TX_OK && h->nremoves)
        rc = submit_load(h->rows_loader[0], "stage_remove", 1,
                         "(transaction_id, transaction_date)", &h->removes, h->nremoves, err);
    h->nremoves = 0;
    return rc;
}

int tx_apply_dir_rows(tx_job *j, int s, int all, tx_error *err)
{
    tx_home *h = &j->homes[s];
    int rc = TX_OK;
    if (h->ndir && (all || h->dir.len >= TX_DIR_CHUNK)) {
        rc = submit_load(h->dir_loader, "txn_directory", 1,
                         "(block, entries, tombstones, data)", &h->dir, h->ndir, err);
        h->ndir = 0;
    }
    if (rc == TX_OK && h->naudit && (all || h->audit.len >= TX_DIR_CHUNK)) {
        rc = submit_load(h->dir_loader, "audit_log", 0, tx_cols_audit, &h->audit, h->naudit,
                         err);
        h->naudit = 0;
    }
    return rc;
}

/* revenue_daily from scratch: after a backfill (whose rows are all new). */
static int revenue(tx_shard *sh, tx_error *err)
{
    int rc = tx_shard_exec(sh, "DELETE FROM revenue_daily", err);
    if (rc == TX_OK)
        rc = tx_shard_exec(sh, "INSERT INTO revenue_daily (transaction_date, revenue, "
                               "transactions, customers) SELECT transaction_date, "
                               "SUM(transaction_amount), COUNT(*), COUNT(DISTINCT customer_id) "
                               "FROM TransactionsOptimized GROUP BY transaction_date", err);
    return rc;
}

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
    "t.transaction_date = p.transaction_date)"
static const char *const incremental_apply[] = {
    "START TRANSACTION",
    /* (date, customer) pairs whose count may change; what is known without probing is set
     * here: a pair of a stored copy had rows before, a pair of a staged row has rows after */
    "INSERT IGNORE INTO stage_pairs (transaction_date, customer_id, had_before) SELECT "
    "t.transaction_date, t.customer_id, 1 FROM TransactionsOptimized t" JOIN_APPLY,
    "INSERT IGNORE INTO stage_pairs (transaction_date, customer_id, had_before) SELECT "
    "t.transaction_date, t.customer_id, 1 FROM TransactionsOptimized t" JOIN_REMOVE,
    "INSERT INTO stage_pairs (transaction_date, customer_id, has_after) SELECT transaction_date, "
    "customer_id, 1 FROM stage_apply ON DUPLICATE KEY UPDATE has_after = 1",
    "UPDATE stage_pairs p SET had_before = " PAIR_EXISTS " WHERE had_before = 0",
    "INSERT INTO stage_revenue SELECT t.transaction_date, -SUM(t.transaction_amount), -COUNT(*) "
    "FROM TransactionsOptimized t" JOIN_APPLY " GROUP BY t.transaction_date",
    "INSERT INTO stage_revenue SELECT t.transaction_date, -SUM(t.transaction_amount), -COUNT(*) "
    "FROM TransactionsOptimized t" JOIN_REMOVE " GROUP BY t.transaction_date",
    "DELETE t FROM TransactionsOptimized t" JOIN_REMOVE,
    "DELETE t FROM TransactionsOptimized t" JOIN_APPLY,
    "INSERT INTO TransactionsOptimized (transaction_id, customer_id, transaction_date, "
    "transaction_amount, transaction_category, payment_method, currency, last_updated) SELECT "
    "transaction_id, customer_id, transaction_date, transaction_amount, transaction_category, "
    "payment_method, currency, last_updated FROM stage_apply ORDER BY transaction_id, "
    "transaction_date",
    "INSERT INTO stage_revenue SELECT transaction_date, SUM(transaction_amount), COUNT(*) FROM "
    "stage_apply GROUP BY transaction_date",
    "UPDATE stage_pairs p SET has_after = " PAIR_EXISTS " WHERE has_after = 0",
    "INSERT IGNORE INTO revenue_daily (transaction_date, revenue, transactions, customers) SELECT "
    "DISTINCT transaction_date, 0, 0, 0 FROM stage_revenue",
    "UPDATE revenue_daily rd JOIN (SELECT transaction_date, SUM(revenue) AS rev, "
    "SUM(transactions) AS n FROM stage_revenue GROUP BY transaction_date) d ON "
    "d.transaction_date = rd.transaction_date SET rd.revenue = rd.revenue + d.rev, "
    "rd.transactions = CAST(CAST(rd.transactions AS SIGNED) + d.n AS UNSIGNED)",
    "UPDATE revenue_daily rd JOIN (SELECT transaction_date, SUM(has_after) - SUM(had_before) AS "
    "c FROM stage_pairs GROUP BY transaction_date) d ON d.transaction_date = rd.transaction_date "
    "SET rd.customers = CAST(CAST(rd.customers AS SIGNED) + d.c AS UNSIGNED)",
    "DELETE FROM revenue_daily WHERE transactions = 0",
};

int tx_apply_finish(tx_job *j, tx_error *err)
{
    for (int s = 0; s < j->nshards; s++) {
        tx_shard *sh = j->mine[s];
        if (!sh)
            continue;
        tx_home *h = &j->homes[s];
        int rc = tx_apply_dir_rows(j, s, 1, err);
        for (int k = 0; k < TX_ROW_LOADERS && rc == TX_OK; k++)
            rc = tx_loader_wait(h->rows_loader[k], err);
        if (rc == TX_OK && h->fast) { /* backfill: rows are in; index, revenue from scratch */
            rc = tx_shard_exec(sh, "DELETE t FROM TransactionsOptimized t" JOIN_REMOVE, err);
            /* The index build and the revenue scan side by side on two connections: an online
             * ADD INDEX lets the scan read the table meanwhile. Submitted first, the ALTER
             * normally takes its brief exclusive lock before the scan starts; when it does
             * not, it waits for the scan and the two merely run one after the other. */
            if (rc == TX_OK)
                rc = submit_sql(h->rows_loader[0], "ALTER TABLE TransactionsOptimized ADD INDEX "
                                "idx_customer_date (customer_id, transaction_date)", err);
            if (rc == TX_OK) {
                tx_error werr = {0};
                rc = revenue(sh, err);
                int wrc = tx_loader_wait(h->rows_loader[0], &werr);
                if (rc == TX_OK && wrc != TX_OK)
                    rc = tx_error_set(err, wrc, "%s", werr.msg);
            }
            if (rc == TX_OK)
                rc = tx_shard_exec(sh, "DELETE FROM shard_state WHERE name = 'revenue_dirty'",
                                   err);
        } else if (rc == TX_OK) {
            for (size_t i = 0; rc == TX_OK && i < sizeof incremental_apply / sizeof *incremental_apply; i++)
                rc = tx_shard_exec(sh, incremental_apply[i], err);
            if (rc == TX_OK && h->revenue_dirty) /* an earlier backfill died before it */
                rc = revenue(sh, err);
            if (rc == TX_OK && h->revenue_dirty)
                rc = tx_shard_exec(sh, "DELETE FROM shard_state WHERE name = 'revenue_dirty'",
                                   err);
            if (rc == TX_OK)
                rc = tx_shard_exec(sh, "COMMIT", err);
            if (rc != TX_OK) {
                tx_error ignore = {0};
                tx_shard_exec(sh, "ROLLBACK", &ignore);
            }
        }
        if (rc == TX_OK)
            rc = tx_loader_wait(h->dir_loader, err);
        if (rc != TX_OK)
            return rc;
    }
    return TX_OK;
}

int tx_apply_directory(tx_job *j, tx_error *err)
{
    for (int s = 0; s < j->nshards; s++) {
        if (!j->mine[s])
            continue;
        tx_loader *l = j->homes[s].dir_loader;
        int rc = submit_sql(l, "COMMIT", err);
        if (rc == TX_OK)
            rc = tx_loader_wait(l, err);
        if (rc != TX_OK)
            return rc;
    }
    return TX_OK;
}

int tx_apply_runs_row(tx_job *j, const char *status, const char *finished, const char *message,
                      tx_error *err)
{
    const tx_run_counts *c = &j->counts;
    int rc = TX_OK;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++) {
        tx_shard *sh = j->mine[s];
        if (!sh)
            continue;
        char files[4096] = "";
        size_t fl = 0;
        for (int i = 0; i < j->o->nfiles && fl + 2 < sizeof files; i++)
            fl += (size_t)snprintf(files + fl, sizeof files - fl, "%s%s", i ? "\n" : "",
                                   j->o->files[i]);
        if (fl >= sizeof files)
            fl = sizeof files - 1;
        char efiles[2 * sizeof files + 1], emsg[2 * 1024 + 1];
        tx_shard_escape(sh, efiles, files, fl);
        size_t ml = message ? strlen(message) : 0;
        if (ml > 1024)
            ml = 1024;
        tx_shard_escape(sh, emsg, message ? message : "", ml);
        rc = tx_shard_execf(
            sh, err,
            "INSERT INTO etl_runs (run_id, started_at, finished_at, status, ranks, shards, "
            "input_files, rows_read, rows_rejected, rows_inserted, rows_updated, rows_moved, "
            "rows_deleted, rows_stale, rows_superseded, message) VALUES ('%s', '%s', "
            "%s%s%s, '%s', %d, %d, '%s', %llu, %llu, %llu, %llu, %llu, %llu, %llu, %llu, %s%s%s) "
            "ON DUPLICATE KEY UPDATE finished_at = %s%s%s, status = '%s', rows_read = %llu, "
            "rows_rejected = %llu, rows_inserted = %llu, rows_updated = %llu, rows_moved = %llu, "
            "rows_deleted = %llu, rows_stale = %llu, rows_superseded = %llu, message = %s%s%s",
            j->run_id, j->started_utc, finished ? "'" : "", finished ? finished : "NULL",
            finished ? "'" : "", status,
            j->nranks, j->nshards, efiles, (unsigned long long)c->read,
            (unsigned long long)c->rejected, (unsigned long long)c->inserted,
            (unsigned long long)c->updated, (unsigned long long)c->moved,
            (unsigned long long)c->deleted, (unsigned long long)c->stale,
            (unsigned long long)c->superseded, message ? "'" : "", message ? emsg : "NULL",
            message ? "'" : "", finished ? "'" : "", finished ? finished : "NULL",
            finished ? "'" : "", status,
            (unsigned long long)c->read, (unsigned long long)c->rejected,
            (unsigned long long)c->inserted, (unsigned long long)c->updated,
            (unsigned long long)c->moved, (unsigned long long)c->deleted,
            (unsigned long long)c->stale, (unsigned long long)c->superseded,
            message ? "'" : "", message ? emsg : "NULL", message ? "'" : "");
    }
    return rc;
}
