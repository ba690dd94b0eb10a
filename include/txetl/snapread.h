/* snapread.h - reading a snapshot file back (no MPI; the serial HDF5 driver) through
 * snapshot.h's column tables, TX_SNAPREAD_CHUNK rows at a time: memory stays bounded whatever
 * the customer count. Shared by `txetl export` (CSV files), `txetl publish` (SQL tables) and
 * `txetl report` (which loads the few columns it shows whole: tx_snapread_table_load), so all
 * see the same columns with the same meaning.
 *
 * Besides its element type, a column may have a meaning its type does not say (a day, a
 * YYYYMM month, cents, an index into segment_names): tx_snapread_kind names it, by the
 * dataset's name (the same name means the same in every table: date, first_purchase and
 * last_purchase are days, month and cohort_month YYYYMM months, segment an index, an i64
 * *_cents money), and tx_snapread_text formats a value by it. A dataset added to a column table (and, when its
 * name says nothing yet, a line in snapread.c's list) reaches every reader by itself. */
#ifndef TXETL_SNAPREAD_H
#define TXETL_SNAPREAD_H

#include <stddef.h>
#include <stdint.h>

#include "txetl/error.h"
#include "txetl/snapshot.h"

/* Rows one tx_snapread_table_read reads. */
#define TX_SNAPREAD_CHUNK 65536

/* What a column holds beyond its element type. */
typedef enum tx_snapread_kind {
    TX_SNAPREAD_PLAIN,   /* by type: integers, f64 */
    TX_SNAPREAD_DATE,    /* i32 days since 1970-01-01 */
    TX_SNAPREAD_MONTH,   /* i32 YYYYMM */
    TX_SNAPREAD_CENTS,   /* i64 cents (money) */
    TX_SNAPREAD_SEGMENT, /* u8 index into the group attribute segment_names */
} tx_snapread_kind;

/* Local. The kind of column c of table t, by its name (TX_SNAPREAD_PLAIN unless it says
 * more). */
tx_snapread_kind tx_snapread_kind_of(const tx_snapshot_table *t, const tx_snapshot_column *c);

/* An open snapshot file. */
typedef struct tx_snapread tx_snapread;

/* Local. Opens the snapshot at path read-only and checks that it is a txetl snapshot (format
 * "txetl-snapshot", format_version 2). HDF5's own error printing is off while it is open.
 * TX_ERR naming the file when it is missing, not HDF5 or not a txetl snapshot; TX_EUSAGE for a
 * NULL or empty path. *out is NULL on failure. Free with tx_snapread_close. */
int tx_snapread_open(const char *path, tx_snapread **out, tx_error *err);
/* Local. Closes the file (HDF5 error printing restored). TX_ERR when HDF5 cannot close it
 * (err may be NULL). *r = NULL; NULL is a no-op. */
int tx_snapread_close(tx_snapread **r, tx_error *err);
/* Local. The path it was opened with. */
const char *tx_snapread_path(const tx_snapread *r);

/* Local. 1 when the group or dataset obj exists and, unless name is NULL, has attribute name;
 * else 0. */
int tx_snapread_has(tx_snapread *r, const char *obj, const char *name);

/* Local. The string attribute obj@name (fixed- or variable-length, any number of elements):
 * *out receives *n malloc'ed strings (free with tx_snapread_strings_free). TX_ERR naming the
 * file, object and attribute when it is missing or not a string; TX_ENOMEM. */
int tx_snapread_strings(tx_snapread *r, const char *obj, const char *name, char ***out,
                        size_t *n, tx_error *err);
void tx_snapread_strings_free(char **v, size_t n);
/* Local. The single string attribute obj@name copied into out (truncated to cap bytes); TX_ERR
 * when it has another number of elements. */
int tx_snapread_string(tx_snapread *r, const char *obj, const char *name, char *out,
                       size_t cap, tx_error *err);
/* Local. A numeric scalar attribute obj@name (integer, float or enumeration, as h5py writes a
 * bool) converted to double / int64 / uint64. *present = 0 (and TX_OK) when it is absent;
 * present NULL makes absence an error naming it. TX_ERR naming the file, object and attribute
 * when it is not a single number. */
int tx_snapread_f64(tx_snapread *r, const char *obj, const char *name, double *out,
                    int *present, tx_error *err);
int tx_snapread_i64(tx_snapread *r, const char *obj, const char *name, int64_t *out,
                    int *present, tx_error *err);
int tx_snapread_u64(tx_snapread *r, const char *obj, const char *name, uint64_t *out,
                    int *present, tx_error *err);

/* One table of an open snapshot, read in chunks. */
typedef struct tx_snapread_table tx_snapread_table;

/* Local. True when the snapshot holds t's group (a table added to the layout later, such as
 * /cohorts, is absent from snapshots written before it existed). */
int tx_snapread_has_table(tx_snapread *r, const tx_snapshot_table *t);
/* Local. Opens every dataset of t (1-D, all of one length) and, for a segment column, the
 * group's segment_names. TX_ERR naming the file and the dataset when one is missing, not 1-D
 * or of another length. Free with tx_snapread_table_close. */
int tx_snapread_table_open(tx_snapread *r, const tx_snapshot_table *t, tx_snapread_table **out,
                           tx_error *err);
void tx_snapread_table_close(tx_snapread_table **tab);
/* Local. The table's rows and its column table. */
uint64_t tx_snapread_table_rows(const tx_snapread_table *tab);
const tx_snapshot_table *tx_snapread_table_def(const tx_snapread_table *tab);
/* Local. Reads rows [start, start + n) (n <= TX_SNAPREAD_CHUNK) of every column into the
 * table's chunk buffers. TX_ERR naming the dataset and rows. */
int tx_snapread_table_read(tx_snapread_table *tab, uint64_t start, size_t n, tx_error *err);
/* Local. The chunk buffer of column `col` (native type of its tx_snapshot_type), valid until
 * the next read. */
const void *tx_snapread_table_column(const tx_snapread_table *tab, size_t col);
/* Local. Its kind (tx_snapread_kind_of). */
tx_snapread_kind tx_snapread_table_kind(const tx_snapread_table *tab, size_t col);

/* Local. Reads the columns of table t whole into the table struct `rows` (tx_snapshot_column_set;
 * free with tx_snapshot_table_free): all of them, or (want != NULL) those whose struct member
 * is one of the nwant offsets in want; the others stay NULL. Every column read must exist, be
 * 1-D and have the same length, which *n receives. TX_ERR naming the file and the dataset. */
int tx_snapread_table_load(tx_snapread *r, const tx_snapshot_table *t, void *rows,
                           const size_t *want, size_t nwant, size_t *n, tx_error *err);

/* How tx_snapread_text wrote a value. */
enum { TX_SNAPREAD_VALUE = 0, TX_SNAPREAD_NAN = 1, TX_SNAPREAD_INF = 2 };

/* Local. The text of row r (of the last chunk read; `row` is its table row, for messages) of
 * column col, by its kind: integers in decimal; DATE as YYYY-MM-DD; MONTH as YYYY-MM (or, with
 * month_as_date, the month's first day YYYY-MM-01); CENTS as a decimal with 2 places; SEGMENT
 * as its name; f64 as %.17g (round-trips exactly). *text points into buf (64 bytes) or to the
 * segment name, *len is its length. Returns TX_SNAPREAD_VALUE; TX_SNAPREAD_NAN for NaN (text
 * empty) and TX_SNAPREAD_INF for an infinity (text "inf" / "-inf"); TX_ERR naming the file, the
 * dataset and the row for a segment without a name. */
int tx_snapread_text(const tx_snapread_table *tab, size_t col, size_t r, uint64_t row,
                     int month_as_date, char buf[64], const char **text, size_t *len,
                     tx_error *err);

#endif
