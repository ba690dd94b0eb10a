/* spill.c - the version sorter (see spill.h). */
#include "spill.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "txetl/versions.h"

/* ---- packed versions (spill.h) ------------------------------------------------------------- */

#define FIXED_PART offsetof(tx_record, category)
#define ENTRY_MAX ((sizeof(tx_packed_head) + sizeof(tx_record) + 7) & ~(size_t)7)
#define ENTRY_MIN ((sizeof(tx_packed_head) + FIXED_PART + 7) & ~(size_t)7)

size_t tx_packed_size(const tx_record *r)
{
    return (sizeof(tx_packed_head) + FIXED_PART + r->category_len + r->payment_len + 7) &
           ~(size_t)7;
}

size_t tx_pack(char *dst, int shard, int tag, const tx_record *r)
{
    size_t size = tx_packed_size(r);
    tx_packed_head h = {shard, (uint16_t)size, (uint8_t)tag, 0};
    memcpy(dst, &h, sizeof h);
    char *o = dst + sizeof h;
    memcpy(o, r, FIXED_PART);
    o += FIXED_PART;
    memcpy(o, r->category, r->category_len);
    o += r->category_len;
    memcpy(o, r->payment, r->payment_len);
    o += r->payment_len;
    memset(o, 0, (size_t)(dst + size - o));
    return size;
}

size_t tx_packed_entry(const char *p, size_t avail)
{
    tx_packed_head h;
    if (avail < sizeof h)
        return 0;
    memcpy(&h, p, sizeof h);
    size_t size = h.size;
    if (size > avail || size < ENTRY_MIN || size > ENTRY_MAX || size % 8)
        return 0;
    return size;
}

void tx_unpack(const char *src, int *shard, int *tag, tx_record *r)
{
    tx_packed_head h;
    memcpy(&h, src, sizeof h);
    *shard = h.shard;
    if (tag)
        *tag = h.tag;
    const char *p = src + sizeof h;
    memcpy(r, p, FIXED_PART);
    p += FIXED_PART;
    memcpy(r->category, p, r->category_len);
    memset(r->category + r->category_len, 0, sizeof r->category - r->category_len);
    p += r->category_len;
    memcpy(r->payment, p, r->payment_len);
    memset(r->payment + r->payment_len, 0, sizeof r->payment - r->payment_len);
}

static uint32_t entry_size(const char *e)
{
    tx_packed_head h;
    memcpy(&h, e, sizeof h);
    return h.size;
}

/* ---- the version sorter ----------------------------------------------------------------- */

/* What the in-memory sort orders: compact keys pointing at their packed entries (offset / 8 in
 * the arena), so entries never move until they are written or handed out in order. */
typedef struct key {
    uint64_t id;
    int64_t lu;
    uint64_t off;
    uint32_t file;
    int32_t shard;
    uint32_t pos8;
    uint32_t pad;
} key;

/* Arena bytes per version the sorter may hold: entries average ~90 bytes, so a full key array
 * usually fits; long texts spill earlier. */
#define ARENA_PER_RECORD 104
#define RUN_BYTES ((size_t)256 << 10) /* bytes buffered per spilled run while merging */
#define PREFETCH_AHEAD 16                /* in-memory run: entries prefetched ahead */

typedef struct run {
    FILE *f;           /* NULL for the in-memory last run */
    char *buf;         /* spilled run: bytes read, [pos, have) not yet handed out */
    size_t have, pos;
    const char *arena; /* the in-memory run: entries, visited in key order */
    const key *order;
    size_t mem_n, mem_pos;
    int loaded;        /* head_* hold the run's next version */
    int ended;
    int head_shard;
    tx_record head;
} run;

struct tx_sorter {
    char *arena;
    size_t used, arena_cap;
    key *k;
    size_t n, cap;
    run *runs;
    int nruns;
    uint64_t count;
    int finished;
};

/* (shard, transaction_id) ascending: the order of the runs' versions before tx_versions_order. */
static inline int cmp_shard_id(int32_t sa, uint64_t ida, int32_t sb, uint64_t idb)
{
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (ida != idb)
        return ida < idb ? -1 : 1;
    return 0;
}

static int cmp_version(int sa, const tx_record *a, int sb, const tx_record *b)
{
    const int c = cmp_shard_id(sa, a->transaction_id, sb, b->transaction_id);
    return c ? c
             : tx_versions_order(a->last_updated_us, a->file_index, a->offset, b->last_updated_us,
                                 b->file_index, b->offset);
}

/* The same order as cmp_version, on keys. */
static int cmp_key(const void *pa, const void *pb)
{
    const key *a = pa, *b = pb;
    const int c = cmp_shard_id(a->shard, a->id, b->shard, b->id);
    return c ? c : tx_versions_order(a->lu, a->file, a->off, b->lu, b->file, b->off);
}

/* One stable counting pass of an LSD radix sort: src -> dst by the byte that `digit` picks. */
#define RADIX_PASS(digit)                                                                          \
    do {                                                                                           \
        size_t cnt[256] = {0};                                                                     \
        for (size_t i = 0; i < n; i++)                                                             \
            cnt[(digit(src[i]))]++;                                                                \
        size_t sum = 0;                                                                            \
        for (int b = 0; b < 256; b++) {                                                            \
            size_t c = cnt[b];                                                                     \
            cnt[b] = sum;                                                                          \
            sum += c;                                                                              \
        }                                                                                          \
        for (size_t i = 0; i < n; i++)                                                             \
            dst[cnt[(digit(src[i]))]++] = src[i];                                                  \
        key *t = src;                                                                              \
        src = dst;                                                                                 \
        dst = t;                                                                                   \
    } while (0)
#define ID_BYTE(kk) ((unsigned)((kk).id >> shift) & 0xffu)
#define SHARD_BYTE(kk) ((unsigned)((uint32_t)(kk).shard >> shift) & 0xffu)

/* Sorts keys in cmp_key order: a stable LSD radix sort on (shard, id), passing only over the
 * bytes that differ between keys, then each run of equal (shard, id) - the versions of one
 * transaction, usually one - by the rest of the key. Falls back to qsort without memory. */
static void sort_keys(key *k, size_t n)
{
    key *tmp = n >= 256 ? malloc(n * sizeof *k) : NULL;
    if (!tmp) {
        qsort(k, n, sizeof *k, cmp_key);
        return;
    }
    uint64_t id_or = 0, id_and = ~UINT64_C(0);
    uint32_t sh_or = 0, sh_and = ~UINT32_C(0);
    for (size_t i = 0; i < n; i++) {
        id_or |= k[i].id;
        id_and &= k[i].id;
        sh_or |= (uint32_t)k[i].shard;
        sh_and &= (uint32_t)k[i].shard;
    }
    const uint64_t id_var = id_or ^ id_and;
    const uint32_t sh_var = sh_or ^ sh_and;
    key *src = k, *dst = tmp;
    for (unsigned shift = 0; shift < 64; shift += 8)
        if ((id_var >> shift) & 0xffu)
            RADIX_PASS(ID_BYTE);
    for (unsigned shift = 0; shift < 32; shift += 8)
        if ((sh_var >> shift) & 0xffu)
            RADIX_PASS(SHARD_BYTE);
    if (src != k)
        memcpy(k, src, n * sizeof *k);
    free(tmp);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && k[j].id == k[i].id && k[j].shard == k[i].shard)
            j++;
        if (j - i > 1)
            qsort(k + i, j - i, sizeof *k, cmp_key);
        i = j;
    }
}
#undef ID_BYTE
#undef SHARD_BYTE
#undef RADIX_PASS

/* The big arrays: 2 MiB aligned and marked for transparent huge pages, so filling them costs a
 * page fault per 2 MiB instead of per 4 KiB and the key-order reads miss the TLB less. */
#define HUGE_ALIGN ((size_t)2 << 20)
static void *huge_alloc(size_t bytes)
{
    void *p = NULL;
    bytes = (bytes + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1);
    if (posix_memalign(&p, HUGE_ALIGN, bytes) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE); /* advice only: without THP it stays 4 KiB pages */
#endif
    return p;
}


int tx_sorter_new(size_t max_records, tx_sorter **out, tx_error *err)
{
    tx_sorter *s = calloc(1, sizeof *s);
    if (!s)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    s->cap = max_records < 1024 ? 1024 : max_records;
    if (s->cap > (size_t)UINT32_MAX * 8 / ARENA_PER_RECORD) /* keys address the arena in 8s */
        s->cap = (size_t)UINT32_MAX * 8 / ARENA_PER_RECORD;
    s->arena_cap = s->cap * ARENA_PER_RECORD;
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
    free(s->arena);
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
    sort_keys(s->k, s->n);
    if (add_run(s, err) != TX_OK)
        return TX_ENOMEM;
    run *r = &s->runs[s->nruns - 1];
    if (!(r->f = tmpfile()))
        return tx_error_set(err, TX_ERR, "cannot create a temporary file (TMPDIR): %m");
    for (size_t i = 0; i < s->n; i++) {
        const char *e = s->arena + (size_t)s->k[i].pos8 * 8;
        if (fwrite(e, entry_size(e), 1, r->f) != 1)
            return tx_error_set(err, TX_ERR, "cannot write a temporary file (TMPDIR): %m");
    }
    if (fflush(r->f) != 0 || fseek(r->f, 0, SEEK_SET) != 0)
        return tx_error_set(err, TX_ERR, "cannot write a temporary file (TMPDIR): %m");
    s->n = 0;
    s->used = 0;
    return TX_OK;
}

/* Room for an entry of `size` bytes: allocates on first use, spills a full sorter. */
static int make_room(tx_sorter *s, size_t size, tx_error *err)
{
    if (!s->arena) {
        s->arena = huge_alloc(s->arena_cap);
        s->k = huge_alloc(s->cap * sizeof *s->k);
        if (!s->arena || !s->k)
            return tx_error_set(err, TX_ENOMEM, "out of memory");
    }
    if (s->n == s->cap || s->used + size > s->arena_cap)
        return spill_run(s, err);
    return TX_OK;
}

/* Keys the entry just placed at s->used. */
static void add_key(tx_sorter *s, size_t size)
{
    const char *e = s->arena + s->used, *f = e + sizeof(tx_packed_head);
    key k = {0};
    tx_packed_head h;
    memcpy(&h, e, sizeof h);
    memcpy(&k.id, f + offsetof(tx_record, transaction_id), sizeof k.id);
    memcpy(&k.lu, f + offsetof(tx_record, last_updated_us), sizeof k.lu);
    memcpy(&k.off, f + offsetof(tx_record, offset), sizeof k.off);
    memcpy(&k.file, f + offsetof(tx_record, file_index), sizeof k.file);
    k.shard = h.shard;
    k.pos8 = (uint32_t)(s->used / 8);
    s->k[s->n++] = k;
    s->used += size;
    s->count++;
}

int tx_sorter_add(tx_sorter *s, int shard, const tx_record *r, tx_error *err)
{
    int rc = make_room(s, tx_packed_size(r), err);
    if (rc != TX_OK)
        return rc;
    add_key(s, tx_pack(s->arena + s->used, shard, 0, r));
    return TX_OK;
}

int tx_sorter_add_packed(tx_sorter *s, const char *entry, tx_error *err)
{
    size_t size = entry_size(entry);
    int rc = make_room(s, size, err);
    if (rc != TX_OK)
        return rc;
    memcpy(s->arena + s->used, entry, size);
    add_key(s, size);
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
        sort_keys(s->k, s->n);
        if (add_run(s, err) != TX_OK)
            return TX_ENOMEM;
        run *r = &s->runs[s->nruns - 1];
        r->arena = s->arena;
        r->order = s->k;
        r->mem_n = s->n;
    }
    for (int i = 0; i < s->nruns; i++)
        if (s->runs[i].f && !(s->runs[i].buf = malloc(RUN_BYTES)))
            return tx_error_set(err, TX_ENOMEM, "out of memory");
    return TX_OK;
}

/* Loads run r's next version into its head (r->ended at its end). */
static int load_head(run *r, tx_error *err)
{
    if (r->loaded || r->ended)
        return TX_OK;
    if (!r->f) {
        if (r->mem_pos == r->mem_n) {
            r->ended = 1;
            return TX_OK;
        }
        /* key order jumps around the arena: fetch a few entries ahead of the one we take */
        if (r->mem_pos + PREFETCH_AHEAD < r->mem_n) {
            const char *ahead = r->arena + (size_t)r->order[r->mem_pos + PREFETCH_AHEAD].pos8 * 8;
            __builtin_prefetch(ahead);
            __builtin_prefetch(ahead + 64);
        }
        tx_unpack(r->arena + (size_t)r->order[r->mem_pos++].pos8 * 8, &r->head_shard, NULL,
                  &r->head);
        r->loaded = 1;
        return TX_OK;
    }
    /* a whole entry in [pos, have): refill when not */
    size_t avail = r->have - r->pos;
    if (avail < sizeof(tx_packed_head) || avail < entry_size(r->buf + r->pos)) {
        memmove(r->buf, r->buf + r->pos, avail);
        r->have = avail + fread(r->buf + avail, 1, RUN_BYTES - avail, r->f);
        r->pos = 0;
        if (ferror(r->f))
            return tx_error_set(err, TX_ERR, "cannot read a temporary file: %m");
        if (r->have == 0) {
            r->ended = 1;
            return TX_OK;
        }
        avail = r->have;
    }
    if (tx_packed_entry(r->buf + r->pos, avail) == 0)
        return tx_error_set(err, TX_ERR, "a temporary file of the sorter is truncated or "
                                         "damaged (TMPDIR)");
    const char *e = r->buf + r->pos;
    r->pos += entry_size(e);
    tx_unpack(e, &r->head_shard, NULL, &r->head);
    r->loaded = 1;
    return TX_OK;
}

static int pick(tx_sorter *s, run **from, tx_error *err)
{
    run *best = NULL;
    for (int i = 0; i < s->nruns; i++) {
        run *r = &s->runs[i];
        int rc = load_head(r, err);
        if (rc != TX_OK)
            return rc;
        if (r->loaded &&
            (!best || cmp_version(r->head_shard, &r->head, best->head_shard, &best->head) < 0))
            best = r;
    }
    *from = best;
    return TX_OK;
}

/* The run whose head is next in *from and that head's shard: 1, or 0 when none is left. */
static int pick_head(tx_sorter *s, run **from, int *shard, tx_error *err)
{
    int rc = pick(s, from, err);
    if (rc != TX_OK)
        return rc;
    if (!*from)
        return 0;
    *shard = (*from)->head_shard;
    return 1;
}

int tx_sorter_peek(tx_sorter *s, int *shard, const tx_record **r, tx_error *err)
{
    run *from;
    const int got = pick_head(s, &from, shard, err);
    if (got == 1)
        *r = &from->head;
    return got;
}

int tx_sorter_next(tx_sorter *s, int *shard, tx_record *r, tx_error *err)
{
    run *from;
    const int got = pick_head(s, &from, shard, err);
    if (got == 1) {
        *r = from->head;
        from->loaded = 0;
    }
    return got;
}
