/* extract.c - input files, the exact parallel split, and the record cursor (see extract.h). */
#include "txetl/extract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "txetl/mpiutil.h"

#define READ_CHUNK (8u << 20)     /* bytes read per pread */
#define HEADER_MAX (1u << 20)     /* a header line longer than this fails the file */
#define RAW_KEEP 4096             /* bytes of an over-long record kept for the rejects file */

struct infile {
    char *path;
    int fd;
    uint64_t size;
    uint64_t data_start;   /* first byte after the header line */
    uint64_t data_line;    /* line number of data_start */
    tx_header hdr;
    /* this rank's piece [a, b) of the file, and the counts before a */
    uint64_t a, b;
    uint64_t quotes_before, lines_before;
};

struct tx_input {
    int n;
    struct infile *f;
    uint64_t total;
    uint64_t share;
};

struct tx_cursor {
    tx_input *in;
    int file;          /* current file index */
    int started;       /* the current piece's first record start is found */
    uint64_t pos;      /* next record start (file offset) */
    uint64_t line;     /* its line number */
    uint64_t done;     /* share bytes consumed in finished pieces */
    char *buf;         /* window of the current file: [buf_off, buf_off + buf_len) */
    size_t cap, buf_len;
    uint64_t buf_off;
    tx_record_parser *parser; /* libcsv, one per cursor: its buffers serve every record */
    char raw[RAW_KEEP];
    /* The stream (record.h): records of the window parsed a piece at a time, handed out
     * from the batch rows[bhead..bn) (recs: their binary form). `slow`: the record at
     * slow_pos (line slow_line) takes the per-record pass next. */
    int slow;
    uint64_t slow_pos, slow_line;
    size_t bhead, bn;
    tx_row rows[TX_STREAM_ROWS];
    tx_record recs[TX_STREAM_ROWS];
};

void tx_split_range(int rank, int nranks, uint64_t total, uint64_t *start, uint64_t *count)
{
    uint64_t base = total / (uint64_t)nranks, rem = total % (uint64_t)nranks;
    uint64_t r = (uint64_t)rank;
    *start = r * base + (r < rem ? r : rem);
    *count = base + (r < rem ? 1 : 0);
}

static int read_full(int fd, char *buf, size_t len, uint64_t off, size_t *got)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    *got = done;
    return 0;
}

/* Reads the header line of f (quoted newlines allowed), fills data_start/data_line/hdr. */
static int read_header(struct infile *f, tx_error *err)
{
    size_t want = f->size < HEADER_MAX ? (size_t)f->size : HEADER_MAX;
    char *buf = malloc(want + 1);
    if (!buf)
        return tx_error_set(err, TX_ENOMEM, "out of memory reading the header of %s", f->path);
    size_t got = 0;
    int rc = TX_OK;
    if (read_full(f->fd, buf, want, 0, &got) != 0) {
        rc = tx_error_set(err, TX_EUSAGE, "%s: cannot read: %s", f->path, strerror(errno));
        goto out;
    }
    size_t start = 0;
    if (got >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB &&
        (unsigned char)buf[2] == 0xBF)
        start = 3;
    if (got == start) { /* empty file (or a lone BOM): zero records */
        f->data_start = f->size;
        f->data_line = 1;
        memset(&f->hdr, 0, sizeof f->hdr);
        for (int c = 0; c < TX_NCOLS; c++)
            f->hdr.col_of[c] = -1;
        goto out;
    }
    int inq = 0;
    uint64_t lines = 0;
    size_t end = got;
    int found = 0;
    for (size_t i = start; i < got; i++) {
        if (buf[i] == '"')
            inq ^= 1;
        else if (buf[i] == '\n') {
            if (!inq) {
                end = i;
                found = 1;
                break;
            }
            lines++;
        }
    }
    if (!found && got < f->size) {
        rc = tx_error_set(err, TX_EUSAGE, "%s:1: header line longer than %u bytes", f->path,
                          HEADER_MAX);
        goto out;
    }
    if (!found && inq) {
        rc = tx_error_set(err, TX_EUSAGE, "%s:1: header has an unterminated quote", f->path);
        goto out;
    }
    f->data_start = found ? end + 1 : f->size;
    f->data_line = 2 + lines;
    size_t hlen = end - start;
    if (hlen > 0 && buf[start + hlen - 1] == '\r')
        hlen--;
    rc = tx_header_parse(buf + start, hlen, f->path, &f->hdr, err);
out:
    free(buf);
    return rc;
}

static int open_file(struct infile *f, const char *path, tx_error *err)
{
    f->fd = -1;
    f->path = strdup(path);
    if (!f->path)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (f->fd < 0)
        return tx_error_set(err, TX_EUSAGE, "%s: cannot open input: %s", path, strerror(errno));
    struct stat st;
    if (fstat(f->fd, &st) != 0)
        return tx_error_set(err, TX_EUSAGE, "%s: cannot stat input: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return tx_error_set(err, TX_EUSAGE, "%s: input is not a regular file", path);
    f->size = (uint64_t)st.st_size;
    return read_header(f, err);
}

/* Counts '"' and '\n' in [a, b) of f. */
static int count_piece(struct infile *f, uint64_t *quotes, uint64_t *lines, tx_error *err)
{
    char *buf = malloc(READ_CHUNK);
    if (!buf)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    uint64_t q = 0, l = 0;
    for (uint64_t off = f->a; off < f->b;) {
        size_t want = (size_t)((f->b - off) < READ_CHUNK ? (f->b - off) : READ_CHUNK), got = 0;
        if (read_full(f->fd, buf, want, off, &got) != 0 || got != want) {
            free(buf);
            return tx_error_set(err, TX_ERR, "%s: read error at byte %llu: %s", f->path,
                                (unsigned long long)off, got != want ? "file shrank" : strerror(errno));
        }
        for (size_t i = 0; i < got; i++) {
            q += buf[i] == '"';
            l += buf[i] == '\n';
        }
        off += got;
    }
    free(buf);
    *quotes = q;
    *lines = l;
    return TX_OK;
}

int tx_input_open(MPI_Comm comm, char *const *paths, int npaths, tx_input **out, tx_error *err)
{
    int rank, nranks, rc = TX_OK;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    *out = NULL;
    tx_input *in = calloc(1, sizeof *in);
    uint64_t *counts = NULL, *before = NULL;
    if (!in || !(in->f = calloc((size_t)(npaths ? npaths : 1), sizeof *in->f))) {
        rc = tx_error_set(err, TX_ENOMEM, "out of memory");
        goto agree;
    }
    in->n = npaths;
    for (int i = 0; i < npaths; i++)
        in->f[i].fd = -1;
    for (int i = 0; i < npaths && rc == TX_OK; i++)
        rc = open_file(&in->f[i], paths[i], err);
    if (rc != TX_OK)
        goto agree;

    for (int i = 0; i < npaths; i++)
        in->total += in->f[i].size;
    uint64_t s, c;
    tx_split_range(rank, nranks, in->total, &s, &c);
    in->share = c;
    counts = calloc(2 * (size_t)npaths + 1, sizeof *counts);
    before = calloc(2 * (size_t)npaths + 1, sizeof *before);
    if (!counts || !before) {
        rc = tx_error_set(err, TX_ENOMEM, "out of memory");
        goto agree;
    }
    uint64_t gstart = 0;
    for (int i = 0; i < npaths && rc == TX_OK; i++) {
        struct infile *f = &in->f[i];
        uint64_t lo = s > gstart ? s : gstart, hi = (s + c) < (gstart + f->size) ? s + c : gstart + f->size;
        if (lo < hi) {
            f->a = lo - gstart;
            f->b = hi - gstart;
            /* Only ranks holding a later piece of this file need the counts of this one. */
            if (f->b < f->size)
                rc = count_piece(f, &counts[2 * i], &counts[2 * i + 1], err);
        }
        gstart += f->size;
    }
agree:
    rc = tx_agree(comm, rc, err);
    if (rc == TX_OK) {
        if (MPI_Exscan(counts, before, 2 * npaths, MPI_UINT64_T, MPI_SUM, comm) != MPI_SUCCESS)
            rc = tx_error_set(err, TX_ERR, "MPI_Exscan of quote counts failed");
        if (rank == 0)
            memset(before, 0, 2 * (size_t)npaths * sizeof *before);
        for (int i = 0; i < npaths && rc == TX_OK; i++) {
            in->f[i].quotes_before = before[2 * i];
            in->f[i].lines_before = before[2 * i + 1];
        }
    }
    free(counts);
    free(before);
    if (rc != TX_OK) {
        tx_input_free(&in);
        return rc;
    }
    *out = in;
    return TX_OK;
}

void tx_input_free(tx_input **inp)
{
    tx_input *in = *inp;
    if (!in)
        return;
    for (int i = 0; in->f && i < in->n; i++) {
        if (in->f[i].fd >= 0)
            close(in->f[i].fd);
        free(in->f[i].path);
    }
    free(in->f);
    free(in);
    *inp = NULL;
}

int tx_input_nfiles(const tx_input *in) { return in->n; }
const char *tx_input_path(const tx_input *in, int i) { return in->f[i].path; }
const tx_header *tx_input_header(const tx_input *in, int i) { return &in->f[i].hdr; }
uint64_t tx_input_total_bytes(const tx_input *in) { return in->total; }
uint64_t tx_input_share_bytes(const tx_input *in) { return in->share; }

int tx_cursor_new(tx_input *in, tx_cursor **out, tx_error *err)
{
    *out = NULL;
    tx_cursor *cur = calloc(1, sizeof *cur);
    if (!cur || !(cur->buf = malloc(READ_CHUNK))) {
        free(cur);
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    }
    int rc = tx_record_parser_new(&cur->parser, err);
    if (rc != TX_OK) {
        free(cur->buf);
        free(cur);
        return rc;
    }
    cur->in = in;
    cur->cap = READ_CHUNK;
    cur->file = 0;
    *out = cur;
    return TX_OK;
}

void tx_cursor_free(tx_cursor **cur)
{
    if (!*cur)
        return;
    tx_record_parser_free(&(*cur)->parser);
    free((*cur)->buf);
    free(*cur);
    *cur = NULL;
}

uint64_t tx_cursor_done_bytes(const tx_cursor *cur)
{
    if (cur->file >= cur->in->n)
        return cur->done;
    const struct infile *f = &cur->in->f[cur->file];
    uint64_t part = (cur->started && cur->pos > f->a) ? cur->pos - f->a : 0;
    if (part > f->b - f->a)
        part = f->b - f->a;
    return cur->done + part;
}

/* Makes [off, off + need) available in the window (less at end of file). Returns the number of
 * bytes available from off, or -1 on a read error. */
static int64_t window(tx_cursor *cur, struct infile *f, uint64_t off, size_t need, tx_error *err)
{
    if (off >= cur->buf_off && off + need <= cur->buf_off + cur->buf_len)
        return (int64_t)(cur->buf_off + cur->buf_len - off);
    if (off >= cur->buf_off && cur->buf_off + cur->buf_len >= f->size)
        return (int64_t)(cur->buf_off + cur->buf_len - off); /* end of file is in the window */
    size_t want = need > READ_CHUNK ? need : READ_CHUNK;
    if (want > cur->cap) {
        char *nb = realloc(cur->buf, want);
        if (!nb) {
            tx_error_set(err, TX_ENOMEM, "out of memory");
            return -1;
        }
        cur->buf = nb;
        cur->cap = want;
    }
    if (off + want > f->size)
        want = (size_t)(f->size - off);
    size_t got = 0;
    if (read_full(f->fd, cur->buf, want, off, &got) != 0 || got != want) {
        tx_error_set(err, TX_ERR, "%s: read error at byte %llu: %s", f->path,
                     (unsigned long long)off, got != want ? "file shrank" : strerror(errno));
        return -1;
    }
    cur->buf_off = off;
    cur->buf_len = got;
    return (int64_t)got;
}

/* Finds the first record start >= f->a. */
static int find_first(tx_cursor *cur, struct infile *f, tx_error *err)
{
    if (f->a <= f->data_start) {
        cur->pos = f->data_start;
        cur->line = f->data_line;
        return TX_OK;
    }
    uint64_t p = f->a - 1;
    int64_t avail = window(cur, f, p, 1, err);
    if (avail < 0)
        return TX_ERR;
    int parity = (int)((f->quotes_before - (cur->buf[p - cur->buf_off] == '"')) & 1);
    uint64_t nl = 0;
    for (;;) {
        if (p >= f->size) {
            cur->pos = f->size;
            break;
        }
        avail = window(cur, f, p, 1, err);
        if (avail < 0)
            return TX_ERR;
        const char *b = cur->buf + (p - cur->buf_off);
        int64_t i = 0;
        for (; i < avail; i++) {
            char ch = b[i];
            if (ch == '"')
                parity ^= 1;
            else if (ch == '\n') {
                if (p + (uint64_t)i >= f->a)
                    nl++;
                if (!parity)
                    break;
            }
        }
        if (i < avail) {
            cur->pos = p + (uint64_t)i + 1;
            break;
        }
        p += (uint64_t)avail;
    }
    cur->line = 1 + f->lines_before + nl;
    return TX_OK;
}

/* Scans a record that did not fit in TX_RECORD_MAX bytes to its end, keeping its first bytes.
 * Sets *end (offset of its terminating '\n' or the file size), *lines, *inq. */
static int skip_long(tx_cursor *cur, struct infile *f, uint64_t start, uint64_t *end,
                     uint64_t *lines, int *inq, tx_error *err)
{
    int64_t avail = window(cur, f, start, RAW_KEEP, err);
    if (avail < 0)
        return TX_ERR;
    memcpy(cur->raw, cur->buf + (start - cur->buf_off), RAW_KEEP);
    int parity = 0;
    uint64_t nl = 0, p = start;
    while (p < f->size) {
        avail = window(cur, f, p, 1, err);
        if (avail < 0)
            return TX_ERR;
        const char *b = cur->buf + (p - cur->buf_off);
        for (int64_t i = 0; i < avail; i++) {
            if (b[i] == '"')
                parity ^= 1;
            else if (b[i] == '\n') {
                nl++;
                if (!parity) {
                    *end = p + (uint64_t)i;
                    *lines = nl;
                    *inq = 0;
                    return TX_OK;
                }
            }
        }
        p += (uint64_t)avail;
    }
    *end = f->size;
    *lines = nl;
    *inq = parity;
    return TX_OK;
}

/* The per-record pass over the record at cur->pos (< f->b, < f->size): finds its end by the
 * quote parity, then tx_record_parse. Returns 1 with *raw (and *rec) filled, 0 for an empty
 * line, TX_ERR on a read error. Moves the window: the batch must be handed out. */
static int next_slow(tx_cursor *cur, struct infile *f, tx_raw *raw, tx_record *rec,
                     tx_error *err)
{
    /* Find the record's end: the first '\n' with an even number of quotes before it. */
    uint64_t s = cur->pos;
    int64_t avail = window(cur, f, s, 1, err);
    if (avail < 0)
        return TX_ERR;
    size_t i = 0;
    int parity = 0, found = 0, too_long = 0;
    uint64_t nl = 0;
    for (;;) {
        const char *b = cur->buf + (s - cur->buf_off);
        while (i < (size_t)avail) {
            const char *p = memchr(b + i, '\n', (size_t)avail - i);
            size_t stop = p ? (size_t)(p - b) : (size_t)avail;
            for (const char *q = memchr(b + i, '"', stop - i); q;
                 q = memchr(q + 1, '"', (size_t)(b + stop - q - 1)))
                parity ^= 1;
            if (!p) {
                i = stop;
                break;
            }
            nl++;
            i = stop + 1;
            if (!parity) {
                found = 1;
                break;
            }
        }
        if (found || s + (uint64_t)avail >= f->size)
            break;
        if ((size_t)avail > TX_RECORD_MAX) {
            too_long = 1;
            break;
        }
        size_t need = (size_t)avail * 2;
        avail = window(cur, f, s, need, err);
        if (avail < 0)
            return TX_ERR;
    }
    uint64_t end; /* offset of the terminating '\n', or the file size */
    int unterminated = 0;
    raw->offset = s;
    raw->line = cur->line;
    raw->file_index = (uint32_t)cur->file;
    if (too_long) {
        uint64_t lines;
        int inq;
        if (skip_long(cur, f, s, &end, &lines, &inq, err) != TX_OK)
            return TX_ERR;
        raw->bytes = cur->raw;
        raw->len = RAW_KEEP;
        raw->reject = inq ? TX_REJ_UNTERMINATED_QUOTE : TX_REJ_RECORD_TOO_LONG;
        cur->line += lines;
        cur->pos = end + 1;
        return 1;
    }
    if (found) {
        end = s + i - 1;
    } else {
        end = f->size;
        unterminated = parity;
    }
    size_t len = (size_t)(end - s);
    const char *bytes = cur->buf + (s - cur->buf_off);
    cur->line += nl;
    cur->pos = end + 1;
    if (len == 0 || (len == 1 && bytes[0] == '\r'))
        return 0; /* an empty line carries no record */
    raw->bytes = bytes;
    raw->len = len;
    if (len > TX_RECORD_MAX) {
        raw->len = RAW_KEEP;
        raw->reject = unterminated ? TX_REJ_UNTERMINATED_QUOTE : TX_REJ_RECORD_TOO_LONG;
        return 1;
    }
    raw->reject = tx_record_parse(cur->parser, &f->hdr, bytes, len, unterminated, rec);
    if (raw->reject == TX_REJ_NONE) {
        rec->offset = s;
        rec->file_index = (uint32_t)cur->file;
    }
    return 1;
}

/* The record at pos (line) takes the per-record pass next. */
static void go_slow(tx_cursor *cur, uint64_t pos, uint64_t line)
{
    cur->slow = 1;
    cur->slow_pos = pos;
    cur->slow_line = line;
}

static void next_file(tx_cursor *cur, const struct infile *f)
{
    cur->done += f->b - f->a;
    cur->file++;
    cur->started = 0;
}

int tx_cursor_next(tx_cursor *cur, tx_raw *raw, tx_record *rec, tx_error *err)
{
    tx_input *in = cur->in;
    for (;;) {
        if (cur->bhead < cur->bn) { /* the batch first */
            const size_t k = cur->bhead++;
            const tx_row *r = &cur->rows[k];
            raw->bytes = cur->buf + (r->offset - cur->buf_off);
            raw->len = r->len > TX_RECORD_MAX ? RAW_KEEP : r->len;
            raw->offset = r->offset;
            raw->line = r->line;
            raw->file_index = (uint32_t)cur->file;
            raw->reject = r->reject;
            if (r->reject == TX_REJ_NONE) {
                *rec = cur->recs[k];
                rec->offset = r->offset;
                rec->file_index = (uint32_t)cur->file;
            }
            cur->pos = r->offset + r->len + 1;
            return 1;
        }
        if (cur->file >= in->n)
            return 0;
        struct infile *f = &in->f[cur->file];
        if (f->a >= f->b || f->data_start >= f->size) {
            next_file(cur, f);
            continue;
        }
        if (!cur->started) {
            cur->buf_off = 0;
            cur->buf_len = 0;
            cur->bhead = cur->bn = 0;
            cur->slow = 0;
            if (find_first(cur, f, err) != TX_OK)
                return TX_ERR;
            cur->started = 1;
            tx_record_stream_begin(cur->parser, &f->hdr, cur->pos, cur->line, f->b);
        }
        if (cur->slow) {
            cur->slow = 0;
            cur->pos = cur->slow_pos;
            cur->line = cur->slow_line;
            int got = 0;
            if (cur->pos < f->b && cur->pos < f->size)
                got = next_slow(cur, f, raw, rec, err);
            if (got < 0)
                return TX_ERR;
            tx_record_stream_begin(cur->parser, &f->hdr, cur->pos, cur->line, f->b);
            if (got)
                return 1;
            continue;
        }
        uint64_t rs, line, fed;
        tx_record_stream_at(cur->parser, &rs, &line, &fed);
        if (rs >= f->b || rs >= f->size) {
            cur->pos = rs;
            next_file(cur, f);
            continue;
        }
        const uint64_t wend = cur->buf_off + cur->buf_len;
        if (fed >= wend) {
            if (wend >= f->size) { /* the last record has no '\n' */
                go_slow(cur, rs, line);
                continue;
            }
            /* a new window from the record in progress (it is at most TX_RECORD_MAX + a
             * piece long so far, READ_CHUNK holds it and more) */
            if (window(cur, f, rs, (size_t)(fed - rs) + 1, err) < 0)
                return TX_ERR;
            continue;
        }
        const uint64_t to = wend - fed > TX_STREAM_PIECE ? fed + TX_STREAM_PIECE : wend;
        const tx_stream_status st = tx_record_stream_feed(cur->parser, cur->buf, cur->buf_off,
                                                          to, cur->rows, cur->recs, &cur->bn);
        cur->bhead = 0;
        if (st == TX_STREAM_SLOW) {
            tx_record_stream_at(cur->parser, &rs, &line, &fed);
            go_slow(cur, rs, line);
        } else if (st == TX_STREAM_MORE) {
            tx_record_stream_at(cur->parser, &rs, &line, &fed);
            if (fed - rs > TX_RECORD_MAX) /* too long: the per-record pass keeps its head */
                go_slow(cur, rs, line);
        }
    }
}
