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

/* For the per-field checks: GCC's size limits would otherwise keep s_check_canon's nine
 * s_check calls out of line, each with the switch that knowing the column removes. */
#define S_INLINE static inline __attribute__((always_inline))

enum {
    S_NORMAL = 0, /* fields of the record at s_rs are checked as they come */
    S_SKIP_LF,    /* the record ended with "\r\n" and is taken: the '\n' row is next */
    S_PENDING,    /* the record is not taken: tx_record_parse at its '\n' row */
    S_DONE,       /* the record at s_rs is past the limit */
    S_STOP        /* the stream needs a restart */
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
    t->s_canon = 1;
    for (size_t k = 0; k < t->s_nplan; k++)
        t->s_canon &= t->s_kind[k] == (signed char)k;
    memcpy(t->s_plan_col_of, h->col_of, sizeof h->col_of);
    t->s_plan_col_of[TX_NCOLS] = h->nfields;
    t->s_plan_valid = 1;
}

static inline char at(const tx_record_parser *t, uint64_t pos)
{
    return t->s_buf[pos - t->s_off];
}

/* The record in progress starts at pos (its slot, s_out, is the caller's to set). */
static inline void s_start(tx_record_parser *t, uint64_t pos)
{
    t->s_rs = pos;
    t->s_fi = 0;
    t->s_content = 0;
    if (pos >= t->s_limit) {
        t->s_mode = S_DONE;
        t->s_rej = TX_REJ_FIELD_COUNT; /* anything but none: no more checks */
    } else {
        t->s_rej = TX_REJ_NONE;
    }
}

/* The next record starts at pos. */
static inline void advance(tx_record_parser *t, uint64_t pos)
{
    s_start(t, pos);
    t->s_out = &t->s_recs[t->s_n];
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

/* parse_amount of the usual form, 1..5 digits '.' 2 digits (n <= 8), from the 8 bytes at s:
 * the digits without the dot read as one number are the cents. Other forms: parse_amount. */
static inline tx_reject s_amount(const char *s, size_t n, const char *lim, int64_t *out)
{
    if (n < 4 || n > 8 || lim - s < 8 || s[n - 3] != '.')
        return parse_amount(s, n, out);
    const uint64_t w = load8(s);
    const unsigned dot = (unsigned)(n - 3) * 8;
    const uint64_t lo = w & ((UINT64_C(1) << dot) - 1);  /* the integer digits */
    const uint64_t fr = (w >> (dot + 8)) & 0xFFFF;          /* the two fraction digits */
    uint64_t x = lo | fr << dot;                            /* n - 1 digit bytes */
    const unsigned sh = (unsigned)(9 - n) * 8;              /* >= 8: '0's before them */
    x = (x << sh) | (UINT64_C(0x3030303030303030) >> (64 - sh));
    if ((x & UINT64_C(0xF0F0F0F0F0F0F0F0)) != UINT64_C(0x3030303030303030) ||
        ((x + 6 * ONES) & UINT64_C(0xF0F0F0F0F0F0F0F0)) != UINT64_C(0x3030303030303030))
        return parse_amount(s, n, out); /* a sign, or not digits: parse_amount says which */
    x -= UINT64_C(0x3030303030303030);
    x = (x * 10 + (x >> 8)) & UINT64_C(0x00FF00FF00FF00FF);
    x = (x * 100 + (x >> 16)) & UINT64_C(0x0000FFFF0000FFFF);
    x = (x * 10000 + (x >> 32)) & UINT64_C(0xFFFFFFFF);
    *out = (int64_t)x;
    return TX_REJ_NONE;
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

/* Whether every byte of w is 0..9 (a byte >= 0x80 is flagged by w itself; below, adding 0x76
 * carries into no other byte). */
static inline bool all_le9(uint64_t w)
{
    return ((w | (w + UINT64_C(0x7676767676767676))) & HIGHS) == 0;
}

/* parse_ymd and civil_days of the 10 bytes at s, remembered in a direct-mapped table by those
 * bytes: an extract holds a few thousand distinct dates, and a record's last_updated nearly
 * always starts with its transaction_date. Same results as parse_ymd (*y) and civil_days. */
static inline bool s_ymd(tx_record_parser *t, const char *s, int *y, int32_t *days)
{
    const uint64_t w = load8(s);
    uint16_t w2;
    memcpy(&w2, s + 8, 2);
    const uint32_t key2 = 0x10000u | w2; /* never 0: an empty slot matches no bytes */
    struct tx_ymd_slot *e =
        &t->s_ymd[((w ^ (uint64_t)w2 << 32) * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - TX_YMD_BITS)];
    if (e->w == w && e->w2 == key2) {
        *y = e->y;
        *days = e->days;
        return true;
    }
    int m, d;
    if (!parse_ymd(s, y, &m, &d))
        return false;
    *days = civil_days(*y, m, d);
    e->w = w;
    e->w2 = key2;
    e->y = *y;
    e->days = *days;
    return true;
}

/* parse_date with s_ymd. */
static inline tx_reject s_date(tx_record_parser *t, const char *s, size_t n, int32_t *out)
{
    int y;
    int32_t days;
    if (n != 10 || !s_ymd(t, s, &y, &days))
        return TX_REJ_BAD_DATE;
    if (y < 1970 || y > 2099)
        return TX_REJ_DATE_RANGE;
    *out = days;
    return TX_REJ_NONE;
}

/* parse_timestamp with s_ymd, "HH:MM:SS" checked as one word. */
static inline bool s_timestamp(tx_record_parser *t, const char *s, size_t n, int64_t *out)
{
    int y;
    int32_t days;
    if (n < 19 || (s[10] != ' ' && s[10] != 'T') || !s_ymd(t, s, &y, &days) || y < 1970)
        return false;
    /* s[11..18] = H H : M M : S S; digits to 0..9 and the colons to 0 */
    const uint64_t v = load8(s + 11) ^ UINT64_C(0x30303A30303A3030);
    if (!all_le9(v) || (v & UINT64_C(0x0000FF0000FF0000)))
        return false;
    const unsigned hh = (unsigned)(v & 0xFF) * 10 + (unsigned)(v >> 8 & 0xFF);
    const unsigned mi = (unsigned)(v >> 24 & 0xFF) * 10 + (unsigned)(v >> 32 & 0xFF);
    const unsigned ss = (unsigned)(v >> 48 & 0xFF) * 10 + (unsigned)(v >> 56);
    if (hh > 23 || mi > 59 || ss > 59)
        return false;
    int64_t frac = 0;
    if (!ts_tail(s, n, &frac))
        return false;
    const int64_t secs = (int64_t)days * 86400 + hh * 3600 + mi * 60 + ss;
    *out = secs * 1000000 + frac;
    return true;
}

/* Checks field bytes s[0..n) of column col into the record in progress, out; sets bit
 * 1 << col of *have when the column has a value. */
S_INLINE tx_reject s_check(tx_record_parser *t, tx_record *out, unsigned *have, int col,
                           const char *s, size_t n, const char *lim)
{
    if (n == 0)
        return col_required[col] ? TX_REJ_MISSING_FIELD : TX_REJ_NONE; /* default, in s_emit */
    *have |= 1u << col;
    switch (col) {
    case TX_COL_TRANSACTION_ID:
        return id_reject(col, s_id(s, n, lim, &out->transaction_id));
    case TX_COL_CUSTOMER_ID:
        return id_reject(col, s_id(s, n, lim, &out->customer_id));
    case TX_COL_TRANSACTION_CATEGORY:
        return s_text(s, n, lim, out->category, TX_CATEGORY_MAX, &out->category_len,
                      TX_REJ_CATEGORY_TOO_LONG);
    case TX_COL_PAYMENT_METHOD:
        return s_text(s, n, lim, out->payment, TX_PAYMENT_MAX, &out->payment_len,
                      TX_REJ_PAYMENT_TOO_LONG);
    case TX_COL_TRANSACTION_DATE:
        return s_date(t, s, n, &out->date);
    case TX_COL_LAST_UPDATED:
        return s_timestamp(t, s, n, &out->last_updated_us) ? TX_REJ_NONE
                                                            : TX_REJ_BAD_LAST_UPDATED;
    case TX_COL_TRANSACTION_AMOUNT:
        return s_amount(s, n, lim, &out->amount_cents);
    default:
        return check_value(col, s, n, out);
    }
}

/* One step of s_check_canon: field col (= its column) checked at *p, then *p past it; false
 * when the record has no such field or the field is bad (*rej). */
S_INLINE bool s_canon_one(tx_record_parser *t, tx_record *out, unsigned *have, size_t np,
                          int col, const char **p, const char *lim, tx_reject *rej)
{
    if ((size_t)col >= np)
        return false;
    const size_t n = t->s_flen[col];
    if ((*rej = s_check(t, out, have, col, *p, n, lim)) != TX_REJ_NONE)
        return false;
    *p += n + 1;
    return true;
}

/* s_emit's checks for a plan in column order (field k is column k, for every k < s_nplan: the
 * usual header), each s_check with its column known, so without the switch. Same result as
 * s_emit's loop. */
static inline tx_reject s_check_canon(tx_record_parser *t, tx_record *out, unsigned *have,
                                      size_t np, const char *p, const char *lim)
{
    tx_reject rej = TX_REJ_NONE;
    (void)(s_canon_one(t, out, have, np, TX_COL_TRANSACTION_ID, &p, lim, &rej) &&
           s_canon_one(t, out, have, np, TX_COL_CUSTOMER_ID, &p, lim, &rej) &&
           s_canon_one(t, out, have, np, TX_COL_TRANSACTION_DATE, &p, lim, &rej) &&
           s_canon_one(t, out, have, np, TX_COL_TRANSACTION_AMOUNT, &p, lim, &rej) &&
           s_canon_one(t, out, have, np, TX_COL_TRANSACTION_CATEGORY, &p, lim, &rej) &&
           s_canon_one(t, out, have, np, TX_COL_PAYMENT_METHOD, &p, lim, &rej) &&
           s_canon_one(t, out, have, np, TX_COL_CURRENCY, &p, lim, &rej) &&
           s_canon_one(t, out, have, np, TX_COL_LAST_UPDATED, &p, lim, &rej) &&
           s_canon_one(t, out, have, np, TX_COL_OP, &p, lim, &rej));
    return rej;
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
    tx_record *const out = t->s_out = &t->s_recs[t->s_n];
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
    unsigned have = 0;
    if (t->s_canon) {
        rej = s_check_canon(t, out, &have, np, p, lim);
    } else {
        for (size_t k = 0; k < np; k++) {
            const size_t n = t->s_flen[k];
            const int col = t->s_kind[k];
            if (col >= 0 && (rej = s_check(t, out, &have, col, p, n, lim)) != TX_REJ_NONE)
                break;
            p += n + 1;
        }
    }
    if (rej == TX_REJ_NONE)
        set_defaults(out, have);
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

/* The feed's output arrays (none between feeds): rows taken go to rows[s_n], recs[s_n]. */
static void s_slots(tx_record_parser *t, tx_row *rows, tx_record *recs)
{
    t->s_rows = rows;
    t->s_recs = recs;
    t->s_n = 0;
    t->s_out = recs;
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
    s_slots(t, NULL, NULL);
    t->s_mode = S_NORMAL;
    s_start(t, offset);
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
    s_slots(t, rows, recs);
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
