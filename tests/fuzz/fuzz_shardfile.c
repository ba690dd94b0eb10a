/* fuzz_shardfile.c - libFuzzer target for the shard file's group counting (docs/shards.md) and the
 * `txetl` command line (docs/commands.md).
 *
 * Every input is used twice:
 *  1. its bytes are the shard file: written to a private temporary file (mode 600) and handed
 *     to tx_shardfile_count. Checks: on success 1 <= N <= 4096; on failure a message naming
 *     the file.
 *  2. split at '\n' and '\0' into at most 64 arguments, they are a command line: the first
 *     token picks the command (load, snapshot, report, status, or an unknown one), the rest are
 *     its arguments, parsed by the tool's own tx_cli_parse (the tx_cli library the tool links).
 *     Checks: a failure has a message; a success has what the command requires and option
 *     values in range; --help and the settings print for every command (same table).
 * Each argument is an exact-size heap copy, so ASan sees any read past it. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "txetl/cli.h"
#include "txetl/log.h"
#include "txetl/store.h"

#define FUZZ_NAME "fuzz_shardfile"
#include "fuzz.h"

static char tmp_path[64];
static int tmp_fd = -1;

static void remove_tmp(void)
{
    unlink(tmp_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    tx_log_init(0, TX_LOG_ERROR); /* no warning per input about group-readable files */
    /* tmpfs when there is one: on ext4, rewriting a truncated file forces a flush at close */
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(tmp_path, sizeof tmp_path, "%s/fuzz_shardfile.XXXXXX", dir);
    tmp_fd = mkstemp(tmp_path);
    if (tmp_fd < 0) {
        perror("mkstemp");
        abort();
    }
    fchmod(tmp_fd, 0600);
    atexit(remove_tmp);
    return 0;
}

static void fuzz_shardfile(const uint8_t *data, size_t size)
{
    if (ftruncate(tmp_fd, 0) != 0 || pwrite(tmp_fd, data, size, 0) != (ssize_t)size)
        FAIL("cannot write %s: %s", tmp_path, strerror(errno));
    int n = -1;
    tx_error err = {0};
    int rc = tx_shardfile_count(tmp_path, &n, &err);
    if (rc == TX_OK) {
        if (n < 1 || n > 4096)
            FAIL("shard count %d", n);
    } else if (rc != TX_EUSAGE || strstr(err.msg, tmp_path) == NULL) {
        FAIL("status %d, message '%s' does not name the file", rc, err.msg);
    }
}

#define MAX_ARGS 64

static void fuzz_cli(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"load", "snapshot", "report", "status"};
    char *argv[MAX_ARGS + 3];
    int argc = 0;
    argv[argc++] = strdup("txetl");
    size_t i = 0;
    while (i <= size && argc < MAX_ARGS + 2) {
        size_t j = i;
        while (j < size && data[j] != '\n' && data[j] != '\0')
            j++;
        char *a = malloc(j - i + 1);
        if (!a)
            abort();
        memcpy(a, data + i, j - i);
        a[j - i] = '\0';
        argv[argc++] = a;
        i = j + 1;
    }
    argv[argc] = NULL;
    /* The command: a known name, or the token itself (an unknown command). */
    tx_cli c;
    memset(&c, 0, sizeof c);
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        if (!strcmp(argv[1], names[k]))
            c.cmd = tx_cli_command(names[k]);
    if (c.cmd) {
        tx_error err = {0};
        int rc = tx_cli_parse(argc, argv, &c, &err); /* resets getopt's state itself */
        if (rc != TX_OK) {
            if (rc != TX_EUSAGE || err.msg[0] == '\0')
                FAIL("tx_cli_parse status %d with message '%s'", rc, err.msg);
        } else if (!c.help && !c.version) {
            const tx_load_opts *o = &c.load;
            if (c.cmd == TX_CLI_REPORT) {
                if (!c.report_in || !c.report_out)
                    FAIL("report accepted without its input or --out");
            } else {
                if (!o->shards_path)
                    FAIL("%s accepted without --shards", argv[1]);
                if (c.cmd == TX_CLI_LOAD && (o->nfiles < 1 || !o->files || !o->files[0]))
                    FAIL("load accepted without input files");
                if (c.cmd == TX_CLI_SNAPSHOT && !o->snapshot_dir)
                    FAIL("snapshot accepted without --snapshot-dir");
            }
            if (!(o->max_reject_rate >= 0 && o->max_reject_rate <= 1))
                FAIL("max_reject_rate %g", o->max_reject_rate);
            if (o->analytics.horizon_days < 1 || o->analytics.horizon_days > 36500)
                FAIL("horizon_days %d", o->analytics.horizon_days);
            if (o->analytics.clv_months < 1 || o->analytics.clv_months > 1200)
                FAIL("clv_months %d", o->analytics.clv_months);
            if (!(o->analytics.discount_rate >= 0 && o->analytics.discount_rate <= 10))
                FAIL("discount_rate %g", o->analytics.discount_rate);
        }
        /* --help and the settings are built from the same table: they must format for every
         * command and every parse outcome. */
        FILE *devnull = fopen("/dev/null", "w");
        if (devnull) {
            tx_cli_usage(devnull, c.cmd);
            if (rc == TX_OK)
                tx_cli_print_settings(devnull, &c);
            fclose(devnull);
        }
    }
    for (int k = 0; k < argc; k++)
        free(argv[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_shardfile(data, size);
    fuzz_cli(data, size);
    return 0;
}
