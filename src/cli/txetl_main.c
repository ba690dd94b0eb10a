/* txetl_main.c - the `txetl` command: parse (src/cli/cli.c), MPI start-up, dispatch to the
 * library, exit codes (docs/commands.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>

#include "txetl/cli.h"
#include "txetl/error.h"
#include "txetl/export.h"
#include "txetl/interrupt.h"
#include "txetl/publish.h"
#include "txetl/router.h"
#include "txetl/load.h"
#include "txetl/log.h"
#include "txetl/mpiutil.h"
#include "txetl/report.h"
#include "txetl/reshard.h"
#include "txetl/status.h"

/* --verbose: the settings of this run, from the option table (rank 0 only). */
static void print_settings(const char *name, const tx_cli *c)
{
    if (tx_log_level_max() < TX_LOG_DEBUG)
        return;
    TX_LOG(TX_LOG_DEBUG, "settings of `txetl %s`:", name);
    tx_cli_print_settings(stderr, c);
}

int main(int argc, char **argv)
{
    tx_cli c;
    memset(&c, 0, sizeof c);
    tx_error err = {0};
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        tx_cli_usage(argc < 2 ? stderr : stdout, 0);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        tx_cli_print_version(stdout);
        return 0;
    }
    c.cmd = tx_cli_command(argv[1]);
    if (!c.cmd) {
        fprintf(stderr, "txetl: unknown command '%s' (see txetl --help)\n", argv[1]);
        return 2;
    }
    int rc = tx_cli_parse(argc, argv, &c, &err);
    if (c.help) {
        tx_cli_usage(stdout, c.cmd);
        return 0;
    }
    if (c.version) {
        tx_cli_print_version(stdout);
        return 0;
    }
    if (rc != TX_OK) {
        fprintf(stderr, "txetl: %s\n", err.msg);
        return 2;
    }
    if (c.cmd == TX_CLI_PUBLISH || c.cmd == TX_CLI_ROUTER) { /* no MPI needed */
        tx_log_init(0, c.verbose ? TX_LOG_DEBUG : TX_LOG_INFO);
        print_settings(argv[1], &c);
        if (c.print_ddl)
            rc = tx_publish_ddl(stdout, &err);
        else if (c.cmd == TX_CLI_PUBLISH) {
            tx_publish_result r;
            rc = tx_publish(c.report_in, c.load.shards_path, &r, &err);
            if (rc == TX_OK)
                printf("published %s to database %s ([%s]): %" PRIu64 " customers, %" PRIu64
                       " daily, %" PRIu64 " monthly, %" PRIu64 " cohort, %" PRIu64 " model rows "
                       "in %.2f s (read %.2f s, load %.2f s, swap %.2f s)\n", r.run_id,
                       r.database, r.group, r.customers, r.daily, r.monthly, r.cohorts, r.params,
                       r.total_s, r.read_s, r.load_s, r.swap_s);
            if (rc == TX_OK && r.note[0])
                printf("note: %s\n", r.note);
        } else {
            tx_store_router_result r;
            rc = tx_router_build(c.load.shards_path, &r, &err);
            if (rc == TX_OK)
                printf("router: TransactionsOptimized and revenue_daily over %d shard(s) "
                       "(servers %s0..%d%s)\n", r.nshards, r.server_prefix, r.nshards - 1,
                       r.dropped_servers ? ", stale servers dropped" : "");
        }
        if (rc != TX_OK)
            fprintf(stderr, "txetl: %s: %s\n", argv[1], err.msg);
        return tx_status_exit_code(rc);
    }
    if (c.cmd == TX_CLI_REPORT || c.cmd == TX_CLI_STATUS || c.cmd == TX_CLI_EXPORT) {
        tx_log_init(0, c.verbose ? TX_LOG_DEBUG : TX_LOG_INFO); /* no MPI needed */
        print_settings(argv[1], &c);
        tx_export_result res;
        if (c.cmd == TX_CLI_REPORT)
            rc = tx_report_write(c.report_in, c.report_out, &err);
        else if (c.cmd == TX_CLI_EXPORT)
            rc = tx_export_write(c.report_in, c.report_out, &res, &err);
        else
            rc = tx_status_print(c.load.shards_path, stdout, &err);
        if (rc != TX_OK)
            fprintf(stderr, "txetl: %s%s%s\n", c.cmd == TX_CLI_EXPORT ? argv[1] : "",
                    c.cmd == TX_CLI_EXPORT ? ": " : "", err.msg);
        else if (c.cmd == TX_CLI_REPORT)
            printf("report written: %s\n", c.report_out);
        for (size_t i = 0; rc == TX_OK && c.cmd == TX_CLI_EXPORT && i < res.nfiles; i++)
            printf("exported %s (%" PRIu64 " rows)\n", res.files[i].path, res.files[i].rows);
        if (rc == TX_OK && c.cmd == TX_CLI_EXPORT && res.note[0])
            printf("note: %s\n", res.note);
        return tx_status_exit_code(rc);
    }

    /* Loader threads talk to shards only; MPI stays on the main thread. */
    int provided;
    int tuned = tx_mpi_env_defaults();
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    tx_interrupt_install(); /* SIGINT/SIGTERM: the load stops at its next boundary */
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    tx_log_init(rank, c.verbose ? TX_LOG_DEBUG : (c.load.quiet ? TX_LOG_WARN : TX_LOG_INFO));
    if (tuned)
        TX_LOG(TX_LOG_DEBUG, "all ranks on one node: OMPI_MCA_pml=ob1 (TXETL_MPI_DEFAULTS=0 keeps "
                             "Open MPI's own choice)");
    if (rank == 0)
        print_settings(argv[1], &c);
    /* A launcher mismatch under Slurm starts N one-rank jobs: refuse rather than load N times. */
    /* Rank 0's environment only: under mpirun in a multi-node allocation the ranks on other
     * nodes run below an orted that mpirun started with a one-task srun step of its own. */
    const char *ntasks = getenv("SLURM_NTASKS");
    if (rank == 0 && ntasks && atoi(ntasks) > 0 && atoi(ntasks) != size)
        rc = tx_error_set(&err, TX_EUSAGE, "SLURM_NTASKS is %s but this MPI job has %d ranks: "
                          "start txetl with srun --mpi=pmix or mpirun inside the allocation",
                          ntasks, size);
    rc = tx_agree(MPI_COMM_WORLD, rc, &err); /* every rank gets the failing rank's message */
    tx_run_info run;
    memset(&run, 0, sizeof run);
    tx_reshard_result rs;
    memset(&rs, 0, sizeof rs);
    if (rc == TX_OK && c.cmd == TX_CLI_RESHARD) {
        const tx_reshard_opts ro = {c.load.shards_path, c.reshard_plan, c.load.quiet};
        rc = tx_reshard_run(MPI_COMM_WORLD, &ro, &rs, &err);
    } else if (rc == TX_OK)
        rc = c.cmd == TX_CLI_LOAD ? tx_load_run(MPI_COMM_WORLD, &c.load, &run, &err)
                               : tx_snapshot_run(MPI_COMM_WORLD, &c.load, &run, &err);
    if (rank == 0) {
        if (rc == TX_OK && c.cmd == TX_CLI_RESHARD && !c.reshard_plan && !rs.nothing_to_do)
            printf("reshard: %d -> %d shards: %" PRIu64 " rows, %" PRIu64 " revenue_daily rows, "
                   "%" PRIu64 " directory blocks moved in %.2f s (%.0f rows/s)\n", rs.from,
                   rs.to, rs.rows_moved, rs.revenue_moved, rs.blocks_moved, rs.elapsed_s,
                   rs.elapsed_s > 0 ? (double)rs.rows_moved / rs.elapsed_s : 0.0);
        if (rc != TX_OK)
            fprintf(stderr, "txetl: %s: %s\n", argv[1], err.msg[0] ? err.msg : "failed");
        else if (c.cmd == TX_CLI_LOAD)
            tx_load_print_summary(stdout, &run, c.load.plan ? TX_SUMMARY_PLAN : c.load.dry_run);
    }
    MPI_Finalize();
    return tx_status_exit_code(rc);
}
