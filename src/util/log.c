/* log.c - rank-aware log lines. The rank and level are set once at start-up. */
#include "txetl/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

#include "txetl/fmt.h"

static int log_rank = 0;
static tx_log_level log_max = TX_LOG_INFO;

void tx_log_init(int rank, tx_log_level max_level)
{
    log_rank = rank;
    log_max = max_level;
}

int tx_log_rank(void)
{
    return log_rank;
}

tx_log_level tx_log_level_max(void)
{
    return log_max;
}

void tx_log_write(tx_log_level level, const char *fmt, ...)
{
    static const char *names[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    char stamp[32];
    stamp[tx_fmt_iso_utc(stamp, (int64_t)time(NULL))] = '\0';

    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s [%d] %-5s %s\n", stamp, log_rank, names[level], line);
}
