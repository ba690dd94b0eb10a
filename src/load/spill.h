/* spill.h - the version sorter of the load (src/load/ only): bounded memory, sorted runs
 * spilled to unlinked temporary files and merged. */
#ifndef TXETL_SPILL_H
#define TXETL_SPILL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "txetl/error.h"
#include "txetl/record.h"
#include "txetl/shard.h"

/* Versions sorted by (directory shard, transaction_id, last_updated desc, input position
 * desc): so each transaction's versions come together, best first. */
typedef struct tx_sorter tx_sorter;

int tx_sorter_new(size_t max_records, tx_sorter **out, tx_error *err);
void tx_sorter_free(tx_sorter **s);
/* Local. Adds a version; `shard` is its directory shard. */
int tx_sorter_add(tx_sorter *s, int shard, const tx_record *r, tx_error *err);
/* Local. Ends adding; starts the merged read. */
int tx_sorter_finish(tx_sorter *s, tx_error *err);
/* Local. Next version in order: 1 (filling shard and r), or 0 at the end. */
int tx_sorter_next(tx_sorter *s, int *shard, tx_record *r, tx_error *err);
/* Local. Peek at the next version without consuming it (same returns). */
int tx_sorter_peek(tx_sorter *s, int *shard, const tx_record **r, tx_error *err);
uint64_t tx_sorter_count(const tx_sorter *s);

#endif
