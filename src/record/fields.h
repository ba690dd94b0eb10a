/* fields.h - private to src/record: the value rules of docs/input.md, one function per column kind,
 * applied to a field's bytes once the tokenizer (libcsv) has split the record. static inline:
 * the record parser's per-field callback is the hot path and inlines them. No allocation, no
 * locale, no strtol: every byte is looked at a small, fixed number of times. */
#ifndef TXETL_RECORD_FIELDS_H
#define TXETL_RECORD_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "civil.h"
#include "txetl/record.h"

static inline bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static inline unsigned digit(char c)
{
    return (unsigned)((unsigned char)c - '0'); /* > 9 when c is not a digit */
}

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
/* What follows YYYY-MM-DDTHH:MM:SS (byte 19 on) in a timestamp of n bytes: an optional
 * fraction of 1..6 digits (into *frac, microseconds), an optional 'Z', nothing else. */
static inline bool ts_tail(const char *s, size_t n, int64_t *frac)
{
    size_t i = 19;
    *frac = 0;
    if (i < n && s[i] == '.') {
        i++;
        const size_t fs = i;
        unsigned dg;
        while (i < n && i - fs < 6 && (dg = digit(s[i])) <= 9) {
            *frac = *frac * 10 + dg;
            i++;
        }
        if (i == fs)
            return false;
        for (size_t k = i - fs; k < 6; k++)
            *frac *= 10;
    }
    if (i < n && s[i] == 'Z')
        i++;
    return i == n;
}

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
    int64_t frac = 0;
    if (!ts_tail(s, n, &frac))
        return false;
    const int64_t secs = (int64_t)civil_days(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss;
    *out = secs * 1000000 + frac;
    return true;
}

/* Valid UTF-8 (no overlongs, surrogates or code points over U+10FFFF) without NUL bytes.
 * Returns TX_REJ_NONE, TX_REJ_NUL_BYTE or TX_REJ_BAD_UTF8, whichever problem comes first. */
static inline tx_reject check_text(const unsigned char *s, size_t n)
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

/* Copies a text field's bytes (quotes already un-doubled by the tokenizer) into dst of
 * capacity cap, zero-pads the rest and validates them. */
static inline tx_reject take_text(const char *s, size_t n, char *dst, size_t cap,
                                  uint8_t *dst_len, tx_reject too_long)
{
    if (n > cap)
        return too_long;
    memset(dst, 0, cap); /* the record travels as bytes: keep them deterministic */
    memcpy(dst, s, n);
    *dst_len = (uint8_t)n;
    return check_text((const unsigned char *)dst, n);
}

/* The columns a record must give (docs/input.md): a missing one is missing_field. */
static const bool col_required[TX_NCOLS] = {
    [TX_COL_TRANSACTION_ID] = true,
    [TX_COL_CUSTOMER_ID] = true,
    [TX_COL_TRANSACTION_DATE] = true,
    [TX_COL_TRANSACTION_AMOUNT] = true,
};

/* The reject of an id check's result rc (parse_id's 0, 1 or 2) in id column col. */
static inline tx_reject id_reject(int col, int rc)
{
    if (rc == 0)
        return TX_REJ_NONE;
    if (col == TX_COL_TRANSACTION_ID)
        return rc == 1 ? TX_REJ_BAD_TRANSACTION_ID : TX_REJ_TRANSACTION_ID_RANGE;
    return rc == 1 ? TX_REJ_BAD_CUSTOMER_ID : TX_REJ_CUSTOMER_ID_RANGE;
}

/* Checks the trimmed, non-empty bytes s[0..n) of column col, one of the columns that are
 * neither ids nor text (date, amount, currency, last_updated, op), into out. */
static inline tx_reject check_value(int col, const char *s, size_t n, tx_record *out)
{
    switch (col) {
    case TX_COL_TRANSACTION_DATE:
        return parse_date(s, n, &out->date);
    case TX_COL_TRANSACTION_AMOUNT:
        return parse_amount(s, n, &out->amount_cents);
    case TX_COL_CURRENCY:
        if (n != 3 || (unsigned)(s[0] - 'A') > 25u || (unsigned)(s[1] - 'A') > 25u ||
            (unsigned)(s[2] - 'A') > 25u)
            return TX_REJ_BAD_CURRENCY;
        memcpy(out->currency, s, 3);
        return TX_REJ_NONE;
    case TX_COL_LAST_UPDATED:
        return parse_timestamp(s, n, &out->last_updated_us) ? TX_REJ_NONE
                                                             : TX_REJ_BAD_LAST_UPDATED;
    case TX_COL_OP:
        /* either case; kept as upper case, the letter the rest of txetl compares with */
        if (n != 1 || (s[0] != 'U' && s[0] != 'D' && s[0] != 'u' && s[0] != 'd'))
            return TX_REJ_BAD_OP;
        out->op = s[0] == 'u' ? 'U' : s[0] == 'd' ? 'D' : s[0];
        return TX_REJ_NONE;
    default:
        return TX_REJ_NONE;
    }
}

/* The defaults of the columns a record did not give (bit 1 << tx_col of `have`: it did). */
static inline void set_defaults(tx_record *out, unsigned have)
{
    if (!(have & 1u << TX_COL_TRANSACTION_CATEGORY)) {
        out->category_len = 0;
        memset(out->category, 0, sizeof out->category);
    }
    if (!(have & 1u << TX_COL_PAYMENT_METHOD)) {
        out->payment_len = 0;
        memset(out->payment, 0, sizeof out->payment);
    }
    if (!(have & 1u << TX_COL_CURRENCY))
        memcpy(out->currency, "USD", 3);
    if (!(have & 1u << TX_COL_LAST_UPDATED))
        out->last_updated_us = (int64_t)out->date * INT64_C(86400000000);
    if (!(have & 1u << TX_COL_OP))
        out->op = 'U';
}

#endif
