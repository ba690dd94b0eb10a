/* report_fmt.c - numbers, dates and text as the dashboard prints them: thousands separators,
 * two-decimal money, percentages, compact axis labels, and HTML escaping. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report_internal.h"
#include "txetl/fmt.h"

static const char NA[] = "\xe2\x80\x93"; /* en dash */

const char *const rpt_month_abbr[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Inserts thousands separators into the digit run of a plain decimal number. */
static const char *group_digits(char *buf, size_t cap, const char *plain)
{
    const char *p = plain;
    char tmp[96];
    size_t o = 0;
    if (*p == '-')
        tmp[o++] = *p++;
    size_t ndig = strspn(p, "0123456789");
    for (size_t i = 0; i < ndig && o + 2 < sizeof tmp; i++) {
        if (i > 0 && (ndig - i) % 3 == 0)
            tmp[o++] = ',';
        tmp[o++] = p[i];
    }
    snprintf(tmp + o, sizeof tmp - o, "%s", p + ndig);
    snprintf(buf, cap, "%s", tmp);
    return buf;
}

const char *rpt_fmt_u64(char *buf, size_t cap, uint64_t v)
{
    char plain[32];
    snprintf(plain, sizeof plain, "%llu", (unsigned long long)v);
    return group_digits(buf, cap, plain);
}

const char *rpt_fmt_i64(char *buf, size_t cap, int64_t v)
{
    char plain[32];
    snprintf(plain, sizeof plain, "%lld", (long long)v);
    return group_digits(buf, cap, plain);
}

/* The report renders one snapshot at a time (tx_report_write): its reporting currency. */
static char money_code[8];

void rpt_set_currency(const char *code)
{
    snprintf(money_code, sizeof money_code, "%s", code ? code : "");
}

const char *rpt_fmt_cents_in(char *buf, size_t cap, int64_t cents, const char *code)
{
    char plain[48];
    unsigned long long mag = cents < 0 ? 0ULL - (unsigned long long)cents : (unsigned long long)cents;
    snprintf(plain, sizeof plain, "%s%llu.%02llu", cents < 0 ? "-" : "", mag / 100, mag % 100);
    group_digits(buf, cap, plain);
    if (code && *code) {
        size_t len = strlen(buf);
        snprintf(buf + len, cap > len ? cap - len : 0, " %s", code);
    }
    return buf;
}

const char *rpt_fmt_cents(char *buf, size_t cap, int64_t cents)
{
    return rpt_fmt_cents_in(buf, cap, cents, money_code);
}

const char *rpt_fmt_money(char *buf, size_t cap, double units)
{
    if (!isfinite(units) || fabs(units) > 9e15) {
        snprintf(buf, cap, "%s", NA);
        return buf;
    }
    return rpt_fmt_cents(buf, cap, (int64_t)llround(units * 100.0));
}

const char *rpt_fmt_num(char *buf, size_t cap, double v, int decimals)
{
    if (!isfinite(v) || fabs(v) > 9e15) {
        snprintf(buf, cap, "%s", NA);
        return buf;
    }
    char plain[64];
    snprintf(plain, sizeof plain, "%.*f", decimals, v);
    if (strcmp(plain, "-0") == 0 || strspn(plain, "-0.") == strlen(plain))
        memmove(plain, plain + (plain[0] == '-'), strlen(plain) + 1 - (plain[0] == '-'));
    return group_digits(buf, cap, plain);
}

const char *rpt_fmt_pct(char *buf, size_t cap, double frac, int decimals)
{
    if (!isfinite(frac)) {
        snprintf(buf, cap, "%s", NA);
        return buf;
    }
    char num[64];
    rpt_fmt_num(num, sizeof num, frac * 100.0, decimals);
    snprintf(buf, cap, "%s%%", num);
    return buf;
}

const char *rpt_fmt_compact(char *buf, size_t cap, double v)
{
    static const struct { double scale; const char *suffix; } units[] = {
        {1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "k"}};
    double a = fabs(v);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (a >= units[i].scale) {
            double x = v / units[i].scale;
            /* one decimal only when it says something (1.5k, not 2.0k) */
            if (fabs(x - round(x)) < 0.05 || fabs(x) >= 100)
                snprintf(buf, cap, "%.0f%s", x, units[i].suffix);
            else
                snprintf(buf, cap, "%.1f%s", x, units[i].suffix);
            return buf;
        }
    }
    if (fabs(v - round(v)) < 1e-9)
        snprintf(buf, cap, "%.0f", v);
    else
        snprintf(buf, cap, "%.2g", v);
    return buf;
}

const char *rpt_fmt_date(char *buf, size_t cap, int32_t days)
{
    char d[16];
    snprintf(buf, cap, "%s", tx_format_date(days, d));
    return buf;
}

const char *rpt_fmt_month(char *buf, size_t cap, int32_t yyyymm)
{
    int m = (int)(yyyymm % 100);
    if (m >= 1 && m <= 12)
        snprintf(buf, cap, "%s %d", rpt_month_abbr[m - 1], (int)(yyyymm / 100));
    else
        snprintf(buf, cap, "%d", (int)yyyymm);
    return buf;
}

void rpt_esc(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

double rpt_nice_step(double range, int n)
{
    if (!(range > 0) || !isfinite(range) || n < 1)
        return 1.0;
    double raw = range / n;
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    double nice = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 2.5 ? 2.5 : f <= 5.0 ? 5.0 : 10.0;
    return nice * mag;
}

const char *rpt_plural(double n, const char *one, const char *many)
{
    return n == 1.0 ? one : many;
}
