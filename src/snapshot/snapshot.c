/* snapshot.c - the docs/snapshot.md snapshot writer: parallel HDF5, collective transfers, one
 * hyperslab per rank, temporary name + rename + latest.h5 symlink.
 *
 * Error discipline: every rank makes the same sequence of HDF5 calls (identical arguments for
 * every group, dataset and attribute). A phase is local work that collects a status, then
 * `tx_agree` (mpiutil.h: the lowest failing rank's status and message); every rank takes
 * the same branch, so no rank waits in a collective the others skipped. The phases are: make
 * the directory, create the file, the metadata (groups and attributes), each dataset (create,
 * agree, write, agree), close, rename. */
#include "txetl/fs.h"
#include "txetl/snapshot.h"

#include <errno.h>
#include <hdf5.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "txetl/fmt.h"
#include "txetl/mpiutil.h"
#include "txetl/snapshot_h5.h"

/* ---- attributes (identical on every rank) ---- */

static hid_t vlen_str_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return -1;
    if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* Writes one attribute of `n` elements (scalar when n is 0). */
static int attr_write(hid_t obj, const char *name, hid_t ftype, hid_t mtype, hsize_t n,
                      const void *val)
{
    hid_t sp = n ? H5Screate_simple(1, &n, NULL) : H5Screate(H5S_SCALAR);
    if (sp < 0)
        return -1;
    hid_t a = H5Acreate2(obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 || H5Awrite(a, mtype, val) < 0 ? -1 : 0;
    if (a >= 0 && H5Aclose(a) < 0)
        rc = -1;
    H5Sclose(sp);
    return rc;
}

static int attr_str(hid_t obj, const char *name, const char *value)
{
    hid_t t = vlen_str_type();
    if (t < 0)
        return -1;
    int rc = attr_write(obj, name, t, t, 0, &value);
    H5Tclose(t);
    return rc;
}

static int attr_strs(hid_t obj, const char *name, const char *const *values, int n)
{
    hid_t t = vlen_str_type();
    if (t < 0)
        return -1;
    int rc = attr_write(obj, name, t, t, (hsize_t)n, values);
    H5Tclose(t);
    return rc;
}

static int attr_i32(hid_t obj, const char *name, int32_t v)
{
    return attr_write(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT32, 0, &v);
}

static int attr_u64(hid_t obj, const char *name, uint64_t v)
{
    return attr_write(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, 0, &v);
}

static int attr_f64(hid_t obj, const char *name, double v)
{
    return attr_write(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, &v);
}

/* ---- the writer ---- */

typedef struct writer {
    MPI_Comm comm;
    int rank;
    const char *tmp; /* temporary path, for messages */
    hid_t file, dxpl, dcpl;
    tx_error *err;
} writer;

static int h5fail(writer *w, const char *what, const char *name)
{
    return tx_error_set(w->err, TX_ERR, "snapshot %s: HDF5 %s failed for %s", w->tmp, what, name);
}

/* Collective. Creates dataset `name` in group g of `total` elements and writes this rank's
 * `n` elements at `offset`; a rank with n = 0 still takes part with an empty selection. */
static int column(writer *w, hid_t g, const char *gname, const char *name, hid_t ftype,
                  hid_t mtype, uint64_t total, uint64_t offset, size_t n, const void *buf)
{
    char full[256];
    snprintf(full, sizeof full, "%s/%s", gname, name);
    int st = TX_OK;
    hsize_t dims = (hsize_t)total, cnt = (hsize_t)n, start = (hsize_t)offset;
    hid_t fsp = -1, msp = -1, d = -1;
    if ((fsp = H5Screate_simple(1, &dims, NULL)) < 0)
        st = h5fail(w, "H5Screate_simple", full);
    if (st == TX_OK && (d = H5Dcreate2(g, name, ftype, fsp, H5P_DEFAULT, w->dcpl, H5P_DEFAULT)) < 0)
        st = h5fail(w, "H5Dcreate2", full);
    if (st == TX_OK && (msp = H5Screate_simple(1, &cnt, NULL)) < 0)
        st = h5fail(w, "H5Screate_simple", full);
    if (st == TX_OK) {
        herr_t e = n ? H5Sselect_hyperslab(fsp, H5S_SELECT_SET, &start, NULL, &cnt, NULL)
                     : H5Sselect_none(fsp);
        if (e < 0 || (!n && H5Sselect_none(msp) < 0))
            st = h5fail(w, "selection", full);
    }
    st = tx_agree(w->comm, st, w->err);
    if (st == TX_OK && total > 0) { /* an empty dataset has no storage to write to */
        static const uint64_t dummy = 0; /* some HDF5 versions reject a NULL buffer */
        if (H5Dwrite(d, mtype, msp, fsp, w->dxpl, n ? buf : (const void *)&dummy) < 0)
            st = h5fail(w, "H5Dwrite", full);
        st = tx_agree(w->comm, st, w->err);
    }
    if (msp >= 0)
        H5Sclose(msp);
    if (d >= 0 && H5Dclose(d) < 0 && st == TX_OK)
        st = h5fail(w, "H5Dclose", full);
    if (fsp >= 0)
        H5Sclose(fsp);
    return tx_agree(w->comm, st, w->err);
}

static int write_root_attrs(writer *w, const tx_snapshot *s)
{
    const tx_run_info *run = s->run;
    char created[32], as_of[32];
    created[tx_fmt_iso_utc(created, run->created_unix)] = '\0';
    tx_format_date(s->as_of, as_of);
    const tx_run_counts *c = &run->counts;
    hid_t f = w->file;
    if (attr_str(f, "format", "txetl-snapshot") < 0 || attr_i32(f, "format_version", 2) < 0 ||
        attr_str(f, "reporting_currency", s->revenue.reporting[0] ? s->revenue.reporting : "USD") < 0 ||
        attr_str(f, "run_id", run->run_id) < 0 || attr_str(f, "created_utc", created) < 0 ||
        attr_str(f, "as_of", as_of) < 0 || attr_i32(f, "ranks", run->ranks) < 0 ||
        attr_i32(f, "shards", run->shards) < 0 || attr_u64(f, "read", c->read) < 0 ||
        attr_u64(f, "rejected", c->rejected) < 0 || attr_u64(f, "inserted", c->inserted) < 0 ||
        attr_u64(f, "updated", c->updated) < 0 || attr_u64(f, "moved", c->moved) < 0 ||
        attr_u64(f, "deleted", c->deleted) < 0 || attr_u64(f, "stale", c->stale) < 0 ||
        attr_u64(f, "superseded", c->superseded) < 0)
        return h5fail(w, "attribute write", "/");
    return TX_OK;
}

static int write_model_attrs(writer *w, hid_t model, hid_t bg, hid_t gg, const tx_snapshot *s)
{
    const tx_analytics_opts *o = s->opts;
    const tx_bgnbd_fit *b = &s->bgnbd;
    const tx_gg_fit *g = &s->gg;
    if (attr_i32(model, "horizon_days", o->horizon_days) < 0 ||
        attr_i32(model, "clv_months", o->clv_months) < 0 ||
        attr_f64(model, "discount_rate", o->discount_rate) < 0)
        return h5fail(w, "attribute write", "/model");
    if (attr_f64(bg, "r", b->r) < 0 || attr_f64(bg, "alpha", b->alpha) < 0 ||
        attr_f64(bg, "a", b->a) < 0 || attr_f64(bg, "b", b->b) < 0 ||
        attr_f64(bg, "loglik", b->loglik) < 0 || attr_f64(bg, "grad_norm", b->grad_norm) < 0 ||
        attr_i32(bg, "converged", b->converged) < 0 || attr_u64(bg, "n", b->n) < 0 ||
        attr_str(bg, "unit", o->unit_week ? "week" : "day") < 0 ||
        attr_f64(bg, "se_r", b->se_r) < 0 || attr_f64(bg, "se_alpha", b->se_alpha) < 0 ||
        attr_f64(bg, "se_a", b->se_a) < 0 || attr_f64(bg, "se_b", b->se_b) < 0 ||
        attr_i32(bg, "iterations", b->iterations) < 0 ||
        attr_str(bg, "stop_reason", b->stop_reason ? b->stop_reason : "not fitted") < 0)
        return h5fail(w, "attribute write", "/model/bgnbd");
    if (attr_f64(gg, "p", g->p) < 0 || attr_f64(gg, "q", g->q) < 0 ||
        attr_f64(gg, "v", g->v) < 0 || attr_f64(gg, "loglik", g->loglik) < 0 ||
        attr_f64(gg, "grad_norm", g->grad_norm) < 0 ||
        attr_i32(gg, "converged", g->converged) < 0 || attr_u64(gg, "n", g->n) < 0 ||
        attr_f64(gg, "se_p", g->se_p) < 0 || attr_f64(gg, "se_q", g->se_q) < 0 ||
        attr_f64(gg, "se_v", g->se_v) < 0 || attr_i32(gg, "iterations", g->iterations) < 0 ||
        attr_str(gg, "stop_reason", g->stop_reason ? g->stop_reason : "not fitted") < 0)
        return h5fail(w, "attribute write", "/model/gamma_gamma");
    return TX_OK;
}

/* Collective. Writes every column of table t (its struct at rows) into group g: datasets of
 * `total` elements, this rank's `n` rows at `offset` (a global table: total = its rows, offset
 * 0, n = total on rank 0 and 0 elsewhere). */
static int write_table(writer *w, hid_t g, const tx_snapshot_table *t, const void *rows,
                       uint64_t total, uint64_t offset, size_t n)
{
    int st = TX_OK;
    for (size_t i = 0; i < t->ncols && st == TX_OK; i++) {
        const tx_snapshot_column *c = &t->cols[i];
        st = column(w, g, t->group, c->name, tx_snapshot_h5_file_type(c->type),
                    tx_snapshot_h5_mem_type(c->type), total, offset, n,
                    tx_snapshot_column_get(rows, c));
    }
    return st;
}

/* Collective. A global table, identical on every rank: rank 0 writes it. */
static int write_global_table(writer *w, hid_t g, const tx_snapshot_table *t, const void *rows,
                              size_t n)
{
    return write_table(w, g, t, rows, n, 0, w->rank == 0 ? n : 0);
}

/* Collective. The /holdout group (only when s->holdout.enabled): attributes, the per-customer
 * columns (each rank its rows) and the by_frequency table (rank 0 writes it). */
static int write_holdout(writer *w, const tx_snapshot *s)
{
    const tx_snapshot_holdout *h = &s->holdout;
    const char *const gpath[2] = {tx_snapshot_holdout_table.group, tx_snapshot_bins_table.group};
    hid_t g[2] = {-1, -1};
    int st = TX_OK;
    for (int i = 0; i < 2 && st == TX_OK; i++)
        if ((g[i] = H5Gcreate2(w->file, gpath[i], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
            st = h5fail(w, "H5Gcreate2", gpath[i]);
    char cal_end[32], start[32];
    tx_format_date(h->calibration_end, cal_end);
    tx_format_date(h->calibration_end + 1, start);
    const tx_bgnbd_fit *f = &h->fit;
    if (st == TX_OK &&
        (attr_str(g[0], "calibration_end", cal_end) < 0 ||
         attr_str(g[0], "holdout_start", start) < 0 ||
         attr_i32(g[0], "holdout_days", h->holdout_days) < 0 ||
         attr_str(g[0], "unit", s->opts->unit_week ? "week" : "day") < 0 ||
         attr_u64(g[0], "n", h->rows.total) < 0 ||
         attr_f64(g[0], "sum_predicted", h->sum_predicted) < 0 ||
         attr_f64(g[0], "sum_actual", h->sum_actual) < 0 || attr_f64(g[0], "mae", h->mae) < 0 ||
         attr_f64(g[0], "r", f->r) < 0 || attr_f64(g[0], "alpha", f->alpha) < 0 ||
         attr_f64(g[0], "a", f->a) < 0 || attr_f64(g[0], "b", f->b) < 0 ||
         attr_f64(g[0], "loglik", f->loglik) < 0 || attr_i32(g[0], "converged", f->converged) < 0))
        st = h5fail(w, "attribute write", gpath[0]);
    st = tx_agree(w->comm, st, w->err);

    if (st == TX_OK)
        st = write_table(w, g[0], &tx_snapshot_holdout_table, &h->rows, h->rows.total,
                         h->rows.offset, h->rows.n);

    /* The bins as a table (copies: the snapshot is const here). */
    int32_t freq[TX_HOLDOUT_NBINS];
    uint64_t cust[TX_HOLDOUT_NBINS];
    double pred[TX_HOLDOUT_NBINS], act[TX_HOLDOUT_NBINS];
    for (int i = 0; i < TX_HOLDOUT_NBINS; i++) {
        freq[i] = i;
        cust[i] = h->bin_customers[i];
        pred[i] = h->bin_mean_predicted[i];
        act[i] = h->bin_mean_actual[i];
    }
    const tx_snapshot_holdout_bins bins = {TX_HOLDOUT_NBINS, freq, cust, pred, act};
    if (st == TX_OK)
        st = write_global_table(w, g[1], &tx_snapshot_bins_table, &bins, bins.n);

    int cst = TX_OK;
    for (int i = 1; i >= 0; i--)
        if (g[i] >= 0 && H5Gclose(g[i]) < 0)
            cst = h5fail(w, "H5Gclose", gpath[i]);
    if (st == TX_OK)
        st = tx_agree(w->comm, cst, w->err);
    return st;
}

/* Collective. The /cohorts table (global: rank 0 writes it; empty when there is none). */
static int write_cohorts(writer *w, const tx_snapshot_cohorts *c)
{
    const char *path = tx_snapshot_cohorts_table.group;
    hid_t g = H5Gcreate2(w->file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int st = tx_agree(w->comm, g < 0 ? h5fail(w, "H5Gcreate2", path) : TX_OK, w->err);
    if (st == TX_OK)
        st = write_global_table(w, g, &tx_snapshot_cohorts_table, c, c->n);
    int cst = g >= 0 && H5Gclose(g) < 0 ? h5fail(w, "H5Gclose", path) : TX_OK;
    if (st == TX_OK)
        st = tx_agree(w->comm, cst, w->err);
    return st;
}

enum { G_CUST, G_REV, G_DAILY, G_MONTHLY, G_BYCUR, G_CDAILY, G_CMONTHLY, G_MODEL, G_BGNBD,
       G_GG, NGROUPS };

/* Collective. The file's contents; w->file is open. */
static int write_contents(writer *w, const tx_snapshot *s)
{
    const char *const group_path[NGROUPS] = {
        tx_snapshot_customers_table.group, "/revenue", tx_snapshot_daily_table.group,
        tx_snapshot_monthly_table.group, "/revenue/by_currency",
        tx_snapshot_cur_daily_table.group, tx_snapshot_cur_monthly_table.group, "/model",
        "/model/bgnbd", "/model/gamma_gamma"};
    hid_t g[NGROUPS];
    int st = TX_OK;
    for (int i = 0; i < NGROUPS; i++)
        g[i] = -1;
    for (int i = 0; i < NGROUPS && st == TX_OK; i++)
        if ((g[i] = H5Gcreate2(w->file, group_path[i], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
            st = h5fail(w, "H5Gcreate2", group_path[i]);
    const tx_snapshot_customers *c = &s->customers;
    if (st == TX_OK)
        st = write_root_attrs(w, s);
    if (st == TX_OK && attr_strs(g[G_CUST], "segment_names", c->segment_names, c->nsegments) < 0)
        st = h5fail(w, "attribute write", "/customers segment_names");
    if (st == TX_OK)
        st = write_model_attrs(w, g[G_MODEL], g[G_BGNBD], g[G_GG], s);
    st = tx_agree(w->comm, st, w->err);

    /* The customer columns: this rank's rows. */
    if (st == TX_OK)
        st = write_table(w, g[G_CUST], &tx_snapshot_customers_table, c, c->total, c->offset,
                         c->n);
    /* The revenue tables: global, identical everywhere; rank 0 writes them. */
    const tx_snapshot_revenue *r = &s->revenue;
    if (st == TX_OK)
        st = write_global_table(w, g[G_DAILY], &tx_snapshot_daily_table, &r->daily, r->daily.n);
    if (st == TX_OK)
        st = write_global_table(w, g[G_MONTHLY], &tx_snapshot_monthly_table, &r->monthly,
                                r->monthly.n);
    if (st == TX_OK)
        st = write_global_table(w, g[G_CDAILY], &tx_snapshot_cur_daily_table, &r->by_daily,
                                r->by_daily.n);
    if (st == TX_OK)
        st = write_global_table(w, g[G_CMONTHLY], &tx_snapshot_cur_monthly_table,
                                &r->by_monthly, r->by_monthly.n);

    if (st == TX_OK)
        st = write_cohorts(w, &s->cohorts);
    if (st == TX_OK && s->holdout.enabled)
        st = write_holdout(w, s);

    int cst = TX_OK;
    for (int i = NGROUPS - 1; i >= 0; i--)
        if (g[i] >= 0 && H5Gclose(g[i]) < 0)
            cst = h5fail(w, "H5Gclose", group_path[i]);
    if (st == TX_OK)
        st = tx_agree(w->comm, cst, w->err);
    return st;
}

/* Local (rank 0). Renames tmp to final and points dir/latest.h5 at it. */
static int publish(const char *dir, const char *tmp, const char *final, const char *base,
                   const char *run_id, tx_error *err)
{
    char link_tmp[PATH_MAX], latest[PATH_MAX];
    if (snprintf(link_tmp, sizeof link_tmp, "%s/.latest.h5.%s.tmp", dir, run_id) >=
            (int)sizeof link_tmp ||
        snprintf(latest, sizeof latest, "%s/latest.h5", dir) >= (int)sizeof latest)
        return tx_error_set(err, TX_ERR, "snapshot dir %s: path too long", dir);
    if (rename(tmp, final) != 0)
        return tx_error_set(err, TX_ERR, "snapshot: rename %s -> %s: %s", tmp, final,
                            strerror(errno));
    if ((unlink(link_tmp) != 0 && errno != ENOENT) || symlink(base, link_tmp) != 0 ||
        rename(link_tmp, latest) != 0) {
        int e = errno;
        unlink(link_tmp);
        unlink(final); /* a failed run leaves nothing at the final path */
        return tx_error_set(err, TX_ERR, "snapshot: cannot point %s at %s: %s", latest, base,
                            strerror(e));
    }
    return TX_OK;
}

int tx_snapshot_write(MPI_Comm comm, const char *dir, const tx_snapshot *s, char *path_out,
                      size_t path_len, tx_error *err)
{
    writer w = {.comm = comm, .file = -1, .dxpl = -1, .dcpl = -1, .err = err};
    MPI_Comm_rank(comm, &w.rank);
    char tmp[PATH_MAX], final[PATH_MAX], base[128];
    int st = TX_OK;
    const char *id = s->run->run_id;
    if (!id[0] || strchr(id, '/') || strlen(id) > 100 || !strcmp(id, ".") || !strcmp(id, ".."))
        st = tx_error_set(err, TX_EUSAGE, "snapshot: run id '%s' cannot be a file name", id);
    else if (snprintf(tmp, sizeof tmp, "%s/.snapshot-%s.h5.tmp", dir, id) >= (int)sizeof tmp ||
             snprintf(final, sizeof final, "%s/snapshot-%s.h5", dir, id) >= (int)sizeof final)
        st = tx_error_set(err, TX_EUSAGE, "snapshot dir %s: path too long", dir);
    snprintf(base, sizeof base, "snapshot-%s.h5", id);
    w.tmp = tmp;
    if (st == TX_OK && w.rank == 0 && tx_mkdir_p(dir) != 0)
        st = tx_error_set(err, TX_ERR, "snapshot dir %s: %s", dir, strerror(errno));
    if (tx_agree(comm, st, err) != TX_OK)
        return err ? err->status : TX_ERR;

    /* HDF5 prints its error stack on failure by default; our messages say what failed. */
    H5E_auto2_t old_func = NULL;
    void *old_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);

    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0 ||
        H5Pset_all_coll_metadata_ops(fapl, 1) < 0 || H5Pset_coll_metadata_write(fapl, 1) < 0)
        st = h5fail(&w, "file access properties", tmp);
    if ((w.dxpl = H5Pcreate(H5P_DATASET_XFER)) < 0 ||
        H5Pset_dxpl_mpio(w.dxpl, H5FD_MPIO_COLLECTIVE) < 0)
        st = h5fail(&w, "transfer properties", tmp);
    if ((w.dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 ||
        H5Pset_fill_time(w.dcpl, H5D_FILL_TIME_NEVER) < 0 ||
        H5Pset_alloc_time(w.dcpl, H5D_ALLOC_TIME_EARLY) < 0)
        st = h5fail(&w, "dataset properties", tmp);
    st = tx_agree(comm, st, err);
    if (st == TX_OK) {
        w.file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
        if (w.file < 0)
            st = tx_error_set(err, TX_ERR, "snapshot %s: cannot create the file", tmp);
        st = tx_agree(comm, st, err);
    }
    if (st == TX_OK)
        st = write_contents(&w, s);
    if (w.file >= 0) { /* collective: every rank that opened it closes it */
        int cst = H5Fclose(w.file) < 0 ? h5fail(&w, "H5Fclose", tmp) : TX_OK;
        st = tx_agree(comm, st != TX_OK ? st : cst, err);
    }
    if (w.dcpl >= 0)
        H5Pclose(w.dcpl);
    if (w.dxpl >= 0)
        H5Pclose(w.dxpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);

    const int staged = s->opts && s->opts->staged;
    if (w.rank == 0) {
        if (st == TX_OK && !staged)
            st = publish(dir, tmp, final, base, id, err);
        if (st != TX_OK)
            unlink(tmp);
    }
    st = tx_agree(comm, st, err);
    if (st == TX_OK && path_out && path_len) {
        if (snprintf(path_out, path_len, "%s", staged ? tmp : final) >= (int)path_len)
            path_out[0] = '\0';
    }
    return st;
}

/* The temporary and final paths of run_id's snapshot in dir, and the final's base name. */
static int staged_paths(const char *dir, const char *run_id, char tmp[PATH_MAX],
                        char final[PATH_MAX], char base[128], tx_error *err)
{
    if (!run_id[0] || strchr(run_id, '/') || strlen(run_id) > 100)
        return tx_error_set(err, TX_EUSAGE, "snapshot: run id '%s' cannot be a file name",
                            run_id);
    if (snprintf(tmp, PATH_MAX, "%s/.snapshot-%s.h5.tmp", dir, run_id) >= PATH_MAX ||
        snprintf(final, PATH_MAX, "%s/snapshot-%s.h5", dir, run_id) >= PATH_MAX)
        return tx_error_set(err, TX_EUSAGE, "snapshot dir %s: path too long", dir);
    snprintf(base, 128, "snapshot-%s.h5", run_id);
    return TX_OK;
}

int tx_snapshot_install(const char *dir, const char *run_id, char *path_out, size_t path_len,
                        tx_error *err)
{
    char tmp[PATH_MAX], final[PATH_MAX], base[128];
    int st = staged_paths(dir, run_id, tmp, final, base, err);
    if (st == TX_OK)
        st = publish(dir, tmp, final, base, run_id, err);
    if (st == TX_OK && path_out && path_len &&
        snprintf(path_out, path_len, "%s", final) >= (int)path_len)
        path_out[0] = '\0';
    return st;
}

void tx_snapshot_discard(const char *dir, const char *run_id)
{
    char tmp[PATH_MAX], final[PATH_MAX], base[128];
    if (staged_paths(dir, run_id, tmp, final, base, NULL) == TX_OK)
        unlink(tmp);
}
