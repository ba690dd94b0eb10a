/* log.h - rank-aware log lines on stderr: time, [rank], level, message. */
#ifndef TXETL_LOG_H
#define TXETL_LOG_H

typedef enum tx_log_level {
    TX_LOG_ERROR = 0,
    TX_LOG_WARN = 1,
    TX_LOG_INFO = 2,
    TX_LOG_DEBUG = 3,
} tx_log_level;

/* Local. Sets this process's rank (shown in every line) and the highest level printed.
 * Called once at start-up; the log keeps no other state. */
void tx_log_init(int rank, tx_log_level max_level);

/* Local. The rank given to tx_log_init (for messages only one rank should print). */
int tx_log_rank(void);

/* Local. Current maximum level. */
tx_log_level tx_log_level_max(void);

/* Local. Prints one line to stderr (use TX_LOG, which checks the level first). */
void tx_log_write(tx_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define TX_LOG(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) <= tx_log_level_max())                                                         \
            tx_log_write((level), __VA_ARGS__);                                                    \
    } while (0)

#endif
