/* cli.h - the `txetl` command line (docs/commands.md): subcommands and options from one table, which
 * drives the parser (getopt_long), --help and the printed settings. No MPI: the tool's main
 * parses on every rank before MPI_Init, the fuzz target and tests call the same code. */
#ifndef TXETL_CLI_H
#define TXETL_CLI_H

#include <stdio.h>

#include "txetl/error.h"
#include "txetl/load.h"

/* The subcommands, as bits (an option lists the commands it applies to). */
enum {
    TX_CLI_LOAD = 1,
    TX_CLI_SNAPSHOT = 2,
    TX_CLI_REPORT = 4,
    TX_CLI_STATUS = 8,
    TX_CLI_EXPORT = 16,
    TX_CLI_PUBLISH = 32,
    TX_CLI_ROUTER = 64,
    TX_CLI_RESHARD = 128,
};

/* A parsed command line. Strings point into the argv given to tx_cli_parse (not copied), so
 * they live as long as it. */
typedef struct tx_cli {
    int cmd;                   /* TX_CLI_*, from tx_cli_command */
    tx_load_opts load;         /* load and snapshot; shards_path also for status */
    const char *report_in;     /* report, export, publish: the SNAPSHOT.h5 argument */
    const char *report_out;    /* report: --out FILE; export: --out DIR */
    int help, version, verbose; /* --help (or -h), --version, --verbose */
    int print_ddl;             /* publish --print-ddl: the analytics tables' DDL, nothing else */
    int reshard_plan;          /* reshard --plan: print what would move, write nothing */
} tx_cli;

/* Local. The TX_CLI_* id of the subcommand called `name`, or 0 when there is none. */
int tx_cli_command(const char *name);

/* Local. Parses the options and arguments of `txetl argv[1] ...` (argv[1] names the command,
 * given in c->cmd; the caller zeroes the rest of *c) into *c, defaults first (docs/commands.md). After
 * --help or --version it stops checking what is required and returns TX_OK with c->help or
 * c->version set. Returns TX_OK, or TX_EUSAGE with a message in err naming the option or the
 * missing argument. Resets getopt's state itself, so it may be called more than once per
 * process; permutes argv[2..] as getopt_long does. */
int tx_cli_parse(int argc, char **argv, tx_cli *c, tx_error *err);

/* Local. Writes the usage text to f: the command list when cmd is 0, else the command's usage
 * line and every option applying to it, from the table. */
void tx_cli_usage(FILE *f, int cmd);

/* Local. Writes the settings of a parsed command line to f, one "  --name value" line per
 * option of c->cmd that takes a value or is set (defaults included), in table order. */
void tx_cli_print_settings(FILE *f, const tx_cli *c);

/* Local. Writes "txetl VERSION (GIT_SHA)\n" to f. */
void tx_cli_print_version(FILE *f);

#endif
