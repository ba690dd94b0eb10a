/* load_rejects.c - the rejects file (docs/input.md): each rank writes the rejected records of its
 * share, in input order, to a part of its own; rank 0 joins the parts in rank order, so the
 * file is sorted by input position and the same for any rank count. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load_internal.h"
#include "txetl/fs.h"
#include "txetl/mpiutil.h"

static int write_csv_field(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
    return ferror(f) ? TX_ERR : TX_OK;
}

/* --rejects /dev/null discards the rejects: no parts, no join, and never a rename over the
 * device (which would replace /dev/null with a regular file). Any other existing path that is
 * not a regular file is refused: the join writes a temporary file beside it and renames it. */
static int rejects_target(const char *path, int *discard, tx_error *err)
{
    const int t = tx_fs_rename_target(path);
    *discard = t == 1;
    if (t >= 0)
        return TX_OK;
    return tx_error_set(err, TX_EUSAGE, "--rejects %s is not a regular file: give the path of "
                        "a file to write (or /dev/null to discard the rejects)", path);
}

static char *part_path(const tx_job *j, int rank)
{
    char *p = NULL;
    if (asprintf(&p, "%s.part%d.%s", j->o->rejects_path, rank, j->run_id) < 0)
        return NULL;
    return p;
}

int tx_rejects_part_open(const tx_job *j, tx_rejects_part *p, tx_error *err)
{
    p->f = NULL;
    p->path = NULL;
    int discard, rc = rejects_target(j->o->rejects_path, &discard, err);
    if (rc != TX_OK)
        return rc;
    if (discard) {
        if (!(p->f = fopen("/dev/null", "w")))
            return tx_error_set(err, TX_ERR, "/dev/null: cannot open: %m");
        return TX_OK;
    }
    if (!(p->path = part_path(j, j->rank)))
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    if (!(p->f = fopen(p->path, "w")))
        return tx_error_set(err, TX_ERR, "%s: cannot write rejects: %m", p->path);
    return TX_OK;
}

int tx_rejects_put(const tx_job *j, tx_rejects_part *p, const char *file, const tx_raw *raw,
                   tx_error *err)
{
    write_csv_field(p->f, file, strlen(file));
    fprintf(p->f, ",%" PRIu64 ",%" PRIu64 ",%s,", raw->line, raw->offset,
            tx_reject_name(raw->reject));
    write_csv_field(p->f, raw->bytes, raw->len < 4096 ? raw->len : 4096);
    if (fputc('\n', p->f) == EOF)
        return tx_error_set(err, TX_ERR, "%s: cannot write rejects: %m", j->o->rejects_path);
    return TX_OK;
}

int tx_rejects_part_close(tx_rejects_part *p, int rc, tx_error *err)
{
    if (p->f && fclose(p->f) != 0 && rc == TX_OK)
        rc = tx_error_set(err, TX_ERR, "%s: cannot write rejects: %m", p->path);
    p->f = NULL;
    free(p->path);
    p->path = NULL;
    return rc;
}

int tx_rejects_join(tx_job *j, tx_error *err)
{
    int discard, rc = rejects_target(j->o->rejects_path, &discard, err);
    if (rc == TX_OK && j->rank == 0 && !discard) {
        char *tmp = NULL;
        FILE *out = NULL;
        if (asprintf(&tmp, "%s.tmp.%s", j->o->rejects_path, j->run_id) < 0 ||
            !(out = fopen(tmp, "w")))
            rc = tx_error_set(err, TX_ERR, "%s: cannot write rejects: %m", j->o->rejects_path);
        if (out)
            fputs("file,line,offset,reason,record\n", out);
        char buf[1 << 16];
        for (int r = 0; r < j->nranks; r++) {
            char *pp = part_path(j, r);
            FILE *in = pp ? fopen(pp, "r") : NULL;
            size_t n;
            while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
                if (fwrite(buf, 1, n, out) != n)
                    rc = tx_error_set(err, TX_ERR, "%s: write error: %m", tmp);
            if (in)
                fclose(in);
            else if (rc == TX_OK)
                rc = tx_error_set(err, TX_ERR, "%s: rejects part missing: %m", pp ? pp : "?");
            if (pp)
                unlink(pp);
            free(pp);
        }
        if (out && fclose(out) != 0 && rc == TX_OK)
            rc = tx_error_set(err, TX_ERR, "%s: write error: %m", tmp);
        if (rc == TX_OK && rename(tmp, j->o->rejects_path) != 0)
            rc = tx_error_set(err, TX_ERR, "%s: cannot rename into place: %m", j->o->rejects_path);
        free(tmp);
    }
    return tx_agree(j->comm, rc, err);
}
