/* cli.c - the `txetl` command line from one option table (see cli.h). Each row says what an
 * option applies to, how its value is read and where it is stored; the parser, --help and the
 * printed settings all walk the same rows. */
#include "txetl/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "txetl/record.h"
#include "txetl/version.h"

#define CMD_ANALYTICS (TX_CLI_LOAD | TX_CLI_SNAPSHOT)
#define CMD_SERVE (TX_CLI_PUBLISH | TX_CLI_ROUTER)
#define CMD_ALL                                                                                    \
    (TX_CLI_LOAD | TX_CLI_SNAPSHOT | TX_CLI_REPORT | TX_CLI_STATUS | TX_CLI_EXPORT | CMD_SERVE |      \
     TX_CLI_RESHARD)

/* How an option's value is read, and the type of the field it is stored in. */
typedef enum kind {
    K_FLAG, /* no value; int field set to 1 */
    K_STR,  /* const char * field: the argument itself */
    K_NUM,  /* double field: a number in [lo, hi] */
    K_INT,  /* int field: a number in [lo, hi], truncated */
    K_DATE, /* int32_t field: YYYY-MM-DD as days since the epoch */
    K_UNIT, /* int field: "day" = 0, "week" = 1 */
    K_COUNT, /* long long field: a whole number >= lo; a negative field shows as `unset` */
} kind;

/* The one option table. `off` is the field's offset in tx_cli; `unset` is how the settings
 * show a string or date option that was not given. */
static const struct optdef {
    const char *name;
    int cmds;
    kind k;
    size_t off;
    double lo, hi;
    const char *arg, *unset, *help;
} optdefs[] = {
    {"shards", TX_CLI_LOAD | TX_CLI_SNAPSHOT | TX_CLI_STATUS | CMD_SERVE | TX_CLI_RESHARD, K_STR,
     offsetof(tx_cli, load.shards_path), 0, 0, "FILE", "(none)",
     "shard option file: groups [shard0]..[shardN-1] (required)"},
    {"snapshot-dir", CMD_ANALYTICS, K_STR, offsetof(tx_cli, load.snapshot_dir), 0, 0, "DIR",
     "snapshots", "where snapshots go (default: snapshots)"},
    {"rejects", TX_CLI_LOAD, K_STR, offsetof(tx_cli, load.rejects_path), 0, 0, "FILE", "(none)",
     "rejected records (default: rejects.csv)"},
    {"max-reject-rate", TX_CLI_LOAD, K_NUM, offsetof(tx_cli, load.max_reject_rate), 0, 1, "X",
     NULL, "fail before writing when more than X of the records are rejected (default 0.01)"},
    {"max-rejects", TX_CLI_LOAD, K_COUNT, offsetof(tx_cli, load.max_rejects), 0, 0, "N",
     "(no limit)", "fail before writing when more than N records are rejected (default: no "
     "limit)"},
    {"no-snapshot", TX_CLI_LOAD, K_FLAG, offsetof(tx_cli, load.no_snapshot), 0, 0, NULL, NULL,
     "skip the reduce step and snapshot"},
    {"no-publish", CMD_ANALYTICS, K_FLAG, offsetof(tx_cli, load.no_publish), 0, 0, NULL, NULL,
     "do not publish the snapshot to the analytics database (docs/serving.md)"},
    {"print-ddl", TX_CLI_PUBLISH, K_FLAG, offsetof(tx_cli, print_ddl), 0, 0, NULL, NULL,
     "print the analytics tables' DDL (build/sql/analytics.sql) and exit"},
    {"dry-run", TX_CLI_LOAD, K_FLAG, offsetof(tx_cli, load.dry_run), 0, 0, NULL, NULL,
     "parse, validate and route; write nothing to the shards"},
    {"plan", TX_CLI_LOAD, K_FLAG, offsetof(tx_cli, load.plan), 0, 0, NULL, NULL,
     "read the shards only and print what this load would do (the counts per shard, examples "
     "of moves and deletes); write nothing (docs/load.md)"},
    {"audit-inserts", TX_CLI_LOAD, K_FLAG, offsetof(tx_cli, load.audit_inserts), 0, 0, NULL,
     NULL, "audit inserts too"},
    {"as-of", CMD_ANALYTICS, K_DATE, offsetof(tx_cli, load.analytics.as_of), 0, 0, "DATE",
     "(latest stored transaction date)",
     "analytics as-of date (default: latest stored transaction date)"},
    {"clv-unit", CMD_ANALYTICS, K_UNIT, offsetof(tx_cli, load.analytics.unit_week), 0, 0,
     "day|week", NULL, "model time unit (default day)"},
    {"horizon-days", CMD_ANALYTICS, K_INT, offsetof(tx_cli, load.analytics.horizon_days), 1,
     36500, "N", NULL, "expected purchases horizon (default 30)"},
    {"clv-months", CMD_ANALYTICS, K_INT, offsetof(tx_cli, load.analytics.clv_months), 1, 1200,
     "N", NULL, "CLV months (default 12)"},
    {"discount-rate", CMD_ANALYTICS, K_NUM, offsetof(tx_cli, load.analytics.discount_rate), 0,
     10, "X", NULL, "monthly CLV discount rate (default 0.01)"},
    {"holdout-start", CMD_ANALYTICS, K_DATE, offsetof(tx_cli, load.analytics.holdout_start), 0,
     0, "DATE", "(off)",
     "fit on data before DATE and compare predicted with actual purchases from DATE on"},
    {"reporting-currency", CMD_ANALYTICS, K_STR,
     offsetof(tx_cli, load.analytics.reporting_currency), 0, 0, "CUR", "USD",
     "currency of every combined money figure (revenue totals, M score, CLV; default USD)"},
    {"fx-rates", CMD_ANALYTICS, K_STR, offsetof(tx_cli, load.analytics.fx_rates), 0, 0, "FILE",
     "(none)", "CSV date,currency,rate: units of the reporting currency per unit of currency "
     "(the latest rate on or before a transaction's date applies)"},
    {"out", TX_CLI_REPORT, K_STR, offsetof(tx_cli, report_out), 0, 0, "FILE", "(none)",
     "the HTML report to write (required)"},
    {"out", TX_CLI_EXPORT, K_STR, offsetof(tx_cli, report_out), 0, 0, "DIR", "(none)",
     "directory for customers.csv, revenue_*.csv and cohorts.csv, created when missing "
     "(required; see docs/export.md)"},
    {"summary-json", TX_CLI_LOAD, K_STR, offsetof(tx_cli, load.summary_json), 0, 0, "FILE",
     "(none)", "also write the run summary as JSON (counts, phase timings, rows per shard)"},
    {"plan", TX_CLI_RESHARD, K_FLAG, offsetof(tx_cli, reshard_plan), 0, 0, NULL, NULL,
     "print the new boundaries and the rows each shard would send and receive; write nothing"},
    {"quiet", CMD_ANALYTICS | TX_CLI_RESHARD, K_FLAG, offsetof(tx_cli, load.quiet), 0, 0, NULL, NULL,
     "no progress lines"},
    {"verbose", CMD_ANALYTICS | TX_CLI_STATUS | CMD_SERVE | TX_CLI_RESHARD, K_FLAG, offsetof(tx_cli, verbose), 0, 0, NULL,
     NULL, "debug messages"},
    {"help", CMD_ALL, K_FLAG, offsetof(tx_cli, help), 0, 0, NULL, NULL, "this help"},
    {"version", CMD_ALL, K_FLAG, offsetof(tx_cli, version), 0, 0, NULL, NULL,
     "print the version"},
};
#define NOPTS (sizeof optdefs / sizeof *optdefs)
/* getopt_long's value for row i of the table ('h' is -h, the short --help). */
#define OPT_ID(i) (1000 + (int)(i))

static const struct cmddef {
    const char *name;
    int id;
    const char *usage;
} cmds[] = {
    {"load", TX_CLI_LOAD, "mpirun -n R txetl load --shards FILE [options] FILE..."},
    {"snapshot", TX_CLI_SNAPSHOT, "mpirun -n R txetl snapshot --shards FILE --snapshot-dir DIR "
                                  "[options]"},
    {"report", TX_CLI_REPORT, "txetl report SNAPSHOT.h5 --out REPORT.html"},
    {"status", TX_CLI_STATUS, "txetl status --shards FILE"},
    {"export", TX_CLI_EXPORT, "txetl export SNAPSHOT.h5 --out DIR"},
    {"publish", TX_CLI_PUBLISH, "txetl publish SNAPSHOT.h5 --shards FILE   # docs/serving.md"},
    {"router", TX_CLI_ROUTER, "txetl router --shards FILE                # docs/serving.md"},
    {"reshard", TX_CLI_RESHARD, "mpirun -n R txetl reshard --shards NEW_FILE [--plan]  # "
                                "docs/reshard.md"},
};
#define NCMDS (sizeof cmds / sizeof *cmds)

int tx_cli_command(const char *name)
{
    for (size_t i = 0; i < NCMDS; i++)
        if (!strcmp(name, cmds[i].name))
            return cmds[i].id;
    return 0;
}

void tx_cli_print_version(FILE *f)
{
    fprintf(f, "txetl %s (%s)\n", TXETL_VERSION, TXETL_GIT_SHA);
}

void tx_cli_usage(FILE *f, int cmd)
{
    if (!cmd) {
        fprintf(f, "txetl %s - MPI batch loader of transaction extracts into sharded MySQL, "
                   "with RFM/CLV snapshots\n\nusage:\n", TXETL_VERSION);
        for (size_t i = 0; i < NCMDS; i++)
            fprintf(f, "  %s\n", cmds[i].usage);
        fprintf(f, "\n`txetl COMMAND --help` lists a command's options. Exit status: 0 success, "
                   "1 the run failed, 2 bad usage or configuration.\n");
        return;
    }
    for (size_t i = 0; i < NCMDS; i++)
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
    if (cmd == TX_CLI_LOAD)
        fprintf(f, "\nExample: mpirun -n 4 txetl load --shards shards.cnf --snapshot-dir snaps "
                   "extract-*.csv\n");
    if (cmd == TX_CLI_RESHARD)
        fprintf(f, "\nNEW_FILE holds the cluster's groups [shard0]..[shardN-1] unchanged, then the "
                   "new empty servers [shardN]..[shardM-1]. Rerun the same command after a "
                   "failure: it resumes.\nExample: mpirun -n 4 txetl reshard --shards grown.cnf "
                   "--plan\n");
}

static int parse_date(const char *s, int32_t *out)
{
    int y, m, d;
    char extra;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3)
        return -1;
    return tx_civil_days(y, m, d, out);
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

static const struct optdef *find_option(const char *name)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (!strcmp(optdefs[i].name, name))
            return &optdefs[i];
    return NULL;
}

/* Stores the value `arg` of option d into c, as its kind says. */
static int set_option(tx_cli *c, const struct optdef *d, const char *arg, tx_error *err)
{
    char *field = (char *)c + d->off;
    double v = 0;
    switch (d->k) {
    case K_FLAG:
        *(int *)field = 1;
        return TX_OK;
    case K_STR:
        *(const char **)field = arg;
        return TX_OK;
    case K_NUM:
        return parse_num(d->name, arg, d->lo, d->hi, (double *)field, err);
    case K_INT:
        if (parse_num(d->name, arg, d->lo, d->hi, &v, err) != TX_OK)
            return TX_EUSAGE;
        *(int *)field = (int)v;
        return TX_OK;
    case K_DATE:
        if (parse_date(arg, (int32_t *)field) != 0)
            return tx_error_set(err, TX_EUSAGE, "--%s: '%s' is not a date YYYY-MM-DD", d->name,
                                arg);
        return TX_OK;
    case K_COUNT: {
        char *end;
        errno = 0;
        long long n = strtoll(arg, &end, 10);
        if (end == arg || *end || errno || n < (long long)d->lo)
            return tx_error_set(err, TX_EUSAGE, "--%s: '%s' is not a whole number >= %g",
                                d->name, arg, d->lo);
        *(long long *)field = n;
        return TX_OK;
    }
    case K_UNIT:
        if (strcmp(arg, "day") && strcmp(arg, "week"))
            return tx_error_set(err, TX_EUSAGE, "--%s: '%s' is not day or week", d->name, arg);
        *(int *)field = !strcmp(arg, "week");
        return TX_OK;
    }
    return tx_error_set(err, TX_ERR, "--%s: option table broken", d->name);
}

int tx_cli_parse(int argc, char **argv, tx_cli *c, tx_error *err)
{
    struct option longopts[NOPTS + 1];
    for (size_t i = 0; i < NOPTS; i++)
        longopts[i] = (struct option){optdefs[i].name, optdefs[i].k == K_FLAG ? no_argument
                                                                               : required_argument,
                                      NULL, OPT_ID(i)};
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
    if (argc < 2)
        return tx_error_set(err, TX_EUSAGE, "no command given");
    /* getopt sees argv[1..] with the command as its program name; optind = 0 makes glibc
     * start afresh (a second parse in one process sees no state of the first). */
    int sargc = argc - 1;
    char **sargv = argv + 1;
    optind = 0;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(sargc, sargv, "h", longopts, NULL)) != -1) {
        const struct optdef *d = NULL;
        if (ch == 'h') /* -h: the row of --help */
            d = find_option("help");
        else if (ch >= OPT_ID(0) && ch < OPT_ID(NOPTS))
            d = &optdefs[ch - OPT_ID(0)];
        /* A name may have a row per command (--out FILE of report, --out DIR of export):
         * getopt_long matched the first; take the row of this command. */
        for (size_t i = d ? (size_t)(d - optdefs) + 1 : NOPTS; i < NOPTS && !(d->cmds & c->cmd);
             i++)
            if (!strcmp(optdefs[i].name, d->name) && (optdefs[i].cmds & c->cmd))
                d = &optdefs[i];
        if (!d)
            return tx_error_set(err, TX_EUSAGE, "%s: unknown option or missing value: %s",
                                argv[1], sargv[optind - 1]);
        if (!(d->cmds & c->cmd))
            return tx_error_set(err, TX_EUSAGE, "--%s does not apply to `txetl %s`", d->name,
                                argv[1]);
        if (set_option(c, d, optarg, err) != TX_OK)
            return TX_EUSAGE;
    }
    if (c->help || c->version)
        return TX_OK;
    int npos = sargc - optind;
    char **pos = sargv + optind;
    switch (c->cmd) {
    case TX_CLI_LOAD:
        if (npos < 1)
            return tx_error_set(err, TX_EUSAGE, "load: no input FILE given");
        o->files = pos;
        o->nfiles = npos;
        break;
    case TX_CLI_REPORT:
    case TX_CLI_EXPORT:
        if (npos != 1)
            return tx_error_set(err, TX_EUSAGE, "%s: give exactly one SNAPSHOT.h5", argv[1]);
        if (!c->report_out)
            return tx_error_set(err, TX_EUSAGE, "%s: --out %s is required", argv[1],
                                c->cmd == TX_CLI_REPORT ? "REPORT.html" : "DIR");
        c->report_in = pos[0];
        return TX_OK;
    case TX_CLI_PUBLISH:
        if (c->print_ddl)
            return TX_OK;
        if (npos != 1)
            return tx_error_set(err, TX_EUSAGE, "publish: give exactly one SNAPSHOT.h5");
        c->report_in = pos[0];
        break;
    default:
        if (npos)
            return tx_error_set(err, TX_EUSAGE, "%s: unexpected argument '%s'", argv[1], pos[0]);
    }
    if (!o->shards_path)
        return tx_error_set(err, TX_EUSAGE, "%s: --shards FILE is required", argv[1]);
    if (o->plan && o->dry_run)
        return tx_error_set(err, TX_EUSAGE, "load: give --plan or --dry-run, not both (--plan "
                            "reads the shards, --dry-run connects to none)");
    if (c->cmd == TX_CLI_SNAPSHOT && !o->snapshot_dir)
        return tx_error_set(err, TX_EUSAGE, "snapshot: --snapshot-dir DIR is required");
    return TX_OK;
}

void tx_cli_print_settings(FILE *f, const tx_cli *c)
{
    for (size_t i = 0; i < NOPTS; i++) {
        const struct optdef *d = &optdefs[i];
        if (!(d->cmds & c->cmd) || d->off == offsetof(tx_cli, help) ||
            d->off == offsetof(tx_cli, version))
            continue;
        const char *field = (const char *)c + d->off;
        int32_t day;
        int y, m, dd;
        switch (d->k) {
        case K_FLAG:
            if (*(const int *)field)
                fprintf(f, "  --%s\n", d->name);
            break;
        case K_STR: {
            const char *s = *(const char *const *)field;
            fprintf(f, "  --%-16s %s\n", d->name, s ? s : d->unset);
            break;
        }
        case K_NUM:
            fprintf(f, "  --%-16s %g\n", d->name, *(const double *)field);
            break;
        case K_INT:
            fprintf(f, "  --%-16s %d\n", d->name, *(const int *)field);
            break;
        case K_DATE:
            memcpy(&day, field, sizeof day);
            if (day == INT32_MIN) {
                fprintf(f, "  --%-16s %s\n", d->name, d->unset);
            } else {
                tx_civil_from_days(day, &y, &m, &dd);
                fprintf(f, "  --%-16s %04d-%02d-%02d\n", d->name, y, m, dd);
            }
            break;
        case K_UNIT:
            fprintf(f, "  --%-16s %s\n", d->name, *(const int *)field ? "week" : "day");
            break;
        case K_COUNT: {
            long long n;
            memcpy(&n, field, sizeof n);
            if (n < 0)
                fprintf(f, "  --%-16s %s\n", d->name, d->unset);
            else
                fprintf(f, "  --%-16s %lld\n", d->name, n);
            break;
        }
        }
    }
    if (c->cmd == TX_CLI_LOAD)
        for (int i = 0; i < c->load.nfiles; i++)
            fprintf(f, "  input %s\n", c->load.files[i]);
    if ((c->cmd == TX_CLI_REPORT || c->cmd == TX_CLI_EXPORT || c->cmd == TX_CLI_PUBLISH) &&
        c->report_in)
        fprintf(f, "  input %s\n", c->report_in);
}
