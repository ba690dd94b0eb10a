/* report.h - `txetl report`: renders an HDF5 snapshot (docs/snapshot.md) as one self-contained HTML
 * finance dashboard (inline CSS and SVG charts; nothing loaded from the network). */
#ifndef TXETL_REPORT_H
#define TXETL_REPORT_H

#include "txetl/error.h"

/* Local (no MPI; opens the snapshot serially with the default file access property list).
 * Reads the snapshot at snapshot_path and writes the dashboard to out_path: run header and
 * counts of the run, daily and monthly revenue, RFM segments, the CLV distribution and top-20
 * customers, and the BG/NBD and Gamma-Gamma parameters (an unconverged fit is flagged).
 * The file is written under a temporary name and renamed into place, so out_path is either
 * the complete report or untouched. Unknown groups (e.g. /holdout) are ignored.
 * Returns TX_OK; TX_EUSAGE for a NULL or empty path; TX_ERR when the snapshot cannot be
 * opened, is not a txetl snapshot, lacks a dataset or attribute (the message names the file
 * and the object), or the report cannot be written; TX_ENOMEM when memory runs out.
 * The first error goes into err (may be NULL). The caller owns both paths. */
int tx_report_write(const char *snapshot_path, const char *out_path, tx_error *err);

#endif
