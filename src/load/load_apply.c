/* load_apply.c - the SQL of a run on the shards this rank owns: schema and run lock, version
 * decisions against the directory, applying rows, committing the directory and audit log.
 *
 * Order makes reruns converge: rows are applied (idempotently: delete-then-insert by primary
 * key) on every shard before any directory entry changes; a directory entry and its audit row
 * commit together. A run that dies after applying rows but before its directory commit is
 * re-decided identically by the rerun; one that dies after some directory commits finds those
 * versions stale (already applied) on the rerun. */
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

int tx_apply_prepare(tx_job *j, tx_error *err)
{
    for (int s = 0; s < j->nshards; s++) {
        tx_shard *sh = j->mine[s];
        if (!sh)
            continue;
        uint64_t got = 0;
        int null;
        /* The run lock: held by this connection until it closes (also when txetl dies). */
        int rc = tx_shard_query_u64(sh, "SELECT GET_LOCK('txetl_run', 0)", &got, &null, err);
        if (rc != TX_OK)
            return rc;
        if (got != 1)
            return tx_error_set(err, TX_ERR, "shard %d is locked by another txetl run (lock "
                                "'txetl_run' held); try again when it has finished", s);
        if ((rc = run_schema(sh, err)) != TX_OK)
            return rc;
        if (!j->o->dry_run) {
            static const char *const stages[] = {"stage_versions", "stage_winners", "stage_apply",
                                                 "stage_remove"};
            for (size_t i = 0; i < sizeof stages / sizeof *stages; i++)
                if ((rc = tx_shard_execf(sh, err, "TRUNCATE TABLE %s", stages[i])) != TX_OK)
                    return rc;
        }
    }
    return TX_OK;
}

/* The per-version ranking of stage_versions: later last_updated, then later input position. */
#define RANKED                                                                                     \
    "(SELECT s.*, ROW_NUMBER() OVER (PARTITION BY s.transaction_id ORDER BY s.last_updated DESC, " \
    "s.file_index DESC, s.file_offset DESC) AS rn FROM stage_versions s)"

int tx_apply_decide(tx_job *j, tx_run_counts *local, tx_error *err)
{
    for (int s = 0; s < j->nshards; s++) {
        tx_shard *sh = j->mine[s];
        if (!sh)
            continue;
        /* stale: not newer than the stored version; superseded: newer, but lost in this run */
        MYSQL_RES *res;
        int rc = tx_shard_query(
            sh,
            "SELECT COALESCE(SUM(stale), 0), COALESCE(SUM(NOT stale AND rn > 1), 0) FROM "
            "(SELECT (d.transaction_id IS NOT NULL AND v.last_updated <= d.last_updated) AS stale, "
            "v.rn FROM " RANKED " v LEFT JOIN txn_directory d ON d.transaction_id = "
            "v.transaction_id) x",
            0, &res, err);
        if (rc != TX_OK)
            return rc;
        MYSQL_ROW row = mysql_fetch_row(res);
        local->stale += row && row[0] ? strtoull(row[0], NULL, 10) : 0;
        local->superseded += row && row[1] ? strtoull(row[1], NULL, 10) : 0;
        mysql_free_result(res);

        rc = tx_shard_exec(
            sh,
            "INSERT INTO stage_winners (transaction_id, customer_id, transaction_date, "
            "transaction_amount, transaction_category, payment_method, currency, last_updated, "
            "op, action, old_date, old_amount, old_category, old_last_updated, old_live) "
            "SELECT v.transaction_id, v.customer_id, v.transaction_date, v.transaction_amount, "
            "v.transaction_category, v.payment_method, v.currency, v.last_updated, v.op, "
            "CASE WHEN v.op = 'D' THEN 'delete' "
            "     WHEN d.transaction_id IS NULL OR d.deleted = 1 THEN 'insert' "
            "     WHEN d.transaction_date = v.transaction_date THEN 'update' ELSE 'move' END, "
            "d.transaction_date, d.amount, d.category, d.last_updated, "
            "(d.transaction_id IS NOT NULL AND d.deleted = 0) "
            "FROM " RANKED " v LEFT JOIN txn_directory d ON d.transaction_id = v.transaction_id "
            "WHERE v.rn = 1 AND (d.transaction_id IS NULL OR v.last_updated > d.last_updated)",
            err);
        if (rc != TX_OK)
            return rc;
        if ((rc = tx_shard_query(sh, "SELECT action, COUNT(*) FROM stage_winners GROUP BY action",
                                 0, &res, err)) != TX_OK)
            return rc;
        while ((row = mysql_fetch_row(res))) {
            uint64_t n = strtoull(row[1], NULL, 10);
            if (!strcmp(row[0], "insert"))
                local->inserted += n;
            else if (!strcmp(row[0], "update"))
                local->updated += n;
            else if (!strcmp(row[0], "move"))
                local->moved += n;
            else
                local->deleted += n;
        }
        mysql_free_result(res);
    }
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

/* Gives every month in stage_apply its own partition: each gap partition (g*, empty) that
 * covers needed months is split into month partitions and the gaps between them. */
static int ensure_partitions(tx_shard *sh, tx_error *err)
{
    MYSQL_RES *res;
    int rc = tx_shard_query(sh, "SELECT DISTINCT YEAR(transaction_date) * 100 + "
                                "MONTH(transaction_date) AS ym FROM stage_apply ORDER BY ym",
                            0, &res, err);
    if (rc != TX_OK)
        return rc;
    size_t nm = (size_t)mysql_num_rows(res);
    int *months = malloc((nm ? nm : 1) * sizeof *months);
    if (!months) {
        mysql_free_result(res);
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    }
    MYSQL_ROW row;
    for (size_t i = 0; (row = mysql_fetch_row(res)); i++)
        months[i] = atoi(row[0]);
    mysql_free_result(res);
    if (nm == 0) {
        free(months);
        return TX_OK;
    }
    rc = tx_shard_query(sh, "SELECT PARTITION_NAME, PARTITION_DESCRIPTION FROM "
                            "information_schema.PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND "
                            "TABLE_NAME = 'TransactionsOptimized' ORDER BY "
                            "PARTITION_ORDINAL_POSITION",
                        0, &res, err);
    if (rc != TX_OK) {
        free(months);
        return rc;
    }
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
                free(months);
                /* there may be needed months in later partitions: look again */
                return rc == TX_OK ? ensure_partitions(sh, err) : rc;
            }
        }
        lo = hi;
    }
    if (res)
        mysql_free_result(res);
    free(sql);
    free(months);
    return rc;
}

int tx_apply_commit_rows(tx_job *j, tx_error *err)
{
    for (int s = 0; s < j->nshards; s++) {
        tx_shard *sh = j->mine[s];
        if (!sh)
            continue;
        int rc = ensure_partitions(sh, err);
        if (rc != TX_OK)
            return rc;
        static const char *const steps[] = {
            "START TRANSACTION",
            "DELETE t FROM TransactionsOptimized t JOIN stage_remove r ON "
            "t.transaction_id = r.transaction_id AND t.transaction_date = r.transaction_date",
            "DELETE t FROM TransactionsOptimized t JOIN stage_apply a ON "
            "t.transaction_id = a.transaction_id AND t.transaction_date = a.transaction_date",
            "INSERT INTO TransactionsOptimized (transaction_id, customer_id, transaction_date, "
            "transaction_amount, transaction_category, payment_method, currency, last_updated) "
            "SELECT transaction_id, customer_id, transaction_date, transaction_amount, "
            "transaction_category, payment_method, currency, last_updated FROM stage_apply "
            "ORDER BY transaction_id, transaction_date",
            "DELETE rd FROM revenue_daily rd JOIN (SELECT transaction_date FROM stage_apply UNION "
            "SELECT transaction_date FROM stage_remove) x ON x.transaction_date = "
            "rd.transaction_date",
            "INSERT INTO revenue_daily (transaction_date, revenue, transactions, customers) "
            "SELECT t.transaction_date, SUM(t.transaction_amount), COUNT(*), "
            "COUNT(DISTINCT t.customer_id) FROM TransactionsOptimized t JOIN (SELECT "
            "transaction_date FROM stage_apply UNION SELECT transaction_date FROM stage_remove) x "
            "ON x.transaction_date = t.transaction_date GROUP BY t.transaction_date",
            "COMMIT",
        };
        for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
            if ((rc = tx_shard_exec(sh, steps[i], err)) != TX_OK) {
                tx_error ignore = {0};
                tx_shard_exec(sh, "ROLLBACK", &ignore);
                return rc;
            }
        }
    }
    return TX_OK;
}

int tx_apply_commit_directory(tx_job *j, tx_error *err)
{
    for (int s = 0; s < j->nshards; s++) {
        tx_shard *sh = j->mine[s];
        if (!sh)
            continue;
        int rc = tx_shard_exec(sh, "START TRANSACTION", err);
        if (rc == TX_OK)
            rc = tx_shard_execf(
                sh, err,
                "INSERT INTO audit_log (run_id, transaction_id, action, old_date, new_date, "
                "old_amount, new_amount, old_category, new_category, old_last_updated, "
                "new_last_updated, applied_at) SELECT '%s', transaction_id, action, "
                "IF(old_live, old_date, NULL), IF(op = 'D', NULL, transaction_date), "
                "IF(old_live, old_amount, NULL), IF(op = 'D', NULL, transaction_amount), "
                "IF(old_live, old_category, NULL), IF(op = 'D', NULL, transaction_category), "
                "IF(old_live, old_last_updated, NULL), last_updated, UTC_TIMESTAMP(6) "
                "FROM stage_winners WHERE action <> 'insert' OR %d ORDER BY transaction_id",
                j->run_id, j->o->audit_inserts ? 1 : 0);
        if (rc == TX_OK)
            rc = tx_shard_exec(sh, "DELETE d FROM txn_directory d JOIN stage_winners w ON "
                                   "w.transaction_id = d.transaction_id", err);
        if (rc == TX_OK)
            rc = tx_shard_execf(
                sh, err,
                "INSERT INTO txn_directory (transaction_id, transaction_date, last_updated, "
                "deleted, amount, category, run_id) SELECT transaction_id, transaction_date, "
                "last_updated, op = 'D', transaction_amount, transaction_category, '%s' "
                "FROM stage_winners ORDER BY transaction_id",
                j->run_id);
        if (rc == TX_OK)
            rc = tx_shard_exec(sh, "COMMIT", err);
        if (rc != TX_OK) {
            tx_error ignore = {0};
            tx_shard_exec(sh, "ROLLBACK", &ignore);
            return rc;
        }
    }
    return TX_OK;
}

int tx_apply_runs_row(tx_job *j, const char *status, const char *message, tx_error *err)
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
            "rows_deleted, rows_stale, rows_superseded, message) VALUES ('%s', UTC_TIMESTAMP(6), "
            "%s, '%s', %d, %d, '%s', %llu, %llu, %llu, %llu, %llu, %llu, %llu, %llu, %s%s%s) "
            "ON DUPLICATE KEY UPDATE finished_at = %s, status = '%s', rows_read = %llu, "
            "rows_rejected = %llu, rows_inserted = %llu, rows_updated = %llu, rows_moved = %llu, "
            "rows_deleted = %llu, rows_stale = %llu, rows_superseded = %llu, message = %s%s%s",
            j->run_id, strcmp(status, "running") ? "UTC_TIMESTAMP(6)" : "NULL", status,
            j->nranks, j->nshards, efiles, (unsigned long long)c->read,
            (unsigned long long)c->rejected, (unsigned long long)c->inserted,
            (unsigned long long)c->updated, (unsigned long long)c->moved,
            (unsigned long long)c->deleted, (unsigned long long)c->stale,
            (unsigned long long)c->superseded, message ? "'" : "", message ? emsg : "NULL",
            message ? "'" : "", strcmp(status, "running") ? "UTC_TIMESTAMP(6)" : "NULL", status,
            (unsigned long long)c->read, (unsigned long long)c->rejected,
            (unsigned long long)c->inserted, (unsigned long long)c->updated,
            (unsigned long long)c->moved, (unsigned long long)c->deleted,
            (unsigned long long)c->stale, (unsigned long long)c->superseded,
            message ? "'" : "", message ? emsg : "NULL", message ? "'" : "");
    }
    return rc;
}
