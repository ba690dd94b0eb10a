/* load_summary.c - what a run reports, from one place (tx_run_summary, fed by one clock): the
 * progress lines, a line per finished phase, the human summary on standard output and the
 * --summary-json file. rows/s is computed once, by tx_run_rows_per_second (txetl/run.h). */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "load_internal.h"
#include "txetl/log.h"

void tx_summary_start(tx_run_summary *s, int talk)
{
    s->talk = talk;
    s->t0 = s->phase_t0 = MPI_Wtime();
}

/* Rank 0's progress, from its own share (ranks hold equal shares). */
void tx_summary_progress(tx_run_summary *s, const char *phase, uint64_t done, uint64_t total,
                         uint64_t rows, double *last)
{
    if (!s->talk)
        return;
    double now = MPI_Wtime();
    int tty = isatty(STDERR_FILENO);
    if (now - *last < (tty ? 0.5 : 5.0))
        return;
    *last = now;
    double el = now - s->phase_t0;
    double pct = total ? 100.0 * (double)done / (double)total : 100.0;
    double rate = el > 0 ? (double)rows / el : 0;
    double eta = (pct > 0 && pct < 100) ? el * (100.0 - pct) / pct : 0;
    if (tty) {
        fprintf(stderr, "\r%-6s %5.1f%%  %" PRIu64 " rows  %.0f rows/s  ETA %.0f s   ", phase,
                pct, rows, rate, eta);
        s->progress_line = 1;
    } else {
        TX_LOG(TX_LOG_INFO, "%s: %.1f%%, %" PRIu64 " rows, %.0f rows/s, ETA %.0f s",
               phase, pct, rows, rate, eta);
    }
}

void tx_summary_phase_done(tx_run_summary *s, tx_phase phase, const char *what)
{
    double now = MPI_Wtime();
    s->phase_s[phase] = now - s->phase_t0;
    s->phase_t0 = now;
    if (s->talk) {
        if (s->progress_line)
            fputc('\n', stderr);
        s->progress_line = 0;
        TX_LOG(TX_LOG_INFO, "%s in %.2f s (%.2f s since start)", what, s->phase_s[phase],
               now - s->t0);
    }
}

void tx_summary_end(tx_run_summary *s)
{
    s->seconds = MPI_Wtime() - s->t0;
}

void tx_summary_sum_counts(MPI_Comm comm, tx_run_counts *c)
{
    uint64_t v[8] = {c->read, c->rejected, c->inserted, c->updated,
                     c->moved, c->deleted, c->stale, c->superseded};
    MPI_Allreduce(MPI_IN_PLACE, v, 8, MPI_UINT64_T, MPI_SUM, comm);
    c->read = v[0], c->rejected = v[1], c->inserted = v[2], c->updated = v[3];
    c->moved = v[4], c->deleted = v[5], c->stale = v[6], c->superseded = v[7];
}

void tx_load_print_summary(FILE *out, const tx_run_info *run, int dry_run)
{
    const tx_run_counts *k = &run->counts;
    fprintf(out, "run %s: %s%d ranks, %d shards, %.2f s, %.0f rows/s\n", run->run_id,
            dry_run == TX_SUMMARY_PLAN ? "PLAN (nothing written), " : dry_run ? "DRY RUN, " : "",
            run->ranks, run->shards, run->seconds,
            tx_run_rows_per_second(run));
    fprintf(out, "  read %" PRIu64 "  rejected %" PRIu64 "  inserted %" PRIu64 "  updated %"
                 PRIu64 "  moved %" PRIu64 "  deleted %" PRIu64 "  stale %" PRIu64
                 "  superseded %" PRIu64 "\n",
            k->read, k->rejected, k->inserted, k->updated, k->moved, k->deleted, k->stale,
            k->superseded);
}

/* The JSON names of the timed phases (phase_seconds); preflight's time is in scan_route's. */
static const char *const phase_key[TX_NPHASES] = {
    [TX_PHASE_SCAN] = "scan_route",  [TX_PHASE_DECIDE] = "decide_apply",
    [TX_PHASE_FINISH] = "finish",    [TX_PHASE_COMMIT] = "commit",
    [TX_PHASE_REDUCE] = "reduce_snapshot",
};

void tx_summary_write_json(tx_job *j, const tx_run_info *run, int rc, const tx_error *err)
{
    if (!j->o->summary_json || !j->shard_rows)
        return;
    MPI_Allreduce(MPI_IN_PLACE, j->shard_rows, j->nshards, MPI_UINT64_T, MPI_SUM, j->comm);
    MPI_Allreduce(MPI_IN_PLACE, j->shard_removed, j->nshards, MPI_UINT64_T, MPI_SUM, j->comm);
    tx_plan_gather(j); /* the decisions per shard (load_plan.c) */
    if (j->rank != 0)
        return;
    FILE *f = fopen(j->o->summary_json, "w");
    if (!f) {
        TX_LOG(TX_LOG_ERROR, "%s: cannot write the JSON summary: %m", j->o->summary_json);
        return;
    }
    const tx_run_counts *k = &run->counts;
    fprintf(f, "{\n  \"run_id\": \"%s\",\n  \"status\": \"%s\",\n  \"dry_run\": %s,\n",
            run->run_id, rc == TX_OK ? "succeeded" : "failed", j->o->dry_run ? "true" : "false");
    fprintf(f, "  \"plan\": %s,\n", j->o->plan ? "true" : "false");
    /* "error": why the run failed; "warning": what failed after it succeeded (publish) */
    const char *text = rc != TX_OK ? err->msg : j->warning[0] ? j->warning : NULL;
    if (text) {
        fprintf(f, "  \"%s\": \"", rc != TX_OK ? "error" : "warning");
        for (const char *p = text; *p; p++)
            fprintf(f, (*p == '"' || *p == '\\') ? "\\%c" : ((unsigned char)*p < 0x20 ? "?" : "%c"),
                    *p);
        fputs("\",\n", f);
    }
    fprintf(f, "  \"ranks\": %d,\n  \"shards\": %d,\n  \"seconds\": %.3f,\n  "
               "\"rows_per_second\": %.1f,\n", run->ranks, run->shards, run->seconds,
            tx_run_rows_per_second(run));
    fprintf(f, "  \"counts\": {\"read\": %" PRIu64 ", \"rejected\": %" PRIu64 ", \"inserted\": %"
               PRIu64 ", \"updated\": %" PRIu64 ", \"moved\": %" PRIu64 ", \"deleted\": %" PRIu64
               ", \"stale\": %" PRIu64 ", \"superseded\": %" PRIu64 "},\n",
            k->read, k->rejected, k->inserted, k->updated, k->moved, k->deleted, k->stale,
            k->superseded);
    fputs("  \"phase_seconds\": {", f);
    for (int p = TX_PHASE_SCAN; p < TX_NPHASES; p++)
        fprintf(f, "%s\"%s\": %.3f", p > TX_PHASE_SCAN ? ", " : "", phase_key[p],
                j->sum.phase_s[p]);
    fputs("},\n  \"shard_rows\": [", f);
    for (int s = 0; s < j->nshards; s++)
        fprintf(f, "%s{\"shard\": %d, \"stored\": %" PRIu64 ", \"removed\": %" PRIu64 "}",
                s ? ", " : "", s, j->shard_rows[s], j->shard_removed[s]);
    fputs("],\n  \"shard_counts\": [", f);
    for (int s = 0; s < j->nshards; s++) {
        const tx_run_counts *c = &j->decided.shard[s];
        fprintf(f, "%s{\"shard\": %d, \"versions\": %" PRIu64 ", \"inserted\": %" PRIu64
                   ", \"updated\": %" PRIu64 ", \"moved\": %" PRIu64 ", \"deleted\": %" PRIu64
                   ", \"stale\": %" PRIu64 ", \"superseded\": %" PRIu64 "}",
                s ? ", " : "", s, c->read, c->inserted, c->updated, c->moved, c->deleted,
                c->stale, c->superseded);
    }
    fputs("]\n}\n", f);
    if (fclose(f) != 0)
        TX_LOG(TX_LOG_ERROR, "%s: cannot write the JSON summary: %m", j->o->summary_json);
}
