/* mpiutil.h - agreement between ranks: every phase ends with every rank knowing whether any
 * rank failed, and with the same first error message. */
#ifndef TXETL_MPIUTIL_H
#define TXETL_MPIUTIL_H

#include <mpi.h>

#include "txetl/error.h"

/* Collective. Agrees on `status` (this rank's outcome, err holding its message): returns TX_OK
 * when every rank passed TX_OK; otherwise the status of the lowest failing rank, whose message
 * is copied into err on every rank. An MPI failure returns TX_ERR. */
int tx_agree(MPI_Comm comm, int status, tx_error *err);

#endif
