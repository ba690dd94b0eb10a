/* rfm.c - RFM scores exactly as SQL's NTILE(5) over all customers (docs/analytics.md). R (a day) and F (an
 * order count, when under 2^20) by a global histogram of the key: no sort at all. M (and F with
 * huge order counts) by a distributed sort of (key, customer_id) pairs: a pair's global row =
 * rows on lower ranks + its local row; the scores travel back to the customer's rank by
 * (rank, row) origin. */
#include <stddef.h>
#include <string.h>

#include "analytics_internal.h"
#include "txetl/cmp.h"
#include "txetl/route.h"

/* The segments of docs/analytics.md, in enum order; `segment` in the snapshot indexes this list. */
enum {
    SEG_CHAMPIONS,
    SEG_LOYAL,
    SEG_POTENTIAL_LOYALIST,
    SEG_NEW_CUSTOMERS,
    SEG_PROMISING,
    SEG_NEED_ATTENTION,
    SEG_ABOUT_TO_SLEEP,
    SEG_AT_RISK,
    SEG_CANNOT_LOSE_THEM,
    SEG_HIBERNATING,
    SEG_LOST,
    NSEGMENTS
};

const char *const txa_segment_names[] = {
    "Champions",      "Loyal",    "Potential loyalist", "New customers",
    "Promising",      "Need attention", "About to sleep", "At risk",
    "Cannot lose them", "Hibernating", "Lost",
};
const int txa_nsegments = NSEGMENTS;

/* [R-1][F-1]. The segment table covers all 25 cells exactly once:
 *        F1              F2              F3              F4         F5
 *   R5   New customers   Potential loy.  Potential loy.  Champions  Champions
 *   R4   Promising       Potential loy.  Potential loy.  Loyal      Loyal
 *   R3   About to sleep  About to sleep  Need attention  Loyal      Loyal
 *   R2   Hibernating     Hibernating     At risk         At risk    Cannot lose them
 *   R1   Lost            Lost            At risk         At risk    Cannot lose them */
static const uint8_t segment_of[5][5] = {
    {SEG_LOST, SEG_LOST, SEG_AT_RISK, SEG_AT_RISK, SEG_CANNOT_LOSE_THEM},
    {SEG_HIBERNATING, SEG_HIBERNATING, SEG_AT_RISK, SEG_AT_RISK, SEG_CANNOT_LOSE_THEM},
    {SEG_ABOUT_TO_SLEEP, SEG_ABOUT_TO_SLEEP, SEG_NEED_ATTENTION, SEG_LOYAL, SEG_LOYAL},
    {SEG_PROMISING, SEG_POTENTIAL_LOYALIST, SEG_POTENTIAL_LOYALIST, SEG_LOYAL, SEG_LOYAL},
    {SEG_NEW_CUSTOMERS, SEG_POTENTIAL_LOYALIST, SEG_POTENTIAL_LOYALIST, SEG_CHAMPIONS,
     SEG_CHAMPIONS},
};

uint8_t txa_segment(int r, int f)
{
    return segment_of[r - 1][f - 1];
}

uint8_t txa_ntile5(uint64_t pos, uint64_t n)
{
    uint64_t q = n / 5, rem = n % 5, big = rem * (q + 1);
    if (pos < big)
        return (uint8_t)(pos / (q + 1) + 1);
    return (uint8_t)(rem + (pos - big) / q + 1);
}

/* One customer in one ordering. */
typedef struct key_rec {
    int64_t key;
    uint64_t id;
    uint32_t src_rank;
    uint32_t src_row;
} key_rec;

/* The score going home. */
typedef struct score_rec {
    uint32_t row;
    uint32_t score;
} score_rec;

static int key_cmp(const void *pa, const void *pb)
{
    const key_rec *a = pa, *b = pb;
    int c = TX_CMP(a->key, b->key);
    return c ? c : TX_CMP(a->id, b->id);
}

static void key_sort(void *base, size_t n)
{
    static const txa_radix_key keys[] = {{offsetof(key_rec, key), 8, 1},
                                         {offsetof(key_rec, id), 8, 0}};
    txa_radix_sort(base, n, sizeof(key_rec), keys, 2);
}

/* Collective. NTILE(5) over (key ascending, customer_id ascending) into score[]. */
static int ntile(MPI_Comm comm, const txa_customers *c, const int64_t *key, uint8_t *score,
                 tx_error *err)
{
    int rank, nranks;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &nranks);
    key_rec *recs = TX_XMALLOC(c->n * sizeof *recs);
    for (size_t i = 0; i < c->n; i++)
        recs[i] = (key_rec){key[i], c->customer_id[i], (uint32_t)rank, (uint32_t)i};
    key_sort(recs, c->n);
    key_rec *mine = NULL;
    size_t nmine = 0;
    int st = txa_sample_sort(comm, recs, c->n, sizeof *recs, key_cmp, key_cmp, key_sort,
                             (void **)&mine,
                             &nmine, err);
    free(recs);
    if (st != TX_OK)
        return st;

    uint64_t first = 0, nm = nmine;
    MPI_Exscan(&nm, &first, 1, MPI_UINT64_T, MPI_SUM, comm);
    if (rank == 0)
        first = 0;

    /* Group the scores by origin rank and send them home, in bounded rounds. */
    size_t *cnt = TX_XCALLOC((size_t)nranks * 3, sizeof *cnt);
    size_t *displ = cnt + nranks, *rcnt = cnt + 2 * nranks;
    for (size_t i = 0; i < nmine; i++)
        cnt[mine[i].src_rank]++;
    for (int r = 1; r < nranks; r++)
        displ[r] = displ[r - 1] + cnt[r - 1];
    score_rec *send = TX_XMALLOC(nmine * sizeof *send);
    for (size_t i = 0; i < nmine; i++)
        send[displ[mine[i].src_rank]++] =
            (score_rec){mine[i].src_row, txa_ntile5(first + i, c->total)};
    free(mine);
    void *got = NULL;
    size_t nback = 0;
    st = tx_exchange_blocks(comm, send, cnt, sizeof *send, tx_route_round_bytes(), &got, rcnt,
                            &nback, err);
    free(send);
    free(cnt);
    if (st != TX_OK)
        return st;
    const score_rec *back = got;
    /* Every customer sent out came back once: exactly c->n scores (an invariant). */
    if (nback != c->n)
        MPI_Abort(comm, 3);
    for (size_t i = 0; i < c->n; i++)
        score[back[i].row] = (uint8_t)back[i].score;
    free(got);
    return TX_OK;
}

/* Largest key range NTILE by histogram handles (8 MB of counts per array). */
#define HIST_MAX_BINS (1u << 20)

/* Collective. The same NTILE(5) as ntile() for keys in 0 .. nbins-1, without sorting: the
 * ranks hold ascending customer_id ranges in rank order, each sorted, so a customer's row in
 * the (key, customer_id) order is (customers with a smaller key) + (customers with its key on
 * lower ranks) + (customers with its key before it on its rank). */
static void ntile_hist(MPI_Comm comm, const txa_customers *c, const int64_t *key, size_t nbins,
                       uint8_t *score)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    uint64_t *hist = TX_XCALLOC(nbins, sizeof *hist);
    uint64_t *at = TX_XCALLOC(nbins, sizeof *at);
    for (size_t i = 0; i < c->n; i++)
        hist[key[i]]++;
    /* at[k] = customers with key k on lower ranks; hist = the global histogram. */
    MPI_Exscan(hist, at, (int)nbins, MPI_UINT64_T, MPI_SUM, comm);
    if (rank == 0)
        memset(at, 0, nbins * sizeof *at);
    MPI_Allreduce(MPI_IN_PLACE, hist, (int)nbins, MPI_UINT64_T, MPI_SUM, comm);
    uint64_t below = 0;
    for (size_t k = 0; k < nbins; k++) {
        at[k] += below;
        below += hist[k];
    }
    for (size_t i = 0; i < c->n; i++)
        score[i] = txa_ntile5(at[key[i]]++, c->total);
    free(at);
    free(hist);
}

int txa_rfm(MPI_Comm comm, txa_customers *c, tx_error *err)
{
    int64_t *key = TX_XMALLOC(c->n * sizeof *key);
    /* R: recency_days DESC = last_purchase ASC (a day 0 .. TXA_NDAYS-1), ties by customer_id. */
    for (size_t i = 0; i < c->n; i++)
        key[i] = c->last_purchase[i];
    ntile_hist(comm, c, key, TXA_NDAYS, c->r_score);
    int st = TX_OK;
    /* F: orders ASC; by histogram when the largest order count allows it. */
    uint32_t most = 0;
    for (size_t i = 0; i < c->n; i++) {
        key[i] = c->orders[i];
        if (c->orders[i] > most)
            most = c->orders[i];
    }
    MPI_Allreduce(MPI_IN_PLACE, &most, 1, MPI_UINT32_T, MPI_MAX, comm);
    if (most < HIST_MAX_BINS)
        ntile_hist(comm, c, key, (size_t)most + 1, c->f_score);
    else
        st = ntile(comm, c, key, c->f_score, err);
    /* M: revenue ASC. */
    if (st == TX_OK)
        st = ntile(comm, c, c->revenue_cents, c->m_score, err);
    free(key);
    for (size_t i = 0; i < c->n && st == TX_OK; i++)
        c->segment[i] = txa_segment(c->r_score[i], c->f_score[i]);
    return st;
}
