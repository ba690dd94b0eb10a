/* store_check.c - the MariaDB back end's preflight (store.h): what a group of the shard file
 * reached (server, database, recorded cluster identity, server settings), every txetl table
 * compared with sql/schema.sql, missing indexes re-created, the identity recorded. Everything
 * but tx_mdb_repair_indexes and tx_mdb_identity_write only reads. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store_internal.h"
#include "txetl/alloc.h"
#include "txetl/log.h"
#include "txetl/schema.h"

/* ---- sql/schema.sql, as txetl expects the tables ----------------------------------------- */

enum { MAX_TABLES = 24, MAX_COLS = 24, MAX_KEYS = 6 };

typedef struct want_col {
    char name[64];
    char type[96]; /* normalised: lower case, no integer display width */
    char def[200]; /* the definition as schema.sql writes it (for ALTER TABLE) */
    int not_null;
} want_col;

typedef struct want_key {
    char name[64];
    char cols[160]; /* "a,b" */
    char def[200];  /* "KEY name (a, b)" */
} want_key;

typedef struct want_table {
    char name[64];
    want_col col[MAX_COLS];
    int ncols;
    want_key key[MAX_KEYS];
    int nkeys;
} want_table;

typedef struct want_schema {
    want_table t[MAX_TABLES];
    int n;
} want_schema;

/* Lower case, integer display widths dropped ("bigint(20) unsigned" = "BIGINT UNSIGNED"),
 * blanks collapsed: the form both schema.sql and information_schema.COLUMNS reduce to. */
static void norm_type(const char *in, size_t len, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < size; i++) {
        char c = (char)tolower((unsigned char)in[i]);
        if (c == '(' && o >= 3 && !strncmp(out + o - 3, "int", 3)) {
            while (i < len && in[i] != ')')
                i++;
            continue;
        }
        if (isspace((unsigned char)c)) {
            if (o > 0 && out[o - 1] != ' ')
                out[o++] = ' ';
            continue;
        }
        out[o++] = c;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

/* Copies [b, e) into out with runs of blanks made one space. */
static void squeeze(const char *b, const char *e, char *out, size_t size)
{
    size_t o = 0;
    for (; b < e && o + 1 < size; b++) {
        if (isspace((unsigned char)*b) && o > 0 && out[o - 1] == ' ')
            continue;
        out[o++] = isspace((unsigned char)*b) ? ' ' : *b;
    }
    out[o] = '\0';
}

/* A definition line [b, e) of a CREATE TABLE without its trailing comma and blanks, squeezed
 * into def; returns its new end. */
static const char *line_def(const char *b, const char *e, char *def, size_t size)
{
    while (e > b && (e[-1] == ',' || isspace((unsigned char)e[-1])))
        e--;
    squeeze(b, e, def, size);
    return e;
}

/* One column line "name TYPE [NOT NULL] [DEFAULT ...] ...," of a CREATE TABLE. */
static void parse_col(want_table *t, const char *b, const char *e)
{
    if (t->ncols == MAX_COLS)
        return;
    want_col *c = &t->col[t->ncols++];
    e = line_def(b, e, c->def, sizeof c->def);
    const char *n = b;
    while (n < e && !isspace((unsigned char)*n))
        n++;
    snprintf(c->name, sizeof c->name, "%.*s", (int)(n - b), b);
    while (n < e && isspace((unsigned char)*n))
        n++;
    /* the type ends where NOT NULL / NULL / DEFAULT / AUTO_INCREMENT / PRIMARY starts */
    static const char *const stops[] = {" NOT NULL", " NULL", " DEFAULT", " AUTO_INCREMENT",
                                        " PRIMARY"};
    const char *te = e;
    for (size_t i = 0; i < sizeof stops / sizeof *stops; i++) {
        char probe[40];
        snprintf(probe, sizeof probe, "%s", stops[i]);
        for (const char *p = n; p + strlen(probe) <= e; p++)
            if (!strncasecmp(p, probe, strlen(probe)) && p < te) {
                te = p;
                break;
            }
    }
    norm_type(n, (size_t)(te - n), c->type, sizeof c->type);
    c->not_null = 0;
    for (const char *p = n; p + 8 <= e; p++)
        if (!strncasecmp(p, "NOT NULL", 8))
            c->not_null = 1;
}

/* "KEY name (a, b)" or "KEY (a)" (the server names it after its first column). */
static void parse_key(want_table *t, const char *b, const char *e)
{
    if (t->nkeys == MAX_KEYS)
        return;
    want_key *k = &t->key[t->nkeys++];
    e = line_def(b, e, k->def, sizeof k->def);
    const char *p = b + 3, *open = memchr(b, '(', (size_t)(e - b));
    const char *close = open ? memchr(open, ')', (size_t)(e - open)) : NULL;
    if (!open || !close) {
        t->nkeys--;
        return;
    }
    while (p < open && isspace((unsigned char)*p))
        p++;
    const char *ne = open;
    while (ne > p && isspace((unsigned char)ne[-1]))
        ne--;
    size_t o = 0;
    for (const char *q = open + 1; q < close && o + 1 < sizeof k->cols; q++)
        if (!isspace((unsigned char)*q))
            k->cols[o++] = *q;
    k->cols[o] = '\0';
    if (ne > p) {
        snprintf(k->name, sizeof k->name, "%.*s", (int)(ne - p), p);
    } else {
        size_t n = strcspn(k->cols, ","); /* memcpy: k->cols and k->name share one object */
        if (n >= sizeof k->name)
            n = sizeof k->name - 1;
        memcpy(k->name, k->cols, n);
        k->name[n] = '\0';
    }
}

/* The tables, columns and secondary indexes of sql/schema.sql (as embedded at build time). */
static void parse_schema(want_schema *w)
{
    memset(w, 0, sizeof *w);
    static const char head[] = "CREATE TABLE IF NOT EXISTS ";
    want_table *t = NULL;
    for (const char *p = tx_schema_sql; *p;) {
        const char *eol = strchr(p, '\n');
        const char *e = eol ? eol : p + strlen(p), *b = p;
        p = eol ? eol + 1 : e;
        while (b < e && isspace((unsigned char)*b))
            b++;
        if (b == e || !strncmp(b, "--", 2))
            continue;
        if (!strncmp(b, head, sizeof head - 1)) {
            t = w->n < MAX_TABLES ? &w->t[w->n++] : NULL;
            if (t) {
                const char *nb = b + sizeof head - 1;
                snprintf(t->name, sizeof t->name, "%.*s", (int)strcspn(nb, " ("), nb);
            }
            continue;
        }
        if (!t)
            continue;
        if (*b == ')') {
            t = NULL;
            continue;
        }
        if (!strncmp(b, "KEY ", 4) || !strncmp(b, "KEY(", 4))
            parse_key(t, b, e);
        else if (strncmp(b, "PRIMARY ", 8) && strncmp(b, "UNIQUE ", 7) &&
                 strncmp(b, "CONSTRAINT ", 11) && strncmp(b, "PARTITION ", 10))
            parse_col(t, b, e);
    }
}

/* ---- what the shard has ------------------------------------------------------------------ */

typedef struct have_col {
    char table[64], name[64], type[96];
    int not_null, has_default;
} have_col;

typedef struct have {
    have_col *col;
    size_t n, cap;
    char tables[MAX_TABLES * 4][64];
    int ntables;
} have;

static int col_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len;
    have *h = ctx;
    if (tx_grow(&h->col, &h->cap, h->n, sizeof *h->col, 64) != 0)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    have_col *c = &h->col[h->n++];
    snprintf(c->table, sizeof c->table, "%s", v[0] ? v[0] : "");
    snprintf(c->name, sizeof c->name, "%s", v[1] ? v[1] : "");
    norm_type(v[2] ? v[2] : "", v[2] ? strlen(v[2]) : 0, c->type, sizeof c->type);
    c->not_null = v[3] && !strcmp(v[3], "NO");
    c->has_default = v[4] && atoi(v[4]) != 0;
    return TX_OK;
}

static int table_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len, (void)err;
    have *h = ctx;
    if (h->ntables < (int)(sizeof h->tables / sizeof *h->tables))
        snprintf(h->tables[h->ntables++], sizeof h->tables[0], "%s", v[0] ? v[0] : "");
    return TX_OK;
}

static int has_table(const have *h, const char *name)
{
    for (int i = 0; i < h->ntables; i++)
        if (!strcmp(h->tables[i], name))
            return 1;
    return 0;
}

static const have_col *find_col(const have *h, const char *table, const char *name)
{
    for (size_t i = 0; i < h->n; i++)
        if (!strcmp(h->col[i].table, table) && !strcasecmp(h->col[i].name, name))
            return &h->col[i];
    return NULL;
}

static const want_col *want_find(const want_table *t, const char *name)
{
    for (int i = 0; i < t->ncols; i++)
        if (!strcasecmp(t->col[i].name, name))
            return &t->col[i];
    return NULL;
}

/* audit_log columns an older txetl lacked: tx_store_prepare adds them (repair_audit_columns) */
static int repaired_column(const char *table, const char *col)
{
    return !strcmp(table, "audit_log") &&
           (!strcmp(col, "old_payment_method") || !strcmp(col, "new_payment_method") ||
            !strcmp(col, "old_currency") || !strcmp(col, "new_currency"));
}

/* Appends a problem to msg (at most a few, then "and more"). */
static void add_problem(char *msg, size_t size, int *nprob, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add_problem(char *msg, size_t size, int *nprob, const char *fmt, ...)
{
    size_t l = strlen(msg);
    if (++*nprob > 3) {
        if (*nprob == 4 && l + 16 < size)
            snprintf(msg + l, size - l, "; and more");
        return;
    }
    if (l && l + 2 < size) {
        snprintf(msg + l, size - l, "; ");
        l += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + l, size - l, fmt, ap);
    va_end(ap);
}

int tx_mdb_schema_check(tx_store *s, int mode, tx_error *err)
{
    tx_conn *c = s->conn;
    if (!tx_conn_database_exists(c))
        return TX_OK; /* a load creates it (a read-only store fails to open instead) */
    want_schema *w = malloc(sizeof *w);
    have h = {0};
    if (!w)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    parse_schema(w);
    const tx_conn_reader tr = {.row = table_row, .ctx = &h};
    const tx_conn_reader cr = {.row = col_row, .ctx = &h};
    int rc = tx_conn_query_rows(c, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
                                   "TABLE_SCHEMA = DATABASE()", &tr, err);
    if (rc == TX_OK)
        rc = tx_conn_query_rows(c, "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, "
                                   "COLUMN_DEFAULT IS NOT NULL OR EXTRA <> '' FROM "
                                   "information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                                   "ORDER BY TABLE_NAME, ORDINAL_POSITION", &cr, err);
    char msg[900] = "", missing[400] = "", where[200];
    int nprob = 0, nmissing = 0, nabsent = 0;
    for (int i = 0; rc == TX_OK && i < w->n; i++) {
        const want_table *t = &w->t[i];
        if (!has_table(&h, t->name)) {
            nabsent++;
            /* the intent journal and its stage tables: a cluster of an older txetl lacks them
             * until its next load creates them; reads do without (no unfinished run) */
            if (!strcmp(t->name, "run_journal") || !strcmp(t->name, "stage_dir") ||
                !strcmp(t->name, "stage_audit") || !strcmp(t->name, "reshard_state"))
                continue; /* reshard_state: only while a reshard runs (docs/reshard.md) */
            size_t l = strlen(missing);
            snprintf(missing + l, sizeof missing - l, "%s%s", nmissing++ ? ", " : "", t->name);
            continue;
        }
        /* txetl before 0.2 kept the directory as one row per transaction_id */
        if (!strcmp(t->name, "txn_directory") &&
            (!find_col(&h, t->name, "block") || !find_col(&h, t->name, "tombstones"))) {
            rc = tx_error_set(err, TX_EUSAGE, "shard %d: txn_directory has the layout of an "
                              "older txetl (a row per id, no block column): nothing was "
                              "written; start from a fresh database and reload the extracts",
                              s->index);
            break;
        }
        for (int k = 0; k < t->ncols; k++) {
            const want_col *wc = &t->col[k];
            const have_col *hc = find_col(&h, t->name, wc->name);
            if (!hc) {
                if (!repaired_column(t->name, wc->name))
                    add_problem(msg, sizeof msg, &nprob, "table %s has no column %s (sql/schema.sql: "
                                "%s): ALTER TABLE %s ADD COLUMN %s", t->name, wc->name, wc->def,
                                t->name, wc->def);
            } else if (strcmp(hc->type, wc->type) || hc->not_null != wc->not_null) {
                add_problem(msg, sizeof msg, &nprob, "table %s column %s is %s %s, sql/schema.sql "
                            "has %s: ALTER TABLE %s MODIFY %s", t->name, wc->name, hc->type,
                            hc->not_null ? "NOT NULL" : "NULL", wc->def, t->name, wc->def);
            }
        }
        /* columns sql/schema.sql does not have: TransactionsOptimized may have more (ones its
         * loads can leave out: NULL allowed or a default); txetl's own tables may not */
        for (size_t k = 0; k < h.n; k++) {
            const have_col *hc = &h.col[k];
            if (strcmp(hc->table, t->name) || want_find(t, hc->name))
                continue;
            if (!strcmp(t->name, "TransactionsOptimized")) {
                if (hc->not_null && !hc->has_default)
                    add_problem(msg, sizeof msg, &nprob, "table %s has column %s NOT NULL "
                                "without a default, which txetl's loads cannot fill: give it "
                                "a default or allow NULL (ALTER TABLE %s MODIFY %s %s NULL)",
                                t->name, hc->name, t->name, hc->name, hc->type);
            } else {
                add_problem(msg, sizeof msg, &nprob, "table %s has column %s (%s), which "
                            "sql/schema.sql does not have: ALTER TABLE %s DROP COLUMN %s",
                            t->name, hc->name, hc->type, t->name, hc->name);
            }
        }
    }
    if (rc == TX_OK && nprob)
        rc = tx_error_set(err, TX_EUSAGE, "shard %d (database %s on %s): %s; nothing was "
                          "written", s->index, tx_conn_database(c),
                          tx_conn_where(c, where, sizeof where), msg);
    /* A read needs the tables (a load creates the missing ones). No txetl table at all: no
     * load has run against this database (status says so) or the group names another one. */
    const int none = nabsent == w->n;
    if (rc == TX_OK && nmissing && mode != TX_SCHEMA_LOAD && !(none && mode == TX_SCHEMA_STATUS))
        rc = tx_error_set(err, TX_EUSAGE, "shard %d: database %s on %s has %s%s: %s database= "
                          "in [shard%d] of %s", s->index, tx_conn_database(c),
                          tx_conn_where(c, where, sizeof where),
                          none ? "no txetl table" : "no table ", none ? "" : missing,
                          none ? "no load has run against it yet (load first), or check"
                               : "check", s->index, s->path);
    free(h.col);
    free(w);
    return rc;
}

typedef struct key_ctx {
    char names[64][64];
    char tables[64][64];
    int n;
} key_ctx;

static int key_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len, (void)err;
    key_ctx *k = ctx;
    if (k->n < 64) {
        snprintf(k->tables[k->n], sizeof k->tables[0], "%s", v[0] ? v[0] : "");
        snprintf(k->names[k->n++], sizeof k->names[0], "%s", v[1] ? v[1] : "");
    }
    return TX_OK;
}

int tx_mdb_repair_indexes(tx_store *s, tx_error *err)
{
    want_schema *w = malloc(sizeof *w);
    key_ctx *k = calloc(1, sizeof *k);
    int rc = TX_OK;
    if (!w || !k) {
        rc = tx_error_set(err, TX_ENOMEM, "out of memory");
        goto out;
    }
    parse_schema(w);
    const tx_conn_reader rd = {.row = key_row, .ctx = k};
    rc = tx_conn_query_rows(s->conn, "SELECT DISTINCT TABLE_NAME, INDEX_NAME FROM "
                                     "information_schema.STATISTICS WHERE TABLE_SCHEMA = "
                                     "DATABASE()", &rd, err);
    for (int i = 0; rc == TX_OK && i < w->n; i++)
        for (int j = 0; rc == TX_OK && j < w->t[i].nkeys; j++) {
            const want_key *wk = &w->t[i].key[j];
            int found = 0;
            for (int m = 0; m < k->n && !found; m++)
                found = !strcmp(k->tables[m], w->t[i].name) && !strcasecmp(k->names[m], wk->name);
            if (found)
                continue;
            TX_LOG(TX_LOG_WARN, "shard %d: table %s has no index %s (sql/schema.sql: %s%s): "
                   "re-creating it", s->index, w->t[i].name, wk->name, wk->def,
                   strcmp(wk->name, "idx_customer_date") ? ""
                       : "; a run that died during a backfill leaves it out");
            rc = tx_conn_execf(s->conn, err, "ALTER TABLE %s ADD INDEX %s (%s)", w->t[i].name,
                               wk->name, wk->cols);
        }
out:
    free(k);
    free(w);
    return rc;
}

/* ---- what a group reached ---------------------------------------------------------------- */

typedef struct facts_ctx {
    tx_store_facts *f;
    int rows;
} facts_ctx;

static int server_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)len, (void)err;
    facts_ctx *fc = ctx;
    tx_store_facts *f = fc->f;
    if (n < 6)
        return TX_OK;
    snprintf(f->version, sizeof f->version, "%s", v[0] ? v[0] : "");
    f->local_infile = v[1] && atoi(v[1]) != 0;
    f->max_allowed_packet = v[2] ? strtoull(v[2], NULL, 10) : 0;
    snprintf(f->key, sizeof f->key, "%s|%s|%s|%s", v[3] ? v[3] : "", v[4] ? v[4] : "",
             v[5] ? v[5] : "", f->database);
    return TX_OK;
}

static int identity_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len, (void)err;
    facts_ctx *fc = ctx;
    if (fc->rows++ == 0 && v[0] && v[1] && v[2]) {
        snprintf(fc->f->cluster_id, sizeof fc->f->cluster_id, "%s", v[0]);
        fc->f->index = atoi(v[1]);
        fc->f->count = atoi(v[2]);
        fc->f->has_identity = 1;
    }
    return TX_OK;
}

int tx_mdb_inspect(tx_store *s, tx_store_facts *f, tx_error *err)
{
    tx_conn *c = s->conn;
    facts_ctx fc = {f, 0};
    f->db_exists = tx_conn_database_exists(c);
    snprintf(f->database, sizeof f->database, "%s", tx_conn_database(c));
    tx_conn_where(c, f->where, sizeof f->where);
    const tx_conn_reader srv = {.row = server_row, .ctx = &fc};
    int rc = tx_conn_query_rows(c, "SELECT @@version, @@GLOBAL.local_infile, "
                                   "@@GLOBAL.max_allowed_packet, @@hostname, @@port, "
                                   "@@datadir", &srv, err);
    uint64_t got = 0;
    if (rc == TX_OK && f->db_exists)
        rc = tx_conn_query_u64(c, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                                  "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                                  "'cluster_identity'", &got, NULL, err);
    uint64_t tables = 0;
    if (rc == TX_OK && f->db_exists)
        rc = tx_conn_query_u64(c, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                                  "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                                  "'TransactionsOptimized'", &tables, NULL, err);
    f->has_tables = tables > 0;
    const tx_conn_reader id = {.row = identity_row, .ctx = &fc};
    if (rc == TX_OK && got)
        rc = tx_conn_query_rows(c, "SELECT cluster_id, shard_index, shard_count FROM "
                                   "cluster_identity", &id, err);
    if (rc == TX_OK && fc.rows > 1)
        rc = tx_error_set(err, TX_EUSAGE, "shard %d (database %s on %s): cluster_identity "
                          "holds %d rows, a shard records one identity", s->index, f->database,
                          f->where, fc.rows);
    if (rc == TX_OK && f->db_exists)
        rc = tx_mdb_reshard_inspect(c, f, err);
    return rc;
}

int tx_mdb_identity_write(tx_store *s, const char *cluster_id, int count, const char *run_id,
                          tx_error *err)
{
    /* INSERT IGNORE: a shard that has its identity keeps it (one row: the primary key is a
     * constant) */
    return tx_conn_execf(s->conn, err, "INSERT IGNORE INTO cluster_identity (one_row, cluster_id, "
                         "shard_index, shard_count, created_run, created_at) VALUES (1, '%s', "
                         "%d, %d, '%s', UTC_TIMESTAMP(6))", cluster_id, s->index, count, run_id);
}
