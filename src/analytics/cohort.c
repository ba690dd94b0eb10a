/* cohort.c - the monthly cohort table of the reduce step (docs/analytics.md#cohorts):
 * customers by month of first purchase, and for N = 0 .. TX_COHORT_MAX_OFFSET months later
 * how many of them bought in month cohort + N and their net revenue in it.
 *
 * Input (fold.c, txa_cohort_in): the rank, if any, whose months all come before every other
 * rank's (at one rank: the only one) counted its customers into a dense (cohort, offset) table
 * as it folded. Every other rank holds, per customer it
 * folded, the revenue of the 13 months from its first month there and which of them had a row;
 * it does not know the customer's cohort (an earlier rank may have seen the customer first).
 * So it asks the customer's owner (the rank holding the customer's merged partial, whose first
 * purchase day is global): one query per record, one reply (the cohort month), both through
 * the bounded exchange rounds in the same order. Then it counts its records into its own dense
 * table. A month cut by a source boundary ("shared": maybe on two ranks) is counted as active
 * by the owner, from the or of the records' shared-month bits, so a customer counts once; its
 * revenue adds up on the ranks that hold it. One MPI_Allreduce of integers sums the tables:
 * exact and the same at any rank count. Memory: the fixed records, a query and a reply per
 * record, months x 13 counters. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "analytics_internal.h"
#include "txetl/mpiutil.h"
#include "txetl/route.h"

enum { K = TX_COHORT_MAX_OFFSET + 1 };

void txa_cohort_in_free(txa_cohort_in *in)
{
    free(in->direct);
    free(in->id);
    free(in->first_month);
    free(in->rev);
    free(in->mask);
    free(in->shared);
    free(in->shared_bit);
    free(in->shared_month);
    memset(in, 0, sizeof *in);
}

/* The index in parts (sorted by customer_id) of customer id, or nparts when it is not there. */
static size_t find_part(const txa_part *parts, size_t nparts, uint64_t id)
{
    size_t lo = 0, hi = nparts;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (parts[mid].customer_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nparts && parts[lo].customer_id == id ? lo : nparts;
}

/* The owner of customer id: the rank of the last range whose first customer is <= id, among
 * the nz ranks that own customers (first[k] ascending, of rank[k]), or -1 when id is in none. */
static int owner_of(const uint64_t *first, const uint64_t *last, const int *rank, int nz,
                    uint64_t id)
{
    int lo = 0, hi = nz - 1, found = -1;
    while (lo <= hi) {
        const int mid = lo + (hi - lo) / 2;
        if (first[mid] <= id) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found >= 0 && id <= last[found] ? rank[found] : -1;
}

/* Collective. The cohort month of each record of in (cohort[i]), asked of its customer's owner.
 * *obits (nparts x in->words, malloc'd) gets the or of the shared-month bits of the records of
 * the customers this rank owns. Agreed status. */
static int ask_cohorts(MPI_Comm comm, const txa_cohort_in *in, const txa_part *parts,
                       size_t nparts, int32_t *cohort, uint64_t **obits, tx_error *err)
{
    int size = 1;
    MPI_Comm_size(comm, &size);
    const size_t w = (size_t)in->words, qsize = (1 + w) * sizeof(uint64_t);
    uint64_t mine[2] = {nparts ? parts[0].customer_id : UINT64_MAX,
                        nparts ? parts[nparts - 1].customer_id : 0};
    uint64_t *range = TX_XMALLOC(4 * (size_t)size * sizeof *range);
    MPI_Allgather(mine, 2, MPI_UINT64_T, range, 2, MPI_UINT64_T, comm);
    /* The ranks that own customers, in rank order (their ranges ascend with it). */
    uint64_t *first = range + 2 * (size_t)size, *last = first + size;
    int *rank = TX_XMALLOC((size_t)size * sizeof *rank), nz = 0;
    for (int r = 0; r < size; r++)
        if (range[2 * r] <= range[2 * r + 1]) {
            first[nz] = range[2 * r];
            last[nz] = range[2 * r + 1];
            rank[nz++] = r;
        }
    /* The queries by owner: customer_id and its shared bits; perm[k] = the record of query k. */
    size_t *scnt = TX_XCALLOC((size_t)size, sizeof *scnt);
    size_t *at = TX_XCALLOC((size_t)size, sizeof *at);
    size_t *rcnt = TX_XCALLOC((size_t)size, sizeof *rcnt);
    int *own = TX_XMALLOC((in->n ? in->n : 1) * sizeof *own);
    int st = TX_OK;
    for (size_t i = 0; i < in->n; i++) {
        own[i] = owner_of(first, last, rank, nz, in->id[i]);
        if (own[i] < 0) {
            if (st == TX_OK)
                st = tx_error_set(err, TX_ERR, "reduce: cohorts: customer %llu has no owner",
                                  (unsigned long long)in->id[i]);
            own[i] = 0;
        }
        scnt[own[i]]++;
    }
    for (int r = 1; r < size; r++)
        at[r] = at[r - 1] + scnt[r - 1];
    uint64_t *q = TX_XMALLOC((in->n ? in->n : 1) * qsize);
    size_t *perm = TX_XMALLOC((in->n ? in->n : 1) * sizeof *perm);
    for (size_t i = 0; i < in->n; i++) {
        const size_t k = at[own[i]]++;
        perm[k] = i;
        q[k * (1 + w)] = in->id[i];
        if (w)
            memcpy(q + k * (1 + w) + 1, in->shared + i * w, w * sizeof *q);
    }
    free(own);
    free(at);
    free(rank);
    free(range);
    void *got = NULL;
    size_t ngot = 0;
    int xst = tx_exchange_blocks(comm, q, scnt, qsize, tx_route_round_bytes(), &got, rcnt,
                                 &ngot, err);
    free(q);
    /* The owner's replies, in the order asked, and the or of the shared bits. */
    int32_t *reply = TX_XMALLOC((ngot ? ngot : 1) * sizeof *reply);
    *obits = TX_XCALLOC(nparts * w > 0 ? nparts * w : 1, sizeof **obits);
    for (size_t k = 0; xst == TX_OK && k < ngot; k++) {
        const uint64_t *e = (const uint64_t *)got + k * (1 + w);
        const size_t j = find_part(parts, nparts, e[0]);
        if (j == nparts) {
            if (st == TX_OK)
                st = tx_error_set(err, TX_ERR, "reduce: cohorts: customer %llu not owned here",
                                  (unsigned long long)e[0]);
            reply[k] = 0;
            continue;
        }
        reply[k] = tx_month_index(parts[j].first);
        for (size_t b = 0; b < w; b++)
            (*obits)[j * w + b] |= e[1 + b];
    }
    free(got);
    void *back = NULL;
    size_t nback = 0;
    size_t *bcnt = TX_XCALLOC((size_t)size, sizeof *bcnt);
    if (xst == TX_OK) /* the replies go back to the askers, grouped as the queries came */
        xst = tx_exchange_blocks(comm, reply, rcnt, sizeof *reply, tx_route_round_bytes(), &back,
                                 bcnt, &nback, err);
    free(reply);
    free(rcnt);
    free(scnt);
    free(bcnt);
    if (xst == TX_OK && nback != in->n && st == TX_OK)
        st = tx_error_set(err, TX_ERR, "reduce: cohorts: %zu replies to %zu questions", nback,
                          in->n);
    for (size_t k = 0; xst == TX_OK && st == TX_OK && k < nback; k++)
        cohort[perm[k]] = ((const int32_t *)back)[k];
    free(back);
    free(perm);
    if (xst != TX_OK)
        return xst; /* agreed by tx_exchange_blocks */
    return tx_agree(comm, st, err);
}

int txa_cohorts_compute(MPI_Comm comm, txa_cohort_in *in, const txa_part *parts, size_t nparts,
                        int32_t as_of, tx_snapshot_cohorts *out, tx_error *err)
{
    memset(out, 0, sizeof *out);
    int32_t *cohort = TX_XMALLOC((in->n ? in->n : 1) * sizeof *cohort);
    uint64_t *obits = NULL;
    int st = ask_cohorts(comm, in, parts, nparts, cohort, &obits, err);
    if (st != TX_OK) {
        free(cohort);
        free(obits);
        txa_cohort_in_free(in);
        return st;
    }
    /* The months in play: the earliest cohort .. as-of's month. */
    int lo = INT_MAX;
    for (size_t i = 0; i < in->n; i++)
        if (cohort[i] < lo)
            lo = cohort[i];
    for (int c = 0; in->direct && c < lo && c < TX_NMONTHS; c++)
        if (in->direct[(size_t)c * K] > 0)
            lo = c; /* the earliest cohort counted directly */
    MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_INT, MPI_MIN, comm);
    const int hi = tx_month_index(as_of);
    if (lo == INT_MAX || lo > hi) { /* no customers: an empty table */
        free(cohort);
        free(obits);
        txa_cohort_in_free(in);
        return TX_OK;
    }
    const size_t nmon = (size_t)(hi - lo + 1), cells = nmon * K;
    int64_t *cnt = TX_XCALLOC(2 * cells, sizeof *cnt), *rev = cnt + cells;
    if (in->direct) { /* cohorts lo..hi; the fold counted no month after as-of's */
        const size_t at = (size_t)lo * K, rv = (size_t)TX_NMONTHS * K;
        for (size_t c = 0; c < cells; c++) {
            cnt[c] += in->direct[at + c];
            rev[c] += in->direct[rv + at + c];
        }
    }
    for (size_t i = 0; i < in->n; i++) { /* the records: months L .. L + 12 */
        const int L = in->first_month[i], g = cohort[i];
        for (unsigned b = in->mask[i]; b; b &= b - 1) {
            const int off = __builtin_ctz(b), month = L + off, o = month - g;
            if (o < 0 || o >= K || month > hi)
                continue;
            const size_t c = (size_t)(g - lo) * K + (size_t)o;
            rev[c] += in->rev[i * K + (size_t)off];
            if (in->shared_bit[month] < 0) /* else counted once by the owner, below */
                cnt[c] += 1;
        }
    }
    const size_t w = (size_t)in->words;
    for (size_t j = 0; j < nparts && w; j++) { /* shared months, once per customer */
        const int g = tx_month_index(parts[j].first);
        for (size_t x = 0; x < w; x++)
            for (uint64_t b = obits[j * w + x]; b; b &= b - 1) {
                const int month = in->shared_month[x * 64 + (size_t)__builtin_ctzll(b)];
                const int o = month - g;
                if (o >= 0 && o < K && month <= hi)
                    cnt[(size_t)(g - lo) * K + (size_t)o] += 1;
            }
    }
    free(cohort);
    free(obits);
    txa_cohort_in_free(in);
    MPI_Allreduce(MPI_IN_PLACE, cnt, (int)(2 * cells), MPI_INT64_T, MPI_SUM, comm);
    size_t rows = 0;
    for (size_t c = 0; c < nmon; c++)
        if (cnt[c * K] > 0) {
            size_t left = (size_t)hi - (size_t)lo - c + 1;
            rows += left < K ? left : K;
        }
    tx_snapshot_table_alloc(&tx_snapshot_cohorts_table, out, rows);
    out->n = rows;
    size_t r = 0;
    for (size_t c = 0; c < nmon; c++) {
        if (cnt[c * K] <= 0)
            continue;
        size_t left = (size_t)hi - (size_t)lo - c + 1;
        for (size_t k = 0; k < (left < K ? left : K); k++, r++) {
            out->cohort_month[r] = tx_month_yyyymm(lo + (int)c);
            out->offset[r] = (int32_t)k;
            out->customers[r] = (uint64_t)cnt[c * K + k];
            out->revenue_cents[r] = rev[c * K + k];
            out->cohort_size[r] = (uint64_t)cnt[c * K];
        }
    }
    free(cnt);
    return TX_OK;
}
