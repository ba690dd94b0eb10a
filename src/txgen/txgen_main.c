/* txgen_main.c - txgen: synthetic transaction extracts with a known BG/NBD + Gamma-Gamma truth.
 * Options, the rank split and the passes over the customers. */
#include "txgen.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

enum {
    OPT_CUSTOMERS = 1000, OPT_OUT, OPT_SEED, OPT_START, OPT_END, OPT_BAD_RATE, OPT_DUP_RATE,
    OPT_TRICKY, OPT_TRUTH, OPT_FX_OUT, OPT_EXPECT, OPT_SHUFFLE, OPT_CRLF, OPT_BOM, OPT_COLUMNS, OPT_CHANGES,
    OPT_BASE, OPT_TRUTH_IN, OPT_HELP, OPT_VERSION,
};

/* How an option's value is read, into the txg_opts member at `at`. */
enum { V_NONE, V_U64, V_RATE, V_DATE, V_STR, V_FLAG };
#define AT(m) offsetof(txg_opts, m)

/* One table drives getopt_long, the parser and --help. */
static const struct txg_opt {
    const char *name;
    int id;
    int kind;
    size_t at;
    const char *arg, *help;
} opt_table[] = {
    {"customers", OPT_CUSTOMERS, V_U64, AT(customers), "N", "number of customers (extract mode)"},
    {"out", OPT_OUT, V_STR, AT(out), "FILE", "output extract (or change batch)"},
    {"seed", OPT_SEED, V_U64, AT(seed), "S", "PRNG seed (default 1)"},
    {"start", OPT_START, V_DATE, AT(start), "YYYY-MM-DD", "first date (default 2022-01-01)"},
    {"end", OPT_END, V_DATE, AT(end), "YYYY-MM-DD", "last date (default 2024-12-31)"},
    {"bad-rate", OPT_BAD_RATE, V_RATE, AT(bad_rate), "X",
     "fraction of malformed records (default 0)"},
    {"dup-rate", OPT_DUP_RATE, V_RATE, AT(dup_rate), "X",
     "fraction of transactions with 1-3 extra versions"},
    {"tricky", OPT_TRICKY, V_FLAG, AT(tricky), NULL, "add valid but tricky records"},
    {"truth", OPT_TRUTH, V_STR, AT(truth), "FILE",
     "expected stored rows, sorted by transaction_id"},
    {"fx-out", OPT_FX_OUT, V_STR, AT(fx_out), "FILE",
     "exchange rates into USD for txetl --fx-rates (EUR, GBP: one from 1970-01-01, then one "
     "per month of [start, end])"},
    {"expect-rejects", OPT_EXPECT, V_STR, AT(expect_rejects), "FILE",
     "CSV line,offset,reason of the bad records"},
    {"shuffle", OPT_SHUFFLE, V_FLAG, AT(shuffle), NULL, "permute transaction ids"},
    {"crlf", OPT_CRLF, V_FLAG, AT(crlf), NULL, "CRLF line ends"},
    {"bom", OPT_BOM, V_FLAG, AT(bom), NULL, "start with a UTF-8 BOM"},
    {"columns", OPT_COLUMNS, V_STR, AT(columns), "LIST",
     "header: comma-separated names, any order/case, extras"},
    {"changes", OPT_CHANGES, V_U64, AT(changes), "N",
     "change-batch mode: N changes on top of --truth-in"},
    {"base", OPT_BASE, V_STR, AT(base), "FILE",
     "change mode: the base extract (or its truth file)"},
    {"truth-in", OPT_TRUTH_IN, V_STR, AT(truth_in), "FILE", "change mode: the base's truth file"},
    {"help", OPT_HELP, V_NONE, 0, NULL, "this help"},
    {"version", OPT_VERSION, V_NONE, 0, NULL, "print the version"},
};
#define NOPTS (int)(sizeof opt_table / sizeof opt_table[0])

static void usage(FILE *f)
{
    fprintf(f, "usage: txgen --customers N --out FILE [options]\n"
               "       txgen --changes N --truth-in BASE_TRUTH --out BATCH --truth NEW_TRUTH "
               "[--seed S]\n\noptions:\n");
    for (int i = 0; i < NOPTS; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", opt_table[i].name, opt_table[i].arg ? " " : "",
                 opt_table[i].arg ? opt_table[i].arg : "");
        fprintf(f, "  %-28s %s\n", left, opt_table[i].help);
    }
    fprintf(f,
            "\nmodel (time unit: days; money: dollars):\n"
            "  purchase rate lambda ~ Gamma(r=%g, rate alpha=%g); dropout p ~ Beta(a=%g, b=%g)\n"
            "  spend: nu ~ Gamma(q=%g, rate v=%g), amount ~ Gamma(p=%g, rate nu); %g%% refunds\n"
            "  first purchase uniform in the first half of [start, end]; the parameters are\n"
            "  also written to FILE.params. Works under mpirun; output is the same for any\n"
            "  rank count.\n",
            TXG_R, TXG_ALPHA, TXG_A, TXG_B, TXG_Q, TXG_V, TXG_P, 100 * TXG_REFUND_RATE);
}

static int parse_u64(const char *opt, const char *s, uint64_t *v, tx_error *err)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return tx_error_set(err, TX_EUSAGE, "txgen: --%s: expected a non-negative integer, got '%s'",
                            opt, s);
    *v = x;
    return TX_OK;
}

static int parse_rate(const char *opt, const char *s, double *v, tx_error *err)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || end == s || *end || !(x >= 0 && x < 1))
        return tx_error_set(err, TX_EUSAGE, "txgen: --%s: expected a number in [0, 1), got '%s'",
                            opt, s);
    *v = x;
    return TX_OK;
}

static const char *const known_cols[TX_NCOLS] = {
    "transaction_id", "customer_id", "transaction_date", "transaction_amount",
    "transaction_category", "payment_method", "currency", "last_updated", "op"};

static int add_column(txg_opts *o, const char *name, size_t len, tx_error *err)
{
    while (len && (*name == ' ' || *name == '\t'))
        name++, len--;
    while (len && (name[len - 1] == ' ' || name[len - 1] == '\t'))
        len--;
    if (len == 0 || o->ncols == TXG_MAX_COLS)
        return tx_error_set(err, TX_EUSAGE, "txgen: --columns: empty name or more than %d columns",
                            TXG_MAX_COLS);
    int c = -1;
    for (int k = 0; k < TX_NCOLS; k++)
        if (strlen(known_cols[k]) == len && strncasecmp(known_cols[k], name, len) == 0)
            c = k;
    for (int i = 0; i < o->ncols; i++)
        if (strlen(o->colname[i]) == len && strncasecmp(o->colname[i], name, len) == 0)
            return tx_error_set(err, TX_EUSAGE, "txgen: --columns: column '%.*s' given twice",
                                (int)len, name);
    if (memchr(name, '"', len))
        return tx_error_set(err, TX_EUSAGE, "txgen: --columns: no quotes in names please");
    o->colname[o->ncols] = strndup(name, len);
    o->col[o->ncols++] = c;
    if (c >= 0)
        o->has[c] = 1;
    return TX_OK;
}

static int set_columns(txg_opts *o, const char *list, tx_error *err)
{
    const char *p = list;
    for (;;) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (add_column(o, p, len, err) != TX_OK)
            return err->status;
        if (!q)
            break;
        p = q + 1;
    }
    for (int k = 0; k <= TX_COL_TRANSACTION_AMOUNT; k++)
        if (!o->has[k])
            return tx_error_set(err, TX_EUSAGE, "txgen: --columns: required column %s missing",
                                known_cols[k]);
    return TX_OK;
}

static void set_bad_reasons(txg_opts *o)
{
    o->nbad = 0;
    for (int r = TX_REJ_FIELD_COUNT; r < TX_NREJECTS; r++) {
        int ok = r != TX_REJ_UNTERMINATED_QUOTE && r != TX_REJ_RECORD_TOO_LONG;
        int text = o->has[TX_COL_TRANSACTION_CATEGORY] || o->has[TX_COL_PAYMENT_METHOD];
        if (r == TX_REJ_CATEGORY_TOO_LONG)
            ok = o->has[TX_COL_TRANSACTION_CATEGORY];
        if (r == TX_REJ_PAYMENT_TOO_LONG)
            ok = o->has[TX_COL_PAYMENT_METHOD];
        if (r == TX_REJ_BAD_UTF8 || r == TX_REJ_NUL_BYTE)
            ok = text;
        if (r == TX_REJ_BAD_CURRENCY)
            ok = o->has[TX_COL_CURRENCY];
        if (r == TX_REJ_BAD_LAST_UPDATED)
            ok = o->has[TX_COL_LAST_UPDATED];
        if (r == TX_REJ_BAD_OP)
            ok = o->has[TX_COL_OP];
        if (ok)
            o->bad[o->nbad++] = (tx_reject)r;
    }
    if (o->bad_rate <= 0)
        o->nbad = 0;
}

/* Parses argv into *o. Returns TX_OK, or TX_EUSAGE with the option at fault in err; *action is
 * 'h' for --help, 'v' for --version, 'x' for an extract, 'c' for a change batch. */
static int parse_args(int argc, char **argv, txg_opts *o, int *action, tx_error *err)
{
    struct option lo[NOPTS + 1];
    for (int i = 0; i < NOPTS; i++)
        lo[i] = (struct option){opt_table[i].name, opt_table[i].arg != NULL, NULL, opt_table[i].id};
    lo[NOPTS] = (struct option){0, 0, 0, 0};
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->start = tx_days_from_civil(2022, 1, 1);
    o->end = tx_days_from_civil(2024, 12, 31);
    *action = 'x';
    int have_customers = 0, have_changes = 0, c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
        const char *name = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        const struct txg_opt *t = NULL;
        for (int i = 0; i < NOPTS && t == NULL; i++)
            if (opt_table[i].id == c)
                t = &opt_table[i];
        if (c == ':')
            return tx_error_set(err, TX_EUSAGE, "txgen: option %s needs a value", name);
        if (t == NULL)
            return tx_error_set(err, TX_EUSAGE, "txgen: unknown option %s", name);
        if (c == OPT_HELP || c == OPT_VERSION) {
            *action = c == OPT_HELP ? 'h' : 'v';
            return TX_OK;
        }
        have_customers |= c == OPT_CUSTOMERS;
        have_changes |= c == OPT_CHANGES;
        void *at = (char *)o + t->at;
        int rc = TX_OK;
        switch (t->kind) {
        case V_U64: rc = parse_u64(t->name, optarg, at, err); break;
        case V_RATE: rc = parse_rate(t->name, optarg, at, err); break;
        case V_DATE:
            if (txg_parse_date(optarg, at) != 0)
                rc = tx_error_set(err, TX_EUSAGE, "txgen: --%s: expected YYYY-MM-DD, got '%s'",
                                  t->name, optarg);
            break;
        case V_STR: *(const char **)at = optarg; break;
        case V_FLAG: *(int *)at = 1; break;
        }
        if (rc != TX_OK)
            return rc;
    }
    if (optind < argc)
        return tx_error_set(err, TX_EUSAGE, "txgen: unexpected argument '%s'", argv[optind]);
    if (o->end < o->start)
        return tx_error_set(err, TX_EUSAGE, "txgen: --end is before --start");
    if (o->start < tx_days_from_civil(1970, 1, 1) || o->end > tx_days_from_civil(2099, 12, 31))
        return tx_error_set(err, TX_EUSAGE, "txgen: --start/--end must lie in 1970..2099");
    if (have_changes) {
        *action = 'c';
        if (have_customers)
            return tx_error_set(err, TX_EUSAGE, "txgen: --changes and --customers exclude each other");
        if (!o->truth_in && !o->base)
            return tx_error_set(err, TX_EUSAGE, "txgen: --changes needs --truth-in BASE_TRUTH");
        if (!o->truth)
            return tx_error_set(err, TX_EUSAGE, "txgen: --changes needs --truth NEW_TRUTH");
    } else if (!have_customers || o->customers == 0) {
        return tx_error_set(err, TX_EUSAGE, "txgen: --customers N (N >= 1) is required");
    }
    if (!o->out)
        return tx_error_set(err, TX_EUSAGE, "txgen: --out FILE is required");
    if (set_columns(o, o->columns ? o->columns
                                  : "transaction_id,customer_id,transaction_date,"
                                    "transaction_amount,transaction_category,payment_method,"
                                    "currency,last_updated",
                    err) != TX_OK)
        return err->status;
    set_bad_reasons(o);
    return TX_OK;
}

/* ---- Extract mode ---- */

/* --fx-out: units of USD per EUR / GBP, a rate from 1970-01-01 (so any date, also of a moved
 * version, has one) and one on the first of every month of [start, end], deterministic. */
static int write_fx(const txg_opts *o, tx_error *err)
{
    FILE *f = fopen(o->fx_out, "w");
    if (!f)
        return tx_error_set(err, TX_ERR, "txgen: cannot write %s: %s", o->fx_out,
                            strerror(errno));
    fputs("date,currency,rate\n", f);
    static const char *const cur[] = {"EUR", "GBP"};
    static const int base[] = {10850, 12700}; /* x 1e-4 */
    int y, m, d;
    tx_civil_from_days(o->start, &y, &m, &d);
    for (int c = 0; c < 2; c++)
        fprintf(f, "1970-01-01,%s,%d.%04d\n", cur[c], base[c] / 10000, base[c] % 10000);
    for (int k = 0;; k++) {
        int yy = y + (m - 1 + k) / 12, mm = (m - 1 + k) % 12 + 1;
        if (tx_days_from_civil(yy, mm, 1) > o->end)
            break;
        for (int c = 0; c < 2; c++) {
            int r = base[c] + ((k * 37 + c * 11) % 41 - 20) * 7; /* +- 1.4% */
            fprintf(f, "%04d-%02d-01,%s,%d.%04d\n", yy, mm, cur[c], r / 10000, r % 10000);
        }
    }
    if (fclose(f) != 0)
        return tx_error_set(err, TX_ERR, "txgen: cannot write %s: %s", o->fx_out,
                            strerror(errno));
    return TX_OK;
}

typedef struct truth_vec {
    txg_truth *v;
    size_t n, cap;
} truth_vec;

/* The winning version of each id of one customer (greatest last_updated, ties: later row). */
static void customer_truth(const txg_rows *rows, uint64_t base, uint64_t nids, uint64_t cust,
                           const txg_perm *perm, int64_t **best, size_t *bcap, truth_vec *out)
{
    if (*bcap < nids) {
        *bcap = nids * 2;
        *best = TX_XREALLOC(*best, *bcap * sizeof **best);
    }
    int64_t *b = *best;
    for (uint64_t i = 0; i < nids; i++)
        b[i] = -1;
    for (size_t i = 0; i < rows->n; i++) {
        const txg_row *r = &rows->v[i];
        if (r->kind == TXG_BAD)
            continue;
        uint64_t k = r->idx - base;
        if (b[k] < 0 || r->lu_us >= rows->v[b[k]].lu_us)
            b[k] = (int64_t)i;
    }
    for (uint64_t k = 0; k < nids; k++) {
        if (b[k] < 0)
            continue;
        const txg_row *r = &rows->v[b[k]];
        TX_XGROW(out->v, out->cap, out->n, 4096);
        out->v[out->n++] = (txg_truth){.id = txg_id(perm, r->idx), .cust = cust,
                                       .cents = r->cents, .lu_us = r->lu_us, .date = r->date,
                                       .cat = r->cat, .pay = r->pay, .cur = r->cur};
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int write_params(const txg_opts *o, tx_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s.params", o->out);
    FILE *f = fopen(path, "w");
    if (!f)
        return tx_error_set(err, TX_ERR, "txgen: cannot create %s: %s", path, strerror(errno));
    fprintf(f, "r=%g, alpha=%g, a=%g, b=%g, p=%g, q=%g, v=%g\n", TXG_R, TXG_ALPHA, TXG_A, TXG_B,
            TXG_P, TXG_Q, TXG_V);
    if (fclose(f) != 0)
        return tx_error_set(err, TX_ERR, "txgen: cannot write %s", path);
    return TX_OK;
}

static int run_extract(const txg_opts *o, MPI_Comm comm, tx_error *err)
{
    int rank, nranks, rc = TX_OK;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    double t0 = now();
    uint64_t c0 = (uint64_t)((unsigned __int128)o->customers * (unsigned)rank / (unsigned)nranks);
    uint64_t c1 =
        (uint64_t)((unsigned __int128)o->customers * (unsigned)(rank + 1) / (unsigned)nranks);
    txg_rows rows = {0};
    truth_vec truth = {0};
    int64_t *best = NULL;
    size_t bcap = 0;
    txg_sink out = {0}, rej = {0};

    /* Pass 1: how many ids each rank's customers use, for the id blocks. */
    uint64_t nids = 0, id0 = 0, m = 0;
    for (uint64_t c = c0; c < c1; c++)
        nids += txg_customer(o, c, 0, &rows);
    MPI_Exscan(&nids, &id0, 1, MPI_UINT64_T, MPI_SUM, comm);
    if (rank == 0)
        id0 = 0;
    MPI_Allreduce(&nids, &m, 1, MPI_UINT64_T, MPI_SUM, comm);
    txg_perm perm;
    txg_perm_init(&perm, m, o->seed, o->shuffle);

    /* Pass 2 (several ranks only): bytes and lines of each part, for offsets. */
    uint64_t off = 0, line = 1;
    txg_sink_open(&out, -1, 0, 0, 8u << 20);
    if (nranks > 1) {
        if (rank == 0)
            txg_write_header(&out, o, 0);
        uint64_t base = id0;
        for (uint64_t c = c0; c < c1; c++) {
            uint64_t k = txg_customer(o, c, base, &rows);
            for (size_t i = 0; i < rows.n; i++)
                txg_write_row(&out, o, &perm, &rows.v[i], txg_customer_id(c), NULL);
            base += k;
        }
        txg_sink_flush(&out);
        uint64_t mine[2] = {out.off, out.line}, before[2] = {0, 0};
        MPI_Exscan(mine, before, 2, MPI_UINT64_T, MPI_SUM, comm);
        if (rank != 0) {
            off = before[0];
            line = 1 + before[1];
        }
    }

    /* Pass 3: write. */
    int fd = txg_open_shared(comm, o->out, err);
    if (fd < 0) {
        rc = TX_ERR;
        goto out;
    }
    out.fd = fd;
    out.off = off;
    out.line = line;
    out.len = 0;
    txg_sink_open(&rej, -2, 0, 0, 1 << 16);
    if (rank == 0) {
        txg_write_header(&out, o, 0);
        txg_puts(&rej, "line,offset,reason\n");
    }
    uint64_t base = id0, nrows = 0;
    for (uint64_t c = c0; c < c1; c++) {
        uint64_t k = txg_customer(o, c, base, &rows);
        uint64_t cid = txg_customer_id(c);
        for (size_t i = 0; i < rows.n; i++)
            txg_write_row(&out, o, &perm, &rows.v[i], cid, o->expect_rejects ? &rej : NULL);
        if (o->truth)
            customer_truth(&rows, base, k, cid, &perm, &best, &bcap, &truth);
        base += k;
        nrows += rows.n;
    }
    txg_sink_flush(&out);
    int werr = out.err, ok = werr == 0, all;
    if (close(fd) != 0 && ok)
        werr = errno, ok = 0;
    if (!ok)
        tx_error_set(err, TX_ERR, "txgen: cannot write %s: %s", o->out, strerror(werr));
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm);
    if (!all) {
        tx_error_set(err, TX_ERR, "txgen: cannot write %s on another rank", o->out);
        rc = TX_ERR;
        goto out;
    }
    ok = rank != 0 || write_params(o, err) == TX_OK;
    if (ok && rank == 0 && o->fx_out)
        ok = write_fx(o, err) == TX_OK;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm);
    if (!all) {
        rc = TX_ERR;
        goto out;
    }
    if (o->expect_rejects &&
        (rc = txg_write_parts(comm, o->expect_rejects, rej.buf, rej.len, err)) != TX_OK)
        goto out;
    if (o->truth && (rc = txg_truth_write(comm, o->truth, truth.v, truth.n, m, err)) != TX_OK)
        goto out;
    uint64_t total = 0;
    MPI_Reduce(&nrows, &total, 1, MPI_UINT64_T, MPI_SUM, 0, comm);
    if (rank == 0)
        fprintf(stderr, "txgen: %s: %llu records, %llu transaction ids, %d rank(s), %.2f s\n",
                o->out, (unsigned long long)total, (unsigned long long)m, nranks, now() - t0);
out:
    txg_sink_close(&rej);
    txg_sink_close(&out);
    free(rows.v);
    free(truth.v);
    free(best);
    return rc;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    tx_error err;
    tx_error_clear(&err);
    txg_opts o;
    int action = 'x';
    int rc = parse_args(argc, argv, &o, &action, &err);
    if (rc == TX_OK && action == 'h') {
        if (rank == 0)
            usage(stdout);
    } else if (rc == TX_OK && action == 'v') {
        if (rank == 0)
            printf("txgen %s\n", TXETL_VERSION);
    } else if (rc == TX_OK && action == 'c') {
        if (rank == 0)
            rc = txg_changes_run(&o, &err);
        MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    } else if (rc == TX_OK) {
        rc = run_extract(&o, MPI_COMM_WORLD, &err);
    }
    if (rc != TX_OK && rank == 0) {
        fprintf(stderr, "%s\n", err.msg[0] ? err.msg : "txgen: failed");
        if (rc == TX_EUSAGE)
            fprintf(stderr, "try 'txgen --help'\n");
    }
    for (int i = 0; i < o.ncols; i++)
        free(o.colname[i]);
    MPI_Finalize();
    return tx_status_exit_code(rc);
}
