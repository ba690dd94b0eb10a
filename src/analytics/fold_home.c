/* fold_home.c - the home table of the fold at more than one rank (fold.c, docs/analytics.md):
 * each customer has a home rank (a hash of its customer_id). A rank folds its rows into a
 * bounded table of partials; when that table is full, and once its sources are done, it
 * sends every partial to its customer's home, where it merges into the home table. So a rank
 * holds the customers it is home to plus a fixed buffer (and what fold.c keeps of the month
 * it reads), however many transactions or months each customer has, and however many
 * customers its months hold.
 *
 * Exactness. The partials of one customer that reach home hold disjoint rows. Each purchase
 * day and month is counted by one of them (fold.c carries the days of a month cut by a send
 * into the customer's next partial), so counts and sums add; the shared-month bits (fold.c)
 * and the cohort windows' month bits are or-ed (a month held by two partials counts once),
 * first / last take min / max, first-day sums add on a tie. Once every rank is done, each
 * home partial is the customer's complete history.
 *
 * Messages. Point to point on a duplicate of the communicator, so no collective waits on
 * them: data messages of at most `chunk` elements (the same on every rank) and one empty
 * "done" message from each rank to each other after its last data. A receive for the next
 * message is always posted; a rank tests it every few rows while it folds and waits on it
 * together with its own send, so two ranks sending to each other never block each other.
 * MPI keeps the order of messages from one sender, so a rank that has every other rank's
 * "done" has everything. A message small enough for MPI's eager protocol completes at once
 * and may wait in the receiver's MPI until its next test; larger ones wait for the receive.
 * A rank waiting for a send reads no rows meanwhile: its server connection waits (seconds at
 * most, while the receiver runs a short query or folds up to 1024 rows). */
#include <stdlib.h>
#include <string.h>

#include "analytics_internal.h"
#include "txetl/route.h"

enum { TAG_DATA = 1, TAG_DONE = 2 };

struct txa_home {
    MPI_Comm comm;
    int rank, size, words;
    size_t stride; /* txa_elem_size(words) */
    size_t chunk;  /* elements per data message */
    char *e;       /* the home partials, dense */
    size_t n, ecap;
    uint32_t *slot; /* hash table: 1 + the index of a partial, 0 empty */
    size_t cap;
    int bits;
    char *sbuf, *rbuf;  /* one message each */
    MPI_Request rreq;   /* the posted receive, or MPI_REQUEST_NULL once all are done */
    int done;           /* "done" messages received */
    int overflow;       /* over 2^32 - 2 home partials */
    uint32_t *order;    /* txa_home_send: the elements by home */
    size_t ocap;
    uint64_t sent, received, sends;
};

static inline size_t slot_hash(uint64_t id, int bits)
{
    return (size_t)((id * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

int txa_home_of(uint64_t customer_id, int size)
{
    return (int)(((customer_id * 0xD6E8FEB86659FD93ull) >> 32) % (uint64_t)size);
}

void txa_elem_merge(void *dst, const void *src, int words)
{
    txa_part *c = dst;
    const txa_part *q = src;
    const int mc = tx_month_index(c->first), mq = tx_month_index(q->first);
    int64_t *cr = txa_elem_rev(c, words);
    const int64_t *qr = txa_elem_crev(q, words);
    uint64_t *cm = txa_elem_mask(c, words);
    const uint64_t qm = *txa_elem_cmask(q, words);
    const uint64_t keep = (1ull << TXA_COHORT_K) - 1;
    if (mq < mc) { /* the window starts at q's first month now: c's moves up */
        const int d = mc - mq;
        for (int k = TXA_COHORT_K - 1; k >= 0; k--)
            cr[k] = k >= d ? cr[k - d] : 0;
        *cm = d < TXA_COHORT_K ? (*cm << d) & keep : 0;
        for (int k = 0; k < TXA_COHORT_K; k++)
            cr[k] += qr[k];
        *cm |= qm;
    } else { /* q's months sit d later in c's window */
        const int d = mq - mc;
        for (int k = 0; k + d < TXA_COHORT_K; k++)
            cr[k + d] += qr[k];
        *cm |= d < TXA_COHORT_K ? (qm << d) & keep : 0;
    }
    uint64_t *cb = (uint64_t *)(void *)(c + 1);
    const uint64_t *qb = (const uint64_t *)(const void *)(q + 1);
    for (int w = 0; w < words; w++)
        cb[w] |= qb[w];
    txa_part_merge(c, q);
}

/* Merges one element into the home table. */
static void home_put(txa_home *h, const char *x)
{
    uint64_t id;
    memcpy(&id, x + offsetof(txa_part, customer_id), sizeof id);
    if (4 * (h->n + 1) > 3 * h->cap) { /* load at most 3/4: double and rehash */
        free(h->slot);
        h->bits++;
        h->cap = (size_t)1 << h->bits;
        h->slot = TX_XCALLOC(h->cap, sizeof *h->slot);
        for (size_t i = 0; i < h->n; i++) {
            uint64_t k;
            memcpy(&k, h->e + i * h->stride + offsetof(txa_part, customer_id), sizeof k);
            size_t s = slot_hash(k, h->bits);
            while (h->slot[s])
                s = (s + 1) & (h->cap - 1);
            h->slot[s] = (uint32_t)(i + 1);
        }
    }
    size_t s = slot_hash(id, h->bits);
    for (;; s = (s + 1) & (h->cap - 1)) {
        const uint32_t k = h->slot[s];
        if (!k)
            break;
        char *y = h->e + (size_t)(k - 1) * h->stride;
        uint64_t yid;
        memcpy(&yid, y + offsetof(txa_part, customer_id), sizeof yid);
        if (yid == id) {
            txa_elem_merge(y, x, h->words);
            return;
        }
    }
    if (h->n >= UINT32_MAX - 1) {
        h->overflow = 1;
        return;
    }
    if (h->n == h->ecap) {
        h->ecap = h->ecap ? 2 * h->ecap : (size_t)1 << 12;
        h->e = TX_XREALLOC(h->e, h->ecap * h->stride);
    }
    h->slot[s] = (uint32_t)(h->n + 1);
    memcpy(h->e + h->n * h->stride, x, h->stride);
    h->n++;
}

/* A received message (its status st): merged, or one more rank done; then the next receive. */
static void handle(txa_home *h, const MPI_Status *st)
{
    if (st->MPI_TAG == TAG_DONE) {
        h->done++;
    } else {
        int bytes = 0;
        MPI_Get_count(st, MPI_BYTE, &bytes);
        const size_t k = (size_t)bytes / h->stride;
        for (size_t i = 0; i < k; i++)
            home_put(h, h->rbuf + i * h->stride);
        h->received += k;
    }
    h->rreq = MPI_REQUEST_NULL;
    if (h->done < h->size - 1)
        MPI_Irecv(h->rbuf, (int)(h->chunk * h->stride), MPI_BYTE, MPI_ANY_SOURCE, MPI_ANY_TAG,
                  h->comm, &h->rreq);
}

txa_home *txa_home_new(MPI_Comm comm, int words)
{
    txa_home *h = TX_XCALLOC(1, sizeof *h);
    MPI_Comm_dup(comm, &h->comm);
    MPI_Comm_rank(h->comm, &h->rank);
    MPI_Comm_size(h->comm, &h->size);
    h->words = words;
    h->stride = txa_elem_size(words);
    size_t bytes = tx_route_round_bytes();
    if (bytes > ((size_t)1 << 20))
        bytes = (size_t)1 << 20;
    unsigned long long chunk = bytes / h->stride ? bytes / h->stride : 1;
    /* every rank's receive must hold every rank's message: the smallest chunk */
    MPI_Allreduce(MPI_IN_PLACE, &chunk, 1, MPI_UNSIGNED_LONG_LONG, MPI_MIN, h->comm);
    h->chunk = (size_t)chunk;
    h->bits = 10;
    h->cap = (size_t)1 << h->bits;
    h->slot = TX_XCALLOC(h->cap, sizeof *h->slot);
    h->sbuf = TX_XMALLOC(h->chunk * h->stride);
    h->rbuf = TX_XMALLOC(h->chunk * h->stride);
    h->rreq = MPI_REQUEST_NULL;
    if (h->size > 1)
        MPI_Irecv(h->rbuf, (int)(h->chunk * h->stride), MPI_BYTE, MPI_ANY_SOURCE, MPI_ANY_TAG,
                  h->comm, &h->rreq);
    return h;
}

void txa_home_poll(txa_home *h)
{
    for (;;) {
        int flag = 0;
        MPI_Status st;
        if (h->rreq == MPI_REQUEST_NULL)
            return;
        MPI_Test(&h->rreq, &flag, &st);
        if (!flag)
            return;
        handle(h, &st);
    }
}

/* Waits for the send *sq, receiving meanwhile. */
static void wait_send(txa_home *h, MPI_Request *sq)
{
    for (;;) {
        MPI_Request rq[2] = {*sq, h->rreq};
        MPI_Status st;
        int idx = MPI_UNDEFINED;
        MPI_Waitany(2, rq, &idx, &st);
        *sq = rq[0];
        if (idx == 1)
            handle(h, &st);
        else
            return; /* the send (idx 0), or nothing left to wait for */
    }
}

void txa_home_send(txa_home *h, const char *elems, size_t n)
{
    if (n > h->ocap) {
        h->ocap = n;
        free(h->order);
        h->order = TX_XMALLOC(n * sizeof *h->order);
    }
    size_t *at = TX_XCALLOC((size_t)h->size + 1, sizeof *at);
    for (size_t i = 0; i < n; i++) {
        uint64_t id;
        memcpy(&id, elems + i * h->stride + offsetof(txa_part, customer_id), sizeof id);
        at[txa_home_of(id, h->size) + 1]++;
    }
    for (int r = 0; r < h->size; r++)
        at[r + 1] += at[r];
    size_t *fill = TX_XMALLOC(((size_t)h->size + 1) * sizeof *fill);
    memcpy(fill, at, ((size_t)h->size + 1) * sizeof *fill);
    for (size_t i = 0; i < n; i++) {
        uint64_t id;
        memcpy(&id, elems + i * h->stride + offsetof(txa_part, customer_id), sizeof id);
        h->order[fill[txa_home_of(id, h->size)]++] = (uint32_t)i;
    }
    free(fill);
    for (int k = 1; k <= h->size; k++) { /* the other ranks from the next one on, then here */
        const int d = (h->rank + k) % h->size;
        if (d == h->rank) {
            for (size_t j = at[d]; j < at[d + 1]; j++)
                home_put(h, elems + (size_t)h->order[j] * h->stride);
            continue;
        }
        for (size_t j = at[d]; j < at[d + 1];) {
            size_t m = 0;
            for (; m < h->chunk && j < at[d + 1]; m++, j++)
                memcpy(h->sbuf + m * h->stride, elems + (size_t)h->order[j] * h->stride,
                       h->stride);
            MPI_Request sq;
            MPI_Isend(h->sbuf, (int)(m * h->stride), MPI_BYTE, d, TAG_DATA, h->comm, &sq);
            wait_send(h, &sq);
            h->sent += m;
            h->sends++;
        }
    }
    free(at);
}

void txa_home_finish(txa_home *h)
{
    const int others = h->size - 1;
    MPI_Request *rq = TX_XMALLOC(((size_t)others + 1) * sizeof *rq);
    for (int k = 1; k <= others; k++)
        MPI_Isend(NULL, 0, MPI_BYTE, (h->rank + k) % h->size, TAG_DONE, h->comm, &rq[k]);
    for (;;) {
        rq[0] = h->rreq;
        MPI_Status st;
        int idx = MPI_UNDEFINED;
        MPI_Waitany(others + 1, rq, &idx, &st);
        if (idx == MPI_UNDEFINED)
            break; /* every send done and every rank's "done" here */
        if (idx == 0)
            handle(h, &st);
    }
    free(rq);
    free(h->order);
    h->order = NULL;
    h->ocap = 0;
    free(h->sbuf);
    free(h->rbuf);
    h->sbuf = h->rbuf = NULL;
    free(h->slot);
    h->slot = NULL;
    MPI_Comm_free(&h->comm); /* MPI_COMM_NULL now */
}

int txa_home_overflow(const txa_home *h)
{
    return h->overflow;
}

const char *txa_home_elems(const txa_home *h, size_t *n)
{
    *n = h->n;
    return h->e;
}

char *txa_home_take(txa_home *h, size_t *n)
{
    char *e = h->e;
    *n = h->n;
    h->e = NULL;
    h->n = h->ecap = 0;
    return e;
}

void txa_home_stats(const txa_home *h, uint64_t *sent, uint64_t *received, uint64_t *messages)
{
    *sent = h->sent;
    *received = h->received;
    *messages = h->sends;
}

void txa_home_free(txa_home *h)
{
    if (!h)
        return;
    free(h->e);
    free(h->slot);
    free(h->sbuf);
    free(h->rbuf);
    free(h->order);
    free(h);
}
