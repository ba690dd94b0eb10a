/* route.c - outbox and exchange rounds (see route.h). */
#include "txetl/route.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct tx_outbox {
    int n;
    char **buf;
    size_t *len, *cap;
    size_t total;
};

int tx_outbox_new(int nranks, tx_outbox **out, tx_error *err)
{
    tx_outbox *ob = calloc(1, sizeof *ob);
    if (ob) {
        ob->n = nranks;
        ob->buf = calloc((size_t)nranks, sizeof *ob->buf);
        ob->len = calloc((size_t)nranks, sizeof *ob->len);
        ob->cap = calloc((size_t)nranks, sizeof *ob->cap);
    }
    if (!ob || !ob->buf || !ob->len || !ob->cap) {
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
    free(ob->buf);
    free(ob->len);
    free(ob->cap);
    free(ob);
    *obp = NULL;
}

int tx_outbox_put(tx_outbox *ob, int dest, const void *bytes, size_t len, tx_error *err)
{
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
    return ob->total;
}

int tx_exchange(MPI_Comm comm, tx_outbox *ob, int more, char **recv, size_t *recv_cap,
                size_t *recv_len, int *any_more, tx_error *err)
{
    int n = ob->n, rc = TX_OK;
    /* counts[0..n-1] bytes to each rank, counts[n] = more flag */
    int *sc = calloc((size_t)n + 1, sizeof *sc), *rcnt = calloc((size_t)n + 1, sizeof *rcnt);
    int *sd = calloc((size_t)n, sizeof *sd), *rd = calloc((size_t)n, sizeof *rd);
    char *send = NULL;
    /* Out of memory or a round over the MPI count limit (callers cap rounds far below it)
     * cannot be agreed on without the collectives below: abort. */
    send = malloc(ob->total ? ob->total : 1);
    if (!sc || !rcnt || !sd || !rd || !send || ob->total > INT_MAX)
        MPI_Abort(comm, 3);
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        sc[i] = (int)ob->len[i];
        sd[i] = (int)off;
        memcpy(send + off, ob->buf[i], ob->len[i]);
        off += ob->len[i];
        ob->len[i] = 0;
    }
    ob->total = 0;
    /* Alltoall of counts; the more-flag rides along as an Allreduce. */
    if (MPI_Alltoall(sc, 1, MPI_INT, rcnt, 1, MPI_INT, comm) != MPI_SUCCESS) {
        rc = tx_error_set(err, TX_ERR, "MPI_Alltoall of byte counts failed");
        goto out;
    }
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        rd[i] = (int)total;
        total += (size_t)rcnt[i];
    }
    if (total > INT_MAX) {
        rc = tx_error_set(err, TX_ERR, "exchange round receives %zu bytes, over the MPI limit", total);
        /* fall through: every rank must still take part in the collectives below */
    }
    if (total > *recv_cap) {
        char *nb = realloc(*recv, total);
        if (!nb)
            MPI_Abort(comm, 3); /* out of memory mid-collective: no safe way on */
        *recv = nb;
        *recv_cap = total;
    }
    if (MPI_Alltoallv(send, sc, sd, MPI_BYTE, *recv ? *recv : send, rcnt, rd, MPI_BYTE, comm) !=
        MPI_SUCCESS)
        rc = tx_error_set(err, TX_ERR, "MPI_Alltoallv of records failed");
    *recv_len = total;
    int m = more ? 1 : 0;
    if (MPI_Allreduce(&m, any_more, 1, MPI_INT, MPI_LOR, comm) != MPI_SUCCESS)
        rc = tx_error_set(err, TX_ERR, "MPI_Allreduce of the more-flag failed");
out:
    free(send);
    free(sc);
    free(rcnt);
    free(sd);
    free(rd);
    return rc;
}
