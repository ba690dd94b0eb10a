/* spill.c - the version sorter (see spill.h). */
#include "spill.h"

#include <stdlib.h>
#include <string.h>

/* ---- the version sorter ----------------------------------------------------------------- */

typedef struct entry {
    int32_t shard;
    int32_t pad;
    tx_record rec;
} entry;

/* What the in-memory sort orders: compact keys pointing at their entries, so the 170-byte
 * entries never move until they are written or handed out in order. */
typedef struct key {
    uint64_t id;
    int64_t lu;
    uint64_t off;
    uint32_t file;
    int32_t shard;
    uint32_t idx;
    uint32_t pad;
} key;

#define RUN_BUF 2048 /* entries buffered per run while merging */

typedef struct run {
    FILE *f;         /* NULL for the in-memory last run */
    entry *buf;
    size_t n, pos;   /* entries in buf, next to hand out */
    const entry *mem;  /* the in-memory run: entries, visited in key order */
    const key *order;
    size_t mem_n, mem_pos;
} run;

struct tx_sorter {
    entry *e;
    key *k;
    size_t n, cap;
    run *runs;
    int nruns;
    uint64_t count;
    int finished;
};

static int cmp_entry(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    if (a->shard != b->shard)
        return a->shard < b->shard ? -1 : 1;
    if (a->rec.transaction_id != b->rec.transaction_id)
        return a->rec.transaction_id < b->rec.transaction_id ? -1 : 1;
    if (a->rec.last_updated_us != b->rec.last_updated_us)
        return a->rec.last_updated_us > b->rec.last_updated_us ? -1 : 1;
    if (a->rec.file_index != b->rec.file_index)
        return a->rec.file_index > b->rec.file_index ? -1 : 1;
    if (a->rec.offset != b->rec.offset)
        return a->rec.offset > b->rec.offset ? -1 : 1;
    return 0;
}

/* The same order as cmp_entry, on keys. */
static int cmp_key(const void *pa, const void *pb)
{
    const key *a = pa, *b = pb;
    if (a->shard != b->shard)
        return a->shard < b->shard ? -1 : 1;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    if (a->lu != b->lu)
        return a->lu > b->lu ? -1 : 1;
    if (a->file != b->file)
        return a->file > b->file ? -1 : 1;
    if (a->off != b->off)
        return a->off > b->off ? -1 : 1;
    return 0;
}

int tx_sorter_new(size_t max_records, tx_sorter **out, tx_error *err)
{
    tx_sorter *s = calloc(1, sizeof *s);
    if (!s)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    s->cap = max_records < 1024 ? 1024 : max_records;
    *out = s;
    return TX_OK;
}

void tx_sorter_free(tx_sorter **sp)
{
    tx_sorter *s = *sp;
    if (!s)
        return;
    for (int i = 0; i < s->nruns; i++) {
        if (s->runs[i].f)
            fclose(s->runs[i].f);
        free(s->runs[i].buf);
    }
    free(s->runs);
    free(s->e);
    free(s->k);
    free(s);
    *sp = NULL;
}

static int add_run(tx_sorter *s, tx_error *err)
{
    run *nr = realloc(s->runs, ((size_t)s->nruns + 1) * sizeof *nr);
    if (!nr)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    s->runs = nr;
    memset(&s->runs[s->nruns], 0, sizeof *s->runs);
    s->nruns++;
    return TX_OK;
}

/* Sorts the entries in memory (by their keys) and writes them in order as a run to a
 * temporary file. */
static int spill_run(tx_sorter *s, tx_error *err)
{
    qsort(s->k, s->n, sizeof *s->k, cmp_key);
    if (add_run(s, err) != TX_OK)
        return TX_ENOMEM;
    run *r = &s->runs[s->nruns - 1];
    if (!(r->f = tmpfile()))
        return tx_error_set(err, TX_ERR, "cannot create a temporary file (TMPDIR): %m");
    for (size_t i = 0; i < s->n; i++)
        if (fwrite(&s->e[s->k[i].idx], sizeof *s->e, 1, r->f) != 1)
            return tx_error_set(err, TX_ERR, "cannot write a temporary file (TMPDIR): %m");
    if (fflush(r->f) != 0 || fseek(r->f, 0, SEEK_SET) != 0)
        return tx_error_set(err, TX_ERR, "cannot write a temporary file (TMPDIR): %m");
    s->n = 0;
    return TX_OK;
}

int tx_sorter_add(tx_sorter *s, int shard, const tx_record *r, tx_error *err)
{
    if (!s->e) {
        s->e = malloc(s->cap * sizeof *s->e);
        s->k = malloc(s->cap * sizeof *s->k);
        if (!s->e || !s->k)
            return tx_error_set(err, TX_ENOMEM, "out of memory");
    }
    if (s->n == s->cap) {
        int rc = spill_run(s, err);
        if (rc != TX_OK)
            return rc;
    }
    size_t i = s->n++;
    entry *e = &s->e[i];
    e->shard = shard;
    e->pad = 0;
    e->rec = *r;
    s->k[i] = (key){r->transaction_id, r->last_updated_us, r->offset, r->file_index, shard,
                    (uint32_t)i, 0};
    s->count++;
    return TX_OK;
}

uint64_t tx_sorter_count(const tx_sorter *s)
{
    return s->count;
}

int tx_sorter_finish(tx_sorter *s, tx_error *err)
{
    s->finished = 1;
    if (s->n) {
        qsort(s->k, s->n, sizeof *s->k, cmp_key);
        if (add_run(s, err) != TX_OK)
            return TX_ENOMEM;
        run *r = &s->runs[s->nruns - 1];
        r->mem = s->e;
        r->order = s->k;
        r->mem_n = s->n;
    }
    for (int i = 0; i < s->nruns; i++)
        if (s->runs[i].f && !(s->runs[i].buf = malloc(RUN_BUF * sizeof(entry))))
            return tx_error_set(err, TX_ENOMEM, "out of memory");
    return TX_OK;
}

/* The head entry of run r, or NULL when it is exhausted. */
static const entry *head(run *r, tx_error *err)
{
    if (!r->f)
        return r->mem_pos < r->mem_n ? &r->mem[r->order[r->mem_pos].idx] : NULL;
    if (r->pos == r->n) {
        r->n = fread(r->buf, sizeof(entry), RUN_BUF, r->f);
        r->pos = 0;
        if (r->n == 0) {
            if (ferror(r->f))
                tx_error_set(err, TX_ERR, "cannot read a temporary file: %m");
            return NULL;
        }
    }
    return &r->buf[r->pos];
}
static int pick(tx_sorter *s, const entry **best_out, run **from, tx_error *err)
{
    const entry *best = NULL;
    run *bestr = NULL;
    for (int i = 0; i < s->nruns; i++) {
        const entry *h = head(&s->runs[i], err);
        if (err->status != TX_OK)
            return err->status;
        if (h && (!best || cmp_entry(h, best) < 0)) {
            best = h;
            bestr = &s->runs[i];
        }
    }
    *best_out = best;
    *from = bestr;
    return TX_OK;
}

int tx_sorter_peek(tx_sorter *s, int *shard, const tx_record **r, tx_error *err)
{
    const entry *e;
    run *from;
    int rc = pick(s, &e, &from, err);
    if (rc != TX_OK)
        return rc;
    if (!e)
        return 0;
    *shard = e->shard;
    *r = &e->rec;
    return 1;
}

int tx_sorter_next(tx_sorter *s, int *shard, tx_record *r, tx_error *err)
{
    const entry *e;
    run *from;
    int rc = pick(s, &e, &from, err);
    if (rc != TX_OK)
        return rc;
    if (!e)
        return 0;
    *shard = e->shard;
    *r = e->rec;
    if (from->f)
        from->pos++;
    else
        from->mem_pos++;
    return 1;
}
