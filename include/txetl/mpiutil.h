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

/* Collective. Every rank's n elements of `type` (elem bytes each, n may differ between ranks
 * and be 0), concatenated in rank order, on every rank: a new array (TX_XMALLOC, never NULL;
 * caller frees) of *total elements. Meant for small lists (ranges, codes, samples): it is one
 * MPI_Allgatherv, not route/'s bounded rounds. */
void *tx_allgather_var(MPI_Comm comm, const void *mine, int n, MPI_Datatype type, size_t elem,
                       size_t *total);

/* Local; call before MPI_Init. When every rank of the job runs on this node (a singleton, or an
 * Open MPI launch with OMPI_COMM_WORLD_SIZE == OMPI_COMM_WORLD_LOCAL_SIZE), no OMPI_MCA_pml is
 * set in the environment and TXETL_MPI_DEFAULTS is not "0", selects Open MPI's ob1 messaging
 * layer (shared memory between the ranks): probing for UCX network devices costs ~0.2 s of
 * MPI_Init per process and buys nothing inside one node. Multi-node launches (and srun without
 * Open MPI's variables) are left alone. Returns 1 when it set the variable, else 0. */
int tx_mpi_env_defaults(void);

#endif
