/* load_identity.c - the preflight every command runs before it writes anything
 * (load_internal.h): each group of the shard file reaches the shard of its index of one cluster,
 * each server can take a load, each table is the one sql/schema.sql defines; and the cluster
 * identity a first load records (written with the shard map: load_map.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "load_internal.h"
#include "txetl/mpiutil.h"

/* What a load needs of a server: a version txetl knows, LOAD DATA LOCAL allowed, room for its
 * largest statement. */
static int server_ok(const tx_job *j, int s, const tx_store_facts *f, tx_error *err)
{
    char why[200];
    if (tx_store_version_ok(f->version, why, sizeof why) != 1)
        return tx_error_set(err, TX_EUSAGE, "shard %d (%s): %s; nothing was written", s,
                            f->where, why);
    if (!f->local_infile)
        return tx_error_set(err, TX_EUSAGE, "shard %d (%s): the server refuses LOAD DATA LOCAL, "
                            "which txetl loads with (server variable local_infile is OFF, the "
                            "default of MySQL 8): run SET GLOBAL local_infile = 1 on it, or put "
                            "local_infile = 1 under [mysqld] in its configuration and restart "
                            "it; nothing was written", s, f->where);
    if (f->max_allowed_packet < TX_STORE_PACKET_NEED)
        return tx_error_set(err, TX_EUSAGE, "shard %d (%s): server variable max_allowed_packet "
                            "is %llu bytes, txetl needs %u (its partition and directory "
                            "statements reach 200 KiB): run SET "
                            "GLOBAL max_allowed_packet = %u on it, or put max_allowed_packet = "
                            "%uM under [mysqld] in its configuration and restart it; nothing "
                            "was written", s, f->where, (unsigned long long)f->max_allowed_packet,
                            TX_STORE_PACKET_NEED, TX_STORE_PACKET_NEED,
                            TX_STORE_PACKET_NEED >> 20);
    (void)j;
    return TX_OK;
}

/* Rank 0's new cluster id (32 hex digits from /dev/urandom), the same on every rank. */
static void new_cluster_id(tx_job *j)
{
    if (j->rank == 0) {
        unsigned char b[16] = {0};
        FILE *r = fopen("/dev/urandom", "rb");
        if (!r || fread(b, 1, sizeof b, r) != sizeof b) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)getpid();
            for (size_t i = 0; i < sizeof b; i++, x = x * 6364136223846793005ull + 1)
                b[i] = (unsigned char)(x >> 56);
        }
        if (r)
            fclose(r);
        for (size_t i = 0; i < sizeof b; i++)
            snprintf(j->cluster_id + 2 * i, 3, "%02x", b[i]);
    }
    MPI_Bcast(j->cluster_id, sizeof j->cluster_id, MPI_CHAR, 0, j->comm);
}

int tx_load_check(tx_job *j, int rc, int for_load, tx_error *err)
{
    const int n = j->nshards;
    tx_store_facts *f = calloc((size_t)n, sizeof *f);
    if (!f)
        MPI_Abort(j->comm, 3);
    for (int s = 0; s < n && rc == TX_OK; s++)
        if (j->mine && j->mine[s])
            rc = tx_store_inspect(j->mine[s], &f[s], err);
    rc = tx_agree(j->comm, rc, err);
    if (rc == TX_OK) {
        /* each shard's facts come from its one owner, zero elsewhere: OR = gather to all */
        MPI_Allreduce(MPI_IN_PLACE, f, (int)((size_t)n * sizeof *f), MPI_BYTE, MPI_BOR,
                      j->comm);
        /* an unfinished reshard (docs/reshard.md) moves rows between shards: refuse */
        for (int s = 0; s < n && rc == TX_OK; s++)
            if (f[s].reshard_to)
                rc = tx_error_set(err, TX_EUSAGE, "shard %d: a reshard of this cluster from %d "
                                  "to %d shards is unfinished: nothing was done; finish it "
                                  "first by rerunning `txetl reshard --shards NEW_FILE` (the "
                                  "shard file of %d groups it was started with)", s,
                                  f[s].reshard_from, f[s].reshard_to, f[s].reshard_to);
        if (rc == TX_OK)
            rc = tx_agree(j->comm, tx_store_cluster_check(f, n, j->o->shards_path, j->cluster_id,
                                                      err), err);
    }
    for (int s = 0; s < n && rc == TX_OK; s++) {
        if (!j->mine[s])
            continue;
        if (for_load)
            rc = server_ok(j, s, &f[s], err);
        if (rc == TX_OK)
            rc = tx_store_schema_check(j->mine[s], for_load ? TX_SCHEMA_LOAD : TX_SCHEMA_READ,
                                       err);
    }
    rc = tx_agree(j->comm, rc, err);
    if (rc == TX_OK && for_load) {
        if (!j->cluster_id[0]) /* (the same on every rank: decided from the gathered facts) */
            new_cluster_id(j);
        for (int s = 0; s < n && j->homes; s++)
            j->homes[s].has_identity = f[s].has_identity;
    }
    free(f);
    return rc;
}
