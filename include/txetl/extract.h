/* extract.h - the input files of a run: headers, the exact parallel split of their bytes
 * across ranks (RFC 4180 quoted newlines included), and a cursor over this rank's records.
 *
 * A record starts at the first byte after a file's header line, or after a '\n' that is outside
 * quotes; "outside quotes" = an even number of '"' since the start of the file. Rank r owns the
 * records whose first byte lies in its even share of the concatenated file bytes; the quote and
 * line counts before that share come from one MPI_Exscan, so every rank count sees the same
 * records with the same line numbers. */
#ifndef TXETL_EXTRACT_H
#define TXETL_EXTRACT_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "txetl/error.h"
#include "txetl/record.h"

typedef struct tx_input tx_input;
typedef struct tx_cursor tx_cursor;

/* One record as the cursor hands it out. Pointers are valid until the next tx_cursor_next. */
typedef struct tx_raw {
    const char *bytes; /* the record's bytes (at most TX_RECORD_MAX of them are kept) */
    size_t len;        /* bytes available at `bytes` */
    uint64_t offset;   /* byte offset of the record's first byte in its file */
    uint64_t line;     /* 1-based line of its first line */
    uint32_t file_index;
    tx_reject reject;  /* TX_REJ_NONE when `rec` is valid */
} tx_raw;

/* Collective. Opens every path (in command-line order), reads and checks each header, plans
 * this rank's share. Fails (all ranks alike) with TX_EUSAGE naming the file when a path cannot
 * be read, is a directory, or its header lacks a required column. *out is owned by the caller:
 * release with tx_input_free. */
int tx_input_open(MPI_Comm comm, char *const *paths, int npaths, tx_input **out, tx_error *err);

/* Local. Releases the input and nulls *in. */
void tx_input_free(tx_input **in);

/* Local. Facts of the input. */
int tx_input_nfiles(const tx_input *in);
const char *tx_input_path(const tx_input *in, int file_index);
const tx_header *tx_input_header(const tx_input *in, int file_index);
uint64_t tx_input_total_bytes(const tx_input *in);
/* Bytes of this rank's share (for progress). */
uint64_t tx_input_share_bytes(const tx_input *in);

/* Local. Starts a pass over this rank's records. Release with tx_cursor_free. */
int tx_cursor_new(tx_input *in, tx_cursor **out, tx_error *err);
void tx_cursor_free(tx_cursor **cur);

/* Local. Next record of this rank: returns 1 and fills *raw (and *rec when raw->reject is
 * TX_REJ_NONE), 0 at the end of the share, or a negative status on an I/O error (err names
 * the file). Empty lines are skipped. */
int tx_cursor_next(tx_cursor *cur, tx_raw *raw, tx_record *rec, tx_error *err);

/* Local. Bytes of the share consumed so far (for progress). */
uint64_t tx_cursor_done_bytes(const tx_cursor *cur);

/* Local, pure: rank's share [*start, *start + *count) of `total` items split evenly. */
void tx_split_range(int rank, int nranks, uint64_t total, uint64_t *start, uint64_t *count);

#endif
