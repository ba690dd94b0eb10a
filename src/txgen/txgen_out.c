/* txgen_out.c - formatting records, buffered sinks, writing rank parts of one file, truth. */
#include "txgen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "txetl/route.h"

/* ---- Sinks: fd >= 0 writes at off with pwrite; -1 counts only; -2 grows in memory. ---- */

int txg_sink_open(txg_sink *s, int fd, uint64_t off, uint64_t line, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->off = off;
    s->line = line;
    s->cap = cap;
    s->buf = TX_XMALLOC(cap);
    return TX_OK;
}

int txg_sink_flush(txg_sink *s)
{
    if (s->fd == -2) { /* memory: grow instead */
        size_t cap = s->cap * 2 + 4096;
        s->buf = TX_XREALLOC(s->buf, cap);
        s->cap = cap;
        return TX_OK;
    }
    if (s->fd >= 0 && s->err == 0) {
        size_t done = 0;
        while (done < s->len) {
            ssize_t w = pwrite(s->fd, s->buf + done, s->len - done, (off_t)(s->off + done));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                s->err = errno;
                break;
            }
            done += (size_t)w;
        }
    }
    s->off += s->len;
    s->len = 0;
    return s->err ? TX_ERR : TX_OK;
}

void txg_sink_close(txg_sink *s)
{
    free(s->buf);
    s->buf = NULL;
}

/* ---- Timestamps ---- */

/* Styles: 0 "d t", 1 "dTt", 2 "dTt.ffffffZ" or "dTtZ", 3 "d t.ffffff", 4 "dTt.fffZ",
 * 5 "d t.f..." with trailing zeros dropped. */
size_t txg_fmt_ts(char *b, int64_t us, int style)
{
    int64_t days = us / 86400000000LL;
    if (us % 86400000000LL < 0)
        days--;
    int64_t rem = us - days * 86400000000LL;
    int64_t sec = rem / 1000000, frac = rem % 1000000;
    size_t n = (size_t)tx_fmt_date(b, (int32_t)days);
    b[n++] = (style == 1 || style == 2 || style == 4) ? 'T' : ' ';
    n += (size_t)tx_fmt_hms(b + n, (int)sec);
    int digits = style == 3 ? 6 : style == 4 ? 3 : 0;
    if (style == 2 && frac)
        digits = 6;
    if (style == 5) {
        digits = 6;
        int64_t f = frac;
        while (digits > 1 && f % 10 == 0) {
            f /= 10;
            digits--;
        }
    }
    if (digits) {
        b[n++] = '.';
        int64_t f = frac;
        for (int i = digits; i < 6; i++)
            f /= 10;
        for (int i = digits - 1; i >= 0; i--) {
            b[n + (size_t)i] = (char)('0' + f % 10);
            f /= 10;
        }
        n += (size_t)digits;
    }
    if (style == 2 || style == 4)
        b[n++] = 'Z';
    return n;
}

void txg_put_text(txg_sink *s, const char *t, size_t n)
{
    int quote = n > 0 && (t[0] == ' ' || t[n - 1] == ' ');
    for (size_t i = 0; i < n && !quote; i++)
        quote = t[i] == ',' || t[i] == '"' || t[i] == '\r' || t[i] == '\n';
    if (!quote) {
        txg_put(s, t, n);
        return;
    }
    txg_reserve(s, 2 * n + 2);
    txg_putc(s, '"');
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '"')
            txg_putc(s, '"');
        else if (t[i] == '\n')
            s->line++;
        txg_putc(s, t[i]);
    }
    txg_putc(s, '"');
}

/* ---- Records ---- */

/* The reason codes of docs/input.md (own copy, the record module's may not be linked in). */
const char *txg_reject_name(tx_reject r)
{
    static const char *const names[TX_NREJECTS] = {
        "none", "field_count", "bad_quote", "unterminated_quote", "record_too_long",
        "missing_field", "bad_transaction_id", "transaction_id_range", "bad_customer_id",
        "customer_id_range", "bad_date", "date_range", "bad_amount", "amount_range",
        "category_too_long", "payment_method_too_long", "bad_utf8", "nul_byte", "bad_currency",
        "bad_last_updated", "bad_op"};
    return (unsigned)r < TX_NREJECTS ? names[r] : "unknown";
}

static void put_padded(txg_sink *s, const char *b, size_t n, int pad, int quoted)
{
    if (pad)
        txg_put(s, pad == 1 ? " " : "\t", 1);
    if (quoted)
        txg_put(s, "\"", 1);
    txg_put(s, b, n);
    if (quoted)
        txg_put(s, "\"", 1);
    if (pad)
        txg_put(s, " ", 1);
}

static const char *bad_variant(const txg_row *r, const char *const *v, int n)
{
    return v[(r->idx / TX_NREJECTS) % (uint64_t)n];
}

#define BADV(r, ...)                                                                               \
    bad_variant((r), (const char *const[]){__VA_ARGS__},                                         \
                (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)))

static int is_bad(const txg_row *r, tx_reject why) { return r->kind == TXG_BAD && r->sub == why; }

void txg_write_row(txg_sink *s, const txg_opts *o, const txg_perm *p, const txg_row *r,
                   uint64_t cust_id, txg_sink *rej)
{
    if (r->kind == TXG_BAD && rej) {
        char b[64];
        size_t n = tx_fmt_u64(b, s->line);
        b[n++] = ',';
        n += tx_fmt_u64(b + n, s->off + s->len);
        b[n++] = ',';
        txg_put(rej, b, n);
        txg_puts(rej, txg_reject_name((tx_reject)r->sub));
        txg_put(rej, "\n", 1);
    }
    int tk = r->kind == TXG_TRICKY ? r->sub : -1;
    int pad = tk == 2 ? 1 : tk == 9 ? 2 : 0, quoted = tk == 6;
    /* Where bad text goes: the category if there, else the payment method. */
    int text_col = o->has[TX_COL_TRANSACTION_CATEGORY] ? TX_COL_TRANSACTION_CATEGORY
                                                       : TX_COL_PAYMENT_METHOD;
    char b[128];
    size_t n;
    for (int i = 0; i < o->ncols; i++) {
        if (i)
            txg_put(s, ",", 1);
        int c = o->col[i];
        switch (c) {
        case TX_COL_TRANSACTION_ID:
            if (is_bad(r, TX_REJ_BAD_TRANSACTION_ID))
                txg_puts(s, BADV(r, "T1234", "12a", "1.5", "0x1F"));
            else if (is_bad(r, TX_REJ_TRANSACTION_ID_RANGE))
                txg_puts(s, BADV(r, "0", "9223372036854775808", "99999999999999999999"));
            else {
                n = tx_fmt_u64(b, txg_id(p, r->idx));
                put_padded(s, b, n, pad, quoted);
            }
            break;
        case TX_COL_CUSTOMER_ID:
            if (is_bad(r, TX_REJ_MISSING_FIELD))
                txg_puts(s, BADV(r, "", "  "));
            else if (is_bad(r, TX_REJ_BAD_CUSTOMER_ID))
                txg_puts(s, BADV(r, "c1007", "1007x", "10 07"));
            else if (is_bad(r, TX_REJ_CUSTOMER_ID_RANGE))
                txg_puts(s, BADV(r, "0", "9223372036854775808"));
            else {
                n = tx_fmt_u64(b, cust_id);
                put_padded(s, b, n, pad, quoted);
            }
            break;
        case TX_COL_TRANSACTION_DATE:
            if (is_bad(r, TX_REJ_BAD_DATE))
                txg_puts(s, BADV(r, "2023-02-30", "2023/01/05", "20230105", "2023-1-5",
                                 "2023-13-01", "2022-02-29"));
            else if (is_bad(r, TX_REJ_DATE_RANGE))
                txg_puts(s, BADV(r, "1969-12-31", "2100-01-01", "1900-06-15"));
            else {
                n = tx_fmt_date(b, r->date);
                put_padded(s, b, n, pad, quoted);
            }
            break;
        case TX_COL_TRANSACTION_AMOUNT:
            if (is_bad(r, TX_REJ_BAD_AMOUNT))
                txg_puts(s, BADV(r, "12.345", "$12.00", "abc", "--5", "1e3", ".50"));
            else if (is_bad(r, TX_REJ_AMOUNT_RANGE))
                txg_puts(s, BADV(r, "1234567890123.00", "-99999999999999"));
            else if (is_bad(r, TX_REJ_BAD_QUOTE))
                txg_puts(s, BADV(r, "12\"3\"4", "\"12.00\"x"));
            else if (tk == 1) {
                b[0] = '+';
                n = 1 + tx_fmt_cents_digits(b + 1, r->cents, 0);
                txg_put(s, b, n);
            } else {
                n = tx_fmt_cents_digits(b, r->cents, tk == 2 ? 1 : 2);
                put_padded(s, b, n, pad, quoted);
            }
            break;
        case TX_COL_TRANSACTION_CATEGORY:
        case TX_COL_PAYMENT_METHOD:
            if (c == TX_COL_TRANSACTION_CATEGORY && is_bad(r, TX_REJ_CATEGORY_TOO_LONG))
                txg_puts(s, BADV(r, "電電電電電電電電電電電電電電電電電電電電電ab", /* 65 bytes */
                                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
            else if (c == TX_COL_PAYMENT_METHOD && is_bad(r, TX_REJ_PAYMENT_TOO_LONG))
                txg_puts(s, BADV(r, "bank_transfer_international_wire2", "éééééééééééééééééa"));
            else if (c == text_col && is_bad(r, TX_REJ_BAD_UTF8))
                txg_puts(s, BADV(r, "caf\xC3", "\xFF\xFEgroceries", "\xE5\xAE", "\xC0\xAF"));
            else if (c == text_col && is_bad(r, TX_REJ_NUL_BYTE))
                txg_put(s, "gro\0ceries", 10);
            else {
                const char *t = c == TX_COL_TRANSACTION_CATEGORY ? txg_categories[r->cat]
                                                                 : txg_payments[r->pay];
                txg_put_text(s, t, strlen(t));
            }
            break;
        case TX_COL_CURRENCY:
            if (is_bad(r, TX_REJ_BAD_CURRENCY))
                txg_puts(s, BADV(r, "usd", "US", "EURO", "U$D", "€"));
            else if (tk == 5)
                ;
            else
                put_padded(s, txg_currencies[r->cur], 3, pad, quoted);
            break;
        case TX_COL_LAST_UPDATED:
            if (is_bad(r, TX_REJ_BAD_LAST_UPDATED))
                txg_puts(s, BADV(r, "2023-01-05 25:00:00", "2023-13-01 10:00:00", "yesterday",
                                 "2023-01-05 10:00:00.1234567", "2023-01-05 10:00",
                                 "2023-01-05T10:00:00+01:00"));
            else if (tk == 5)
                ;
            else {
                n = txg_fmt_ts(b, r->lu_us, r->lu_style);
                put_padded(s, b, n, pad, quoted);
            }
            break;
        case TX_COL_OP:
            if (is_bad(r, TX_REJ_BAD_OP))
                txg_puts(s, BADV(r, "X", "UD", "delete"));
            else if (tk != 5)
                put_padded(s, r->op == 'D' ? "D" : "U", 1, pad, quoted);
            break;
        default: /* unknown column: some text */
            if (r->idx % 5 == 0)
                txg_puts(s, "\"note, with comma\"");
            else {
                n = tx_fmt_u64(b, r->idx % 997);
                txg_puts(s, "note-");
                txg_put(s, b, n);
            }
            break;
        }
    }
    if (is_bad(r, TX_REJ_FIELD_COUNT))
        txg_puts(s, BADV(r, ",extra", ",", ",1,2"));
    txg_put(s, o->crlf ? "\r\n" : "\n", o->crlf ? 2 : 1);
    s->line++;
}

void txg_write_header(txg_sink *s, const txg_opts *o, int with_op)
{
    if (o->bom)
        txg_put(s, "\xEF\xBB\xBF", 3);
    for (int i = 0; i < o->ncols; i++) {
        if (i)
            txg_put(s, ",", 1);
        txg_puts(s, o->colname[i]);
    }
    if (with_op)
        txg_puts(s, ",op");
    txg_put(s, o->crlf ? "\r\n" : "\n", o->crlf ? 2 : 1);
    s->line++;
}

/* ---- Rank parts of one file ---- */

int txg_open_shared(MPI_Comm comm, const char *path, tx_error *err)
{
    int rank, fd = -1, ok = 1, all;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ok = fd >= 0;
        if (!ok)
            tx_error_set(err, TX_ERR, "txgen: cannot create %s: %s", path, strerror(errno));
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
    if (!ok)
        return -1;
    if (rank != 0) {
        fd = open(path, O_WRONLY);
        ok = fd >= 0;
        if (!ok)
            tx_error_set(err, TX_ERR, "txgen: cannot open %s: %s", path, strerror(errno));
    }
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm);
    if (!all) {
        if (fd >= 0)
            close(fd);
        if (!err->msg[0])
            tx_error_set(err, TX_ERR, "txgen: cannot open %s on another rank", path);
        return -1;
    }
    return fd;
}

static int agree_close(MPI_Comm comm, int fd, int werr, const char *path, tx_error *err)
{
    int ok = werr == 0, all;
    if (fd >= 0 && close(fd) != 0 && ok) {
        werr = errno;
        ok = 0;
    }
    if (!ok)
        tx_error_set(err, TX_ERR, "txgen: cannot write %s: %s", path, strerror(werr));
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm);
    if (!all && err->status == TX_OK)
        tx_error_set(err, TX_ERR, "txgen: cannot write %s on another rank", path);
    return all ? TX_OK : TX_ERR;
}

int txg_write_parts(MPI_Comm comm, const char *path, const char *buf, size_t len, tx_error *err)
{
    uint64_t mine = len, off = 0;
    int rank;
    MPI_Comm_rank(comm, &rank);
    MPI_Exscan(&mine, &off, 1, MPI_UINT64_T, MPI_SUM, comm);
    if (rank == 0)
        off = 0;
    int fd = txg_open_shared(comm, path, err);
    if (fd < 0)
        return TX_ERR;
    txg_sink s = {.fd = fd, .buf = (char *)buf, .len = len, .cap = len, .off = off};
    txg_sink_flush(&s);
    return agree_close(comm, fd, s.err, path, err);
}

/* ---- Truth ---- */

static int cmp_truth(const void *a, const void *b)
{
    const txg_truth *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

void txg_put_head(txg_sink *s, uint64_t id, uint64_t cust, int32_t date, int64_t cents,
                  int cents_as_int, const char *cat, const char *pay, const char *cur)
{
    char b[128];
    size_t n = tx_fmt_u64(b, id);
    b[n++] = ',';
    n += tx_fmt_u64(b + n, cust);
    b[n++] = ',';
    n += tx_fmt_date(b + n, date);
    b[n++] = ',';
    n += cents_as_int ? tx_fmt_i64(b + n, cents) : tx_fmt_cents_digits(b + n, cents, 2);
    b[n++] = ',';
    txg_put(s, b, n);
    txg_put_text(s, cat, strlen(cat));
    txg_put(s, ",", 1);
    txg_put_text(s, pay, strlen(pay));
    n = 0;
    b[n++] = ',';
    memcpy(b + n, cur, 3);
    n += 3;
    b[n++] = ',';
    txg_put(s, b, n);
}

static void put_truth(txg_sink *s, const txg_truth *t)
{
    txg_put_head(s, t->id, t->cust, t->date, t->cents, 1, txg_categories[t->cat],
                 txg_payments[t->pay], txg_currencies[t->cur]);
    char b[32];
    size_t n = tx_fmt_i64(b, t->lu_us);
    b[n++] = '\n';
    txg_put(s, b, n);
}

static const char truth_header[] = "transaction_id,customer_id,transaction_date,amount_cents,"
                                   "transaction_category,payment_method,currency,"
                                   "last_updated_us\n";

int txg_truth_write(MPI_Comm comm, const char *path, txg_truth *rows, size_t n, uint64_t m,
                    tx_error *err)
{
    int rank, nranks, rc = TX_OK;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    txg_truth *mine = rows;
    size_t nmine = n;
    if (nranks > 1) { /* route by id range, so each rank writes a sorted slice */
        uint64_t chunk = m / (uint64_t)nranks + 1;
        size_t *scnt = calloc((size_t)nranks, sizeof *scnt), *rcnt = calloc((size_t)nranks, sizeof *rcnt);
        size_t *sdis = calloc((size_t)nranks, sizeof *sdis);
        txg_truth *sorted = malloc((n ? n : 1) * sizeof *sorted);
        if (!scnt || !rcnt || !sdis || !sorted)
            MPI_Abort(comm, 3);
        for (size_t i = 0; i < n; i++)
            scnt[(rows[i].id - 1) / chunk]++;
        for (int r = 1; r < nranks; r++)
            sdis[r] = sdis[r - 1] + scnt[r - 1];
        for (size_t i = 0; i < n; i++) {
            int r = (int)((rows[i].id - 1) / chunk);
            sorted[sdis[r]++] = rows[i];
        }
        /* in bounded rounds (src/route), laid out as MPI_Alltoallv would */
        void *got = NULL;
        rc = tx_exchange_blocks(comm, sorted, scnt, sizeof *sorted, tx_route_round_bytes(),
                                &got, rcnt, &nmine, err);
        free(sorted);
        free(scnt);
        free(rcnt);
        free(sdis);
        if (rc != TX_OK)
            return rc;
        mine = got;
    }
    qsort(mine, nmine, sizeof *mine, cmp_truth);
    /* Count, place, write. */
    txg_sink s;
    if (txg_sink_open(&s, -1, 0, 1, 1 << 20) != TX_OK)
        MPI_Abort(comm, 3);
    if (rank == 0)
        txg_puts(&s, truth_header);
    for (size_t i = 0; i < nmine; i++)
        put_truth(&s, &mine[i]);
    txg_sink_flush(&s);
    uint64_t len = s.off, off = 0;
    MPI_Exscan(&len, &off, 1, MPI_UINT64_T, MPI_SUM, comm);
    if (rank == 0)
        off = 0;
    int fd = txg_open_shared(comm, path, err);
    if (fd < 0) {
        rc = TX_ERR;
        goto out;
    }
    s.fd = fd;
    s.off = off;
    if (rank == 0)
        txg_puts(&s, truth_header);
    for (size_t i = 0; i < nmine; i++)
        put_truth(&s, &mine[i]);
    txg_sink_flush(&s);
    rc = agree_close(comm, fd, s.err, path, err);
out:
    txg_sink_close(&s);
    if (mine != rows)
        free(mine);
    return rc;
}
