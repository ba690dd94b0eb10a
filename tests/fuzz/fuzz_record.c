/* fuzz_record.c - libFuzzer target for the extract's header and record parser (docs/input.md).
 *
 * The input is read like one extract file (as src/extract does): a UTF-8 BOM is skipped, the
 * first line (a '\n' outside quotes ends it) goes to tx_header_parse, and every following
 * record (again split at '\n' outside quotes, empty lines skipped, a quote open at the end =
 * unterminated) goes to tx_record_parse. Besides ASan/UBSan findings it checks what a record
 * accepted as valid must satisfy: ids in 1..INT64_MAX, a date in 1970-01-01..2099-12-31,
 * an amount of at most 12 integer digits, text within its byte limit, valid UTF-8 without NUL
 * (checked here by an independent decoder) and zero-padded, currency A-Z, op U or D,
 * last_updated in 1970..9999; that parsing is deterministic; and that the record stream
 * (tx_record_stream_feed, the cursor's hot path) reads every row it completes as
 * tx_record_parse does. A broken invariant aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txetl/record.h"

#define FUZZ_NAME "fuzz_record"
#include "fuzz.h"

/* Independent UTF-8 check (RFC 3629 by code point value, not by byte ranges). */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], need;
        uint32_t cp, min;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            need = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i <= need)
            return 0; /* truncated sequence */
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

static void check_text(const char *what, const char *buf, size_t cap, uint8_t len)
{
    if (len > cap)
        FAIL("%s length %u over %zu", what, len, cap);
    if (!utf8_ok((const unsigned char *)buf, len))
        FAIL("%s is not valid UTF-8 (or holds NUL)", what);
    for (size_t i = len; i < cap; i++)
        if (buf[i] != 0)
            FAIL("%s byte %zu past its length is not zero", what, i);
}

static void check_valid(const tx_record *r)
{
    if (r->transaction_id < 1 || r->transaction_id > (uint64_t)INT64_MAX)
        FAIL("transaction_id %llu", (unsigned long long)r->transaction_id);
    if (r->customer_id < 1 || r->customer_id > (uint64_t)INT64_MAX)
        FAIL("customer_id %llu", (unsigned long long)r->customer_id);
    if (r->date < tx_days_from_civil(1970, 1, 1) || r->date > tx_days_from_civil(2099, 12, 31))
        FAIL("date %d out of range", r->date);
    int y, m, d;
    tx_civil_from_days(r->date, &y, &m, &d);
    if (tx_days_from_civil(y, m, d) != r->date)
        FAIL("date %d does not round-trip", r->date);
    const int64_t amax = INT64_C(99999999999999); /* 12 integer digits, 2 fraction digits */
    if (r->amount_cents > amax || r->amount_cents < -amax)
        FAIL("amount %lld cents out of range", (long long)r->amount_cents);
    check_text("category", r->category, TX_CATEGORY_MAX, r->category_len);
    check_text("payment_method", r->payment, TX_PAYMENT_MAX, r->payment_len);
    for (int i = 0; i < 3; i++)
        if (r->currency[i] < 'A' || r->currency[i] > 'Z')
            FAIL("currency byte %d is 0x%02x", i, (unsigned char)r->currency[i]);
    if (r->op != 'U' && r->op != 'D')
        FAIL("op 0x%02x", (unsigned char)r->op);
    const int64_t us_max = (int64_t)tx_days_from_civil(10000, 1, 1) * INT64_C(86400000000);
    if (r->last_updated_us < 0 || r->last_updated_us >= us_max)
        FAIL("last_updated %lld us out of range", (long long)r->last_updated_us);
    char buf[32];
    tx_format_date(r->date, buf);
    tx_format_timestamp(r->last_updated_us, buf);
}

/* End (exclusive) of the line starting at p: the first '\n' outside quotes, or e. */
static const char *line_end(const char *p, const char *e, int *open_quote)
{
    int inq = 0;
    for (; p < e; p++) {
        if (*p == '"')
            inq ^= 1;
        else if (*p == '\n' && !inq)
            break;
    }
    *open_quote = inq;
    return p;
}

/* One parser for the whole run, as a cursor keeps one for all its records: state left over
 * from one input (after a strict error, an open quote) must not change the next outcome. */
static tx_record_parser *parser, *sparser;

static int rec_same(const tx_record *a, const tx_record *b)
{
    return a->transaction_id == b->transaction_id && a->customer_id == b->customer_id &&
           a->amount_cents == b->amount_cents && a->last_updated_us == b->last_updated_us &&
           a->date == b->date && memcmp(a->currency, b->currency, 3) == 0 && a->op == b->op &&
           a->category_len == b->category_len && a->payment_len == b->payment_len &&
           memcmp(a->category, b->category, TX_CATEGORY_MAX) == 0 &&
           memcmp(a->payment, b->payment, TX_PAYMENT_MAX) == 0;
}

/* The record stream (the cursor's hot path, its own parser) over the body b[0..n): every row
 * it completes must read as tx_record_parse reads the same bytes (reject and values). Where it
 * stops (TX_STREAM_SLOW) the record is skipped by its quote parity, as the cursor's per-record
 * pass would take it, and the stream begins again after it. */
static void check_stream(const tx_header *h, const char *b, size_t n)
{
    static tx_row rows[TX_STREAM_ROWS];
    static tx_record recs[TX_STREAM_ROWS];
    uint64_t at = 0, line = 2;
    while (at < n) {
        tx_record_stream_begin(sparser, h, at, line, n);
        tx_stream_status st = TX_STREAM_MORE;
        uint64_t rs = at, fed = at;
        while (st == TX_STREAM_MORE && fed < n) {
            const uint64_t to = n - fed > TX_STREAM_PIECE ? fed + TX_STREAM_PIECE : n;
            size_t k = 0;
            st = tx_record_stream_feed(sparser, b, 0, to, rows, recs, &k);
            for (size_t i = 0; i < k; i++) {
                tx_record want;
                const tx_reject wr =
                    tx_record_parse(parser, h, b + rows[i].offset, rows[i].len, 0, &want);
                if (wr != rows[i].reject)
                    FAIL("stream row at %llu (%zu bytes): %s, tx_record_parse: %s",
                         (unsigned long long)rows[i].offset, rows[i].len,
                         tx_reject_name(rows[i].reject), tx_reject_name(wr));
                if (wr == TX_REJ_NONE && !rec_same(&recs[i], &want))
                    FAIL("stream row at %llu: values differ from tx_record_parse's",
                         (unsigned long long)rows[i].offset);
            }
            tx_record_stream_at(sparser, &rs, &line, &fed);
        }
        if (st != TX_STREAM_SLOW || rs >= n)
            break;
        int inq;
        const char *le = line_end(b + rs, b + n, &inq);
        at = (uint64_t)(le - b) + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!parser) {
        tx_error perr = {0};
        if (tx_record_parser_new(&parser, &perr) != TX_OK ||
            tx_record_parser_new(&sparser, &perr) != TX_OK)
            FAIL("tx_record_parser_new: %s", perr.msg);
    }
    const char *p = (const char *)data, *e = p + size;
    if (size >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    int inq;
    const char *le = line_end(p, e, &inq);
    if (le == e && inq)
        return 0; /* the extract fails the file: header has an unterminated quote */
    size_t hlen = (size_t)(le - p);
    if (hlen > 0 && p[hlen - 1] == '\r')
        hlen--;
    /* The parser must not read past len: hand it an exact-size heap copy (ASan sees over-reads). */
    char *hcopy = malloc(hlen ? hlen : 1);
    if (!hcopy)
        return 0;
    memcpy(hcopy, p, hlen);
    tx_header h;
    tx_error err = {0};
    int rc = tx_header_parse(hcopy, hlen, "fuzz.csv", &h, &err);
    free(hcopy);
    if (rc != TX_OK) {
        if (err.msg[0] == '\0' || strstr(err.msg, "fuzz.csv") == NULL)
            FAIL("header error without a message naming the file: '%s'", err.msg);
        return 0;
    }
    if (h.nfields < 1 || h.nfields > TX_HEADER_MAX_COLS)
        FAIL("header nfields %d", h.nfields);
    for (int c = 0; c < TX_NCOLS; c++)
        if (h.col_of[c] >= h.nfields)
            FAIL("column %d at field %d of %d", c, h.col_of[c], h.nfields);
    if (memchr(h.unknown, '\0', sizeof h.unknown) == NULL)
        FAIL("unknown-column list not terminated");

    p = le < e ? le + 1 : e;
    if (p < e) { /* the body in an exact-size heap copy: the stream must not read past it */
        char *body = malloc((size_t)(e - p));
        if (!body)
            return 0;
        memcpy(body, p, (size_t)(e - p));
        check_stream(&h, body, (size_t)(e - p));
        free(body);
    }
    while (p < e) {
        le = line_end(p, e, &inq);
        size_t len = (size_t)(le - p);
        int unterminated = le == e && inq;
        if (len == 0 || (len == 1 && p[0] == '\r')) {
            p = le + 1;
            continue;
        }
        char *rec = malloc(len);
        if (!rec)
            return 0;
        memcpy(rec, p, len);
        tx_record a, b;
        memset(&a, 0xA5, sizeof a);
        memset(&b, 0x5A, sizeof b);
        tx_reject ra = tx_record_parse(parser, &h, rec, len, unterminated, &a);
        tx_reject rb = tx_record_parse(parser, &h, rec, len, unterminated, &b);
        free(rec);
        if ((unsigned)ra >= TX_NREJECTS || strcmp(tx_reject_name(ra), "unknown") == 0)
            FAIL("reject code %d", (int)ra);
        if (ra != rb)
            FAIL("parsing twice gave %s then %s", tx_reject_name(ra), tx_reject_name(rb));
        if (unterminated && ra != TX_REJ_UNTERMINATED_QUOTE)
            FAIL("unterminated record gave %s", tx_reject_name(ra));
        if (ra == TX_REJ_NONE) {
            check_valid(&a);
            /* every field but offset and file_index is set: the parses (into differently
             * pre-filled records) agree on all of them */
            if (a.transaction_id != b.transaction_id || a.customer_id != b.customer_id ||
                a.amount_cents != b.amount_cents || a.last_updated_us != b.last_updated_us ||
                a.date != b.date || memcmp(a.currency, b.currency, 3) != 0 || a.op != b.op ||
                a.category_len != b.category_len || a.payment_len != b.payment_len ||
                memcmp(a.category, b.category, TX_CATEGORY_MAX) != 0 ||
                memcmp(a.payment, b.payment, TX_PAYMENT_MAX) != 0)
                FAIL("a field of a valid record was left unset (depends on prior contents)");
        }
        p = le + 1;
    }
    return 0;
}
