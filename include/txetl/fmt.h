/* fmt.h - fast text formatting without printf: decimal integers, cents, dates, times and
 * timestamps (the hot paths of a load's LOAD DATA rows and of txgen), plus the NUL-terminated
 * date / timestamp strings used in messages, SQL and the snapshot. All Local and pure.
 *
 * The tx_fmt_* functions write into `out` without a terminating NUL and return the number of
 * chars written; the caller provides the room (at most 20 for u64, 21 for i64, 24 for cents,
 * 10 for a date, 8 for a time, 26 for a timestamp, 20 for an ISO UTC time). */
#ifndef TXETL_FMT_H
#define TXETL_FMT_H

#include <stdint.h>

/* Decimal of v ("0", "18446744073709551615"). */
int tx_fmt_u64(char *out, uint64_t v);

/* Decimal of v with a '-' when negative (INT64_MIN included). */
int tx_fmt_i64(char *out, int64_t v);

/* Cents as a decimal amount with two fraction digits: -1230 -> "-12.30", 5 -> "0.05". */
int tx_fmt_cents(char *out, int64_t cents);

/* Cents with frac_digits (0, 1 or 2) fraction digits, truncated: (-1234, 1) -> "-12.3",
 * (1234, 0) -> "12" (no point). */
int tx_fmt_cents_digits(char *out, int64_t cents, int frac_digits);

/* "YYYY-MM-DD" of days since 1970-01-01 (10 chars). Only meaningful for years 0..9999. */
int tx_fmt_date(char *out, int32_t days);

/* "HH:MM:SS" of seconds since midnight (0 .. 86399; 8 chars). */
int tx_fmt_hms(char *out, int sec_of_day);

/* "YYYY-MM-DD HH:MM:SS.ffffff" of microseconds since 1970-01-01T00:00:00Z, floor-divided
 * (times before the epoch too; 26 chars). Only meaningful for years 0..9999. */
int tx_fmt_timestamp(char *out, int64_t us);

/* "YYYY-MM-DDTHH:MM:SSZ" of seconds since the epoch (20 chars): strftime's
 * "%Y-%m-%dT%H:%M:%SZ" of gmtime for years 1000..9999. */
int tx_fmt_iso_utc(char *out, int64_t unix_seconds);

/* NUL-terminated "YYYY-MM-DD" of days into buf (at least 11 bytes); a day outside years
 * 0..9999 prints its year alone ("%d"), still exact. Returns buf. */
char *tx_format_date(int32_t days, char *buf);

/* NUL-terminated "YYYY-MM-DD HH:MM:SS.ffffff" of microseconds since the epoch into buf (at
 * least 27 bytes); a time outside years 0..9999 prints the microseconds ("%lld"). Returns buf. */
char *tx_format_timestamp(int64_t us, char *buf);

#endif
