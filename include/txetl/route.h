/* route.h - the one generic exchange: items packed per destination rank in an outbox, then one
 * round of MPI_Alltoall (byte counts) + MPI_Alltoallv (bytes). Callers cap a round's bytes, so
 * memory stays flat whatever the input size. */
#ifndef TXETL_ROUTE_H
#define TXETL_ROUTE_H

#include <mpi.h>
#include <stddef.h>

#include "txetl/error.h"

typedef struct tx_outbox tx_outbox;

/* Local. A new outbox for nranks destinations; free with tx_outbox_free. */
int tx_outbox_new(int nranks, tx_outbox **out, tx_error *err);
void tx_outbox_free(tx_outbox **ob);

/* Local. Appends len bytes for rank dest. */
int tx_outbox_put(tx_outbox *ob, int dest, const void *bytes, size_t len, tx_error *err);

/* Local. Bytes queued in all destinations. */
size_t tx_outbox_bytes(const tx_outbox *ob);

/* Collective. Sends every queued byte to its destination and empties the outbox. On return
 * *recv (grown as needed, owned by the caller, free() it) holds *recv_len bytes: the parts from
 * rank 0, 1, ... in rank order. Also agrees whether any rank has more to send: *any_more is the
 * OR over ranks of `more` (so every rank runs the same number of rounds). */
int tx_exchange(MPI_Comm comm, tx_outbox *ob, int more, char **recv, size_t *recv_cap,
                size_t *recv_len, int *any_more, tx_error *err);

#endif
