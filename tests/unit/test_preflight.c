/* test_preflight.c - the preflight's pure decisions (store.h): the server version policy
 * (MariaDB 10.5+, MySQL 8.0+; no old server is started in the tests, so this is where the
 * decision is checked), what the groups of a shard file reached (swapped, duplicate, foreign,
 * partly identified clusters, a typo'd database beside identified shards) and the option names
 * of [shardN] groups (a typo is refused naming file, line, group and the option it resembles). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "txetl/store.h"

static void shard(tx_store_facts *f, int idx, int count, const char *cluster, const char *key)
{
    memset(f, 0, sizeof *f);
    f->reached = f->db_exists = f->has_tables = 1;
    snprintf(f->database, sizeof f->database, "Customer");
    snprintf(f->where, sizeof f->where, "the server at socket /s/%s", key);
    snprintf(f->key, sizeof f->key, "%s", key);
    if (cluster) {
        f->has_identity = 1;
        f->index = idx;
        f->count = count;
        snprintf(f->cluster_id, sizeof f->cluster_id, "%s", cluster);
    }
}

static const char *A = "3f2a0000000000000000000000000000";
static const char *B = "9b1c0000000000000000000000000000";

static void versions(void)
{
    char why[200];
    CHECK(tx_store_version_ok("10.11.6-MariaDB-0+deb12u1", why, sizeof why) == 1);
    CHECK(tx_store_version_ok("10.5.0-MariaDB", why, sizeof why) == 1);
    CHECK(tx_store_version_ok("11.4.2-MariaDB", why, sizeof why) == 1);
    CHECK(tx_store_version_ok("10.4.32-MariaDB", why, sizeof why) == 0);
    CHECK_MSG(strstr(why, "MariaDB 10.4 is too old") && strstr(why, "10.5"), "%s", why);
    CHECK(tx_store_version_ok("5.5.5-10.3.39-MariaDB", why, sizeof why) == 0);
    CHECK(tx_store_version_ok("5.5.5-10.6.1-MariaDB", why, sizeof why) == 1);
    CHECK(tx_store_version_ok("8.0.36", why, sizeof why) == 1);
    CHECK(tx_store_version_ok("8.4.0-commercial", why, sizeof why) == 1);
    CHECK(tx_store_version_ok("5.7.44-log", why, sizeof why) == 0);
    CHECK_MSG(strstr(why, "MySQL 5.7 is too old") && strstr(why, "8.0"), "%s", why);
    CHECK(tx_store_version_ok("garbage", why, sizeof why) == -1);
}

static void clusters(void)
{
    tx_store_facts f[3];
    char id[40];
    tx_error e = {0};
    /* fresh: nobody has an identity */
    shard(&f[0], 0, 0, NULL, "a");
    shard(&f[1], 0, 0, NULL, "b");
    CHECK(tx_store_cluster_check(f, 2, "x.cnf", id, &e) == TX_OK && id[0] == '\0');
    /* right */
    shard(&f[0], 0, 2, A, "a");
    shard(&f[1], 1, 2, A, "b");
    CHECK(tx_store_cluster_check(f, 2, "x.cnf", id, &e) == TX_OK && !strcmp(id, A));
    /* partly identified (a first load died midway): passes */
    shard(&f[1], 0, 0, NULL, "b");
    CHECK(tx_store_cluster_check(f, 2, "x.cnf", id, &e) == TX_OK && !strcmp(id, A));
    /* ... but not when that group's database is missing (a typo in database=) */
    f[1].db_exists = f[1].has_tables = 0;
    tx_error_clear(&e);
    CHECK(tx_store_cluster_check(f, 2, "x.cnf", id, &e) == TX_EUSAGE);
    CHECK_MSG(strstr(e.msg, "[shard1] reaches database Customer") &&
              strstr(e.msg, "does not exist") && strstr(e.msg, "check database="), "%s", e.msg);
    /* swapped */
    shard(&f[0], 1, 2, A, "b");
    shard(&f[1], 0, 2, A, "a");
    tx_error_clear(&e);
    CHECK(tx_store_cluster_check(f, 2, "x.cnf", id, &e) == TX_EUSAGE);
    CHECK_MSG(strstr(e.msg, "[shard0] reaches shard 1 of cluster 3f2a") &&
              strstr(e.msg, "[shard1] reaches shard 0 of cluster 3f2a") &&
              strstr(e.msg, "the groups are swapped"), "%s", e.msg);
    /* two groups, one server */
    shard(&f[0], 0, 2, A, "a");
    shard(&f[1], 0, 2, A, "a");
    tx_error_clear(&e);
    CHECK(tx_store_cluster_check(f, 2, "x.cnf", id, &e) == TX_EUSAGE);
    CHECK_MSG(strstr(e.msg, "[shard0] and [shard1] reach the same database"), "%s", e.msg);
    /* a shard of another cluster */
    shard(&f[0], 0, 3, A, "a");
    shard(&f[1], 1, 3, B, "b");
    shard(&f[2], 2, 3, A, "c");
    tx_error_clear(&e);
    CHECK(tx_store_cluster_check(f, 3, "x.cnf", id, &e) == TX_EUSAGE);
    CHECK_MSG(strstr(e.msg, "[shard1] reaches shard 1 of cluster 9b1c") &&
              strstr(e.msg, "2 different clusters"), "%s", e.msg);
    /* a cluster of 3 named by a file of 2 groups */
    tx_error_clear(&e);
    CHECK(tx_store_cluster_check(f, 2, "x.cnf", id, &e) == TX_EUSAGE);
    /* one group reaching another index (not a swap) */
    shard(&f[0], 0, 3, A, "a");
    shard(&f[1], 2, 3, A, "b");
    shard(&f[2], 0, 0, NULL, "c");
    tx_error_clear(&e);
    CHECK(tx_store_cluster_check(f, 3, "x.cnf", id, &e) == TX_EUSAGE);
    CHECK_MSG(strstr(e.msg, "[shard1] reaches shard 2") && !strstr(e.msg, "swapped") &&
              strstr(e.msg, "must reach shard N"), "%s", e.msg);
}

static int with_file(const char *text, tx_error *e)
{
    char path[] = "/tmp/tx_preflight_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -99;
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        close(fd);
        return -99;
    }
    close(fd);
    tx_error_clear(e);
    int rc = tx_shardfile_check_options(path, e);
    unlink(path);
    return rc;
}

static void options(void)
{
    tx_error e = {0};
    CHECK(with_file("[client]\nprompt=x\n[shard0]\nsocket=/s\nuser = root\nssl_ca=/ca\n"
                    "loose-whatever=1\ndatabase=Customer\n# sockett=x\n[shard1]\nhost=h\n"
                    "port=3306\npassword=p\nlocal-infile\n", &e) == TX_OK);
    CHECK_MSG(e.msg[0] == '\0', "%s", e.msg);
    CHECK(with_file("[shard0]\nsocket=/s\n\n[shard1]\nuser=root\nsockett=/t\n", &e) == TX_EUSAGE);
    CHECK_MSG(strstr(e.msg, ":6: [shard1] has option 'sockett'") &&
              strstr(e.msg, "did you mean socket?"), "%s", e.msg);
    CHECK(with_file("[shard0]\nfrobnicate=1\n", &e) == TX_EUSAGE);
    CHECK_MSG(strstr(e.msg, "'frobnicate'") && !strstr(e.msg, "did you mean"), "%s", e.msg);
    /* other groups are not txetl's to judge */
    CHECK(with_file("[shard0]\nsocket=/s\n[mysqld]\nfrobnicate=1\n", &e) == TX_OK);
}

int main(void)
{
    versions();
    clusters();
    options();
    return check_report("test_preflight");
}
