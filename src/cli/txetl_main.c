/* txetl_main.c - the `txetl` command: subcommands, options from one table, exit codes. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>

#include "txetl/error.h"
#include "txetl/load.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"
#include "txetl/record.h"
#include "txetl/report.h"
#include "txetl/status.h"

enum { CMD_LOAD = 1, CMD_SNAPSHOT = 2, CMD_REPORT = 4, CMD_STATUS = 8 };
#define CMD_ANALYTICS (CMD_LOAD | CMD_SNAPSHOT)

enum {
    OPT_SHARDS = 1000, OPT_SNAPSHOT_DIR, OPT_REJECTS, OPT_MAX_REJECT_RATE, OPT_NO_SNAPSHOT,
    OPT_DRY_RUN, OPT_AUDIT_INSERTS, OPT_AS_OF, OPT_CLV_UNIT, OPT_HORIZON_DAYS, OPT_CLV_MONTHS,
    OPT_DISCOUNT_RATE, OPT_OUT, OPT_QUIET, OPT_SUMMARY_JSON, OPT_VERBOSE, OPT_HELP, OPT_VERSION,
    OPT_HOLDOUT_START, OPT_MAX_REJECTS,
};

/* The one option table: drives getopt_long and --help. */
static const struct optdef {
    const char *name;
    int has_arg;
    int id;
    int cmds;
    const char *arg, *help;
} optdefs[] = {
    {"shards", 1, OPT_SHARDS, CMD_LOAD | CMD_SNAPSHOT | CMD_STATUS, "FILE",
     "shard option file: groups [shard0]..[shardN-1] (required)"},
    {"snapshot-dir", 1, OPT_SNAPSHOT_DIR, CMD_ANALYTICS, "DIR",
     "where snapshots go (default: snapshots)"},
    {"rejects", 1, OPT_REJECTS, CMD_LOAD, "FILE", "rejected records (default: rejects.csv)"},
    {"max-reject-rate", 1, OPT_MAX_REJECT_RATE, CMD_LOAD, "X",
     "fail before writing when more than X of the records are rejected (default 0.01)"},
    {"max-rejects", 1, OPT_MAX_REJECTS, CMD_LOAD, "N",
     "fail before writing when more than N records are rejected (default: no limit)"},
    {"no-snapshot", 0, OPT_NO_SNAPSHOT, CMD_LOAD, NULL, "skip the reduce step and snapshot"},
    {"dry-run", 0, OPT_DRY_RUN, CMD_LOAD, NULL,
     "parse, validate and route; write nothing to the shards"},
    {"audit-inserts", 0, OPT_AUDIT_INSERTS, CMD_LOAD, NULL, "audit inserts too"},
    {"as-of", 1, OPT_AS_OF, CMD_ANALYTICS, "DATE",
     "analytics as-of date (default: latest stored transaction date)"},
    {"clv-unit", 1, OPT_CLV_UNIT, CMD_ANALYTICS, "day|week", "model time unit (default day)"},
    {"horizon-days", 1, OPT_HORIZON_DAYS, CMD_ANALYTICS, "N",
     "expected purchases horizon (default 30)"},
    {"clv-months", 1, OPT_CLV_MONTHS, CMD_ANALYTICS, "N", "CLV months (default 12)"},
    {"discount-rate", 1, OPT_DISCOUNT_RATE, CMD_ANALYTICS, "X",
     "monthly CLV discount rate (default 0.01)"},
    {"holdout-start", 1, OPT_HOLDOUT_START, CMD_ANALYTICS, "DATE",
     "fit on data before DATE and compare predicted with actual purchases from DATE on"},
    {"out", 1, OPT_OUT, CMD_REPORT, "FILE", "the HTML report to write (required)"},
    {"summary-json", 1, OPT_SUMMARY_JSON, CMD_LOAD, "FILE",
     "also write the run summary as JSON (counts, phase timings, rows per shard)"},
    {"quiet", 0, OPT_QUIET, CMD_ANALYTICS, NULL, "no progress lines"},
    {"verbose", 0, OPT_VERBOSE, CMD_ANALYTICS | CMD_STATUS, NULL, "debug messages"},
    {"help", 0, OPT_HELP, 0xff, NULL, "this help"},
    {"version", 0, OPT_VERSION, 0xff, NULL, "print the version"},
};
#define NOPTS (sizeof optdefs / sizeof *optdefs)

static const struct cmddef {
    const char *name;
    int id;
    const char *usage;
} cmds[] = {
    {"load", CMD_LOAD, "mpirun -n R txetl load --shards FILE [options] FILE..."},
    {"snapshot", CMD_SNAPSHOT, "mpirun -n R txetl snapshot --shards FILE --snapshot-dir DIR "
                               "[options]"},
    {"report", CMD_REPORT, "txetl report SNAPSHOT.h5 --out REPORT.html"},
    {"status", CMD_STATUS, "txetl status --shards FILE"},
};

static void usage(FILE *f, int cmd)
{
    if (!cmd) {
        fprintf(f, "txetl %s - MPI batch loader of transaction extracts into sharded MySQL, "
                   "with RFM/CLV snapshots\n\nusage:\n", TXETL_VERSION);
        for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
            fprintf(f, "  %s\n", cmds[i].usage);
        fprintf(f, "\n`txetl COMMAND --help` lists a command's options. Exit status: 0 success, "
                   "1 the run failed, 2 bad usage or configuration.\n");
        return;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (cmds[i].id == cmd)
            fprintf(f, "usage: %s\n\noptions:\n", cmds[i].usage);
    for (size_t i = 0; i < NOPTS; i++) {
        if (!(optdefs[i].cmds & cmd))
            continue;
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", optdefs[i].name, optdefs[i].arg ? " " : "",
                 optdefs[i].arg ? optdefs[i].arg : "");
        fprintf(f, "  %-28s %s\n", left, optdefs[i].help);
    }
    if (cmd == CMD_LOAD)
        fprintf(f, "\nExample: mpirun -n 4 txetl load --shards shards.cnf --snapshot-dir snaps "
                   "extract-*.csv\n");
}

static int parse_date(const char *s, int32_t *out)
{
    int y, m, d;
    char extra;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    int32_t days = tx_days_from_civil(y, m, d);
    int yy, mm, dd;
    tx_civil_from_days(days, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d)
        return -1;
    *out = days;
    return 0;
}

static int parse_num(const char *name, const char *s, double lo, double hi, double *out,
                     tx_error *err)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi))
        return tx_error_set(err, TX_EUSAGE, "--%s: '%s' is not a number in [%g, %g]", name, s,
                            lo, hi);
    *out = v;
    return TX_OK;
}

typedef struct cli {
    int cmd;
    tx_load_opts load;
    const char *report_in, *report_out;
    int help, version, verbose;
} cli;

static int parse_args(int argc, char **argv, cli *c, tx_error *err)
{
    struct option longopts[NOPTS + 1];
    for (size_t i = 0; i < NOPTS; i++)
        longopts[i] = (struct option){optdefs[i].name, optdefs[i].has_arg, NULL, optdefs[i].id};
    memset(&longopts[NOPTS], 0, sizeof longopts[NOPTS]);
    tx_load_opts *o = &c->load;
    o->rejects_path = "rejects.csv";
    o->max_reject_rate = 0.01;
    o->max_rejects = -1;
    o->analytics.as_of = INT32_MIN;
    o->analytics.holdout_start = INT32_MIN;
    o->analytics.horizon_days = 30;
    o->analytics.clv_months = 12;
    o->analytics.discount_rate = 0.01;
    optind = 2;
    opterr = 0;
    int ch;
    double v;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (ch == 'h')
            ch = OPT_HELP;
        const struct optdef *d = NULL;
        for (size_t i = 0; i < NOPTS; i++)
            if (optdefs[i].id == ch)
                d = &optdefs[i];
        if (!d)
            return tx_error_set(err, TX_EUSAGE, "%s: unknown option or missing value: %s",
                                argv[1], argv[optind - 1]);
        if (!(d->cmds & c->cmd))
            return tx_error_set(err, TX_EUSAGE, "--%s does not apply to `txetl %s`", d->name,
                                argv[1]);
        switch (ch) {
        case OPT_SHARDS: o->shards_path = optarg; break;
        case OPT_SNAPSHOT_DIR: o->snapshot_dir = optarg; break;
        case OPT_REJECTS: o->rejects_path = optarg; break;
        case OPT_MAX_REJECT_RATE:
            if (parse_num(d->name, optarg, 0, 1, &o->max_reject_rate, err))
                return TX_EUSAGE;
            break;
        case OPT_MAX_REJECTS: {
            char *end;
            long long v = strtoll(optarg, &end, 10);
            if (end == optarg || *end || v < 0)
                return tx_error_set(err, TX_EUSAGE, "--max-rejects: '%s' is not a whole number "
                                    ">= 0", optarg);
            o->max_rejects = v;
            break;
        }
        case OPT_NO_SNAPSHOT: o->no_snapshot = 1; break;
        case OPT_DRY_RUN: o->dry_run = 1; break;
        case OPT_AUDIT_INSERTS: o->audit_inserts = 1; break;
        case OPT_AS_OF:
            if (parse_date(optarg, &o->analytics.as_of) != 0)
                return tx_error_set(err, TX_EUSAGE, "--as-of: '%s' is not a date YYYY-MM-DD",
                                    optarg);
            break;
        case OPT_HOLDOUT_START:
            if (parse_date(optarg, &o->analytics.holdout_start) != 0)
                return tx_error_set(err, TX_EUSAGE,
                                    "--holdout-start: '%s' is not a date YYYY-MM-DD", optarg);
            break;
        case OPT_CLV_UNIT:
            if (strcmp(optarg, "day") && strcmp(optarg, "week"))
                return tx_error_set(err, TX_EUSAGE, "--clv-unit: '%s' is not day or week", optarg);
            o->analytics.unit_week = !strcmp(optarg, "week");
            break;
        case OPT_HORIZON_DAYS:
            if (parse_num(d->name, optarg, 1, 36500, &v, err))
                return TX_EUSAGE;
            o->analytics.horizon_days = (int)v;
            break;
        case OPT_CLV_MONTHS:
            if (parse_num(d->name, optarg, 1, 1200, &v, err))
                return TX_EUSAGE;
            o->analytics.clv_months = (int)v;
            break;
        case OPT_DISCOUNT_RATE:
            if (parse_num(d->name, optarg, 0, 10, &o->analytics.discount_rate, err))
                return TX_EUSAGE;
            break;
        case OPT_OUT: c->report_out = optarg; break;
        case OPT_SUMMARY_JSON: o->summary_json = optarg; break;
        case OPT_QUIET: o->quiet = 1; break;
        case OPT_VERBOSE: c->verbose = 1; break;
        case OPT_HELP: c->help = 1; break;
        case OPT_VERSION: c->version = 1; break;
        }
    }
    if (c->help || c->version)
        return TX_OK;
    int npos = argc - optind;
    switch (c->cmd) {
    case CMD_LOAD:
        if (npos < 1)
            return tx_error_set(err, TX_EUSAGE, "load: no input FILE given");
        o->files = argv + optind;
        o->nfiles = npos;
        break;
    case CMD_REPORT:
        if (npos != 1)
            return tx_error_set(err, TX_EUSAGE, "report: give exactly one SNAPSHOT.h5");
        if (!c->report_out)
            return tx_error_set(err, TX_EUSAGE, "report: --out REPORT.html is required");
        c->report_in = argv[optind];
        return TX_OK;
    default:
        if (npos)
            return tx_error_set(err, TX_EUSAGE, "%s: unexpected argument '%s'", argv[1],
                                argv[optind]);
    }
    if (!o->shards_path)
        return tx_error_set(err, TX_EUSAGE, "%s: --shards FILE is required", argv[1]);
    if (c->cmd == CMD_SNAPSHOT && !o->snapshot_dir)
        return tx_error_set(err, TX_EUSAGE, "snapshot: --snapshot-dir DIR is required");
    return TX_OK;
}

static void print_summary(const cli *c, const tx_run_info *run, double secs)
{
    const tx_run_counts *k = &run->counts;
    double rate = secs > 0 ? (double)k->read / secs : 0;
    printf("run %s: %s%d ranks, %d shards, %.2f s, %.0f rows/s\n", run->run_id,
           c->load.dry_run ? "DRY RUN, " : "", run->ranks, run->shards, secs, rate);
    printf("  read %" PRIu64 "  rejected %" PRIu64 "  inserted %" PRIu64 "  updated %" PRIu64
           "  moved %" PRIu64 "  deleted %" PRIu64 "  stale %" PRIu64 "  superseded %" PRIu64 "\n",
           k->read, k->rejected, k->inserted, k->updated, k->moved, k->deleted, k->stale,
           k->superseded);
}

int main(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    tx_error err = {0};
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout, 0);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("txetl %s (%s)\n", TXETL_VERSION, TXETL_GIT_SHA);
        return 0;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        if (!strcmp(argv[1], cmds[i].name))
            c.cmd = cmds[i].id;
    if (!c.cmd) {
        fprintf(stderr, "txetl: unknown command '%s' (see txetl --help)\n", argv[1]);
        return 2;
    }
    int rc = parse_args(argc, argv, &c, &err);
    if (c.help) {
        usage(stdout, c.cmd);
        return 0;
    }
    if (c.version) {
        printf("txetl %s (%s)\n", TXETL_VERSION, TXETL_GIT_SHA);
        return 0;
    }
    if (rc != TX_OK) {
        fprintf(stderr, "txetl: %s\n", err.msg);
        return 2;
    }
    if (c.cmd == CMD_REPORT || c.cmd == CMD_STATUS) { /* no MPI needed */
        tx_log_init(0, c.verbose ? TX_LOG_DEBUG : TX_LOG_INFO);
        rc = c.cmd == CMD_REPORT ? tx_report_write(c.report_in, c.report_out, &err)
                                 : tx_status_print(c.load.shards_path, stdout, &err);
        if (rc != TX_OK)
            fprintf(stderr, "txetl: %s\n", err.msg);
        else if (c.cmd == CMD_REPORT)
            printf("report written: %s\n", c.report_out);
        return tx_status_exit_code(rc);
    }

    /* Loader threads talk to shards only; MPI stays on the main thread. */
    int provided;
    int tuned = tx_mpi_env_defaults();
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    tx_log_init(rank, c.verbose ? TX_LOG_DEBUG : (c.load.quiet ? TX_LOG_WARN : TX_LOG_INFO));
    if (tuned)
        TX_LOG(TX_LOG_DEBUG, "all ranks on one node: OMPI_MCA_pml=ob1 (TXETL_MPI_DEFAULTS=0 keeps "
                             "Open MPI's own choice)");
    /* A launcher mismatch under Slurm starts N one-rank jobs: refuse rather than load N times. */
    const char *ntasks = getenv("SLURM_NTASKS");
    if (ntasks && atoi(ntasks) > 0 && atoi(ntasks) != size)
        rc = tx_error_set(&err, TX_EUSAGE, "SLURM_NTASKS is %s but this MPI job has %d ranks: "
                          "start txetl with srun --mpi=pmix or mpirun inside the allocation",
                          ntasks, size);
    int worst;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    rc = worst;
    tx_run_info run;
    memset(&run, 0, sizeof run);
    double t0 = MPI_Wtime();
    if (rc == TX_OK)
        rc = c.cmd == CMD_LOAD ? tx_load_run(MPI_COMM_WORLD, &c.load, &run, &err)
                               : tx_snapshot_run(MPI_COMM_WORLD, &c.load, &run, &err);
    double secs = MPI_Wtime() - t0;
    if (rank == 0) {
        if (rc != TX_OK)
            fprintf(stderr, "txetl: %s: %s\n", argv[1], err.msg[0] ? err.msg : "failed");
        else if (c.cmd == CMD_LOAD)
            print_summary(&c, &run, secs);
    }
    MPI_Finalize();
    return tx_status_exit_code(rc);
}
