/* router.c - tx_router_build (router.h): the shard map read from shard 0, handed with the
 * shard file to the store's router statements (store_router.c). */
#include "txetl/router.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "txetl/store.h"

typedef struct map_ctx {
    int nshards;
    int32_t *bound; /* [nshards + 1] */
    int count, rows;
} map_ctx;

static int map_row(void *ctx, int index, int count, int32_t lower, int32_t upper,
                   tx_error *err)
{
    map_ctx *m = ctx;
    if (count != m->nshards || index < 0 || index >= count)
        return tx_error_set(err, TX_EUSAGE, "shard 0's shard_map has %d shards (row %d), the "
                            "shard file %d: use the shard file of this cluster", count, index,
                            m->nshards);
    m->bound[index] = lower;
    m->bound[index + 1] = upper;
    m->count = count;
    m->rows++;
    return TX_OK;
}

int tx_router_build(const char *shards_path, tx_store_router_result *res, tx_error *err)
{
    tx_store_router_result local;
    res = res ? res : &local;
    memset(res, 0, sizeof *res);
    int nshards = 0, has = 0;
    int rc = tx_shardfile_count(shards_path, &nshards, err);
    if (rc == TX_OK)
        rc = tx_shardfile_has_group(shards_path, "router", &has, err);
    if (rc == TX_OK && !has)
        return tx_error_set(err, TX_EUSAGE, "shard file %s has no [router] group: add one with "
                            "the client options of a MariaDB server with the Spider engine "
                            "(scripts/shards.sh up N DIR --router starts a local one)",
                            shards_path);
    if (rc != TX_OK)
        return rc;
    map_ctx m = {nshards, calloc((size_t)nshards + 1, sizeof(int32_t)), 0, 0};
    if (!m.bound)
        return tx_error_set(err, TX_ENOMEM, "out of memory");
    tx_store *s0 = NULL;
    tx_store_db *router = NULL;
    rc = tx_store_open(&tx_store_mariadb, shards_path, 0, &s0, err);
    if (rc == TX_OK)
        rc = tx_store_map_read(s0, map_row, &m, err);
    tx_store_close(&s0);
    if (rc == TX_OK && m.rows != nshards)
        rc = tx_error_set(err, TX_EUSAGE, "shard 0 holds %s shard map (%d of %d rows): load the "
                          "cluster first (txetl load), then build the router", m.rows ? "an "
                          "incomplete" : "no", m.rows, nshards);
    if (rc == TX_OK)
        rc = tx_store_db_open(shards_path, "router", NULL, "Customer", &router, err);
    if (rc == TX_OK)
        rc = tx_store_router_build(router, shards_path, nshards, m.bound, res, err);
    tx_store_db_close(&router);
    free(m.bound);
    return rc;
}
