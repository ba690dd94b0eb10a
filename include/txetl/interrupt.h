/* interrupt.h - SIGINT and SIGTERM turned into a flag that the load checks at its phase and
 * round boundaries, so that every rank stops together, the run is marked failed with the
 * reason and txetl exits non-zero (docs/load.md "A failed run"). */
#ifndef TXETL_INTERRUPT_H
#define TXETL_INTERRUPT_H

/* Local. Installs the handlers (no SA_RESTART: a sleep or a blocking read returns early). */
void tx_interrupt_install(void);
/* Local. The first signal received (SIGINT or SIGTERM), or 0. */
int tx_interrupted(void);
/* Local. "SIGINT" / "SIGTERM" for tx_interrupted()'s value. */
const char *tx_interrupt_name(int sig);

#endif
