/* calendar.h - the proleptic Gregorian calendar as days since 1970-01-01 (days <-> civil
 * date, month index) and the date range txetl accepts. Pure and Local; inline but for
 * tx_civil_from_days (the record parser's hot path uses tx_days_from_civil). Howard Hinnant's
 * algorithms,
 * http://howardhinnant.github.io/date_algorithms.html */
#ifndef TXETL_CALENDAR_H
#define TXETL_CALENDAR_H

#include <stdint.h>

/* The transaction dates txetl accepts (docs/input.md): 1970-01-01 .. 2099-12-31. */
#define TX_YEAR_FIRST 1970
#define TX_YEAR_LAST 2099
/* Days since epoch of 1970-01-01 .. 2099-12-31 (day 0 .. TX_NDAYS - 1): a histogram's size.
 * (Spelled exactly as the copy in src/load/load_internal.h, so both can coexist until that one
 * goes.) */
#define TX_NDAYS 47482
/* Months 1970-01 .. 2099-12 (month index 0 .. TX_NMONTHS - 1, see tx_month_index). */
#define TX_NMONTHS (130 * 12)

/* Local. Days since 1970-01-01 of y-m-d (m 1..12, d 1..31; not checked: an invalid date maps
 * to some day, use tx_month_days to validate). */
static inline int32_t tx_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);                                   /* [0, 399] */
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1); /* [0, 365] */
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;               /* [0, 146096] */
    return (int32_t)((int64_t)era * 146097 + (int64_t)doe - 719468); /* no int overflow */
}

/* Local. The civil date (*y, *m 1..12, *d 1..31) of days since 1970-01-01; any int32 day.
 * Out of line (src/util/calendar.c): inlined, GCC's range analysis sees years up to ~5.9
 * million and -Wformat-truncation flags callers that print them into buffers sized for real
 * dates. */
void tx_civil_from_days(int32_t days, int *y, int *m, int *d);

/* Local. 1 when y is a leap year, else 0. */
static inline int tx_is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Local. Number of days in month m (1..12) of year y. */
static inline int tx_month_days(int y, int m)
{
    static const unsigned char mdays[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 ? 28 + tx_is_leap(y) : mdays[m];
}

/* Local. When y-m-d is a real date (m 1..12, d 1..its month's days): 0 and its days since
 * 1970-01-01 in *days; else -1 (*days untouched). */
static inline int tx_civil_days(int y, int m, int d, int32_t *days)
{
    if (m < 1 || m > 12 || d < 1 || d > tx_month_days(y, m))
        return -1;
    *days = tx_days_from_civil(y, m, d);
    return 0;
}

/* Local. Months since 1970-01 of a day: 0 for January 1970, TX_NMONTHS - 1 for December 2099
 * (negative before 1970). */
static inline int tx_month_index(int32_t days)
{
    int y, m, d;
    tx_civil_from_days(days, &y, &m, &d);
    return (y - TX_YEAR_FIRST) * 12 + (m - 1);
}

/* Local. The YYYYMM number (e.g. 202401) of a month index (>= 0) of tx_month_index. */
static inline int32_t tx_month_yyyymm(int index)
{
    return (int32_t)((TX_YEAR_FIRST + index / 12) * 100 + index % 12 + 1);
}

#endif
