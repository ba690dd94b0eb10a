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

/* What one round delivered to this rank: the parts from the other ranks (in rank order) in
 * `recv`, and this rank's own part, which never goes through MPI, in `self`. Both stay valid
 * until the next round. */
typedef struct tx_delivery {
    const char *recv, *self;
    size_t recv_len, self_len;
} tx_delivery;

/* Collective. Sends every queued byte to its destination; the outbox is emptied at the start
 * of the next round (the self part is read from it). Also agrees whether any rank has more to
 * send: *any_more is the OR over ranks of `more` (so every rank runs the same number of
 * rounds). Buffers are kept by the outbox between rounds. */
int tx_exchange(MPI_Comm comm, tx_outbox *ob, int more, tx_delivery *got, int *any_more,
                tx_error *err);

#endif
