/* store_cluster.c - the preflight's decisions on what the groups of a shard file reached
 * (store.h): whether a server is new enough, whether group [shard<i>] reached shard i of one
 * cluster. Pure functions: no connection, unit-tested on their own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

int tx_store_version_ok(const char *version, char *why, size_t size)
{
    int major = 0, minor = 0;
    if (!version || sscanf(version, "%d.%d", &major, &minor) != 2) {
        snprintf(why, size, "cannot read the server version '%s'", version ? version : "");
        return -1;
    }
    /* MariaDB reports "10.11.6-MariaDB-...", or "5.5.5-10.x..." through some proxies */
    const int mariadb = strstr(version, "MariaDB") != NULL;
    if (mariadb && major == 5 && minor == 5 && sscanf(version, "5.5.5-%d.%d", &major, &minor) != 2) {
        snprintf(why, size, "cannot read the server version '%s'", version);
        return -1;
    }
    const int need_major = mariadb ? 10 : 8, need_minor = mariadb ? 5 : 0;
    if (major > need_major || (major == need_major && minor >= need_minor))
        return 1;
    snprintf(why, size, "%s %d.%d is too old: txetl needs %s %d.%d or later", 
             mariadb ? "MariaDB" : "MySQL", major, minor, mariadb ? "MariaDB" : "MySQL",
             need_major, need_minor);
    return 0;
}

/* "shard 1 of cluster 3f2a1b0c..." */
static void reached(const tx_store_facts *f, char *out, size_t size)
{
    if (f->has_identity)
        snprintf(out, size, "shard %d of cluster %.8s...", f->index, f->cluster_id);
    else
        snprintf(out, size, "a shard with no cluster identity yet");
}

/* Appends "[shardG] reaches ..." for group g to msg. */
static void say_group(char *msg, size_t size, const tx_store_facts *f, int g)
{
    char r[96];
    reached(&f[g], r, sizeof r);
    size_t l = strlen(msg);
    snprintf(msg + l, size > l ? size - l : 0, "%s[shard%d] reaches %s (database %s on %s)",
             l ? "; " : "", g, r, f[g].database, f[g].where);
}

int tx_store_cluster_check(const tx_store_facts *f, int n, const char *path, char *cluster_id,
                           tx_error *err)
{
    cluster_id[0] = '\0';
    char msg[900] = "";
    /* two groups, one database of one server */
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++)
            if (f[a].key[0] && !strcmp(f[a].key, f[b].key))
                return tx_error_set(err, TX_EUSAGE, "shard file %s: [shard%d] and [shard%d] "
                                    "reach the same database %s on %s: each group must reach "
                                    "a shard of its own; fix host, port, socket or database of "
                                    "one of them", path, a, b, f[a].database, f[a].where);
    /* one cluster: the id most groups reach */
    int best = -1, best_n = 0, clusters = 0;
    for (int a = 0; a < n; a++) {
        if (!f[a].has_identity)
            continue;
        int same = 0, first = 1;
        for (int b = 0; b < n; b++)
            if (f[b].has_identity && !strcmp(f[a].cluster_id, f[b].cluster_id)) {
                same++;
                if (b < a)
                    first = 0;
            }
        clusters += first;
        if (same > best_n) {
            best = a;
            best_n = same;
        }
    }
    if (best < 0)
        return TX_OK; /* no shard has an identity yet: the first load records it */
    if (clusters > 1) {
        for (int g = 0; g < n; g++)
            if (f[g].has_identity)
                say_group(msg, sizeof msg, f, g);
        return tx_error_set(err, TX_EUSAGE, "shard file %s: %s: the groups reach shards of %d "
                            "different clusters; every group must reach a shard of one cluster "
                            "(fix the group that points at another cluster's server)", path, msg,
                            clusters);
    }
    for (int g = 0; g < n; g++)
        if (f[g].reached && !f[g].has_identity && (!f[g].db_exists || !f[g].has_tables))
            return tx_error_set(err, TX_EUSAGE, "shard file %s: [shard%d] reaches database %s on "
                                "%s, which %s, while [shard%d] reaches shard %d of cluster "
                                "%.8s...: check database= (and host, port, socket) in [shard%d]",
                                path, g, f[g].database, f[g].where,
                                f[g].db_exists ? "holds no txetl table" : "does not exist", best,
                                f[best].index, f[best].cluster_id, g);
    for (int g = 0; g < n; g++)
        if (f[g].has_identity && f[g].count != n) {
            say_group(msg, sizeof msg, f, g);
            return tx_error_set(err, TX_EUSAGE, "shard file %s: %s, a cluster of %d shards, but "
                                "the file has %d groups: the shard count of a cluster never "
                                "changes", path, msg, f[g].count, n);
        }
    int wrong = 0, w1 = -1, w2 = -1;
    for (int g = 0; g < n; g++)
        if (f[g].has_identity && f[g].index != g) {
            say_group(msg, sizeof msg, f, g);
            if (wrong++ == 0)
                w1 = g;
            else
                w2 = g;
        }
    if (wrong) {
        const int swapped = wrong == 2 && f[w1].index == w2 && f[w2].index == w1;
        return tx_error_set(err, TX_EUSAGE, "shard file %s: %s: %s", path, msg,
                            swapped ? "the groups are swapped: exchange their options"
                                    : "group [shardN] must reach shard N; fix the options of "
                                      "the groups named");
    }
    snprintf(cluster_id, 37, "%s", f[best].cluster_id);
    return TX_OK;
}
