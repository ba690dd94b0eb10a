/* error.h - status codes and the first-error record every module reports into. */
#ifndef TXETL_ERROR_H
#define TXETL_ERROR_H

#include <stddef.h>

/* Every function returns TX_OK (0) or a negative status; results go through out parameters. */
enum {
    TX_OK = 0,
    TX_ERR = -1,      /* the run failed: I/O, a shard, data (exit status 1) */
    TX_EUSAGE = -2,   /* bad usage or configuration (exit status 2) */
    TX_ENOMEM = -3,   /* out of memory */
};

/* The first error of an operation: its status and a message naming what is at fault
 * (file and line, shard, table, option). Later errors do not overwrite the first. */
typedef struct tx_error {
    int status;
    char msg[1024];
} tx_error;

/* Local. Records status and message in err unless err already holds an error (or is NULL).
 * Returns status, so callers can write `return tx_error_set(err, TX_ERR, "...")`. */
int tx_error_set(tx_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Local. Clears err to TX_OK with an empty message. */
void tx_error_clear(tx_error *err);

/* Maps a status to the process exit code of docs/commands.md (0, 1 or 2). */
int tx_status_exit_code(int status);

#endif
