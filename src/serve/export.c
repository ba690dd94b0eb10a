/* export.c - tx_export_write: the snapshot's customer and revenue tables as CSV files. Each
 * table is read through its snapshot.h column table, CHUNK rows at a time (a hyperslab of
 * every column), and formatted by column type; the few columns that need more than their type
 * says (days, months, cents, the segment) are named by struct member in the table's list of
 * formats below, so a new dataset in a column table shows up in the export by itself. */
#include "txetl/export.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "txetl/fmt.h"
#include "txetl/snapshot.h"
#include "txetl/snapshot_h5.h"

enum { CHUNK = 65536, MAX_COLS = 64 };

/* How a column is written beyond its type. */
typedef enum col_kind {
    K_PLAIN,   /* by type: integers decimal, f64 %.17g */
    K_DATE,    /* i32 days since 1970-01-01 -> YYYY-MM-DD */
    K_MONTH,   /* i32 YYYYMM -> YYYY-MM */
    K_CENTS,   /* i64 cents -> decimal with 2 places, header without "_cents" */
    K_SEGMENT, /* u8 index -> its name in the group attribute segment_names */
} col_kind;

typedef struct col_fmt {
    size_t member; /* offsetof in the table's struct, as in tx_snapshot_column */
    col_kind kind;
} col_fmt;

/* One exported table: its column table and the columns that are not K_PLAIN. */
typedef struct export_table {
    const tx_snapshot_table *t;
    const col_fmt *fmts;
    size_t nfmts;
} export_table;

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const col_fmt customers_fmts[] = {
    {offsetof(tx_snapshot_customers, first_purchase), K_DATE},
    {offsetof(tx_snapshot_customers, last_purchase), K_DATE},
    {offsetof(tx_snapshot_customers, revenue_cents), K_CENTS},
    {offsetof(tx_snapshot_customers, segment), K_SEGMENT},
};
static const col_fmt daily_fmts[] = {
    {offsetof(tx_snapshot_daily, date), K_DATE},
    {offsetof(tx_snapshot_daily, revenue_cents), K_CENTS},
};
static const col_fmt monthly_fmts[] = {
    {offsetof(tx_snapshot_monthly, month), K_MONTH},
    {offsetof(tx_snapshot_monthly, revenue_cents), K_CENTS},
};

/* The export: the customers, then every revenue table snapshot.h describes. A per-currency
 * table (SPEC §6 /revenue/by_currency/...) is one more line here once snapshot.h has its
 * column table; its file name follows from its group. */
static const export_table tables[] = {
    {&tx_snapshot_customers_table, customers_fmts, NELEMS(customers_fmts)},
    {&tx_snapshot_daily_table, daily_fmts, NELEMS(daily_fmts)},
    {&tx_snapshot_monthly_table, monthly_fmts, NELEMS(monthly_fmts)},
};
_Static_assert(NELEMS(tables) <= TX_EXPORT_MAX_FILES, "tx_export_result too small");

/* The snapshot being read, for messages. */
typedef struct reader {
    hid_t file;
    const char *path;
    tx_error *err;
} reader;

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

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        free(v[i]);
    free(v);
}

/* Reads the string attribute obj@name (fixed- or variable-length, any number of elements):
 * *out receives n malloc'ed strings (free_strings). */
static int read_attr_strings(reader *rd, const char *obj, const char *name, char ***out,
                             size_t *nout)
{
    int rc = TX_OK;
    hid_t attr = -1, space = -1, ftype = -1, mtype = -1;
    char **vbuf = NULL, *fbuf = NULL, **res = NULL;
    size_t n = 0;
    if (!object_exists(rd->file, obj) || H5Aexists_by_name(rd->file, obj, name, H5P_DEFAULT) <= 0)
        return tx_error_set(rd->err, TX_ERR, "%s: missing attribute %s@%s", rd->path, obj, name);
    attr = H5Aopen_by_name(rd->file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    space = attr < 0 ? -1 : H5Aget_space(attr);
    ftype = attr < 0 ? -1 : H5Aget_type(attr);
    hssize_t cnt = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
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
    size_t sz = H5Tget_size(ftype);
    if (var > 0) {
        vbuf = calloc(n ? n : 1, sizeof *vbuf);
        if (vbuf == NULL || H5Tset_size(mtype, H5T_VARIABLE) < 0 ||
            H5Aread(attr, mtype, vbuf) < 0) {
            free(vbuf);
            vbuf = NULL;
            rc = tx_error_set(rd->err, TX_ERR, "%s: cannot read string attribute %s@%s",
                              rd->path, obj, name);
            goto out;
        }
    } else {
        fbuf = calloc(n ? n : 1, sz + 1);
        if (var < 0 || fbuf == NULL || H5Tset_size(mtype, sz + 1) < 0 ||
            H5Tset_strpad(mtype, H5T_STR_NULLTERM) < 0 || H5Aread(attr, mtype, fbuf) < 0) {
            rc = tx_error_set(rd->err, TX_ERR, "%s: cannot read string attribute %s@%s",
                              rd->path, obj, name);
            goto out;
        }
    }
    for (size_t i = 0; i < n && rc == TX_OK; i++) {
        const char *s = vbuf != NULL ? (vbuf[i] != NULL ? vbuf[i] : "") : fbuf + i * (sz + 1);
        if ((res[i] = strdup(s)) == NULL)
            rc = tx_error_set(rd->err, TX_ENOMEM, "out of memory reading %s", rd->path);
    }
out:
    if (vbuf != NULL) {
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, vbuf);
        free(vbuf);
    }
    free(fbuf);
    if (rc != TX_OK) {
        free_strings(res, n);
        res = NULL;
    }
    *out = res;
    *nout = rc == TX_OK ? n : 0;
    if (mtype >= 0)
        H5Tclose(mtype);
    if (ftype >= 0)
        H5Tclose(ftype);
    if (space >= 0)
        H5Sclose(space);
    if (attr >= 0)
        H5Aclose(attr);
    return rc;
}

/* format "txetl-snapshot", format_version 1. */
static int check_format(reader *rd)
{
    char **v = NULL;
    size_t n = 0;
    int rc = read_attr_strings(rd, "/", "format", &v, &n);
    if (rc == TX_OK && (n != 1 || strcmp(v[0], "txetl-snapshot") != 0))
        rc = tx_error_set(rd->err, TX_ERR, "%s: not a txetl snapshot (format \"%s\")", rd->path,
                          n ? v[0] : "");
    free_strings(v, n);
    if (rc != TX_OK)
        return rc;
    long long version = 0;
    hid_t attr = H5Aexists_by_name(rd->file, "/", "format_version", H5P_DEFAULT) > 0
                     ? H5Aopen_by_name(rd->file, "/", "format_version", H5P_DEFAULT, H5P_DEFAULT)
                     : -1;
    if (attr < 0)
        return tx_error_set(rd->err, TX_ERR, "%s: missing attribute /format_version", rd->path);
    if (H5Aread(attr, H5T_NATIVE_LLONG, &version) < 0)
        rc = tx_error_set(rd->err, TX_ERR, "%s: cannot read attribute /format_version", rd->path);
    else if (version != 1)
        rc = tx_error_set(rd->err, TX_ERR, "%s: unsupported snapshot format_version %lld",
                          rd->path, version);
    H5Aclose(attr);
    return rc;
}

/* The open datasets of one table and a chunk buffer per column. */
typedef struct table_in {
    const export_table *et;
    size_t ncols;
    hid_t ds[MAX_COLS];
    void *buf[MAX_COLS];
    col_kind kind[MAX_COLS];
    uint64_t rows;
    char **seg_names; /* with a K_SEGMENT column */
    size_t nseg;
} table_in;

static void table_close(table_in *in)
{
    for (size_t i = 0; i < in->ncols; i++) {
        if (in->ds[i] >= 0)
            H5Dclose(in->ds[i]);
        free(in->buf[i]);
    }
    free_strings(in->seg_names, in->nseg);
    memset(in, 0, sizeof *in);
}

/* Opens every dataset of et (1-D, all of one length) and the segment names it needs. */
static int table_open(reader *rd, const export_table *et, table_in *in)
{
    const tx_snapshot_table *t = et->t;
    memset(in, 0, sizeof *in);
    in->et = et;
    if (t->ncols > MAX_COLS)
        return tx_error_set(rd->err, TX_ERR, "%s: table %s has more than %d columns", rd->path,
                            t->group, MAX_COLS);
    int rc = TX_OK;
    for (size_t i = 0; i < t->ncols && rc == TX_OK; i++) {
        const tx_snapshot_column *c = &t->cols[i];
        char path[512];
        snprintf(path, sizeof path, "%s/%s", t->group, c->name);
        in->ds[i] = -1;
        in->ncols = i + 1;
        in->kind[i] = K_PLAIN;
        for (size_t k = 0; k < et->nfmts; k++)
            if (et->fmts[k].member == c->member)
                in->kind[i] = et->fmts[k].kind;
        if (!object_exists(rd->file, path)) {
            rc = tx_error_set(rd->err, TX_ERR, "%s: missing dataset %s", rd->path, path);
            break;
        }
        in->ds[i] = H5Dopen2(rd->file, path, H5P_DEFAULT);
        hid_t space = in->ds[i] < 0 ? -1 : H5Dget_space(in->ds[i]);
        hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
        int ndims = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
        if (space >= 0)
            H5Sclose(space);
        if (n < 0 || ndims != 1)
            rc = tx_error_set(rd->err, TX_ERR, "%s: dataset %s is not a 1-D array", rd->path,
                              path);
        else if (i > 0 && (uint64_t)n != in->rows)
            rc = tx_error_set(rd->err, TX_ERR, "%s: dataset %s has %lld rows, %s/%s has %llu",
                              rd->path, path, (long long)n, t->group, t->cols[0].name,
                              (unsigned long long)in->rows);
        in->rows = (uint64_t)(n < 0 ? 0 : n);
        if (rc == TX_OK && (in->buf[i] = malloc((size_t)CHUNK * tx_snapshot_type_size(c->type))) ==
                               NULL)
            rc = tx_error_set(rd->err, TX_ENOMEM, "out of memory reading %s", rd->path);
        if (rc == TX_OK && in->kind[i] == K_SEGMENT && in->seg_names == NULL)
            rc = read_attr_strings(rd, t->group, "segment_names", &in->seg_names, &in->nseg);
    }
    return rc;
}

/* Reads rows [start, start + n) of every column into the chunk buffers. */
static int table_read(reader *rd, table_in *in, uint64_t start, size_t n)
{
    int rc = TX_OK;
    hsize_t off = start, cnt = n;
    hid_t mspace = H5Screate_simple(1, &cnt, NULL);
    for (size_t i = 0; i < in->ncols && rc == TX_OK; i++) {
        const tx_snapshot_column *c = &in->et->t->cols[i];
        hid_t fspace = H5Dget_space(in->ds[i]);
        if (mspace < 0 || fspace < 0 ||
            H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &off, NULL, &cnt, NULL) < 0 ||
            H5Dread(in->ds[i], tx_snapshot_h5_mem_type(c->type), mspace, fspace, H5P_DEFAULT,
                    in->buf[i]) < 0)
            rc = tx_error_set(rd->err, TX_ERR, "%s: cannot read dataset %s/%s (rows %llu..%llu)",
                              rd->path, in->et->t->group, c->name, (unsigned long long)start,
                              (unsigned long long)(start + n - 1));
        if (fspace >= 0)
            H5Sclose(fspace);
    }
    if (mspace >= 0)
        H5Sclose(mspace);
    return rc;
}

/* Writes s as one CSV field, quoted when it holds , " CR or LF. */
static void put_text(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    putc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            putc('"', f);
        putc(*s, f);
    }
    putc('"', f);
}

/* The header: each column's dataset name, K_CENTS ones without the "_cents" suffix. */
static void put_header(FILE *f, const table_in *in)
{
    for (size_t i = 0; i < in->ncols; i++) {
        const char *name = in->et->t->cols[i].name;
        size_t len = strlen(name);
        char buf[256];
        if (in->kind[i] == K_CENTS && len > 6 && strcmp(name + len - 6, "_cents") == 0 &&
            len - 6 < sizeof buf) {
            memcpy(buf, name, len - 6);
            buf[len - 6] = '\0';
            name = buf;
        }
        if (i > 0)
            putc(',', f);
        put_text(f, name);
    }
    fputs("\r\n", f);
}

/* Writes value r of column i (a chunk row). Returns TX_OK, or TX_ERR for a segment without a
 * name (row is the table row, for the message). */
static int put_value(reader *rd, FILE *f, const table_in *in, size_t i, size_t r, uint64_t row)
{
    const tx_snapshot_column *c = &in->et->t->cols[i];
    const void *p = (const char *)in->buf[i] + r * tx_snapshot_type_size(c->type);
    char buf[64];
    int len = 0;
    int32_t i32 = 0;
    int64_t i64 = 0;
    uint64_t u64 = 0;
    double d = 0;
    switch (c->type) {
    case TX_SNAP_U8: u64 = *(const uint8_t *)p; break;
    case TX_SNAP_U32: u64 = *(const uint32_t *)p; break;
    case TX_SNAP_U64: memcpy(&u64, p, 8); break;
    case TX_SNAP_I32: memcpy(&i32, p, 4); i64 = i32; break;
    case TX_SNAP_I64: memcpy(&i64, p, 8); break;
    case TX_SNAP_F64: memcpy(&d, p, 8); break;
    }
    switch (in->kind[i]) {
    case K_DATE:
        fputs(tx_format_date((int32_t)i64, buf), f);
        return TX_OK;
    case K_MONTH:
        fprintf(f, "%04d-%02d", (int)(i64 / 100), (int)(i64 % 100));
        return TX_OK;
    case K_CENTS:
        len = tx_fmt_cents(buf, i64);
        fwrite(buf, 1, (size_t)len, f);
        return TX_OK;
    case K_SEGMENT:
        if (u64 >= in->nseg)
            return tx_error_set(rd->err, TX_ERR, "%s: %s/%s row %llu is %llu, but segment_names "
                                "has %zu names", rd->path, in->et->t->group, c->name,
                                (unsigned long long)row, (unsigned long long)u64, in->nseg);
        put_text(f, in->seg_names[u64]);
        return TX_OK;
    case K_PLAIN:
        break;
    }
    switch (c->type) {
    case TX_SNAP_U8:
    case TX_SNAP_U32:
    case TX_SNAP_U64: len = tx_fmt_u64(buf, u64); break;
    case TX_SNAP_I32:
    case TX_SNAP_I64: len = tx_fmt_i64(buf, i64); break;
    case TX_SNAP_F64:
        if (isnan(d))
            len = 0;
        else if (isinf(d))
            len = snprintf(buf, sizeof buf, "%s", d > 0 ? "inf" : "-inf");
        else
            len = snprintf(buf, sizeof buf, "%.17g", d);
        break;
    }
    fwrite(buf, 1, (size_t)len, f);
    return TX_OK;
}

/* Writes the whole table as CSV to f (named tmp in messages). */
static int table_write(reader *rd, table_in *in, FILE *f, const char *tmp)
{
    int rc = TX_OK;
    put_header(f, in);
    for (uint64_t start = 0; start < in->rows && rc == TX_OK; start += CHUNK) {
        size_t n = in->rows - start < CHUNK ? (size_t)(in->rows - start) : CHUNK;
        rc = table_read(rd, in, start, n);
        for (size_t r = 0; r < n && rc == TX_OK; r++) {
            for (size_t i = 0; i < in->ncols && rc == TX_OK; i++) {
                if (i > 0)
                    putc(',', f);
                rc = put_value(rd, f, in, i, r, start + r);
            }
            fputs("\r\n", f);
        }
        if (rc == TX_OK && ferror(f))
            rc = tx_error_set(rd->err, TX_ERR, "%s: write failed: %s", tmp, strerror(errno));
    }
    return rc;
}

/* mkdir -p. Returns 0 or -1 with errno set. */
static int mkdir_p(const char *dir)
{
    char buf[4096];
    size_t len = strlen(dir);
    if (len >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, dir, len + 1);
    for (size_t i = 1; i < len; i++) {
        if (buf[i] != '/')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        buf[i] = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(buf, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* DIR/<group without the leading '/', '/' -> '_'>.csv into out. */
static int file_name(const char *dir, const char *group, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s.csv", dir, group + (group[0] == '/'));
    if (n < 0 || (size_t)n >= cap)
        return -1;
    for (char *p = out + strlen(dir) + 1; *p; p++)
        if (*p == '/')
            *p = '_';
    return 0;
}

/* Writes table et to the temporary file tmp; *rows receives its row count. */
static int export_table_tmp(reader *rd, const export_table *et, const char *tmp, uint64_t *rows)
{
    table_in in;
    FILE *f = NULL;
    int rc = table_open(rd, et, &in);
    if (rc == TX_OK && (f = fopen(tmp, "w")) == NULL)
        rc = tx_error_set(rd->err, TX_ERR, "%s: cannot create: %s", tmp, strerror(errno));
    if (rc == TX_OK) {
        setvbuf(f, NULL, _IOFBF, 1 << 16);
        rc = table_write(rd, &in, f, tmp);
    }
    if (f != NULL && fclose(f) != 0 && rc == TX_OK)
        rc = tx_error_set(rd->err, TX_ERR, "%s: write failed: %s", tmp, strerror(errno));
    *rows = in.rows;
    table_close(&in);
    return rc;
}

int tx_export_write(const char *snapshot_path, const char *out_dir, tx_export_result *res,
                    tx_error *err)
{
    if (snapshot_path == NULL || *snapshot_path == '\0')
        return tx_error_set(err, TX_EUSAGE, "export: no snapshot file given");
    if (out_dir == NULL || *out_dir == '\0')
        return tx_error_set(err, TX_EUSAGE, "export: no output directory given (--out DIR)");
    if (access(snapshot_path, R_OK) != 0)
        return tx_error_set(err, TX_ERR, "%s: cannot open snapshot: %s", snapshot_path,
                            strerror(errno));

    /* Our messages name the file and object; HDF5's own error stack would only add noise on
     * stderr. Restored before returning. */
    H5E_auto2_t old_func = NULL;
    void *old_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    enum { NT = NELEMS(tables) };
    tx_export_result local;
    tx_export_result *out = res != NULL ? res : &local;
    char tmp[NT][4096 + 32];
    size_t ntmp = 0;
    reader rd = {.file = -1, .path = snapshot_path, .err = err};
    memset(out, 0, sizeof *out);
    int rc = TX_OK;
    if (H5Fis_hdf5(snapshot_path) <= 0)
        rc = tx_error_set(err, TX_ERR, "%s: not an HDF5 file", snapshot_path);
    if (rc == TX_OK && (rd.file = H5Fopen(snapshot_path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0)
        rc = tx_error_set(err, TX_ERR, "%s: cannot open HDF5 file", snapshot_path);
    if (rc == TX_OK)
        rc = check_format(&rd);
    if (rc == TX_OK && mkdir_p(out_dir) != 0)
        rc = tx_error_set(err, TX_ERR, "%s: cannot create output directory: %s", out_dir,
                          strerror(errno));
    for (size_t k = 0; k < NT && rc == TX_OK; k++) {
        tx_export_file *ef = &out->files[k];
        if (file_name(out_dir, tables[k].t->group, ef->path, sizeof ef->path) != 0) {
            rc = tx_error_set(err, TX_EUSAGE, "%s: output directory name too long", out_dir);
            break;
        }
        snprintf(tmp[k], sizeof tmp[k], "%s.tmp.%ld", ef->path, (long)getpid());
        ntmp = k + 1;
        rc = export_table_tmp(&rd, &tables[k], tmp[k], &ef->rows);
    }
    /* Every file complete: rename them all into place. */
    size_t renamed = 0;
    while (renamed < ntmp && rc == TX_OK) {
        if (rename(tmp[renamed], out->files[renamed].path) != 0)
            rc = tx_error_set(err, TX_ERR, "%s: cannot rename %s into place: %s",
                              out->files[renamed].path, tmp[renamed], strerror(errno));
        else
            renamed++;
    }
    for (size_t k = renamed; k < ntmp; k++)
        unlink(tmp[k]);
    if (rd.file >= 0 && H5Fclose(rd.file) < 0 && rc == TX_OK)
        rc = tx_error_set(err, TX_ERR, "%s: cannot close HDF5 file", snapshot_path);
    out->nfiles = rc == TX_OK ? ntmp : 0;
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    return rc;
}
