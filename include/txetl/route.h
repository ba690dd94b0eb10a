/* route.h - the one generic exchange: items packed per destination rank in an outbox, then one
 * round of MPI_Alltoall (byte counts) + MPI_Alltoallv (bytes). Callers cap a round's bytes, so
 * memory stays flat whatever the input size. tx_exchange_blocks runs such rounds for an array
 * of fixed-size elements already grouped by destination (the all-to-all of the reduce's sample
 * sort and of txgen). */
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
 * `recv`, and this rank's own part, which never goes through MPI, in `self`. from[i] is the
 * length of rank i's part of `recv` (from[own rank] = 0), so a caller that needs to know the
 * sender can split `recv`. All stay valid until the next round. */
typedef struct tx_delivery {
    const char *recv, *self;
    size_t recv_len, self_len;
    const size_t *from;
} tx_delivery;

/* Collective. Sends every queued byte to its destination; the outbox is emptied at the start
 * of the next round (the self part is read from it). Also agrees whether any rank has more to
 * send: *any_more is the OR over ranks of `more` (so every rank runs the same number of
 * rounds). Buffers are kept by the outbox between rounds. */
int tx_exchange(MPI_Comm comm, tx_outbox *ob, int more, tx_delivery *got, int *any_more,
                tx_error *err);

/* The round budget the exchanges outside the load use (bytes a rank sends per round): 16 MiB,
 * or the environment's TXETL_ROUND_BYTES when it is a number >= 1 (a test knob: tiny rounds
 * run the multi-round paths on small inputs; results do not depend on it). Local. */
size_t tx_route_round_bytes(void);

/* Collective. An MPI_Alltoallv of fixed-size elements in bounded rounds. `send` holds, for each
 * destination rank d in rank order, scnt[d] elements of `size` bytes, contiguous. On TX_OK,
 * *recv (malloc'd, the caller frees; never NULL) holds the elements sent to this rank grouped
 * by source rank in rank order, each group in its sender's order (MPI_Alltoallv's layout), with
 * rcnt[s] (an array of nranks the caller provides) elements from rank s and *nrecv in all.
 * Rounds of tx_exchange carry at most about round_bytes per rank (split evenly between the
 * destinations, at least one element each), and this rank's own group is copied directly, so
 * besides the result only one round's buffers are held. A local failure (out of memory, a
 * damaged round) does not stop the rounds; the outcome is agreed: every rank returns the same
 * status, the message of the lowest failing rank in err, *recv NULL. */
int tx_exchange_blocks(MPI_Comm comm, const void *send, const size_t *scnt, size_t size,
                       size_t round_bytes, void **recv, size_t *rcnt, size_t *nrecv,
                       tx_error *err);

#endif
