/* snapcmp.c - compares two txetl snapshots (or any two HDF5 files) the way docs/load.md's
 * rank-count independence reads: same objects, same types and shapes, integers and strings
 * equal, floating point within a relative tolerance (NaN equals NaN).
 *
 *   snapcmp [--rel X] [--strict] [--data-only] A.h5 B.h5
 *
 * By default the root attributes that legitimately differ between runs (run_id, created_utc,
 * ranks) are ignored, and so is the fits' grad_norm: at an optimum the gradient is rounding
 * noise (1e-7 absolute, say), whose digits change with the order of the ranks' partial sums
 * while the parameters agree to 1e-12. --strict compares them too. --rel sets the tolerance (default 1e-9):
 * |a - b| <= rel * max(|a|, |b|). --data-only compares only what the data determines: the objects
 * under /customers, /revenue, /model and /cohorts with their attributes, none of the root attributes (the
 * run's identity and its §4 counts, which differ between, say, a change batch applied to a base
 * load and a fresh load of the final state). Two txetl snapshots (root attribute format =
 * "txetl-snapshot") are first each checked against the column tables of snapshot.h: every
 * table's datasets present (the /holdout tables only with a /holdout group), 1-D, of the
 * table's type and of equal length. Exit 0 when equal, 1 at the first difference (printed),
 * 2 for usage or unreadable files. */
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txetl/snapshot_h5.h"

/* Closes with fn each of ids[0..n) that is open (>= 0); CLOSE_ALL lists the ids. */
static void close_all(herr_t (*fn)(hid_t), size_t n, const hid_t *ids)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] >= 0)
            fn(ids[i]);
}
#define CLOSE_ALL(fn, ...)                                                                         \
    close_all((fn), sizeof((hid_t[]){__VA_ARGS__}) / sizeof(hid_t), (hid_t[]){__VA_ARGS__})

static double rel_tol = 1e-9;
static int strict = 0;
static int data_only = 0;

/* --data-only: the objects compared (a path equal to or under one of these). */
static int in_data(const char *path)
{
    static const char *const roots[] = {"/customers", "/revenue", "/model", "/cohorts"};
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        size_t n = strlen(roots[i]);
        if (!strncmp(path, roots[i], n) && (path[n] == '\0' || path[n] == '/'))
            return 1;
    }
    return 0;
}

typedef struct side {
    hid_t file;
    const char *name;
} side;

typedef struct visit_ctx {
    side *a, *b;
    int diff;  /* first difference found */
    int check; /* 1: compare A's objects to B; 0: only look for B's objects missing in A */
} visit_ctx;

static int differ(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int differ(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("snapcmp: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    return 1;
}

/* An attribute or a dataset, read whole. */
typedef struct item {
    hid_t id;
    int is_attr;
} item;

static hid_t item_type(item it)
{
    return it.is_attr ? H5Aget_type(it.id) : H5Dget_type(it.id);
}

static hid_t item_space(item it)
{
    return it.is_attr ? H5Aget_space(it.id) : H5Dget_space(it.id);
}

static herr_t item_read(item it, hid_t mtype, void *buf)
{
    return it.is_attr ? H5Aread(it.id, mtype, buf)
                      : H5Dread(it.id, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
}

static int compare_items(const char *what, item a, item b)
{
    int rc = 0;
    hid_t ta = item_type(a), tb = item_type(b), sa = item_space(a), sb = item_space(b);
    hid_t ma = -1, mb = -1;
    void *ba = NULL, *bb = NULL;
    size_t n = 0;
    if (ta < 0 || tb < 0 || sa < 0 || sb < 0) {
        rc = differ("%s: cannot read type or shape", what);
        goto out;
    }
    if (H5Tequal(ta, tb) <= 0) {
        rc = differ("%s: types differ", what);
        goto out;
    }
    int ra = H5Sget_simple_extent_ndims(sa), rb = H5Sget_simple_extent_ndims(sb);
    hsize_t da[H5S_MAX_RANK], db[H5S_MAX_RANK];
    H5Sget_simple_extent_dims(sa, da, NULL);
    H5Sget_simple_extent_dims(sb, db, NULL);
    if (ra != rb || (ra > 0 && memcmp(da, db, (size_t)ra * sizeof da[0]) != 0)) {
        rc = differ("%s: shapes differ (%lld vs %lld elements)", what,
                    (long long)H5Sget_simple_extent_npoints(sa),
                    (long long)H5Sget_simple_extent_npoints(sb));
        goto out;
    }
    n = (size_t)H5Sget_simple_extent_npoints(sa);
    H5T_class_t cls = H5Tget_class(ta);
    if (cls == H5T_INTEGER) {
        int sign = H5Tget_sign(ta) == H5T_SGN_2;
        ma = H5Tcopy(sign ? H5T_NATIVE_LLONG : H5T_NATIVE_ULLONG);
    } else if (cls == H5T_FLOAT) {
        ma = H5Tcopy(H5T_NATIVE_DOUBLE);
    } else if (cls == H5T_STRING && H5Tis_variable_str(ta) > 0) {
        ma = H5Tcopy(H5T_C_S1);
        H5Tset_size(ma, H5T_VARIABLE);
        H5Tset_cset(ma, H5Tget_cset(ta));
    } else {
        ma = H5Tget_native_type(ta, H5T_DIR_DEFAULT);
    }
    mb = H5Tcopy(ma);
    size_t es = H5Tget_size(ma);
    ba = calloc(n + 1, es);
    bb = calloc(n + 1, es);
    if (!ba || !bb || (n && (item_read(a, ma, ba) < 0 || item_read(b, mb, bb) < 0))) {
        rc = differ("%s: cannot read", what);
        goto out;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        if (cls == H5T_INTEGER && H5Tget_sign(ta) == H5T_SGN_2) {
            long long x = ((long long *)ba)[i], y = ((long long *)bb)[i];
            if (x != y)
                rc = differ("%s[%zu]: %lld vs %lld", what, i, x, y);
        } else if (cls == H5T_INTEGER) {
            unsigned long long x = ((unsigned long long *)ba)[i], y = ((unsigned long long *)bb)[i];
            if (x != y)
                rc = differ("%s[%zu]: %llu vs %llu", what, i, x, y);
        } else if (cls == H5T_FLOAT) {
            double x = ((double *)ba)[i], y = ((double *)bb)[i];
            int same = (isnan(x) && isnan(y)) || x == y ||
                       fabs(x - y) <= rel_tol * fmax(fabs(x), fabs(y));
            if (!same)
                rc = differ("%s[%zu]: %.17g vs %.17g (relative %.3g)", what, i, x, y,
                            fabs(x - y) / fmax(fabs(x), fabs(y)));
        } else if (cls == H5T_STRING && H5Tis_variable_str(ta) > 0) {
            const char *x = ((char **)ba)[i], *y = ((char **)bb)[i];
            if (strcmp(x ? x : "", y ? y : "") != 0)
                rc = differ("%s[%zu]: \"%s\" vs \"%s\"", what, i, x ? x : "", y ? y : "");
        } else if (memcmp((char *)ba + i * es, (char *)bb + i * es, es) != 0) {
            rc = differ("%s[%zu]: bytes differ", what, i);
        }
    }
    if (cls == H5T_STRING && H5Tis_variable_str(ta) > 0 && n) {
        H5Dvlen_reclaim(ma, sa, H5P_DEFAULT, ba);
        H5Dvlen_reclaim(mb, sb, H5P_DEFAULT, bb);
    }
out:
    free(ba);
    free(bb);
    CLOSE_ALL(H5Tclose, ma, mb, ta, tb);
    CLOSE_ALL(H5Sclose, sa, sb);
    return rc;
}

static int ignored(const char *obj, const char *attr)
{
    if (data_only && !strcmp(obj, "/"))
        return 1;
    if (strict)
        return 0;
    if (!strcmp(attr, "grad_norm"))
        return 1;
    if (strcmp(obj, "/") != 0)
        return 0;
    return !strcmp(attr, "run_id") || !strcmp(attr, "created_utc") || !strcmp(attr, "ranks");
}

typedef struct attr_ctx {
    const char *obj;
    hid_t other; /* the same object in the other file */
    int diff;
    int check;
} attr_ctx;

static herr_t attr_cb(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    attr_ctx *c = data;
    if (ignored(c->obj, name))
        return 0;
    char what[1024];
    snprintf(what, sizeof what, "%s@%s", c->obj, name);
    if (H5Aexists(c->other, name) <= 0) {
        c->diff = differ("%s: only in %s", what, c->check ? "the first file" : "the second file");
        return 1;
    }
    if (!c->check)
        return 0;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), b = H5Aopen(c->other, name, H5P_DEFAULT);
    c->diff = compare_items(what, (item){a, 1}, (item){b, 1});
    H5Aclose(a);
    H5Aclose(b);
    return c->diff ? 1 : 0;
}

static herr_t obj_cb(hid_t root, const char *name, const H5O_info_t *info, void *data)
{
    visit_ctx *v = data;
    const side *other = v->check ? v->b : v->a;
    char path[1024];
    snprintf(path, sizeof path, "/%s", strcmp(name, ".") ? name : "");
    if (data_only && strcmp(name, ".") && !in_data(path))
        return 0;
    if (strcmp(name, ".") && H5Lexists(other->file, name, H5P_DEFAULT) <= 0) {
        v->diff = differ("%s: only in %s", path, v->check ? v->a->name : v->b->name);
        return 1;
    }
    hid_t o = H5Oopen(root, name, H5P_DEFAULT), p = H5Oopen(other->file, name, H5P_DEFAULT);
    H5O_info_t pi;
    if (o < 0 || p < 0 || H5Oget_info(p, &pi) < 0 || pi.type != info->type) {
        v->diff = differ("%s: object kinds differ", path);
    } else {
        attr_ctx ac = {path, p, 0, v->check};
        H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, NULL, attr_cb, &ac);
        v->diff = ac.diff;
        if (!v->diff && v->check && info->type == H5O_TYPE_DATASET)
            v->diff = compare_items(path, (item){o, 0}, (item){p, 0});
    }
    CLOSE_ALL(H5Oclose, o, p);
    return v->diff ? 1 : 0;
}

/* 1 when the root attribute format of file is "txetl-snapshot". */
static int is_txetl_snapshot(hid_t file)
{
    int yes = 0;
    if (H5Aexists(file, "format") <= 0)
        return 0;
    hid_t a = H5Aopen(file, "format", H5P_DEFAULT), t = a < 0 ? -1 : H5Aget_type(a);
    if (t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) > 0) {
        hid_t m = H5Tcopy(H5T_C_S1);
        char *v = NULL;
        H5Tset_size(m, H5T_VARIABLE);
        H5Tset_cset(m, H5Tget_cset(t));
        if (H5Aread(a, m, &v) >= 0 && v) {
            yes = !strcmp(v, "txetl-snapshot");
            H5free_memory(v);
        }
        H5Tclose(m);
    }
    CLOSE_ALL(H5Tclose, t);
    CLOSE_ALL(H5Aclose, a);
    return yes;
}

/* True when every component of the absolute path exists (H5Lexists fails on a missing
 * intermediate group). */
static int path_exists(hid_t file, const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char save = *p;
        *p = '\0';
        int ok = H5Lexists(file, buf, H5P_DEFAULT) > 0;
        *p = save;
        if (!ok)
            return 0;
        if (!save)
            return 1;
    }
}

/* Checks one table of snapshot.h in file s: returns 1 (printed) at the first problem. */
static int check_table(const side *s, const tx_snapshot_table *t)
{
    long long rows = -1;
    for (size_t i = 0; i < t->ncols; i++) {
        const tx_snapshot_column *c = &t->cols[i];
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", t->group, c->name);
        if (!path_exists(s->file, path))
            return differ("%s: %s: missing (snapshot.h column table)", s->name, path);
        hid_t d = H5Dopen2(s->file, path, H5P_DEFAULT);
        hid_t ty = d < 0 ? -1 : H5Dget_type(d), sp = d < 0 ? -1 : H5Dget_space(d);
        int rc = 0;
        if (ty < 0 || sp < 0)
            rc = differ("%s: %s: cannot read type or shape", s->name, path);
        else if (H5Tequal(ty, tx_snapshot_h5_file_type(c->type)) <= 0)
            rc = differ("%s: %s: type is not the column table's", s->name, path);
        else if (H5Sget_simple_extent_ndims(sp) != 1)
            rc = differ("%s: %s: not 1-D", s->name, path);
        else {
            long long n = (long long)H5Sget_simple_extent_npoints(sp);
            if (rows >= 0 && n != rows)
                rc = differ("%s: %s: %lld rows, the table's first column has %lld", s->name,
                            path, n, rows);
            rows = n;
        }
        CLOSE_ALL(H5Sclose, sp);
        CLOSE_ALL(H5Tclose, ty);
        CLOSE_ALL(H5Dclose, d);
        if (rc)
            return rc;
    }
    return 0;
}

/* The tables of a txetl snapshot; the /holdout ones only when it has a /holdout group. */
static int check_layout(const side *s)
{
    const tx_snapshot_table *always[] = {&tx_snapshot_customers_table, &tx_snapshot_daily_table,
                                         &tx_snapshot_monthly_table};
    const tx_snapshot_table *holdout[] = {&tx_snapshot_holdout_table, &tx_snapshot_bins_table};
    for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
        if (check_table(s, always[i]))
            return 1;
    if (path_exists(s->file, tx_snapshot_cohorts_table.group) &&
        check_table(s, &tx_snapshot_cohorts_table))
        return 1;
    if (!path_exists(s->file, tx_snapshot_holdout_table.group))
        return 0;
    for (size_t i = 0; i < sizeof holdout / sizeof holdout[0]; i++)
        if (check_table(s, holdout[i]))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *fa = NULL, *fb = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rel") && i + 1 < argc)
            rel_tol = strtod(argv[++i], NULL);
        else if (!strcmp(argv[i], "--strict"))
            strict = 1;
        else if (!strcmp(argv[i], "--data-only"))
            data_only = 1;
        else if (!fa)
            fa = argv[i];
        else if (!fb)
            fb = argv[i];
        else
            fa = NULL, fb = NULL, i = argc;
    }
    if (!fa || !fb) {
        fprintf(stderr, "usage: snapcmp [--rel X] [--strict] [--data-only] A.h5 B.h5\n");
        return 2;
    }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    side a = {H5Fopen(fa, H5F_ACC_RDONLY, H5P_DEFAULT), fa};
    side b = {H5Fopen(fb, H5F_ACC_RDONLY, H5P_DEFAULT), fb};
    if (a.file < 0 || b.file < 0) {
        fprintf(stderr, "snapcmp: cannot open %s\n", a.file < 0 ? fa : fb);
        return 2;
    }
    visit_ctx v = {&a, &b, 0, 1};
    if (is_txetl_snapshot(a.file) && is_txetl_snapshot(b.file))
        v.diff = check_layout(&a) || check_layout(&b);
    if (!v.diff)
        H5Ovisit(a.file, H5_INDEX_NAME, H5_ITER_INC, obj_cb, &v);
    if (!v.diff) { /* what B has and A lacks */
        visit_ctx w = {&a, &b, 0, 0};
        H5Ovisit(b.file, H5_INDEX_NAME, H5_ITER_INC, obj_cb, &w);
        v.diff = w.diff;
    }
    H5Fclose(a.file);
    H5Fclose(b.file);
    if (!v.diff)
        printf("snapcmp: %s and %s are equal (relative tolerance %g)\n", fa, fb, rel_tol);
    return v.diff ? 1 : 0;
}
