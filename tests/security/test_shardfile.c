/* test_shardfile.c - tx_shardfile_count counts exactly the groups the client library will read
 * for tx_store_open (group "shard<i>"), and fails on a group name it would read differently. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "txetl/log.h"
#include "txetl/store.h"

/* Writes text to a mode-600 temp file, counts; returns the status, *n and the message. */
static int count(const char *text, int *n, char *msg, size_t cap)
{
    char path[] = "/tmp/test_shardfile.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -100;
    fchmod(fd, 0600);
    size_t len = strlen(text);
    int ok = write(fd, text, len) == (ssize_t)len;
    close(fd);
    *n = -1;
    tx_error err = {0};
    int rc = ok ? tx_shardfile_count(path, n, &err) : -100;
    snprintf(msg, cap, "%s", err.msg);
    unlink(path);
    return rc;
}

int main(void)
{
    tx_log_init(0, TX_LOG_ERROR);
    int n;
    char msg[1024];
    CHECK(count("[shard0]\nsocket=/a\n[shard1]\nsocket=/b\n", &n, msg, sizeof msg) == TX_OK &&
          n == 2);
    CHECK(count("  [shard1]\n[shard0]\n[client]\nuser=x\n[shards]\n", &n, msg, sizeof msg) ==
              TX_OK && n == 2);
    /* the library trims blanks before ']' */
    CHECK(count("[shard0 ]\n", &n, msg, sizeof msg) == TX_OK && n == 1);
    CHECK(count("[shard4095]\n", &n, msg, sizeof msg) == TX_EUSAGE && strstr(msg, "[shard0]"));
    CHECK(count("[client]\n", &n, msg, sizeof msg) == TX_EUSAGE && strstr(msg, "no [shard0]"));
    CHECK(count("[shard0]\n[shard2]\n", &n, msg, sizeof msg) == TX_EUSAGE &&
          strstr(msg, "[shard1] is missing"));
    /* names the library reads as another group than "shard1": errors, not shards */
    const char *bad[] = {"[shard0]\n[shard01]\n", "[shard0]\n[shard 1]\n", "[shard0]\n[shard+1]\n",
                         "[shard-0]\n", "[shard4096]\n[shard0]\n", "[shard99999]\n"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = count(bad[i], &n, msg, sizeof msg);
        CHECK_MSG(rc == TX_EUSAGE && strstr(msg, "written without leading zeros"),
                  "'%s' gave %d (%s)", bad[i], rc, msg);
    }
    /* "[shard1]" past the 4 KiB mark of a long line is not a group header */
    size_t big = 5000;
    char *text = malloc(big + 64);
    strcpy(text, "[shard0]\npassword=");
    size_t k = strlen(text);
    memset(text + k, 'x', big - k);
    strcpy(text + big - 8 - 4096 % 7, "[shard1]\n");
    CHECK(count(text, &n, msg, sizeof msg) == TX_OK && n == 1);
    free(text);
    /* a file that !includes itself (six times) and another: each read once (before, a walk
     * without an error reread the file 7^8 times: minutes), the other's options checked */
    char self[64], other[64];
    snprintf(self, sizeof self, "/tmp/test_shardfile_self.%d", (int)getpid());
    snprintf(other, sizeof other, "/tmp/test_shardfile_other.%d", (int)getpid());
    FILE *fo = fopen(other, "w"), *fs = fopen(self, "w");
    CHECK(fo && fs);
    if (fo && fs) {
        fputs("[shard1]\nsocket=/b\n", fo);
        fputs("[shard0]\nsocket=/a\n", fs);
        for (int i = 0; i < 6; i++)
            fprintf(fs, "!include %s\n", self);
        fprintf(fs, "!include %s\n", other);
    }
    if (fo)
        fclose(fo);
    if (fs)
        fclose(fs);
    tx_error cerr = {0};
    CHECK_MSG(tx_shardfile_check_options(self, &cerr) == TX_OK, "%s", cerr.msg);
    fo = fopen(other, "w");
    CHECK(fo);
    if (fo) {
        fputs("[shard1]\nsockett=/b\n", fo);
        fclose(fo);
    }
    CHECK_MSG(tx_shardfile_check_options(self, &cerr) == TX_EUSAGE &&
                  strstr(cerr.msg, "'sockett'") && strstr(cerr.msg, other),
              "%s", cerr.msg);
    unlink(self);
    unlink(other);
    return check_report("test_shardfile");
}
