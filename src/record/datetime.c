/* datetime.c - calendar conversions and the date/timestamp formatters of record.h. */
#include "txetl/record.h"

#include <stdio.h>

#include "civil.h"

int32_t tx_days_from_civil(int y, int m, int d)
{
    return civil_days(y, m, d);
}

void tx_civil_from_days(int32_t days, int *y, int *m, int *d)
{
    const int64_t z = (int64_t)days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);                          /* [0, 146096] */
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    const unsigned mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

/* Writes n decimal digits of v (0 <= v < 10^n) at p. */
static void put_digits(char *p, unsigned v, int n)
{
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

char *tx_format_date(int32_t days, char *buf)
{
    int y, m, d;
    tx_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) { /* not a date txetl accepts; still print something exact */
        snprintf(buf, 11, "%d", y);
        return buf;
    }
    put_digits(buf, (unsigned)y, 4);
    buf[4] = '-';
    put_digits(buf + 5, (unsigned)m, 2);
    buf[7] = '-';
    put_digits(buf + 8, (unsigned)d, 2);
    buf[10] = '\0';
    return buf;
}

char *tx_format_timestamp(int64_t us, char *buf)
{
    const int64_t day_us = INT64_C(86400000000);
    int64_t days = us / day_us, rem = us % day_us;
    if (rem < 0) { /* floor division: times before the epoch */
        rem += day_us;
        days--;
    }
    int y = 0, m = 0, d = 0;
    if (days >= INT32_MIN && days <= INT32_MAX)
        tx_civil_from_days((int32_t)days, &y, &m, &d);
    if (days < INT32_MIN || days > INT32_MAX || y < 0 || y > 9999) {
        snprintf(buf, 27, "%lld", (long long)us); /* not a time txetl accepts */
        return buf;
    }
    tx_format_date((int32_t)days, buf);
    const unsigned secs = (unsigned)(rem / 1000000);
    buf[10] = ' ';
    put_digits(buf + 11, secs / 3600, 2);
    buf[13] = ':';
    put_digits(buf + 14, secs / 60 % 60, 2);
    buf[16] = ':';
    put_digits(buf + 17, secs % 60, 2);
    buf[19] = '.';
    put_digits(buf + 20, (unsigned)(rem % 1000000), 6);
    buf[26] = '\0';
    return buf;
}
