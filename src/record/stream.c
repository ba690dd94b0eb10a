/* stream.c - the record stream of record.h: one libcsv parser over many records per
 * csv_parse call, each record checked field by field as libcsv hands the fields over.
 *
 * A record [rs, e) is taken from the stream only when libcsv's reading of it is provably
 * tx_record_parse's: libcsv ended the row with the record's own '\n' at e (or its "\r\n"), there
 * is no '"' in [rs, e), and e = rs + (fields - 1) + field bytes, i.e. not a byte dropped.
 * Why that is enough: libcsv drops only quotes and blanks at field edges; with no quote and
 * nothing dropped, the fields are the record's bytes between its commas, as the contract
 * reads them (there are no edge blanks for a non-text field's trim to take, either). And a
 * '\n' at e with no quote in [rs, e) is the first '\n' after rs, outside quotes, for libcsv as
 * for the quote parity. Every other record goes to tx_record_parse (its own libcsv parser),
 * its end found by the parity. The stream's parser stays in step: without a strict error
 * libcsv is inside a quoted field exactly where the parity is odd, so its rows end at the
 * parity's '\n's (and at CRs outside quotes, which only mark a record as not taken). A strict
 * error stops csv_parse; the stream stops at that record (TX_STREAM_SLOW). */
#include <stdbool.h>
#include <string.h>

#include "fields.h"
#include "parser.h"

enum {
    S_NORMAL = 0, /* fields of the record at s_rs are checked as they come */
    S_SKIP_LF,    /* the record ended with "\r\n" and is taken: the '\n' row is next */
    S_PENDING,    /* the record is not taken: tx_record_parse at its '\n' row */
    S_DONE,       /* the record at s_rs is past the limit */
    S_STOP        /* the stream needs a restart */
};

static const bool s_required[TX_NCOLS] = {
    [TX_COL_TRANSACTION_ID] = true,
    [TX_COL_CUSTOMER_ID] = true,
    [TX_COL_TRANSACTION_DATE] = true,
    [TX_COL_TRANSACTION_AMOUNT] = true,
};

/* The plan of header h: which tx_col each field feeds (once per header). */
static void s_plan(tx_record_parser *t, const tx_header *h)
{
    if (t->s_plan_valid && t->s_plan_col_of[TX_NCOLS] == h->nfields &&
        memcmp(t->s_plan_col_of, h->col_of, sizeof h->col_of) == 0)
        return;
    memset(t->s_kind, S_SKIP, sizeof t->s_kind);
    t->s_nplan = 0;
    for (int c = 0; c < TX_NCOLS; c++) {
        const int fi = h->col_of[c];
        if (fi < 0 || fi >= TX_HEADER_MAX_COLS)
            continue;
        t->s_kind[fi] = (signed char)c;
        if ((size_t)fi + 1 > t->s_nplan)
            t->s_nplan = (size_t)fi + 1;
    }
    memcpy(t->s_plan_col_of, h->col_of, sizeof h->col_of);
    t->s_plan_col_of[TX_NCOLS] = h->nfields;
    t->s_plan_valid = 1;
}

static inline char at(const tx_record_parser *t, uint64_t pos)
{
    return t->s_buf[pos - t->s_off];
}

/* The next record starts at pos. */
static inline void advance(tx_record_parser *t, uint64_t pos)
{
    t->s_rs = pos;
    t->s_fi = 0;
    t->s_content = 0;
    t->s_have = 0;
    t->s_out = &t->s_recs[t->s_n];
    if (pos >= t->s_limit) {
        t->s_mode = S_DONE;
        t->s_rej = TX_REJ_FIELD_COUNT; /* anything but none: no more checks */
    } else {
        t->s_rej = TX_REJ_NONE;
    }
}

/* Whether [a, e) holds no '"' (a is the record in progress, e <= s_to). */
static inline bool quote_free(tx_record_parser *t, uint64_t a, uint64_t e)
{
    if (t->s_nq < a) {
        t->s_nq = a;
        t->s_nq_end = 1;
    }
    if (t->s_nq_end && t->s_nq < e) {
        const char *from = t->s_buf + (t->s_nq - t->s_off);
        const char *q = memchr(from, '"', (size_t)(t->s_to - t->s_nq));
        if (q) {
            t->s_nq = t->s_off + (uint64_t)(q - t->s_buf);
            t->s_nq_end = 0;
        } else {
            t->s_nq = t->s_to;
        }
    }
    return e <= t->s_nq;
}

/* ---- word-at-a-time forms of fields.h's checks, for bytes with 8 readable at a time ----
 * Same results as the byte loops (they are used only where s + 8 bytes, or the field rounded
 * up to 8, lie within the bytes fed), else the byte loops run. */

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static inline uint64_t load8(const char *s)
{
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

/* parse_id of 1..8 bytes, w = the 8 bytes from the field's first (little-endian). */
static inline int id8(uint64_t w, size_t n, uint64_t *out)
{
    const unsigned sh = (unsigned)(8 - n) * 8;
    if (sh) /* the digits to the high (less significant) end, '0's before them */
        w = (w << sh) | (UINT64_C(0x3030303030303030) >> (64 - sh));
    if ((w & UINT64_C(0xF0F0F0F0F0F0F0F0)) != UINT64_C(0x3030303030303030) ||
        ((w + 6 * ONES) & UINT64_C(0xF0F0F0F0F0F0F0F0)) != UINT64_C(0x3030303030303030))
        return 1;
    uint64_t x = w - UINT64_C(0x3030303030303030); /* digits, the first in the low byte */
    x = (x * 10 + (x >> 8)) & UINT64_C(0x00FF00FF00FF00FF);
    x = (x * 100 + (x >> 16)) & UINT64_C(0x0000FFFF0000FFFF);
    x = (x * 10000 + (x >> 32)) & UINT64_C(0xFFFFFFFF);
    if (x == 0)
        return 2; /* no significant digit */
    *out = x;
    return 0;
}

static inline int s_id(const char *s, size_t n, const char *lim, uint64_t *out)
{
    if (n <= 8 && lim - s >= 8)
        return id8(load8(s), n, out);
    return parse_id(s, n, out);
}

/* take_text, copying and checking 8 bytes at a time while they are ASCII without NUL. */
static inline tx_reject s_text(const char *s, size_t n, const char *lim, char *dst, size_t cap,
                               uint8_t *dst_len, tx_reject too_long)
{
    if (n > cap)
        return too_long;
    if ((size_t)(lim - s) < ((n + 7) & ~(size_t)7))
        return take_text(s, n, dst, cap, dst_len, too_long);
    memset(dst, 0, cap); /* cap is a multiple of 8 */
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = load8(s + i), pad = 0;
        if (n - i < 8) {
            const uint64_t keep = ~UINT64_C(0) >> (64 - 8 * (n - i));
            w &= keep;
            pad = ONES & ~keep;
        }
        const uint64_t c = w | pad;
        if ((w & HIGHS) || ((c - ONES) & ~c & HIGHS)) /* not ASCII, or a NUL */
            return take_text(s, n, dst, cap, dst_len, too_long);
        memcpy(dst + i, &w, 8);
    }
    *dst_len = (uint8_t)n;
    return TX_REJ_NONE;
}

/* Checks field bytes s[0..n) of column col into the record in progress. */
static inline tx_reject s_check(tx_record_parser *t, int col, const char *s, size_t n,
                                 const char *lim)
{
    if (n == 0)
        return s_required[col] ? TX_REJ_MISSING_FIELD : TX_REJ_NONE; /* default, in s_emit */
    tx_record *out = t->s_out;
    t->s_have |= 1u << col;
    int rc;
    switch (col) {
    case TX_COL_TRANSACTION_ID:
        rc = s_id(s, n, lim, &out->transaction_id);
        return rc == 0 ? TX_REJ_NONE
                       : rc == 1 ? TX_REJ_BAD_TRANSACTION_ID : TX_REJ_TRANSACTION_ID_RANGE;
    case TX_COL_CUSTOMER_ID:
        rc = s_id(s, n, lim, &out->customer_id);
        return rc == 0 ? TX_REJ_NONE : rc == 1 ? TX_REJ_BAD_CUSTOMER_ID : TX_REJ_CUSTOMER_ID_RANGE;
    case TX_COL_TRANSACTION_DATE:
        return parse_date(s, n, &out->date);
    case TX_COL_TRANSACTION_AMOUNT:
        return parse_amount(s, n, &out->amount_cents);
    case TX_COL_TRANSACTION_CATEGORY:
        return s_text(s, n, lim, out->category, TX_CATEGORY_MAX, &out->category_len,
                      TX_REJ_CATEGORY_TOO_LONG);
    case TX_COL_PAYMENT_METHOD:
        return s_text(s, n, lim, out->payment, TX_PAYMENT_MAX, &out->payment_len,
                      TX_REJ_PAYMENT_TOO_LONG);
    case TX_COL_CURRENCY:
        if (n != 3 || (unsigned)(s[0] - 'A') > 25u || (unsigned)(s[1] - 'A') > 25u ||
            (unsigned)(s[2] - 'A') > 25u)
            return TX_REJ_BAD_CURRENCY;
        memcpy(out->currency, s, 3);
        return TX_REJ_NONE;
    case TX_COL_LAST_UPDATED:
        return parse_timestamp(s, n, &out->last_updated_us) ? TX_REJ_NONE
                                                             : TX_REJ_BAD_LAST_UPDATED;
    default: /* TX_COL_OP */
        if (n != 1 || (s[0] != 'U' && s[0] != 'D'))
            return TX_REJ_BAD_OP;
        out->op = s[0];
        return TX_REJ_NONE;
    }
}

/* libcsv's field callback: counts the field and keeps its length. Nothing is checked yet:
 * libcsv's copy of the field is gone at the next one, and a record that is taken has every
 * field's bytes, exactly, at their place in the window (nothing dropped, no quote). */
static void s_field(void *s, size_t n, void *data)
{
    (void)s;
    tx_record_parser *t = data;
    const size_t fi = t->s_fi++;
    t->s_content += n;
    if (fi < t->s_nplan)
        t->s_flen[fi] = (uint32_t)n;
}

/* The record in progress is taken: it is len bytes long. Its known fields are checked in
 * field order, from the window's bytes (they are libcsv's fields: see the top of the file),
 * up to the first bad value. The record's fields have no blanks at their edges, so the
 * non-text columns' trim of tx_record_parse has nothing to do here. */
static inline void s_emit(tx_record_parser *t, size_t len)
{
    t->s_out = &t->s_recs[t->s_n];
    t->s_have = 0;
    tx_row *r = &t->s_rows[t->s_n++];
    r->offset = t->s_rs;
    r->line = t->s_line;
    r->len = len;
    if (t->s_fi != (size_t)t->s_h->nfields) {
        r->reject = TX_REJ_FIELD_COUNT;
        return;
    }
    const char *p = t->s_buf + (t->s_rs - t->s_off), *const lim = t->s_buf + (t->s_to - t->s_off);
    const size_t np = t->s_nplan;
    tx_reject rej = TX_REJ_NONE;
    for (size_t k = 0; k < np; k++) {
        const size_t n = t->s_flen[k];
        const int col = t->s_kind[k];
        if (col >= 0 && (rej = s_check(t, col, p, n, lim)) != TX_REJ_NONE)
            break;
        p += n + 1;
    }
    if (rej == TX_REJ_NONE)
        set_defaults(t->s_out, t->s_have);
    r->reject = rej;
}

/* The end of the record at rs by the quote parity, within the bytes fed: its '\n' and the
 * '\n's up to it. Returns false when it is not among them. */
static bool parity_end(const tx_record_parser *t, uint64_t rs, uint64_t *end, uint64_t *nl)
{
    const char *b = t->s_buf + (rs - t->s_off), *e = t->s_buf + (t->s_to - t->s_off);
    int parity = 0;
    uint64_t lines = 0;
    for (const char *p = b; p < e;) {
        const char *lf = memchr(p, '\n', (size_t)(e - p));
        const char *stop = lf ? lf : e;
        for (const char *q = memchr(p, '"', (size_t)(stop - p)); q;
             q = memchr(q + 1, '"', (size_t)(stop - q - 1)))
            parity ^= 1;
        if (!lf)
            return false;
        lines++;
        if (!parity) {
            *end = rs + (uint64_t)(lf - b);
            *nl = lines;
            return true;
        }
        p = lf + 1;
    }
    return false;
}

/* The record in progress is not taken; libcsv ended its row at its '\n': the record goes to
 * tx_record_parse (its own parser) as the cursor would hand it over one by one. */
static void s_fallback(tx_record_parser *t)
{
    uint64_t end, nl;
    const uint64_t rs = t->s_rs;
    if (!parity_end(t, rs, &end, &nl)) { /* not libcsv's row end after all: restart */
        t->s_mode = S_STOP;
        t->s_rej = TX_REJ_FIELD_COUNT;
        return;
    }
    const char *b = t->s_buf + (rs - t->s_off);
    const size_t len = (size_t)(end - rs);
    if (!(len == 0 || (len == 1 && b[0] == '\r'))) { /* an empty line carries no record */
        tx_row *r = &t->s_rows[t->s_n];
        r->offset = rs;
        r->line = t->s_line;
        r->len = len;
        r->reject = tx_record_parse(t, t->s_h, b, len, 0, &t->s_recs[t->s_n]);
        t->s_n++;
    }
    t->s_line += nl;
    t->s_mode = S_NORMAL;
    advance(t, end + 1);
}

static inline void s_pend(tx_record_parser *t)
{
    t->s_mode = S_PENDING;
    t->s_rej = TX_REJ_FIELD_COUNT; /* no more checks: tx_record_parse redoes the record */
}

/* libcsv's row callback: c is the CR or LF that ended the row. */
static void s_row(int c, void *data)
{
    tx_record_parser *t = data;
    if (t->s_mode != S_NORMAL) {
        if (t->s_mode == S_SKIP_LF)
            t->s_mode = S_NORMAL;
        else if (t->s_mode == S_PENDING && c == '\n')
            s_fallback(t);
        return;
    }
    const uint64_t rs = t->s_rs;
    if (t->s_fi == 0) { /* no field: an empty line, or one libcsv saw only blanks or a CR in */
        if (c == '\n' && at(t, rs) == '\n') {
            t->s_line++;
            advance(t, rs + 1);
        } else if (c == '\n') {
            s_fallback(t);
        } else {
            s_pend(t);
        }
        return;
    }
    const uint64_t e = rs + (t->s_fi - 1) + t->s_content;
    if (c == '\n') {
        if (e - rs <= TX_RECORD_MAX && at(t, e) == '\n' && quote_free(t, rs, e)) {
            s_emit(t, (size_t)(e - rs));
            t->s_line++;
            advance(t, e + 1);
        } else {
            s_fallback(t);
        }
    } else if (e - rs < TX_RECORD_MAX && e + 1 < t->s_to && at(t, e) == '\r' &&
               at(t, e + 1) == '\n' && quote_free(t, rs, e)) {
        s_emit(t, (size_t)(e + 1 - rs)); /* its bytes keep the CR, as the cursor's do */
        t->s_line++;
        advance(t, e + 2);
        if (t->s_mode == S_NORMAL)
            t->s_mode = S_SKIP_LF;
    } else {
        s_pend(t);
    }
}

void tx_record_stream_begin(tx_record_parser *t, const tx_header *h, uint64_t offset,
                            uint64_t line, uint64_t limit)
{
    csv_reset(&t->scsv);
    s_plan(t, h);
    t->s_h = h;
    t->s_limit = limit;
    t->s_line = line;
    t->s_fed = offset;
    t->s_nq = offset;
    t->s_nq_end = 1;
    t->s_rows = NULL;
    t->s_recs = NULL;
    t->s_n = 0;
    t->s_mode = S_NORMAL;
    t->s_rs = offset;
    t->s_fi = t->s_content = 0;
    t->s_have = 0;
    t->s_out = NULL;
    if (offset >= limit) {
        t->s_mode = S_DONE;
        t->s_rej = TX_REJ_FIELD_COUNT;
    } else {
        t->s_rej = TX_REJ_NONE;
    }
}

tx_stream_status tx_record_stream_feed(tx_record_parser *t, const char *buf, uint64_t buf_off,
                                       uint64_t to, tx_row *rows, tx_record *recs, size_t *n)
{
    *n = 0;
    if (t->s_mode == S_DONE)
        return TX_STREAM_END;
    if (t->s_mode == S_STOP)
        return TX_STREAM_SLOW;
    t->s_buf = buf;
    t->s_off = buf_off;
    t->s_to = to;
    t->s_rows = rows;
    t->s_recs = recs;
    t->s_n = 0;
    t->s_out = recs;
    const size_t len = (size_t)(to - t->s_fed);
    const size_t done = csv_parse(&t->scsv, buf + (t->s_fed - buf_off), len, s_field, s_row, t);
    *n = t->s_n;
    t->s_fed = to;
    t->s_buf = NULL;
    if (t->s_mode == S_DONE)
        return TX_STREAM_END;
    if (done < len || t->s_mode == S_STOP) {
        csv_reset(&t->scsv);
        t->s_mode = S_STOP;
        return TX_STREAM_SLOW;
    }
    return TX_STREAM_MORE;
}

void tx_record_stream_at(const tx_record_parser *t, uint64_t *offset, uint64_t *line,
                         uint64_t *fed)
{
    *offset = t->s_rs;
    *line = t->s_line;
    *fed = t->s_fed;
}
