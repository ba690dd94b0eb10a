/* record.c - the extract's header and the per-record parser of SPEC §2.
 *
 * libcsv (csv.h) splits every header and record into fields; callbacks check each field as
 * libcsv hands it over (fields.h), in field order, without copying it. What libcsv's strict
 * mode does not do exactly as txetl's contract (record.h) says is handled here:
 *
 *  - Fast path, one csv_parse + csv_fini per record with libcsv's defaults: a space or tab
 *    next to a field's edges is dropped and a CR or LF outside quotes ends a row. A record
 *    is taken from this pass only when it is provably the same as the contract's reading:
 *    exactly one row, and not one byte dropped (the record's length equals its fields'
 *    bytes + commas + the quotes libcsv removed). Nearly every real record is.
 *  - Exact path, for the rest (blanks at field edges, a stray CR, strict errors): the same
 *    parser, CR and LF made data (csv_set_term_func), and the space rule set per field
 *    (csv_set_space_func): no blanks for text columns (kept byte for byte, a quote after a
 *    blank is bad_quote), libcsv's for the others (trimmed; quotes after leading blanks).
 *    The record is fed up to each comma, so the rule can change where a field ends.
 *
 * Reasons: a strict error is bad_quote, an open quote at csv_fini (CSV_STRICT_FINI)
 * unterminated_quote, and field_count as soon as a field past the header's count begins. */
#include "txetl/record.h"

#include <csv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "parser.h"

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

static inline bool is_text_col(int col)
{
    return col == TX_COL_TRANSACTION_CATEGORY || col == TX_COL_PAYMENT_METHOD;
}

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

/* ---- libcsv set-up ---------------------------------------------------------------------- */

#define HEADER_BLK (64u << 10) /* the header parser's buffer grows in steps of this */

/* A space or terminator function under which no byte is one. */
static int never(unsigned char c)
{
    (void)c;
    return 0;
}

/* ---- header ------------------------------------------------------------------------------ */

typedef struct header_ctx {
    tx_header *h;
    const char *path;
    tx_error *err;
    int rc; /* the first problem a name had */
} header_ctx;

/* libcsv's field callback for a header name. */
static void header_field(void *s, size_t len, void *data)
{
    header_ctx *c = data;
    tx_header *h = c->h;
    if (c->rc != TX_OK)
        return;
    if (h->nfields >= TX_HEADER_MAX_COLS) {
        c->rc = tx_error_set(c->err, TX_EUSAGE, "%s: header has more than %d columns", c->path,
                             TX_HEADER_MAX_COLS);
        return;
    }
    const char *ns = s, *ne = ns + len;
    while (ns < ne && is_blank(*ns))
        ns++;
    while (ne > ns && is_blank(ne[-1]))
        ne--;
    const size_t n = (size_t)(ne - ns);
    int col = -1;
    for (int k = 0; k < TX_NCOLS; k++)
        if (name_equals(ns, n, col_names[k])) {
            col = k;
            break;
        }
    if (col >= 0) {
        if (h->col_of[col] >= 0) {
            c->rc = tx_error_set(c->err, TX_EUSAGE,
                                 "%s: header names column %s twice (columns %d and %d)", c->path,
                                 col_names[col], h->col_of[col] + 1, h->nfields + 1);
            return;
        }
        h->col_of[col] = h->nfields;
    } else if (n > 0) {
        unknown_append(h, ns, n);
    }
    h->nfields++;
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

    /* Names are trimmed like non-text fields (libcsv's blank rule); a CR or LF is data. */
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return tx_error_set(err, TX_ENOMEM, "%s: cannot set up the CSV parser", path);
    csv_set_term_func(&p, never);
    csv_set_blk_size(&p, HEADER_BLK);
    header_ctx c = {h, path, err, TX_OK};
    const size_t done = csv_parse(&p, line, len, header_field, NULL, &c);
    int rc = c.rc;
    if (rc == TX_OK && done < len) {
        if (csv_error(&p) == CSV_ENOMEM)
            rc = tx_error_set(err, TX_ENOMEM, "out of memory parsing the header of %s", path);
        else if (h->nfields >= TX_HEADER_MAX_COLS)
            rc = tx_error_set(err, TX_EUSAGE, "%s: header has more than %d columns", path,
                              TX_HEADER_MAX_COLS);
        else if (p.quoted) /* the strict error came after a closing quote */
            rc = tx_error_set(err, TX_EUSAGE,
                              "%s: header column %d has text after its closing quote", path,
                              h->nfields + 1);
        else
            rc = tx_error_set(err, TX_EUSAGE,
                              "%s: header column %d has a quote inside an unquoted name", path,
                              h->nfields + 1);
    } else if (rc == TX_OK) {
        if (csv_fini(&p, header_field, NULL, &c) != 0)
            rc = h->nfields >= TX_HEADER_MAX_COLS
                     ? tx_error_set(err, TX_EUSAGE, "%s: header has more than %d columns", path,
                                    TX_HEADER_MAX_COLS)
                     : tx_error_set(err, TX_EUSAGE,
                                    "%s: header column %d has an unterminated quote", path,
                                    h->nfields + 1);
        else
            rc = c.rc;
    }
    csv_free(&p);
    if (rc != TX_OK)
        return rc;
    if (h->nfields == 0) /* an empty or blank line: libcsv sees no field, the line holds one */
        h->nfields = 1;

    for (int k = 0; k < TX_NCOLS; k++)
        if (col_required[k] && h->col_of[k] < 0)
            return tx_error_set(err, TX_EUSAGE, "%s: header lacks required column %s", path,
                                col_names[k]);
    return TX_OK;
}

/* ---- records ----------------------------------------------------------------------------- */


int tx_record_parser_new(tx_record_parser **out, tx_error *err)
{
    *out = NULL;
    tx_record_parser *t = calloc(1, sizeof *t);
    if (!t || csv_init(&t->csv, RECORD_OPTS) != 0) {
        free(t);
        return tx_error_set(err, TX_ENOMEM, "out of memory for the CSV parser");
    }
    /* One buffer for the longest field there can be (a field is never longer than its
     * record), allocated now by a one-byte parse: no record will make libcsv grow it. */
    csv_set_blk_size(&t->csv, (size_t)TX_RECORD_MAX + 1);
    if (csv_parse(&t->csv, " ", 1, NULL, NULL, NULL) != 1 ||
        csv_get_buffer_size(&t->csv) < (size_t)TX_RECORD_MAX + 1) {
        csv_free(&t->csv);
        free(t);
        return tx_error_set(err, TX_ENOMEM, "out of memory for the CSV parser's buffer");
    }
    csv_reset(&t->csv);
    /* The stream's parser: its record in progress may reach TX_RECORD_MAX + a piece before
     * the stream hands it to the per-record pass as too long. */
    const size_t sbuf = (size_t)TX_RECORD_MAX + TX_STREAM_PIECE + 1;
    int ok = csv_init(&t->scsv, RECORD_OPTS) == 0;
    if (ok) {
        csv_set_blk_size(&t->scsv, sbuf);
        ok = csv_parse(&t->scsv, " ", 1, NULL, NULL, NULL) == 1 &&
             csv_get_buffer_size(&t->scsv) >= sbuf;
    }
    if (!ok) {
        csv_free(&t->scsv);
        csv_free(&t->csv);
        free(t);
        return tx_error_set(err, TX_ENOMEM, "out of memory for the CSV stream's buffer");
    }
    csv_reset(&t->scsv);
    *out = t;
    return TX_OK;
}

void tx_record_parser_free(tx_record_parser **p)
{
    if (!*p)
        return;
    csv_free(&(*p)->csv);
    csv_free(&(*p)->scsv);
    free(*p);
    *p = NULL;
}

/* Sorts the header's known columns into field order (once per header). */
static void plan(tx_record_parser *t, const tx_header *h)
{
    if (t->plan_valid && memcmp(t->plan_col_of, h->col_of, sizeof h->col_of) == 0)
        return;
    int n = 0;
    for (int c = 0; c < TX_NCOLS; c++) {
        const int fi = h->col_of[c];
        if (fi < 0)
            continue;
        int k = n++;
        for (; k > 0 && t->order_field[k - 1] > fi; k--) {
            t->order_field[k] = t->order_field[k - 1];
            t->order_col[k] = t->order_col[k - 1];
        }
        t->order_field[k] = fi;
        t->order_col[k] = c;
    }
    t->order_field[n] = -1;
    memcpy(t->plan_col_of, h->col_of, sizeof h->col_of);
    t->plan_valid = 1;
}

static void begin(tx_record_parser *t, const tx_header *h, tx_record *out)
{
    plan(t, h);
    t->h = h;
    t->out = out;
    t->fi = t->next = t->rows = 0;
    t->have = 0;
    t->rej = TX_REJ_NONE;
    t->count_quotes = 0;
    t->content = t->quotes = 0;
}

/* Checks the bytes of known column `col` into t->out. */
static inline tx_reject check_field(tx_record_parser *t, int col, const char *s, size_t n)
{
    tx_record *out = t->out;
    if (is_text_col(col)) {
        if (n == 0)
            return TX_REJ_NONE; /* default: empty */
        t->have |= 1u << col;
        return col == TX_COL_TRANSACTION_CATEGORY
                   ? take_text(s, n, out->category, TX_CATEGORY_MAX, &out->category_len,
                               TX_REJ_CATEGORY_TOO_LONG)
                   : take_text(s, n, out->payment, TX_PAYMENT_MAX, &out->payment_len,
                               TX_REJ_PAYMENT_TOO_LONG);
    }
    /* Non-text: trim spaces and tabs (inside the quotes too). */
    while (n > 0 && is_blank(*s)) {
        s++;
        n--;
    }
    while (n > 0 && is_blank(s[n - 1]))
        n--;
    if (n == 0)
        return col_required[col] ? TX_REJ_MISSING_FIELD : TX_REJ_NONE; /* default, in finish */
    t->have |= 1u << col;
    int rc;
    switch (col) {
    case TX_COL_TRANSACTION_ID:
        rc = parse_id(s, n, &out->transaction_id);
        return rc == 0 ? TX_REJ_NONE
                       : rc == 1 ? TX_REJ_BAD_TRANSACTION_ID : TX_REJ_TRANSACTION_ID_RANGE;
    case TX_COL_CUSTOMER_ID:
        rc = parse_id(s, n, &out->customer_id);
        return rc == 0 ? TX_REJ_NONE : rc == 1 ? TX_REJ_BAD_CUSTOMER_ID : TX_REJ_CUSTOMER_ID_RANGE;
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
        if (n != 1 || (s[0] != 'U' && s[0] != 'D'))
            return TX_REJ_BAD_OP;
        out->op = s[0];
        return TX_REJ_NONE;
    default:
        return TX_REJ_NONE;
    }
}

/* libcsv's field callback: counts the field and checks it when it is a known column (until
 * the first bad value; the rest is only counted). */
static void on_field(void *s, size_t len, void *data)
{
    tx_record_parser *t = data;
    const char *f = s;
    t->content += len;
    if (t->count_quotes)
        for (const char *q = memchr(f, '"', len); q; q = memchr(q + 1, '"', (size_t)(f + len - q - 1)))
            t->quotes++;
    const int fi = t->fi++;
    if (fi != t->order_field[t->next])
        return;
    const int col = t->order_col[t->next++];
    if (t->rej == TX_REJ_NONE)
        t->rej = check_field(t, col, f, len);
}

/* libcsv's row callback: a CR or LF outside quotes, or csv_fini, ended a row. */
static void on_row(int c, void *data)
{
    (void)c;
    ((tx_record_parser *)data)->rows++;
}

/* The outcome once every field is in: field count, the first bad value, else defaults. */
static tx_reject finish(tx_record_parser *t)
{
    if (t->fi != t->h->nfields)
        return TX_REJ_FIELD_COUNT;
    if (t->rej != TX_REJ_NONE)
        return t->rej;
    set_defaults(t->out, t->have);
    return TX_REJ_NONE;
}

/* Whether the field libcsv starts next is a text column. */
static inline bool next_is_text(const tx_record_parser *t)
{
    return t->order_field[t->next] == t->fi && is_text_col(t->order_col[t->next]);
}

/* The exact path (see the top of the file): CR and LF are data, blanks are dropped only
 * around non-text fields, the record is fed up to each comma so that the blank rule can be
 * set for the field that starts after it. */
static tx_reject parse_exact(tx_record_parser *t, const tx_header *h, const char *rec,
                             size_t len, tx_record *out)
{
    struct csv_parser *p = &t->csv;
    begin(t, h, out);
    csv_set_term_func(p, never);
    csv_set_space_func(p, next_is_text(t) ? never : NULL);
    tx_reject r = TX_REJ_NONE;
    int ended = 0; /* the reason is known before the end of the record */
    const char *s = rec, *const e = rec + len;
    while (s < e && !ended) {
        const char *comma = memchr(s, ',', (size_t)(e - s));
        const size_t n = comma ? (size_t)(comma + 1 - s) : (size_t)(e - s);
        const int before = t->fi;
        if (csv_parse(p, s, n, on_field, on_row, t) != n) {
            r = t->fi >= h->nfields ? TX_REJ_FIELD_COUNT : TX_REJ_BAD_QUOTE;
            ended = 1;
        } else if (t->fi != before) { /* the comma ended a field: another one begins */
            if (t->fi >= h->nfields) {
                r = TX_REJ_FIELD_COUNT;
                ended = 1;
            } else {
                csv_set_space_func(p, next_is_text(t) ? never : NULL);
            }
        }
        s += n;
    }
    if (!ended) {
        if (csv_fini(p, on_field, on_row, t) != 0) {
            r = TX_REJ_UNTERMINATED_QUOTE;
        } else {
            if (t->fi == 0) { /* only blanks before a non-text first field: one empty field */
                char none[1] = "";
                on_field(none, 0, t);
            }
            r = finish(t);
        }
    }
    csv_reset(p);
    csv_set_term_func(p, NULL);
    csv_set_space_func(p, NULL);
    return r;
}

tx_reject tx_record_parse(tx_record_parser *t, const tx_header *h, const char *rec, size_t len,
                          int unterminated, tx_record *out)
{
    if (unterminated)
        return TX_REJ_UNTERMINATED_QUOTE;
    if (len > TX_RECORD_MAX)
        return TX_REJ_RECORD_TOO_LONG;
    /* With every quote closed, a trailing '\r' is outside quotes: the CR of a CRLF. */
    if (len > 0 && rec[len - 1] == '\r')
        len--;

    /* Fast path: libcsv's defaults, then the proof that nothing was dropped. */
    begin(t, h, out);
    size_t quotes = 0;
    const char *q = len > 0 ? memchr(rec, '"', len) : NULL;
    if (q) {
        t->count_quotes = 1;
        for (; q; q = memchr(q + 1, '"', (size_t)(rec + len - q - 1)))
            quotes++;
    }
    struct csv_parser *p = &t->csv;
    if (csv_parse(p, rec, len, on_field, on_row, t) == len && t->rows == 0) {
        if (csv_fini(p, on_field, on_row, t) == 0 && t->rows == 1 && t->fi > 0 &&
            len == (size_t)(t->fi - 1) + t->content + (quotes - t->quotes))
            return finish(t);
    }
    csv_reset(p);
    return parse_exact(t, h, rec, len, out);
}
