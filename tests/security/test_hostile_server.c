/* test_hostile_server.c - a server that asks for a local file other than txetl's stream gets
 * nothing (src/store/conn.c: the local-infile handler serves only 'txetl-stream' from txetl's buffer).
 *
 *   test_hostile_server FAKE_SERVER.py WORKDIR
 *
 * Runs tests/security/fake_mysql_server.py (a fake MySQL server on 127.0.0.1) per case, points a
 * shard file at its port and drives the store's connection layer (store_internal.h: tx_conn_open / tx_conn_load):
 *  - asked for /etc/passwd in answer to LOAD DATA LOCAL: the load fails with the "refuses"
 *    message naming the file, and the server received zero bytes;
 *  - control: asked for 'txetl-stream', the server receives exactly txetl's buffer (so the
 *    fake server's byte count is real and the zero above can fail);
 *  - asked for /etc/passwd in answer to every statement (tx_conn_open's own CREATE DATABASE,
 *    USE, SET): open fails, zero bytes;
 *  - the same with an init-command in the shard file (a statement the client library sends
 *    during connect, before txetl's handler could be installed): zero bytes. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "txetl/log.h"
#include "store_internal.h"

static const char *script, *workdir;

typedef struct server {
    pid_t pid;
    int port;
    char out[512], cnf[512];
} server;

static int start_server(server *sv, const char *name, const char *mode, const char *file)
{
    char portfile[512];
    snprintf(portfile, sizeof portfile, "%s/%s.port", workdir, name);
    snprintf(sv->out, sizeof sv->out, "%s/%s", workdir, name);
    snprintf(sv->cnf, sizeof sv->cnf, "%s/%s.cnf", workdir, name);
    unlink(portfile);
    sv->pid = fork();
    if (sv->pid < 0)
        return -1;
    if (sv->pid == 0) {
        execl("/usr/bin/python3", "python3", script, "--port-file", portfile, "--out", sv->out,
              "--mode", mode, "--file", file, "--idle", "60", (char *)NULL);
        perror("exec /usr/bin/python3");
        _exit(127);
    }
    for (int i = 0; i < 200; i++) { /* up to 10 s */
        FILE *f = fopen(portfile, "r");
        if (f) {
            int ok = fscanf(f, "%d", &sv->port) == 1;
            fclose(f);
            if (ok)
                return 0;
        }
        int st;
        if (waitpid(sv->pid, &st, WNOHANG) == sv->pid) {
            fprintf(stderr, "fake server exited early (status %d)\n", st);
            sv->pid = -1;
            return -1;
        }
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    }
    fprintf(stderr, "fake server did not write %s\n", portfile);
    return -1;
}

static void stop_server(server *sv)
{
    if (sv->pid > 0) {
        kill(sv->pid, SIGTERM);
        waitpid(sv->pid, NULL, 0);
        sv->pid = -1;
    }
}

static int write_cnf(const server *sv, const char *extra)
{
    FILE *f = fopen(sv->cnf, "w");
    if (!f)
        return -1;
    fprintf(f, "[shard0]\nhost=127.0.0.1\nport=%d\nprotocol=tcp\nuser=txetl\npassword=secret\n"
               "database=Customer\n%s",
            sv->port, extra ? extra : "");
    fclose(f);
    return chmod(sv->cnf, 0600);
}

/* The server's record: bytes received (the .bin file) and the request lines (.log). */
static long read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return (long)n;
}

static void server_record(const server *sv, char *log, size_t logcap, long *nbin, char *bin,
                          size_t bincap)
{
    char path[600];
    snprintf(path, sizeof path, "%s.log", sv->out);
    if (read_file(path, log, logcap) < 0)
        log[0] = '\0';
    snprintf(path, sizeof path, "%s.bin", sv->out);
    *nbin = read_file(path, bin, bincap);
}

/* The first line of /etc/passwd must appear nowhere in what the server got. */
static int holds_passwd(const char *bin, long n)
{
    char first[128] = "";
    FILE *f = fopen("/etc/passwd", "r");
    if (f) {
        if (!fgets(first, sizeof first, f))
            first[0] = '\0';
        fclose(f);
    }
    size_t k = strlen(first) > 12 ? 12 : strlen(first);
    if (k == 0 || n <= 0)
        return 0;
    for (long i = 0; i + (long)k <= n; i++)
        if (memcmp(bin + i, first, k) == 0)
            return 1;
    return 0;
}

/* One case against a fake server: the server, the connection, its error, and what the server
 * logged and received (filled by end_fake). */
typedef struct fake {
    server sv;
    tx_conn *s;
    tx_error err;
    char log[4096], bin[65536];
    long nbin;
} fake;

/* Starts fake server `name` (mode, file: see start_server) with a shard file of it (extra
 * lines: see write_cnf) and opens a connection to it into f->s: tx_conn_open's status. */
static int open_fake(fake *f, const char *name, const char *mode, const char *file,
                     const char *extra)
{
    memset(f, 0, sizeof *f);
    CHECK(start_server(&f->sv, name, mode, file) == 0);
    CHECK(write_cnf(&f->sv, extra) == 0);
    return tx_conn_open(f->sv.cnf, 0, &f->s, &f->err);
}

/* Closes the connection, stops the server and takes what it logged and received; prints the
 * log as `label`'s. */
static void end_fake(fake *f, const char *label)
{
    tx_conn_close(&f->s);
    stop_server(&f->sv);
    server_record(&f->sv, f->log, sizeof f->log, &f->nbin, f->bin, sizeof f->bin);
    printf("%s: server log: %s", label, f->log);
}

static fake f; /* one case at a time; too large for the stack */

static void case_load_asks_passwd(void)
{
    int rc = open_fake(&f, "load-passwd", "load", "/etc/passwd", NULL);
    CHECK_MSG(rc == TX_OK, "open against the fake server: %s", f.err.msg);
    if (rc == TX_OK) {
        const char rows[] = "1\tsecret-row\n";
        rc = tx_conn_load(f.s, "t", 0, "(a, b)", rows, sizeof rows - 1, 1, &f.err);
        CHECK_MSG(rc == TX_ERR, "load gave %d (%s), want TX_ERR", rc, f.err.msg);
        CHECK_MSG(strstr(f.err.msg, "refuses") && strstr(f.err.msg, "/etc/passwd"),
                  "message does not say it refused /etc/passwd: '%s'", f.err.msg);
        printf("load-passwd: %s\n", f.err.msg);
    }
    end_fake(&f, "load-passwd");
    CHECK_MSG(strstr(f.log, "request /etc/passwd query LOAD DATA") != NULL,
              "the fake server never asked for the file: '%s'", f.log);
    CHECK_MSG(strstr(f.log, "received 0\n") != NULL, "server log: %s", f.log);
    CHECK_MSG(f.nbin == 0, "the server received %ld bytes", f.nbin);
    CHECK(!holds_passwd(f.bin, f.nbin));
}

static void case_stream_control(void)
{
    int rc = open_fake(&f, "load-stream", "load", "txetl-stream", NULL);
    CHECK_MSG(rc == TX_OK, "open: %s", f.err.msg);
    const char rows[] = "1\tx\n2\ty\n";
    if (rc == TX_OK) {
        rc = tx_conn_load(f.s, "t", 0, "(a, b)", rows, sizeof rows - 1, 2, &f.err);
        CHECK_MSG(rc == TX_OK, "control load: %s", f.err.msg);
    }
    end_fake(&f, "load-stream (control)");
    CHECK_MSG(f.nbin == (long)sizeof rows - 1 && memcmp(f.bin, rows, sizeof rows - 1) == 0,
              "control: the server got %ld bytes, want txetl's %zu", f.nbin, sizeof rows - 1);
}

static void case_any_statement(const char *name, const char *extra)
{
    int rc = open_fake(&f, name, "any", "/etc/passwd", extra);
    CHECK_MSG(rc != TX_OK, "%s: open succeeded against a server answering with file requests",
              name);
    printf("%s: open: %s\n", name, f.err.msg);
    CHECK_MSG(strstr(f.err.msg, "shard 0") != NULL, "%s: message does not name the shard: '%s'",
              name, f.err.msg);
    end_fake(&f, name);
    CHECK_MSG(strstr(f.log, "request /etc/passwd") != NULL, "%s: the server never asked: '%s'",
              name, f.log);
    CHECK_MSG(f.nbin == 0, "%s: the server received %ld bytes of /etc/passwd", name, f.nbin);
    CHECK(!holds_passwd(f.bin, f.nbin));
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s FAKE_SERVER.py WORKDIR\n", argv[0]);
        return 2;
    }
    script = argv[1];
    workdir = argv[2];
    if (mkdir(workdir, 0700) != 0 && errno != EEXIST) {
        perror(workdir);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    tx_log_init(0, TX_LOG_WARN);
    case_load_asks_passwd();
    case_stream_control();
    case_any_statement("any-statement", NULL);
    case_any_statement("init-command", "init-command=SET @txetl_probe = 1\n");
    return check_report("test_hostile_server");
}
