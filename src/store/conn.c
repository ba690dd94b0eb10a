/* conn.c - one connection to a shard (store_internal.h): connect and reconnect, statements
 * with retries, explicit transactions, results handed over row by row, LOAD DATA LOCAL from
 * memory. The only file of txetl that includes mysql.h. */
#include <ctype.h>
#include <mysql.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "store_internal.h"
#include "txetl/log.h"

#define STREAM_NAME "txetl-stream"

struct tx_conn {
    MYSQL *m;
    int index;
    char group[64];  /* the shard file's group: shard<index>, or analytics, router, ... */
    char label[96];  /* names the server in messages: "shard 3", "analytics server" */
    char path[4096];
    char database[65];
    char db_option[256]; /* the shard file's `database` option ("" = none) */
    int mode;      /* tx_conn_mode: whether connecting may create the database */
    int db_exists; /* the database exists and is current (else information_schema is) */
    int in_txn;  /* a transaction is open: a lost connection or deadlock cannot be retried */
    int locked;  /* holds the run lock: taken again after a reconnect */
    /* what the local-infile handler serves: only this buffer, only under STREAM_NAME */
    const char *src;
    size_t src_len, src_pos;
    int refused;
    char refused_name[256];
};

static int li_init(void **ptr, const char *filename, void *userdata)
{
    tx_conn *s = userdata;
    *ptr = s;
    if (strcmp(filename, STREAM_NAME) != 0 || s->src == NULL) {
        s->refused = 1;
        snprintf(s->refused_name, sizeof s->refused_name, "%s", filename);
        return 1;
    }
    s->src_pos = 0;
    return 0;
}

static int li_read(void *ptr, char *buf, unsigned int len)
{
    tx_conn *s = ptr;
    size_t n = s->src_len - s->src_pos;
    if (n > len)
        n = len;
    memcpy(buf, s->src + s->src_pos, n);
    s->src_pos += n;
    return (int)n;
}

static void li_end(void *ptr)
{
    (void)ptr;
}

static int li_error(void *ptr, char *msg, unsigned int len)
{
    tx_conn *s = ptr;
    snprintf(msg, len, "txetl refused the server's request for local file '%s'",
             s->refused_name);
    return 2000;
}

static int valid_identifier(const char *s)
{
    if (!*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '$')
            return 0;
    return 1;
}

/* A shard reached over TCP whose host stops answering (its link down, the machine gone) is
 * noticed in about 30 s whatever the kernel's defaults (which wait ~15 minutes for a peer that
 * holds unacknowledged data, and 2 hours before a keepalive): keepalive after 10 s idle, every
 * 5 s, 3 probes, and TCP_USER_TIMEOUT 30 s for data sent but not acknowledged. A long statement
 * on a live server is not cut: its server acknowledges the packets. Unix sockets: nothing. */
static void tcp_liveness(MYSQL *m)
{
    int fd = (int)mysql_get_socket(m), on = 1, idle = 10, intvl = 5, cnt = 3;
    unsigned int user_timeout_ms = 30000;
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) != 0 ||
        (sa.ss_family != AF_INET && sa.ss_family != AF_INET6))
        return;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
}

/* (Re)connects s->m from the option file: timeouts, our local-infile handler, the database
 * (created when absent in TX_CONN_CREATE mode only) and the session settings. */
static int connect_shard(tx_conn *s, tx_error *err)
{
    if (s->m)
        mysql_close(s->m);
    if (!(s->m = mysql_init(NULL)))
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    const char *group = s->group;
    unsigned int connect_timeout = 10, rw_timeout = 3600;
    const char *env = getenv("TXETL_SQL_TIMEOUT");
    if (env && atoi(env) > 0)
        rw_timeout = (unsigned)atoi(env);
    unsigned int local_infile = 1;
    mysql_optionsv(s->m, MYSQL_READ_DEFAULT_FILE, s->path);
    mysql_optionsv(s->m, MYSQL_READ_DEFAULT_GROUP, group);
    mysql_optionsv(s->m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_optionsv(s->m, MYSQL_OPT_READ_TIMEOUT, &rw_timeout);
    mysql_optionsv(s->m, MYSQL_OPT_WRITE_TIMEOUT, &rw_timeout);
    mysql_optionsv(s->m, MYSQL_OPT_LOCAL_INFILE, &local_infile);
    mysql_optionsv(s->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    /* Our handler before connecting: the client library's default one would send the server
     * any file it names in answer to a statement run during connect (an init-command of the
     * shard file). */
    mysql_set_local_infile_handler(s->m, li_init, li_read, li_end, li_error, s);
    /* Connect to information_schema (always there): our database may not exist yet. */
    if (!mysql_real_connect(s->m, NULL, NULL, NULL, "information_schema", 0, NULL,
                            CLIENT_LOCAL_FILES | CLIENT_REMEMBER_OPTIONS))
        return tx_error_set(err, TX_ERR, "%s ([%s] in %s): cannot connect: %s", s->label,
                            group, s->path, mysql_error(s->m));
    tcp_liveness(s->m);
    /* The shard file's `database`, from our own reading of the file (tx_conn_open): the
     * client library has no getter for it once another database was passed to connect. */
    const char *db = s->db_option[0] ? s->db_option : "Customer";
    if (!valid_identifier(db))
        return tx_error_set(err, TX_EUSAGE, "%s ([%s] in %s): database name '%s' is not a "
                            "plain identifier", s->label, group, s->path, db);
    snprintf(s->database, sizeof s->database, "%s", db);
    s->in_txn = 0;
    int rc = TX_OK;
    if (s->mode == TX_CONN_CREATE) {
        rc = tx_conn_execf(s, err, "CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4",
                           s->database);
        s->db_exists = rc == TX_OK;
    } else {
        /* Reading creates nothing: whether the database exists, from information_schema. */
        char q[160];
        uint64_t got = 0;
        snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE "
                 "SCHEMA_NAME = '%s'", s->database);
        rc = tx_conn_query_u64(s, q, &got, NULL, err);
        s->db_exists = rc == TX_OK && got > 0;
        if (rc == TX_OK && !s->db_exists && s->mode == TX_CONN_EXISTING) {
            char where[300];
            return tx_error_set(err, TX_EUSAGE, "shard %d: database %s does not exist on %s: "
                                "check database= in [%s] of %s (a load creates a missing "
                                "database; this command only reads)", s->index, s->database, tx_conn_where(s, where,
                                sizeof where), group, s->path);
        }
    }
    if (rc == TX_OK && s->db_exists)
        rc = tx_conn_execf(s, err, "USE `%s`", s->database);
    if (rc == TX_OK)
        rc = tx_conn_exec(s, "SET SESSION time_zone = '+00:00', "
                              "sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,"
                              "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'", err);
    return rc;
}

int tx_conn_has_table(tx_conn *s, const char *name, int *has, tx_error *err)
{
    *has = 0;
    if (!s->db_exists)
        return TX_OK;
    uint64_t got = 0;
    char q[200];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
             "DATABASE() AND TABLE_NAME = '%s'", name);
    int rc = tx_conn_query_u64(s, q, &got, NULL, err);
    *has = rc == TX_OK && got > 0;
    return rc;
}

int tx_conn_create_database(tx_conn *s, tx_error *err)
{
    if (s->db_exists)
        return TX_OK;
    int rc = tx_conn_execf(s, err, "CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4",
                           s->database);
    if (rc == TX_OK)
        rc = tx_conn_execf(s, err, "USE `%s`", s->database);
    if (rc == TX_OK) {
        s->db_exists = 1;
        s->mode = TX_CONN_EXISTING; /* a reconnect USEs it */
    }
    return rc;
}

int tx_conn_database_exists(const tx_conn *s) { return s->db_exists; }

const char *tx_conn_where(const tx_conn *s, char *out, size_t size)
{
    const char *info = s->m ? mysql_get_host_info(s->m) : NULL;
    if (info && strstr(info, "socket") && s->m->unix_socket)
        snprintf(out, size, "the server at socket %s", s->m->unix_socket);
    else if (s->m && s->m->host)
        snprintf(out, size, "the server at %s port %u", s->m->host, s->m->port);
    else
        snprintf(out, size, "the server of [shard%d] in %s", s->index, s->path);
    return out;
}

int tx_conn_open(const char *path, int index, tx_conn **out, tx_error *err)
{
    return tx_conn_open_mode(path, index, TX_CONN_CREATE, out, err);
}

int tx_conn_open_mode(const char *path, int index, int mode, tx_conn **out, tx_error *err)
{
    *out = NULL;
    tx_conn *s = calloc(1, sizeof *s);
    if (!s)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    s->index = index;
    snprintf(s->group, sizeof s->group, "shard%d", index);
    snprintf(s->label, sizeof s->label, "shard %d", index);
    s->mode = mode;
    snprintf(s->path, sizeof s->path, "%s", path);
    int rc = tx_shardfile_database(path, index, s->db_option, sizeof s->db_option, err);
    if (rc == TX_OK)
        rc = connect_shard(s, err);
    if (rc != TX_OK) {
        tx_conn_close(&s);
        return rc;
    }
    *out = s;
    return TX_OK;
}

int tx_conn_run_lock(tx_conn *s, tx_error *err)
{
    uint64_t got = 0;
    int null;
    int rc = tx_conn_query_u64(s, "SELECT GET_LOCK('txetl_run', 0)", &got, &null, err);
    if (rc != TX_OK)
        return rc;
    if (got != 1)
        return tx_error_set(err, TX_ERR, "shard %d is locked by another txetl run (lock "
                            "'txetl_run' held); try again when it has finished", s->index);
    s->locked = 1;
    return TX_OK;
}

/* Runs a statement; transient failures outside a transaction (lock wait timeout, deadlock, a
 * lost connection: reconnect, retake the run lock) are retried 3 times with backoff. */
static int query_retry(tx_conn *s, const char *sql, size_t len)
{
    for (int attempt = 1;; attempt++) {
        if (mysql_real_query(s->m, sql, len) == 0)
            return 0;
        unsigned e = mysql_errno(s->m);
        int lost = e == 2006 || e == 2013 || e == 2055;
        if ((!lost && e != 1205 && e != 1213) || s->in_txn || attempt > 3)
            return -1;
        double wait = 0.5 * (double)(1 << (attempt - 1));
        TX_LOG(TX_LOG_WARN, "%s: %s (error %u); retry %d of 3 in %.1f s", s->label,
               mysql_error(s->m), e, attempt, wait);
        struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
        nanosleep(&ts, NULL);
        if (lost) {
            tx_error rerr = {0};
            int locked = s->locked;
            s->locked = 0;
            if (connect_shard(s, &rerr) != TX_OK || (locked && tx_conn_run_lock(s, &rerr))) {
                TX_LOG(TX_LOG_WARN, "%s", rerr.msg);
                s->locked = locked;
                if (attempt == 3)
                    return -1;
            }
        }
    }
}

void tx_conn_close(tx_conn **sp)
{
    tx_conn *s = *sp;
    if (!s)
        return;
    if (s->m)
        mysql_close(s->m);
    free(s);
    *sp = NULL;
}

int tx_conn_index(const tx_conn *s) { return s->index; }
const char *tx_conn_database(const tx_conn *s) { return s->database; }

static int fail(tx_conn *s, tx_error *err, const char *sql)
{
    char head[160];
    snprintf(head, sizeof head, "%s", sql);
    for (char *p = head; *p; p++)
        if (*p == '\n')
            *p = ' ';
    return tx_error_set(err, TX_ERR, "%s: %s (error %u) in: %.120s%s", s->label,
                        mysql_error(s->m), mysql_errno(s->m), head,
                        strlen(sql) > 120 ? "..." : "");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int drain(tx_conn *s, const char *sql, tx_error *err);

int tx_conn_exec(tx_conn *s, const char *sql, tx_error *err)
{
    double t0 = now_s();
    if (query_retry(s, sql, strlen(sql)) != 0)
        return fail(s, err, sql);
    TX_LOG(TX_LOG_DEBUG, "shard %d: %.3f s: %.90s", s->index, now_s() - t0, sql);
    return drain(s, sql, err);
}

/* Reads and frees every result set of the statement just run. */
static int drain(tx_conn *s, const char *sql, tx_error *err)
{
    do {
        MYSQL_RES *r = mysql_store_result(s->m);
        if (r)
            mysql_free_result(r);
        else if (mysql_field_count(s->m) != 0)
            return fail(s, err, sql);
    } while (mysql_next_result(s->m) == 0);
    if (mysql_errno(s->m))
        return fail(s, err, sql);
    return TX_OK;
}

int tx_conn_execf(tx_conn *s, tx_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *sql = NULL;
    int n = vasprintf(&sql, fmt, ap);
    va_end(ap);
    if (n < 0)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    int rc = tx_conn_exec(s, sql, err);
    free(sql);
    return rc;
}

/* A transaction statement: `open` is whether a transaction is open once it succeeded. */
static int txn_statement(tx_conn *s, const char *sql, int open, tx_error *err)
{
    double t0 = now_s();
    if (query_retry(s, sql, strlen(sql)) != 0)
        return fail(s, err, sql);
    TX_LOG(TX_LOG_DEBUG, "shard %d: %.3f s: %s", s->index, now_s() - t0, sql);
    s->in_txn = open;
    return drain(s, sql, err);
}

int tx_conn_begin(tx_conn *s, tx_error *err)
{
    return txn_statement(s, "START TRANSACTION", 1, err);
}

int tx_conn_commit(tx_conn *s, tx_error *err)
{
    return txn_statement(s, "COMMIT", 0, err);
}

int tx_conn_rollback(tx_conn *s, tx_error *err)
{
    return txn_statement(s, "ROLLBACK", 0, err);
}

static int query(tx_conn *s, const char *sql, int stream, MYSQL_RES **res, tx_error *err)
{
    *res = NULL;
    double t0 = now_s();
    if (query_retry(s, sql, strlen(sql)) != 0)
        return fail(s, err, sql);
    TX_LOG(TX_LOG_DEBUG, "shard %d: %.3f s: %.90s", s->index, now_s() - t0, sql);
    *res = stream ? mysql_use_result(s->m) : mysql_store_result(s->m);
    if (!*res)
        return fail(s, err, sql);
    return TX_OK;
}

int tx_conn_query_u64(tx_conn *s, const char *sql, uint64_t *out, int *is_null, tx_error *err)
{
    MYSQL_RES *r;
    int rc = query(s, sql, 0, &r, err);
    if (rc != TX_OK)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(r);
    *out = 0;
    if (is_null)
        *is_null = 1;
    if (row && row[0]) {
        *out = strtoull(row[0], NULL, 10);
        if (is_null)
            *is_null = 0;
    }
    mysql_free_result(r);
    return TX_OK;
}

int tx_conn_query_text(tx_conn *s, const char *sql, char *out, size_t size, tx_error *err)
{
    MYSQL_RES *r;
    int rc = query(s, sql, 0, &r, err);
    if (rc != TX_OK)
        return rc;
    MYSQL_ROW row = mysql_fetch_row(r);
    const unsigned long *len = row ? mysql_fetch_lengths(r) : NULL;
    if (size)
        snprintf(out, size, "%.*s", row && row[0] ? (int)len[0] : 0, row && row[0] ? row[0] : "");
    mysql_free_result(r);
    return TX_OK;
}

int tx_conn_query_rows(tx_conn *s, const char *sql, const tx_conn_reader *rd, tx_error *err)
{
    MYSQL_RES *r;
    int rc = query(s, sql, rd->stream, &r, err);
    if (rc != TX_OK)
        return rc;
    unsigned nf = mysql_num_fields(r);
    if (rd->head) {
        MYSQL_FIELD *f = mysql_fetch_fields(r);
        char **names = malloc((nf ? nf : 1) * sizeof *names);
        if (!names)
            rc = tx_error_set(err, TX_ENOMEM, "out of memory");
        for (unsigned i = 0; names && i < nf; i++)
            names[i] = f[i].name;
        if (rc == TX_OK)
            rc = rd->head(rd->ctx, nf, names, err);
        free(names);
    }
    MYSQL_ROW row;
    while (rc == TX_OK && (row = mysql_fetch_row(r)))
        rc = rd->row(rd->ctx, nf, row, mysql_fetch_lengths(r), err);
    if (rc == TX_OK && mysql_errno(s->m))
        rc = tx_error_set(err, TX_ERR, "%s: reading %s: %s", s->label,
                          rd->what ? rd->what : "rows", mysql_error(s->m));
    mysql_free_result(r); /* the rest of a streamed result is read and dropped */
    return rc;
}

int tx_conn_load(tx_conn *s, const char *table, int replace, const char *columns,
                  const char *buf, size_t len, uint64_t rows, tx_error *err)
{
    if (rows == 0)
        return TX_OK;
    char *sql = NULL;
    if (asprintf(&sql, "LOAD DATA LOCAL INFILE '" STREAM_NAME "' %sINTO TABLE %s CHARACTER SET "
                       "utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED "
                       "BY '\\n' %s", replace ? "REPLACE " : "", table, columns) < 0)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    s->src = buf;
    s->src_len = len;
    s->src_pos = 0;
    s->refused = 0;
    int rc = TX_OK;
    double t0 = now_s();
    if (query_retry(s, sql, strlen(sql)) != 0) {
        rc = s->refused ? tx_error_set(err, TX_ERR, "%s: the server asked for local file "
                                       "'%s', which txetl refuses to send", s->label,
                                       s->refused_name)
                        : fail(s, err, sql);
        goto out;
    }
    TX_LOG(TX_LOG_DEBUG, "shard %d: %.3f s: LOAD DATA of %zu bytes into %s", s->index,
           now_s() - t0, len, table);
    /* "Records: N  Deleted: D  Skipped: S  Warnings: W" (REPLACE counts replaced rows in
     * affected rows, so the records read are what must match) */
    unsigned long long got = 0, deleted = 0, skipped = 0, warns = 0;
    const char *info = mysql_info(s->m);
    if (!info || sscanf(info, "Records: %llu Deleted: %llu Skipped: %llu Warnings: %llu", &got,
                        &deleted, &skipped, &warns) != 4)
        got = mysql_affected_rows(s->m);
    unsigned warnings = mysql_warning_count(s->m);
    if (warnings != 0 || got != rows || skipped != 0) {
        char first[512] = "";
        MYSQL_RES *r;
        tx_error ignore = {0};
        if (warnings && query(s, "SHOW WARNINGS LIMIT 1", 0, &r, &ignore) == TX_OK) {
            MYSQL_ROW row = mysql_fetch_row(r);
            if (row && row[2])
                snprintf(first, sizeof first, ": %s", row[2]);
            mysql_free_result(r);
        }
        rc = tx_error_set(err, TX_ERR, "%s: LOAD DATA into %s stored %llu of %llu rows "
                          "with %u warnings%s", s->label, table, (unsigned long long)got,
                          (unsigned long long)rows, warnings, first);
    }
out:
    s->src = NULL;
    free(sql);
    return rc;
}

void tx_conn_escape(tx_conn *s, char *out, const char *in, size_t len)
{
    mysql_real_escape_string(s->m, out, in, (unsigned long)len);
}


/* ---- servers that are not shards (the analytics database, the router) ------------------- */

int tx_conn_open_group(const char *path, const char *group, const char *database,
                       const char *label, tx_conn **out, tx_error *err)
{
    *out = NULL;
    tx_conn *s = calloc(1, sizeof *s);
    if (!s)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    s->index = -1;
    snprintf(s->group, sizeof s->group, "%s", group);
    snprintf(s->label, sizeof s->label, "%s", label);
    snprintf(s->path, sizeof s->path, "%s", path);
    snprintf(s->db_option, sizeof s->db_option, "%s", database);
    int rc = connect_shard(s, err);
    if (rc != TX_OK) {
        tx_conn_close(&s);
        return rc;
    }
    *out = s;
    return TX_OK;
}

const char *tx_conn_label(const tx_conn *s) { return s->label; }

int tx_conn_exec_secret(tx_conn *s, const char *sql, const char *what, tx_error *err)
{
    double t0 = now_s();
    if (query_retry(s, sql, strlen(sql)) != 0)
        return tx_error_set(err, TX_ERR, "%s: %s (error %u) in: %s", s->label, mysql_error(s->m),
                            mysql_errno(s->m), what);
    TX_LOG(TX_LOG_DEBUG, "%s: %.3f s: %s", s->label, now_s() - t0, what);
    do {
        MYSQL_RES *r = mysql_store_result(s->m);
        if (r)
            mysql_free_result(r);
    } while (mysql_next_result(s->m) == 0);
    if (mysql_errno(s->m))
        return tx_error_set(err, TX_ERR, "%s: %s (error %u) in: %s", s->label, mysql_error(s->m),
                            mysql_errno(s->m), what);
    return TX_OK;
}

/* The connection's own fields hold what the client library read from the shard file:
 * Connector/C's MYSQL keeps host, port, unix_socket, user and passwd of the live connection. */
int tx_conn_endpoint(const tx_conn *s, tx_conn_endpoint_t *e)
{
    memset(e, 0, sizeof *e);
    const MYSQL *m = s->m;
    const char *sock = m->unix_socket;
    e->is_socket = sock != NULL && *sock != '\0';
    snprintf(e->host, sizeof e->host, "%s", m->host ? m->host : "localhost");
    snprintf(e->socket, sizeof e->socket, "%s", e->is_socket ? sock : "");
    snprintf(e->user, sizeof e->user, "%s", m->user ? m->user : "");
    snprintf(e->password, sizeof e->password, "%s", m->passwd ? m->passwd : "");
    e->port = m->port;
    e->tls = mysql_get_ssl_cipher(s->m) != NULL;
    return TX_OK;
}
