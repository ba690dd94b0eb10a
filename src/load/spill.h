/* spill.h - the version sorter of the load (src/load/ only): bounded memory, sorted runs
 * spilled to unlinked temporary files and merged. */
#ifndef TXETL_SPILL_H
#define TXETL_SPILL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "txetl/error.h"
#include "txetl/record.h"
#include "txetl/store.h"

/* A version packed for the sorter and for the load's exchange rounds: this head, the fixed
 * part of its tx_record (the bytes before `category`), its category and payment bytes, zero
 * padding to a multiple of 8 - ~90 bytes for a typical record instead of a tx_record's ~150. */
typedef struct tx_packed_head {
    int32_t shard; /* the directory or home shard the message is for */
    uint16_t size; /* bytes of the whole entry */
    uint8_t tag;   /* what the message is (the load's MSG_*) */
    uint8_t pad;
} tx_packed_head;

/* Local. Bytes r packs into. */
size_t tx_packed_size(const tx_record *r);
/* Local. Packs r into dst; returns the bytes written (tx_packed_size(r)). */
size_t tx_pack(char *dst, int shard, int tag, const tx_record *r);
/* Local. Size of the entry at p given `avail` readable bytes, or 0 when no whole, sane entry
 * starts there. */
size_t tx_packed_entry(const char *p, size_t avail);
/* Local. Unpacks the entry at p; text tails zeroed as the parser leaves them. */
void tx_unpack(const char *p, int *shard, int *tag, tx_record *r);

/* Versions sorted by (directory shard, transaction_id, last_updated desc, input position
 * desc): so each transaction's versions come together, best first. */
typedef struct tx_sorter tx_sorter;

int tx_sorter_new(size_t max_records, tx_sorter **out, tx_error *err);
void tx_sorter_free(tx_sorter **s);
/* Local. Adds a version; `shard` is its directory shard. */
int tx_sorter_add(tx_sorter *s, int shard, const tx_record *r, tx_error *err);
/* Local. Adds a packed version (its head's shard is its directory shard), copying it. */
int tx_sorter_add_packed(tx_sorter *s, const char *entry, tx_error *err);
/* Local. Ends adding; starts the merged read. */
int tx_sorter_finish(tx_sorter *s, tx_error *err);
/* Local. Next version in order: 1 (filling shard and r), or 0 at the end. */
int tx_sorter_next(tx_sorter *s, int *shard, tx_record *r, tx_error *err);
/* Local. Peek at the next version without consuming it (same returns). */
int tx_sorter_peek(tx_sorter *s, int *shard, const tx_record **r, tx_error *err);
uint64_t tx_sorter_count(const tx_sorter *s);

#endif
