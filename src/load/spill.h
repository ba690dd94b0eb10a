/* spill.h - bounded-memory buffers of the load (src/load/ only): a line stream that spills to
 * an unlinked temporary file, and a record sorter that spills sorted runs and merges them. */
#ifndef TXETL_SPILL_H
#define TXETL_SPILL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "txetl/error.h"
#include "txetl/record.h"
#include "txetl/shard.h"

/* Lines of LOAD DATA text kept in memory up to a limit, then in a temporary file. */
typedef struct tx_spill {
    tx_buf mem;
    FILE *file;      /* NULL until the first spill */
    size_t limit;    /* bytes kept in memory before spilling */
    uint64_t lines;  /* lines appended */
    /* reading: chunk.p[0, filled) read from the file, [0, handed) handed out last time */
    tx_buf chunk;
    size_t filled, handed;
    int started, file_done;
} tx_spill;

/* Local. Ready to append (zeroed struct + limit). */
void tx_spill_init(tx_spill *s, size_t limit);
void tx_spill_free(tx_spill *s);
/* Local. Spills mem to the file when it is over the limit (call after appending lines). */
int tx_spill_settle(tx_spill *s, tx_error *err);
/* Local. Next chunk of whole lines (at most ~limit bytes) for a LOAD DATA: p, len, lines;
 * *len = 0 at the end. Reads the file part first, then what is still in memory. */
int tx_spill_next(tx_spill *s, const char **p, size_t *len, uint64_t *lines, tx_error *err);

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
