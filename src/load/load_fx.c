/* load_fx.c - the currencies a load's snapshot will need, checked before anything is written:
 * the snapshot converts every stored amount into the reporting currency and refuses when a
 * currency has rows on dates no rate of --fx-rates covers. A load that would end in that
 * refusal after applying its rows is refused after the scan instead, with the snapshot's
 * message. What will be stored is taken to be what is stored now (revenue_daily of every shard)
 * together with every valid version of the input: conservative, since a delete or an update
 * that would remove a currency's last row is not counted off. */
#include "load_internal.h"
#include "txetl/mpiutil.h"

int tx_load_fx_open(tx_job *j, tx_scan *sc, tx_error *err)
{
    const tx_load_opts *o = j->o;
    if (o->no_snapshot || o->dry_run)
        return TX_OK;
    return tx_fx_load_collective(j->comm, o->analytics.fx_rates, o->analytics.reporting_currency,
                                 &sc->fx, err);
}

typedef struct stored_ctx {
    tx_scan *sc;
    int32_t as_of;
} stored_ctx;

static int add_stored(void *ctx, int32_t date, uint32_t currency, uint64_t n, tx_error *err)
{
    (void)err;
    stored_ctx *c = ctx;
    if (c->as_of == INT32_MIN || date <= c->as_of) /* the snapshot counts no later row */
        tx_fx_need_add(&c->sc->need, c->sc->fx, currency, date, n);
    return TX_OK;
}

int tx_load_fx_check(tx_job *j, tx_scan *sc, tx_error *err)
{
    if (!sc->fx) /* the same on every rank: the options */
        return TX_OK;
    stored_ctx c = {sc, j->o->analytics.as_of};
    int rc = TX_OK;
    for (int s = 0; s < j->nshards && rc == TX_OK; s++)
        if (j->mine[s])
            rc = tx_store_revenue_read(j->mine[s], add_stored, &c, err);
    rc = tx_agree(j->comm, rc, err);
    if (rc == TX_OK)
        rc = tx_fx_need_agree(j->comm, &sc->need, sc->fx, j->o->analytics.fx_rates,
                              "the stored and incoming transactions",
                              ", or load with --no-snapshot; this load stopped before storing "
                              "or changing any row",
                              err);
    return rc;
}
