/* test_dirblock.c - the directory's block encoding (src/load/load_format.c): what
 * tx_fmt_dir_block writes for LOAD DATA, unescaped as the server stores it, reads back through
 * tx_parse_dir_block to the same entries (format 2: currency and payment_method too); malformed
 * data, and entries of format 1, are refused, never misread. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "load_internal.h"

/* LOAD DATA's unescaping of one field (ESCAPED BY '\\'). */
static size_t unescape(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            char c = s[++i];
            out[o++] = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == '0' ? '\0' : c;
        } else {
            out[o++] = s[i];
        }
    }
    return o;
}

static void entry(tx_dir_block *b, uint64_t id, int32_t days, int64_t lu, int del, int64_t cents,
                  const char *cat, size_t clen, const char *pay, size_t plen, const char *cur)
{
    int i = b->n++;
    b->id[i] = id;
    memset(&b->st[i], 0, sizeof b->st[i]);
    b->st[i].found = 1;
    b->st[i].deleted = del;
    b->st[i].date = days;
    b->st[i].last_updated_us = lu;
    b->st[i].amount_cents = cents;
    b->st[i].category_len = (uint8_t)clen;
    memcpy(b->st[i].category, cat, clen);
    b->st[i].payment_len = (uint8_t)plen;
    memcpy(b->st[i].payment, pay, plen);
    memcpy(b->st[i].currency, cur, 3);
}

/* Formats b, checks the line's columns, unescapes the data column and parses it back. */
static void round_trip(const char *what, const tx_dir_block *b)
{
    tx_buf buf = {0};
    CHECK(tx_fmt_dir_block(&buf, b) == TX_OK);
    CHECK_MSG(buf.len > 0 && buf.p[buf.len - 1] == '\n', "%s: line not ended", what);
    /* block \t entries \t tombstones \t data \n; the data's own tabs are escaped */
    char *t1 = memchr(buf.p, '\t', buf.len);
    char *t2 = t1 ? memchr(t1 + 1, '\t', buf.len - (size_t)(t1 + 1 - buf.p)) : NULL;
    char *t3 = t2 ? memchr(t2 + 1, '\t', buf.len - (size_t)(t2 + 1 - buf.p)) : NULL;
    CHECK_MSG(t1 && t2 && t3, "%s: fewer than 4 columns", what);
    if (!t3) {
        tx_buf_free(&buf);
        return;
    }
    CHECK(memchr(t3 + 1, '\t', buf.len - (size_t)(t3 + 1 - buf.p)) == NULL);
    CHECK(strtoull(buf.p, NULL, 10) == b->block);
    CHECK(strtol(t1 + 1, NULL, 10) == b->n);
    int tomb = 0;
    for (int i = 0; i < b->n; i++)
        tomb += b->st[i].deleted;
    CHECK(strtol(t2 + 1, NULL, 10) == tomb);
    size_t dlen = (size_t)(buf.p + buf.len - 1 - (t3 + 1));
    char *data = malloc(dlen + 1);
    size_t n = unescape(t3 + 1, dlen, data);
    tx_dir_block back;
    memset(&back, 0xab, sizeof back);
    CHECK_MSG(tx_parse_dir_block(b->block, data, n, &back) == 0, "%s: parse failed", what);
    CHECK_MSG(back.n == b->n, "%s: %d entries back, %d written", what, back.n, b->n);
    for (int i = 0; i < b->n && i < back.n; i++) {
        CHECK_MSG(back.id[i] == b->id[i], "%s: entry %d id", what, i);
        CHECK_MSG(memcmp(&back.st[i], &b->st[i], sizeof back.st[i]) == 0, "%s: entry %d", what, i);
    }
    free(data);
    tx_buf_free(&buf);
}

static void refused(const char *what, uint64_t block, const char *data)
{
    tx_dir_block b;
    CHECK_MSG(tx_parse_dir_block(block, data, strlen(data), &b) == -1, "%s accepted", what);
}

int main(void)
{
    tx_dir_block b;
    memset(&b, 0, sizeof b);
    b.block = 7;
    round_trip("empty block", &b);

    /* texts that need LOAD DATA escapes or look like the encoding's own separators */
    static const char tricky[][TX_CATEGORY_MAX] = {
        "tab\there", "new\nline", "back\\slash", "comma,colon:semi;", "12,5:x", "CR\rLF",
        "\xc3\xa9lectrom\xc3\xa9nager", "\xe5\xae\xb6\xe9\x9b\xbb", "", "quote\"\"d",
    };
    static const char curs[][4] = {"USD", "EUR", "JPY", "GBP", "ZZZ", "AAA", "CHF", "USD",
                                   "SEK", "NOK"};
    memset(&b, 0, sizeof b);
    b.block = UINT64_MAX / TX_DIR_BLOCK; /* the last block: ids up to UINT64_MAX */
    for (int i = 0; i < 10; i++) {
        const char *pay = tricky[(i + 3) % 10]; /* payment texts as tricky, at most 32 bytes */
        entry(&b, b.block * TX_DIR_BLOCK + (uint64_t)i + (i > 4 ? 5 : 0), -719468 + i * 1000,
              (i % 2 ? -1 : 1) * (INT64_C(1700000000000000) + i), i % 3 == 0, i * -12345 + 7,
              tricky[i], strlen(tricky[i]), pay, strlen(pay), curs[i]);
    }
    round_trip("tricky texts, extreme values", &b);

    char full[TX_CATEGORY_MAX], fullp[TX_PAYMENT_MAX];
    memset(full, 'x', sizeof full);
    memset(fullp, ',', sizeof fullp); /* the encoding's separator, 32 times */
    memset(&b, 0, sizeof b);
    b.block = 123456789;
    for (int i = 0; i < TX_DIR_BLOCK; i++)
        entry(&b, b.block * TX_DIR_BLOCK + (uint64_t)i, 19000 + i, INT64_MAX - i, 1, INT64_MIN + 1,
              full, sizeof full, fullp, sizeof fullp, "EUR");
    round_trip("16 entries, 64-byte categories, 32-byte payments, all tombstones", &b);

    /* empty texts and a payment that looks like the next entry */
    memset(&b, 0, sizeof b);
    b.block = 0;
    entry(&b, 1, 0, 0, 0, 0, "", 0, "", 0, "USD");
    entry(&b, 2, 1, 1, 0, 1, "", 0, "3,1,2,0,3,USD,0:,0:", 19, "USD");
    entry(&b, 15, 2, 2, 0, 2, "a", 1, "", 0, "XAF");
    round_trip("empty texts, a payment that looks like an entry", &b);

    /* what goes in comes back: the parsed entry has the currency and payment written */
    tx_dir_block back;
    CHECK(tx_parse_dir_block(1, "0,1,2,0,3,EUR,4:home,4:card", 27, &back) == 0 && back.n == 1);
    CHECK(back.n == 1 && !memcmp(back.st[0].currency, "EUR", 3) && back.st[0].payment_len == 4 &&
          !memcmp(back.st[0].payment, "card", 4) && back.st[0].category_len == 4);

    refused("a format-1 entry (no currency, no payment)", 1, "0,1,2,0,3,5:books");
    refused("a format-1 entry with an empty category", 1, "0,1,2,0,3,0:");
    refused("an entry without its category", 1, "0,1,2,0,3,USD,");
    refused("an entry without its payment", 1, "0,1,2,0,3,USD,0:");
    refused("an entry without the comma before its payment", 1, "0,1,2,0,3,USD,0:0:");
    refused("a category longer than its length", 1, "0,1,2,0,3,USD,2:abc,0:");
    refused("a category shorter than its length", 1, "0,1,2,0,3,USD,5:ab,0:");
    refused("a payment shorter than its length", 1, "0,1,2,0,3,USD,0:,5:ab");
    refused("a lower-case currency", 1, "0,1,2,0,3,usd,0:,0:");
    refused("a two-letter currency", 1, "0,1,2,0,3,US,0:,0:");
    refused("offset 16 in a block of 16", 1, "16,1,2,0,3,USD,0:,0:");
    refused("ids out of order", 1, "3,1,2,0,3,USD,0:,0:1,1,2,0,3,USD,0:,0:");
    refused("an id twice", 1, "3,1,2,0,3,USD,0:,0:3,1,2,0,3,USD,0:,0:");
    refused("deleted 2", 1, "0,1,2,2,3,USD,0:,0:");
    refused("a day out of int32", 1, "0,99999999999,2,0,3,USD,0:,0:");
    refused("a non-number", 1, "0,1,x,0,3,USD,0:,0:");
    refused("a category over 64 bytes", 1, "0,1,2,0,3,USD,65:,0:");
    refused("a payment over 32 bytes", 1, "0,1,2,0,3,USD,0:,33:");
    return check_report("test_dirblock");
}
