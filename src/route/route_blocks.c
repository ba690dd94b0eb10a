/* route_blocks.c - an all-to-all of fixed-size elements in bounded exchange rounds (see
 * route.h): counts first, then rounds of tx_exchange, each source's elements placed where
 * MPI_Alltoallv would put them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "txetl/mpiutil.h"
#include "txetl/route.h"

#define DEFAULT_ROUND_BYTES ((size_t)16 << 20)

size_t tx_route_round_bytes(void)
{
    const char *s = getenv("TXETL_ROUND_BYTES");
    if (s && *s) {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (!*end && v >= 1 && v <= SIZE_MAX)
            return (size_t)v;
    }
    return DEFAULT_ROUND_BYTES;
}

int tx_exchange_blocks(MPI_Comm comm, const void *send, const size_t *scnt, size_t size,
                       size_t round_bytes, void **recv, size_t *rcnt, size_t *nrecv,
                       tx_error *err)
{
    int rank, n, rc = TX_OK;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &n);
    *recv = NULL;
    *nrecv = 0;
    const char *src = send;
    char *out = NULL;
    tx_outbox *ob = NULL;
    /* [n] each: counts sent and received (as uint64 for MPI), send offset, elements sent so
     * far, receive offset, elements received so far. */
    uint64_t *c64 = calloc((size_t)n * 2, sizeof *c64);
    size_t *soff = calloc((size_t)n * 4, sizeof *soff);
    if (!c64 || !soff || size == 0)
        MPI_Abort(comm, 3); /* a few words per rank, or a caller's bug: nothing to agree with */
    uint64_t *r64 = c64 + n;
    size_t *sent = soff + n, *roff = soff + 2 * n, *got_n = soff + 3 * n;
    for (int d = 0; d < n; d++)
        c64[d] = scnt[d];
    MPI_Alltoall(c64, 1, MPI_UINT64_T, r64, 1, MPI_UINT64_T, comm);
    size_t total = 0, stotal = 0;
    for (int s = 0; s < n; s++) {
        rcnt[s] = (size_t)r64[s];
        roff[s] = total;
        total += rcnt[s];
        soff[s] = stotal;
        stotal += scnt[s];
    }
    out = malloc(total ? total * size : 1);
    if (!out)
        rc = tx_error_set(err, TX_ENOMEM, "out of memory for %zu elements of an exchange",
                          total);
    if (rc == TX_OK && scnt[rank]) { /* this rank's own group never goes through MPI */
        memcpy(out + roff[rank] * size, src + soff[rank] * size, scnt[rank] * size);
        got_n[rank] = scnt[rank];
    }
    sent[rank] = scnt[rank];
    if (tx_outbox_new(n, &ob, err) != TX_OK)
        MPI_Abort(comm, 3);
    /* Per destination and round: an even share of the budget, at least one element. */
    size_t share = n > 1 ? round_bytes / (size_t)(n - 1) / size : 1;
    if (share == 0)
        share = 1;
    int any_more = 1, put_ok = 1;
    while (any_more) {
        int more = 0;
        for (int d = 0; d < n && put_ok; d++) {
            size_t k = scnt[d] - sent[d] < share ? scnt[d] - sent[d] : share;
            if (k && tx_outbox_put(ob, d, src + (soff[d] + sent[d]) * size, k * size, err) !=
                         TX_OK) {
                rc = TX_ENOMEM;
                put_ok = 0; /* stop sending; keep taking part in the rounds */
                break;
            }
            sent[d] += k;
            more |= sent[d] < scnt[d];
        }
        tx_delivery got;
        int xrc = tx_exchange(comm, ob, put_ok && more, &got, &any_more, err);
        if (rc == TX_OK)
            rc = xrc;
        const char *p = got.recv;
        for (int s = 0; s < n; s++) {
            size_t b = got.from[s];
            if (rc == TX_OK && (b % size || b / size > rcnt[s] - got_n[s]))
                rc = tx_error_set(err, TX_ERR, "exchange: rank %d sent %zu bytes, more than "
                                  "its %zu elements of %zu bytes", s, b, rcnt[s], size);
            if (rc == TX_OK && b) {
                memcpy(out + (roff[s] + got_n[s]) * size, p, b);
                got_n[s] += b / size;
            }
            p += b;
        }
    }
    tx_outbox_free(&ob);
    /* First whether any rank failed on its own; only when none did, whether everything came. */
    rc = tx_agree(comm, rc, err);
    if (rc == TX_OK) {
        for (int s = 0; s < n && rc == TX_OK; s++)
            if (got_n[s] != rcnt[s])
                rc = tx_error_set(err, TX_ERR, "exchange: %zu of %zu elements from rank %d "
                                  "arrived", got_n[s], rcnt[s], s);
        rc = tx_agree(comm, rc, err);
    }
    free(c64);
    free(soff);
    if (rc != TX_OK) {
        free(out);
        return rc;
    }
    *recv = out;
    *nrecv = total;
    return TX_OK;
}
