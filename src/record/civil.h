/* civil.h - private to src/record: the proleptic Gregorian calendar arithmetic shared by the
 * record parser (hot path, so inline) and the date/time formatters. Howard Hinnant's
 * algorithms, http://howardhinnant.github.io/date_algorithms.html */
#ifndef TXETL_RECORD_CIVIL_H
#define TXETL_RECORD_CIVIL_H

#include <stdint.h>

/* Days since 1970-01-01 of y-m-d (m 1..12, d 1..31; not checked). */
static inline int32_t civil_days(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);                           /* [0, 399] */
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1); /* [0, 365] */
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;               /* [0, 146096] */
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

static inline int civil_is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Number of days in month m (1..12) of year y. */
static inline int civil_month_days(int y, int m)
{
    static const unsigned char mdays[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 ? 28 + civil_is_leap(y) : mdays[m];
}

#endif
