/* load_route.c - the routed rounds of the load: a source fills an outbox up to the round
 * budget (TX_ROUND_BYTES), one exchange (txetl/route.h) delivers it, a sink takes what arrived;
 * rounds go on until no rank has more. Phase 1 routes versions to their directory shards,
 * phase 2 rows and removals to the shards of their dates. The message tags and the packing
 * helpers are in load_internal.h. */
#include "load_internal.h"
#include "txetl/alloc.h"
#include "txetl/interrupt.h"
#include "txetl/mpiutil.h"

int tx_routed_phase(tx_job *j, source_fn src, void *sctx, sink_fn sink, void *kctx,
                    tx_error *err)
{
    tx_outbox *ob = NULL;
    /* Without an outbox this rank cannot take part in the rounds the others run: its only
     * failure is out of memory (of about three words per rank), which ends the job. */
    if (tx_outbox_new(j->nranks, &ob, err) != TX_OK)
        TX_OUT_OF_MEMORY((size_t)j->nranks * 3 * sizeof(size_t));
    int rc = TX_OK, any_more = 1;
    while (any_more) {
        int more = 0;
        if (rc == TX_OK && tx_interrupted()) /* SIGINT/SIGTERM: stop sending, fail agreed */
            rc = tx_error_set(err, TX_ERR, "interrupted by %s",
                              tx_interrupt_name(tx_interrupted()));
        if (rc == TX_OK)
            rc = src(j, sctx, ob, &more, err);
        tx_delivery got;
        int xrc = tx_exchange(j->comm, ob, rc == TX_OK && more, &got, &any_more, err);
        if (rc == TX_OK)
            rc = xrc;
        /* the sinks do not depend on the order of the messages */
        if (rc == TX_OK)
            rc = sink(j, kctx, got.self, got.self_len, err);
        if (rc == TX_OK)
            rc = sink(j, kctx, got.recv, got.recv_len, err);
    }
    tx_outbox_free(&ob);
    return tx_agree(j->comm, rc, err);
}
