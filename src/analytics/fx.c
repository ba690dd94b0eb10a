/* fx.c - the exchange rates of --fx-rates (reduce.h's tx_fx): parsed from the CSV
 * `date,currency,rate`, one dense table per currency (the rate of every day: the latest on or
 * before it), and the conversion of an amount in cents, exact in integers. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics_internal.h"
#include "txetl/fmt.h"
#include "txetl/mpiutil.h"

#define FX_SCALE 1000000000LL /* rates are kept in units of 1e-9 */
#define FX_MAX_CURRENCIES 256

struct tx_fx {
    uint32_t reporting;
    int n;
    uint32_t code[FX_MAX_CURRENCIES];
    int32_t first[FX_MAX_CURRENCIES]; /* the first date with a rate */
    int64_t *rate[FX_MAX_CURRENCIES]; /* [TX_NDAYS]: rate x 1e9 of each day, 0 = none */
    int last;                         /* the index of the last look-up, a cache */
};

void tx_fx_free(tx_fx *fx)
{
    if (!fx)
        return;
    for (int i = 0; i < fx->n; i++)
        free(fx->rate[i]);
    free(fx);
}

int tx_fx_currency_ok(const char *c)
{
    return c && strlen(c) == 3 && isupper((unsigned char)c[0]) && isupper((unsigned char)c[1]) &&
           isupper((unsigned char)c[2]) && c[0] <= 'Z' && c[1] <= 'Z' && c[2] <= 'Z';
}

static int find(const tx_fx *fx, uint32_t code)
{
    for (int i = 0; i < fx->n; i++)
        if (fx->code[i] == code)
            return i;
    return -1;
}

/* "D{1,9}(.D{1,9})?" > 0 as units of 1e-9, or -1. */
static int64_t parse_rate(const char *s, size_t len)
{
    int64_t ip = 0, fp = 0, scale = FX_SCALE;
    size_t i = 0, nd = 0;
    for (; i < len && isdigit((unsigned char)s[i]); i++, nd++)
        ip = ip * 10 + (s[i] - '0');
    if (nd == 0 || nd > 9)
        return -1;
    if (i < len && s[i] == '.') {
        size_t nf = 0;
        for (i++; i < len && isdigit((unsigned char)s[i]); i++, nf++) {
            if (nf == 9)
                return -1;
            scale /= 10;
            fp += (s[i] - '0') * scale;
        }
        if (nf == 0)
            return -1;
    }
    if (i != len)
        return -1;
    int64_t r = ip * FX_SCALE + fp;
    return r > 0 ? r : -1;
}

static int parse_date(const char *s, size_t len, int32_t *out)
{
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int v[3] = {0, 0, 0}, pos[3][2] = {{0, 4}, {5, 2}, {8, 2}};
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < pos[k][1]; j++) {
            char c = s[pos[k][0] + j];
            if (!isdigit((unsigned char)c))
                return -1;
            v[k] = v[k] * 10 + (c - '0');
        }
    if (v[0] < 1970 || v[0] > 2099 || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
        v[2] > tx_month_days(v[0], v[1]))
        return -1;
    *out = tx_days_from_civil(v[0], v[1], v[2]);
    return 0;
}

int tx_fx_parse(const char *text, size_t len, const char *name, const char *reporting,
                tx_fx **out, tx_error *err)
{
    *out = NULL;
    if (!tx_fx_currency_ok(reporting))
        return tx_error_set(err, TX_EUSAGE, "--reporting-currency: '%s' is not three letters "
                            "A-Z (e.g. USD)", reporting ? reporting : "");
    tx_fx *fx = TX_XCALLOC(1, sizeof *fx);
    fx->reporting = tx_currency_pack(reporting);
    int rc = TX_OK;
    size_t pos = 0;
    for (long line = 1; pos < len && rc == TX_OK; line++) {
        const char *l = text + pos, *nl = memchr(l, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - l) : len - pos;
        pos += ll + (nl != NULL);
        if (ll && l[ll - 1] == '\r')
            ll--;
        if (line == 1) {
            if (ll != 18 || memcmp(l, "date,currency,rate", 18) != 0)
                rc = tx_error_set(err, TX_EUSAGE, "--fx-rates %s:1: the header must be "
                                  "'date,currency,rate'", name);
            continue;
        }
        if (ll == 0)
            continue;
        const char *c1 = memchr(l, ',', ll), *c2 = c1 ? memchr(c1 + 1, ',', ll - (size_t)(c1 + 1 - l)) : NULL;
        int32_t date = 0;
        char cur[4] = "";
        int64_t rate = -1;
        if (c2 && c2 - c1 == 4) {
            memcpy(cur, c1 + 1, 3);
            rate = parse_rate(c2 + 1, ll - (size_t)(c2 + 1 - l));
        }
        if (!c2 || parse_date(l, (size_t)(c1 - l), &date) != 0 || !tx_fx_currency_ok(cur) ||
            rate < 0) {
            rc = tx_error_set(err, TX_EUSAGE, "--fx-rates %s:%ld: '%.*s' is not 'YYYY-MM-DD,"
                              "CUR,RATE' (a date 1970..2099, three letters A-Z, a rate > 0 with "
                              "at most 9 integer and 9 fraction digits)", name, line,
                              (int)(ll > 80 ? 80 : ll), l);
            break;
        }
        uint32_t code = tx_currency_pack(cur);
        if (code == fx->reporting) {
            if (rate != FX_SCALE)
                rc = tx_error_set(err, TX_EUSAGE, "--fx-rates %s:%ld: %s is the reporting "
                                  "currency: its rate is 1, not %.*s", name, line, cur,
                                  (int)(ll - (size_t)(c2 + 1 - l)), c2 + 1);
            continue;
        }
        int k = find(fx, code);
        if (k < 0) {
            if (fx->n == FX_MAX_CURRENCIES) {
                rc = tx_error_set(err, TX_EUSAGE, "--fx-rates %s:%ld: more than %d currencies",
                                  name, line, FX_MAX_CURRENCIES);
                break;
            }
            k = fx->n++;
            fx->code[k] = code;
            fx->first[k] = INT32_MAX;
            fx->rate[k] = TX_XCALLOC(TX_NDAYS, sizeof *fx->rate[k]);
        }
        if (fx->rate[k][date]) {
            rc = tx_error_set(err, TX_EUSAGE, "--fx-rates %s:%ld: a second rate for %s on "
                              "%.10s", name, line, cur, l);
            break;
        }
        fx->rate[k][date] = rate;
        if (date < fx->first[k])
            fx->first[k] = date;
    }
    if (rc == TX_OK && len == 0 && name[0])
        rc = tx_error_set(err, TX_EUSAGE, "--fx-rates %s: empty (the header must be "
                          "'date,currency,rate')", name);
    /* Every day: the latest rate on or before it. */
    for (int k = 0; k < fx->n && rc == TX_OK; k++)
        for (int32_t d = fx->first[k] + 1; d < TX_NDAYS; d++)
            if (!fx->rate[k][d])
                fx->rate[k][d] = fx->rate[k][d - 1];
    if (rc != TX_OK) {
        tx_fx_free(fx);
        return rc;
    }
    *out = fx;
    return TX_OK;
}

int tx_fx_load(const char *path, const char *reporting, tx_fx **out, tx_error *err)
{
    *out = NULL;
    if (!path)
        return tx_fx_parse("", 0, "", reporting ? reporting : "USD", out, err);
    FILE *f = fopen(path, "rb");
    if (!f)
        return tx_error_set(err, TX_EUSAGE, "--fx-rates %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            buf = TX_XREALLOC(buf, cap);
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    int rc = bad ? tx_error_set(err, TX_EUSAGE, "--fx-rates %s: read error", path)
                 : tx_fx_parse(buf, len, path, reporting ? reporting : "USD", out, err);
    free(buf);
    return rc;
}

int tx_fx_load_collective(MPI_Comm comm, const char *path, const char *reporting, tx_fx **out,
                          tx_error *err)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    *out = NULL;
    if (!path) /* no file: only the reporting currency converts */
        return tx_agree(comm, tx_fx_load(NULL, reporting, out, err), err);
    /* rank 0 reads the file (it may exist on its host only), every rank parses it */
    char *buf = NULL;
    long long len = 0;
    int rc = TX_OK;
    if (rank == 0) {
        FILE *f = fopen(path, "rb");
        if (!f)
            rc = tx_error_set(err, TX_EUSAGE, "--fx-rates %s: %s", path, strerror(errno));
        else {
            size_t cap = 0;
            for (;;) {
                if ((size_t)len == cap) {
                    cap = cap ? 2 * cap : 1 << 16;
                    buf = TX_XREALLOC(buf, cap);
                }
                size_t got = fread(buf + len, 1, cap - (size_t)len, f);
                len += (long long)got;
                if (got == 0)
                    break;
            }
            if (ferror(f))
                rc = tx_error_set(err, TX_EUSAGE, "--fx-rates %s: read error", path);
            fclose(f);
        }
    }
    rc = tx_agree(comm, rc, err);
    if (rc != TX_OK) {
        free(buf);
        return rc;
    }
    MPI_Bcast(&len, 1, MPI_LONG_LONG, 0, comm);
    if (rank != 0)
        buf = TX_XMALLOC((size_t)len + 1);
    for (long long off = 0; off < len; off += 1 << 30) {
        long long n = len - off < (1 << 30) ? len - off : (1 << 30);
        MPI_Bcast(buf + off, (int)n, MPI_CHAR, 0, comm);
    }
    rc = tx_fx_parse(buf ? buf : "", (size_t)len, path, reporting ? reporting : "USD", out, err);
    free(buf);
    return tx_agree(comm, rc, err); /* the same text: the same outcome everywhere */
}

uint32_t tx_fx_reporting(const tx_fx *fx)
{
    return fx->reporting;
}

int32_t tx_fx_first_date(const tx_fx *fx, uint32_t currency)
{
    if (currency == 0)
        currency = tx_currency_pack("USD");
    if (currency == fx->reporting)
        return INT32_MIN;
    int k = find(fx, currency);
    return k < 0 ? INT32_MAX : fx->first[k];
}

int tx_fx_convert(tx_fx *fx, uint32_t currency, int32_t date, int64_t cents, int64_t *out)
{
    if (currency == 0)
        currency = tx_currency_pack("USD");
    if (currency == fx->reporting) {
        *out = cents;
        return 1;
    }
    int k = fx->last;
    if (k >= fx->n || fx->code[k] != currency) {
        k = find(fx, currency);
        if (k < 0)
            return 0;
        fx->last = k;
    }
    if (date < 0 || date >= TX_NDAYS || !fx->rate[k][date])
        return 0;
    /* cents x rate exactly, then rounded half away from zero to whole cents */
    __int128 v = (__int128)cents * fx->rate[k][date];
    __int128 q = v / FX_SCALE, r = v % FX_SCALE;
    if (2 * (r < 0 ? -r : r) >= FX_SCALE)
        q += v < 0 ? -1 : 1;
    *out = (int64_t)q;
    return 1;
}

/* ---- which currencies lack rates: the refusal of a snapshot, and of a load before it writes */

static int quad_cmp(const void *pa, const void *pb)
{
    const int64_t *a = pa, *b = pb;
    return (a[0] > b[0]) - (a[0] < b[0]);
}

void tx_fx_gather(MPI_Comm comm, const int64_t *mine, int n, int64_t **out, size_t *nout)
{
    size_t total = 0;
    int64_t *all = tx_allgather_var(comm, mine, 4 * n, MPI_INT64_T, sizeof *all, &total);
    size_t nall = total / 4, ng = 0;
    qsort(all, nall, 4 * sizeof *all, quad_cmp);
    for (size_t i = 0; i < nall; i++) { /* combine each code's records into the first */
        int64_t *g = all + 4 * ng, *r = all + 4 * i;
        if (i && g[-4] == r[0]) {
            g[-3] += r[1];
            g[-2] += r[2];
            if (r[3] < g[-1])
                g[-1] = r[3];
        } else {
            memmove(g, r, 4 * sizeof *g);
            ng++;
        }
    }
    *out = all;
    *nout = ng;
}

int tx_fx_refusal(const int64_t *all, size_t ng, const tx_fx *fx, const char *fx_name,
                  const char *what, const char *after, tx_error *err)
{
    int64_t rows = 0;
    int32_t first = INT32_MAX;
    int nmissing = 0;
    for (size_t i = 0; i < ng; i++) {
        rows += all[4 * i + 1];
        if (all[4 * i + 2]) {
            nmissing++;
            if (all[4 * i + 3] < first)
                first = (int32_t)all[4 * i + 3];
        }
    }
    if (!nmissing)
        return TX_OK;
    char list[512] = "", cur[4], rep[4], d[16];
    size_t len = 0;
    int j = 0;
    for (size_t i = 0; i < ng && len < sizeof list; i++) {
        if (!all[4 * i + 2])
            continue;
        j++;
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%s %.1f%%",
                                j == 1 ? "" : j == nmissing ? " and " : ", ",
                                tx_currency_unpack((uint32_t)all[4 * i], cur),
                                100.0 * (double)all[4 * i + 2] / (double)rows);
    }
    tx_currency_unpack(tx_fx_reporting(fx), rep);
    return tx_error_set(err, TX_EUSAGE,
                        "%s of %s have no rate into %s %s%s for dates from %s: give --fx-rates "
                        "with rates for them, or --reporting-currency%s",
                        list, what, rep, fx_name ? "in --fx-rates " : "(no --fx-rates given)",
                        fx_name ? fx_name : "", tx_format_date(first, d), after ? after : "");
}

void tx_fx_need_add(tx_fx_need *nd, tx_fx *fx, uint32_t currency, int32_t date, uint64_t n)
{
    if (currency == 0)
        currency = tx_currency_pack("USD");
    size_t k = nd->last;
    if (k >= nd->n || nd->q[4 * k] != (int64_t)currency) {
        for (k = 0; k < nd->n && nd->q[4 * k] != (int64_t)currency; k++)
            ;
        if (k == nd->n) {
            if (nd->n == nd->cap) {
                nd->cap = nd->cap ? 2 * nd->cap : 8;
                nd->q = TX_XREALLOC(nd->q, 4 * nd->cap * sizeof *nd->q);
            }
            int64_t *q = nd->q + 4 * nd->n++;
            q[0] = currency, q[1] = 0, q[2] = 0, q[3] = INT32_MAX;
        }
        nd->last = k;
    }
    int64_t *q = nd->q + 4 * k, ignore;
    q[1] += (int64_t)n;
    if (!tx_fx_convert(fx, currency, date, 0, &ignore)) {
        q[2] += (int64_t)n;
        if (date < q[3])
            q[3] = date;
    }
}

int tx_fx_need_agree(MPI_Comm comm, const tx_fx_need *nd, const tx_fx *fx, const char *fx_name,
                     const char *what, const char *after, tx_error *err)
{
    int64_t *all;
    size_t ng;
    tx_fx_gather(comm, nd->q, (int)nd->n, &all, &ng);
    int rc = tx_fx_refusal(all, ng, fx, fx_name, what, after, err);
    free(all);
    return rc;
}

void tx_fx_need_free(tx_fx_need *nd)
{
    free(nd->q);
    memset(nd, 0, sizeof *nd);
}
