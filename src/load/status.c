/* status.c - `txetl status`: per shard reachability, rows, partitions, boundaries, last runs. */
#include <stdio.h>
#include <string.h>

#include "load_internal.h"
#include "txetl/status.h"

static void print_query(tx_shard *sh, const char *title, const char *sql, FILE *out)
{
    MYSQL_RES *res;
    tx_error err = {0};
    if (tx_shard_query(sh, sql, 0, &res, &err) != TX_OK) {
        fprintf(out, "  %s: %s\n", title, err.msg);
        return;
    }
    unsigned nf = mysql_num_fields(res);
    MYSQL_FIELD *f = mysql_fetch_fields(res);
    fprintf(out, "  %s:\n   ", title);
    for (unsigned i = 0; i < nf; i++)
        fprintf(out, " %s", f[i].name);
    fputc('\n', out);
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        fputs("   ", out);
        for (unsigned i = 0; i < nf; i++)
            fprintf(out, " %s", row[i] ? row[i] : "NULL");
        fputc('\n', out);
    }
    mysql_free_result(res);
}

int tx_status_print(const char *shards_path, FILE *out, tx_error *err)
{
    int n = 0;
    int rc = tx_shardfile_count(shards_path, &n, err);
    if (rc != TX_OK)
        return rc;
    int down = 0;
    for (int s = 0; s < n; s++) {
        tx_shard *sh = NULL;
        tx_error e = {0};
        if (tx_shard_open(shards_path, s, &sh, &e) != TX_OK) {
            fprintf(out, "shard %d: UNREACHABLE: %s\n", s, e.msg);
            down++;
            continue;
        }
        uint64_t rows = 0, dir = 0, tomb = 0, parts = 0;
        int null;
        tx_shard_query_u64(sh, "SELECT COUNT(*) FROM information_schema.TABLES WHERE "
                               "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'TransactionsOptimized'",
                           &rows, &null, &e);
        if (rows == 0) {
            fprintf(out, "shard %d: reachable, database %s, no txetl schema yet\n", s,
                    tx_shard_database(sh));
            tx_shard_close(&sh);
            continue;
        }
        tx_shard_query_u64(sh, "SELECT COUNT(*) FROM TransactionsOptimized", &rows, &null, &e);
        tx_shard_query_u64(sh, "SELECT COALESCE(SUM(entries), 0) FROM txn_directory", &dir,
                           &null, &e);
        tx_shard_query_u64(sh, "SELECT COALESCE(SUM(tombstones), 0) FROM txn_directory", &tomb,
                           &null, &e);
        tx_shard_query_u64(sh, "SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE "
                               "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                               "'TransactionsOptimized' AND PARTITION_NAME LIKE 'p%'",
                           &parts, &null, &e);
        fprintf(out, "shard %d: reachable, database %s, %llu rows in %llu month partitions, "
                     "%llu directory entries (%llu tombstones)\n",
                s, tx_shard_database(sh), (unsigned long long)rows, (unsigned long long)parts,
                (unsigned long long)dir, (unsigned long long)tomb);
        print_query(sh, "boundaries", "SELECT shard_index, lower_date, upper_date FROM shard_map "
                                      "ORDER BY shard_index", out);
        print_query(sh, "months", "SELECT MIN(transaction_date) AS first_date, "
                                  "MAX(transaction_date) AS last_date FROM TransactionsOptimized",
                    out);
        print_query(sh, "last runs",
                    "SELECT run_id, status, started_at, finished_at, ranks, rows_read, "
                    "rows_rejected, rows_inserted, rows_updated, rows_moved, rows_deleted, "
                    "rows_stale, rows_superseded FROM etl_runs ORDER BY started_at DESC LIMIT 5",
                    out);
        tx_shard_close(&sh);
    }
    if (down)
        return tx_error_set(err, TX_ERR, "%d of %d shards unreachable", down, n);
    return TX_OK;
}
