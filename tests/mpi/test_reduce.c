/* test_reduce.c - tx_reduce_snapshot against a serial reference computed in the test.
 *
 * Every rank generates the same seeded population and keeps a share of it (round robin, or
 * everything on the last rank); rank 0 computes the docs/analytics.md results with plain sorts and loops
 * and reads the snapshot back with serial HDF5. Scenarios:
 *   reduce-day-np<P>   day unit, explicit as-of with later transactions ignored, round robin
 *   reduce-week-np<P>  week unit, default as-of, every transaction on the last rank
 *   reduce-empty-np<P> no transactions at all: a valid file with empty datasets
 *   reduce-holdout-np<P> day unit, --holdout-start: /customers, /revenue, /model as without it,
 *                      /holdout against a serial calibration/holdout split, a serial BG/NBD
 *                      fit and direct tx_bgnbd_expected calls; bad holdout dates refused
 *   error paths: an unusable directory and a bad run id fail on every rank, no file left.
 * The day and week snapshots of 1, 2 and 3 ranks are compared by snapcmp
 * (tests/analytics.cmake). */
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "txetl/clv.h"
#include "txetl/cmp.h"
#include "txetl/reduce.h"

#define NCUST 3000
#define DAY0 10000 /* 1997-05-19 */
#define SPAN 700

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double unif(uint64_t *s)
{
    return (double)(splitmix(s) >> 11) * 0x1.0p-53;
}

/* The whole population, the same on every rank: BG/NBD-like customers (a purchase rate and a
 * dropout chance each, a spend level each), sparse large ids, some refunds, some days with two
 * purchases. */
static tx_txn *population(size_t *n)
{
    size_t cap = 1024, k = 0;
    tx_txn *t = malloc(cap * sizeof *t);
    uint64_t s = 42;
    for (uint64_t c = 0; c < NCUST; c++) {
        int32_t d = DAY0 + (int32_t)(unif(&s) * SPAN * 0.7);
        double gap = 2 + 80 * unif(&s) * unif(&s), drop = 0.03 + 0.5 * unif(&s);
        double spend = 500 + 30000 * pow(unif(&s), 3);
        uint64_t id = 1000003ull * (c * 7919 % NCUST) + 9000000000000000000ull;
        while (d < DAY0 + SPAN) {
            int copies = unif(&s) < 0.1 ? 2 : 1;
            for (int j = 0; j < copies; j++) {
                if (k == cap)
                    t = realloc(t, (cap *= 2) * sizeof *t);
                int64_t amount = (int64_t)(spend * (0.5 + unif(&s)));
                if (unif(&s) < 0.03)
                    amount = -amount / 2;
                t[k++] = (tx_txn){id, amount, d, 0};
            }
            if (unif(&s) < drop)
                break;
            d += 1 + (int32_t)(-gap * log(1 - unif(&s)));
        }
    }
    *n = k;
    return t;
}

/* ---- the serial reference ---- */

typedef struct ref_cust {
    uint64_t id;
    int32_t first, last;
    uint32_t orders;
    int64_t revenue;
    int ndays;
    int64_t first_day_sum;
    int r, f, m, seg;
} ref_cust;

static int cmp_txn(const void *pa, const void *pb)
{
    const tx_txn *a = pa, *b = pb;
    int c = TX_CMP(a->customer_id, b->customer_id);
    return c ? c : TX_CMP(a->date, b->date);
}

static int ord_key; /* 0 R, 1 F, 2 M */
static int cmp_ord(const void *pa, const void *pb)
{
    const ref_cust *a = *(ref_cust *const *)pa, *b = *(ref_cust *const *)pb;
    int64_t ka = ord_key == 0 ? a->last : ord_key == 1 ? a->orders : a->revenue;
    int64_t kb = ord_key == 0 ? b->last : ord_key == 1 ? b->orders : b->revenue;
    if (ka != kb)
        return ka < kb ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* The §5 segment table, written out independently of src/analytics. */
static int ref_segment(int r, int f)
{
    static const char *names[] = {"Champions",        "Loyal",       "Potential loyalist",
                                  "New customers",    "Promising",   "Need attention",
                                  "About to sleep",   "At risk",     "Cannot lose them",
                                  "Hibernating",      "Lost"};
    (void)names;
    if (r == 5 && f >= 4) return 0;
    if ((r == 3 || r == 4) && f >= 4) return 1;
    if (r >= 4 && (f == 2 || f == 3)) return 2;
    if (r == 5 && f == 1) return 3;
    if (r == 4 && f == 1) return 4;
    if (r == 3 && f == 3) return 5;
    if (r == 3 && f <= 2) return 6;
    if (r <= 2 && (f == 3 || f == 4)) return 7;
    if (r <= 2 && f == 5) return 8;
    if (r == 2 && f <= 2) return 9;
    if (r == 1 && f <= 2) return 10;
    return -1;
}

/* Reference NTILE(5): plain loop over n rows, bucket sizes q+1 for the first n mod 5. */
static void ref_ntile(ref_cust **ord, size_t n, int which)
{
    size_t q = n / 5, rem = n % 5, pos = 0;
    for (int b = 1; b <= 5; b++) {
        size_t sz = q + ((size_t)(b - 1) < rem);
        for (size_t k = 0; k < sz; k++, pos++) {
            ref_cust *c = ord[pos];
            if (which == 0) c->r = b;
            else if (which == 1) c->f = b;
            else c->m = b;
        }
    }
}

typedef struct reference {
    size_t n;
    ref_cust *c;
    int32_t as_of;
    /* revenue by day index (date - DAY0) and month index */
    int64_t drev[SPAN + 40];
    uint64_t dtx[SPAN + 40], dcu[SPAN + 40];
} reference;

static void reference_build(tx_txn *all, size_t n, int32_t as_of, reference *ref)
{
    memset(ref, 0, sizeof *ref);
    if (as_of == INT32_MIN)
        for (size_t i = 0; i < n; i++)
            if (all[i].date > as_of)
                as_of = all[i].date;
    ref->as_of = as_of;
    qsort(all, n, sizeof *all, cmp_txn);
    ref->c = calloc(n + 1, sizeof *ref->c);
    for (size_t i = 0; i < n; i++) {
        const tx_txn *t = &all[i];
        if (t->date > as_of)
            continue;
        ref_cust *c = ref->n ? &ref->c[ref->n - 1] : NULL;
        if (!c || c->id != t->customer_id) {
            c = &ref->c[ref->n++];
            c->id = t->customer_id;
            c->first = t->date;
            c->ndays = 1;
            c->first_day_sum = 0;
            c->last = t->date;
        } else if (t->date != c->last) {
            c->ndays++;
        }
        if (t->date == c->first)
            c->first_day_sum += t->amount_cents;
        int newday = c->orders == 0 || t->date != c->last;
        c->last = t->date;
        c->orders++;
        c->revenue += t->amount_cents;
        int d = t->date - DAY0;
        ref->drev[d] += t->amount_cents;
        ref->dtx[d]++;
        ref->dcu[d] += newday;
    }
    ref_cust **ord = malloc(ref->n * sizeof *ord + 1);
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < ref->n; i++)
            ord[i] = &ref->c[i];
        ord_key = k;
        qsort(ord, ref->n, sizeof *ord, cmp_ord);
        ref_ntile(ord, ref->n, k);
    }
    free(ord);
    for (size_t i = 0; i < ref->n; i++)
        ref->c[i].seg = ref_segment(ref->c[i].r, ref->c[i].f);
}

/* ---- reading the snapshot back (serial HDF5, rank 0) ---- */

static void *read_ds(hid_t f, const char *path, hid_t mtype, size_t esize, size_t *n)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0) {
        fprintf(stderr, "missing dataset %s\n", path);
        *n = 0;
        return NULL;
    }
    hid_t sp = H5Dget_space(d);
    hssize_t np = H5Sget_simple_extent_npoints(sp);
    *n = (size_t)np;
    void *buf = calloc((size_t)np + 1, esize);
    if (np > 0 && H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        fprintf(stderr, "cannot read %s\n", path);
    H5Sclose(sp);
    H5Dclose(d);
    return buf;
}

static int read_attr_str(hid_t obj, const char *name, char *out, size_t len)
{
    out[0] = '\0';
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return -1;
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    char *s = NULL;
    int rc = H5Aread(a, t, &s);
    if (rc >= 0 && s) {
        snprintf(out, len, "%s", s);
        H5free_memory(s);
    }
    H5Tclose(t);
    H5Aclose(a);
    return rc;
}

/* String attribute `name` of obj is day `days` as YYYY-MM-DD (by the C library, not txetl's
 * calendar). */
static void check_date_attr(hid_t obj, const char *name, int32_t days)
{
    char s[64], want[32];
    time_t tt = (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(want, sizeof want, "%Y-%m-%d", &tm);
    read_attr_str(obj, name, s, sizeof s);
    CHECK_MSG(strcmp(s, want) == 0, "%s %s, want %s", name, s, want);
}

static double read_attr_f64(hid_t obj, const char *name, hid_t mtype)
{
    double v = NAN;
    uint64_t u = 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0)
        return NAN;
    if (H5Tequal(mtype, H5T_NATIVE_DOUBLE) > 0)
        H5Aread(a, mtype, &v);
    else {
        H5Aread(a, H5T_NATIVE_UINT64, &u);
        v = (double)u;
    }
    H5Aclose(a);
    return v;
}

static int close_rel(double a, double b, double tol)
{
    return fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static void check_snapshot(const char *path, const reference *ref, int unit_week,
                           const tx_run_info *run, int32_t as_of)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK_MSG(f >= 0, "open %s", path);
    if (f < 0)
        return;
    char s[128];
    read_attr_str(f, "format", s, sizeof s);
    CHECK(strcmp(s, "txetl-snapshot") == 0);
    read_attr_str(f, "run_id", s, sizeof s);
    CHECK(strcmp(s, run->run_id) == 0);
    check_date_attr(f, "as_of", as_of);
    struct tm tm; /* the months of the reference's days, below */
    read_attr_str(f, "created_utc", s, sizeof s);
    CHECK_MSG(strcmp(s, "2026-11-25T21:15:00Z") == 0, "created_utc %s", s);
    CHECK(read_attr_f64(f, "superseded", H5T_NATIVE_UINT64) == 8);
    CHECK(read_attr_f64(f, "read", H5T_NATIVE_UINT64) == 1);

    size_t n, k;
    uint64_t *id = read_ds(f, "/customers/customer_id", H5T_NATIVE_UINT64, 8, &n);
    CHECK_MSG(n == ref->n, "%zu customers, want %zu", n, ref->n);
    int32_t *first = read_ds(f, "/customers/first_purchase", H5T_NATIVE_INT32, 4, &k);
    int32_t *last = read_ds(f, "/customers/last_purchase", H5T_NATIVE_INT32, 4, &k);
    int32_t *rd = read_ds(f, "/customers/recency_days", H5T_NATIVE_INT32, 4, &k);
    uint32_t *orders = read_ds(f, "/customers/orders", H5T_NATIVE_UINT32, 4, &k);
    int64_t *rev = read_ds(f, "/customers/revenue_cents", H5T_NATIVE_INT64, 8, &k);
    uint8_t *r = read_ds(f, "/customers/r_score", H5T_NATIVE_UINT8, 1, &k);
    uint8_t *fs = read_ds(f, "/customers/f_score", H5T_NATIVE_UINT8, 1, &k);
    uint8_t *m = read_ds(f, "/customers/m_score", H5T_NATIVE_UINT8, 1, &k);
    uint8_t *seg = read_ds(f, "/customers/segment", H5T_NATIVE_UINT8, 1, &k);
    double *freq = read_ds(f, "/customers/frequency", H5T_NATIVE_DOUBLE, 8, &k);
    double *rec = read_ds(f, "/customers/recency", H5T_NATIVE_DOUBLE, 8, &k);
    double *T = read_ds(f, "/customers/T", H5T_NATIVE_DOUBLE, 8, &k);
    double *mon = read_ds(f, "/customers/monetary_value", H5T_NATIVE_DOUBLE, 8, &k);
    double *pa = read_ds(f, "/customers/p_alive", H5T_NATIVE_DOUBLE, 8, &k);
    double *ep = read_ds(f, "/customers/expected_purchases", H5T_NATIVE_DOUBLE, 8, &k);
    double *eav = read_ds(f, "/customers/expected_avg_value", H5T_NATIVE_DOUBLE, 8, &k);
    double *clv = read_ds(f, "/customers/clv", H5T_NATIVE_DOUBLE, 8, &k);
    CHECK(k == n);
    double unit = unit_week ? 7.0 : 1.0;
    int bad = 0;
    for (size_t i = 0; i < n && i < ref->n && bad < 10; i++) {
        const ref_cust *c = &ref->c[i];
        int ok = id[i] == c->id && first[i] == c->first && last[i] == c->last &&
                 rd[i] == ref->as_of - c->last && orders[i] == c->orders &&
                 rev[i] == c->revenue && r[i] == c->r && fs[i] == c->f && m[i] == c->m &&
                 seg[i] == c->seg && freq[i] == c->ndays - 1 &&
                 close_rel(rec[i], (c->last - c->first) / unit, 1e-12) &&
                 close_rel(T[i], (ref->as_of - c->first) / unit, 1e-12) &&
                 close_rel(mon[i],
                           c->ndays > 1 ? (c->revenue - c->first_day_sum) / 100.0 / (c->ndays - 1)
                                        : 0.0,
                           1e-12) &&
                 isfinite(pa[i]) && pa[i] >= 0 && pa[i] <= 1 && isfinite(ep[i]) && ep[i] >= 0 &&
                 isfinite(eav[i]) && isfinite(clv[i]) && (c->ndays > 1 || pa[i] == 1.0);
        CHECK_MSG(ok, "customer row %zu id %llu differs (orders %u/%u rev %lld/%lld r %d/%d f %d/%d m %d/%d seg %d/%d mon %g p_alive %g)",
                  i, (unsigned long long)c->id, orders[i], c->orders, (long long)rev[i],
                  (long long)c->revenue, r[i], c->r, fs[i], c->f, m[i], c->m, seg[i], c->seg,
                  mon[i], pa[i]);
        bad += !ok;
    }

    /* Daily revenue: only days with transactions. */
    int32_t *dd = read_ds(f, "/revenue/daily/date", H5T_NATIVE_INT32, 4, &n);
    int64_t *dr = read_ds(f, "/revenue/daily/revenue_cents", H5T_NATIVE_INT64, 8, &k);
    uint64_t *dt = read_ds(f, "/revenue/daily/transactions", H5T_NATIVE_UINT64, 8, &k);
    uint64_t *dc = read_ds(f, "/revenue/daily/customers", H5T_NATIVE_UINT64, 8, &k);
    size_t j = 0;
    int64_t mrev[64] = {0};
    uint64_t mtx[64] = {0};
    int mkey[64] = {0}, nmon = 0;
    for (int d = 0; d < SPAN + 40; d++) {
        if (!ref->dtx[d])
            continue;
        CHECK_MSG(j < n && dd[j] == DAY0 + d && dr[j] == ref->drev[d] &&
                      dt[j] == ref->dtx[d] && dc[j] == ref->dcu[d],
                  "daily row %zu (day %d)", j, DAY0 + d);
        j++;
        time_t t2 = (time_t)(DAY0 + d) * 86400;
        gmtime_r(&t2, &tm);
        int key = (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
        if (!nmon || mkey[nmon - 1] != key)
            mkey[nmon++] = key;
        mrev[nmon - 1] += ref->drev[d];
        mtx[nmon - 1] += ref->dtx[d];
    }
    CHECK(j == n);
    /* Monthly: revenue and transactions from the days; active and new from the customers. */
    int32_t *mm = read_ds(f, "/revenue/monthly/month", H5T_NATIVE_INT32, 4, &n);
    int64_t *mr = read_ds(f, "/revenue/monthly/revenue_cents", H5T_NATIVE_INT64, 8, &k);
    uint64_t *mt = read_ds(f, "/revenue/monthly/transactions", H5T_NATIVE_UINT64, 8, &k);
    uint64_t *ma = read_ds(f, "/revenue/monthly/active_customers", H5T_NATIVE_UINT64, 8, &k);
    uint64_t *mn = read_ds(f, "/revenue/monthly/new_customers", H5T_NATIVE_UINT64, 8, &k);
    CHECK((int)n == nmon);
    uint64_t new_total = 0;
    for (int i = 0; i < nmon && i < (int)n; i++) {
        CHECK_MSG(mm[i] == mkey[i] && mr[i] == mrev[i] && mt[i] == mtx[i], "month %d", mkey[i]);
        CHECK(ma[i] >= mn[i] && ma[i] <= ref->n);
        new_total += mn[i];
        uint64_t nw = 0;
        for (size_t c = 0; c < ref->n; c++) {
            gmtime_r(&(time_t){(time_t)ref->c[c].first * 86400}, &tm);
            nw += (tm.tm_year + 1900) * 100 + tm.tm_mon + 1 == mkey[i];
        }
        CHECK_MSG(mn[i] == nw, "new customers of %d: %llu, want %llu", mkey[i],
                  (unsigned long long)mn[i], (unsigned long long)nw);
    }
    CHECK(new_total == ref->n);

    /* Models and segment names. */
    hid_t g = H5Gopen2(f, "/model/bgnbd", H5P_DEFAULT);
    CHECK(g >= 0);
    read_attr_str(g, "unit", s, sizeof s);
    CHECK(strcmp(s, unit_week ? "week" : "day") == 0);
    CHECK(read_attr_f64(g, "n", H5T_NATIVE_UINT64) == (double)ref->n);
    CHECK(read_attr_f64(g, "r", H5T_NATIVE_DOUBLE) > 0);
    H5Gclose(g);
    hid_t cg = H5Gopen2(f, "/customers", H5P_DEFAULT);
    hid_t a = H5Aopen(cg, "segment_names", H5P_DEFAULT);
    CHECK(a >= 0);
    hid_t sp = H5Aget_space(a);
    CHECK(H5Sget_simple_extent_npoints(sp) == 11);
    H5Sclose(sp);
    H5Aclose(a);
    H5Gclose(cg);
    H5Fclose(f);
    void *bufs[] = {id, first, last, rd, orders, rev, r, fs, m, seg, freq, rec, T, mon, pa, ep,
                    eav, clv, dd, dr, dt, dc, mm, mr, mt, ma, mn};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
}

static void check_empty(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK_MSG(f >= 0, "open %s", path);
    if (f < 0)
        return;
    static const char *ds[] = {"/customers/customer_id", "/customers/clv", "/revenue/daily/date",
                               "/revenue/monthly/new_customers"};
    for (size_t i = 0; i < 4; i++) {
        size_t n = 99;
        free(read_ds(f, ds[i], H5T_NATIVE_DOUBLE, 8, &n));
        CHECK_MSG(n == 0, "%s has %zu rows", ds[i], n);
    }
    hid_t g = H5Gopen2(f, "/model/gamma_gamma", H5P_DEFAULT);
    CHECK(g >= 0);
    CHECK(read_attr_f64(g, "n", H5T_NATIVE_UINT64) == 0);
    CHECK(isnan(read_attr_f64(g, "p", H5T_NATIVE_DOUBLE)));
    H5Gclose(g);
    char s[64];
    read_attr_str(f, "as_of", s, sizeof s);
    CHECK_MSG(strcmp(s, "2026-11-25") == 0, "empty as_of %s", s);
    H5Fclose(f);
}

/* ---- the holdout check (--holdout-start) ---- */

static double attr_f64(hid_t obj, const char *name)
{
    return read_attr_f64(obj, name, H5T_NATIVE_DOUBLE);
}

/* The serial reference of /holdout from all transactions (lifetimes'
 * calibration_and_holdout_data: calibration_end = start - 1, holdout (calibration_end, as_of]),
 * compared with the snapshot at path; main_path is the snapshot of the same data without
 * --holdout-start, whose /model/bgnbd must be the holdout snapshot's exactly. */
static void check_holdout(const char *path, const char *main_path, tx_txn *all, size_t nall,
                          int32_t as_of, int32_t start)
{
    qsort(all, nall, sizeof *all, cmp_txn);
    const int32_t cal_end = start - 1;
    size_t cap = NCUST + 1, n = 0;
    uint64_t *id = calloc(cap, sizeof *id);
    double *x = calloc(cap, sizeof *x), *act = calloc(cap, sizeof *act);
    tx_clv_customer *cc = calloc(cap, sizeof *cc);
    int32_t first = 0, last = 0, prev = INT32_MIN;
    uint64_t prev_id = 0;
    int have = 0;
    for (size_t i = 0; i <= nall; i++) {
        int end = i == nall || all[i].customer_id != prev_id;
        if (end && have) { /* close the previous customer */
            cc[n - 1] = (tx_clv_customer){x[n - 1], (double)(last - first),
                                          (double)(cal_end - first), 0.0};
            have = 0;
        }
        if (i == nall)
            break;
        const tx_txn *t = &all[i];
        if (t->customer_id != prev_id) {
            prev_id = t->customer_id;
            prev = INT32_MIN;
            if (t->date < start && t->date <= as_of) { /* a calibration customer */
                id[n] = t->customer_id;
                x[n] = -1;
                act[n] = 0;
                first = t->date;
                n++;
                have = 1;
            }
        }
        if (!have || t->date > as_of || t->date == prev)
            continue;
        prev = t->date;
        if (t->date < start) {
            x[n - 1] += 1;
            last = t->date;
        } else {
            act[n - 1] += 1;
        }
    }
    tx_bgnbd_fit serial;
    tx_error err;
    tx_error_clear(&err);
    CHECK_MSG(tx_bgnbd_fit_run(cc, n, NULL, NULL, &serial, &err) == TX_OK, "serial fit: %s",
              err.msg);

    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK_MSG(f >= 0, "open %s", path);
    if (f < 0)
        return;
    hid_t g = H5Gopen2(f, "/holdout", H5P_DEFAULT);
    CHECK_MSG(g >= 0, "%s has no /holdout", path);
    check_date_attr(g, "calibration_end", cal_end);
    CHECK(attr_f64(g, "holdout_days") == (double)(as_of - cal_end));
    CHECK_MSG(read_attr_f64(g, "n", H5T_NATIVE_UINT64) == (double)n, "holdout n %g, want %zu",
              read_attr_f64(g, "n", H5T_NATIVE_UINT64), n);
    CHECK(attr_f64(g, "converged") == 1);
    tx_bgnbd_fit fit = {.r = attr_f64(g, "r"), .alpha = attr_f64(g, "alpha"),
                        .a = attr_f64(g, "a"), .b = attr_f64(g, "b"),
                        .loglik = attr_f64(g, "loglik"), .converged = 1, .n = n};
    CHECK_MSG(close_rel(fit.r, serial.r, 1e-6) && close_rel(fit.alpha, serial.alpha, 1e-6) &&
                  close_rel(fit.a, serial.a, 1e-6) && close_rel(fit.b, serial.b, 1e-6) &&
                  close_rel(fit.loglik, serial.loglik, 1e-9),
              "holdout fit r %.9g alpha %.9g a %.9g b %.9g ll %.12g; serial %.9g %.9g %.9g %.9g "
              "%.12g",
              fit.r, fit.alpha, fit.a, fit.b, fit.loglik, serial.r, serial.alpha, serial.a,
              serial.b, serial.loglik);

    size_t k;
    uint64_t *hid = read_ds(f, "/holdout/customer_id", H5T_NATIVE_UINT64, 8, &k);
    CHECK_MSG(k == n, "/holdout has %zu rows, want %zu", k, n);
    double *hx = read_ds(f, "/holdout/frequency_cal", H5T_NATIVE_DOUBLE, 8, &k);
    double *hp = read_ds(f, "/holdout/predicted", H5T_NATIVE_DOUBLE, 8, &k);
    double *ha = read_ds(f, "/holdout/actual", H5T_NATIVE_DOUBLE, 8, &k);
    const double duration = (double)(as_of - cal_end);
    double sp = 0, sa = 0, sae = 0, bp[8] = {0}, ba[8] = {0};
    uint64_t bn[8] = {0};
    int bad = 0;
    for (size_t i = 0; i < n && i < k && bad < 10; i++) {
        double p = tx_bgnbd_expected(&fit, &cc[i], duration);
        int ok = hid[i] == id[i] && hx[i] == x[i] && ha[i] == act[i] &&
                 close_rel(hp[i], p, 1e-9) && isfinite(p);
        CHECK_MSG(ok, "holdout row %zu: id %llu/%llu x %g/%g actual %g/%g predicted %.12g/%.12g",
                  i, (unsigned long long)hid[i], (unsigned long long)id[i], hx[i], x[i], ha[i],
                  act[i], hp[i], p);
        bad += !ok;
        int b = x[i] >= 7 ? 7 : (int)x[i];
        sp += p;
        sa += act[i];
        sae += fabs(p - act[i]);
        bp[b] += p;
        ba[b] += act[i];
        bn[b]++;
    }
    CHECK(sa > 0 && sp > 0);
    CHECK_MSG(attr_f64(g, "sum_actual") == sa, "sum_actual %g, want %g",
              attr_f64(g, "sum_actual"), sa);
    CHECK(close_rel(attr_f64(g, "sum_predicted"), sp, 1e-9));
    CHECK(close_rel(attr_f64(g, "mae"), sae / (double)n, 1e-9));
    int32_t *bf = read_ds(f, "/holdout/by_frequency/frequency_cal", H5T_NATIVE_INT32, 4, &k);
    CHECK(k == 8);
    uint64_t *bc = read_ds(f, "/holdout/by_frequency/customers", H5T_NATIVE_UINT64, 8, &k);
    double *bmp = read_ds(f, "/holdout/by_frequency/mean_predicted", H5T_NATIVE_DOUBLE, 8, &k);
    double *bma = read_ds(f, "/holdout/by_frequency/mean_actual", H5T_NATIVE_DOUBLE, 8, &k);
    for (int b = 0; b < 8 && k == 8; b++) {
        CHECK_MSG(bf[b] == b && bc[b] == bn[b], "by_frequency %d: %d, %llu customers, want %llu",
                  b, bf[b], (unsigned long long)bc[b], (unsigned long long)bn[b]);
        if (bn[b])
            CHECK_MSG(close_rel(bmp[b], bp[b] / (double)bn[b], 1e-9) &&
                          close_rel(bma[b], ba[b] / (double)bn[b], 1e-9),
                      "by_frequency %d: means %g %g, want %g %g", b, bmp[b], bma[b],
                      bp[b] / (double)bn[b], ba[b] / (double)bn[b]);
        else
            CHECK(isnan(bmp[b]) && isnan(bma[b]));
    }
    H5Gclose(g);

    /* The main fit is the one without --holdout-start (same ranks, same data: bit-identical). */
    hid_t m = H5Fopen(main_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    static const char *const names[] = {"r", "alpha", "a", "b", "loglik"};
    hid_t g1 = H5Gopen2(f, "/model/bgnbd", H5P_DEFAULT);
    hid_t g2 = H5Gopen2(m, "/model/bgnbd", H5P_DEFAULT);
    for (int i = 0; i < 5; i++)
        CHECK_MSG(attr_f64(g1, names[i]) == attr_f64(g2, names[i]), "/model/bgnbd %s differs",
                  names[i]);
    CHECK(attr_f64(g1, "r") != fit.r); /* and the holdout fit is a different one */
    H5Gclose(g1);
    H5Gclose(g2);
    H5Fclose(m);
    H5Fclose(f);
    void *bufs[] = {id, x, act, cc, hid, hx, hp, ha, bf, bc, bmp, bma};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
}

static void check_no_holdout(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK_MSG(f >= 0 && H5Lexists(f, "/holdout", H5P_DEFAULT) == 0, "%s has /holdout", path);
    if (f >= 0)
        H5Fclose(f);
}

/* This rank's share of all, dealt round robin: a new array of *n transactions. */
static tx_txn *round_robin(const tx_txn *all, size_t nall, int rank, int nranks, size_t *n)
{
    tx_txn *mine = malloc((nall ? nall : 1) * sizeof *mine);
    *n = 0;
    for (size_t i = 0; i < nall; i++)
        if ((int)(i % (size_t)nranks) == rank)
            mine[(*n)++] = all[i];
    return mine;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, nranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);

    size_t nall;
    tx_txn *all = population(&nall);
    tx_run_info run;
    memset(&run, 0, sizeof run);
    run.created_unix = 1795641300; /* 2026-11-25T21:15:00Z */
    run.ranks = nranks;
    run.shards = 2;
    run.counts = (tx_run_counts){1, 2, 3, 4, 5, 6, 7, 8};
    tx_analytics_opts opts = {.as_of = DAY0 + SPAN - 60, .unit_week = 0, .horizon_days = 30,
                              .clv_months = 12, .discount_rate = 0.01,
                              .holdout_start = INT32_MIN};
    char dir[128], path[512];
    tx_error err;

    /* Day unit, explicit as-of, round robin. */
    {
        size_t n = 0;
        tx_txn *mine = round_robin(all, nall, rank, nranks, &n);
        snprintf(dir, sizeof dir, "reduce-day-np%d", nranks);
        snprintf(run.run_id, sizeof run.run_id, "test-day");
        tx_error_clear(&err);
        double t0 = MPI_Wtime();
        int st = tx_reduce_snapshot(MPI_COMM_WORLD, mine, n, &opts, &run, dir, path, sizeof path,
                                    &err);
        CHECK_MSG(st == TX_OK, "day: %s", err.msg);
        if (rank == 0) {
            printf("day snapshot %s in %.3f s\n", path, MPI_Wtime() - t0);
            reference ref;
            tx_txn *copy = malloc(nall * sizeof *copy);
            memcpy(copy, all, nall * sizeof *copy);
            reference_build(copy, nall, opts.as_of, &ref);
            check_snapshot(path, &ref, 0, &run, opts.as_of);
            check_no_holdout(path);
            char link[256] = {0};
            char lpath[256];
            snprintf(lpath, sizeof lpath, "%s/latest.h5", dir);
            CHECK(readlink(lpath, link, sizeof link - 1) > 0 &&
                  strcmp(link, "snapshot-test-day.h5") == 0);
            free(ref.c);
            free(copy);
        }
        free(mine);
    }

    /* Week unit, default as-of, everything on the last rank. */
    {
        tx_analytics_opts w = opts;
        w.as_of = INT32_MIN;
        w.unit_week = 1;
        int last = rank == nranks - 1;
        tx_txn *mine = malloc(nall * sizeof *mine);
        memcpy(mine, all, nall * sizeof *mine);
        snprintf(dir, sizeof dir, "reduce-week-np%d", nranks);
        snprintf(run.run_id, sizeof run.run_id, "test-week");
        tx_error_clear(&err);
        int st = tx_reduce_snapshot(MPI_COMM_WORLD, mine, last ? nall : 0, &w, &run, dir, path,
                                    sizeof path, &err);
        CHECK_MSG(st == TX_OK, "week: %s", err.msg);
        if (rank == 0) {
            reference ref;
            memcpy(mine, all, nall * sizeof *mine);
            reference_build(mine, nall, INT32_MIN, &ref);
            check_snapshot(path, &ref, 1, &run, ref.as_of);
            free(ref.c);
        }
        free(mine);
    }

    /* --holdout-start: day unit, explicit as-of, round robin (as the day case). */
    {
        tx_analytics_opts h = opts;
        h.holdout_start = DAY0 + 400;
        size_t n = 0;
        tx_txn *mine = round_robin(all, nall, rank, nranks, &n);
        snprintf(dir, sizeof dir, "reduce-holdout-np%d", nranks);
        snprintf(run.run_id, sizeof run.run_id, "test-holdout");
        tx_error_clear(&err);
        int st = tx_reduce_snapshot(MPI_COMM_WORLD, mine, n, &h, &run, dir, path, sizeof path,
                                    &err);
        CHECK_MSG(st == TX_OK, "holdout: %s", err.msg);
        if (rank == 0 && st == TX_OK) {
            reference ref;
            tx_txn *copy = malloc(nall * sizeof *copy);
            memcpy(copy, all, nall * sizeof *copy);
            reference_build(copy, nall, opts.as_of, &ref);
            snprintf(run.run_id, sizeof run.run_id, "test-holdout");
            check_snapshot(path, &ref, 0, &run, opts.as_of);
            char main_path[256];
            snprintf(main_path, sizeof main_path, "reduce-day-np%d/snapshot-test-day.h5", nranks);
            memcpy(copy, all, nall * sizeof *copy);
            check_holdout(path, main_path, copy, nall, opts.as_of, h.holdout_start);
            free(ref.c);
            free(copy);
        }
        /* Refused: not after the first transaction date, after as-of, out of range. */
        const int32_t bad_starts[] = {DAY0, DAY0 - 5, opts.as_of + 1, 0};
        const char *const want[] = {"first transaction", "first transaction", "after the as-of",
                                    "outside"};
        for (int i = 0; i < 4; i++) {
            h.holdout_start = bad_starts[i];
            snprintf(run.run_id, sizeof run.run_id, "test-holdout-bad%d", i);
            tx_error_clear(&err);
            st = tx_reduce_snapshot(MPI_COMM_WORLD, mine, n, &h, &run, dir, path, sizeof path,
                                    &err);
            CHECK_MSG(st == TX_EUSAGE && strstr(err.msg, "--holdout-start") &&
                          strstr(err.msg, want[i]),
                      "holdout start day %d: status %d: %s", bad_starts[i], st, err.msg);
        }
        free(mine);
    }

    /* No transactions at all. */
    {
        snprintf(dir, sizeof dir, "reduce-empty-np%d", nranks);
        snprintf(run.run_id, sizeof run.run_id, "test-empty");
        tx_analytics_opts e = opts;
        e.as_of = INT32_MIN;
        tx_error_clear(&err);
        int st = tx_reduce_snapshot(MPI_COMM_WORLD, NULL, 0, &e, &run, dir, path, sizeof path,
                                    &err);
        CHECK_MSG(st == TX_OK, "empty: %s", err.msg);
        if (rank == 0)
            check_empty(path);
    }

    /* Errors: every rank gets the same status, nothing is left behind. */
    {
        if (rank == 0) {
            FILE *fp = fopen("reduce-not-a-dir", "w");
            if (fp)
                fclose(fp);
        }
        MPI_Barrier(MPI_COMM_WORLD);
        snprintf(run.run_id, sizeof run.run_id, "test-err");
        tx_error_clear(&err);
        int st = tx_reduce_snapshot(MPI_COMM_WORLD, all, rank == 0 ? nall : 0, &opts, &run,
                                    "reduce-not-a-dir/sub", path, sizeof path, &err);
        CHECK_MSG(st == TX_ERR && strstr(err.msg, "reduce-not-a-dir"), "status %d: %s", st,
                  err.msg);
        snprintf(run.run_id, sizeof run.run_id, "bad/id");
        tx_error_clear(&err);
        st = tx_reduce_snapshot(MPI_COMM_WORLD, all, rank == 0 ? nall : 0, &opts, &run,
                                "reduce-err", path, sizeof path, &err);
        CHECK_MSG(st == TX_EUSAGE, "bad run id: status %d: %s", st, err.msg);
        struct stat sb;
        CHECK(stat("reduce-err/latest.h5", &sb) != 0);
        tx_analytics_opts bad = opts;
        bad.as_of = rank == 0 ? 999999 : opts.as_of; /* only one rank is wrong */
        snprintf(run.run_id, sizeof run.run_id, "test-err2");
        tx_error_clear(&err);
        st = tx_reduce_snapshot(MPI_COMM_WORLD, all, rank == 0 ? nall : 0, &bad, &run,
                                "reduce-err", path, sizeof path, &err);
        CHECK_MSG(st == TX_EUSAGE && strstr(err.msg, "--as-of"), "one bad rank: %d %s", st,
                  err.msg);
    }

    free(all);
    int failed = check_failures, any = 0;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    int rc = check_report("test_reduce");
    MPI_Finalize();
    return any ? 1 : rc;
}
