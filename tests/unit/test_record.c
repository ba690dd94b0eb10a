/* test_record.c - docs/input.md validation: header matching, every reject reason, boundary values,
 * quoting, defaults, the calendar helpers, and the stream against the per-record parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "txetl/record.h"

#define STD_HEADER                                                                                 \
    "transaction_id,customer_id,transaction_date,transaction_amount,transaction_category,"         \
    "payment_method,currency,last_updated,op"

static tx_header std_h;
static tx_record_parser *parser; /* one for every test, as a cursor has */

static void header_or_die(tx_header *h, const char *line)
{
    tx_error err;
    tx_error_clear(&err);
    int rc = tx_header_parse(line, strlen(line), "test.csv", h, &err);
    CHECK_MSG(rc == TX_OK, "header %s: %s", line, err.msg);
}

static tx_reject parse_n(const tx_header *h, const char *rec, size_t len, tx_record *out)
{
    memset(out, 0xAB, sizeof *out);
    return tx_record_parse(parser, h, rec, len, 0, out);
}

static tx_reject parse_h(const tx_header *h, const char *rec, tx_record *out)
{
    return parse_n(h, rec, strlen(rec), out);
}

static tx_reject parse(const char *rec, tx_record *out)
{
    return parse_h(&std_h, rec, out);
}

/* A standard-header record whose field `idx` is replaced by `val`. */
static const char *with_field(int idx, const char *val)
{
    static const char *base[TX_NCOLS] = {"1",      "2",   "2024-01-02", "10.00",
                                         "food",   "card", "EUR",       "2024-01-02 03:04:05",
                                         "U"};
    static char buf[4096];
    size_t n = 0;
    for (int i = 0; i < TX_NCOLS; i++) {
        const char *v = i == idx ? val : base[i];
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? "," : "", v);
    }
    return buf;
}

#define EXPECT(rec, reason)                                                                        \
    do {                                                                                           \
        tx_record r_;                                                                              \
        const char *s_ = (rec);                                                                    \
        tx_reject got_ = parse(s_, &r_);                                                           \
        CHECK_MSG(got_ == (reason), "[%s]: got %s, want %s", s_, tx_reject_name(got_),             \
                  tx_reject_name(reason));                                                         \
    } while (0)

#define EXPECT_FIELD(idx, val, reason) EXPECT(with_field((idx), (val)), (reason))

/* Each of the values, in field idx of a standard record, is rejected with `reason`. */
static void expect_each(int idx, tx_reject reason, const char *const *vals)
{
    for (; *vals; vals++)
        EXPECT_FIELD(idx, *vals, reason);
}
#define EXPECT_EACH(idx, reason, ...)                                                              \
    expect_each((idx), (reason), (const char *const[]){__VA_ARGS__, NULL})

static void test_reject_names(void)
{
    CHECK(strcmp(tx_reject_name(TX_REJ_NONE), "none") == 0);
    CHECK(strcmp(tx_reject_name(TX_REJ_FIELD_COUNT), "field_count") == 0);
    CHECK(strcmp(tx_reject_name(TX_REJ_BAD_DATE), "bad_date") == 0);
    CHECK(strcmp(tx_reject_name(TX_REJ_AMOUNT_RANGE), "amount_range") == 0);
    CHECK(strcmp(tx_reject_name(TX_REJ_PAYMENT_TOO_LONG), "payment_method_too_long") == 0);
    CHECK(strcmp(tx_reject_name(TX_REJ_BAD_OP), "bad_op") == 0);
    for (int r = 0; r < TX_NREJECTS; r++) {
        const char *n = tx_reject_name((tx_reject)r);
        CHECK_MSG(n != NULL && n[0] != '\0', "reason %d has no name", r);
        for (int q = 0; q < r; q++)
            CHECK_MSG(strcmp(n, tx_reject_name((tx_reject)q)) != 0, "%s twice", n);
    }
}

static void test_header(void)
{
    tx_header h;
    tx_error err;

    header_or_die(&h, STD_HEADER);
    CHECK(h.nfields == 9);
    for (int c = 0; c < TX_NCOLS; c++)
        CHECK(h.col_of[c] == c);
    CHECK(h.unknown[0] == '\0');

    /* Any order, any case, unknown columns, quoted and padded names, CRLF. */
    header_or_die(&h, "Extra, OP ,\"Transaction_Amount\",CUSTOMER_ID,  \"store id\" ,"
                      "transaction_DATE,\tTransaction_ID\t,zz\r");
    CHECK(h.nfields == 8);
    CHECK(h.col_of[TX_COL_OP] == 1);
    CHECK(h.col_of[TX_COL_TRANSACTION_AMOUNT] == 2);
    CHECK(h.col_of[TX_COL_CUSTOMER_ID] == 3);
    CHECK(h.col_of[TX_COL_TRANSACTION_DATE] == 5);
    CHECK(h.col_of[TX_COL_TRANSACTION_ID] == 6);
    CHECK(h.col_of[TX_COL_TRANSACTION_CATEGORY] == -1);
    CHECK(h.col_of[TX_COL_CURRENCY] == -1);
    CHECK_MSG(strcmp(h.unknown, "Extra,store id,zz") == 0, "unknown = [%s]", h.unknown);

    /* Missing required column: TX_EUSAGE naming the file and the column. */
    tx_error_clear(&err);
    const char *miss = "transaction_id,customer_id,transaction_amount";
    CHECK(tx_header_parse(miss, strlen(miss), "data/part1.csv", &h, &err) == TX_EUSAGE);
    CHECK(err.status == TX_EUSAGE);
    CHECK_MSG(strstr(err.msg, "data/part1.csv") != NULL, "%s", err.msg);
    CHECK_MSG(strstr(err.msg, "transaction_date") != NULL, "%s", err.msg);

    /* A near-miss name is unknown, not a match. */
    tx_error_clear(&err);
    const char *near = "transaction_id,customer_id,transaction_date,transaction_amount_x";
    CHECK(tx_header_parse(near, strlen(near), "f.csv", &h, &err) == TX_EUSAGE);
    CHECK_MSG(strstr(err.msg, "transaction_amount") != NULL, "%s", err.msg);

    /* Duplicate known column. */
    tx_error_clear(&err);
    const char *dup = STD_HEADER ",Customer_ID";
    CHECK(tx_header_parse(dup, strlen(dup), "dup.csv", &h, &err) == TX_EUSAGE);
    CHECK_MSG(strstr(err.msg, "dup.csv") != NULL && strstr(err.msg, "customer_id") != NULL,
              "%s", err.msg);

    /* Duplicate unknown columns are fine. */
    header_or_die(&h, STD_HEADER ",note,note");
    CHECK(h.nfields == 11);

    /* Broken quoting in the header. */
    tx_error_clear(&err);
    const char *bq = STD_HEADER ",\"open";
    CHECK(tx_header_parse(bq, strlen(bq), "q.csv", &h, &err) == TX_EUSAGE);
    tx_error_clear(&err);
    const char *bq2 = STD_HEADER ",a\"b";
    CHECK(tx_header_parse(bq2, strlen(bq2), "q.csv", &h, &err) == TX_EUSAGE);

    /* Too many columns. */
    size_t cap = 16 + 2 * (TX_HEADER_MAX_COLS + 1) + sizeof STD_HEADER;
    char *wide = malloc(cap);
    size_t n = (size_t)snprintf(wide, cap, "%s", STD_HEADER);
    for (int i = TX_NCOLS; i <= TX_HEADER_MAX_COLS; i++) {
        wide[n++] = ',';
        wide[n++] = 'x';
    }
    tx_error_clear(&err);
    CHECK(tx_header_parse(wide, n, "wide.csv", &h, &err) == TX_EUSAGE);
    CHECK(strstr(err.msg, "wide.csv") != NULL);
    /* Exactly TX_HEADER_MAX_COLS columns is fine, and the unknown list is truncated. */
    tx_error_clear(&err);
    CHECK(tx_header_parse(wide, n - 2, "wide.csv", &h, &err) == TX_OK);
    CHECK(h.nfields == TX_HEADER_MAX_COLS);
    CHECK(strlen(h.unknown) < sizeof h.unknown);
    CHECK(strstr(h.unknown, "...") != NULL);
    free(wide);
}

static void test_valid_record(void)
{
    tx_record r;
    CHECK(parse("42,7,2024-01-02,12.34,food,card,EUR,2024-01-02 03:04:05,D", &r) == TX_REJ_NONE);
    CHECK(r.transaction_id == 42);
    CHECK(r.customer_id == 7);
    CHECK(r.date == tx_days_from_civil(2024, 1, 2));
    CHECK(r.date == 19724);
    CHECK(r.amount_cents == 1234);
    CHECK(r.category_len == 4 && memcmp(r.category, "food", 4) == 0);
    CHECK(r.payment_len == 4 && memcmp(r.payment, "card", 4) == 0);
    CHECK(memcmp(r.currency, "EUR", 3) == 0);
    CHECK(r.last_updated_us == ((int64_t)19724 * 86400 + 3 * 3600 + 4 * 60 + 5) * 1000000);
    CHECK(r.op == 'D');
    /* Text bytes after the length are zeroed (records travel as bytes). */
    CHECK(r.category[4] == 0 && r.category[TX_CATEGORY_MAX - 1] == 0);
    CHECK(r.payment[4] == 0 && r.payment[TX_PAYMENT_MAX - 1] == 0);

    /* Defaults of empty optional fields. */
    CHECK(parse("1,2,2024-01-02,5,,,,,", &r) == TX_REJ_NONE);
    CHECK(r.category_len == 0 && r.payment_len == 0);
    CHECK(r.category[0] == 0 && r.payment[0] == 0);
    CHECK(memcmp(r.currency, "USD", 3) == 0);
    CHECK(r.last_updated_us == (int64_t)19724 * 86400 * 1000000);
    CHECK(r.op == 'U');
    CHECK(r.amount_cents == 500);
    /* Blank (spaces/tabs) non-text optional fields are empty too; quoted empty text too. */
    CHECK(parse("1,2,2024-01-02,5,\"\",\"\", \t,  ,\" \"", &r) == TX_REJ_NONE);
    CHECK(memcmp(r.currency, "USD", 3) == 0 && r.op == 'U' && r.category_len == 0);

    /* Absent optional columns: defaults; unknown columns ignored whatever they hold. */
    tx_header h;
    header_or_die(&h, "note,TRANSACTION_AMOUNT,transaction_date,\"customer_id\",transaction_id");
    CHECK(parse_h(&h, "any \"thing\" here?,-3.5,2099-12-31,9,8", &r) == TX_REJ_BAD_QUOTE);
    CHECK(parse_h(&h, "\"x,y\"\"z\",-3.5,2099-12-31,9,8", &r) == TX_REJ_NONE);
    CHECK(r.transaction_id == 8 && r.customer_id == 9 && r.amount_cents == -350);
    CHECK(r.date == tx_days_from_civil(2099, 12, 31));
    CHECK(memcmp(r.currency, "USD", 3) == 0 && r.op == 'U');
    CHECK(r.category_len == 0 && r.payment_len == 0);
    CHECK(r.last_updated_us == (int64_t)r.date * 86400 * 1000000);
}

static void test_structure(void)
{
    tx_record r;
    /* field_count */
    EXPECT("1,2,2024-01-02,5,,,,", TX_REJ_FIELD_COUNT);
    EXPECT("1,2,2024-01-02,5,,,,,,", TX_REJ_FIELD_COUNT);
    EXPECT("", TX_REJ_FIELD_COUNT);
    EXPECT("x,2", TX_REJ_FIELD_COUNT); /* structure before values */
    /* bad_quote */
    EXPECT("1,2,2024-01-02,5,fo\"od,card,EUR,,U", TX_REJ_BAD_QUOTE);
    EXPECT("1,2,2024-01-02,5,\"food\"x,card,EUR,,U", TX_REJ_BAD_QUOTE);
    EXPECT("1,2,2024-01-02,5,\"food\" ,card,EUR,,U", TX_REJ_BAD_QUOTE); /* text: nothing after */
    EXPECT("1,2,2024-01-02,5, \"food\",card,EUR,,U", TX_REJ_BAD_QUOTE); /* text: no lead */
    EXPECT("1\"2,2,2024-01-02,5,,,,,", TX_REJ_BAD_QUOTE);
    EXPECT("\"1\"x,2,2024-01-02,5,,,,,", TX_REJ_BAD_QUOTE);
    EXPECT("bad,2,2024-01-02,5,\"x\"y,,,,", TX_REJ_BAD_QUOTE); /* quote problems first */
    /* unterminated_quote: flagged by the caller, or found open at the end anyway. */
    const char *open = "1,2,2024-01-02,5,\"food,card,EUR,,U";
    CHECK(tx_record_parse(parser, &std_h, open, strlen(open), 1, &r) == TX_REJ_UNTERMINATED_QUOTE);
    CHECK(parse(open, &r) == TX_REJ_UNTERMINATED_QUOTE);
    /* record_too_long */
    size_t big = TX_RECORD_MAX + 1;
    char *buf = malloc(big);
    memset(buf, 'a', big);
    memcpy(buf, "1,2,2024-01-02,5,", 17);
    memset(buf + big - 4, ',', 4);
    CHECK(parse_n(&std_h, buf, big, &r) == TX_REJ_RECORD_TOO_LONG);
    free(buf);

    /* A stray quote is found at every position of a long unquoted field (word-wise scan). */
    for (int pos = 1; pos < 40; pos++) {
        char val[48];
        memset(val, 'x', 40);
        val[40] = '\0';
        val[pos] = '"';
        EXPECT_FIELD(4, val, TX_REJ_BAD_QUOTE);
        val[pos] = 'y';
        CHECK(parse(with_field(4, val), &r) == TX_REJ_NONE && r.category_len == 40);
        CHECK(parse(with_field(8, val), &r) == TX_REJ_BAD_OP);
    }

    /* Quoted non-text fields: leading/trailing blanks outside and inside the quotes. */
    CHECK(parse("  \" 12 \"  ,\"2\",\"2024-01-02\",\" 12.30 \",,,\"EUR\",,\"D\"", &r) ==
          TX_REJ_NONE);
    CHECK(r.transaction_id == 12 && r.customer_id == 2 && r.amount_cents == 1230);
    CHECK(memcmp(r.currency, "EUR", 3) == 0 && r.op == 'D');
    /* A doubled quote inside a non-text field is a bad value, not a structure problem. */
    EXPECT("\"1\"\"\",2,2024-01-02,5,,,,,", TX_REJ_BAD_TRANSACTION_ID);
    EXPECT("\"\"\"\",2,2024-01-02,5,,,,,", TX_REJ_BAD_TRANSACTION_ID);

    /* Quoted commas, quotes and newlines in text; text is not trimmed. */
    CHECK(parse("1,2,2024-01-02,5,\"a,b \"\"c\"\"\nd\r\ne\",\" card \",,,", &r) == TX_REJ_NONE);
    CHECK(r.category_len == 12 && memcmp(r.category, "a,b \"c\"\nd\r\ne", 12) == 0);
    CHECK(r.payment_len == 6 && memcmp(r.payment, " card ", 6) == 0);
    CHECK(parse("1,2,2024-01-02,5, food\t,\tcash,,,", &r) == TX_REJ_NONE);
    CHECK(r.category_len == 6 && memcmp(r.category, " food\t", 6) == 0);
    CHECK(r.payment_len == 5 && memcmp(r.payment, "\tcash", 5) == 0);

    /* CRLF: the trailing CR is dropped, also after a closing quote and after a text field. */
    CHECK(parse("1,2,2024-01-02,5,,,,,D\r", &r) == TX_REJ_NONE && r.op == 'D');
    CHECK(parse("1,2,2024-01-02,5,,,,,\"D\"\r", &r) == TX_REJ_NONE && r.op == 'D');
    CHECK(parse("1,2,2024-01-02,5,,,,,\r", &r) == TX_REJ_NONE && r.op == 'U');
    tx_header h;
    header_or_die(&h, "transaction_id,customer_id,transaction_date,transaction_amount,"
                      "transaction_category\r");
    CHECK(parse_h(&h, "1,2,2024-01-02,5,food\r", &r) == TX_REJ_NONE);
    CHECK(r.category_len == 4 && memcmp(r.category, "food", 4) == 0);
    CHECK(parse_h(&h, "1,2,2024-01-02,5,\"fo\nod\"\r", &r) == TX_REJ_NONE);
    CHECK(r.category_len == 5 && memcmp(r.category, "fo\nod", 5) == 0);
    /* A CR not at the end is data: in text kept, in a number a bad value. */
    CHECK(parse_h(&h, "1,2,2024-01-02,5,fo\rod", &r) == TX_REJ_NONE && r.category_len == 5);
    CHECK(parse_h(&h, "1,2\r,2024-01-02,5,x", &r) == TX_REJ_BAD_CUSTOMER_ID);
}

static void test_ids(void)
{
    tx_record r;
    for (int idx = 0; idx < 2; idx++) {
        tx_reject bad = idx == 0 ? TX_REJ_BAD_TRANSACTION_ID : TX_REJ_BAD_CUSTOMER_ID;
        tx_reject range = idx == 0 ? TX_REJ_TRANSACTION_ID_RANGE : TX_REJ_CUSTOMER_ID_RANGE;
        CHECK(parse(with_field(idx, "9223372036854775807"), &r) == TX_REJ_NONE);
        CHECK((idx == 0 ? r.transaction_id : r.customer_id) == UINT64_C(9223372036854775807));
        CHECK(parse(with_field(idx, "0000000000000000000000123"), &r) == TX_REJ_NONE);
        CHECK((idx == 0 ? r.transaction_id : r.customer_id) == 123);
        CHECK(parse(with_field(idx, " \t5\t "), &r) == TX_REJ_NONE);
        CHECK((idx == 0 ? r.transaction_id : r.customer_id) == 5);
        EXPECT_EACH(idx, range, "9223372036854775808", "9999999999999999999",
                    "18446744073709551616", "123456789012345678901234567890", "0", "0000");
        EXPECT_EACH(idx, bad, "12a", "-1", "+1", "1.0", "1 2", "99999999999999999999x");
        EXPECT_EACH(idx, TX_REJ_MISSING_FIELD, "", "  \t", "\"\"");
    }
}

static void test_dates(void)
{
    tx_record r;
    CHECK(parse(with_field(2, "2024-02-29"), &r) == TX_REJ_NONE);
    CHECK(r.date == tx_days_from_civil(2024, 2, 29));
    CHECK(parse(with_field(2, "1970-01-01"), &r) == TX_REJ_NONE && r.date == 0);
    CHECK(parse(with_field(2, "2099-12-31"), &r) == TX_REJ_NONE && r.date == 47481);
    CHECK(parse(with_field(2, "2000-02-29"), &r) == TX_REJ_NONE);
    CHECK(parse(with_field(2, " 2024-01-02\t"), &r) == TX_REJ_NONE && r.date == 19724);
    EXPECT_EACH(2, TX_REJ_BAD_DATE, "2023-02-29", "2100-02-29", "2024-04-31", "2024-13-01",
                "2024-00-10", "2024-01-00", "2024-1-01", "2024/01/01", "2024-01-011",
                "2024-01-02 00:00:00", "20240102");
    EXPECT_EACH(2, TX_REJ_DATE_RANGE, "1969-12-31", "2100-01-01", "0001-01-01");
    EXPECT_FIELD(2, "", TX_REJ_MISSING_FIELD);
}

static void test_amounts(void)
{
    tx_record r;
    static const struct {
        const char *s;
        int64_t cents;
    } ok[] = {
        {"+5", 500},
        {" 12.30 ", 1230},
        {"-0.5", -50},
        {"0", 0},
        {"-0", 0},
        {"7.5", 750},
        {"7.05", 705},
        {"007.99", 799},
        {"999999999999.99", INT64_C(99999999999999)},
        {"-999999999999.99", -INT64_C(99999999999999)},
        {"123456789012", INT64_C(12345678901200)},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        tx_reject got = parse(with_field(3, ok[i].s), &r);
        CHECK_MSG(got == TX_REJ_NONE && r.amount_cents == ok[i].cents, "[%s]: %s %lld",
                  ok[i].s, tx_reject_name(got), (long long)r.amount_cents);
    }
    EXPECT_EACH(3, TX_REJ_AMOUNT_RANGE, "1234567890123", "-1234567890123.5", "0000000000001",
                "99999999999999999999999999");
    EXPECT_EACH(3, TX_REJ_BAD_AMOUNT, "5.", ".5", "1.234", "abc", "--5", "+-5", "-", "1e5");
    EXPECT_FIELD(3, "1,5", TX_REJ_FIELD_COUNT);
    EXPECT_EACH(3, TX_REJ_BAD_AMOUNT, "\"1,5\"", "- 5", "5 .00", "$5");
    EXPECT_FIELD(3, "", TX_REJ_MISSING_FIELD);
}

/* A standard record with category (idx 4) or payment (idx 5) of n bytes repeating `unit`. */
static const char *text_field(int idx, const char *unit, size_t nbytes)
{
    static char val[512];
    size_t u = strlen(unit), n = 0;
    while (n + u <= nbytes) {
        memcpy(val + n, unit, u);
        n += u;
    }
    while (n < nbytes)
        val[n++] = 'a';
    val[n] = '\0';
    return with_field(idx, val);
}

static void test_text(void)
{
    tx_record r;
    /* 64 bytes of two-byte UTF-8 ("é") is fine, 65 bytes too long. */
    CHECK(parse(text_field(4, "\xc3\xa9", 64), &r) == TX_REJ_NONE);
    CHECK(r.category_len == 64 && memcmp(r.category, "\xc3\xa9\xc3\xa9", 4) == 0);
    EXPECT(text_field(4, "\xc3\xa9", 65), TX_REJ_CATEGORY_TOO_LONG);
    /* 4-byte characters, 64 bytes. */
    CHECK(parse(text_field(4, "\xf0\x9f\x98\x80", 64), &r) == TX_REJ_NONE);
    CHECK(parse(text_field(5, "x", 32), &r) == TX_REJ_NONE && r.payment_len == 32);
    EXPECT(text_field(5, "x", 33), TX_REJ_PAYMENT_TOO_LONG);
    /* Length counts the un-doubled quotes: 32 quotes written as 64 + 2 bytes fit. */
    char q[80] = "\"";
    for (int i = 0; i < 32; i++)
        strcat(q, "\"\"");
    strcat(q, "\"");
    CHECK(parse(with_field(5, q), &r) == TX_REJ_NONE && r.payment_len == 32 && r.payment[31] == '"');

    static const char *const bad_utf8[] = {
        "\xc0\xaf",         /* overlong '/' */
        "\xc1\xbf",         /* overlong */
        "\xe0\x80\xaf",     /* overlong 3-byte */
        "\xf0\x80\x80\xaf", /* overlong 4-byte */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xed\xbf\xbf",     /* surrogate U+DFFF */
        "\xf4\x90\x80\x80", /* U+110000 */
        "\xf5\x80\x80\x80", /* lead byte > F4 */
        "\xff",             /* never valid */
        "ab\x80",           /* stray continuation */
        "ab\xc3",           /* truncated at the end */
        "\xe2\x82",         /* truncated 3-byte */
        "\xe2\x28\xa1",     /* bad continuation */
        "\xf0\x9f\x98",     /* truncated 4-byte */
    };
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
        EXPECT_FIELD(4, bad_utf8[i], TX_REJ_BAD_UTF8);
        EXPECT_FIELD(5, bad_utf8[i], TX_REJ_BAD_UTF8);
    }
    /* Edge-of-range valid characters. */
    CHECK(parse(with_field(4, "\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\xc2\x80\xe0\xa0\x80"), &r) ==
          TX_REJ_NONE);

    /* nul_byte (length given explicitly). */
    const char nul_rec[] = "1,2,2024-01-02,5,fo\0od,card,,,";
    CHECK(parse_n(&std_h, nul_rec, sizeof nul_rec - 1, &r) == TX_REJ_NUL_BYTE);
    const char nul_pay[] = "1,2,2024-01-02,5,food,\"\0\",,,";
    CHECK(parse_n(&std_h, nul_pay, sizeof nul_pay - 1, &r) == TX_REJ_NUL_BYTE);
}

static void test_currency_op(void)
{
    tx_record r;
    CHECK(parse(with_field(6, " GBP "), &r) == TX_REJ_NONE && memcmp(r.currency, "GBP", 3) == 0);
    EXPECT_EACH(6, TX_REJ_BAD_CURRENCY, "usd", "US", "USDD", "U1D", "U D", "\xc3\x89UR");

    CHECK(parse(with_field(8, "\tD "), &r) == TX_REJ_NONE && r.op == 'D');
    CHECK(parse(with_field(8, "U"), &r) == TX_REJ_NONE && r.op == 'U');
    /* either case, read as the upper-case letter */
    CHECK(parse(with_field(8, "d"), &r) == TX_REJ_NONE && r.op == 'D');
    CHECK(parse(with_field(8, " u\t"), &r) == TX_REJ_NONE && r.op == 'U');
    CHECK(parse(with_field(8, "\"d\""), &r) == TX_REJ_NONE && r.op == 'D');
    EXPECT_EACH(8, TX_REJ_BAD_OP, "X", "x", "UD", "ud", "dd", "DELETE", "delete");
}

static void test_last_updated(void)
{
    tx_record r;
    const int64_t base = ((int64_t)19724 * 86400 + 3 * 3600 + 4 * 60 + 5) * 1000000;
    static const struct {
        const char *s;
        int64_t add_us;
    } ok[] = {
        {"2024-01-02 03:04:05", 0},
        {"2024-01-02T03:04:05", 0},
        {"2024-01-02T03:04:05Z", 0},
        {"2024-01-02T03:04:05.123456Z", 123456},
        {"2024-01-02 03:04:05.5", 500000},
        {"2024-01-02 03:04:05.000001", 1},
        {" 2024-01-02 03:04:05.12 ", 120000},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        tx_reject got = parse(with_field(7, ok[i].s), &r);
        CHECK_MSG(got == TX_REJ_NONE && r.last_updated_us == base + ok[i].add_us, "[%s]: %s",
                  ok[i].s, tx_reject_name(got));
    }
    CHECK(parse(with_field(7, "1970-01-01 00:00:00"), &r) == TX_REJ_NONE &&
          r.last_updated_us == 0);
    CHECK(parse(with_field(7, "9999-12-31 23:59:59.999999"), &r) == TX_REJ_NONE);
    CHECK(r.last_updated_us == ((int64_t)tx_days_from_civil(9999, 12, 31) * 86400 + 86399) *
                                       1000000 + 999999);
    CHECK(parse(with_field(7, "2024-02-29T23:59:59"), &r) == TX_REJ_NONE);

    static const char *const bad[] = {
        "2024-01-02",
        "2024-01-02 03:04",
        "2024-01-02 24:00:00",
        "2024-01-02 03:60:00",
        "2024-01-02 03:04:60",
        "2023-02-29 03:04:05",
        "1969-12-31 23:59:59",
        "2024-01-02X03:04:05",
        "2024-01-02t03:04:05",
        "2024-01-02 03:04:05z",
        "2024-01-02 03:04:05ZZ",
        "2024-01-02 03:04:05.",
        "2024-01-02 03:04:05.1234567",
        "2024-01-02 03:04:05.Z",
        "2024-01-02 03:04:05+00:00",
        "2024-01-02  03:04:05",
        "2024-01-02 3:04:05",
        "10000-01-01 00:00:00",
        "yesterday",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        EXPECT_FIELD(7, bad[i], TX_REJ_BAD_LAST_UPDATED);
}

static void test_first_problem_wins(void)
{
    tx_record r;
    /* Several bad fields: the first in the record's field order is reported. */
    EXPECT("x,y,2024-13-01,abc,,,usd,never,Q", TX_REJ_BAD_TRANSACTION_ID);
    EXPECT("1,y,2024-13-01,abc,,,usd,never,Q", TX_REJ_BAD_CUSTOMER_ID);
    EXPECT("1,2,2024-13-01,abc,,,usd,never,Q", TX_REJ_BAD_DATE);
    EXPECT("1,2,2024-01-01,abc,,,usd,never,Q", TX_REJ_BAD_AMOUNT);
    EXPECT("1,2,2024-01-01,5,,,usd,never,Q", TX_REJ_BAD_CURRENCY);
    EXPECT("1,2,2024-01-01,5,,,USD,never,Q", TX_REJ_BAD_LAST_UPDATED);
    EXPECT("1,2,2024-01-01,5,,,USD,,Q", TX_REJ_BAD_OP);
    EXPECT(",2,2024-13-01,abc,,,,,", TX_REJ_MISSING_FIELD);
    /* Field order is the file's: with the date first, a bad date wins over a bad id. */
    tx_header h;
    header_or_die(&h, "transaction_date,transaction_amount,customer_id,transaction_id");
    CHECK(parse_h(&h, "2024-02-30,1,2,x", &r) == TX_REJ_BAD_DATE);
    CHECK(parse_h(&h, "2024-02-28,1,2,x", &r) == TX_REJ_BAD_TRANSACTION_ID);
    CHECK(parse_h(&h, "2024-02-28,1.5,2,3", &r) == TX_REJ_NONE);
    CHECK(r.transaction_id == 3 && r.customer_id == 2 && r.amount_cents == 150);
}

static void test_calendar(void)
{
    CHECK(tx_days_from_civil(1970, 1, 1) == 0);
    CHECK(tx_days_from_civil(1969, 12, 31) == -1);
    CHECK(tx_days_from_civil(2000, 3, 1) == 11017);
    CHECK(tx_days_from_civil(2024, 2, 29) == 19782);
    CHECK(tx_days_from_civil(1, 1, 1) == -719162);
    int bad = 0;
    for (int32_t d = -800000; d <= 3000000; d += 7) {
        int y, m, dd;
        tx_civil_from_days(d, &y, &m, &dd);
        if (tx_days_from_civil(y, m, dd) != d || m < 1 || m > 12 || dd < 1 || dd > 31)
            bad++;
    }
    CHECK_MSG(bad == 0, "%d days do not round-trip", bad);
    int y, m, d;
    tx_civil_from_days(19782, &y, &m, &d);
    CHECK(y == 2024 && m == 2 && d == 29);

    char buf[32];
    CHECK(strcmp(tx_format_date(0, buf), "1970-01-01") == 0);
    CHECK(strcmp(tx_format_date(47481, buf), "2099-12-31") == 0);
    CHECK(strcmp(tx_format_date(19782, buf), "2024-02-29") == 0);
    CHECK(strcmp(tx_format_timestamp(0, buf), "1970-01-01 00:00:00.000000") == 0);
    CHECK(strcmp(tx_format_timestamp(((int64_t)19724 * 86400 + 3 * 3600 + 4 * 60 + 5) * 1000000 +
                                         123456,
                                     buf),
                 "2024-01-02 03:04:05.123456") == 0);
    CHECK(strcmp(tx_format_timestamp(-1, buf), "1969-12-31 23:59:59.999999") == 0);

    /* Parse and format agree. */
    tx_record r;
    CHECK(parse(with_field(7, "2031-07-15T22:33:44.000123Z"), &r) == TX_REJ_NONE);
    CHECK(strcmp(tx_format_timestamp(r.last_updated_us, buf), "2031-07-15 22:33:44.000123") ==
          0);
}

/* ---- the stream against the per-record parse -------------------------------------------- */

/* Values for every column, good and bad, around the stream's word-at-a-time checks (ids of
 * 8 and 9 digits, amounts of the "1-5 digits . 2 digits" form and its neighbours, dates and
 * timestamps that share or do not share a day, every field's edge cases). */
static const char *const sv_id[] = {"1", "2", "00000001", "12345678", "123456789", "0", "00",
                                    "abc", "12a", "9223372036854775807", "9223372036854775808",
                                    NULL};
static const char *const sv_date[] = {"2024-01-02", "2024-02-29", "2023-02-29", "1970-01-01",
                                      "2099-12-31", "1969-12-31", "2100-01-01", "2024-13-01",
                                      "2024-00-10", "2024-01-32", "2024/01/02", "2024-1-02",
                                      "2024-01-0a", "2024-01-022", "", NULL};
static const char *const sv_amount[] = {"10.66", "0.00", "00000.00", "99999.99", "1.23", "12.34",
                                        "123.45", "1234.56", "12345.67", "123456.78", "-1.23",
                                        "+1.23", "1.2", "1.", "1.234", "1a.23", "1.2a", ".23",
                                        "1..23", "0", "5", "-0.00", "9.9.99", "", NULL};
static const char *const sv_cat[] = {"food", "", "travel", "caf\xc3\xa9", "\xff\xfe",
                                     "0123456789012345678901234567890123456789012345678901234567890123",
                                     "01234567890123456789012345678901234567890123456789012345678901234",
                                     NULL};
static const char *const sv_pay[] = {"card", "", "paypal", "0123456789abcdef0123456789abcdef",
                                     "0123456789abcdef0123456789abcdef0", NULL};
static const char *const sv_cur[] = {"USD", "EUR", "usd", "US", "", NULL};
static const char *const sv_ts[] = {"2024-01-02 03:04:05", "2024-01-02T03:04:05Z",
                                    "2024-01-02 03:04:05.123456", "2024-01-02 03:04:05.1234567",
                                    "2024-01-02 24:00:00", "2024-01-02 23:60:00",
                                    "2024-01-02 23:59:60", "2024-01-02 3:04:05",
                                    "2024-01-02x03:04:05", "1969-12-31 23:59:59",
                                    "9999-12-31 23:59:59", "2024-02-30 00:00:00",
                                    "2024-01-02 03:04:05.", "2024-01-02 03-04-05",
                                    "2023-02-28 00:00:00Z", "", NULL};
static const char *const sv_op[] = {"U", "D", "u", "x", "", NULL};
static const char *const *const sv_col[TX_NCOLS] = {sv_id,  sv_id,  sv_date, sv_amount, sv_cat,
                                                     sv_pay, sv_cur, sv_ts,   sv_op};

static uint64_t sv_rand(uint64_t *st)
{
    *st = *st * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return *st >> 33;
}

/* A value of column c, mostly the first (valid) ones so that later fields get checked too. */
static const char *sv_pick(int c, uint64_t *st)
{
    size_t n = 0;
    while (sv_col[c][n])
        n++;
    const uint64_t r = sv_rand(st);
    return sv_col[c][r % 4 ? r % 3 % n : r % n];
}

static int rec_equal(const tx_record *a, const tx_record *b)
{
    return a->transaction_id == b->transaction_id && a->customer_id == b->customer_id &&
           a->amount_cents == b->amount_cents && a->last_updated_us == b->last_updated_us &&
           a->date == b->date && memcmp(a->currency, b->currency, 3) == 0 && a->op == b->op &&
           a->category_len == b->category_len && a->payment_len == b->payment_len &&
           memcmp(a->category, b->category, sizeof a->category) == 0 &&
           memcmp(a->payment, b->payment, sizeof a->payment) == 0;
}

/* nrec random records of header `cols` (tx_col per field, -1 = an unknown column) through the
 * stream, each row compared with tx_record_parse of the same bytes (its own parser). */
static void stream_vs_parse(const char *hline, const int *cols, int nf, int nrec, uint64_t seed)
{
    tx_header h;
    header_or_die(&h, hline);
    tx_error err;
    tx_error_clear(&err);
    tx_record_parser *ref = NULL;
    CHECK(tx_record_parser_new(&ref, &err) == TX_OK);
    char *buf = malloc((size_t)nrec * 512);
    uint64_t *starts = malloc(((size_t)nrec + 1) * sizeof *starts);
    tx_row *rows = malloc(TX_STREAM_ROWS * sizeof *rows);
    tx_record *recs = malloc(TX_STREAM_ROWS * sizeof *recs);
    CHECK(buf && starts && rows && recs && ref);
    if (!buf || !starts || !rows || !recs || !ref)
        return;
    size_t len = 0;
    for (int i = 0; i < nrec; i++) {
        starts[i] = len;
        const int n = sv_rand(&seed) % 50 == 0 ? nf - 1 : nf; /* now and then a field short */
        for (int k = 0; k < n; k++) {
            const char *v = cols[k] >= 0 ? sv_pick(cols[k], &seed) : "x";
            char d[40];
            if ((cols[k] == TX_COL_TRANSACTION_DATE || cols[k] == TX_COL_LAST_UPDATED) &&
                sv_rand(&seed) % 2) { /* any of ~60 000 dates, valid or not, many per slot */
                const uint64_t r = sv_rand(&seed);
                snprintf(d, sizeof d, "%04d-%02d-%02d%s", (int)(1968 + r % 134),
                         (int)(r / 134 % 14), (int)(r / 134 / 14 % 33),
                         cols[k] == TX_COL_LAST_UPDATED ? " 12:34:56" : "");
                v = d;
            }
            len += (size_t)sprintf(buf + len, "%s%s", k ? "," : "", v);
        }
        buf[len++] = '\n';
    }
    starts[nrec] = len;
    int next = 0, bad = 0; /* the next record to compare */
    uint64_t at = 0, line = 2;
    while (at < len && !bad) {
        tx_record_stream_begin(parser, &h, at, line, len);
        tx_stream_status st = TX_STREAM_MORE;
        uint64_t rs = at, fed = at;
        while (st == TX_STREAM_MORE && fed < len && !bad) {
            const uint64_t to = len - fed > TX_STREAM_PIECE ? fed + TX_STREAM_PIECE : len;
            size_t n = 0;
            st = tx_record_stream_feed(parser, buf, 0, to, rows, recs, &n);
            for (size_t k = 0; k < n && !bad; k++, next++) {
                const size_t rl = (size_t)(starts[next + 1] - starts[next] - 1);
                tx_record want;
                const tx_reject wr = tx_record_parse(ref, &h, buf + starts[next], rl, 0, &want);
                bad = next >= nrec || rows[k].offset != starts[next] || rows[k].len != rl ||
                      rows[k].reject != wr || (wr == TX_REJ_NONE && !rec_equal(&recs[k], &want));
                CHECK_MSG(!bad, "stream row %d [%.*s]: reject %s, want %s", next, (int)rl,
                          buf + starts[next], tx_reject_name(rows[k].reject), tx_reject_name(wr));
            }
            tx_record_stream_at(parser, &rs, &line, &fed);
        }
        if (st == TX_STREAM_SLOW && rs < len) { /* the per-record pass, as the cursor does */
            CHECK(rs == starts[next]);
            rs = starts[++next];
            line++;
        }
        at = rs;
        if (st != TX_STREAM_SLOW)
            break;
    }
    CHECK_MSG(bad || next == nrec, "the stream completed %d of %d records", next, nrec);
    free(buf);
    free(starts);
    free(rows);
    free(recs);
    tx_record_parser_free(&ref);
}

static void test_stream_matches_parse(void)
{
    static const int canon9[] = {0, 1, 2, 3, 4, 5, 6, 7, 8}, canon8[] = {0, 1, 2, 3, 4, 5, 6, 7};
    static const int shuffled[] = {8, 7, 6, -1, 5, 4, 3, 2, 1, 0};
    stream_vs_parse(STD_HEADER, canon9, 9, 20000, 1);
    stream_vs_parse("transaction_id,customer_id,transaction_date,transaction_amount,"
                    "transaction_category,payment_method,currency,last_updated",
                    canon8, 8, 20000, 2);
    stream_vs_parse("op,last_updated,currency,extra,payment_method,transaction_category,"
                    "transaction_amount,transaction_date,customer_id,transaction_id",
                    shuffled, 10, 20000, 3);
}

int main(void)
{
    tx_error err;
    tx_error_clear(&err);
    if (tx_record_parser_new(&parser, &err) != TX_OK) {
        fprintf(stderr, "test_record: %s\n", err.msg);
        return 1;
    }
    header_or_die(&std_h, STD_HEADER);
    test_reject_names();
    test_header();
    test_valid_record();
    test_structure();
    test_ids();
    test_dates();
    test_amounts();
    test_text();
    test_currency_op();
    test_last_updated();
    test_first_problem_wins();
    test_calendar();
    test_stream_matches_parse();
    tx_record_parser_free(&parser);
    CHECK(parser == NULL);
    return check_report("test_record");
}
