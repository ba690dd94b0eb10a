/* fmt.c - the formatters of fmt.h: digits written straight into the caller's buffer. */
#include "txetl/fmt.h"

#include <stdio.h>

#include "txetl/calendar.h"

/* Writes n decimal digits of v (0 <= v < 10^n) at p. */
static void put_digits(char *p, unsigned v, int n)
{
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

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

int tx_fmt_cents_digits(char *out, int64_t cents, int frac_digits)
{
    int n = 0;
    uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    if (cents < 0)
        out[n++] = '-';
    n += tx_fmt_u64(out + n, a / 100);
    if (frac_digits > 0) {
        out[n++] = '.';
        out[n++] = (char)('0' + a % 100 / 10);
        if (frac_digits > 1)
            out[n++] = (char)('0' + a % 10);
    }
    return n;
}

int tx_fmt_cents(char *out, int64_t cents)
{
    return tx_fmt_cents_digits(out, cents, 2);
}

int tx_fmt_date(char *out, int32_t days)
{
    int y, m, d;
    tx_civil_from_days(days, &y, &m, &d);
    put_digits(out, (unsigned)y, 4);
    out[4] = '-';
    put_digits(out + 5, (unsigned)m, 2);
    out[7] = '-';
    put_digits(out + 8, (unsigned)d, 2);
    return 10;
}

int tx_fmt_hms(char *out, int sec_of_day)
{
    const unsigned s = (unsigned)sec_of_day;
    put_digits(out, s / 3600, 2);
    out[2] = ':';
    put_digits(out + 3, s / 60 % 60, 2);
    out[5] = ':';
    put_digits(out + 6, s % 60, 2);
    return 8;
}

/* Floor division of us into days and the microseconds of that day. */
static void split_us(int64_t us, int64_t *days, int64_t *rem)
{
    const int64_t day_us = INT64_C(86400000000);
    *days = us / day_us;
    *rem = us % day_us;
    if (*rem < 0) {
        *rem += day_us;
        (*days)--;
    }
}

int tx_fmt_timestamp(char *out, int64_t us)
{
    int64_t days, rem;
    split_us(us, &days, &rem);
    int n = tx_fmt_date(out, (int32_t)days);
    out[n++] = ' ';
    n += tx_fmt_hms(out + n, (int)(rem / 1000000));
    out[n++] = '.';
    put_digits(out + n, (unsigned)(rem % 1000000), 6);
    return n + 6;
}

int tx_fmt_iso_utc(char *out, int64_t unix_seconds)
{
    int64_t days = unix_seconds / 86400, sec = unix_seconds % 86400;
    if (sec < 0) {
        sec += 86400;
        days--;
    }
    int n = tx_fmt_date(out, (int32_t)days);
    out[n++] = 'T';
    n += tx_fmt_hms(out + n, (int)sec);
    out[n++] = 'Z';
    return n;
}

char *tx_format_date(int32_t days, char *buf)
{
    int y, m, d;
    tx_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) { /* not a date txetl accepts; still print something exact */
        snprintf(buf, 11, "%d", y);
        return buf;
    }
    buf[tx_fmt_date(buf, days)] = '\0';
    return buf;
}

char *tx_format_timestamp(int64_t us, char *buf)
{
    int64_t days, rem;
    split_us(us, &days, &rem);
    int y = 0, m = 0, d = 0;
    if (days >= INT32_MIN && days <= INT32_MAX)
        tx_civil_from_days((int32_t)days, &y, &m, &d);
    if (days < INT32_MIN || days > INT32_MAX || y < 0 || y > 9999) {
        snprintf(buf, 27, "%lld", (long long)us); /* not a time txetl accepts */
        return buf;
    }
    buf[tx_fmt_timestamp(buf, us)] = '\0';
    return buf;
}
