/* report.c - tx_report_write: reads an HDF5 snapshot (docs/snapshot.md) serially and hands it to the
 * HTML renderer. Every dataset and attribute the dashboard shows is required; a missing one
 * fails with a message naming the file and the object. /holdout is optional (snapshots made
 * with --holdout-start), but complete when present. Unknown groups are ignored. */
#include "txetl/report.h"

#include <errno.h>
#include <stddef.h>
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_internal.h"
#include "txetl/fs.h"
#include "txetl/snapshot_h5.h"

const char *const rpt_count_names[RPT_NCOUNTS] = {"read",    "rejected", "inserted", "updated",
                                                  "moved",   "deleted",  "stale",    "superseded"};

/* The file being read, for messages. */
typedef struct reader {
    hid_t file;
    const char *path;
    tx_error *err;
} reader;

/* True when every component of the absolute path obj exists (H5Lexists fails, rather than
 * answering no, when an intermediate group is missing). */
static int object_exists(hid_t file, const char *obj)
{
    char buf[256];
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

/* Opens attribute name of object obj; returns a negative hid on error (recorded). */
static hid_t open_attr(reader *rd, const char *obj, const char *name)
{
    if (!object_exists(rd->file, obj) && strcmp(obj, "/") != 0) {
        tx_error_set(rd->err, TX_ERR, "%s: missing group %s", rd->path, obj);
        return -1;
    }
    if (H5Aexists_by_name(rd->file, obj, name, H5P_DEFAULT) <= 0) {
        tx_error_set(rd->err, TX_ERR, "%s: missing attribute %s%s%s", rd->path, obj,
                     strcmp(obj, "/") == 0 ? "" : "/", name);
        return -1;
    }
    hid_t attr = H5Aopen_by_name(rd->file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0)
        tx_error_set(rd->err, TX_ERR, "%s: cannot open attribute %s@%s", rd->path, obj, name);
    return attr;
}

/* Number of elements of an attribute's or dataset's dataspace (scalar = 1); -1 on error. */
static long long space_count(hid_t space)
{
    if (space < 0)
        return -1;
    hssize_t n = H5Sget_simple_extent_npoints(space);
    return n < 0 ? -1 : (long long)n;
}

/* Releases what an attribute read opened (handles < 0 were never opened). */
static void close_attr(hid_t attr, hid_t space, hid_t ftype, hid_t mtype)
{
    if (mtype >= 0)
        H5Tclose(mtype);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (space >= 0)
        H5Sclose(space);
    H5Aclose(attr);
}

/* Reads a numeric scalar attribute converted to mem_type (HDF5 converts). Enumerations (h5py
 * writes numpy bools as one) are read as their own native type and widened here, for the
 * integer destinations only. */
static int read_attr_num(reader *rd, const char *obj, const char *name, hid_t mem_type, void *out)
{
    int rc = TX_OK;
    hid_t space = -1, ftype = -1, ntype = -1;
    hid_t attr = open_attr(rd, obj, name);
    if (attr < 0)
        return TX_ERR;
    space = H5Aget_space(attr);
    ftype = H5Aget_type(attr);
    if (space_count(space) != 1 || ftype < 0) {
        rc = tx_error_set(rd->err, TX_ERR, "%s: attribute %s@%s is not a single value", rd->path,
                          obj, name);
        goto out;
    }
    H5T_class_t cls = H5Tget_class(ftype);
    if (cls != H5T_INTEGER && cls != H5T_FLOAT && cls != H5T_ENUM) {
        rc = tx_error_set(rd->err, TX_ERR, "%s: attribute %s@%s is not numeric", rd->path, obj,
                          name);
        goto out;
    }
    if (cls == H5T_ENUM) {
        ntype = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
        unsigned char raw[16] = {0};
        size_t sz = ntype < 0 ? 0 : H5Tget_size(ntype);
        if (sz == 0 || sz > 8 || H5Aread(attr, ntype, raw) < 0) {
            rc = tx_error_set(rd->err, TX_ERR, "%s: cannot read attribute %s@%s", rd->path, obj,
                              name);
            goto out;
        }
        long long v = 0;
        if (sz == 1)
            v = (signed char)raw[0];
        else if (sz == 2) { int16_t t; memcpy(&t, raw, 2); v = t; }
        else if (sz == 4) { int32_t t; memcpy(&t, raw, 4); v = t; }
        else { int64_t t; memcpy(&t, raw, 8); v = t; }
        if (H5Tequal(mem_type, H5T_NATIVE_INT) > 0)
            *(int *)out = (int)v;
        else if (H5Tequal(mem_type, H5T_NATIVE_DOUBLE) > 0)
            *(double *)out = (double)v;
        else if (H5Tequal(mem_type, H5T_NATIVE_UINT64) > 0)
            *(uint64_t *)out = (uint64_t)v;
        else
            rc = tx_error_set(rd->err, TX_ERR, "%s: attribute %s@%s has an unexpected type",
                              rd->path, obj, name);
        goto out;
    }
    if (H5Aread(attr, mem_type, out) < 0)
        rc = tx_error_set(rd->err, TX_ERR, "%s: cannot read attribute %s@%s as a number",
                          rd->path, obj, name);
out:
    close_attr(attr, space, ftype, ntype);
    return rc;
}

/* Reads a string attribute, fixed- or variable-length, scalar or with n elements. On success
 * *out holds n malloc'ed strings (caller frees each and the array). */
static int read_attr_strings(reader *rd, const char *obj, const char *name, char ***out,
                             size_t *nout)
{
    int rc = TX_OK;
    hid_t space = -1, ftype = -1, mtype = -1;
    char **vbuf = NULL, *fbuf = NULL, **res = NULL;
    size_t n = 0;
    hid_t attr = open_attr(rd, obj, name);
    if (attr < 0)
        return TX_ERR;
    space = H5Aget_space(attr);
    ftype = H5Aget_type(attr);
    long long cnt = space_count(space);
    if (cnt < 0 || ftype < 0 || H5Tget_class(ftype) != H5T_STRING) {
        rc = tx_error_set(rd->err, TX_ERR, "%s: attribute %s@%s is not a string", rd->path, obj,
                          name);
        goto out;
    }
    n = (size_t)cnt;
    res = calloc(n ? n : 1, sizeof *res);
    mtype = H5Tcopy(H5T_C_S1);
    if (res == NULL || mtype < 0) {
        rc = tx_error_set(rd->err, TX_ENOMEM, "out of memory reading %s", rd->path);
        goto out;
    }
    H5Tset_cset(mtype, H5Tget_cset(ftype)); /* HDF5 will not convert between ASCII and UTF-8 */
    htri_t var = H5Tis_variable_str(ftype);
    if (var > 0) {
        vbuf = calloc(n ? n : 1, sizeof *vbuf);
        if (vbuf == NULL) {
            rc = tx_error_set(rd->err, TX_ENOMEM, "out of memory reading %s", rd->path);
            goto out;
        }
        if (H5Tset_size(mtype, H5T_VARIABLE) < 0 || H5Aread(attr, mtype, vbuf) < 0) {
            free(vbuf);
            vbuf = NULL;
            rc = tx_error_set(rd->err, TX_ERR, "%s: cannot read string attribute %s@%s",
                              rd->path, obj, name);
            goto out;
        }
        for (size_t i = 0; i < n && rc == TX_OK; i++) {
            res[i] = strdup(vbuf[i] ? vbuf[i] : "");
            if (res[i] == NULL)
                rc = tx_error_set(rd->err, TX_ENOMEM, "out of memory reading %s", rd->path);
        }
    } else {
        size_t sz = H5Tget_size(ftype);
        fbuf = calloc(n ? n : 1, sz + 1);
        if (fbuf == NULL) {
            rc = tx_error_set(rd->err, TX_ENOMEM, "out of memory reading %s", rd->path);
            goto out;
        }
        if (var < 0 || H5Tset_size(mtype, sz + 1) < 0 ||
            H5Tset_strpad(mtype, H5T_STR_NULLTERM) < 0 || H5Aread(attr, mtype, fbuf) < 0) {
            rc = tx_error_set(rd->err, TX_ERR, "%s: cannot read string attribute %s@%s",
                              rd->path, obj, name);
            goto out;
        }
        for (size_t i = 0; i < n && rc == TX_OK; i++) {
            char *s = fbuf + i * (sz + 1);
            s[sz] = '\0';
            res[i] = strdup(s);
            if (res[i] == NULL)
                rc = tx_error_set(rd->err, TX_ENOMEM, "out of memory reading %s", rd->path);
        }
    }
out:
    if (vbuf != NULL) {
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, vbuf);
        free(vbuf);
    }
    free(fbuf);
    if (rc != TX_OK && res != NULL) {
        for (size_t i = 0; i < n; i++)
            free(res[i]);
        free(res);
        res = NULL;
    }
    *out = res;
    *nout = rc == TX_OK ? n : 0;
    close_attr(attr, space, ftype, mtype);
    return rc;
}

/* Reads a single string attribute into buf (truncated to cap). */
static int read_attr_str(reader *rd, const char *obj, const char *name, char *buf, size_t cap)
{
    char **v = NULL;
    size_t n = 0;
    int rc = read_attr_strings(rd, obj, name, &v, &n);
    if (rc != TX_OK)
        return rc;
    if (n != 1)
        rc = tx_error_set(rd->err, TX_ERR, "%s: attribute %s@%s is not a single string",
                          rd->path, obj, name);
    else
        snprintf(buf, cap, "%s", v[0]);
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    return rc;
}

/* Reads the 1-D dataset group/name into a new array of mem_type (elem bytes each). *n is the
 * length every dataset of the group must share: (size_t)-1 on the first call, which sets it. */
static int read_column(reader *rd, const char *group, const char *name, hid_t mem_type,
                       size_t elem, void **out, size_t *n)
{
    int rc = TX_OK;
    char path[256];
    hid_t ds = -1, space = -1;
    void *buf = NULL;
    snprintf(path, sizeof path, "%s/%s", group, name);
    if (!object_exists(rd->file, path))
        return tx_error_set(rd->err, TX_ERR, "%s: missing dataset %s", rd->path, path);
    ds = H5Dopen2(rd->file, path, H5P_DEFAULT);
    space = ds < 0 ? -1 : H5Dget_space(ds);
    long long cnt = space_count(space);
    if (cnt < 0 || H5Sget_simple_extent_ndims(space) > 1) {
        rc = tx_error_set(rd->err, TX_ERR, "%s: dataset %s is not a 1-D array", rd->path, path);
        goto out;
    }
    if (*n != (size_t)-1 && (size_t)cnt != *n) {
        rc = tx_error_set(rd->err, TX_ERR, "%s: dataset %s has %lld rows, its group has %zu",
                          rd->path, path, cnt, *n);
        goto out;
    }
    buf = calloc(cnt ? (size_t)cnt : 1, elem);
    if (buf == NULL) {
        rc = tx_error_set(rd->err, TX_ENOMEM, "out of memory reading %s %s", rd->path, path);
        goto out;
    }
    if (cnt > 0 && H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        rc = tx_error_set(rd->err, TX_ERR, "%s: cannot read dataset %s", rd->path, path);
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

/* Reads the columns of table t into the table struct at rows: all of them, or (want != NULL)
 * those whose struct member is one of the nwant offsets in want; the others stay NULL. Every
 * column read must exist and have the same length, which *n receives. */
static int read_table(reader *rd, const tx_snapshot_table *t, void *rows, const size_t *want,
                      size_t nwant, size_t *n)
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
        rc = read_column(rd, t->group, c->name, tx_snapshot_h5_mem_type(c->type),
                         tx_snapshot_type_size(c->type), &buf, &len);
        if (rc == TX_OK)
            tx_snapshot_column_set(rows, c, buf);
    }
    if (rc == TX_OK)
        *n = len == (size_t)-1 ? 0 : len;
    return rc;
}

static int read_root(reader *rd, rpt_snapshot *s)
{
    char format[64] = "";
    long long version = 0;
    int rc = read_attr_str(rd, "/", "format", format, sizeof format);
    if (rc == TX_OK && strcmp(format, "txetl-snapshot") != 0)
        rc = tx_error_set(rd->err, TX_ERR, "%s: not a txetl snapshot (format \"%s\")", rd->path,
                          format);
    if (rc == TX_OK)
        rc = read_attr_num(rd, "/", "format_version", H5T_NATIVE_LLONG, &version);
    if (rc == TX_OK && version != 2)
        rc = tx_error_set(rd->err, TX_ERR, "%s: unsupported snapshot format_version %lld",
                          rd->path, version);
    if (rc == TX_OK)
        rc = read_attr_str(rd, "/", "reporting_currency", s->currency, sizeof s->currency);
    if (rc == TX_OK && strlen(s->currency) != 3)
        rc = tx_error_set(rd->err, TX_ERR, "%s: attribute reporting_currency \"%s\" is not a "
                          "3-letter currency code", rd->path, s->currency);
    if (rc == TX_OK)
        rc = read_attr_str(rd, "/", "run_id", s->run_id, sizeof s->run_id);
    if (rc == TX_OK)
        rc = read_attr_str(rd, "/", "created_utc", s->created_utc, sizeof s->created_utc);
    if (rc == TX_OK)
        rc = read_attr_str(rd, "/", "as_of", s->as_of, sizeof s->as_of);
    if (rc == TX_OK)
        rc = read_attr_num(rd, "/", "ranks", H5T_NATIVE_UINT64, &s->ranks);
    if (rc == TX_OK)
        rc = read_attr_num(rd, "/", "shards", H5T_NATIVE_UINT64, &s->shards);
    for (int i = 0; i < RPT_NCOUNTS && rc == TX_OK; i++)
        rc = read_attr_num(rd, "/", rpt_count_names[i], H5T_NATIVE_UINT64, &s->counts[i]);
    return rc;
}

/* /customers: the columns the dashboard shows, and the segment names. */
static int read_customers(reader *rd, rpt_snapshot *s)
{
    static const size_t shown[] = {
        offsetof(tx_snapshot_customers, customer_id),
        offsetof(tx_snapshot_customers, orders),
        offsetof(tx_snapshot_customers, revenue_cents),
        offsetof(tx_snapshot_customers, segment),
        offsetof(tx_snapshot_customers, p_alive),
        offsetof(tx_snapshot_customers, expected_purchases),
        offsetof(tx_snapshot_customers, expected_avg_value),
        offsetof(tx_snapshot_customers, clv),
    };
    const tx_snapshot_table *t = &tx_snapshot_customers_table;
    tx_snapshot_customers *c = &s->cust;
    int rc = read_table(rd, t, c, shown, sizeof shown / sizeof shown[0], &c->n);
    if (rc == TX_OK)
        rc = read_attr_strings(rd, t->group, "segment_names", &s->segment_names, &s->nseg);
    if (rc == TX_OK) {
        c->segment_names = (const char *const *)s->segment_names;
        c->nsegments = (int)s->nseg;
    }
    return rc;
}

static int read_revenue(reader *rd, rpt_snapshot *s)
{
    int rc = read_table(rd, &tx_snapshot_daily_table, &s->daily, NULL, 0, &s->daily.n);
    if (rc == TX_OK)
        rc = read_table(rd, &tx_snapshot_monthly_table, &s->monthly, NULL, 0, &s->monthly.n);
    if (rc == TX_OK)
        rc = read_table(rd, &tx_snapshot_cur_monthly_table, &s->by_monthly, NULL, 0,
                        &s->by_monthly.n);
    return rc;
}

static int read_model(reader *rd, rpt_model *m)
{
    static const char *const bg_names[] = {"r", "alpha", "a", "b", "loglik", "grad_norm"};
    static const char *const gg_names[] = {"p", "q", "v", "loglik", "grad_norm"};
    static const char *const top_names[] = {"horizon_days", "clv_months", "discount_rate"};
    double *bg[] = {&m->r, &m->alpha, &m->a, &m->b, &m->bg_loglik, &m->bg_grad_norm};
    double *gg[] = {&m->p, &m->q, &m->v, &m->gg_loglik, &m->gg_grad_norm};
    double *top[] = {&m->horizon_days, &m->clv_months, &m->discount_rate};
    int rc = TX_OK;
    for (size_t i = 0; i < 6 && rc == TX_OK; i++)
        rc = read_attr_num(rd, "/model/bgnbd", bg_names[i], H5T_NATIVE_DOUBLE, bg[i]);
    if (rc == TX_OK)
        rc = read_attr_num(rd, "/model/bgnbd", "converged", H5T_NATIVE_INT, &m->bg_converged);
    if (rc == TX_OK)
        rc = read_attr_num(rd, "/model/bgnbd", "n", H5T_NATIVE_UINT64, &m->bg_n);
    if (rc == TX_OK)
        rc = read_attr_str(rd, "/model/bgnbd", "unit", m->unit, sizeof m->unit);
    for (size_t i = 0; i < 5 && rc == TX_OK; i++)
        rc = read_attr_num(rd, "/model/gamma_gamma", gg_names[i], H5T_NATIVE_DOUBLE, gg[i]);
    if (rc == TX_OK)
        rc = read_attr_num(rd, "/model/gamma_gamma", "converged", H5T_NATIVE_INT,
                           &m->gg_converged);
    if (rc == TX_OK)
        rc = read_attr_num(rd, "/model/gamma_gamma", "n", H5T_NATIVE_UINT64, &m->gg_n);
    for (size_t i = 0; i < 3 && rc == TX_OK; i++)
        rc = read_attr_num(rd, "/model", top_names[i], H5T_NATIVE_DOUBLE, top[i]);
    /* Standard errors and stop reasons: read when present. */
    static const char *const se_obj[] = {"/model/bgnbd", "/model/bgnbd", "/model/bgnbd",
                                         "/model/bgnbd", "/model/gamma_gamma",
                                         "/model/gamma_gamma", "/model/gamma_gamma"};
    static const char *const se_names[] = {"se_r", "se_alpha", "se_a", "se_b",
                                           "se_p", "se_q", "se_v"};
    double *se[] = {&m->se_r, &m->se_alpha, &m->se_a, &m->se_b, &m->se_p, &m->se_q, &m->se_v};
    for (size_t i = 0; i < 7 && rc == TX_OK; i++) {
        *se[i] = NAN;
        if (H5Aexists_by_name(rd->file, se_obj[i], se_names[i], H5P_DEFAULT) > 0)
            rc = read_attr_num(rd, se_obj[i], se_names[i], H5T_NATIVE_DOUBLE, se[i]);
    }
    m->bg_stop[0] = m->gg_stop[0] = '\0';
    if (rc == TX_OK && H5Aexists_by_name(rd->file, "/model/bgnbd", "stop_reason", H5P_DEFAULT) > 0)
        rc = read_attr_str(rd, "/model/bgnbd", "stop_reason", m->bg_stop, sizeof m->bg_stop);
    if (rc == TX_OK &&
        H5Aexists_by_name(rd->file, "/model/gamma_gamma", "stop_reason", H5P_DEFAULT) > 0)
        rc = read_attr_str(rd, "/model/gamma_gamma", "stop_reason", m->gg_stop,
                           sizeof m->gg_stop);
    return rc;
}

/* /holdout, when the snapshot has one (--holdout-start); then everything the section shows is
 * required. */
static int read_holdout(reader *rd, rpt_holdout *h)
{
    const char *g = tx_snapshot_holdout_table.group;
    if (!object_exists(rd->file, g))
        return TX_OK;
    static const char *const names[] = {"holdout_days", "sum_predicted", "sum_actual", "mae",
                                        "r", "alpha", "a", "b"};
    double *vals[] = {&h->holdout_days, &h->sum_predicted, &h->sum_actual, &h->mae,
                      &h->r, &h->alpha, &h->a, &h->b};
    int rc = read_attr_str(rd, g, "calibration_end", h->calibration_end,
                           sizeof h->calibration_end);
    for (size_t i = 0; i < sizeof names / sizeof names[0] && rc == TX_OK; i++)
        rc = read_attr_num(rd, g, names[i], H5T_NATIVE_DOUBLE, vals[i]);
    if (rc == TX_OK)
        rc = read_attr_num(rd, g, "n", H5T_NATIVE_UINT64, &h->n);
    if (rc == TX_OK)
        rc = read_attr_num(rd, g, "converged", H5T_NATIVE_INT, &h->converged);
    if (rc == TX_OK)
        rc = read_table(rd, &tx_snapshot_bins_table, &h->bins, NULL, 0, &h->bins.n);
    if (rc == TX_OK)
        h->present = 1;
    return rc;
}

/* /cohorts, when the snapshot has it (snapshots before it was added have none). */
static int read_cohorts(reader *rd, rpt_snapshot *s)
{
    if (!object_exists(rd->file, tx_snapshot_cohorts_table.group))
        return TX_OK;
    s->has_cohorts = 1;
    return read_table(rd, &tx_snapshot_cohorts_table, &s->cohorts, NULL, 0, &s->cohorts.n);
}

static void snapshot_free(rpt_snapshot *s)
{
    tx_snapshot_table_free(&tx_snapshot_cohorts_table, &s->cohorts);
    tx_snapshot_table_free(&tx_snapshot_customers_table, &s->cust);
    for (size_t i = 0; i < s->nseg; i++)
        free(s->segment_names[i]);
    free(s->segment_names);
    tx_snapshot_table_free(&tx_snapshot_daily_table, &s->daily);
    tx_snapshot_table_free(&tx_snapshot_monthly_table, &s->monthly);
    tx_snapshot_table_free(&tx_snapshot_cur_monthly_table, &s->by_monthly);
    tx_snapshot_table_free(&tx_snapshot_bins_table, &s->holdout.bins);
    memset(s, 0, sizeof *s);
}

static int snapshot_read(const char *path, rpt_snapshot *s, tx_error *err)
{
    if (access(path, R_OK) != 0)
        return tx_error_set(err, TX_ERR, "%s: cannot open snapshot: %s", path, strerror(errno));
    if (H5Fis_hdf5(path) <= 0)
        return tx_error_set(err, TX_ERR, "%s: not an HDF5 file", path);
    reader rd = {.file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), .path = path, .err = err};
    if (rd.file < 0)
        return tx_error_set(err, TX_ERR, "%s: cannot open HDF5 file", path);
    int rc = read_root(&rd, s);
    if (rc == TX_OK)
        rc = read_customers(&rd, s);
    if (rc == TX_OK)
        rc = read_revenue(&rd, s);
    if (rc == TX_OK)
        rc = read_model(&rd, &s->model);
    if (rc == TX_OK)
        rc = read_holdout(&rd, &s->holdout);
    if (rc == TX_OK)
        rc = read_cohorts(&rd, s);
    if (H5Fclose(rd.file) < 0 && rc == TX_OK)
        rc = tx_error_set(err, TX_ERR, "%s: cannot close HDF5 file", path);
    return rc;
}

int tx_report_write(const char *snapshot_path, const char *out_path, tx_error *err)
{
    if (snapshot_path == NULL || *snapshot_path == '\0')
        return tx_error_set(err, TX_EUSAGE, "report: no snapshot file given");
    if (out_path == NULL || *out_path == '\0')
        return tx_error_set(err, TX_EUSAGE, "report: no output file given (--out REPORT.html)");

    /* Our messages name the file and object; HDF5's own error stack print would only add
     * noise on stderr. Restored before returning. */
    H5E_auto2_t old_func = NULL;
    void *old_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    rpt_snapshot snap;
    memset(&snap, 0, sizeof snap);
    snap.source = snapshot_path;
    char *tmp = NULL, *resolved = NULL;
    FILE *out = NULL;
    /* A link (latest.h5) is resolved once: the file read is the file the footer names, even
     * if the link moves on meanwhile. */
    struct stat st;
    if (lstat(snapshot_path, &st) == 0 && S_ISLNK(st.st_mode) &&
        (resolved = realpath(snapshot_path, NULL)) != NULL) {
        const char *slash = strrchr(resolved, '/');
        snap.source_target = slash != NULL ? slash + 1 : resolved;
    }
    int rc = snapshot_read(resolved != NULL ? resolved : snapshot_path, &snap, err);
    if (rc != TX_OK)
        goto out;

    /* written beside the target and renamed into place; /dev/null is written directly (a
     * rename would replace the device), any other non-regular target is refused */
    const int target = tx_fs_rename_target(out_path);
    if (target < 0) {
        rc = tx_error_set(err, TX_EUSAGE, "--out %s is not a regular file: give the path of the "
                          "HTML file to write", out_path);
        goto out;
    }
    size_t len = strlen(out_path) + 32;
    tmp = malloc(len);
    if (tmp == NULL) {
        rc = tx_error_set(err, TX_ENOMEM, "out of memory writing %s", out_path);
        goto out;
    }
    if (target == 1)
        snprintf(tmp, len, "%s", out_path);
    else
        snprintf(tmp, len, "%s.tmp.%ld", out_path, (long)getpid());
    out = fopen(tmp, "w");
    if (out == NULL) {
        rc = tx_error_set(err, TX_ERR, "%s: cannot create report: %s", tmp, strerror(errno));
        goto out;
    }
    rc = rpt_render_html(out, out_path, &snap, err);
    int close_rc = fclose(out);
    out = NULL;
    if (rc == TX_OK && close_rc != 0)
        rc = tx_error_set(err, TX_ERR, "%s: write failed: %s", tmp, strerror(errno));
    if (rc == TX_OK && target == 0 && rename(tmp, out_path) != 0)
        rc = tx_error_set(err, TX_ERR, "%s: cannot rename %s into place: %s", out_path, tmp,
                          strerror(errno));
    if (rc != TX_OK && target == 0)
        unlink(tmp);
out:
    free(tmp);
    snapshot_free(&snap);
    free(resolved);
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    return rc;
}
