/* load_job.c - the job context of a load or snapshot run: its communicator and options, the
 * run id and the UTC clock every rank agrees on, and the release of what the phases leave. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "load_internal.h"

void tx_job_utc_now(tx_job *j, char out[32])
{
    if (j->rank == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char base[24];
        strftime(base, sizeof base, "%Y-%m-%d %H:%M:%S", &tm);
        snprintf(out, 32, "%.19s.%06d", base, (int)(ts.tv_nsec / 1000 % 1000000));
    }
    MPI_Bcast(out, 32, MPI_CHAR, 0, j->comm);
}

/* Collective. Rank 0 names the run, "YYYYMMDDTHHMMSSZ-xxxxxx" (UTC, 24 random-ish bits), and
 * its start time; both broadcast. */
static void make_run_id(tx_job *j)
{
    if (j->rank == 0) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned x = (unsigned)(ts.tv_nsec ^ (getpid() << 12)) & 0xffffff;
        snprintf(j->run_id, sizeof j->run_id, "%s-%06x", stamp, x);
    }
    MPI_Bcast(j->run_id, sizeof j->run_id, MPI_CHAR, 0, j->comm);
    tx_job_utc_now(j, j->started_utc);
}

void tx_job_init(tx_job *j, MPI_Comm comm, const tx_load_opts *o)
{
    memset(j, 0, sizeof *j);
    j->comm = comm;
    j->o = o;
    MPI_Comm_rank(comm, &j->rank);
    MPI_Comm_size(comm, &j->nranks);
    tx_summary_start(&j->sum, j->rank == 0 && !o->quiet);
    make_run_id(j);
}

void tx_job_fill_run(const tx_job *j, tx_run_info *run)
{
    memset(run, 0, sizeof *run);
    snprintf(run->run_id, sizeof run->run_id, "%s", j->run_id);
    run->created_unix = (int64_t)time(NULL);
    run->ranks = j->nranks;
    run->shards = j->nshards;
    run->counts = j->sum.counts;
    run->seconds = j->sum.seconds;
}

void tx_job_close(tx_job *j)
{
    for (int s = 0; j->mine && s < j->nshards; s++)
        tx_store_close(&j->mine[s]);
    for (int s = 0; j->homes && s < j->nshards; s++) {
        tx_home *h = &j->homes[s];
        for (int k = 0; k < TX_ROW_LOADERS; k++)
            tx_buf_free(&h->rows[k]);
        tx_buf_free(&h->dir);
        tx_buf_free(&h->audit);
        tx_buf_free(&h->removes);
    }
    free(j->homes);
    free(j->decided.shard);
    j->decided.shard = NULL;
    free(j->shard_rows);
    free(j->shard_removed);
    free(j->mine);
    free(j->bound);
    j->homes = NULL;
    j->shard_rows = j->shard_removed = NULL;
    j->mine = NULL;
    j->bound = NULL;
}
