/* export.h - `txetl export`: a snapshot's customer and revenue tables as CSV files for CRM and
 * spreadsheet users (columns and formats: docs/export.md).
 *
 * One file per table, named after its group: /customers -> customers.csv, /revenue/daily ->
 * revenue_daily.csv, /revenue/monthly -> revenue_monthly.csv, /cohorts -> cohorts.csv (and a
 * table added to the export's list of snapshot.h column tables, such as a per-currency one,
 * gets its own file the same way). A snapshot written before /cohorts existed has none: then
 * cohorts.csv is not written (one in out_dir from an older export is removed, so the directory
 * holds one snapshot's files) and res->note says so. The columns are the table's datasets in column-table order, as RFC 4180 CSV:
 * header row, CRLF line ends, UTF-8 without BOM, a field quoted (with "" for ") when it holds
 * a comma, a quote, CR or LF. Values: integers in decimal; days as YYYY-MM-DD; YYYYMM months
 * as YYYY-MM; `*_cents` money as a decimal with 2 places, in a column named without the
 * `_cents` suffix (`revenue_cents` -> `revenue`); `segment` as its name from `segment_names`;
 * f64 as %.17g (round-trips exactly), NaN as an empty field, infinities as inf / -inf. */
#ifndef TXETL_EXPORT_H
#define TXETL_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "txetl/error.h"

/* Most files one export writes. */
#define TX_EXPORT_MAX_FILES 8

/* One file an export wrote. */
typedef struct tx_export_file {
    char path[4096]; /* DIR/name.csv */
    uint64_t rows;   /* data rows, the header not counted */
} tx_export_file;

/* What an export wrote, in the order written. */
typedef struct tx_export_result {
    size_t nfiles;
    tx_export_file files[TX_EXPORT_MAX_FILES];
    char note[1024]; /* "" or one line: the tables the snapshot lacks, their files not written */
} tx_export_result;

/* Local (no MPI; opens the snapshot serially with the default file access property list).
 * Reads the snapshot at snapshot_path through snapshot.h's column tables (in chunks: memory
 * stays bounded whatever the customer count) and writes the CSV files into out_dir, creating
 * it (and its parents) when missing. Every file is first written as `<name>.tmp.<pid>` in
 * out_dir; only when all of them are complete are they renamed into place, so when reading
 * or writing fails no file of out_dir changes, and no temporary file is left (a failing rename
 * itself is reported; the files renamed before it stay). Existing files of these names are
 * replaced. res (may be NULL) receives the files and their row counts.
 * Returns TX_OK; TX_EUSAGE for a NULL or empty path; TX_ERR when the snapshot cannot be
 * opened, is not a txetl snapshot (format_version 2), lacks a dataset or attribute, has
 * columns of unequal length or a segment without a name (messages name the file and the
 * object), or a file cannot be written (the message names it); TX_ENOMEM when memory runs
 * out. The first error goes into err (may be NULL). The caller owns both paths. */
int tx_export_write(const char *snapshot_path, const char *out_dir, tx_export_result *res,
                    tx_error *err);

#endif
