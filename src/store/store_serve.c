/* store_serve.c - servers that are not shards (store.h "serving the results in SQL"): a
 * connection by group, the DDL of a served table, and the atomic refresh of a set of tables
 * (`*_new` loaded, then one RENAME over all of them). The router's statements are in
 * store_router.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "store_serve.h"

int tx_shardfile_has_group(const char *path, const char *group, int *has, tx_error *err)
{
    char db[256];
    return tx_shardfile_group(path, group, has, db, sizeof db, err);
}

int tx_store_db_open(const char *path, const char *group, const char *fallback,
                     const char *default_db, tx_store_db **out, tx_error *err)
{
    *out = NULL;
    int has = 0;
    char database[256];
    int rc = tx_shardfile_group(path, group, &has, database, sizeof database, err);
    if (rc != TX_OK)
        return rc;
    if (!has && fallback == NULL)
        return tx_error_set(err, TX_EUSAGE, "shard file %s has no [%s] group: add one with the "
                            "client options of the %s server (socket or host/port, user, "
                            "password)", path, group, group);
    tx_store_db *db = calloc(1, sizeof *db);
    if (!db)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    snprintf(db->group, sizeof db->group, "%s", has ? group : fallback);
    char label[96];
    if (has)
        snprintf(label, sizeof label, "%s server", group);
    else
        snprintf(label, sizeof label, "%s server (the [%s] connection: no [%s] group)", group,
                 fallback, group);
    rc = tx_conn_open_group(path, db->group, database[0] ? database : default_db, label,
                            &db->conn, err);
    if (rc != TX_OK) {
        free(db);
        return rc;
    }
    *out = db;
    return TX_OK;
}

void tx_store_db_close(tx_store_db **dbp)
{
    tx_store_db *db = *dbp;
    if (!db)
        return;
    tx_store_refresh_end(&db->refresh);
    tx_conn_close(&db->conn);
    free(db);
    *dbp = NULL;
}

const char *tx_store_db_group(const tx_store_db *db) { return db->group; }
const char *tx_store_db_database(const tx_store_db *db) { return tx_conn_database(db->conn); }

/* ---- DDL ---- */

static const char *sql_type(tx_store_coltype t)
{
    switch (t) {
    case TX_SQL_U8: return "TINYINT UNSIGNED";
    case TX_SQL_I32: return "INT";
    case TX_SQL_U32: return "INT UNSIGNED";
    case TX_SQL_I64: return "BIGINT";
    case TX_SQL_U64: return "BIGINT UNSIGNED";
    case TX_SQL_F64: return "DOUBLE";
    case TX_SQL_DATE: return "DATE";
    case TX_SQL_MONEY: return "DECIMAL(20,2)";
    case TX_SQL_NAME: return "VARCHAR(64)";
    case TX_SQL_CURRENCY: return "CHAR(3)";
    case TX_SQL_TIME: return "DATETIME(6)";
    case TX_SQL_TEXT: return "TEXT";
    }
    return "TEXT";
}

static int put(tx_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (tx_buf_reserve(b, n + 1) != TX_OK)
        return TX_ENOMEM;
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
    return TX_OK;
}

/* "a, b" -> "`a`, `b`" appended to b. */
static int put_cols(tx_buf *b, const char *list)
{
    int rc = TX_OK;
    const char *p = list;
    while (*p && rc == TX_OK) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ", ");
        if (n == 0)
            break;
        char one[80];
        snprintf(one, sizeof one, "%s`%.*s`", p == list ? "" : ", ", (int)n, p);
        rc = put(b, one);
        p += n;
    }
    return rc;
}

/* "idx_a_b" of the index on column list "a, b". */
static void index_name(const char *list, char *out, size_t cap)
{
    size_t o = (size_t)snprintf(out, cap, "idx_");
    for (const char *p = list; *p && o + 1 < cap; p++)
        if (*p != ' ')
            out[o++] = *p == ',' ? '_' : *p;
    out[o] = '\0';
}

int tx_store_table_ddl(const tx_store_table *t, const char *suffix, int with_indexes,
                       tx_buf *b)
{
    char line[512];
    snprintf(line, sizeof line, "CREATE TABLE IF NOT EXISTS `%s%s` (\n", t->name, suffix);
    int rc = put(b, line);
    for (size_t i = 0; i < t->ncols && rc == TX_OK; i++) {
        const tx_store_column *c = &t->cols[i];
        snprintf(line, sizeof line, "  `%s` %s %s,\n", c->name, sql_type(c->type),
                 c->nullable ? "NULL" : "NOT NULL");
        rc = put(b, line);
    }
    if (rc == TX_OK)
        rc = put(b, "  PRIMARY KEY (");
    if (rc == TX_OK)
        rc = put_cols(b, t->primary_key);
    if (rc == TX_OK)
        rc = put(b, ")");
    for (size_t k = 0; with_indexes && k < TX_STORE_MAX_INDEXES && t->indexes[k] && rc == TX_OK;
         k++) {
        char name[128];
        index_name(t->indexes[k], name, sizeof name);
        snprintf(line, sizeof line, ",\n  KEY `%s` (", name);
        rc = put(b, line);
        if (rc == TX_OK)
            rc = put_cols(b, t->indexes[k]);
        if (rc == TX_OK)
            rc = put(b, ")");
    }
    if (rc == TX_OK)
        rc = put(b, "\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin");
    if (rc == TX_OK && t->comment) {
        rc = put(b, "\n  COMMENT='");
        for (const char *p = t->comment; *p && rc == TX_OK; p++) {
            char ch[3] = {*p, 0, 0};
            if (*p == '\'') {
                ch[1] = '\'';
            }
            rc = put(b, ch);
        }
        if (rc == TX_OK)
            rc = put(b, "'");
    }
    if (rc == TX_OK)
        rc = put(b, ";\n");
    return rc == TX_OK ? TX_OK : TX_ENOMEM;
}

/* ---- the refresh ---- */

static int exec_ddl(tx_conn *c, const tx_store_table *t, const char *suffix, int with_indexes,
                    tx_error *err)
{
    tx_buf b = {0};
    if (tx_store_table_ddl(t, suffix, with_indexes, &b) != TX_OK)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    b.p[b.len - 2] = '\0'; /* no ";\n" */
    int rc = tx_conn_exec(c, b.p, err);
    tx_buf_free(&b);
    return rc;
}

/* "`a`, `b`, ..." of every column of t into out. */
static int column_list(const tx_store_table *t, tx_buf *out)
{
    int rc = TX_OK;
    for (size_t i = 0; i < t->ncols && rc == TX_OK; i++) {
        char one[80];
        snprintf(one, sizeof one, "%s`%s`", i ? ", " : "", t->cols[i].name);
        rc = put(out, one);
    }
    return rc;
}

int tx_store_refresh_begin(tx_store_db *db, const tx_store_table *tables, size_t n,
                           tx_store_refresh **out, tx_error *err)
{
    *out = NULL;
    if (db->refresh)
        return tx_error_set(err, TX_ERR, "%s: a refresh is already under way on this "
                            "connection", tx_conn_label(db->conn));
    tx_store_refresh *r = calloc(1, sizeof *r);
    if (!r)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    r->db = db;
    r->tables = tables;
    r->n = n;
    snprintf(r->lock, sizeof r->lock, "txetl_publish.%s", tx_conn_database(db->conn));
    uint64_t got = 0;
    int rc = TX_OK;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT GET_LOCK('%s', 60)", r->lock);
    rc = tx_conn_query_u64(db->conn, sql, &got, NULL, err);
    if (rc == TX_OK && got != 1)
        rc = tx_error_set(err, TX_ERR, "%s: another txetl publish holds lock '%s' for more "
                          "than 60 s; try again when it has finished",
                          tx_conn_label(db->conn), r->lock);
    r->locked = rc == TX_OK;
    db->refresh = r;
    for (size_t i = 0; i < n && rc == TX_OK; i++) {
        const tx_store_table *t = &tables[i];
        rc = exec_ddl(db->conn, t, "", 1, err);
        if (rc == TX_OK)
            rc = tx_conn_execf(db->conn, err, "DROP TABLE IF EXISTS `%s_new`, `%s_old`", t->name,
                               t->name);
        if (rc == TX_OK)
            rc = exec_ddl(db->conn, t, "_new", 0, err);
        if (rc == TX_OK && t->history) {
            tx_buf cols = {0};
            if (column_list(t, &cols) != TX_OK)
                rc = tx_error_set(err, TX_ENOMEM, "out of memory");
            else
                rc = tx_conn_execf(db->conn, err, "INSERT INTO `%s_new` (%s) SELECT %s FROM `%s`",
                                   t->name, cols.p, cols.p, t->name);
            tx_buf_free(&cols);
        }
    }
    if (rc != TX_OK) {
        tx_store_refresh_end(&db->refresh);
        return rc;
    }
    *out = r;
    return TX_OK;
}

int tx_store_refresh_load(tx_store_refresh *r, size_t table, tx_buf *rows, uint64_t n,
                          tx_error *err)
{
    const tx_store_table *t = &r->tables[table];
    tx_buf cols = {0};
    char name[160];
    snprintf(name, sizeof name, "`%s_new`", t->name);
    int rc = put(&cols, "(") == TX_OK && column_list(t, &cols) == TX_OK && put(&cols, ")") == TX_OK
                 ? TX_OK
                 : tx_error_set(err, TX_ENOMEM, "out of memory");
    if (rc == TX_OK)
        rc = tx_conn_load(r->db->conn, name, t->history, cols.p, rows->p, rows->len, n, err);
    tx_buf_free(&cols);
    tx_buf_free(rows);
    return rc;
}

int tx_store_refresh_commit(tx_store_refresh *r, tx_error *err)
{
    tx_conn *c = r->db->conn;
    int rc = TX_OK;
    for (size_t i = 0; i < r->n && rc == TX_OK; i++) {
        const tx_store_table *t = &r->tables[i];
        tx_buf b = {0};
        char head[160];
        snprintf(head, sizeof head, "ALTER TABLE `%s_new`", t->name);
        int any = 0;
        if (put(&b, head) != TX_OK)
            rc = tx_error_set(err, TX_ENOMEM, "out of memory");
        for (size_t k = 0; k < TX_STORE_MAX_INDEXES && t->indexes[k] && rc == TX_OK; k++) {
            char name[128], add[192];
            index_name(t->indexes[k], name, sizeof name);
            snprintf(add, sizeof add, "%s ADD KEY `%s` (", any ? "," : "", name);
            if (put(&b, add) != TX_OK || put_cols(&b, t->indexes[k]) != TX_OK ||
                put(&b, ")") != TX_OK)
                rc = tx_error_set(err, TX_ENOMEM, "out of memory");
            any = 1;
        }
        if (rc == TX_OK && any)
            rc = tx_conn_exec(c, b.p, err);
        tx_buf_free(&b);
    }
    /* the swap: one statement, so readers see all old tables or all new ones */
    tx_buf sw = {0};
    if (rc == TX_OK && put(&sw, "RENAME TABLE ") != TX_OK)
        rc = tx_error_set(err, TX_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->n && rc == TX_OK; i++) {
        const char *nm = r->tables[i].name;
        char one[400];
        snprintf(one, sizeof one, "%s`%s` TO `%s_old`, `%s_new` TO `%s`", i ? ", " : "", nm, nm,
                 nm, nm);
        if (put(&sw, one) != TX_OK)
            rc = tx_error_set(err, TX_ENOMEM, "out of memory");
    }
    if (rc == TX_OK)
        rc = tx_conn_exec(c, sw.p, err);
    tx_buf_free(&sw);
    if (rc == TX_OK)
        r->committed = 1;
    for (size_t i = 0; i < r->n && rc == TX_OK; i++)
        rc = tx_conn_execf(c, err, "DROP TABLE IF EXISTS `%s_old`", r->tables[i].name);
    return rc;
}

void tx_store_refresh_end(tx_store_refresh **rp)
{
    tx_store_refresh *r = *rp;
    if (!r)
        return;
    tx_conn *c = r->db->conn;
    tx_error ignore = {0};
    for (size_t i = 0; !r->committed && i < r->n; i++)
        tx_conn_execf(c, &ignore, "DROP TABLE IF EXISTS `%s_new`", r->tables[i].name);
    if (r->locked) {
        char sql[256];
        uint64_t v;
        snprintf(sql, sizeof sql, "SELECT RELEASE_LOCK('%s')", r->lock);
        tx_conn_query_u64(c, sql, &v, NULL, &ignore);
    }
    r->db->refresh = NULL;
    free(r);
    *rp = NULL;
}
