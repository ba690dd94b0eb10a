/* test_route.c - the exchange rounds (tx_outbox / tx_exchange), the bounded all-to-all of
 * fixed-size elements (tx_exchange_blocks) and the status agreement (tx_agree), at any rank
 * count. Every message carries its sender, destination, sequence number and a payload derived
 * from them, so each check is on real contents:
 *  - routed phases like the load's: uneven message counts and sizes, a rank with nothing to
 *    send, self-delivery (never through MPI), rounds capped by a small budget (many rounds);
 *    every message arrives exactly once, intact, attributed to its sender (tx_delivery.from),
 *    in its sender's order;
 *  - a rank that fails in round k stops sending but keeps taking part; the others deliver all
 *    their messages; the agreement gives the failing rank's status and message on every rank
 *    (the lowest failing rank's when two fail), all ranks leave together; alarm() turns a hang
 *    into a failure;
 *  - tx_exchange_blocks = MPI_Alltoallv byte for byte (odd element sizes, zero counts, budgets
 *    from one element per round to everything in one round);
 *  - tx_agree alone: all OK; one rank's TX_EUSAGE with its message everywhere. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "txetl/error.h"
#include "txetl/mpiutil.h"
#include "txetl/route.h"

static int rank, nranks;

/* ---- routed phases -------------------------------------------------------------------- */

typedef struct msg_head {
    uint32_t src, dst, seq, len; /* len: payload bytes after the head */
} msg_head;

static uint8_t payload_byte(uint32_t src, uint32_t dst, uint32_t seq, uint32_t i)
{
    return (uint8_t)(src * 131u + dst * 31u + seq * 7u + i * 3u + 1u);
}

/* Messages rank s sends to rank d: uneven per pair; rank 1 sends nothing at all; every rank
 * sends to itself. */
static uint32_t plan_count(int s, int d)
{
    if (s == 1)
        return 0;
    return (uint32_t)(((s + 1) * 37 + (d + 1) * 11) % 50 + (s == d ? 20 : 0) + 5 * d);
}

/* Payload length of message seq from s to d: 0 .. 199 bytes, uneven. */
static uint32_t plan_len(int s, int d, uint32_t seq)
{
    return (uint32_t)((s * 17 + d * 5 + (int)seq * 29) % 200);
}

typedef struct phase {
    size_t budget;      /* bytes per round a source puts at most (then says "more") */
    int fail_rank;      /* -1 none; else this rank fails in round fail_round */
    int fail_round;
    int fail_rank2;     /* a second failing rank (-1 none), in round fail_round + 2 */
    uint32_t *next;     /* [nranks]: next seq to send to each destination */
    uint32_t *got;      /* [nranks]: messages received from each source */
    int rounds;
    int bad;            /* damaged / misattributed / out-of-order messages seen */
} phase;

static int put_msg(tx_outbox *ob, int d, uint32_t seq, tx_error *err)
{
    uint8_t buf[sizeof(msg_head) + 256];
    msg_head h = {(uint32_t)rank, (uint32_t)d, seq, plan_len(rank, d, seq)};
    memcpy(buf, &h, sizeof h);
    for (uint32_t i = 0; i < h.len; i++)
        buf[sizeof h + i] = payload_byte(h.src, h.dst, seq, i);
    return tx_outbox_put(ob, d, buf, sizeof h + h.len, err);
}

/* Source: round-robin over destinations until the budget is reached. */
static int source(phase *p, tx_outbox *ob, int *more, tx_error *err)
{
    *more = 0;
    if (rank == p->fail_rank && p->rounds == p->fail_round)
        return tx_error_set(err, TX_ERR, "rank %d: injected failure in round %d", rank,
                            p->rounds);
    if (rank == p->fail_rank2 && p->rounds == p->fail_round + 2)
        return tx_error_set(err, TX_EUSAGE, "rank %d: second injected failure in round %d",
                            rank, p->rounds);
    int progress = 1;
    while (progress && tx_outbox_bytes(ob) < p->budget) {
        progress = 0;
        for (int d = 0; d < nranks && tx_outbox_bytes(ob) < p->budget; d++) {
            if (p->next[d] >= plan_count(rank, d))
                continue;
            int rc = put_msg(ob, d, p->next[d]++, err);
            if (rc != TX_OK)
                return rc;
            progress = 1;
        }
    }
    for (int d = 0; d < nranks; d++)
        if (p->next[d] < plan_count(rank, d))
            *more = 1;
    return TX_OK;
}

/* Sink: checks every message of one part; `want_src` is the only sender allowed (-1: any). */
static void sink(phase *p, const char *m, size_t len, int want_src, int is_self)
{
    size_t at = 0;
    while (at < len) {
        msg_head h;
        if (len - at < sizeof h) {
            p->bad++;
            return;
        }
        memcpy(&h, m + at, sizeof h);
        if (h.len > 255 || len - at - sizeof h < h.len || h.dst != (uint32_t)rank ||
            h.src >= (uint32_t)nranks || (want_src >= 0 && h.src != (uint32_t)want_src) ||
            (is_self != (h.src == (uint32_t)rank)) || h.len != plan_len((int)h.src, rank, h.seq) ||
            h.seq != p->got[h.src]) { /* in the sender's order, none lost or doubled */
            CHECK_MSG(0, "rank %d: bad message src %u dst %u seq %u len %u (want seq %u)", rank,
                      h.src, h.dst, h.seq, h.len, h.src < (uint32_t)nranks ? p->got[h.src] : 0);
            p->bad++;
            return;
        }
        for (uint32_t i = 0; i < h.len; i++)
            if ((uint8_t)m[at + sizeof h + i] != payload_byte(h.src, h.dst, h.seq, i)) {
                p->bad++;
                CHECK_MSG(0, "rank %d: payload byte %u of %u/%u damaged", rank, i, h.src, h.seq);
                return;
            }
        p->got[h.src]++;
        at += sizeof h + h.len;
    }
}

/* Collective: a routed phase as src/load runs them: local failure stops local work, not the
 * rounds; one agreement at the end. */
static int routed_phase(phase *p, tx_error *err)
{
    tx_outbox *ob = NULL;
    if (tx_outbox_new(nranks, &ob, err) != TX_OK)
        MPI_Abort(MPI_COMM_WORLD, 3);
    int rc = TX_OK, any_more = 1;
    p->rounds = 0;
    while (any_more) {
        int more = 0;
        if (rc == TX_OK)
            rc = source(p, ob, &more, err);
        tx_delivery got;
        int xrc = tx_exchange(MPI_COMM_WORLD, ob, rc == TX_OK && more, &got, &any_more, err);
        if (rc == TX_OK)
            rc = xrc;
        CHECK(got.from[rank] == 0);
        size_t sum = 0;
        for (int s = 0; s < nranks; s++)
            sum += got.from[s];
        CHECK_MSG(sum == got.recv_len, "rank %d: from[] sums to %zu, recv_len %zu", rank, sum,
                  got.recv_len);
        sink(p, got.self, got.self_len, rank, 1);
        const char *at = got.recv;
        for (int s = 0; s < nranks; s++) { /* each part is its sender's */
            sink(p, at, got.from[s], s, 0);
            at += got.from[s];
        }
        p->rounds++;
    }
    tx_outbox_free(&ob);
    return tx_agree(MPI_COMM_WORLD, rc, err);
}

static void phase_init(phase *p, size_t budget)
{
    memset(p, 0, sizeof *p);
    p->budget = budget;
    p->fail_rank = p->fail_rank2 = -1;
    p->next = calloc((size_t)nranks, sizeof *p->next);
    p->got = calloc((size_t)nranks, sizeof *p->got);
    if (!p->next || !p->got)
        MPI_Abort(MPI_COMM_WORLD, 3);
}

static void phase_free(phase *p)
{
    free(p->next);
    free(p->got);
}

/* The same on every rank (min = max over ranks). */
static int same_everywhere(int v)
{
    int lo, hi;
    MPI_Allreduce(&v, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&v, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return lo == hi;
}

static void test_all_delivered(size_t budget, int min_rounds)
{
    phase p;
    phase_init(&p, budget);
    tx_error err = {0};
    int rc = routed_phase(&p, &err);
    CHECK_MSG(rc == TX_OK, "rank %d: routed phase: %d %s", rank, rc, err.msg);
    CHECK(p.bad == 0);
    for (int s = 0; s < nranks; s++)
        CHECK_MSG(p.got[s] == plan_count(s, rank), "budget %zu: rank %d got %u of %u from %d",
                  budget, rank, p.got[s], plan_count(s, rank), s);
    CHECK(same_everywhere(p.rounds));
    CHECK_MSG(p.rounds >= min_rounds, "budget %zu: %d rounds, want >= %d", budget, p.rounds,
              min_rounds);
    phase_free(&p);
}

static void test_failure(int fail_rank, int fail_round, int fail_rank2)
{
    phase p;
    phase_init(&p, 300);
    p.fail_rank = fail_rank;
    p.fail_round = fail_round;
    p.fail_rank2 = fail_rank2;
    tx_error err = {0};
    int rc = routed_phase(&p, &err);
    char want[128];
    snprintf(want, sizeof want, "rank %d: injected failure in round %d", fail_rank, fail_round);
    CHECK_MSG(rc == TX_ERR, "rank %d: status %d after rank %d failed", rank, rc, fail_rank);
    CHECK_MSG(!strcmp(err.msg, want), "rank %d: message '%s', want '%s'", rank, err.msg, want);
    CHECK(err.status == TX_ERR);
    CHECK(same_everywhere(rc));
    CHECK(same_everywhere(p.rounds));
    CHECK(p.bad == 0);
    /* Ranks that did not fail delivered everything (the rounds went on without the failed
     * rank); the failed ones sent what they had queued before their failure, in order. */
    for (int s = 0; s < nranks; s++) {
        if (s == fail_rank || s == fail_rank2)
            CHECK(p.got[s] <= plan_count(s, rank));
        else
            CHECK_MSG(p.got[s] == plan_count(s, rank), "rank %d got %u of %u from %d", rank,
                      p.got[s], plan_count(s, rank), s);
    }
    /* The failing rank's rounds kept going after its failure round. */
    if (plan_count(0, 0) > 0 && fail_rank != 0)
        CHECK_MSG(p.rounds > fail_round + 1, "%d rounds, failure in round %d", p.rounds,
                  fail_round);
    phase_free(&p);
}

/* ---- tx_exchange_blocks against MPI_Alltoallv -------------------------------------------- */

static uint8_t elem_byte(int s, int d, size_t e, size_t i)
{
    return (uint8_t)(s * 89 + d * 13 + (int)e * 7 + (int)i + 5);
}

static void test_blocks(size_t size, size_t budget, int variant)
{
    size_t *scnt = calloc((size_t)nranks, sizeof *scnt);
    size_t *rcnt = calloc((size_t)nranks, sizeof *rcnt);
    int *sc = calloc((size_t)nranks * 4, sizeof *sc), *sd = sc + nranks, *rc_ = sc + 2 * nranks,
        *rd = sc + 3 * nranks;
    if (!scnt || !rcnt || !sc)
        MPI_Abort(MPI_COMM_WORLD, 3);
    size_t total = 0;
    for (int d = 0; d < nranks; d++) {
        if (variant == 0)
            scnt[d] = (size_t)((rank * 7 + d * 3 + 1) % 11) * 13 + (rank == d ? 5 : 0);
        else if (variant == 1) /* nothing anywhere */
            scnt[d] = 0;
        else /* only rank 0 sends, only to the last rank */
            scnt[d] = rank == 0 && d == nranks - 1 ? 1000 : 0;
        sd[d] = (int)total;
        sc[d] = (int)scnt[d];
        total += scnt[d];
    }
    uint8_t *send = malloc(total * size + 1);
    if (!send)
        MPI_Abort(MPI_COMM_WORLD, 3);
    for (int d = 0; d < nranks; d++)
        for (size_t e = 0; e < scnt[d]; e++)
            for (size_t i = 0; i < size; i++)
                send[((size_t)sd[d] + e) * size + i] = elem_byte(rank, d, e, i);
    /* The reference: one MPI_Alltoallv. */
    MPI_Alltoall(sc, 1, MPI_INT, rc_, 1, MPI_INT, MPI_COMM_WORLD);
    size_t rtotal = 0;
    for (int s = 0; s < nranks; s++) {
        rd[s] = (int)rtotal;
        rtotal += (size_t)rc_[s];
    }
    MPI_Datatype ty;
    MPI_Type_contiguous((int)size, MPI_BYTE, &ty);
    MPI_Type_commit(&ty);
    uint8_t *ref = malloc(rtotal * size + 1);
    if (!ref)
        MPI_Abort(MPI_COMM_WORLD, 3);
    MPI_Alltoallv(send, sc, sd, ty, ref, rc_, rd, ty, MPI_COMM_WORLD);
    MPI_Type_free(&ty);

    void *got = NULL;
    size_t ngot = 0;
    tx_error err = {0};
    int rc = tx_exchange_blocks(MPI_COMM_WORLD, send, scnt, size, budget, &got, rcnt, &ngot,
                                &err);
    CHECK_MSG(rc == TX_OK, "blocks size %zu budget %zu: %d %s", size, budget, rc, err.msg);
    CHECK(got != NULL);
    CHECK_MSG(ngot == rtotal, "rank %d: %zu elements, MPI_Alltoallv %zu", rank, ngot, rtotal);
    for (int s = 0; s < nranks; s++)
        CHECK(rcnt[s] == (size_t)rc_[s]);
    if (got && ngot == rtotal)
        CHECK_MSG(!memcmp(got, ref, rtotal * size), "rank %d: size %zu budget %zu variant %d: "
                  "bytes differ from MPI_Alltoallv", rank, size, budget, variant);
    /* And the contents are what each sender meant for this rank. */
    const uint8_t *g = got;
    size_t at = 0;
    int ok = 1;
    for (int s = 0; g && s < nranks && ngot == rtotal; s++)
        for (size_t e = 0; e < rcnt[s]; e++, at++)
            for (size_t i = 0; i < size; i++)
                ok &= g[at * size + i] == elem_byte(s, rank, e, i);
    CHECK(ok);
    free(got);
    free(ref);
    free(send);
    free(sc);
    free(rcnt);
    free(scnt);
}

/* ---- tx_agree ------------------------------------------------------------------------------ */

static void test_agree(void)
{
    tx_error err = {0};
    CHECK(tx_agree(MPI_COMM_WORLD, TX_OK, &err) == TX_OK);
    CHECK(err.msg[0] == '\0');
    int who = nranks - 1;
    tx_error e2 = {0};
    int st = TX_OK;
    if (rank == who)
        st = tx_error_set(&e2, TX_EUSAGE, "rank %d: bad option --x", rank);
    st = tx_agree(MPI_COMM_WORLD, st, &e2);
    char want[64];
    snprintf(want, sizeof want, "rank %d: bad option --x", who);
    CHECK_MSG(st == TX_EUSAGE && e2.status == TX_EUSAGE && !strcmp(e2.msg, want),
              "rank %d: agreed %d '%s'", rank, st, e2.msg);
    /* Every rank fails with its own message: rank 0's wins. */
    tx_error e3 = {0};
    st = tx_agree(MPI_COMM_WORLD, tx_error_set(&e3, TX_ERR - rank % 2, "rank %d failed", rank),
                  &e3);
    CHECK_MSG(st == TX_ERR && !strcmp(e3.msg, "rank 0 failed"), "rank %d: %d '%s'", rank, st,
              e3.msg);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    alarm(60); /* a hang in any collective fails the test (SIGALRM) long before ctest's limit */

    test_agree();
    test_all_delivered(1u << 20, 1);  /* everything in one round (plus the closing one) */
    test_all_delivered(400, 10);      /* a few messages per round: many rounds */
    test_all_delivered(1, 30);        /* one message per destination and round */
    /* A rank that fails in round 2 (the last; the only one with 1 rank). */
    test_failure(nranks - 1, 2, -1);
    if (nranks > 1)
        test_failure(0, 0, -1); /* rank 0, before it sends anything */
    if (nranks > 2)
        test_failure(1, 1, 2); /* two ranks fail; the lowest one's message wins (rank 1 sends
                                  nothing, rank 2 fails later with another status) */
    static const size_t sizes[] = {24, 3, 1};
    static const size_t budgets[] = {1, 50, 1000, 1u << 24};
    for (size_t a = 0; a < sizeof sizes / sizeof *sizes; a++)
        for (size_t b = 0; b < sizeof budgets / sizeof *budgets; b++)
            test_blocks(sizes[a], budgets[b], 0);
    test_blocks(24, 100, 1);
    test_blocks(8, 64, 2);
    /* The default budget and its test knob. */
    CHECK(tx_route_round_bytes() >= 1);

    int failed = check_failures, any;
    MPI_Allreduce(&failed, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    int rc = 0;
    if (rank == 0)
        rc = check_report("test_route");
    else if (check_failures)
        check_report("test_route");
    MPI_Finalize();
    return any ? 1 : rc;
}
