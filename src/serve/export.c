/* export.c - tx_export_write: the snapshot's customer and revenue tables as CSV files. Each
 * table is read through snapread.h (its snapshot.h column table, a chunk of rows at a time)
 * and every value is formatted by its column's type and kind, so a new dataset in a column
 * table shows up in the export by itself. */
#include "txetl/export.h"
#include "txetl/fs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "txetl/snapread.h"
#include "txetl/snapshot.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The export: the customers, then every revenue table snapshot.h describes: in the reporting
 * currency, then per original currency (docs/snapshot.md /revenue/by_currency/...), then the
 * cohort table. A file's name follows from its group. Column kinds (days, months, cents, the
 * segment) come from snapread.h. An optional table is one a snapshot of an older txetl may
 * lack (/cohorts came after format_version 2): its file is then not written. */
static const struct {
    const tx_snapshot_table *t;
    int optional;
} tables[] = {
    {&tx_snapshot_customers_table, 0},   {&tx_snapshot_daily_table, 0},
    {&tx_snapshot_monthly_table, 0},     {&tx_snapshot_cur_daily_table, 0},
    {&tx_snapshot_cur_monthly_table, 0}, {&tx_snapshot_cohorts_table, 1},
};
_Static_assert(NELEMS(tables) <= TX_EXPORT_MAX_FILES, "tx_export_result too small");

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

/* The header: each column's dataset name, cents ones without the "_cents" suffix. */
static void put_header(FILE *f, const tx_snapread_table *in)
{
    const tx_snapshot_table *t = tx_snapread_table_def(in);
    for (size_t i = 0; i < t->ncols; i++) {
        const char *name = t->cols[i].name;
        size_t len = strlen(name);
        char buf[256];
        if (tx_snapread_table_kind(in, i) == TX_SNAPREAD_CENTS && len > 6 &&
            strcmp(name + len - 6, "_cents") == 0 && len - 6 < sizeof buf) {
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

/* Writes the whole table as CSV to f (named tmp in messages). NaN is an empty field. */
static int table_write(tx_snapread_table *in, FILE *f, const char *tmp, tx_error *err)
{
    int rc = TX_OK;
    const size_t ncols = tx_snapread_table_def(in)->ncols;
    const uint64_t rows = tx_snapread_table_rows(in);
    put_header(f, in);
    for (uint64_t start = 0; start < rows && rc == TX_OK; start += TX_SNAPREAD_CHUNK) {
        size_t n = rows - start < TX_SNAPREAD_CHUNK ? (size_t)(rows - start) : TX_SNAPREAD_CHUNK;
        rc = tx_snapread_table_read(in, start, n, err);
        for (size_t r = 0; r < n && rc == TX_OK; r++) {
            for (size_t i = 0; i < ncols && rc == TX_OK; i++) {
                char buf[64];
                const char *text;
                size_t len;
                if (i > 0)
                    putc(',', f);
                int st = tx_snapread_text(in, i, r, start + r, 0, buf, &text, &len, err);
                if (st < 0)
                    rc = st;
                else if (tx_snapread_table_kind(in, i) == TX_SNAPREAD_SEGMENT)
                    put_text(f, text);
                else
                    fwrite(text, 1, len, f);
            }
            fputs("\r\n", f);
        }
        if (rc == TX_OK && ferror(f))
            rc = tx_error_set(err, TX_ERR, "%s: write failed: %s", tmp, strerror(errno));
    }
    return rc;
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

/* Writes table t to the temporary file tmp; *rows receives its row count. */
static int export_table_tmp(tx_snapread *rd, const tx_snapshot_table *t, const char *tmp,
                            uint64_t *rows, tx_error *err)
{
    tx_snapread_table *in = NULL;
    FILE *f = NULL;
    *rows = 0;
    int rc = tx_snapread_table_open(rd, t, &in, err);
    if (rc == TX_OK && (f = fopen(tmp, "w")) == NULL)
        rc = tx_error_set(err, TX_ERR, "%s: cannot create: %s", tmp, strerror(errno));
    if (rc == TX_OK) {
        setvbuf(f, NULL, _IOFBF, 1 << 16);
        *rows = tx_snapread_table_rows(in);
        rc = table_write(in, f, tmp, err);
    }
    if (f != NULL && fclose(f) != 0 && rc == TX_OK)
        rc = tx_error_set(err, TX_ERR, "%s: write failed: %s", tmp, strerror(errno));
    tx_snapread_table_close(&in);
    return rc;
}

int tx_export_write(const char *snapshot_path, const char *out_dir, tx_export_result *res,
                    tx_error *err)
{
    if (snapshot_path == NULL || *snapshot_path == '\0')
        return tx_error_set(err, TX_EUSAGE, "export: no snapshot file given");
    if (out_dir == NULL || *out_dir == '\0')
        return tx_error_set(err, TX_EUSAGE, "export: no output directory given (--out DIR)");

    enum { NT = NELEMS(tables) };
    tx_export_result local;
    tx_export_result *out = res != NULL ? res : &local;
    char tmp[NT][4096 + 32];
    size_t ntmp = 0;
    tx_snapread *rd = NULL;
    memset(out, 0, sizeof *out);
    int rc = tx_snapread_open(snapshot_path, &rd, err);
    if (rc == TX_OK && tx_mkdir_p(out_dir) != 0)
        rc = tx_error_set(err, TX_ERR, "%s: cannot create output directory: %s", out_dir,
                          strerror(errno));
    char stale[NT][4096]; /* files of skipped tables: an older export's copy is removed */
    size_t nstale = 0;
    for (size_t k = 0; k < NT && rc == TX_OK; k++) {
        tx_export_file *ef = &out->files[ntmp];
        const tx_snapshot_table *t = tables[k].t;
        if (file_name(out_dir, t->group, ef->path, sizeof ef->path) != 0) {
            rc = tx_error_set(err, TX_EUSAGE, "%s: output directory name too long", out_dir);
            break;
        }
        if (tables[k].optional && !tx_snapread_has_table(rd, t)) {
            snprintf(stale[nstale++], sizeof stale[0], "%s", ef->path);
            size_t used = strlen(out->note);
            snprintf(out->note + used, sizeof out->note - used,
                     "%s%s has no %s (written by a txetl before that table existed): %s not "
                     "written", used ? "; " : "", snapshot_path, t->group,
                     strrchr(ef->path, '/') + 1);
            ef->path[0] = '\0';
            continue;
        }
        snprintf(tmp[ntmp], sizeof tmp[ntmp], "%s.tmp.%ld", ef->path, (long)getpid());
        ntmp++;
        rc = export_table_tmp(rd, t, tmp[ntmp - 1], &ef->rows, err);
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
    /* DIR holds one snapshot's files: a skipped table's file from an older export goes */
    for (size_t k = 0; k < nstale && rc == TX_OK; k++)
        if (unlink(stale[k]) == 0) {
            size_t used = strlen(out->note);
            snprintf(out->note + used, sizeof out->note - used, " (the older %s removed)",
                     stale[k]);
        } else if (errno != ENOENT) {
            rc = tx_error_set(err, TX_ERR, "%s: cannot remove the file of an older export: %s",
                              stale[k], strerror(errno));
        }
    int crc = tx_snapread_close(&rd, err);
    if (rc == TX_OK)
        rc = crc;
    out->nfiles = rc == TX_OK ? ntmp : 0;
    return rc;
}
