/* store_serve.h - inside the store (src/store/ only): what a serving connection and a refresh
 * hold (store_serve.c, store_router.c). */
#ifndef TXETL_STORE_SERVE_H
#define TXETL_STORE_SERVE_H

#include "store_internal.h"

struct tx_store_db {
    tx_conn *conn;
    char group[64];            /* the group connected with */
    tx_store_refresh *refresh; /* the refresh under way, or NULL */
};

struct tx_store_refresh {
    tx_store_db *db;
    const tx_store_table *tables;
    size_t n;
    char lock[128];
    int locked, committed;
};

#endif
