/* router.h - `txetl router`: one SQL endpoint over all shards (docs/serving.md).
 *
 * On the server of the shard file's group [router] (MariaDB with the Spider engine,
 * mariadb-plugin-spider), in that group's `database` (default Customer), txetl (re)creates
 * `TransactionsOptimized` and `revenue_daily` as Spider tables: the shards' columns and keys,
 * PARTITION BY RANGE COLUMNS(transaction_date) with one partition per shard holding that
 * shard's date range from the shard map, each linked to its shard by a CREATE SERVER made
 * from the shard's group of the shard file (credentials never on a command line or in a log).
 * A BI tool connected to the router reads the cluster as one table; a date-bounded query is
 * pruned to the partitions, hence the shards, its range needs. Read-only for users: all
 * writes go through txetl (sql/grants_analytics.sql grants the BI user SELECT only). */
#ifndef TXETL_ROUTER_H
#define TXETL_ROUTER_H

#include <stdint.h>

#include "txetl/error.h"
#include "txetl/store.h"

/* Local (no MPI). Reads the shard map (shard 0's shard_map, checked to name as many shards as
 * the file has groups) and builds the router's tables (tx_store_router_build); re-running it
 * after the map changed replaces tables and servers. res may be NULL. TX_EUSAGE naming the
 * file when it has no [router] group, or the shards hold no shard map yet (load first), or
 * the map's shard count differs from the file's; TX_ERR naming the shard or router. */
int tx_router_build(const char *shards_path, tx_store_router_result *res, tx_error *err);

#endif
