/* record.h - the extract's columns, one CSV record's validation into a binary record, reject
 * reasons. Pure functions, no MPI, no I/O: the unit of SPEC §2. */
#ifndef TXETL_RECORD_H
#define TXETL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "txetl/calendar.h" /* the date helpers: tx_days_from_civil, tx_civil_from_days */
#include "txetl/error.h"
#include "txetl/fmt.h"      /* tx_format_date, tx_format_timestamp */

/* The columns txetl knows (SPEC §2). Order is fixed: it is the order of the rejects' and the
 * staging tables' columns. */
typedef enum tx_col {
    TX_COL_TRANSACTION_ID = 0,
    TX_COL_CUSTOMER_ID,
    TX_COL_TRANSACTION_DATE,
    TX_COL_TRANSACTION_AMOUNT,
    TX_COL_TRANSACTION_CATEGORY,
    TX_COL_PAYMENT_METHOD,
    TX_COL_CURRENCY,
    TX_COL_LAST_UPDATED,
    TX_COL_OP,
    TX_NCOLS
} tx_col;

#define TX_CATEGORY_MAX 64
#define TX_PAYMENT_MAX 32
/* A record (all its lines) longer than this is rejected as record_too_long. */
#define TX_RECORD_MAX (1u << 20)
/* A header with more columns than this fails the file (its line may be up to TX_RECORD_MAX bytes). */
#define TX_HEADER_MAX_COLS 4096

/* Stable reject reason codes (SPEC §2). tx_reject_name gives the snake_case code. */
typedef enum tx_reject {
    TX_REJ_NONE = 0,
    TX_REJ_FIELD_COUNT,          /* field_count: not as many fields as the header */
    TX_REJ_BAD_QUOTE,            /* bad_quote: '"' inside an unquoted field, or text after a
                                    closing quote */
    TX_REJ_UNTERMINATED_QUOTE,   /* unterminated_quote: a quote still open at end of file */
    TX_REJ_RECORD_TOO_LONG,      /* record_too_long: over TX_RECORD_MAX bytes */
    TX_REJ_MISSING_FIELD,        /* missing_field: a required field is empty */
    TX_REJ_BAD_TRANSACTION_ID,   /* bad_transaction_id: not a decimal integer */
    TX_REJ_TRANSACTION_ID_RANGE, /* transaction_id_range: 0 or > 9223372036854775807 */
    TX_REJ_BAD_CUSTOMER_ID,      /* bad_customer_id */
    TX_REJ_CUSTOMER_ID_RANGE,    /* customer_id_range */
    TX_REJ_BAD_DATE,             /* bad_date: not YYYY-MM-DD or not a calendar date */
    TX_REJ_DATE_RANGE,           /* date_range: outside 1970-01-01 .. 2099-12-31 */
    TX_REJ_BAD_AMOUNT,           /* bad_amount: not [+-]digits[.d[d]] */
    TX_REJ_AMOUNT_RANGE,         /* amount_range: more than 12 integer digits */
    TX_REJ_CATEGORY_TOO_LONG,    /* category_too_long: over 64 bytes */
    TX_REJ_PAYMENT_TOO_LONG,     /* payment_method_too_long: over 32 bytes */
    TX_REJ_BAD_UTF8,             /* bad_utf8: a text field is not valid UTF-8 */
    TX_REJ_NUL_BYTE,             /* nul_byte: a NUL byte in a text field */
    TX_REJ_BAD_CURRENCY,         /* bad_currency: not three letters A-Z */
    TX_REJ_BAD_LAST_UPDATED,     /* bad_last_updated */
    TX_REJ_BAD_OP,               /* bad_op: not U or D */
    TX_NREJECTS
} tx_reject;

/* The validated, binary form of one record. Fixed size, no pointers: it is sent between ranks
 * as bytes. Text is not NUL-terminated; *_len gives its length. */
typedef struct tx_record {
    uint64_t transaction_id;
    uint64_t customer_id;
    int64_t amount_cents;    /* negative = refund */
    int64_t last_updated_us; /* microseconds since 1970-01-01T00:00:00Z */
    uint64_t offset;         /* input position: byte offset of the record's first byte ... */
    uint32_t file_index;     /* ... in the file at this index of the command line */
    int32_t date;            /* transaction_date, days since 1970-01-01 */
    char currency[3];
    char op; /* 'U' or 'D' */
    uint8_t category_len;
    uint8_t payment_len;
    char category[TX_CATEGORY_MAX];
    char payment[TX_PAYMENT_MAX];
} tx_record;

/* A file's header: which column of the file feeds which tx_col. */
typedef struct tx_header {
    int nfields;               /* number of fields in the header line */
    int col_of[TX_NCOLS];      /* file field index of each tx_col, or -1 if absent */
    char unknown[512];         /* comma-separated unknown column names (truncated), for the
                                  run summary; empty when none */
} tx_header;

/* Local. Parses a header line (without its line end; a leading UTF-8 BOM must already be
 * skipped by the caller). Names match case-insensitively, in any order, after trimming spaces
 * and tabs (inside quotes too); quoted names are allowed ('""' is a quote), split by libcsv
 * like a record. Returns TX_OK, or TX_EUSAGE with a message naming `path` and the problem: a
 * missing required column, a duplicated column, broken quoting (with the column's number),
 * more than TX_HEADER_MAX_COLS columns, an over-long header; TX_ENOMEM. */
int tx_header_parse(const char *line, size_t len, const char *path, tx_header *h, tx_error *err);

/* A record tokenizer: one libcsv parser (csv.h, strict mode) with its field buffer, allocated
 * once for the longest record (TX_RECORD_MAX), and the state of the record being parsed.
 * Reused for every record, so that tx_record_parse never allocates. One per cursor: not to be
 * shared between threads. */
typedef struct tx_record_parser tx_record_parser;

/* Local. Creates a parser and allocates its buffers (about 2 x TX_RECORD_MAX bytes: one for
 * tx_record_parse, one for the stream below). Returns TX_OK,
 * or TX_ENOMEM with a message in err. The caller owns *out: release with
 * tx_record_parser_free. */
int tx_record_parser_new(tx_record_parser **out, tx_error *err);

/* Local. Releases the parser and nulls *p; nothing when *p is NULL. */
void tx_record_parser_free(tx_record_parser **p);

/* Local. Validates one record: the bytes from its first byte up to (not including) the '\n'
 * that ends it, or up to end of file. A trailing '\r' is a CRLF line end and ignored.
 * libcsv splits the record into fields; the rules it follows are txetl's (RFC 4180):
 * a field is quoted when its first byte is '"' (for non-text columns, after leading
 * spaces/tabs, and spaces/tabs may follow the closing quote); inside, '""' is a quote and
 * commas, CR and LF are data; outside quotes a CR or LF is data too (a bad value in a number,
 * kept in text). Text columns (transaction_category, payment_method) are kept byte for byte.
 * On success fills *out (all fields but offset and file_index, which the caller sets) and
 * returns TX_REJ_NONE; otherwise returns the reason: record_too_long, then the record's
 * structure (bad_quote, unterminated_quote, field_count: the first problem in field order,
 * field_count as soon as a field past the header's count begins), then the first bad value
 * in field order. `unterminated` tells that the record runs to end of file inside an open
 * quote (the caller knows it from the quote parity). Uses p's buffers: no allocation. */
tx_reject tx_record_parse(tx_record_parser *p, const tx_header *h, const char *rec, size_t len,
                          int unterminated, tx_record *out);

/* ---- the stream: libcsv over many records per call ----------------------------------------
 * The cursor's hot path. One libcsv parser (the parser's second) is fed a window's bytes, a
 * piece of at most TX_STREAM_PIECE bytes per csv_parse call, without a csv_fini per record;
 * its field callback checks each field as above, its row callback ends a record. A record is
 * taken from the stream only when its reading is provably the one of tx_record_parse: one
 * row ended by its own '\n' (or '\r\n'), no '"' in it, and not a byte dropped (its length =
 * field bytes + commas). Any other record (quotes, blanks at a field edge, a stray CR, an empty
 * or blank line) is found by its quote parity (the first '\n' after an even number of '"')
 * and handed to tx_record_parse, which is exact; libcsv stays in step, as without a strict
 * error its quoting is the parity's. A strict error stops the stream at its record. */

/* A record the stream completed. */
typedef struct tx_row {
    uint64_t offset;  /* its first byte (in the coordinates of the fed bytes: the file's) */
    uint64_t line;    /* 1-based line of its first line */
    size_t len;       /* its bytes up to (not including) the '\n' that ends it */
    tx_reject reject; /* TX_REJ_NONE when its tx_record is valid */
} tx_row;

#define TX_STREAM_PIECE 4096u /* most bytes one tx_record_stream_feed parses */
/* Most records one feed completes (the first may have begun before; the rest take >= 2 bytes),
 * plus the slot of the record in progress: the size of the rows and recs arrays. */
#define TX_STREAM_ROWS (TX_STREAM_PIECE / 2 + 2)

typedef enum tx_stream_status {
    TX_STREAM_MORE = 0, /* every byte up to `to` parsed; feed on */
    TX_STREAM_SLOW,     /* the record in progress needs the per-record pass (strict error, or
                           its end is not in the bytes at hand): tx_record_stream_at tells
                           where it starts; begin the stream again after it */
    TX_STREAM_END       /* a record starts at or after `limit`: the stream is done */
} tx_stream_status;

/* Local. (Re)starts the stream at a record start `offset` (line `line`) of a file with header
 * h; records starting at or after `limit` are not the caller's and end the stream. */
void tx_record_stream_begin(tx_record_parser *p, const tx_header *h, uint64_t offset,
                            uint64_t line, uint64_t limit);

/* Local. Parses the bytes from where the stream stands (tx_record_stream_at's *fed) up to `to`
 * (at most TX_STREAM_PIECE more). buf holds the file's bytes from offset buf_off on, at least
 * up to `to`, and from the start of the record in progress. Completed records go to
 * rows[0..*n) and, for those with reject TX_REJ_NONE, recs[0..*n) (all but offset and
 * file_index); pass the same two arrays (TX_STREAM_ROWS each) to every feed of a stream: the
 * record in progress is kept in recs. Pointers into buf are not kept past the call. No
 * allocation. */
tx_stream_status tx_record_stream_feed(tx_record_parser *p, const char *buf, uint64_t buf_off,
                                       uint64_t to, tx_row *rows, tx_record *recs, size_t *n);

/* Local. The record in progress: its first byte and line, and how far bytes were fed
 * (*offset <= *fed). */
void tx_record_stream_at(const tx_record_parser *p, uint64_t *offset, uint64_t *line,
                         uint64_t *fed);

/* Local. The snake_case code of a reason, e.g. "bad_date"; "none" for TX_REJ_NONE. */
const char *tx_reject_name(tx_reject r);

#endif
