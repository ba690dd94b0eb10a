/* versions.c - docs/load.md's decision for one transaction (see include/txetl/versions.h). */
#include "txetl/versions.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

int tx_versions_cmp(const tx_record *a, const tx_record *b)
{
    return tx_versions_order(a->last_updated_us, a->file_index, a->offset, b->last_updated_us,
                             b->file_index, b->offset);
}

/* A version is stale when something is stored (a live row or a tombstone) that is at least as
 * new: equal last_updated against the stored version keeps the stored one (reruns change
 * nothing). */
static int is_stale(const tx_stored *st, const tx_record *v)
{
    return st->found && v->last_updated_us <= st->last_updated_us;
}

/* The directory entry a winning version leaves: the row's values, a tombstone for op=D. */
static void entry_of(const tx_record *row, tx_stored *e)
{
    memset(e, 0, sizeof *e);
    e->found = 1;
    e->deleted = row->op == 'D';
    e->date = row->date;
    e->last_updated_us = row->last_updated_us;
    e->amount_cents = row->amount_cents;
    e->category_len = row->category_len;
    memcpy(e->category, row->category, row->category_len);
    e->payment_len = row->payment_len;
    memcpy(e->payment, row->payment, row->payment_len);
    memcpy(e->currency, row->currency, sizeof e->currency);
}

/* docs/input.md: an update or a move keeps the stored value of every optional column the winner's
 * file does not have (like ON DUPLICATE KEY UPDATE of the given columns only). Text tails past
 * the length stay zero, as the parser leaves them. */
static void keep_absent(unsigned cols, const tx_stored *st, tx_record *row)
{
    if (!(cols & TX_VCOL_CATEGORY)) {
        memset(row->category, 0, sizeof row->category);
        row->category_len = st->category_len;
        memcpy(row->category, st->category, st->category_len);
    }
    if (!(cols & TX_VCOL_PAYMENT)) {
        memset(row->payment, 0, sizeof row->payment);
        row->payment_len = st->payment_len;
        memcpy(row->payment, st->payment, st->payment_len);
    }
    if (!(cols & TX_VCOL_CURRENCY))
        memcpy(row->currency, st->currency, sizeof row->currency);
}

unsigned tx_versions_header_cols(const tx_header *h)
{
    unsigned c = 0;
    if (h->col_of[TX_COL_TRANSACTION_CATEGORY] >= 0)
        c |= TX_VCOL_CATEGORY;
    if (h->col_of[TX_COL_PAYMENT_METHOD] >= 0)
        c |= TX_VCOL_PAYMENT;
    if (h->col_of[TX_COL_CURRENCY] >= 0)
        c |= TX_VCOL_CURRENCY;
    return c;
}

/* Where in tx_run_counts each class is counted. */
static const size_t class_at[] = {
    [TX_CLASS_STALE] = offsetof(tx_run_counts, stale),
    [TX_CLASS_SUPERSEDED] = offsetof(tx_run_counts, superseded),
    [TX_CLASS_INSERTED] = offsetof(tx_run_counts, inserted),
    [TX_CLASS_UPDATED] = offsetof(tx_run_counts, updated),
    [TX_CLASS_MOVED] = offsetof(tx_run_counts, moved),
    [TX_CLASS_DELETED] = offsetof(tx_run_counts, deleted),
};
#define CLASS_COUNT(c, k) (*(uint64_t *)((char *)(c) + class_at[k]))

static void count(tx_run_counts *c, tx_count_class k) { CLASS_COUNT(c, k)++; }

int tx_versions_decide(const tx_versions_opts *opts, const tx_stored *st, const tx_record *v,
                       size_t k, tx_versions_outcome *out, tx_error *err)
{
    if (k == 0)
        return tx_error_set(err, TX_ERR, "versions: a transaction to decide without versions");
    for (size_t i = 1; i < k; i++)
        if (v[i].transaction_id != v[0].transaction_id || tx_versions_cmp(&v[i - 1], &v[i]) > 0)
            return tx_error_set(err, TX_ERR, "versions: transaction %" PRIu64 ": versions not "
                                "of one id, best first (at %zu of %zu)", v[0].transaction_id, i, k);
    unsigned cols = TX_VCOL_ALL;
    if (opts && opts->file_cols) {
        if (v[0].file_index >= opts->nfiles)
            return tx_error_set(err, TX_ERR, "versions: transaction %" PRIu64 ": file index %"
                                PRIu32 " of its winner, but %zu input files", v[0].transaction_id,
                                v[0].file_index, opts->nfiles);
        cols = opts->file_cols[v[0].file_index] & TX_VCOL_ALL;
    }
    memset(&out->counts, 0, sizeof out->counts);
    out->transaction_id = v[0].transaction_id;
    out->winner = 0;
    out->old = *st;
    out->counts.read = k;
    for (size_t i = 1; i < k; i++) /* the losers: older than stored, or newer but beaten */
        count(&out->counts, is_stale(st, &v[i]) ? TX_CLASS_STALE : TX_CLASS_SUPERSEDED);

    const tx_record *w = &v[0];
    int live = st->found && !st->deleted; /* a row exists at st->date */
    if (is_stale(st, w)) {
        out->action = TX_ACT_NONE;
        out->winner_class = TX_CLASS_STALE;
    } else if (w->op == 'D') {
        out->action = TX_ACT_DELETE; /* also for a never-stored or already deleted id */
        out->winner_class = TX_CLASS_DELETED;
    } else if (!live) {
        out->action = TX_ACT_INSERT; /* new, or a tombstone resurrected by a newer U */
        out->winner_class = TX_CLASS_INSERTED;
    } else if (st->date == w->date) {
        out->action = TX_ACT_UPDATE;
        out->winner_class = TX_CLASS_UPDATED;
    } else {
        out->action = TX_ACT_MOVE;
        out->winner_class = TX_CLASS_MOVED;
    }
    count(&out->counts, out->winner_class);

    int act = out->action;
    out->write_row = act == TX_ACT_INSERT || act == TX_ACT_UPDATE || act == TX_ACT_MOVE;
    if (out->write_row)
        out->row = *w;
    else
        memset(&out->row, 0, sizeof out->row);
    if (act == TX_ACT_UPDATE || act == TX_ACT_MOVE) /* an insert takes the defaults */
        keep_absent(cols, st, &out->row);
    out->remove_old = live && (act == TX_ACT_MOVE || act == TX_ACT_DELETE);
    out->entry_changed = act != TX_ACT_NONE;
    if (out->entry_changed)
        entry_of(out->write_row ? &out->row : w, &out->entry);
    else
        out->entry = *st;
    out->audit = act == TX_ACT_UPDATE || act == TX_ACT_MOVE || act == TX_ACT_DELETE ||
                 (act == TX_ACT_INSERT && opts && opts->audit_inserts);
    out->audit_old = out->audit && live;
    out->audit_new = out->audit && act != TX_ACT_DELETE;
    return TX_OK;
}

tx_count_class tx_versions_class(const tx_versions_outcome *o, const tx_record *v, size_t i)
{
    if (i == o->winner)
        return o->winner_class;
    return is_stale(&o->old, &v[i]) ? TX_CLASS_STALE : TX_CLASS_SUPERSEDED;
}

void tx_versions_tally(tx_run_counts *acc, const tx_versions_outcome *o)
{
    acc->read += o->counts.read;
    acc->rejected += o->counts.rejected;
    tx_run_counts add = o->counts;
    for (tx_count_class k = TX_CLASS_STALE; k <= TX_CLASS_DELETED; k++)
        CLASS_COUNT(acc, k) += CLASS_COUNT(&add, k);
}

const char *tx_versions_action_name(tx_action a)
{
    static const char *const names[] = {[TX_ACT_INSERT] = "insert", [TX_ACT_UPDATE] = "update",
                                        [TX_ACT_MOVE] = "move", [TX_ACT_DELETE] = "delete"};
    return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : NULL; /* NONE: NULL */
}
