/* interrupt.c - SIGINT/SIGTERM as a flag (include/txetl/interrupt.h). */
#include <signal.h>
#include <string.h>

#include "txetl/interrupt.h"

static volatile sig_atomic_t got;

static void on_signal(int sig)
{
    if (!got)
        got = sig;
}

void tx_interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int tx_interrupted(void)
{
    return (int)got;
}

const char *tx_interrupt_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}
