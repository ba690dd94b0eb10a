/* store_mariadb.c - the MariaDB back end's table of operations, and its verbs for the start of
 * a run: connect, run lock, schema and repairs, the shard map. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "txetl/record.h"
#include "txetl/schema.h"

const tx_store_ops tx_store_mariadb = {
    .name = "mariadb",
    .open = tx_mdb_open,
    .close = tx_mdb_close,
    .prepare = tx_mdb_prepare,
    .map_read = tx_mdb_map_read,
    .map_write = tx_mdb_map_write,
    .begin = tx_mdb_begin,
    .rows_load = tx_mdb_rows_load,
    .rows_remove = tx_mdb_rows_remove,
    .dir_load = tx_mdb_dir_load,
    .audit_load = tx_mdb_audit_load,
    .finish = tx_mdb_finish,
    .dir_commit = tx_mdb_dir_commit,
    .runs_row = tx_mdb_runs_row,
    .read_txns = tx_mdb_read_txns,
    .read_months = tx_mdb_read_months,
    .read_dates = tx_mdb_read_dates,
    .month_rows = tx_mdb_month_rows,
    .identity_write = tx_mdb_identity_write,
    .revenue_read = tx_mdb_revenue_read,
    .journal_mark = tx_mdb_journal_mark,
    .apply = tx_mdb_apply,
    .journal_resolve = tx_mdb_journal_resolve,
    TX_STORE_MDB_READS,
};

int tx_mdb_open(tx_store *s, tx_error *err)
{
    /* connecting creates nothing: a load's prepare creates a missing database */
    return tx_conn_open_mode(s->path, s->index, s->read_only ? TX_CONN_EXISTING : TX_CONN_DEFER,
                             &s->conn, err);
}

void tx_mdb_close(tx_store *s)
{
    /* the statement connection (and the run lock) first, then the loaders: each waits for the
     * jobs it holds, and the directory's uncommitted transaction rolls back */
    tx_conn_close(&s->conn);
    for (int k = 0; k < TX_STORE_ROW_LOADERS; k++)
        tx_loader_stop(&s->rows[k]);
    tx_loader_stop(&s->dir);
}

int tx_mdb_run_lock(tx_store *s, tx_error *err)
{
    return tx_conn_run_lock(s->conn, err);
}

/* Runs every ';'-at-end-of-line statement of sql/schema.sql. */
static int run_schema(tx_conn *c, tx_error *err)
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
                rc = tx_conn_exec(c, stmt, err);
                n = 0;
            }
        }
        p += len + (eol ? 1 : 0);
    }
    free(stmt);
    return rc;
}

static int month_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len, (void)err;
    uint8_t *months = ctx;
    int ym = atoi(v[0] + 1), y = ym / 100, m = ym % 100;
    if (y >= TX_YEAR_FIRST && y < TX_YEAR_FIRST + TX_NMONTHS / 12 && m >= 1 &&
        m <= 12)
        months[(y - TX_YEAR_FIRST) * 12 + m - 1] = 1;
    return TX_OK;
}

int tx_mdb_state_read(tx_store *s, int rows_t, int dir_t, int state_t, tx_store_state *st,
                      tx_error *err)
{
    tx_conn *c = s->conn;
    uint64_t got = 0;
    int null = 0, rc;
    st->table_empty = st->dir_empty = 1;
    if (rows_t) {
        const tx_conn_reader months = {.row = month_row, .ctx = st->months};
        if ((rc = tx_conn_query_rows(c, "SELECT PARTITION_NAME FROM information_schema."
                                        "PARTITIONS WHERE TABLE_SCHEMA = DATABASE() AND "
                                        "TABLE_NAME = 'TransactionsOptimized' AND "
                                        "PARTITION_NAME LIKE 'p%'", &months, err)) != TX_OK)
            return rc;
    }
    if (dir_t) {
        if ((rc = tx_conn_query_u64(c, "SELECT EXISTS (SELECT 1 FROM txn_directory)", &got,
                                    &null, err)) != TX_OK)
            return rc;
        st->dir_empty = got == 0;
    }
    if (rows_t) {
        if ((rc = tx_conn_query_u64(c, "SELECT EXISTS (SELECT 1 FROM TransactionsOptimized)",
                                    &got, &null, err)) != TX_OK)
            return rc;
        st->table_empty = got == 0;
    }
    if (state_t) {
        if ((rc = tx_conn_query_u64(c, "SELECT value FROM shard_state WHERE name = "
                                       "'revenue_dirty'", &got, &null, err)) != TX_OK)
            return rc;
        st->revenue_dirty = !null && got != 0;
    }
    s->fast = st->table_empty;
    s->revenue_dirty = st->revenue_dirty;
    return TX_OK;
}

/* The directory's entries are in the caller's format, recorded in shard_state while the
 * directory is empty: a shard whose non-empty directory has another format (none recorded =
 * format 1, before payment_method and currency were kept) is refused before anything is
 * written; its entries lack what an update from a file without those columns must keep. */
static int check_dir_format(tx_store *s, int want, tx_error *err)
{
    uint64_t got = 0, fmt = 0;
    int null = 0, fnull = 0;
    int rc = tx_conn_query_u64(s->conn, "SELECT EXISTS (SELECT 1 FROM txn_directory)", &got,
                               &null, err);
    if (rc == TX_OK && got == 0)
        return tx_conn_execf(s->conn, err, "REPLACE INTO shard_state VALUES "
                             "('directory_format', %d)", want);
    if (rc == TX_OK)
        rc = tx_conn_query_u64(s->conn, "SELECT value FROM shard_state WHERE name = "
                                        "'directory_format'", &fmt, &fnull, err);
    if (rc == TX_OK && (fnull || fmt != (uint64_t)want))
        rc = tx_error_set(err, TX_EUSAGE, "shard %d: txn_directory has the layout of an %s txetl "
                          "(directory format %llu; this txetl reads format %d, whose entries "
                          "keep payment_method and currency): nothing was written; drop the "
                          "database on every shard and load the extracts again with this txetl",
                          s->index, !fnull && fmt > (uint64_t)want ? "newer" : "older",
                          fnull ? 1ull : (unsigned long long)fmt, want);
    return rc;
}

/* audit_log of a txetl before old_/new_payment_method and old_/new_currency gets them (NULL in
 * its existing rows: those runs did not record them), where schema.sql puts them. */
static int repair_audit_columns(tx_store *s, tx_error *err)
{
    static const char *const add[][2] = {
        {"old_payment_method", "VARCHAR(32) NULL AFTER new_category"},
        {"new_payment_method", "VARCHAR(32) NULL AFTER old_payment_method"},
        {"old_currency", "CHAR(3) NULL AFTER new_payment_method"},
        {"new_currency", "CHAR(3) NULL AFTER old_currency"}};
    int rc = TX_OK;
    for (size_t i = 0; i < sizeof add / sizeof *add && rc == TX_OK; i++) {
        uint64_t got = 0;
        int null;
        char q[256];
        snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
                 "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'audit_log' AND COLUMN_NAME = '%s'",
                 add[i][0]);
        rc = tx_conn_query_u64(s->conn, q, &got, &null, err);
        if (rc == TX_OK && got == 0)
            rc = tx_conn_execf(s->conn, err, "ALTER TABLE audit_log ADD COLUMN %s %s", add[i][0],
                               add[i][1]);
    }
    return rc;
}

int tx_mdb_prepare(tx_store *s, int dir_format, tx_store_state *st, tx_error *err)
{
    tx_conn *c = s->conn;
    uint64_t got = 0;
    int null;
    int rebuild = 0; /* revenue_daily of an older txetl (currencies added together) */
    if (s->read_only)
        return tx_error_set(err, TX_ERR, "shard %d: internal error: prepare on a read-only store",
                            s->index);
    int rc = tx_conn_create_database(c, err);
    if (rc == TX_OK)
        rc = tx_mdb_revenue_upgrade(c, &rebuild, err);
    if (rc == TX_OK)
        rc = run_schema(c, err);
    if (rc == TX_OK && rebuild)
        rc = tx_mdb_revenue_rebuild(c, err);
    if (rc == TX_OK)
        rc = tx_mdb_repair_indexes(s, err);
    if (rc != TX_OK)
        return rc;
    /* txetl before 0.2 kept the directory as one row per transaction_id */
    if ((rc = tx_conn_query_u64(c, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
                                   "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                                   "'txn_directory' AND COLUMN_NAME = 'tombstones'",
                                &got, &null, err)) != TX_OK)
        return rc;
    if (got == 0)
        return tx_error_set(err, TX_EUSAGE, "shard %d: txn_directory has the layout of an "
                            "older txetl (a row per id, no block column): start from a "
                            "fresh database and reload the extracts", s->index);
    if ((rc = check_dir_format(s, dir_format, err)) != TX_OK ||
        (rc = repair_audit_columns(s, err)) != TX_OK)
        return rc;
    /* We hold the run lock: a run still marked running ended without finishing. One this
     * shard's journal holds as applied had been staged on every shard: it is complete (or is
     * completed now, load_recover.c). */
    if ((rc = tx_conn_exec(c, "UPDATE etl_runs e JOIN run_journal j ON j.run_id = e.run_id AND "
                              "j.state = 'applied' SET e.status = 'failed', e.finished_at = "
                              "UTC_TIMESTAMP(6), e.message = CONCAT('abandoned: the run ended "
                              "without finishing after every shard had staged it [its changes "
                              "are applied on every shard (no snapshot was written for it)]; ', "
                              "COALESCE(e.message, '')) WHERE e.status = 'running'", err)))
        return rc;
    if ((rc = tx_conn_exec(c, "UPDATE etl_runs SET status = 'failed', message = "
                              "CONCAT('abandoned: the run ended without finishing; ', "
                              "COALESCE(message, '')) WHERE status = 'running'", err)))
        return rc;
    return tx_mdb_state_read(s, 1, 1, 1, st, err);
}

static int map_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len;
    const tx_relay *m = ctx;
    return m->fn.map(m->ctx, atoi(v[0]), atoi(v[1]), v[2] ? atoi(v[2]) : INT32_MIN,
                 v[3] ? atoi(v[3]) : INT32_MAX, err);
}

int tx_mdb_map_read(tx_store *s, tx_store_map_fn fn, void *ctx, tx_error *err)
{
    tx_relay m = {.fn.map = fn, .ctx = ctx};
    const tx_conn_reader rd = {.row = map_row, .ctx = &m};
    return tx_conn_query_rows(s->conn, "SELECT shard_index, shard_count, DATEDIFF(lower_date, "
                                       "'1970-01-01'), DATEDIFF(upper_date, '1970-01-01') FROM "
                                       "shard_map ORDER BY shard_index", &rd, err);
}

int tx_mdb_map_write(tx_store *s, int nshards, const int32_t *bound, const char *run_id,
                     tx_error *err)
{
    int rc = tx_conn_exec(s->conn, "DELETE FROM shard_map", err);
    for (int i = 0; i < nshards && rc == TX_OK; i++) {
        char lo[16] = "NULL", hi[16] = "NULL", d[11];
        if (bound[i] != INT32_MIN)
            snprintf(lo, sizeof lo, "'%s'", tx_format_date(bound[i], d));
        if (bound[i + 1] != INT32_MAX)
            snprintf(hi, sizeof hi, "'%s'", tx_format_date(bound[i + 1], d));
        rc = tx_conn_execf(s->conn, err, "INSERT INTO shard_map VALUES (%d, %d, %s, %s, '%s')",
                           i, nshards, lo, hi, run_id);
    }
    return rc;
}
