/* record.c - the extract's header and the per-record validator of SPEC §2.
 *
 * tx_record_parse is the parser's hot path: one pass splits the record into fields (RFC 4180
 * quoting) and remembers where the known columns' bytes are; then each known column is
 * validated in the record's field order by a hand-written loop. No allocation, no locale, no
 * strtol: every byte is looked at a small, fixed number of times. */
#include "txetl/record.h"

#include <stdbool.h>
#include <string.h>

#include "civil.h"

static const char *const col_names[TX_NCOLS] = {
    [TX_COL_TRANSACTION_ID] = "transaction_id",
    [TX_COL_CUSTOMER_ID] = "customer_id",
    [TX_COL_TRANSACTION_DATE] = "transaction_date",
    [TX_COL_TRANSACTION_AMOUNT] = "transaction_amount",
    [TX_COL_TRANSACTION_CATEGORY] = "transaction_category",
    [TX_COL_PAYMENT_METHOD] = "payment_method",
    [TX_COL_CURRENCY] = "currency",
    [TX_COL_LAST_UPDATED] = "last_updated",
    [TX_COL_OP] = "op",
};

static const bool col_required[TX_NCOLS] = {
    [TX_COL_TRANSACTION_ID] = true,
    [TX_COL_CUSTOMER_ID] = true,
    [TX_COL_TRANSACTION_DATE] = true,
    [TX_COL_TRANSACTION_AMOUNT] = true,
};

static const char *const reject_names[TX_NREJECTS] = {
    [TX_REJ_NONE] = "none",
    [TX_REJ_FIELD_COUNT] = "field_count",
    [TX_REJ_BAD_QUOTE] = "bad_quote",
    [TX_REJ_UNTERMINATED_QUOTE] = "unterminated_quote",
    [TX_REJ_RECORD_TOO_LONG] = "record_too_long",
    [TX_REJ_MISSING_FIELD] = "missing_field",
    [TX_REJ_BAD_TRANSACTION_ID] = "bad_transaction_id",
    [TX_REJ_TRANSACTION_ID_RANGE] = "transaction_id_range",
    [TX_REJ_BAD_CUSTOMER_ID] = "bad_customer_id",
    [TX_REJ_CUSTOMER_ID_RANGE] = "customer_id_range",
    [TX_REJ_BAD_DATE] = "bad_date",
    [TX_REJ_DATE_RANGE] = "date_range",
    [TX_REJ_BAD_AMOUNT] = "bad_amount",
    [TX_REJ_AMOUNT_RANGE] = "amount_range",
    [TX_REJ_CATEGORY_TOO_LONG] = "category_too_long",
    [TX_REJ_PAYMENT_TOO_LONG] = "payment_method_too_long",
    [TX_REJ_BAD_UTF8] = "bad_utf8",
    [TX_REJ_NUL_BYTE] = "nul_byte",
    [TX_REJ_BAD_CURRENCY] = "bad_currency",
    [TX_REJ_BAD_LAST_UPDATED] = "bad_last_updated",
    [TX_REJ_BAD_OP] = "bad_op",
};

const char *tx_reject_name(tx_reject r)
{
    if ((unsigned)r >= TX_NREJECTS)
        return "unknown";
    return reject_names[r];
}

static inline bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static inline unsigned digit(char c)
{
    return (unsigned)((unsigned char)c - '0'); /* > 9 when c is not a digit */
}

static inline bool is_text_col(int col)
{
    return col == TX_COL_TRANSACTION_CATEGORY || col == TX_COL_PAYMENT_METHOD;
}

/* ---- header ------------------------------------------------------------------------------ */

/* ASCII case-insensitive equality of s[0..n) with the NUL-terminated lowercase name. */
static bool name_equals(const char *s, size_t n, const char *name)
{
    size_t i = 0;
    for (; i < n && name[i] != '\0'; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != name[i])
            return false;
    }
    return i == n && name[i] == '\0';
}

/* Appends a name to h->unknown (comma-separated); ends the list with "..." when full. */
static void unknown_append(tx_header *h, const char *s, size_t n)
{
    const size_t cap = sizeof h->unknown;
    size_t used = strlen(h->unknown);
    if (used >= 3 && strcmp(h->unknown + used - 3, "...") == 0)
        return; /* already truncated */
    const size_t sep = used > 0;
    if (used + sep + n + 1 <= cap - 4) {
        if (sep)
            h->unknown[used++] = ',';
        memcpy(h->unknown + used, s, n);
        h->unknown[used + n] = '\0';
    } else if (used + sep + 4 <= cap) {
        memcpy(h->unknown + used, sep ? ",..." : "...", sep + 4);
    }
}

int tx_header_parse(const char *line, size_t len, const char *path, tx_header *h, tx_error *err)
{
    h->nfields = 0;
    for (int c = 0; c < TX_NCOLS; c++)
        h->col_of[c] = -1;
    h->unknown[0] = '\0';
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > TX_RECORD_MAX)
        return tx_error_set(err, TX_EUSAGE, "%s: header line is longer than %u bytes", path,
                            TX_RECORD_MAX);

    const char *p = line, *e = line + len;
    for (;;) {
        if (h->nfields >= TX_HEADER_MAX_COLS)
            return tx_error_set(err, TX_EUSAGE, "%s: header has more than %d columns", path,
                                TX_HEADER_MAX_COLS);
        const char *q = p, *ns, *ne;
        while (q < e && is_blank(*q))
            q++;
        if (q < e && *q == '"') {
            ns = ++q;
            for (;;) {
                const char *dq = memchr(q, '"', (size_t)(e - q));
                if (dq == NULL)
                    return tx_error_set(err, TX_EUSAGE,
                                        "%s: header column %d has an unterminated quote", path,
                                        h->nfields + 1);
                if (dq + 1 < e && dq[1] == '"') {
                    q = dq + 2;
                    continue;
                }
                ne = dq;
                q = dq + 1;
                break;
            }
            while (q < e && is_blank(*q))
                q++;
            if (q < e && *q != ',')
                return tx_error_set(err, TX_EUSAGE,
                                    "%s: header column %d has text after its closing quote",
                                    path, h->nfields + 1);
        } else {
            ns = q;
            while (q < e && *q != ',') {
                if (*q == '"')
                    return tx_error_set(err, TX_EUSAGE,
                                        "%s: header column %d has a quote inside an unquoted "
                                        "name", path, h->nfields + 1);
                q++;
            }
            ne = q;
        }
        while (ns < ne && is_blank(*ns))
            ns++;
        while (ne > ns && is_blank(ne[-1]))
            ne--;

        const size_t n = (size_t)(ne - ns);
        int col = -1;
        for (int c = 0; c < TX_NCOLS; c++)
            if (name_equals(ns, n, col_names[c])) {
                col = c;
                break;
            }
        if (col >= 0) {
            if (h->col_of[col] >= 0)
                return tx_error_set(err, TX_EUSAGE,
                                    "%s: header names column %s twice (columns %d and %d)", path,
                                    col_names[col], h->col_of[col] + 1, h->nfields + 1);
            h->col_of[col] = h->nfields;
        } else if (n > 0) {
            unknown_append(h, ns, n);
        }
        h->nfields++;
        if (q >= e)
            break;
        p = q + 1; /* past the ',' */
    }

    for (int c = 0; c < TX_NCOLS; c++)
        if (col_required[c] && h->col_of[c] < 0)
            return tx_error_set(err, TX_EUSAGE, "%s: header lacks required column %s", path,
                                col_names[c]);
    return TX_OK;
}

/* ---- field validators -------------------------------------------------------------------- */

/* A field's bytes: for quoted fields the text between the quotes, with nesc '""' pairs. */
typedef struct field {
    const char *p;
    uint32_t len;
    uint32_t nesc;
} field;

/* ids: decimal digits, 1 .. INT64_MAX. Returns 0 ok, 1 not a number, 2 out of range. */
static inline int parse_id(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    unsigned sig = 0; /* significant digits seen */
    for (size_t i = 0; i < n; i++) {
        const unsigned d = digit(s[i]);
        if (d > 9)
            return 1;
        if (sig > 0 || d != 0) {
            if (++sig <= 19)
                v = v * 10 + d; /* at most 19 digits: fits in uint64_t */
        }
    }
    if (sig == 0 || sig > 19 || v > (uint64_t)INT64_MAX)
        return 2;
    *out = v;
    return 0;
}

/* Exactly YYYY-MM-DD, a calendar date. Returns false when not. */
static inline bool parse_ymd(const char *s, int *y, int *m, int *d)
{
    const unsigned y0 = digit(s[0]), y1 = digit(s[1]), y2 = digit(s[2]), y3 = digit(s[3]);
    const unsigned m0 = digit(s[5]), m1 = digit(s[6]), d0 = digit(s[8]), d1 = digit(s[9]);
    if ((y0 > 9) | (y1 > 9) | (y2 > 9) | (y3 > 9) | (m0 > 9) | (m1 > 9) | (d0 > 9) | (d1 > 9) ||
        s[4] != '-' || s[7] != '-')
        return false;
    *y = (int)(y0 * 1000 + y1 * 100 + y2 * 10 + y3);
    *m = (int)(m0 * 10 + m1);
    *d = (int)(d0 * 10 + d1);
    return *m >= 1 && *m <= 12 && *d >= 1 && *d <= civil_month_days(*y, *m);
}

static inline tx_reject parse_date(const char *s, size_t n, int32_t *out)
{
    int y, m, d;
    if (n != 10 || !parse_ymd(s, &y, &m, &d))
        return TX_REJ_BAD_DATE;
    if (y < 1970 || y > 2099)
        return TX_REJ_DATE_RANGE;
    *out = civil_days(y, m, d);
    return TX_REJ_NONE;
}

/* [+-] 1-12 digits [. 1-2 digits], exactly in cents. */
static inline tx_reject parse_amount(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    const size_t int_start = i;
    uint64_t v = 0;
    unsigned d;
    while (i < n && (d = digit(s[i])) <= 9) {
        if (i - int_start < 12)
            v = v * 10 + d;
        i++;
    }
    const size_t nint = i - int_start;
    if (nint == 0)
        return TX_REJ_BAD_AMOUNT;
    v *= 100;
    if (i < n) {
        if (s[i] != '.')
            return TX_REJ_BAD_AMOUNT;
        i++;
        if (i < n && (d = digit(s[i])) <= 9) {
            v += d * 10;
            i++;
        } else {
            return TX_REJ_BAD_AMOUNT; /* "5." */
        }
        if (i < n && (d = digit(s[i])) <= 9) {
            v += d;
            i++;
        }
        if (i != n)
            return TX_REJ_BAD_AMOUNT; /* a third fraction digit, or anything else */
    }
    if (nint > 12)
        return TX_REJ_AMOUNT_RANGE;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return TX_REJ_NONE;
}

/* YYYY-MM-DD[ T]HH:MM:SS[.f{1,6}][Z], years 1970..9999, to microseconds since the epoch. */
static inline bool parse_timestamp(const char *s, size_t n, int64_t *out)
{
    int y, mo, d;
    if (n < 19 || !parse_ymd(s, &y, &mo, &d) || y < 1970 || (s[10] != ' ' && s[10] != 'T') ||
        s[13] != ':' || s[16] != ':')
        return false;
    const unsigned h0 = digit(s[11]), h1 = digit(s[12]), i0 = digit(s[14]), i1 = digit(s[15]);
    const unsigned s0 = digit(s[17]), s1 = digit(s[18]);
    if ((h0 > 9) | (h1 > 9) | (i0 > 9) | (i1 > 9) | (s0 > 9) | (s1 > 9))
        return false;
    const unsigned hh = h0 * 10 + h1, mi = i0 * 10 + i1, ss = s0 * 10 + s1;
    if (hh > 23 || mi > 59 || ss > 59)
        return false;
    size_t i = 19;
    int64_t frac = 0;
    if (i < n && s[i] == '.') {
        i++;
        const size_t fs = i;
        unsigned dg;
        while (i < n && i - fs < 6 && (dg = digit(s[i])) <= 9) {
            frac = frac * 10 + dg;
            i++;
        }
        if (i == fs)
            return false;
        for (size_t k = i - fs; k < 6; k++)
            frac *= 10;
    }
    if (i < n && s[i] == 'Z')
        i++;
    if (i != n)
        return false;
    const int64_t secs = (int64_t)civil_days(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss;
    *out = secs * 1000000 + frac;
    return true;
}

/* Valid UTF-8 (no overlongs, surrogates or code points over U+10FFFF) without NUL bytes.
 * Returns TX_REJ_NONE, TX_REJ_NUL_BYTE or TX_REJ_BAD_UTF8, whichever problem comes first. */
static tx_reject check_text(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const unsigned c = s[i];
        if (c < 0x80) {
            if (c == 0)
                return TX_REJ_NUL_BYTE;
            i++;
            continue;
        }
        unsigned need, lo = 0x80, hi = 0xBF;
        if (c < 0xC2)
            return TX_REJ_BAD_UTF8; /* a continuation byte, or an overlong 2-byte lead */
        if (c < 0xE0) {
            need = 1;
        } else if (c < 0xF0) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (c < 0xF5) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* over U+10FFFF */
        } else {
            return TX_REJ_BAD_UTF8;
        }
        if (n - i <= need)
            return TX_REJ_BAD_UTF8; /* truncated */
        if (s[i + 1] < lo || s[i + 1] > hi)
            return TX_REJ_BAD_UTF8;
        for (unsigned k = 2; k <= need; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return TX_REJ_BAD_UTF8;
        i += need + 1;
    }
    return TX_REJ_NONE;
}

/* Copies a text field (un-doubling '""') into dst of capacity cap and validates it. */
static inline tx_reject take_text(const field *f, char *dst, size_t cap, uint8_t *dst_len,
                                  tx_reject too_long)
{
    const size_t n = f->len - f->nesc;
    if (n > cap)
        return too_long;
    if (f->nesc == 0) {
        memcpy(dst, f->p, n);
    } else {
        size_t j = 0;
        for (size_t i = 0; i < f->len; i++) {
            dst[j++] = f->p[i];
            if (f->p[i] == '"')
                i++; /* skip the second quote of the pair */
        }
    }
    memset(dst + n, 0, cap - n); /* the record travels as bytes: keep them deterministic */
    *dst_len = (uint8_t)n;
    return check_text((const unsigned char *)dst, n);
}

/* ---- records ----------------------------------------------------------------------------- */

/* The first ',' or '"' in [q, e), or e. Eight bytes at a time (SWAR): the lowest flagged byte
 * of the "has a zero byte" trick is exact, which is all a search for the first match needs. */
static inline const char *find_comma_or_quote(const char *q, const char *e)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    while (e - q >= 8) {
        uint64_t w;
        memcpy(&w, q, 8);
        const uint64_t c = w ^ (ones * ','), d = w ^ (ones * '"');
        const uint64_t m = (((c - ones) & ~c) | ((d - ones) & ~d)) & highs;
        if (m != 0)
            return q + (__builtin_ctzll(m) >> 3);
        q += 8;
    }
#endif
    while (q < e && *q != ',' && *q != '"')
        q++;
    return q;
}

tx_reject tx_record_parse(const tx_header *h, const char *rec, size_t len, int unterminated,
                          tx_record *out)
{
    if (unterminated)
        return TX_REJ_UNTERMINATED_QUOTE;
    if (len > TX_RECORD_MAX)
        return TX_REJ_RECORD_TOO_LONG;
    /* With every quote closed, a trailing '\r' is outside quotes: the CR of a CRLF. */
    if (len > 0 && rec[len - 1] == '\r')
        len--;

    /* The known columns present, in the record's field order. */
    int order_field[TX_NCOLS + 1], order_col[TX_NCOLS];
    int npresent = 0;
    for (int c = 0; c < TX_NCOLS; c++) {
        const int fi = h->col_of[c];
        if (fi < 0)
            continue;
        int k = npresent++;
        for (; k > 0 && order_field[k - 1] > fi; k--) {
            order_field[k] = order_field[k - 1];
            order_col[k] = order_col[k - 1];
        }
        order_field[k] = fi;
        order_col[k] = c;
    }
    order_field[npresent] = -1; /* sentinel: no field index matches */

    /* Pass 1: split into fields; remember the known ones. Structure problems come first. */
    field fields[TX_NCOLS];
    const char *p = rec;
    const char *const e = rec + len;
    int fi = 0, next = 0;
    for (;;) {
        const int col = order_field[next] == fi ? order_col[next] : -1;
        const bool text = is_text_col(col);
        const char *q = p;
        field f;
        if (!text)
            while (q < e && is_blank(*q))
                q++;
        if (q < e && *q == '"') {
            f.p = ++q;
            f.nesc = 0;
            for (;;) {
                const char *dq = memchr(q, '"', (size_t)(e - q));
                if (dq == NULL)
                    return TX_REJ_UNTERMINATED_QUOTE; /* the caller's flag should have said */
                if (dq + 1 < e && dq[1] == '"') {
                    f.nesc++;
                    q = dq + 2;
                    continue;
                }
                f.len = (uint32_t)(dq - f.p);
                q = dq + 1;
                break;
            }
            if (!text)
                while (q < e && is_blank(*q))
                    q++;
            if (q < e && *q != ',')
                return TX_REJ_BAD_QUOTE;
        } else {
            f.p = q;
            f.nesc = 0;
            q = find_comma_or_quote(q, e);
            if (q < e && *q == '"')
                return TX_REJ_BAD_QUOTE;
            f.len = (uint32_t)(q - f.p);
        }
        if (col >= 0) {
            fields[next] = f;
            next++;
        }
        fi++;
        if (q >= e)
            break;
        if (fi >= h->nfields)
            return TX_REJ_FIELD_COUNT; /* more fields than the header */
        p = q + 1;
    }
    if (fi != h->nfields)
        return TX_REJ_FIELD_COUNT;

    /* Pass 2: validate the known columns in field order. */
    bool have[TX_NCOLS] = {false};
    for (int k = 0; k < npresent; k++) {
        const int col = order_col[k];
        const field *f = &fields[k];
        if (is_text_col(col)) {
            if (f->len == 0)
                continue; /* default: empty */
            tx_reject r = col == TX_COL_TRANSACTION_CATEGORY
                              ? take_text(f, out->category, TX_CATEGORY_MAX, &out->category_len,
                                          TX_REJ_CATEGORY_TOO_LONG)
                              : take_text(f, out->payment, TX_PAYMENT_MAX, &out->payment_len,
                                          TX_REJ_PAYMENT_TOO_LONG);
            if (r != TX_REJ_NONE)
                return r;
            have[col] = true;
            continue;
        }
        /* Non-text: trim spaces and tabs (inside the quotes too). */
        const char *s = f->p;
        size_t n = f->len;
        while (n > 0 && is_blank(*s)) {
            s++;
            n--;
        }
        while (n > 0 && is_blank(s[n - 1]))
            n--;
        if (n == 0) {
            if (col_required[col])
                return TX_REJ_MISSING_FIELD;
            continue; /* default, set below */
        }
        int rc;
        tx_reject r;
        switch (col) {
        case TX_COL_TRANSACTION_ID:
            rc = parse_id(s, n, &out->transaction_id);
            if (rc != 0)
                return rc == 1 ? TX_REJ_BAD_TRANSACTION_ID : TX_REJ_TRANSACTION_ID_RANGE;
            break;
        case TX_COL_CUSTOMER_ID:
            rc = parse_id(s, n, &out->customer_id);
            if (rc != 0)
                return rc == 1 ? TX_REJ_BAD_CUSTOMER_ID : TX_REJ_CUSTOMER_ID_RANGE;
            break;
        case TX_COL_TRANSACTION_DATE:
            r = parse_date(s, n, &out->date);
            if (r != TX_REJ_NONE)
                return r;
            break;
        case TX_COL_TRANSACTION_AMOUNT:
            r = parse_amount(s, n, &out->amount_cents);
            if (r != TX_REJ_NONE)
                return r;
            break;
        case TX_COL_CURRENCY:
            if (n != 3 || (unsigned)(s[0] - 'A') > 25u || (unsigned)(s[1] - 'A') > 25u ||
                (unsigned)(s[2] - 'A') > 25u)
                return TX_REJ_BAD_CURRENCY;
            memcpy(out->currency, s, 3);
            break;
        case TX_COL_LAST_UPDATED:
            if (!parse_timestamp(s, n, &out->last_updated_us))
                return TX_REJ_BAD_LAST_UPDATED;
            break;
        case TX_COL_OP:
            if (n != 1 || (s[0] != 'U' && s[0] != 'D'))
                return TX_REJ_BAD_OP;
            out->op = s[0];
            break;
        default:
            break;
        }
        have[col] = true;
    }

    /* Defaults of empty or absent optional columns. */
    if (!have[TX_COL_TRANSACTION_CATEGORY]) {
        out->category_len = 0;
        memset(out->category, 0, sizeof out->category);
    }
    if (!have[TX_COL_PAYMENT_METHOD]) {
        out->payment_len = 0;
        memset(out->payment, 0, sizeof out->payment);
    }
    if (!have[TX_COL_CURRENCY])
        memcpy(out->currency, "USD", 3);
    if (!have[TX_COL_LAST_UPDATED])
        out->last_updated_us = (int64_t)out->date * INT64_C(86400000000);
    if (!have[TX_COL_OP])
        out->op = 'U';
    return TX_REJ_NONE;
}
