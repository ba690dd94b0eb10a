/* status.c - `txetl status`: per shard reachability, the cluster identity, then what its store
 * reports (rows, partitions, directory, boundaries, last runs). It only reads: connecting
 * creates no database and runs no schema. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txetl/status.h"
#include "txetl/store.h"

/* A run the journals hold as unfinished (docs/load.md "A failed run"), and what the next
 * command does with it: the rule of load_recover.c, read only. */
static void print_unfinished(tx_store **st, const int *bad, int n, FILE *out)
{
    char id[64] = "";
    for (int s = 0; s < n; s++) {
        char one[64] = "";
        tx_error e = {0};
        if (!bad[s] && st[s] && tx_store_journal_pending(st[s], one, sizeof one, &e) == TX_OK &&
            one[0] && (!id[0] || strcmp(one, id) < 0))
            snprintf(id, sizeof id, "%s", one);
    }
    if (!id[0])
        return;
    int staged = 0, applied = 0, known = 0;
    char msg[400] = "";
    for (int s = 0; s < n; s++) {
        tx_store_journal j;
        tx_error e = {0};
        if (bad[s] || !st[s] || tx_store_journal_state(st[s], id, &j, &e) != TX_OK)
            continue;
        known++;
        staged += j.state == TX_JOURNAL_STAGED || j.state == TX_JOURNAL_APPLIED;
        applied += j.state == TX_JOURNAL_APPLIED;
        if (!msg[0] && j.message[0])
            snprintf(msg, sizeof msg, "%s", j.message);
    }
    fprintf(out, "unfinished run %s: staged on %d of %d shards, applied on %d%s%s\n", id, staged,
            n, applied, msg[0] ? "; it said: " : "", msg);
    if (known < n)
        fprintf(out, "  the next load or `txetl snapshot` decides what to do with it once every "
                     "shard is reachable\n");
    else if (staged == n)
        fprintf(out, "  the next load or `txetl snapshot` completes it first (applies what the "
                     "other shards staged)\n");
    else
        fprintf(out, "  the next load or `txetl snapshot` undoes it first (none of its changes "
                     "is applied anywhere)\n");
}

int tx_status_print(const char *shards_path, FILE *out, tx_error *err)
{
    int n = 0;
    int rc = tx_shardfile_count(shards_path, &n, err);
    if (rc != TX_OK)
        return rc;
    tx_store **st = calloc((size_t)n, sizeof *st);
    tx_store_facts *f = calloc((size_t)n, sizeof *f);
    int *bad = calloc((size_t)n, sizeof *bad);
    uint64_t *rows = calloc((size_t)n, sizeof *rows);
    int counted = 0;
    if (!st || !f || !bad || !rows) {
        rc = tx_error_set(err, TX_ENOMEM, "out of memory");
        goto out;
    }
    int down = 0, usage = 0;
    for (int s = 0; s < n; s++) {
        tx_error e = {0};
        int orc = tx_store_open_read(&tx_store_mariadb, shards_path, s, &st[s], &e);
        if (orc == TX_OK)
            orc = tx_store_inspect(st[s], &f[s], &e);
        if (orc == TX_OK)
            continue;
        bad[s] = 1;
        if (orc == TX_EUSAGE) {
            fprintf(out, "%s\n", e.msg); /* (it names the shard) */
            tx_error_set(err, TX_EUSAGE, "%s", e.msg);
            usage++;
        } else {
            fprintf(out, "shard %d: UNREACHABLE: %s\n", s, e.msg);
            down++;
        }
    }
    /* the groups that answered: each must reach the shard of its index of one cluster */
    tx_error ce = {0};
    char cluster[40];
    if (tx_store_cluster_check(f, n, shards_path, cluster, &ce) != TX_OK) {
        fprintf(out, "cluster: %s\n", ce.msg);
        tx_error_set(err, TX_EUSAGE, "%s", ce.msg);
        usage++;
    }
    for (int s = 0; s < n; s++) {
        if (bad[s])
            continue;
        tx_error e = {0};
        if (tx_store_schema_check(st[s], TX_SCHEMA_STATUS, &e) != TX_OK) {
            fprintf(out, "%s\n", e.msg);
            tx_error_set(err, TX_EUSAGE, "%s", e.msg);
            usage++;
            continue;
        }
        tx_store_status(st[s], out, &e);
        if (f[s].has_identity)
            fprintf(out, "  identity: shard %d of %d of cluster %s\n", f[s].index, f[s].count,
                    f[s].cluster_id);
        else
            fprintf(out, "  identity: none recorded yet (the next load records it)\n");
        if (f[s].reshard_to)
            fprintf(out, "  reshard: UNFINISHED, %d -> %d shards: loads and snapshots are "
                    "refused until `txetl reshard --shards FILE` (the file of %d groups) is "
                    "rerun and finishes it\n", f[s].reshard_from, f[s].reshard_to,
                    f[s].reshard_to);
        tx_store_reshard_facts rf;
        if (tx_store_reshard_probe(st[s], &rf, &e) == TX_OK) {
            rows[s] = rf.rows;
            counted++;
        }
    }
    /* balance: rows per shard, the largest over the smallest (docs/reshard.md) */
    if (counted == n && n > 0) {
        uint64_t mx = 0, mn = UINT64_MAX;
        fprintf(out, "balance: rows per shard");
        for (int s = 0; s < n; s++) {
            fprintf(out, " %llu", (unsigned long long)rows[s]);
            mx = rows[s] > mx ? rows[s] : mx;
            mn = rows[s] < mn ? rows[s] : mn;
        }
        if (mn > 0)
            fprintf(out, "; largest/smallest %.2f\n", (double)mx / (double)mn);
        else
            fprintf(out, "; a shard holds no row\n");
    }
    print_unfinished(st, bad, n, out);
    if (usage)
        rc = TX_EUSAGE; /* err holds the first problem */
    else if (down)
        rc = tx_error_set(err, TX_ERR, "%d of %d shards unreachable", down, n);
out:
    for (int s = 0; st && s < n; s++)
        tx_store_close(&st[s]);
    free(st);
    free(f);
    free(bad);
    free(rows);
    return rc;
}
