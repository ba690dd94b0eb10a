/* store_router.c - the Spider router's statements (tx_store_router_build, store.h): one
 * CREATE SERVER per shard from the shard file's connection options, and the shards' tables
 * as Spider tables partitioned by the shard map's date ranges. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "store_serve.h"
#include "txetl/fmt.h"
#include "txetl/log.h"

/* The tables the router presents, each partitioned on this column. */
static const char *const router_tables[] = {"TransactionsOptimized", "revenue_daily"};
enum { NTABLES = sizeof router_tables / sizeof *router_tables };
#define PART_COLUMN "transaction_date"
/* CREATE SERVER keeps at most 64 bytes of a string option (longer ones are cut silently). */
#define SERVER_OPT_MAX 64

typedef struct create_ctx {
    char *ddl; /* the CREATE TABLE statement of the shard */
} create_ctx;

static int create_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    create_ctx *c = ctx;
    if (n < 2 || !v[1])
        return tx_error_set(err, TX_ERR, "SHOW CREATE TABLE returned no statement");
    free(c->ddl);
    c->ddl = strndup(v[1], len[1]);
    return c->ddl ? TX_OK : tx_error_set(err, TX_ENOMEM, "out of memory");
}

/* Copies the value of `key=` among the table options (tail of SHOW CREATE TABLE) into out. */
static void table_option(const char *tail, const char *key, char *out, size_t cap)
{
    out[0] = '\0';
    const char *p = strstr(tail, key);
    if (!p)
        return;
    p += strlen(key);
    size_t n = strcspn(p, " \n");
    snprintf(out, cap, "%.*s", (int)n, p);
}

/* The column and key definitions of shard 0's table `name` (the text between the outer
 * parentheses of its CREATE TABLE) and its charset and collation. */
static int shard_table_body(tx_conn *shard0, const char *name, char **body, char *charset,
                            char *collate, tx_error *err)
{
    *body = NULL;
    create_ctx c = {NULL};
    const tx_conn_reader rd = {.what = "SHOW CREATE TABLE", .row = create_row, .ctx = &c};
    char sql[160];
    snprintf(sql, sizeof sql, "SHOW CREATE TABLE `%s`", name);
    int rc = tx_conn_query_rows(shard0, sql, &rd, err);
    if (rc != TX_OK) {
        free(c.ddl);
        return rc;
    }
    const char *open = c.ddl ? strchr(c.ddl, '(') : NULL;
    const char *close = c.ddl ? strstr(c.ddl, ") ENGINE=") : NULL;
    if (!open || !close || close < open) {
        free(c.ddl);
        return tx_error_set(err, TX_ERR, "shard 0: cannot read the definition of %s from SHOW "
                            "CREATE TABLE", name);
    }
    table_option(close, "CHARSET=", charset, 64);
    table_option(close, "COLLATE=", collate, 64);
    *body = strndup(open + 1, (size_t)(close - open - 1));
    free(c.ddl);
    return *body ? TX_OK : tx_error_set(err, TX_ENOMEM, "out of memory");
}

/* Appends printf output to b. */
static int bprintf(tx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bprintf(tx_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0 || tx_buf_reserve(b, (size_t)n + 1) != TX_OK) {
        free(s);
        return TX_ENOMEM;
    }
    memcpy(b->p + b->len, s, (size_t)n + 1);
    b->len += (size_t)n;
    free(s);
    return TX_OK;
}

/* The shard's connection options for CREATE SERVER, each checked against the 64-byte limit:
 * `opts` receives "OPTIONS (...)" (holding the password). */
static int server_options(tx_conn *router, tx_conn *shard, int index, const char *path,
                          tx_buf *opts, int *tls, tx_error *err)
{
    tx_conn_endpoint_t e;
    tx_conn_endpoint(shard, &e);
    *tls = e.tls;
    const char *db = tx_conn_database(shard);
    const struct {
        const char *name, *value;
    } check[] = {{"socket", e.socket}, {"host", e.host}, {"user", e.user},
                 {"password", e.password}, {"database", db}};
    for (size_t i = 0; i < sizeof check / sizeof *check; i++)
        if (strlen(check[i].value) > SERVER_OPT_MAX)
            return tx_error_set(err, TX_EUSAGE, "shard file %s, [shard%d]: %s is %zu bytes; the "
                                "router's CREATE SERVER keeps at most %d (%s)", path, index,
                                check[i].name, strlen(check[i].value), SERVER_OPT_MAX,
                                !strcmp(check[i].name, "socket")
                                    ? "use a shorter socket path, or host and port"
                                    : "shorten it");
    char h[2 * 256 + 1], s[2 * 4096 + 1], u[2 * 128 + 1], p[2 * 256 + 1], d[2 * 65 + 1];
    tx_conn_escape(router, h, e.is_socket ? "localhost" : e.host,
                   strlen(e.is_socket ? "localhost" : e.host));
    tx_conn_escape(router, s, e.socket, strlen(e.socket));
    tx_conn_escape(router, u, e.user, strlen(e.user));
    tx_conn_escape(router, p, e.password, strlen(e.password));
    tx_conn_escape(router, d, db, strlen(db));
    int rc;
    if (e.is_socket)
        rc = bprintf(opts, "OPTIONS (HOST '%s', SOCKET '%s', DATABASE '%s', USER '%s', "
                     "PASSWORD '%s')", h, s, d, u, p);
    else
        rc = bprintf(opts, "OPTIONS (HOST '%s', PORT %u, DATABASE '%s', USER '%s', "
                     "PASSWORD '%s')", h, e.port, d, u, p);
    memset(p, 0, sizeof p);
    memset(e.password, 0, sizeof e.password);
    return rc == TX_OK ? TX_OK : tx_error_set(err, TX_ENOMEM, "out of memory");
}

typedef struct names_ctx {
    const char *prefix;
    int nshards;
    char (*stale)[80];
    int nstale, cap;
} names_ctx;

static int server_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len, (void)err;
    names_ctx *c = ctx;
    const char *tail = v[0] + strlen(c->prefix);
    char *end;
    long idx = strtol(tail, &end, 10);
    if (*tail && !*end && idx >= c->nshards && c->nstale < c->cap)
        snprintf(c->stale[c->nstale++], 80, "%s", v[0]);
    return TX_OK;
}

/* Drops the servers <prefix><i> with i >= nshards (an earlier, larger map). */
static int drop_stale_servers(tx_conn *router, const char *prefix, int nshards, int *dropped,
                              tx_error *err)
{
    char stale[64][80];
    names_ctx c = {prefix, nshards, stale, 0, 64};
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT Server_name FROM mysql.servers WHERE Server_name LIKE "
             "'%s%%'", prefix);
    const tx_conn_reader rd = {.what = "mysql.servers", .row = server_row, .ctx = &c};
    int rc = tx_conn_query_rows(router, sql, &rd, err);
    for (int i = 0; i < c.nstale && rc == TX_OK; i++)
        rc = tx_conn_execf(router, err, "DROP SERVER IF EXISTS `%s`", stale[i]);
    *dropped = rc == TX_OK ? c.nstale : 0;
    return rc;
}

/* CREATE TABLE `<name>_new` as a Spider table over every shard's `<name>`. */
static int spider_table(tx_conn *router, const char *name, const char *body,
                        const char *charset, const char *collate, const char *prefix,
                        int nshards, const int32_t *bound, char (*dbs)[65], tx_error *err)
{
    tx_buf b = {0};
    /* no COMMENT: Spider reads a table's comment as its connection parameters */
    int rc = bprintf(&b, "CREATE TABLE `%s_new` (%s) ENGINE=SPIDER DEFAULT CHARSET=%s%s%s "
                     "PARTITION BY RANGE COLUMNS(`" PART_COLUMN "`) (",
                     name, body, charset[0] ? charset : "utf8mb4", collate[0] ? " COLLATE=" : "",
                     collate);
    for (int i = 0; i < nshards && rc == TX_OK; i++) {
        char lim[40] = "MAXVALUE";
        if (i + 1 < nshards) {
            char d[16];
            snprintf(lim, sizeof lim, "'%s'", tx_format_date(bound[i + 1], d));
        }
        rc = bprintf(&b, "%sPARTITION `s%d` VALUES LESS THAN (%s) REMOTE_SERVER='%s%d' "
                     "REMOTE_DATABASE='%s' REMOTE_TABLE='%s'", i ? ", " : "", i, lim, prefix, i,
                     dbs[i], name);
    }
    if (rc == TX_OK)
        rc = bprintf(&b, ")");
    if (rc != TX_OK) {
        tx_buf_free(&b);
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    }
    rc = tx_conn_execf(router, err, "DROP TABLE IF EXISTS `%s_new`", name);
    if (rc == TX_OK)
        rc = tx_conn_exec(router, b.p, err);
    tx_buf_free(&b);
    return rc;
}

int tx_store_router_build(tx_store_db *db, const char *path, int nshards, const int32_t *bound,
                          tx_store_router_result *res, tx_error *err)
{
    memset(res, 0, sizeof *res);
    tx_conn *router = db->conn;
    const char *rdb = tx_conn_database(router);
    res->nshards = nshards;
    snprintf(res->server_prefix, sizeof res->server_prefix, "txetl_%s_shard", rdb);
    char (*dbs)[65] = calloc((size_t)nshards, sizeof *dbs);
    char *body[NTABLES] = {NULL};
    char charset[NTABLES][64], collate[NTABLES][64];
    if (!dbs)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    int rc = TX_OK;
    for (int i = 0; i < nshards && rc == TX_OK; i++) {
        tx_conn *shard = NULL;
        tx_buf opts = {0};
        int tls = 0;
        rc = tx_conn_open(path, i, &shard, err);
        if (rc == TX_OK)
            rc = server_options(router, shard, i, path, &opts, &tls, err);
        if (rc == TX_OK) {
            snprintf(dbs[i], sizeof dbs[i], "%s", tx_conn_database(shard));
            res->tls_shards += tls;
        }
        for (size_t t = 0; i == 0 && t < NTABLES && rc == TX_OK; t++)
            rc = shard_table_body(shard, router_tables[t], &body[t], charset[t], collate[t], err);
        if (rc == TX_OK) {
            char *sql = NULL, what[160];
            snprintf(what, sizeof what, "CREATE OR REPLACE SERVER `%s%d` (options of [shard%d])",
                     res->server_prefix, i, i);
            if (asprintf(&sql, "CREATE OR REPLACE SERVER `%s%d` FOREIGN DATA WRAPPER mysql %s",
                         res->server_prefix, i, opts.p) < 0)
                rc = tx_error_set(err, TX_ENOMEM, "out of memory");
            else
                rc = tx_conn_exec_secret(router, sql, what, err);
            if (sql)
                memset(sql, 0, strlen(sql));
            free(sql);
        }
        if (opts.p)
            memset(opts.p, 0, opts.len);
        tx_buf_free(&opts);
        tx_conn_close(&shard);
    }
    for (size_t t = 0; t < NTABLES && rc == TX_OK; t++)
        rc = spider_table(router, router_tables[t], body[t], charset[t], collate[t],
                          res->server_prefix, nshards, bound, dbs, err);
    /* the swap: both tables in one RENAME (a table absent before is just renamed in) */
    int exists[NTABLES] = {0};
    tx_buf sw = {0};
    for (size_t t = 0; t < NTABLES && rc == TX_OK; t++) {
        uint64_t n = 0;
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                 "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '%s'", router_tables[t]);
        rc = tx_conn_query_u64(router, sql, &n, NULL, err);
        exists[t] = n > 0;
        if (rc == TX_OK && exists[t])
            rc = tx_conn_execf(router, err, "DROP TABLE IF EXISTS `%s_old`", router_tables[t]);
        if (rc == TX_OK && exists[t] &&
            bprintf(&sw, "%s`%s` TO `%s_old`", sw.len ? ", " : "RENAME TABLE ", router_tables[t],
                    router_tables[t]) != TX_OK)
            rc = tx_error_set(err, TX_ENOMEM, "out of memory");
        if (rc == TX_OK && bprintf(&sw, "%s`%s_new` TO `%s`", sw.len ? ", " : "RENAME TABLE ",
                                   router_tables[t], router_tables[t]) != TX_OK)
            rc = tx_error_set(err, TX_ENOMEM, "out of memory");
    }
    if (rc == TX_OK)
        rc = tx_conn_exec(router, sw.p, err);
    tx_buf_free(&sw);
    for (size_t t = 0; t < NTABLES && rc == TX_OK; t++)
        if (exists[t])
            rc = tx_conn_execf(router, err, "DROP TABLE IF EXISTS `%s_old`", router_tables[t]);
    if (rc == TX_OK)
        rc = drop_stale_servers(router, res->server_prefix, nshards, &res->dropped_servers, err);
    if (rc == TX_OK)
        rc = tx_conn_exec(router, "FLUSH TABLES", err);
    if (rc == TX_OK && res->tls_shards)
        TX_LOG(TX_LOG_WARN, "router: %d shard(s) are reached with TLS, but the router's Spider "
               "links to them are not encrypted (CREATE SERVER has no TLS options): keep the "
               "router next to the shards or on a private network", res->tls_shards);
    for (size_t t = 0; t < NTABLES; t++)
        free(body[t]);
    free(dbs);
    return rc;
}
