/* load_format.c - LOAD DATA row formatting without printf (the hot path of every load). */
#include <string.h>

#include "load_internal.h"

const char *const tx_cols_rows =
    "(transaction_id, customer_id, transaction_date, transaction_amount, transaction_category, "
    "payment_method, currency, last_updated)";

int tx_fmt_u64(char *out, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

int tx_fmt_i64(char *out, int64_t v)
{
    if (v < 0) {
        out[0] = '-';
        return 1 + tx_fmt_u64(out + 1, (uint64_t)0 - (uint64_t)v);
    }
    return tx_fmt_u64(out, (uint64_t)v);
}

int tx_fmt_cents(char *out, int64_t cents)
{
    int n = 0;
    uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    if (cents < 0)
        out[n++] = '-';
    n += tx_fmt_u64(out + n, a / 100);
    out[n++] = '.';
    out[n++] = (char)('0' + (a % 100) / 10);
    out[n++] = (char)('0' + a % 10);
    return n;
}

static int fmt2(char *o, int v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
    return 2;
}

int tx_fmt_date(char *o, int32_t days)
{
    int y, m, d;
    tx_civil_from_days(days, &y, &m, &d);
    o[0] = (char)('0' + y / 1000);
    o[1] = (char)('0' + y / 100 % 10);
    o[2] = (char)('0' + y / 10 % 10);
    o[3] = (char)('0' + y % 10);
    o[4] = '-';
    fmt2(o + 5, m);
    o[7] = '-';
    fmt2(o + 8, d);
    return 10;
}

int tx_fmt_timestamp(char *o, int64_t us)
{
    int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    int64_t frac = us - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    int n = tx_fmt_date(o, (int32_t)days);
    o[n++] = ' ';
    n += fmt2(o + n, (int)(sod / 3600));
    o[n++] = ':';
    n += fmt2(o + n, (int)(sod / 60 % 60));
    o[n++] = ':';
    n += fmt2(o + n, (int)(sod % 60));
    o[n++] = '.';
    for (int i = 5; i >= 0; i--) {
        o[n + i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    return n + 6;
}

int tx_fmt_row(tx_buf *b, const tx_record *r)
{
    /* fixed-width parts: at most ~140 bytes; text escapes at most doubling */
    if (tx_buf_reserve(b, 200 + 2 * (TX_CATEGORY_MAX + TX_PAYMENT_MAX)) != TX_OK)
        return TX_ENOMEM;
    char *o = b->p + b->len;
    o += tx_fmt_u64(o, r->transaction_id);
    *o++ = '\t';
    o += tx_fmt_u64(o, r->customer_id);
    *o++ = '\t';
    o += tx_fmt_date(o, r->date);
    *o++ = '\t';
    o += tx_fmt_cents(o, r->amount_cents);
    *o++ = '\t';
    b->len = (size_t)(o - b->p);
    tx_tsv_text(b, r->category, r->category_len);
    b->p[b->len++] = '\t';
    tx_tsv_text(b, r->payment, r->payment_len);
    o = b->p + b->len;
    *o++ = '\t';
    memcpy(o, r->currency, 3);
    o += 3;
    *o++ = '\t';
    o += tx_fmt_timestamp(o, r->last_updated_us);
    *o++ = '\n';
    b->len = (size_t)(o - b->p);
    return TX_OK;
}
