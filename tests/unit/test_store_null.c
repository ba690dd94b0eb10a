/* test_store_null.c - the null store (store.h) connects to nothing and writes nothing: it opens
 * for a shard file that names no reachable server, reports an empty shard without a map or a
 * directory, takes (and releases) every load's text, and reads back no row. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "txetl/store.h"

static int calls;

static int count_map(void *ctx, int index, int count, int32_t lower, int32_t upper,
                     tx_error *err)
{
    (void)ctx, (void)index, (void)count, (void)lower, (void)upper, (void)err;
    calls++;
    return TX_OK;
}

static int count_block(void *ctx, uint64_t block, const char *data, size_t len, tx_error *err)
{
    (void)ctx, (void)block, (void)data, (void)len, (void)err;
    calls++;
    return TX_OK;
}

static int count_txn(void *ctx, uint64_t customer_id, int64_t cents, int32_t date,
                     uint32_t currency, tx_error *err)
{
    (void)ctx, (void)customer_id, (void)cents, (void)date, (void)currency, (void)err;
    calls++;
    return TX_OK;
}

/* A payload of n lines, as a phase would hand it over. */
static tx_buf text(int n)
{
    tx_buf b = {0};
    for (int i = 0; i < n; i++) {
        CHECK(tx_tsv_text(&b, "1\tx\n", 4) == TX_OK);
    }
    return b;
}

int main(void)
{
    tx_error err = {0};
    tx_store *s = NULL;
    /* no such file and no server: the null store never looks */
    CHECK(tx_store_open(&tx_store_null, "/nonexistent/shards.cnf", 3, &s, &err) == TX_OK);
    CHECK(s != NULL && tx_store_index(s) == 3);
    CHECK(tx_store_run_lock(s, &err) == TX_OK);
    tx_store_state st;
    memset(&st, 0xff, sizeof st);
    CHECK(tx_store_prepare(s, 2, &st, &err) == TX_OK);
    CHECK(st.table_empty == 1 && st.dir_empty == 1 && st.revenue_dirty == 0);
    int any_month = 0;
    for (int m = 0; m < TX_NMONTHS; m++)
        any_month |= st.months[m];
    CHECK(!any_month);
    CHECK(tx_store_map_read(s, count_map, NULL, &err) == TX_OK && calls == 0);
    const int32_t bound[3] = {INT32_MIN, 19000, INT32_MAX};
    CHECK(tx_store_map_write(s, 2, bound, "run", &err) == TX_OK);
    const int months[] = {202401, 202402};
    CHECK(tx_store_begin(s, months, 2, &err) == TX_OK);
    const uint64_t blocks[] = {1, 2, 7};
    CHECK(tx_store_dir_lookup(s, blocks, 3, count_block, NULL, &err) == TX_OK && calls == 0);
    /* every load takes its text: the caller's buffer is left empty */
    tx_buf b = text(3);
    CHECK(tx_store_rows_load(s, 1, &b, 3, &err) == TX_OK && b.p == NULL && b.len == 0);
    b = text(2);
    CHECK(tx_store_rows_remove(s, &b, 2, &err) == TX_OK && b.p == NULL);
    b = text(1);
    CHECK(tx_store_dir_load(s, &b, 1, &err) == TX_OK && b.p == NULL);
    b = text(4);
    CHECK(tx_store_audit_load(s, &b, 4, &err) == TX_OK && b.p == NULL);
    CHECK(tx_store_finish(s, &err) == TX_OK);
    CHECK(tx_store_dir_commit(s, &err) == TX_OK);
    tx_run_counts counts = {0};
    const tx_store_run run = {.run_id = "r", .started = "2024-01-01 00:00:00.000000",
                              .status = "running", .ranks = 1, .shards = 1, .counts = &counts};
    CHECK(tx_store_runs_row(s, &run, &err) == TX_OK);
    CHECK(tx_store_read_txns(s, count_txn, NULL, &err) == TX_OK && calls == 0);
    CHECK_MSG(err.status == TX_OK, "an error was set: %s", err.msg);
    tx_store_close(&s);
    CHECK(s == NULL);
    tx_store_close(&s); /* NULL: a no-op */
    return check_report("test_store_null");
}
