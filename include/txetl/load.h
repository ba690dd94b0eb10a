/* load.h - `txetl load` and `txetl snapshot`: the phases of a run over the shards of a shard
 * file (docs/input.md, docs/shards.md, docs/load.md, docs/commands.md), ending in the reduce step and the snapshot (docs/analytics.md, docs/snapshot.md). */
#ifndef TXETL_LOAD_H
#define TXETL_LOAD_H

#include <mpi.h>
#include <stdio.h>

#include "txetl/error.h"
#include "txetl/run.h"

typedef struct tx_load_opts {
    const char *shards_path;   /* --shards */
    const char *snapshot_dir;  /* --snapshot-dir (default "snapshots") */
    const char *rejects_path;  /* --rejects (default "rejects.csv") */
    const char *summary_json;  /* --summary-json, or NULL */
    double max_reject_rate;    /* --max-reject-rate (default 0.01) */
    long long max_rejects;     /* --max-rejects: most rejected records allowed (-1: no limit) */
    int no_snapshot;           /* --no-snapshot */
    int no_publish;            /* --no-publish: no analytics database refresh after the snapshot */
    int dry_run;               /* --dry-run: parse, validate, route; write no shard */
    int plan;                  /* --plan: decide against the shards read-only, print, write none */
    int audit_inserts;         /* --audit-inserts */
    int quiet;                 /* --quiet: no progress lines */
    tx_analytics_opts analytics;
    char *const *files;
    int nfiles;
} tx_load_opts;

/* Collective. Runs `txetl load`: the phases of README "Design" (0 preflight, 1 scan + route,
 * 2 decide + apply, 3 finish, 4 commit, 5 reduce + snapshot; a --dry-run ends after 1, a
 * --plan after 2, having written nothing, with rank 0's report of it on standard output). On
 * return every rank holds the same status and *run the run's id, ranks, shards, global counts
 * and duration (also after a failure: what was counted). Rank 0 writes --summary-json, also
 * for a failed run. Errors name the file, line, shard or option at fault (err). */
int tx_load_run(MPI_Comm comm, const tx_load_opts *o, tx_run_info *run, tx_error *err);

/* Collective. Runs `txetl snapshot`: the reduce step over what the shards hold now (its
 * snapshot carries a run id of its own; the counts are zero). Errors name the shard. */
int tx_snapshot_run(MPI_Comm comm, const tx_load_opts *o, tx_run_info *run, tx_error *err);

/* Local. The human summary of a load (rank 0 prints it on success), two lines:
 *   run ID: [DRY RUN, |PLAN (nothing written), ]R ranks, S shards, T s, N rows/s
 *     read N  rejected N  inserted N  updated N  moved N  deleted N  stale N  superseded N
 * from *run alone, so it shows the numbers --summary-json holds. */
void tx_load_print_summary(FILE *out, const tx_run_info *run, int dry_run);
/* The `mode` tx_load_print_summary's dry_run takes for a --plan (its line says PLAN). */
#define TX_SUMMARY_PLAN 2

#endif
