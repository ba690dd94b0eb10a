/* error.c - the first-error record. */
#include "txetl/error.h"

#include <stdarg.h>
#include <stdio.h>

int tx_error_set(tx_error *err, int status, const char *fmt, ...)
{
    if (err == NULL || err->status != TX_OK)
        return status;
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return status;
}

void tx_error_clear(tx_error *err)
{
    err->status = TX_OK;
    err->msg[0] = '\0';
}

int tx_status_exit_code(int status)
{
    if (status == TX_OK)
        return 0;
    if (status == TX_EUSAGE)
        return 2;
    return 1;
}
