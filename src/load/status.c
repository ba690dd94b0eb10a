/* status.c - `txetl status`: per shard reachability, then what its store reports (rows,
 * partitions, directory, boundaries, last runs). */
#include <stdio.h>

#include "txetl/status.h"
#include "txetl/store.h"

int tx_status_print(const char *shards_path, FILE *out, tx_error *err)
{
    int n = 0;
    int rc = tx_shardfile_count(shards_path, &n, err);
    if (rc != TX_OK)
        return rc;
    int down = 0;
    for (int s = 0; s < n; s++) {
        tx_store *st = NULL;
        tx_error e = {0};
        if (tx_store_open(&tx_store_mariadb, shards_path, s, &st, &e) != TX_OK) {
            fprintf(out, "shard %d: UNREACHABLE: %s\n", s, e.msg);
            down++;
            continue;
        }
        tx_store_status(st, out, &e);
        tx_store_close(&st);
    }
    if (down)
        return tx_error_set(err, TX_ERR, "%d of %d shards unreachable", down, n);
    return TX_OK;
}
