/* load_format.c - LOAD DATA rows and directory blocks, formatted without printf (the hot path
 * of every load) with the formatters of txetl/fmt.h. */
#include <stdint.h>
#include <string.h>

#include "load_internal.h"
#include "txetl/fmt.h"

const char *const tx_cols_rows =
    "(transaction_id, customer_id, transaction_date, transaction_amount, transaction_category, "
    "payment_method, currency, last_updated)";

/* tx_fmt_u64, tx_fmt_i64, tx_fmt_cents, tx_fmt_date and tx_fmt_timestamp are the shared ones of
 * txetl/fmt.h (src/util/fmt.c). */

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

/* A directory block's data column (format TX_DIR_FORMAT = 2): its entries in id order, each
 * "OFF,DAYS,LU_US,DELETED,CENTS,CUR,LEN:CATEGORY,LEN:PAYMENT" (OFF = id - block *
 * TX_DIR_BLOCK; CUR three letters; LEN bytes of text follow each colon, so the texts need no
 * escaping of their own). Format 1 (txetl before payment_method and currency were kept) had
 * "OFF,DAYS,LU_US,DELETED,CENTS,LEN:CATEGORY": its entries fail this parse at CUR, and
 * tx_apply_prepare refuses such a shard before that (shard_state 'directory_format'). */
/* Appends "LEN:" and the text (with LOAD DATA's escapes) at o; returns the new end, or NULL
 * when out of memory. */
static char *put_len_text(tx_buf *buf, char *o, const char *s, uint8_t len)
{
    o += tx_fmt_u64(o, len);
    *o++ = ':';
    buf->len = (size_t)(o - buf->p);
    if (tx_tsv_text(buf, s, len) != TX_OK)
        return NULL;
    return buf->p + buf->len;
}

int tx_fmt_dir_block(tx_buf *buf, const tx_dir_block *b)
{
    if (tx_buf_reserve(buf, 64 + (size_t)b->n * (112 + 2 * (TX_CATEGORY_MAX + TX_PAYMENT_MAX))) !=
        TX_OK)
        return TX_ENOMEM;
    int tomb = 0;
    for (int i = 0; i < b->n; i++)
        tomb += b->st[i].deleted != 0;
    char *o = buf->p + buf->len;
    o += tx_fmt_u64(o, b->block);
    *o++ = '\t';
    o += tx_fmt_u64(o, (uint64_t)b->n);
    *o++ = '\t';
    o += tx_fmt_u64(o, (uint64_t)tomb);
    *o++ = '\t';
    for (int i = 0; i < b->n; i++) {
        const tx_stored *st = &b->st[i];
        o += tx_fmt_u64(o, b->id[i] - b->block * TX_DIR_BLOCK);
        *o++ = ',';
        o += tx_fmt_i64(o, st->date);
        *o++ = ',';
        o += tx_fmt_i64(o, st->last_updated_us);
        *o++ = ',';
        *o++ = st->deleted ? '1' : '0';
        *o++ = ',';
        o += tx_fmt_i64(o, st->amount_cents);
        *o++ = ',';
        memcpy(o, st->currency, 3);
        o += 3;
        *o++ = ',';
        if (!(o = put_len_text(buf, o, st->category, st->category_len)))
            return TX_ENOMEM;
        *o++ = ',';
        if (!(o = put_len_text(buf, o, st->payment, st->payment_len)))
            return TX_ENOMEM;
    }
    *o++ = '\n';
    buf->len = (size_t)(o - buf->p);
    return TX_OK;
}

/* Reads a decimal integer (optional '-') ending at `end_ch`; advances *p past it. */
static int read_int(const char **p, const char *e, char end_ch, int64_t *out)
{
    const char *q = *p;
    int neg = q < e && *q == '-';
    q += neg;
    if (q >= e || *q < '0' || *q > '9')
        return -1;
    uint64_t v = 0;
    while (q < e && *q >= '0' && *q <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*q++ - '0');
    }
    if (q >= e || *q != end_ch || v > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    *p = q + 1;
    return 0;
}

/* Reads "LEN:" and LEN bytes of text (at most max) ending no later than e. */
static int read_text(const char **p, const char *e, size_t max, uint8_t *len, char *out)
{
    int64_t n;
    if (read_int(p, e, ':', &n) || n < 0 || (uint64_t)n > max || n > e - *p)
        return -1;
    *len = (uint8_t)n;
    memcpy(out, *p, (size_t)n);
    *p += n;
    return 0;
}

int tx_parse_dir_block(uint64_t block, const char *data, size_t len, tx_dir_block *out)
{
    const char *p = data, *e = data + len;
    out->block = block;
    out->n = 0;
    while (p < e) {
        int64_t off, days, lu, del, cents;
        if (out->n == TX_DIR_BLOCK || read_int(&p, e, ',', &off) || read_int(&p, e, ',', &days) ||
            read_int(&p, e, ',', &lu) || read_int(&p, e, ',', &del) ||
            read_int(&p, e, ',', &cents))
            return -1;
        if (off < 0 || off >= TX_DIR_BLOCK || (del != 0 && del != 1) || days < INT32_MIN ||
            days > INT32_MAX)
            return -1;
        uint64_t id = block * TX_DIR_BLOCK + (uint64_t)off;
        if (out->n > 0 && id <= out->id[out->n - 1])
            return -1; /* entries are in id order, each once */
        tx_stored *st = &out->st[out->n];
        memset(st, 0, sizeof *st);
        if (e - p < 4 || p[3] != ',')
            return -1;
        for (int i = 0; i < 3; i++)
            if (p[i] < 'A' || p[i] > 'Z')
                return -1;
        memcpy(st->currency, p, 3);
        p += 4;
        if (read_text(&p, e, TX_CATEGORY_MAX, &st->category_len, st->category) || p >= e ||
            *p++ != ',' || read_text(&p, e, TX_PAYMENT_MAX, &st->payment_len, st->payment))
            return -1;
        st->found = 1;
        st->deleted = (int)del;
        st->date = (int32_t)days;
        st->last_updated_us = lu;
        st->amount_cents = cents;
        out->id[out->n++] = id;
    }
    return 0;
}
