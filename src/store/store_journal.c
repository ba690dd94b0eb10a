/* store_journal.c - the MariaDB back end's intent journal (run_journal, store.h): what each
 * run reached on this shard, and the completion or undoing of a run that did not finish
 * (docs/load.md "A failed run"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static const char *const state_names[] = {"", "open", "staged", "applied", "undone"};

/* The run id as an SQL string literal's contents (run ids are txetl's own, but escape). */
static void esc(tx_store *s, char out[160], const char *run_id)
{
    tx_conn_escape(s->conn, out, run_id, strnlen(run_id, 64));
}

int tx_mdb_journal_mark(tx_store *s, const char *run_id, int state, tx_error *err)
{
    char rid[160];
    esc(s, rid, run_id);
    if (state == TX_JOURNAL_OPEN)
        return tx_conn_execf(s->conn, err, "INSERT INTO run_journal (run_id, backfill, state, "
                             "opened_at, changed_at) VALUES ('%s', %d, 'open', "
                             "UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))", rid, s->fast ? 1 : 0);
    if (state <= TX_JOURNAL_NONE || state > TX_JOURNAL_UNDONE)
        return tx_error_set(err, TX_ERR, "shard %d: internal error: journal state %d", s->index,
                            state);
    return tx_conn_execf(s->conn, err, "UPDATE run_journal SET state = '%s', changed_at = "
                         "UTC_TIMESTAMP(6) WHERE run_id = '%s'", state_names[state], rid);
}

int tx_mdb_journal_pending(tx_store *s, char *run_id, size_t size, tx_error *err)
{
    int has = 0;
    int rc = tx_conn_has_table(s->conn, "run_journal", &has, err); /* not in an older txetl */
    if (rc != TX_OK || !has)
        return rc;
    return tx_conn_query_text(s->conn, "SELECT run_id FROM run_journal WHERE state IN ('open', "
                                       "'staged') ORDER BY run_id LIMIT 1", run_id, size, err);
}

static int state_row(void *ctx, unsigned n, char **v, const unsigned long *len, tx_error *err)
{
    (void)n, (void)len, (void)err;
    tx_store_journal *j = ctx;
    for (int i = 1; i <= TX_JOURNAL_UNDONE; i++)
        if (v[0] && !strcmp(v[0], state_names[i]))
            j->state = i;
    j->backfill = v[1] && atoi(v[1]);
    snprintf(j->resolved_by, sizeof j->resolved_by, "%s", v[2] ? v[2] : "");
    return TX_OK;
}

int tx_mdb_journal_state(tx_store *s, const char *run_id, tx_store_journal *out, tx_error *err)
{
    int has = 0;
    int rc = tx_conn_has_table(s->conn, "run_journal", &has, err); /* not in an older txetl */
    if (rc != TX_OK || !has)
        return rc;
    char rid[160], q[400];
    esc(s, rid, run_id);
    snprintf(q, sizeof q, "SELECT state, backfill, resolved_by FROM run_journal WHERE run_id = "
             "'%s'", rid);
    const tx_conn_reader rd = {.row = state_row, .ctx = out};
    rc = tx_conn_query_rows(s->conn, q, &rd, err);
    snprintf(q, sizeof q, "SELECT message FROM etl_runs WHERE run_id = '%s'", rid);
    if (rc == TX_OK)
        rc = tx_conn_query_text(s->conn, q, out->message, sizeof out->message, err);
    return rc;
}

int tx_mdb_apply(tx_store *s, const char *run_id, tx_error *err)
{
    return tx_mdb_apply_run(s, run_id, s->fast, 0, err);
}

/* The failed run's etl_runs row ends as failed, with what became of it appended once (the
 * journal's resolved_by is set in the same transaction, so a resolution that dies and runs
 * again appends nothing twice). */
#define NOT_TOLD                                                                                   \
    " AND COALESCE(message, '') NOT LIKE '%%; completed by %%' AND COALESCE(message, '') NOT "     \
    "LIKE '%%; undone by %%'"
static int record_outcome(tx_store *s, const char *rid, int complete, const char *by,
                          tx_error *err)
{
    tx_conn *c = s->conn;
    char eby[200];
    tx_conn_escape(c, eby, by, strnlen(by, 80));
    int rc = tx_conn_begin(c, err);
    uint64_t open = 0;
    int null;
    char q[400];
    snprintf(q, sizeof q, "SELECT COUNT(*) FROM run_journal WHERE run_id = '%s' AND resolved_by "
             "IS NOT NULL", rid);
    if (rc == TX_OK)
        rc = tx_conn_query_u64(c, q, &open, &null, err);
    if (rc == TX_OK && open == 0 && complete)
        rc = tx_conn_execf(c, err, "UPDATE etl_runs SET status = 'failed', finished_at = "
                           "COALESCE(finished_at, UTC_TIMESTAMP(6)), message = CONCAT(COALESCE("
                           "message, 'the run ended without finishing'), '; completed by %s: "
                           "every shard had staged its changes, all of them are applied') "
                           "WHERE run_id = '%s'" NOT_TOLD, eby, rid);
    if (rc == TX_OK && open == 0 && !complete)
        rc = tx_conn_execf(c, err, "UPDATE etl_runs SET status = 'failed', finished_at = "
                           "COALESCE(finished_at, UTC_TIMESTAMP(6)), rows_inserted = 0, "
                           "rows_updated = 0, rows_moved = 0, rows_deleted = 0, rows_stale = 0, "
                           "rows_superseded = 0, message = CONCAT(COALESCE(message, 'the run "
                           "ended without finishing'), '; undone by %s: not every shard had "
                           "staged its changes, none of them is applied (the applied counts "
                           "are 0)') WHERE run_id = '%s'" NOT_TOLD, eby, rid);
    if (rc == TX_OK)
        rc = tx_conn_execf(c, err, "UPDATE run_journal SET resolved_by = '%s', changed_at = "
                           "UTC_TIMESTAMP(6)%s WHERE run_id = '%s'", eby,
                           complete ? "" : ", state = 'undone'", rid);
    if (rc == TX_OK)
        rc = tx_conn_commit(c, err);
    if (rc != TX_OK) {
        tx_error ignore = {0};
        tx_conn_rollback(c, &ignore);
    }
    return rc;
}

int tx_mdb_journal_resolve(tx_store *s, const char *run_id, int complete, const char *by,
                           tx_error *err)
{
    tx_store_journal j;
    memset(&j, 0, sizeof j);
    int rc = tx_mdb_journal_state(s, run_id, &j, err);
    char rid[160];
    esc(s, rid, run_id);
    if (rc != TX_OK)
        return rc;
    if (complete) {
        if (j.state == TX_JOURNAL_STAGED)
            rc = tx_mdb_apply_run(s, run_id, j.backfill, 1, err);
    } else if (j.backfill && (j.state == TX_JOURNAL_OPEN || j.state == TX_JOURNAL_STAGED)) {
        /* the table was empty when the run began: emptying it undoes the run */
        rc = tx_conn_exec(s->conn, "TRUNCATE TABLE TransactionsOptimized", err);
        if (rc == TX_OK)
            rc = tx_mdb_repair_indexes(s, err);
        if (rc == TX_OK)
            rc = tx_mdb_revenue_rebuild(s->conn, err);
        if (rc == TX_OK)
            rc = tx_conn_exec(s->conn, "DELETE FROM shard_state WHERE name = 'revenue_dirty'",
                              err);
        if (rc == TX_OK)
            s->revenue_dirty = 0;
    }
    if (rc == TX_OK && !complete)
        rc = tx_conn_execf(s->conn, err, "DELETE FROM shard_map WHERE created_run = '%s'", rid);
    if (rc == TX_OK)
        rc = record_outcome(s, rid, complete, by, err);
    return rc;
}
