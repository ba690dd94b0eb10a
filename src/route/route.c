/* route.c - outbox and exchange rounds (see route.h). */
#include "txetl/route.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct tx_outbox {
    int n, rank;
    char **buf;
    size_t *len, *cap;
    size_t total;
    int delivered; /* the last round's self part is still being read: empty it first */
    char *send, *recv;
    size_t send_cap, recv_cap;
    size_t *from; /* the last round's bytes from each rank (tx_delivery.from) */
};

int tx_outbox_new(int nranks, tx_outbox **out, tx_error *err)
{
    tx_outbox *ob = calloc(1, sizeof *ob);
    if (ob) {
        ob->n = nranks;
        ob->buf = calloc((size_t)nranks, sizeof *ob->buf);
        ob->len = calloc((size_t)nranks, sizeof *ob->len);
        ob->cap = calloc((size_t)nranks, sizeof *ob->cap);
        ob->from = calloc((size_t)nranks, sizeof *ob->from);
    }
    if (!ob || !ob->buf || !ob->len || !ob->cap || !ob->from) {
        tx_outbox_free(&ob);
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    }
    *out = ob;
    return TX_OK;
}

void tx_outbox_free(tx_outbox **obp)
{
    tx_outbox *ob = *obp;
    if (!ob)
        return;
    for (int i = 0; ob->buf && i < ob->n; i++)
        free(ob->buf[i]);
    free(ob->send);
    free(ob->recv);
    free(ob->buf);
    free(ob->len);
    free(ob->cap);
    free(ob->from);
    free(ob);
    *obp = NULL;
}

static void reset(tx_outbox *ob)
{
    if (ob->delivered) {
        ob->len[ob->rank] = 0;
        ob->delivered = 0;
    }
}

int tx_outbox_put(tx_outbox *ob, int dest, const void *bytes, size_t len, tx_error *err)
{
    reset(ob);
    if (ob->len[dest] + len > ob->cap[dest]) {
        size_t nc = ob->cap[dest] ? ob->cap[dest] * 2 : 1 << 16;
        while (nc < ob->len[dest] + len)
            nc *= 2;
        char *nb = realloc(ob->buf[dest], nc);
        if (!nb)
            return tx_error_set(err, TX_ENOMEM, "out of memory");
        ob->buf[dest] = nb;
        ob->cap[dest] = nc;
    }
    memcpy(ob->buf[dest] + ob->len[dest], bytes, len);
    ob->len[dest] += len;
    ob->total += len;
    return TX_OK;
}

size_t tx_outbox_bytes(const tx_outbox *ob)
{
    return ob->delivered ? 0 : ob->total;
}

static void *grow(void *p, size_t *cap, size_t need, MPI_Comm comm)
{
    if (need <= *cap)
        return p;
    size_t nc = *cap ? *cap : 1 << 16;
    while (nc < need)
        nc *= 2;
    void *np = realloc(p, nc);
    if (!np)
        MPI_Abort(comm, 3); /* out of memory mid-collective: no safe way on */
    *cap = nc;
    return np;
}

int tx_exchange(MPI_Comm comm, tx_outbox *ob, int more, tx_delivery *got, int *any_more,
                tx_error *err)
{
    reset(ob);
    int n = ob->n, rc = TX_OK;
    MPI_Comm_rank(comm, &ob->rank);
    int *sc = calloc((size_t)n, sizeof *sc), *rcnt = calloc((size_t)n, sizeof *rcnt);
    int *sd = calloc((size_t)n, sizeof *sd), *rd = calloc((size_t)n, sizeof *rd);
    /* Out of memory or a round over the MPI count limit (callers cap rounds far below it)
     * cannot be agreed on without the collectives below: abort. */
    if (!sc || !rcnt || !sd || !rd || ob->total > INT_MAX)
        MPI_Abort(comm, 3);
    size_t off = 0, others = ob->total - ob->len[ob->rank];
    ob->send = grow(ob->send, &ob->send_cap, others ? others : 1, comm);
    for (int i = 0; i < n; i++) {
        sd[i] = (int)off;
        if (i == ob->rank)
            continue; /* the self part stays in the outbox */
        sc[i] = (int)ob->len[i];
        if (ob->len[i]) /* a destination never written to has no buffer */
            memcpy(ob->send + off, ob->buf[i], ob->len[i]);
        off += ob->len[i];
        ob->len[i] = 0;
    }
    if (MPI_Alltoall(sc, 1, MPI_INT, rcnt, 1, MPI_INT, comm) != MPI_SUCCESS)
        rc = tx_error_set(err, TX_ERR, "MPI_Alltoall of byte counts failed");
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        rd[i] = (int)total;
        ob->from[i] = i == ob->rank ? 0 : (size_t)rcnt[i];
        total += ob->from[i];
    }
    if (total > INT_MAX)
        MPI_Abort(comm, 3);
    ob->recv = grow(ob->recv, &ob->recv_cap, total ? total : 1, comm);
    if (n > 1 && MPI_Alltoallv(ob->send, sc, sd, MPI_BYTE, ob->recv, rcnt, rd, MPI_BYTE, comm) !=
                     MPI_SUCCESS)
        rc = tx_error_set(err, TX_ERR, "MPI_Alltoallv of records failed");
    got->recv = ob->recv;
    got->recv_len = total;
    got->self = ob->buf[ob->rank];
    got->self_len = ob->len[ob->rank];
    got->from = ob->from;
    ob->total = ob->len[ob->rank];
    ob->delivered = 1;
    int m = more ? 1 : 0;
    if (MPI_Allreduce(&m, any_more, 1, MPI_INT, MPI_LOR, comm) != MPI_SUCCESS)
        rc = tx_error_set(err, TX_ERR, "MPI_Allreduce of the more-flag failed");
    free(sc);
    free(rcnt);
    free(sd);
    free(rd);
    return rc;
}
