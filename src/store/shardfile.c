/* shardfile.c - the shard file: its [shard<N>] groups (tx_shardfile_count, store.h) and the
 * `database` option txetl keeps its own copy of (tx_shardfile_database, store_internal.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store_internal.h"
#include "txetl/log.h"

#define MAX_SHARDS 4096

int tx_shardfile_count(const char *path, int *nshards, tx_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return tx_error_set(err, TX_EUSAGE, "shard file %s: %s", path, strerror(errno));
    struct stat st;
    if (tx_log_rank() == 0 && fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
        TX_LOG(TX_LOG_WARN, "shard file %s is readable by group or others (mode %03o); it may hold "
               "passwords: chmod 600 it", path, (unsigned)(st.st_mode & 0777));
    /* A group the client library would read under another name than tx_conn_open asks for
     * ([shard01], [shard 1], [shard+1], [shard-0]) is an error, not a silently counted or
     * skipped shard: its options would be ignored and that shard reached with defaults. */
    unsigned char *seen = calloc(MAX_SHARDS, 1);
    if (!seen) {
        fclose(f);
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    }
    int max = -1, rc = TX_OK;
    char line[4096];
    long lineno = 0;
    int at_line_start = 1; /* fgets splits lines longer than the buffer: only line starts count */
    while (fgets(line, sizeof line, f)) {
        const int starts = at_line_start;
        at_line_start = strchr(line, '\n') != NULL;
        if (!starts)
            continue;
        lineno++;
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (strncmp(p, "[shard", 6) != 0)
            continue;
        /* the group name after "shard", up to ']' less trailing blanks (the library trims) */
        const char *q = p + 6, *close = strchr(q, ']');
        if (!close)
            continue;
        const char *qe = close;
        while (qe > q && (qe[-1] == ' ' || qe[-1] == '\t'))
            qe--;
        if (qe == q || !(isdigit((unsigned char)*q) || *q == ' ' || *q == '\t' || *q == '+' ||
                         *q == '-'))
            continue; /* [shard], [shards], [shard_x], ...: some other group */
        long v = 0;
        const char *d = q;
        while (d < qe && isdigit((unsigned char)*d) && v < MAX_SHARDS)
            v = v * 10 + (*d++ - '0');
        if (d != qe || (qe - q > 1 && *q == '0') || v >= MAX_SHARDS) {
            rc = tx_error_set(err, TX_EUSAGE, "shard file %s:%ld: group [shard%.*s] is not "
                              "[shard<N>] with N in 0..%d written without leading zeros", path,
                              lineno, (int)(qe - q > 40 ? 40 : qe - q), q, MAX_SHARDS - 1);
            break;
        }
        seen[v] = 1;
        if (v > max)
            max = (int)v;
    }
    fclose(f);
    if (rc == TX_OK && max < 0)
        rc = tx_error_set(err, TX_EUSAGE, "shard file %s has no [shard0] group", path);
    for (int i = 0; rc == TX_OK && i <= max; i++)
        if (!seen[i])
            rc = tx_error_set(err, TX_EUSAGE,
                              "shard file %s: group [shard%d] is missing (groups must be "
                              "[shard0] .. [shard%d] without gaps)", path, i, max);
    free(seen);
    if (rc == TX_OK)
        rc = tx_shardfile_check_options(path, err);
    if (rc == TX_OK)
        *nshards = max + 1;
    return rc;
}

/* Trims blanks (and a trailing CR/LF) at both ends of [*b, *e). */
static void trim(const char **b, const char **e)
{
    while (*b < *e && isspace((unsigned char)**b))
        (*b)++;
    while (*e > *b && isspace((unsigned char)(*e)[-1]))
        (*e)--;
}

/* the groups the client library reads with MYSQL_READ_DEFAULT_GROUP = shard<i> (2 = mine;
 * with own_only, only mine) */
static int read_group(const char *gb, size_t gl, const char *mine, int own_only)
{
    static const char *const client_groups[] = {"client", "client-server", "client-mariadb"};
    if (gl == strlen(mine) && !strncmp(gb, mine, gl))
        return 2;
    for (size_t i = 0; !own_only && i < sizeof client_groups / sizeof *client_groups; i++)
        if (gl == strlen(client_groups[i]) && !strncmp(gb, client_groups[i], gl))
            return 1;
    return 0;
}

/* One option file being read: its path, the current line's number, and the state its group
 * header gave (each file starts outside any group, as the client library reads it). */
typedef struct opt_file {
    const char *path;
    long lineno;
    int state;
    char group[64];
} opt_file;

/* What a walk does with the lines of an option file. */
typedef struct opt_reader {
    /* A group header [b, e) (b[0] is '['; close its ']' or NULL): returns the file's new state,
     * 0 for a group whose options are of no interest. */
    int (*group)(void *ctx, opt_file *f, const char *b, const char *close, const char *e);
    /* An option of a group of interest: its key [kb, ke) trimmed, eq its '=' (NULL without
     * one), e the line's end. 0 goes on, 1 stops the walk. */
    int (*option)(void *ctx, opt_file *f, const char *kb, const char *ke, const char *eq,
                  const char *e);
} opt_reader;

/* The files being read, outermost first: an !include of one of them (a cycle) is skipped,
 * else a file that includes itself a few times is read exponentially often. */
typedef struct opt_chain {
    dev_t dev[9];
    ino_t ino[9];
} opt_chain;

/* Hands rd the lines of the option file at path and of the files it names with !include (as
 * the client library does, up to 8 deep; a file named there that cannot be read, or that is
 * already being read, is skipped). Lines longer than the buffer are cut: their continuation
 * is not a line. 0, 1 when the walk was stopped, -1 when path cannot be read. */
static int walk_chain(const char *path, int depth, opt_chain *chain, const opt_reader *rd,
                      void *ctx)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    struct stat sb;
    if (fstat(fileno(fp), &sb) == 0) {
        for (int i = 0; i < depth; i++)
            if (chain->dev[i] == sb.st_dev && chain->ino[i] == sb.st_ino) {
                fclose(fp);
                return 0;
            }
        chain->dev[depth] = sb.st_dev;
        chain->ino[depth] = sb.st_ino;
    } else {
        chain->dev[depth] = 0;
        chain->ino[depth] = 0;
    }
    opt_file f = {.path = path};
    int rc = 0, at_line_start = 1;
    char line[4096];
    while (rc == 0 && fgets(line, sizeof line, fp)) {
        const int starts = at_line_start;
        at_line_start = strchr(line, '\n') != NULL;
        if (!starts)
            continue;
        f.lineno++;
        const char *b = line, *e = line + strlen(line);
        trim(&b, &e);
        if (b == e || *b == '#' || *b == ';')
            continue;
        if (e - b > 9 && !strncmp(b, "!include", 8) && isspace((unsigned char)b[8])) {
            const char *ib = b + 9, *ie = e;
            trim(&ib, &ie);
            char inc[4096];
            snprintf(inc, sizeof inc, "%.*s", (int)(ie - ib), ib);
            if (depth < 8 && walk_chain(inc, depth + 1, chain, rd, ctx) == 1)
                rc = 1;
            continue;
        }
        if (*b == '[') {
            f.state = rd->group(ctx, &f, b, memchr(b, ']', (size_t)(e - b)), e);
            continue;
        }
        if (!f.state)
            continue;
        const char *eq = memchr(b, '=', (size_t)(e - b));
        const char *kb = b, *ke = eq ? eq : e;
        trim(&kb, &ke);
        rc = rd->option(ctx, &f, kb, ke, eq, e);
    }
    fclose(fp);
    return rc;
}

static int walk_option_file(const char *path, int depth, const opt_reader *rd, void *ctx)
{
    opt_chain chain;
    return walk_chain(path, depth, &chain, rd, ctx);
}

/* Reading `database` of the groups of `mine` into out. */
typedef struct db_scan {
    const char *mine;
    int own_only;
    char *out;
    size_t size;
    int *found;
} db_scan;

static int database_group(void *ctx, opt_file *f, const char *b, const char *close,
                          const char *e)
{
    (void)e;
    db_scan *sc = ctx;
    if (!close)
        return f->state; /* not a header: the group goes on */
    const char *gb = b + 1, *ge = close;
    trim(&gb, &ge);
    int st = read_group(gb, (size_t)(ge - gb), sc->mine, sc->own_only);
    if (st == 2 && sc->found)
        *sc->found = 1;
    return st;
}

static int database_option(void *ctx, opt_file *f, const char *kb, const char *ke,
                           const char *eq, const char *e)
{
    (void)f;
    db_scan *sc = ctx;
    if ((size_t)(ke - kb) != 8 || strncmp(kb, "database", 8) != 0 || !eq)
        return 0;
    const char *vb = eq + 1, *ve = e;
    trim(&vb, &ve);
    if (ve - vb >= 2 && (*vb == '"' || *vb == '\'') && ve[-1] == *vb) {
        vb++;
        ve--;
    }
    snprintf(sc->out, sc->size, "%.*s", (int)(ve - vb), vb);
    return 0;
}

/* Reads `database` of the groups of `mine` from one option file (and the files it names with
 * !include) into out. 0, or -1 when path cannot be read. */
static int scan_database(const char *path, const char *mine, char *out, size_t size,
                         int own_only, int *found)
{
    static const opt_reader rd = {database_group, database_option};
    db_scan sc = {mine, own_only, out, size, found};
    return walk_option_file(path, 0, &rd, &sc);
}

int tx_shardfile_database(const char *path, int index, char *out, size_t size, tx_error *err)
{
    out[0] = '\0';
    char mine[32];
    snprintf(mine, sizeof mine, "shard%d", index);
    if (scan_database(path, mine, out, size, 0, NULL) != 0)
        return tx_error_set(err, TX_EUSAGE, "shard file %s: %s", path, strerror(errno));
    return TX_OK;
}

int tx_shardfile_group(const char *path, const char *group, int *has, char *database,
                       size_t size, tx_error *err)
{
    database[0] = '\0';
    *has = 0;
    if (scan_database(path, group, database, size, 1, has) != 0)
        return tx_error_set(err, TX_EUSAGE, "shard file %s: %s", path, strerror(errno));
    return TX_OK;
}

/* ---- option names ------------------------------------------------------------------------ */

/* The option names Connector/C (libmariadb 3.x, its mariadb_defaults table) applies from an
 * option file, after turning '_' into '-'; `database` is also read by txetl itself. */
static const char *const known_options[] = {
    "port", "socket", "compress", "password", "pipe", "timeout", "user", "init-command", "host",
    "database", "debug", "return-found-rows", "ssl-key", "ssl-cert", "ssl-ca", "ssl-capath",
    "ssl-crl", "ssl-crlpath", "ssl-verify-server-cert", "character-sets-dir",
    "default-character-set", "interactive-timeout", "connect-timeout", "local-infile",
    "disable-local-infile", "ssl-cipher", "max-allowed-packet", "net-buffer-length", "protocol",
    "shared-memory-base-name", "multi-results", "multi-statements", "multi-queries",
    "secure-auth", "report-data-truncation", "reconnect", "plugin-dir", "default-auth",
    "ssl-fp", "ssl-fp-list", "ssl-fplist", "ssl-passphrase", "tls-version", "server-public-key",
    "bind-address", "ssl-enforce", "restricted-auth", "zstd-compression-level",
};
#define NKNOWN (sizeof known_options / sizeof *known_options)

/* Edit distance of a and b (both at most 63 bytes), for "did you mean". */
static int distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int d[64][64];
    for (int i = 0; i <= la; i++)
        d[i][0] = i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

/* [shard<N>] groups are checked. */
static int option_group(void *ctx, opt_file *f, const char *b, const char *close, const char *e)
{
    (void)ctx;
    const char *gb = b + 1, *ge = close ? close : e;
    trim(&gb, &ge);
    snprintf(f->group, sizeof f->group, "%.*s", (int)(ge - gb), gb);
    return !strncmp(f->group, "shard", 5) && f->group[5] &&
           strspn(f->group + 5, "0123456789") == strlen(f->group + 5);
}

/* Checks one option of a [shard<N>] group: 1 (err set) for one the client library does not
 * know. */
static int option_check(void *ctx, opt_file *f, const char *kb, const char *ke, const char *eq,
                        const char *e)
{
    (void)eq, (void)e;
    tx_error *err = ctx;
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(ke - kb > 63 ? 63 : ke - kb), kb);
    for (char *p = key; *p; p++)
        if (*p == '_')
            *p = '-';
    if (!strncmp(key, "loose-", 6))
        return 0; /* loose-: meant to be ignored where unknown */
    int known = 0, best = 99;
    const char *near = NULL;
    for (size_t i = 0; i < NKNOWN && !known; i++) {
        known = !strcmp(key, known_options[i]);
        int d = distance(key, known_options[i]);
        if (d < best) {
            best = d;
            near = known_options[i];
        }
    }
    if (known)
        return 0;
    char hint[96] = "";
    if (near && best <= 3 && best < (int)strlen(key))
        snprintf(hint, sizeof hint, " (did you mean %s?)", near);
    tx_error_set(err, TX_EUSAGE, "shard file %s:%ld: [%s] has option '%.*s', which the client "
                 "library does not know and would ignore%s", f->path, f->lineno, f->group,
                 (int)(ke - kb > 63 ? 63 : ke - kb), kb, hint);
    return 1;
}

int tx_shardfile_check_options(const char *path, tx_error *err)
{
    static const opt_reader rd = {option_group, option_check};
    int rc = walk_option_file(path, 0, &rd, err);
    if (rc < 0)
        return tx_error_set(err, TX_EUSAGE, "shard file %s: %s", path, strerror(errno));
    return rc ? TX_EUSAGE : TX_OK;
}
