/* clvfit_csv.c - the model fits on a real extract without a database: reads a txgen extract
 * (its transaction_id, customer_id, transaction_date, transaction_amount columns; every row a
 * stored transaction) into the reduce's tx_txn rows and runs the real reduce step
 * (tx_reduce_snapshot; under mpirun every rank reads the file and keeps every nranks-th row)
 * into a snapshot directory. The reduce's log line gives
 * the fit time ("fits X s"); the snapshot's /model attributes give the results.
 *
 *   clvfit_csv EXTRACT.csv SNAPSHOT_DIR [--week] [--as-of YYYY-MM-DD]
 *
 * (TXETL_CLV_MAX_ITER caps the fits' iterations as in txetl, for tests.)
 * Built against the current library (tests/models.cmake) and, for before/after comparisons,
 * compiled by hand against another build's libraries: it uses only reduce.h. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txetl/calendar.h"
#include "txetl/reduce.h"

/* One line's first four fields: id, customer, YYYY-MM-DD, [+-]d+[.d{1,2}]. 0 on success. */
static int parse_line(const char *s, tx_txn *t)
{
    char *e;
    strtoull(s, &e, 10);
    if (*e != ',')
        return -1;
    t->customer_id = strtoull(e + 1, &e, 10);
    if (*e != ',')
        return -1;
    int y, m, d;
    if (sscanf(e + 1, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return -1;
    t->date = tx_days_from_civil(y, m, d);
    s = strchr(e + 1, ',');
    if (!s)
        return -1;
    s++;
    int neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    int64_t cents = 0;
    while (*s >= '0' && *s <= '9')
        cents = cents * 10 + (*s++ - '0');
    cents *= 100;
    if (*s == '.') {
        s++;
        if (*s >= '0' && *s <= '9') {
            cents += 10 * (*s++ - '0');
            if (*s >= '0' && *s <= '9')
                cents += *s++ - '0';
        }
    }
    t->amount_cents = neg ? -cents : cents;
    t->currency = 0; /* one currency: the bench times the reduce, it converts nothing */
    return 0;
}

int main(int argc, char **argv)
{
    int week = 0;
    int32_t as_of = INT32_MIN;
    for (int i = 3; i < argc; i++) {
        int y, m, d;
        if (strcmp(argv[i], "--week") == 0)
            week = 1;
        else if (strcmp(argv[i], "--as-of") == 0 && i + 1 < argc &&
                 sscanf(argv[i + 1], "%4d-%2d-%2d", &y, &m, &d) == 3 && ++i)
            as_of = tx_days_from_civil(y, m, d);
        else
            argc = 0; /* usage */
    }
    if (argc < 3) {
        fprintf(stderr, "usage: clvfit_csv EXTRACT.csv SNAPSHOT_DIR [--week] [--as-of DATE]\n");
        return 2;
    }
    MPI_Init(&argc, &argv);
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        MPI_Finalize();
        return 1;
    }
    int rank, nranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    size_t cap = 1 << 20, n = 0, row = 0; /* every rank reads the file, keeps every nranks-th row */
    tx_txn *t = malloc(cap * sizeof *t);
    char line[4096];
    double t0 = MPI_Wtime();
    if (!t || !fgets(line, sizeof line, f)) { /* header */
        fprintf(stderr, "clvfit_csv: %s: empty or out of memory\n", argv[1]);
        MPI_Finalize();
        return 1;
    }
    while (fgets(line, sizeof line, f)) {
        if (n == cap) {
            cap *= 2;
            tx_txn *nt = realloc(t, cap * sizeof *t);
            if (!nt) {
                fprintf(stderr, "clvfit_csv: out of memory\n");
                MPI_Finalize();
                return 1;
            }
            t = nt;
        }
        if (parse_line(line, &t[n]) == 0 && row++ % (size_t)nranks == (size_t)rank)
            n++;
    }
    fclose(f);
    if (rank == 0)
        fprintf(stderr, "clvfit_csv: %zu of %zu transactions on rank 0, read in %.2f s\n", n, row,
                MPI_Wtime() - t0);
    tx_analytics_opts opts = {.as_of = as_of, .unit_week = week, .horizon_days = 30,
                              .clv_months = 12, .discount_rate = 0.01,
                              .holdout_start = INT32_MIN};
    tx_run_info run;
    memset(&run, 0, sizeof run);
    snprintf(run.run_id, sizeof run.run_id, "clvfit-csv");
    run.created_unix = 1795641300;
    run.ranks = nranks;
    run.shards = 1;
    char path[1024];
    tx_error err;
    tx_error_clear(&err);
    int st = tx_reduce_snapshot(MPI_COMM_WORLD, t, n, &opts, &run, argv[2], path, sizeof path,
                                &err);
    if (st != TX_OK)
        fprintf(stderr, "clvfit_csv: %s\n", err.msg);
    else if (rank == 0)
        printf("%s\n", path);
    free(t);
    MPI_Finalize();
    return st == TX_OK ? 0 : 1;
}
