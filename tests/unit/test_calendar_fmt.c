/* test_calendar_fmt.c - the shared primitives of calendar.h, fmt.h and hash.h against
 * independent references: every day of 1970..2099 (and well beyond) round-trips and agrees
 * with gmtime; every formatter equals snprintf / strftime on edge and random values; the
 * splitmix64 values are the published ones. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "txetl/calendar.h"
#include "txetl/fmt.h"
#include "txetl/hash.h"

static void test_days(void)
{
    CHECK(tx_days_from_civil(1970, 1, 1) == 0);
    CHECK(tx_days_from_civil(TX_YEAR_LAST, 12, 31) == TX_NDAYS - 1);
    CHECK(tx_month_index(0) == 0 && tx_month_index(TX_NDAYS - 1) == TX_NMONTHS - 1);
    CHECK(tx_month_yyyymm(0) == 197001 && tx_month_yyyymm(TX_NMONTHS - 1) == 209912);
    /* Every day 1970-01-01 .. 2099-12-31 (and 1600 .. 2400 around it): round trip, the days
     * of the month, the month index, gmtime's civil date. */
    int bad = 0;
    int32_t lo = tx_days_from_civil(1600, 1, 1), hi = tx_days_from_civil(2400, 12, 31);
    int py = 1599, pm = 12, pd = 31;
    for (int32_t day = lo; day <= hi; day++) {
        int y, m, d;
        tx_civil_from_days(day, &y, &m, &d);
        int next = (d == pd + 1 && m == pm && y == py) ||
                   (d == 1 && pd == tx_month_days(py, pm) &&
                    ((m == pm + 1 && y == py) || (m == 1 && pm == 12 && y == py + 1)));
        if (tx_days_from_civil(y, m, d) != day || !next || d > tx_month_days(y, m))
            bad++;
        if (day >= 0 && day < TX_NDAYS) {
            time_t t = (time_t)day * 86400;
            struct tm tm;
            gmtime_r(&t, &tm);
            if (tm.tm_year + 1900 != y || tm.tm_mon + 1 != m || tm.tm_mday != d ||
                tx_month_index(day) != (y - 1970) * 12 + m - 1 ||
                tx_month_yyyymm(tx_month_index(day)) != y * 100 + m)
                bad++;
        }
        py = y, pm = m, pd = d;
    }
    CHECK_MSG(bad == 0, "%d days wrong", bad);
    CHECK(tx_is_leap(2000) && tx_is_leap(2024) && !tx_is_leap(1900) && !tx_is_leap(2023));
    int y, m, d;
    tx_civil_from_days(INT32_MIN, &y, &m, &d); /* no overflow at the ends */
    CHECK(tx_days_from_civil(y, m, d) == INT32_MIN);
    tx_civil_from_days(INT32_MAX, &y, &m, &d);
    CHECK(tx_days_from_civil(y, m, d) == INT32_MAX);
}

/* out[0 .. n) as a NUL-terminated string in buf. */
static const char *str(char *buf, const char *out, int n)
{
    memcpy(buf, out, (size_t)n);
    buf[n] = '\0';
    return buf;
}

static uint64_t rng = 0x1234;

static void test_numbers(void)
{
    char out[64], s[64], want[64];
    const uint64_t u[] = {0, 1, 9, 10, 99, 100, 12345, UINT32_MAX, (uint64_t)INT64_MAX,
                          UINT64_MAX};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
        snprintf(want, sizeof want, "%" PRIu64, u[i]);
        CHECK_MSG(!strcmp(str(s, out, tx_fmt_u64(out, u[i])), want), "u64 %s", want);
    }
    const int64_t v[] = {0, 1, -1, 5, -5, 99, -100, 1230, -1230, 100000000000000, INT64_MAX,
                         INT64_MIN, INT64_MIN + 1};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        snprintf(want, sizeof want, "%" PRId64, v[i]);
        CHECK_MSG(!strcmp(str(s, out, tx_fmt_i64(out, v[i])), want), "i64 %s", want);
        uint64_t a = v[i] < 0 ? (uint64_t)0 - (uint64_t)v[i] : (uint64_t)v[i];
        const char *sign = v[i] < 0 ? "-" : "";
        snprintf(want, sizeof want, "%s%" PRIu64 ".%02u", sign, a / 100, (unsigned)(a % 100));
        CHECK_MSG(!strcmp(str(s, out, tx_fmt_cents(out, v[i])), want), "cents %s", want);
        snprintf(want, sizeof want, "%s%" PRIu64 ".%u", sign, a / 100, (unsigned)(a % 100 / 10));
        CHECK_MSG(!strcmp(str(s, out, tx_fmt_cents_digits(out, v[i], 1)), want), "%s", want);
        snprintf(want, sizeof want, "%s%" PRIu64, sign, a / 100);
        CHECK_MSG(!strcmp(str(s, out, tx_fmt_cents_digits(out, v[i], 0)), want), "%s", want);
    }
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        uint64_t x = tx_splitmix64(&rng) >> (tx_splitmix64(&rng) % 64);
        int64_t c = (int64_t)tx_splitmix64(&rng) >> (tx_splitmix64(&rng) % 64);
        snprintf(want, sizeof want, "%" PRIu64, x);
        bad += strcmp(str(s, out, tx_fmt_u64(out, x)), want) != 0;
        snprintf(want, sizeof want, "%" PRId64, c);
        bad += strcmp(str(s, out, tx_fmt_i64(out, c)), want) != 0;
        uint64_t a = c < 0 ? (uint64_t)0 - (uint64_t)c : (uint64_t)c;
        snprintf(want, sizeof want, "%s%" PRIu64 ".%02u", c < 0 ? "-" : "", a / 100,
                 (unsigned)(a % 100));
        bad += strcmp(str(s, out, tx_fmt_cents(out, c)), want) != 0;
    }
    CHECK_MSG(bad == 0, "%d random numbers formatted wrongly", bad);
}

static void test_dates(void)
{
    char out[64], s[64], want[64], buf[32];
    int bad = 0;
    for (int32_t day = tx_days_from_civil(1000, 1, 1); day <= tx_days_from_civil(9999, 12, 31);
         day++) {
        int y, m, d;
        tx_civil_from_days(day, &y, &m, &d);
        snprintf(want, sizeof want, "%04d-%02d-%02d", y, m, d);
        bad += strcmp(str(s, out, tx_fmt_date(out, day)), want) != 0;
        bad += strcmp(tx_format_date(day, buf), want) != 0;
        if (day >= 0 && day < TX_NDAYS) { /* strftime agrees where gmtime is the reference */
            time_t t = (time_t)day * 86400 + (day % 86400);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
            bad += strcmp(str(s, out, tx_fmt_iso_utc(out, (int64_t)t)), want) != 0;
        }
    }
    CHECK_MSG(bad == 0, "%d dates formatted wrongly", bad);
    CHECK(!strcmp(tx_format_date(0, buf), "1970-01-01"));
    CHECK(!strcmp(tx_format_date(tx_days_from_civil(5, 3, 1), buf), "0005-03-01"));
    CHECK(!strcmp(tx_format_date(tx_days_from_civil(-1, 3, 1), buf), "-1")); /* outside 0..9999 */
    CHECK(!strcmp(tx_format_date(tx_days_from_civil(10000, 1, 1), buf), "10000"));
    CHECK(!strcmp(tx_format_timestamp(INT64_MAX, buf), "9223372036854775807"));
    CHECK(!strcmp(tx_format_timestamp(-1, buf), "1969-12-31 23:59:59.999999"));
    CHECK(!strcmp(str(s, out, tx_fmt_hms(out, 86399)), "23:59:59"));
    CHECK(!strcmp(str(s, out, tx_fmt_iso_utc(out, -1)), "1969-12-31T23:59:59Z"));

    /* Timestamps: random microseconds in years 1..9999 against gmtime + snprintf. */
    bad = 0;
    const int64_t lo = (int64_t)tx_days_from_civil(1, 1, 1) * 86400000000LL;
    const int64_t span = (int64_t)tx_days_from_civil(9999, 12, 31) * 86400000000LL - lo;
    for (int i = 0; i < 200000; i++) {
        int64_t us = lo + (int64_t)(tx_splitmix64(&rng) % (uint64_t)span);
        if (i < 4) /* the day and second boundaries */
            us = (int64_t[]){0, -1, 86400000000LL - 1, 86400000000LL}[i];
        int64_t secs = us / 1000000 - (us % 1000000 < 0), frac = us - secs * 1000000;
        int64_t days = secs / 86400 - (secs % 86400 < 0), sod = secs - days * 86400;
        int y, m, d;
        tx_civil_from_days((int32_t)days, &y, &m, &d);
        snprintf(want, sizeof want, "%04d-%02d-%02d %02d:%02d:%02d.%06d", y, m, d,
                 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), (int)frac);
        bad += strcmp(str(s, out, tx_fmt_timestamp(out, us)), want) != 0;
        bad += strcmp(tx_format_timestamp(us, buf), want) != 0;
    }
    CHECK_MSG(bad == 0, "%d timestamps formatted wrongly", bad);
}

static void test_hash(void)
{
    /* splitmix64 from state 1234567 (Vigna's reference implementation). */
    uint64_t st = 1234567;
    const uint64_t want[] = {6457827717110365317ull, 3203168211198807973ull,
                             9817491932198370423ull, 4593380528125082431ull,
                             16408922859458223821ull};
    for (int i = 0; i < 5; i++)
        CHECK_MSG(tx_splitmix64(&st) == want[i], "splitmix64 value %d", i);
    uint64_t s2 = 41;
    CHECK(tx_hash_u64(41) == tx_splitmix64(&s2));
    CHECK(tx_mix64(0) == 0);
}

int main(void)
{
    test_days();
    test_numbers();
    test_dates();
    test_hash();
    return check_report("test_calendar_fmt");
}
