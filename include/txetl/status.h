/* status.h - `txetl status`: what each shard of a shard file holds. */
#ifndef TXETL_STATUS_H
#define TXETL_STATUS_H

#include <stdio.h>

#include "txetl/error.h"

/* Local. Prints, per shard: reachability, rows, month partitions, directory entries and
 * tombstones, the date boundaries and the last runs. TX_ERR when a shard is unreachable
 * (after printing every shard), TX_EUSAGE for a bad shard file. */
int tx_status_print(const char *shards_path, FILE *out, tx_error *err);

#endif
