/* snapread.c - a snapshot read back through snapshot.h's column tables, a chunk of rows at a
 * time or whole (snapread.h). Used by export.c, publish.c and the report. */
#include "txetl/snapread.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "txetl/fmt.h"
#include "txetl/snapshot_h5.h"

enum { MAX_COLS = 64 };

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- column kinds: by dataset name, which means the same in every table ---- */

static const struct {
    const char *name;
    tx_snapread_kind kind;
} named_kinds[] = {
    {"date", TX_SNAPREAD_DATE},     {"first_purchase", TX_SNAPREAD_DATE},
    {"last_purchase", TX_SNAPREAD_DATE}, {"month", TX_SNAPREAD_MONTH},
    {"segment", TX_SNAPREAD_SEGMENT}, {"cohort_month", TX_SNAPREAD_MONTH},
};

tx_snapread_kind tx_snapread_kind_of(const tx_snapshot_table *t, const tx_snapshot_column *c)
{
    (void)t;
    for (size_t i = 0; i < NELEMS(named_kinds); i++)
        if (strcmp(c->name, named_kinds[i].name) == 0)
            return named_kinds[i].kind;
    size_t len = strlen(c->name);
    if (c->type == TX_SNAP_I64 && len > 6 && strcmp(c->name + len - 6, "_cents") == 0)
        return TX_SNAPREAD_CENTS; /* revenue_cents, gross_cents, ...: money */
    return TX_SNAPREAD_PLAIN;
}

/* ---- the file ---- */

struct tx_snapread {
    hid_t file;
    char *path;
    H5E_auto2_t old_func;
    void *old_data;
};

const char *tx_snapread_path(const tx_snapread *r) { return r->path; }

/* True when every component of the absolute path obj exists (H5Lexists fails, rather than
 * answering no, when an intermediate group is missing). */
static int object_exists(hid_t file, const char *obj)
{
    char buf[512];
    size_t len = strlen(obj);
    if (len >= sizeof buf)
        return 0;
    memcpy(buf, obj, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char save = buf[i];
        buf[i] = '\0';
        if (H5Lexists(file, buf, H5P_DEFAULT) <= 0)
            return 0;
        buf[i] = save;
    }
    return 1;
}

void tx_snapread_strings_free(char **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        free(v[i]);
    free(v);
}

int tx_snapread_has(tx_snapread *r, const char *obj, const char *name)
{
    if (strcmp(obj, "/") != 0 && !object_exists(r->file, obj))
        return 0;
    return name == NULL || H5Aexists_by_name(r->file, obj, name, H5P_DEFAULT) > 0;
}

/* Releases what an attribute read opened (a handle < 0 was never opened). */
static void close_attr(hid_t attr, hid_t space, hid_t ftype, hid_t mtype)
{
    if (mtype >= 0)
        H5Tclose(mtype);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (space >= 0)
        H5Sclose(space);
    if (attr >= 0)
        H5Aclose(attr);
}

/* Opens attribute obj@name; a negative hid on error (recorded in err). */
static hid_t open_attr(tx_snapread *r, const char *obj, const char *name, tx_error *err)
{
    if (!tx_snapread_has(r, obj, NULL)) {
        tx_error_set(err, TX_ERR, "%s: missing group %s", r->path, obj);
        return -1;
    }
    if (!tx_snapread_has(r, obj, name)) {
        tx_error_set(err, TX_ERR, "%s: missing attribute %s%s%s", r->path, obj,
                     strcmp(obj, "/") == 0 ? "" : "/", name);
        return -1;
    }
    hid_t attr = H5Aopen_by_name(r->file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0)
        tx_error_set(err, TX_ERR, "%s: cannot open attribute %s@%s", r->path, obj, name);
    return attr;
}

int tx_snapread_strings(tx_snapread *rd, const char *obj, const char *name, char ***out,
                        size_t *nout, tx_error *err)
{
    int rc = TX_OK;
    hid_t attr = -1, space = -1, ftype = -1, mtype = -1;
    char **vbuf = NULL, *fbuf = NULL, **res = NULL;
    size_t n = 0;
    *out = NULL;
    *nout = 0;
    if ((attr = open_attr(rd, obj, name, err)) < 0)
        return TX_ERR;
    space = H5Aget_space(attr);
    ftype = H5Aget_type(attr);
    hssize_t cnt = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    if (cnt < 0 || ftype < 0 || H5Tget_class(ftype) != H5T_STRING) {
        rc = tx_error_set(err, TX_ERR, "%s: attribute %s@%s is not a string", rd->path, obj,
                          name);
        goto out;
    }
    n = (size_t)cnt;
    res = calloc(n ? n : 1, sizeof *res);
    mtype = H5Tcopy(H5T_C_S1);
    if (res == NULL || mtype < 0) {
        rc = tx_error_set(err, TX_ENOMEM, "out of memory reading %s", rd->path);
        goto out;
    }
    H5Tset_cset(mtype, H5Tget_cset(ftype)); /* HDF5 will not convert between ASCII and UTF-8 */
    htri_t var = H5Tis_variable_str(ftype);
    size_t sz = H5Tget_size(ftype);
    if (var > 0) {
        vbuf = calloc(n ? n : 1, sizeof *vbuf);
        if (vbuf == NULL || H5Tset_size(mtype, H5T_VARIABLE) < 0 ||
            H5Aread(attr, mtype, vbuf) < 0) {
            free(vbuf);
            vbuf = NULL;
            rc = tx_error_set(err, TX_ERR, "%s: cannot read string attribute %s@%s", rd->path,
                              obj, name);
            goto out;
        }
    } else {
        fbuf = calloc(n ? n : 1, sz + 1);
        if (var < 0 || fbuf == NULL || H5Tset_size(mtype, sz + 1) < 0 ||
            H5Tset_strpad(mtype, H5T_STR_NULLTERM) < 0 || H5Aread(attr, mtype, fbuf) < 0) {
            rc = tx_error_set(err, TX_ERR, "%s: cannot read string attribute %s@%s", rd->path,
                              obj, name);
            goto out;
        }
    }
    for (size_t i = 0; i < n && rc == TX_OK; i++) {
        const char *s = vbuf != NULL ? (vbuf[i] != NULL ? vbuf[i] : "") : fbuf + i * (sz + 1);
        if ((res[i] = strdup(s)) == NULL)
            rc = tx_error_set(err, TX_ENOMEM, "out of memory reading %s", rd->path);
    }
out:
    if (vbuf != NULL) {
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, vbuf);
        free(vbuf);
    }
    free(fbuf);
    if (rc != TX_OK) {
        tx_snapread_strings_free(res, n);
        res = NULL;
    }
    *out = res;
    *nout = rc == TX_OK ? n : 0;
    close_attr(attr, space, ftype, mtype);
    return rc;
}

int tx_snapread_string(tx_snapread *r, const char *obj, const char *name, char *out,
                       size_t cap, tx_error *err)
{
    char **v = NULL;
    size_t n = 0;
    int rc = tx_snapread_strings(r, obj, name, &v, &n, err);
    if (rc == TX_OK && n != 1)
        rc = tx_error_set(err, TX_ERR, "%s: attribute %s@%s is not a single string", r->path,
                          obj, name);
    if (rc == TX_OK)
        snprintf(out, cap, "%s", v[0]);
    tx_snapread_strings_free(v, n);
    return rc;
}

/* Reads the numeric scalar attribute obj@name converted to mtype (HDF5 converts) into out.
 * Enumerations (h5py writes numpy bools as one) are read as their own native type and widened
 * here. */
static int read_number(tx_snapread *r, const char *obj, const char *name, hid_t mtype,
                       void *out, int *present, tx_error *err)
{
    if (present) {
        *present = 0;
        if (!tx_snapread_has(r, obj, name))
            return TX_OK;
    }
    hid_t attr = open_attr(r, obj, name, err), ntype = -1;
    if (attr < 0)
        return TX_ERR;
    hid_t space = H5Aget_space(attr), ftype = H5Aget_type(attr);
    H5T_class_t cls = ftype < 0 ? H5T_NO_CLASS : H5Tget_class(ftype);
    int rc = TX_OK;
    if (space < 0 || H5Sget_simple_extent_npoints(space) != 1 || ftype < 0) {
        rc = tx_error_set(err, TX_ERR, "%s: attribute %s@%s is not a single value", r->path, obj,
                          name);
    } else if (cls != H5T_INTEGER && cls != H5T_FLOAT && cls != H5T_ENUM) {
        rc = tx_error_set(err, TX_ERR, "%s: attribute %s@%s is not numeric", r->path, obj, name);
    } else if (cls == H5T_ENUM) {
        ntype = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
        unsigned char raw[16] = {0};
        size_t sz = ntype < 0 ? 0 : H5Tget_size(ntype);
        long long v = 0;
        if (sz == 0 || sz > 8 || H5Aread(attr, ntype, raw) < 0)
            rc = tx_error_set(err, TX_ERR, "%s: cannot read attribute %s@%s", r->path, obj, name);
        else if (sz == 1)
            v = (signed char)raw[0];
        else if (sz == 2) { int16_t t; memcpy(&t, raw, 2); v = t; }
        else if (sz == 4) { int32_t t; memcpy(&t, raw, 4); v = t; }
        else { int64_t t; memcpy(&t, raw, 8); v = t; }
        if (rc == TX_OK && H5Tequal(mtype, H5T_NATIVE_INT64) > 0)
            *(int64_t *)out = (int64_t)v;
        else if (rc == TX_OK && H5Tequal(mtype, H5T_NATIVE_DOUBLE) > 0)
            *(double *)out = (double)v;
        else if (rc == TX_OK)
            *(uint64_t *)out = (uint64_t)v;
    } else if (H5Aread(attr, mtype, out) < 0) {
        rc = tx_error_set(err, TX_ERR, "%s: cannot read attribute %s@%s as a number", r->path,
                          obj, name);
    }
    if (rc == TX_OK && present)
        *present = 1;
    close_attr(attr, space, ftype, ntype);
    return rc;
}

int tx_snapread_f64(tx_snapread *r, const char *obj, const char *name, double *out,
                    int *present, tx_error *err)
{
    *out = NAN;
    return read_number(r, obj, name, H5T_NATIVE_DOUBLE, out, present, err);
}

int tx_snapread_i64(tx_snapread *r, const char *obj, const char *name, int64_t *out,
                    int *present, tx_error *err)
{
    *out = 0;
    return read_number(r, obj, name, H5T_NATIVE_INT64, out, present, err);
}

int tx_snapread_u64(tx_snapread *r, const char *obj, const char *name, uint64_t *out,
                    int *present, tx_error *err)
{
    *out = 0;
    return read_number(r, obj, name, H5T_NATIVE_UINT64, out, present, err);
}

/* format "txetl-snapshot", format_version 2 (format 1 added currencies together). */
static int check_format(tx_snapread *rd, tx_error *err)
{
    char **v = NULL;
    size_t n = 0;
    int rc = tx_snapread_strings(rd, "/", "format", &v, &n, err);
    if (rc == TX_OK && (n != 1 || strcmp(v[0], "txetl-snapshot") != 0))
        rc = tx_error_set(err, TX_ERR, "%s: not a txetl snapshot (format \"%s\")", rd->path,
                          n ? v[0] : "");
    tx_snapread_strings_free(v, n);
    if (rc != TX_OK)
        return rc;
    int64_t version = 0;
    rc = tx_snapread_i64(rd, "/", "format_version", &version, NULL, err);
    if (rc == TX_OK && version == 1)
        rc = tx_error_set(err, TX_ERR, "%s: snapshot format_version 1 (its revenue adds "
                          "currencies together): write a new one with txetl snapshot",
                          rd->path);
    else if (rc == TX_OK && version != 2)
        rc = tx_error_set(err, TX_ERR, "%s: unsupported snapshot format_version %lld", rd->path,
                          (long long)version);
    return rc;
}

int tx_snapread_open(const char *path, tx_snapread **out, tx_error *err)
{
    *out = NULL;
    if (path == NULL || *path == '\0')
        return tx_error_set(err, TX_EUSAGE, "no snapshot file given");
    if (access(path, R_OK) != 0)
        return tx_error_set(err, TX_ERR, "%s: cannot open snapshot: %s", path, strerror(errno));
    tx_snapread *r = calloc(1, sizeof *r);
    if (r == NULL || (r->path = strdup(path)) == NULL) {
        free(r);
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    }
    r->file = -1;
    /* Our messages name the file and object; HDF5's own error stack would only add noise on
     * stderr. Restored by tx_snapread_close. */
    H5Eget_auto2(H5E_DEFAULT, &r->old_func, &r->old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int rc = TX_OK;
    if (H5Fis_hdf5(path) <= 0)
        rc = tx_error_set(err, TX_ERR, "%s: not an HDF5 file", path);
    if (rc == TX_OK && (r->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
        rc = tx_error_set(err, TX_ERR, "%s: cannot open HDF5 file", path);
    if (rc == TX_OK)
        rc = check_format(r, err);
    if (rc != TX_OK) {
        tx_snapread_close(&r, NULL);
        return rc;
    }
    *out = r;
    return TX_OK;
}

int tx_snapread_close(tx_snapread **rp, tx_error *err)
{
    tx_snapread *r = *rp;
    if (r == NULL)
        return TX_OK;
    int rc = TX_OK;
    if (r->file >= 0 && H5Fclose(r->file) < 0)
        rc = tx_error_set(err, TX_ERR, "%s: cannot close HDF5 file", r->path);
    H5Eset_auto2(H5E_DEFAULT, r->old_func, r->old_data);
    free(r->path);
    free(r);
    *rp = NULL;
    return rc;
}

/* ---- tables ---- */

int tx_snapread_has_table(tx_snapread *r, const tx_snapshot_table *t)
{
    return object_exists(r->file, t->group);
}

struct tx_snapread_table {
    tx_snapread *rd;
    const tx_snapshot_table *t;
    size_t ncols;
    hid_t ds[MAX_COLS];
    void *buf[MAX_COLS];
    tx_snapread_kind kind[MAX_COLS];
    uint64_t rows;
    char **seg_names; /* with a segment column */
    size_t nseg;
};

uint64_t tx_snapread_table_rows(const tx_snapread_table *tab) { return tab->rows; }
const tx_snapshot_table *tx_snapread_table_def(const tx_snapread_table *tab) { return tab->t; }
const void *tx_snapread_table_column(const tx_snapread_table *tab, size_t col)
{
    return tab->buf[col];
}
tx_snapread_kind tx_snapread_table_kind(const tx_snapread_table *tab, size_t col)
{
    return tab->kind[col];
}

void tx_snapread_table_close(tx_snapread_table **tp)
{
    tx_snapread_table *in = *tp;
    if (in == NULL)
        return;
    for (size_t i = 0; i < in->ncols; i++) {
        if (in->ds[i] >= 0)
            H5Dclose(in->ds[i]);
        free(in->buf[i]);
    }
    tx_snapread_strings_free(in->seg_names, in->nseg);
    free(in);
    *tp = NULL;
}

int tx_snapread_table_open(tx_snapread *rd, const tx_snapshot_table *t, tx_snapread_table **out,
                           tx_error *err)
{
    *out = NULL;
    if (t->ncols > MAX_COLS)
        return tx_error_set(err, TX_ERR, "%s: table %s has more than %d columns", rd->path,
                            t->group, MAX_COLS);
    tx_snapread_table *in = calloc(1, sizeof *in);
    if (in == NULL)
        return tx_error_set(err, TX_ENOMEM, "out of memory reading %s", rd->path);
    in->rd = rd;
    in->t = t;
    int rc = TX_OK;
    for (size_t i = 0; i < t->ncols && rc == TX_OK; i++) {
        const tx_snapshot_column *c = &t->cols[i];
        char path[512];
        snprintf(path, sizeof path, "%s/%s", t->group, c->name);
        in->ds[i] = -1;
        in->ncols = i + 1;
        in->kind[i] = tx_snapread_kind_of(t, c);
        if (!object_exists(rd->file, path)) {
            rc = tx_error_set(err, TX_ERR, "%s: missing dataset %s", rd->path, path);
            break;
        }
        in->ds[i] = H5Dopen2(rd->file, path, H5P_DEFAULT);
        hid_t space = in->ds[i] < 0 ? -1 : H5Dget_space(in->ds[i]);
        hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
        int ndims = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
        if (space >= 0)
            H5Sclose(space);
        if (n < 0 || ndims != 1)
            rc = tx_error_set(err, TX_ERR, "%s: dataset %s is not a 1-D array", rd->path, path);
        else if (i > 0 && (uint64_t)n != in->rows)
            rc = tx_error_set(err, TX_ERR, "%s: dataset %s has %lld rows, %s/%s has %llu",
                              rd->path, path, (long long)n, t->group, t->cols[0].name,
                              (unsigned long long)in->rows);
        in->rows = (uint64_t)(n < 0 ? 0 : n);
        if (rc == TX_OK && (in->buf[i] = malloc((size_t)TX_SNAPREAD_CHUNK *
                                                tx_snapshot_type_size(c->type))) == NULL)
            rc = tx_error_set(err, TX_ENOMEM, "out of memory reading %s", rd->path);
        if (rc == TX_OK && in->kind[i] == TX_SNAPREAD_SEGMENT && in->seg_names == NULL)
            rc = tx_snapread_strings(rd, t->group, "segment_names", &in->seg_names, &in->nseg,
                                     err);
    }
    if (rc != TX_OK) {
        tx_snapread_table_close(&in);
        return rc;
    }
    *out = in;
    return TX_OK;
}

/* Reads the 1-D dataset group/name whole into a new array of mem_type (elem bytes each). *n is
 * the length every dataset of the group must share: (size_t)-1 on the first call, which sets
 * it. */
static int load_column(tx_snapread *rd, const char *group, const char *name, hid_t mem_type,
                       size_t elem, void **out, size_t *n, tx_error *err)
{
    int rc = TX_OK;
    char path[512];
    hid_t ds = -1, space = -1;
    void *buf = NULL;
    snprintf(path, sizeof path, "%s/%s", group, name);
    if (!object_exists(rd->file, path))
        return tx_error_set(err, TX_ERR, "%s: missing dataset %s", rd->path, path);
    ds = H5Dopen2(rd->file, path, H5P_DEFAULT);
    space = ds < 0 ? -1 : H5Dget_space(ds);
    hssize_t cnt = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    if (cnt < 0 || H5Sget_simple_extent_ndims(space) > 1) {
        rc = tx_error_set(err, TX_ERR, "%s: dataset %s is not a 1-D array", rd->path, path);
        goto out;
    }
    if (*n != (size_t)-1 && (size_t)cnt != *n) {
        rc = tx_error_set(err, TX_ERR, "%s: dataset %s has %lld rows, its group has %zu",
                          rd->path, path, (long long)cnt, *n);
        goto out;
    }
    buf = calloc(cnt ? (size_t)cnt : 1, elem);
    if (buf == NULL) {
        rc = tx_error_set(err, TX_ENOMEM, "out of memory reading %s %s", rd->path, path);
        goto out;
    }
    if (cnt > 0 && H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        rc = tx_error_set(err, TX_ERR, "%s: cannot read dataset %s", rd->path, path);
        goto out;
    }
    *n = (size_t)cnt;
    *out = buf;
    buf = NULL;
out:
    free(buf);
    if (space >= 0)
        H5Sclose(space);
    if (ds >= 0)
        H5Dclose(ds);
    return rc;
}

int tx_snapread_table_load(tx_snapread *rd, const tx_snapshot_table *t, void *rows,
                           const size_t *want, size_t nwant, size_t *n, tx_error *err)
{
    size_t len = (size_t)-1;
    int rc = TX_OK;
    for (size_t i = 0; i < t->ncols && rc == TX_OK; i++) {
        const tx_snapshot_column *c = &t->cols[i];
        int wanted = want == NULL;
        for (size_t k = 0; k < nwant && !wanted; k++)
            wanted = want[k] == c->member;
        if (!wanted)
            continue;
        void *buf = NULL;
        rc = load_column(rd, t->group, c->name, tx_snapshot_h5_mem_type(c->type),
                         tx_snapshot_type_size(c->type), &buf, &len, err);
        if (rc == TX_OK)
            tx_snapshot_column_set(rows, c, buf);
    }
    if (rc == TX_OK)
        *n = len == (size_t)-1 ? 0 : len;
    return rc;
}

int tx_snapread_table_read(tx_snapread_table *in, uint64_t start, size_t n, tx_error *err)
{
    if (n == 0)
        return TX_OK;
    int rc = TX_OK;
    hsize_t off = start, cnt = n;
    hid_t mspace = H5Screate_simple(1, &cnt, NULL);
    for (size_t i = 0; i < in->ncols && rc == TX_OK; i++) {
        const tx_snapshot_column *c = &in->t->cols[i];
        hid_t fspace = H5Dget_space(in->ds[i]);
        if (mspace < 0 || fspace < 0 || n > TX_SNAPREAD_CHUNK ||
            H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &off, NULL, &cnt, NULL) < 0 ||
            H5Dread(in->ds[i], tx_snapshot_h5_mem_type(c->type), mspace, fspace, H5P_DEFAULT,
                    in->buf[i]) < 0)
            rc = tx_error_set(err, TX_ERR, "%s: cannot read dataset %s/%s (rows %llu..%llu)",
                              in->rd->path, in->t->group, c->name, (unsigned long long)start,
                              (unsigned long long)(start + n - 1));
        if (fspace >= 0)
            H5Sclose(fspace);
    }
    if (mspace >= 0)
        H5Sclose(mspace);
    return rc;
}

int tx_snapread_text(const tx_snapread_table *in, size_t col, size_t r, uint64_t row,
                     int month_as_date, char buf[64], const char **text, size_t *len,
                     tx_error *err)
{
    const tx_snapshot_column *c = &in->t->cols[col];
    const void *p = (const char *)in->buf[col] + r * tx_snapshot_type_size(c->type);
    int32_t i32 = 0;
    int64_t i64 = 0;
    uint64_t u64 = 0;
    double d = 0;
    switch (c->type) {
    case TX_SNAP_U8: u64 = *(const uint8_t *)p; break;
    case TX_SNAP_U32: { uint32_t v; memcpy(&v, p, 4); u64 = v; break; }
    case TX_SNAP_U64: memcpy(&u64, p, 8); break;
    case TX_SNAP_I32: memcpy(&i32, p, 4); i64 = i32; break;
    case TX_SNAP_I64: memcpy(&i64, p, 8); break;
    case TX_SNAP_F64: memcpy(&d, p, 8); break;
    case TX_SNAP_S3: break;
    }
    *text = buf;
    int n = 0, st = TX_SNAPREAD_VALUE;
    switch (in->kind[col]) {
    case TX_SNAPREAD_DATE:
        tx_format_date((int32_t)i64, buf);
        n = (int)strlen(buf);
        break;
    case TX_SNAPREAD_MONTH:
        n = snprintf(buf, 64, month_as_date ? "%04d-%02d-01" : "%04d-%02d", (int)(i64 / 100),
                     (int)(i64 % 100));
        break;
    case TX_SNAPREAD_CENTS: n = tx_fmt_cents(buf, i64); break;
    case TX_SNAPREAD_SEGMENT:
        if (u64 >= in->nseg)
            return tx_error_set(err, TX_ERR, "%s: %s/%s row %llu is %llu, but segment_names "
                                "has %zu names", in->rd->path, in->t->group, c->name,
                                (unsigned long long)row, (unsigned long long)u64, in->nseg);
        *text = in->seg_names[u64];
        *len = strlen(*text);
        return TX_SNAPREAD_VALUE;
    case TX_SNAPREAD_PLAIN:
        switch (c->type) {
        case TX_SNAP_U8:
        case TX_SNAP_U32:
        case TX_SNAP_U64: n = tx_fmt_u64(buf, u64); break;
        case TX_SNAP_I32:
        case TX_SNAP_I64: n = tx_fmt_i64(buf, i64); break;
        case TX_SNAP_S3: /* null-padded */
            memcpy(buf, p, 3);
            n = (int)strnlen(buf, 3);
            break;
        case TX_SNAP_F64:
            if (isnan(d)) {
                n = 0;
                st = TX_SNAPREAD_NAN;
            } else if (isinf(d)) {
                n = snprintf(buf, 64, "%s", d > 0 ? "inf" : "-inf");
                st = TX_SNAPREAD_INF;
            } else {
                n = snprintf(buf, 64, "%.17g", d);
            }
            break;
        }
        break;
    }
    buf[n] = '\0';
    *len = (size_t)n;
    return st;
}
