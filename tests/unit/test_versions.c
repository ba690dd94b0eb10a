/* test_versions.c - docs/load.md (and §2's columns a file does not have) as the versions module
 * decides it (src/versions): every rule and precedence on hand-made cases, then thousands of
 * random histories (several runs each: inserts, updates, moves, deletes before inserts, ties,
 * reruns, resurrections; two files with random sets of optional columns) replayed through the
 * module and through a small reference model written here from the SPEC's words, comparing the
 * stored state, the rows on the date shards, the audit rows and the counts after every run; and
 * the load's sorter (src/load/spill.c) agreeing with the module's "best first" order. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "spill.h"
#include "xorshift.h"
#include "txetl/versions.h"

#define SEC INT64_C(1000000)

static uint64_t rng_state = 0x2545f4914f6cdd1du;
static uint64_t rnd(void)
{
    return xorshift64(&rng_state);
}

/* A version as the parser leaves it (text tails zeroed). */
static tx_record ver(uint64_t id, int64_t lu_s, uint32_t file, uint64_t off, int32_t date, char op,
                     int64_t cents, const char *cat)
{
    tx_record r;
    memset(&r, 0, sizeof r);
    r.transaction_id = id;
    r.customer_id = 7;
    r.last_updated_us = lu_s * SEC;
    r.file_index = file;
    r.offset = off;
    r.date = date;
    r.op = op;
    r.amount_cents = cents;
    memcpy(r.currency, "USD", 3);
    r.category_len = (uint8_t)strlen(cat);
    memcpy(r.category, cat, r.category_len);
    return r;
}

static tx_stored stored(int32_t date, int64_t lu_s, int deleted, int64_t cents, const char *cat)
{
    tx_stored s;
    memset(&s, 0, sizeof s);
    s.found = 1;
    s.deleted = deleted;
    s.date = date;
    s.last_updated_us = lu_s * SEC;
    s.amount_cents = cents;
    s.category_len = (uint8_t)strlen(cat);
    memcpy(s.category, cat, s.category_len);
    return s;
}

static const tx_stored nothing; /* found = 0 */

static int cmp_best(const void *a, const void *b)
{
    return tx_versions_cmp(a, b);
}

/* Decides v[0..k) (sorted best first here) against st; checks the call succeeds and the counts
 * reconcile: read = k = inserted + updated + moved + deleted + stale + superseded. */
static tx_versions_outcome decide(const tx_stored *st, tx_record *v, size_t k, int audit_inserts)
{
    qsort(v, k, sizeof *v, cmp_best);
    tx_versions_opts o = {.audit_inserts = audit_inserts};
    tx_versions_outcome out;
    memset(&out, 0xa5, sizeof out); /* nothing may be left unset */
    tx_error err = {0};
    CHECK_MSG(tx_versions_decide(&o, st, v, k, &out, &err) == TX_OK, "%s", err.msg);
    const tx_run_counts *c = &out.counts;
    CHECK(c->read == k && c->rejected == 0);
    CHECK(c->read == c->inserted + c->updated + c->moved + c->deleted + c->stale + c->superseded);
    CHECK(out.winner == 0 && out.transaction_id == v[0].transaction_id);
    CHECK(memcmp(&out.old, st, sizeof *st) == 0);
    if (!out.entry_changed)
        CHECK(memcmp(&out.entry, st, sizeof *st) == 0);
    return out;
}

static int same_entry_as(const tx_stored *e, const tx_record *v)
{
    return e->found && e->deleted == (v->op == 'D') && e->date == v->date &&
           e->last_updated_us == v->last_updated_us && e->amount_cents == v->amount_cents &&
           e->category_len == v->category_len &&
           !memcmp(e->category, v->category, v->category_len) && e->payment_len == v->payment_len && !memcmp(e->payment, v->payment, v->payment_len) &&
           !memcmp(e->currency, v->currency, 3);
}

/* Sets payment_method and currency fields (tx_record's and tx_stored's are alike). */
static void set_pay(char payment[TX_PAYMENT_MAX], uint8_t *len, char currency[3], const char *pay,
                    const char *cur)
{
    memset(payment, 0, TX_PAYMENT_MAX);
    *len = (uint8_t)strlen(pay);
    memcpy(payment, pay, *len);
    memcpy(currency, cur, 3);
}

/* A version's payment_method and currency (ver() gives "" and USD, the defaults). */
static tx_record with_pay(tx_record r, const char *pay, const char *cur)
{
    set_pay(r.payment, &r.payment_len, r.currency, pay, cur);
    return r;
}

static tx_stored stored_pay(tx_stored s, const char *pay, const char *cur)
{
    set_pay(s.payment, &s.payment_len, s.currency, pay, cur);
    return s;
}

static int row_is(const tx_record *r, const char *cat, const char *pay, const char *cur)
{
    return r->category_len == strlen(cat) && !memcmp(r->category, cat, r->category_len) &&
           r->payment_len == strlen(pay) && !memcmp(r->payment, pay, r->payment_len) &&
           !memcmp(r->currency, cur, 3);
}

static int entry_is(const tx_stored *e, const char *cat, const char *pay, const char *cur)
{
    return e->category_len == strlen(cat) && !memcmp(e->category, cat, e->category_len) &&
           e->payment_len == strlen(pay) && !memcmp(e->payment, pay, e->payment_len) &&
           !memcmp(e->currency, cur, 3);
}

static void test_order(void)
{
    tx_record a = ver(1, 20, 0, 10, 100, 'U', 1, ""), b = ver(1, 10, 5, 999, 100, 'U', 2, "");
    CHECK(tx_versions_cmp(&a, &b) < 0 && tx_versions_cmp(&b, &a) > 0); /* newer first */
    b = ver(1, 20, 0, 50, 100, 'U', 2, "");
    CHECK(tx_versions_cmp(&b, &a) < 0); /* equal last_updated: the later offset first */
    b = ver(1, 20, 1, 0, 100, 'U', 2, "");
    CHECK(tx_versions_cmp(&b, &a) < 0); /* a later file beats any offset of an earlier one */
    CHECK(tx_versions_cmp(&a, &a) == 0);
}

static void test_newest_wins(void)
{
    tx_record v[3] = {ver(1, 10, 0, 10, 100, 'U', 111, "a"), ver(1, 30, 0, 20, 100, 'U', 333, "c"),
                      ver(1, 20, 0, 30, 100, 'U', 222, "b")};
    tx_versions_outcome o = decide(&nothing, v, 3, 0);
    CHECK(o.action == TX_ACT_INSERT && o.winner_class == TX_CLASS_INSERTED);
    CHECK(o.write_row && o.row.amount_cents == 333 && !o.remove_old);
    CHECK(o.counts.inserted == 1 && o.counts.superseded == 2 && o.counts.stale == 0);
    CHECK(o.entry_changed && same_entry_as(&o.entry, &v[0]));
    CHECK(!o.audit); /* an insert without --audit-inserts */
    CHECK(tx_versions_class(&o, v, 1) == TX_CLASS_SUPERSEDED);
}

static void test_ties(void)
{
    /* equal last_updated in one run: the later input position wins */
    tx_record v[3] = {ver(1, 10, 0, 500, 100, 'U', 1, ""), ver(1, 10, 1, 20, 100, 'U', 2, ""),
                      ver(1, 10, 0, 900, 100, 'U', 3, "")};
    tx_versions_outcome o = decide(&nothing, v, 3, 0);
    CHECK(o.row.amount_cents == 2 && o.counts.superseded == 2);
    /* equal last_updated against stored: the stored one stays (whatever the position) */
    tx_stored st = stored(100, 10, 0, 5, "s");
    tx_record w = ver(1, 10, 9, 9999, 200, 'U', 6, "t");
    o = decide(&st, &w, 1, 1);
    CHECK(o.action == TX_ACT_NONE && o.winner_class == TX_CLASS_STALE && o.counts.stale == 1);
    CHECK(!o.write_row && !o.remove_old && !o.entry_changed && !o.audit);
    /* a tie with a tombstone: it stays deleted */
    st = stored(100, 10, 1, 5, "s");
    o = decide(&st, &w, 1, 1);
    CHECK(o.action == TX_ACT_NONE && o.counts.stale == 1 && !o.write_row);
}

static void test_update_and_move(void)
{
    tx_stored st = stored(100, 10, 0, 500, "old");
    tx_record v = ver(1, 11, 0, 0, 100, 'U', 600, "new");
    tx_versions_outcome o = decide(&st, &v, 1, 0);
    CHECK(o.action == TX_ACT_UPDATE && o.counts.updated == 1 && o.write_row && !o.remove_old);
    CHECK(o.audit && o.audit_old && o.audit_new);
    CHECK(!strcmp(tx_versions_action_name(o.action), "update"));
    CHECK(o.old.amount_cents == 500 && o.entry.amount_cents == 600);
    /* another date: written at the new date, removed at the old */
    v = ver(1, 11, 0, 0, 250, 'U', 600, "new");
    o = decide(&st, &v, 1, 0);
    CHECK(o.action == TX_ACT_MOVE && o.counts.moved == 1);
    CHECK(o.write_row && o.row.date == 250 && o.remove_old && o.old.date == 100);
    CHECK(o.audit && o.audit_old && o.audit_new && o.entry.date == 250);
    CHECK(!strcmp(tx_versions_action_name(o.action), "move"));
    CHECK(!memcmp(&o.row, &v, sizeof v)); /* today the row is the winner verbatim */
}

static void test_delete(void)
{
    /* a winning D removes the stored row */
    tx_stored st = stored(100, 10, 0, 500, "old");
    tx_record v[2] = {ver(1, 20, 0, 0, 100, 'D', 0, ""), ver(1, 15, 0, 10, 100, 'U', 1, "")};
    tx_versions_outcome o = decide(&st, v, 2, 0);
    CHECK(o.action == TX_ACT_DELETE && o.counts.deleted == 1 && o.counts.superseded == 1);
    CHECK(!o.write_row && o.remove_old && o.old.date == 100);
    CHECK(o.entry.found && o.entry.deleted && o.entry.last_updated_us == 20 * SEC);
    CHECK(o.audit && o.audit_old && !o.audit_new);
    CHECK(!strcmp(tx_versions_action_name(o.action), "delete"));
    /* and keeps it removed: an older U later in the same run ... */
    tx_record w[2] = {ver(1, 20, 0, 0, 100, 'D', 0, ""), ver(1, 19, 3, 99, 300, 'U', 1, "")};
    o = decide(&nothing, w, 2, 0);
    CHECK(o.action == TX_ACT_DELETE && !o.write_row && o.counts.superseded == 1);
    /* ... or in a later run */
    tx_stored tomb = o.entry;
    tx_record u = ver(1, 19, 3, 99, 300, 'U', 1, "");
    o = decide(&tomb, &u, 1, 1);
    CHECK(o.action == TX_ACT_NONE && o.counts.stale == 1 && !o.write_row && !o.entry_changed);
    /* a delete of a never-stored transaction counts as deleted, leaves a tombstone */
    tx_record d = ver(2, 5, 0, 0, 100, 'D', 0, "");
    o = decide(&nothing, &d, 1, 0);
    CHECK(o.action == TX_ACT_DELETE && o.counts.deleted == 1 && !o.remove_old && !o.write_row);
    CHECK(o.entry_changed && o.entry.found && o.entry.deleted);
    CHECK(o.audit && !o.audit_old && !o.audit_new);
    /* a newer D over a tombstone: counted deleted, nothing to remove */
    tx_stored t2 = stored(100, 10, 1, 0, "");
    d = ver(1, 11, 0, 0, 200, 'D', 0, "");
    o = decide(&t2, &d, 1, 0);
    CHECK(o.action == TX_ACT_DELETE && o.counts.deleted == 1 && !o.remove_old && !o.audit_old);
}

static void test_stale_and_precedence(void)
{
    /* a version older than stored: stale, nothing changes */
    tx_stored st = stored(100, 50, 0, 500, "old");
    tx_record v = ver(1, 40, 0, 0, 300, 'D', 0, "");
    tx_versions_outcome o = decide(&st, &v, 1, 1);
    CHECK(o.action == TX_ACT_NONE && o.counts.stale == 1 && !o.remove_old && !o.audit);
    /* losers inside the run: stale when not newer than stored, superseded when newer */
    tx_record w[4] = {ver(1, 60, 0, 0, 100, 'U', 1, ""), ver(1, 55, 0, 1, 100, 'U', 2, ""),
                      ver(1, 45, 0, 2, 100, 'U', 3, ""), ver(1, 50, 0, 3, 100, 'U', 4, "")};
    o = decide(&st, w, 4, 0);
    CHECK(o.action == TX_ACT_UPDATE && o.counts.updated == 1);
    CHECK(o.counts.superseded == 1 && o.counts.stale == 2);
    for (size_t i = 0; i < 4; i++) {
        int64_t lu = w[i].last_updated_us / SEC;
        tx_count_class want = lu == 60 ? TX_CLASS_UPDATED
                              : lu == 55 ? TX_CLASS_SUPERSEDED : TX_CLASS_STALE;
        CHECK_MSG(tx_versions_class(&o, w, i) == want, "version lu %" PRId64, lu);
    }
    /* the run's winner stale too: every version is stale */
    tx_record x[2] = {ver(1, 50, 0, 0, 100, 'U', 1, ""), ver(1, 30, 0, 1, 100, 'U', 2, "")};
    o = decide(&st, x, 2, 0);
    CHECK(o.action == TX_ACT_NONE && o.counts.stale == 2 && o.counts.superseded == 0);
    CHECK(tx_versions_class(&o, x, 0) == TX_CLASS_STALE);
    /* nothing stored: every loser is superseded */
    o = decide(&nothing, x, 2, 0);
    CHECK(o.counts.inserted == 1 && o.counts.superseded == 1);
}

static void test_resurrection_and_audit_inserts(void)
{
    tx_stored tomb = stored(100, 50, 1, 0, "");
    tx_record v = ver(1, 60, 0, 0, 200, 'U', 9, "back");
    tx_versions_outcome o = decide(&tomb, &v, 1, 0);
    CHECK(o.action == TX_ACT_INSERT && o.counts.inserted == 1 && o.write_row);
    CHECK(!o.remove_old && !o.audit); /* no live copy to remove; an insert */
    CHECK(!o.entry.deleted && o.entry.date == 200);
    o = decide(&tomb, &v, 1, 1);
    CHECK(o.audit && !o.audit_old && o.audit_new);
    CHECK(!strcmp(tx_versions_action_name(o.action), "insert"));
    /* with no options at all, no audit for inserts */
    tx_versions_outcome p;
    tx_error err = {0};
    CHECK(tx_versions_decide(NULL, &nothing, &v, 1, &p, &err) == TX_OK && !p.audit);
    CHECK(tx_versions_action_name(TX_ACT_NONE) == NULL);
}

static void test_refusals(void)
{
    tx_versions_outcome o;
    tx_error err = {0};
    tx_record v[2] = {ver(1, 10, 0, 0, 100, 'U', 1, ""), ver(1, 20, 0, 1, 100, 'U', 2, "")};
    CHECK(tx_versions_decide(NULL, &nothing, v, 0, &o, &err) == TX_ERR);
    tx_error_clear(&err);
    CHECK(tx_versions_decide(NULL, &nothing, v, 2, &o, &err) == TX_ERR); /* not best first */
    CHECK(strstr(err.msg, "best first") != NULL);
    tx_error_clear(&err);
    v[1] = ver(2, 5, 0, 1, 100, 'U', 2, "");
    CHECK(tx_versions_decide(NULL, &nothing, v, 2, &o, &err) == TX_ERR); /* two ids */
}

/* docs/input.md "Columns a file does not have": decisions with per-file column masks. File 0 has
 * every optional column, file 1 none of them, file 2 only currency. */
static tx_versions_outcome decide_cols(const tx_stored *st, tx_record *v, size_t k)
{
    static const unsigned cols[3] = {TX_VCOL_ALL, 0, TX_VCOL_CURRENCY};
    qsort(v, k, sizeof *v, cmp_best);
    tx_versions_opts o = {.audit_inserts = 1, .file_cols = cols, .nfiles = 3};
    tx_versions_outcome out;
    memset(&out, 0xa5, sizeof out);
    tx_error err = {0};
    CHECK_MSG(tx_versions_decide(&o, st, v, k, &out, &err) == TX_OK, "%s", err.msg);
    return out;
}

static void test_absent_columns(void)
{
    tx_stored st = stored_pay(stored(100, 10, 0, 500, "home & garden"), "card", "EUR");
    /* the user's case: id, customer, date, amount, last_updated only -> an update keeps all */
    tx_record v = ver(6, 11, 1, 0, 100, 'U', 600, ""); /* parser defaults: "", "", USD */
    tx_versions_outcome o = decide_cols(&st, &v, 1);
    CHECK(o.action == TX_ACT_UPDATE && o.row.amount_cents == 600);
    CHECK(row_is(&o.row, "home & garden", "card", "EUR"));
    CHECK(entry_is(&o.entry, "home & garden", "card", "EUR") && o.entry.amount_cents == 600);
    CHECK(o.audit_old && o.audit_new && entry_is(&o.old, "home & garden", "card", "EUR"));
    /* a move across dates (shards) builds the new copy from the stored values */
    v = ver(6, 11, 1, 0, 20000, 'U', 700, "");
    o = decide_cols(&st, &v, 1);
    CHECK(o.action == TX_ACT_MOVE && o.remove_old && o.old.date == 100 && o.row.date == 20000);
    CHECK(row_is(&o.row, "home & garden", "card", "EUR") && o.row.customer_id == 7);
    CHECK(entry_is(&o.entry, "home & garden", "card", "EUR") && o.entry.date == 20000);
    /* a full file overwrites every optional column; present but empty = the default */
    v = with_pay(ver(6, 11, 0, 0, 100, 'U', 600, ""), "", "USD");
    o = decide_cols(&st, &v, 1);
    CHECK(o.action == TX_ACT_UPDATE && row_is(&o.row, "", "", "USD"));
    CHECK(entry_is(&o.entry, "", "", "USD"));
    v = with_pay(ver(6, 11, 0, 0, 20000, 'U', 600, "toys"), "cash", "JPY");
    o = decide_cols(&st, &v, 1);
    CHECK(o.action == TX_ACT_MOVE && row_is(&o.row, "toys", "cash", "JPY"));
    /* only currency present: it is overwritten, category and payment kept */
    v = with_pay(ver(6, 11, 2, 0, 100, 'U', 600, ""), "", "GBP");
    o = decide_cols(&st, &v, 1);
    CHECK(row_is(&o.row, "home & garden", "card", "GBP"));
    /* the winner from the partial file, a newer-than-stored loser from the full file: the
     * loser's values reach nothing */
    tx_record w[2] = {ver(6, 12, 1, 0, 100, 'U', 600, ""),
                      with_pay(ver(6, 11, 0, 5, 100, 'U', 1, "loser"), "wire", "CHF")};
    o = decide_cols(&st, w, 2);
    CHECK(o.action == TX_ACT_UPDATE && o.counts.superseded == 1 && o.row.amount_cents == 600);
    CHECK(row_is(&o.row, "home & garden", "card", "EUR"));
    /* ... and the other way round: the full file's winner overwrites */
    tx_record x[2] = {with_pay(ver(6, 12, 0, 0, 100, 'U', 600, "new"), "wire", "CHF"),
                      ver(6, 11, 1, 5, 100, 'U', 1, "")};
    o = decide_cols(&st, x, 2);
    CHECK(row_is(&o.row, "new", "wire", "CHF"));
    /* an insert from the partial file takes the defaults */
    v = ver(7, 11, 1, 0, 100, 'U', 600, "");
    o = decide_cols(&nothing, &v, 1);
    CHECK(o.action == TX_ACT_INSERT && row_is(&o.row, "", "", "USD"));
    CHECK(entry_is(&o.entry, "", "", "USD") && o.audit && !o.audit_old);
    /* so does a resurrection over a tombstone that holds non-default values */
    tx_stored tomb = stored_pay(stored(100, 10, 1, 500, "home & garden"), "card", "EUR");
    o = decide_cols(&tomb, &v, 1);
    CHECK(o.action == TX_ACT_INSERT && row_is(&o.row, "", "", "USD") && !o.remove_old);
    /* a delete from the partial file: a tombstone, nothing written */
    v = ver(6, 11, 1, 0, 100, 'D', 0, "");
    o = decide_cols(&st, &v, 1);
    CHECK(o.action == TX_ACT_DELETE && !o.write_row && o.entry.deleted && !o.audit_new);
    CHECK(entry_is(&o.old, "home & garden", "card", "EUR") && o.audit_old);
    /* stale from the partial file: nothing changes */
    v = ver(6, 10, 1, 0, 100, 'U', 1, "");
    o = decide_cols(&st, &v, 1);
    CHECK(o.action == TX_ACT_NONE && !o.entry_changed && entry_is(&o.entry, "home & garden",
                                                                   "card", "EUR"));
    /* a winner of a file the options do not know: a broken invariant, refused */
    static const unsigned one[1] = {0};
    tx_versions_opts bad = {.file_cols = one, .nfiles = 1};
    tx_error err = {0};
    v = ver(6, 11, 1, 0, 100, 'U', 1, "");
    CHECK(tx_versions_decide(&bad, &st, &v, 1, &o, &err) == TX_ERR);
    CHECK(strstr(err.msg, "file index 1") != NULL);
    /* without file_cols every file has every column (today's callers) */
    tx_versions_opts none = {0};
    tx_error_clear(&err);
    CHECK(tx_versions_decide(&none, &st, &v, 1, &o, &err) == TX_OK && row_is(&o.row, "", "",
                                                                            "USD"));
}

/* The column mask of a parsed header. */
static void test_header_cols(void)
{
    static const struct {
        const char *line;
        unsigned want;
    } hs[] = {
        {"transaction_id,customer_id,transaction_date,transaction_amount,last_updated", 0},
        {"transaction_id,customer_id,transaction_date,transaction_amount,transaction_category,"
         "payment_method,currency,last_updated,op", TX_VCOL_ALL},
        {"CURRENCY,transaction_id,customer_id,transaction_date,transaction_amount,op",
         TX_VCOL_CURRENCY},
        {"transaction_id,customer_id,Payment_Method,transaction_date,transaction_amount,"
         "transaction_category,extra", TX_VCOL_PAYMENT | TX_VCOL_CATEGORY},
    };
    for (size_t i = 0; i < sizeof hs / sizeof *hs; i++) {
        tx_header h;
        tx_error err = {0};
        CHECK_MSG(tx_header_parse(hs[i].line, strlen(hs[i].line), "h.csv", &h, &err) == TX_OK,
                  "%s", err.msg);
        CHECK_MSG(tx_versions_header_cols(&h) == hs[i].want, "header %zu: %u, expected %u", i,
                  tx_versions_header_cols(&h), hs[i].want);
    }
}

/* ---- random histories against a reference model --------------------------------------- */

enum { NIDS = 10, NDATES = 3, NRUNS = 7, MAXV = 40, HISTORIES = 4000 };
static const int32_t dates[NDATES] = {18000, 18031, 20000};

/* The reference: every version ever given, with its run. The stored state of an id is the
 * best of them by docs/load.md's words: the greatest last_updated; among equal ones the earliest
 * run (the stored one stays); within that run the later input position. */
typedef struct hver {
    tx_record r;
    int run;
} hver;

static int ref_better(const hver *a, const hver *b)
{
    if (a->r.last_updated_us != b->r.last_updated_us)
        return a->r.last_updated_us > b->r.last_updated_us;
    if (a->run != b->run)
        return a->run < b->run;
    if (a->r.file_index != b->r.file_index)
        return a->r.file_index > b->r.file_index;
    return a->r.offset > b->r.offset;
}

/* The best version of id among hist[0..n), or NULL. */
static const hver *ref_best(const hver *hist, size_t n, uint64_t id)
{
    const hver *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (hist[i].r.transaction_id == id && (!best || ref_better(&hist[i], best)))
            best = &hist[i];
    return best;
}

/* The reference's optional columns, by docs/input.md's words: the value of a column in the stored
 * row is that of the newest stored version, since the transaction last appeared (nothing or a
 * tombstone before it), whose file had the column; if none had it, the value the version that
 * made it appear carries (the parser's default). chain[0..n) are the versions that became the
 * stored state of one id, oldest first; chain[n - 1] is live. */
static tx_record ref_row(const hver *const *chain, size_t n, const unsigned *masks)
{
    tx_record r = chain[n - 1]->r;
    for (unsigned col = TX_VCOL_CATEGORY; col <= TX_VCOL_CURRENCY; col <<= 1) {
        size_t j = n - 1;
        while (!(masks[chain[j]->r.file_index] & col) && j > 0 && chain[j - 1]->r.op != 'D')
            j--;
        const tx_record *src = &chain[j]->r;
        if (col == TX_VCOL_CATEGORY) {
            memcpy(r.category, src->category, sizeof r.category);
            r.category_len = src->category_len;
        } else if (col == TX_VCOL_PAYMENT) {
            memcpy(r.payment, src->payment, sizeof r.payment);
            r.payment_len = src->payment_len;
        } else {
            memcpy(r.currency, src->currency, 3);
        }
    }
    return r;
}

typedef struct audit_rec {
    uint64_t id;
    const char *action;
    int has_old, has_new;
    int32_t old_date, new_date;
    int64_t old_cents, new_cents, old_lu, new_lu;
    char old_text[TX_CATEGORY_MAX + TX_PAYMENT_MAX + 8]; /* "category|payment|currency" */
    char new_text[TX_CATEGORY_MAX + TX_PAYMENT_MAX + 8];
} audit_rec;

/* "category|payment|currency" of a live row. */
static void texts(char *out, const char *cat, size_t cl, const char *pay, size_t pl,
                  const char *cur)
{
    snprintf(out, TX_CATEGORY_MAX + TX_PAYMENT_MAX + 8, "%.*s|%.*s|%.3s", (int)cl, cat, (int)pl,
             pay, cur);
}

static int audit_eq(const audit_rec *a, const audit_rec *b)
{
    return a->id == b->id && !strcmp(a->action, b->action) && a->has_old == b->has_old &&
           a->has_new == b->has_new && a->new_lu == b->new_lu &&
           (!a->has_old || (a->old_date == b->old_date && a->old_cents == b->old_cents &&
                            a->old_lu == b->old_lu && !strcmp(a->old_text, b->old_text))) &&
           (!a->has_new || (a->new_date == b->new_date && a->new_cents == b->new_cents &&
                            !strcmp(a->new_text, b->new_text)));
}

static int date_index(int32_t d)
{
    for (int i = 0; i < NDATES; i++)
        if (dates[i] == d)
            return i;
    return -1;
}

static int cmp_id_best(const void *pa, const void *pb)
{
    const tx_record *a = pa, *b = pb;
    if (a->transaction_id != b->transaction_id)
        return a->transaction_id < b->transaction_id ? -1 : 1;
    return tx_versions_cmp(a, b);
}

/* One history: NRUNS runs of random versions of NIDS ids, from two files with random sets of
 * optional columns (absent ones hold the parser's defaults). Returns the failures it found. */
static int one_history(int h, hver *hist, tx_record *run, tx_record *prev_run, size_t *prev_n,
                       uint64_t *totals)
{
    int fails = 0, audit_inserts = (int)(rnd() % 2);
    unsigned masks[2] = {(unsigned)(rnd() % 8), (unsigned)(rnd() % 8)};
    if (h % 4 == 0)
        masks[0] = masks[1] = TX_VCOL_ALL; /* the histories of every file having every column */
    const hver *chain[NIDS][NRUNS]; /* the reference: stored versions of each id, oldest first */
    size_t nchain[NIDS] = {0};
    size_t nhist = 0;
    tx_stored dir[NIDS];              /* the module's directory */
    int have[NIDS][NDATES];           /* the module's date shards: rows present by (id, date) */
    tx_record rows[NIDS][NDATES];
    memset(dir, 0, sizeof dir);
    memset(have, 0, sizeof have);
    *prev_n = 0;
    for (int r = 0; r < NRUNS; r++) {
        size_t n;
        if (*prev_n && rnd() % 6 == 0) { /* a rerun of the same input changes nothing */
            n = *prev_n;
            memcpy(run, prev_run, n * sizeof *run);
        } else {
            n = rnd() % MAXV;
            static const char *const pays[] = {"", "card", "cash"}, *const curs[] = {"USD",
                                                                                    "EUR", "JPY"};
            for (size_t i = 0; i < n; i++) {
                char cat[4] = {(char)('a' + rnd() % 3), 0};
                uint32_t f = (uint32_t)(rnd() % 2);
                run[i] = with_pay(ver(1 + rnd() % NIDS, (int64_t)(rnd() % 8), f, i * 7,
                                      dates[rnd() % NDATES], rnd() % 4 ? 'U' : 'D',
                                      (int64_t)(rnd() % 5), masks[f] & TX_VCOL_CATEGORY ? cat : ""),
                                  masks[f] & TX_VCOL_PAYMENT ? pays[rnd() % 3] : "",
                                  masks[f] & TX_VCOL_CURRENCY ? curs[rnd() % 3] : "USD");
            }
        }
        memcpy(prev_run, run, n * sizeof *run);
        *prev_n = n;
        size_t hist0 = nhist;
        for (size_t i = 0; i < n; i++)
            hist[nhist++] = (hver){run[i], r};

        /* the module: versions sorted as the load sorts them, one decision per id */
        tx_record *sorted = prev_run + MAXV; /* scratch after the kept copy */
        memcpy(sorted, run, n * sizeof *run);
        qsort(sorted, n, sizeof *sorted, cmp_id_best);
        tx_run_counts got = {0};
        audit_rec ma[NIDS], ra[NIDS];
        size_t nma = 0, nra = 0;
        tx_versions_opts opts = {.audit_inserts = audit_inserts, .file_cols = masks, .nfiles = 2};
        for (size_t a = 0, b; a < n; a = b) {
            for (b = a + 1; b < n && sorted[b].transaction_id == sorted[a].transaction_id; b++)
                ;
            size_t id = (size_t)sorted[a].transaction_id - 1;
            tx_versions_outcome o;
            tx_error err = {0};
            if (tx_versions_decide(&opts, &dir[id], &sorted[a], b - a, &o, &err) != TX_OK) {
                fails++;
                continue;
            }
            tx_versions_tally(&got, &o);
            if ((o.action == TX_ACT_UPDATE || o.action == TX_ACT_MOVE) &&
                !row_is(&o.row, "", "", "USD") &&
                memcmp(&o.row, &sorted[a], sizeof o.row) != 0)
                totals[6]++; /* a stored value kept for a column the winner's file lacks */
            if (o.remove_old) {
                int di = date_index(o.old.date);
                fails += !have[id][di]; /* removing a copy that is not there */
                have[id][di] = 0;
            }
            if (o.write_row) {
                int di = date_index(o.row.date);
                have[id][di] = 1;
                rows[id][di] = o.row;
            }
            if (o.entry_changed)
                dir[id] = o.entry;
            if (o.audit) {
                audit_rec *m = &ma[nma++];
                *m = (audit_rec){o.transaction_id, tx_versions_action_name(o.action),
                                 o.audit_old, o.audit_new, o.old.date, o.entry.date,
                                 o.old.amount_cents, o.entry.amount_cents,
                                 o.old.last_updated_us, o.entry.last_updated_us, "", ""};
                if (o.audit_old)
                    texts(m->old_text, o.old.category, o.old.category_len, o.old.payment,
                          o.old.payment_len, o.old.currency);
                if (o.audit_new)
                    texts(m->new_text, o.entry.category, o.entry.category_len, o.entry.payment,
                          o.entry.payment_len, o.entry.currency);
            }
        }

        /* the reference: classes from the stored state before and after this run */
        tx_run_counts want = {0};
        want.read = n;
        for (uint64_t id = 1; id <= NIDS; id++) {
            const hver *before = ref_best(hist, hist0, id), *after = ref_best(hist, nhist, id);
            const hver **ch = chain[id - 1];
            size_t *nch = &nchain[id - 1];
            int live_before = before && before->r.op == 'U';
            tx_record ref_before = live_before ? ref_row(ch, *nch, masks) : (tx_record){0};
            if (after && after != before)
                ch[(*nch)++] = after; /* this run changed the stored state */
            int live = after && after->r.op == 'U';
            tx_record ref_after = live ? ref_row(ch, *nch, masks)
                                       : (after ? after->r : (tx_record){0});
            const char *act = NULL;
            for (size_t i = hist0; i < nhist; i++) {
                const hver *x = &hist[i];
                if (x->r.transaction_id != id)
                    continue;
                if (x == after) { /* this run's version is the new stored state */
                    if (x->r.op == 'D')
                        act = "delete", want.deleted++;
                    else if (!before || before->r.op == 'D')
                        act = "insert", want.inserted++;
                    else if (before->r.date == x->r.date)
                        act = "update", want.updated++;
                    else
                        act = "move", want.moved++;
                } else if (before && x->r.last_updated_us <= before->r.last_updated_us) {
                    want.stale++;
                } else {
                    want.superseded++;
                }
            }
            if (act && (strcmp(act, "insert") || audit_inserts)) {
                audit_rec *m = &ra[nra++];
                *m = (audit_rec){id, act, live_before, live, live_before ? before->r.date : 0,
                                 after->r.date, live_before ? before->r.amount_cents : 0,
                                 after->r.amount_cents,
                                 live_before ? before->r.last_updated_us : 0,
                                 after->r.last_updated_us, "", ""};
                if (live_before)
                    texts(m->old_text, ref_before.category, ref_before.category_len,
                          ref_before.payment, ref_before.payment_len, ref_before.currency);
                if (live)
                    texts(m->new_text, ref_after.category, ref_after.category_len,
                          ref_after.payment, ref_after.payment_len, ref_after.currency);
            }
            /* stored state and shard rows after the run (a tombstone's values are those of the
             * deleting version) */
            const tx_stored *d = &dir[id - 1];
            int ok = after ? same_entry_as(d, &ref_after) : !d->found;
            int copies = 0, right = 0;
            for (int di = 0; di < NDATES; di++)
                if (have[id - 1][di]) {
                    copies++;
                    right += live && dates[di] == after->r.date &&
                             !memcmp(&rows[id - 1][di], &ref_after, sizeof ref_after);
                }
            ok = ok && copies == live && right == live;
            if (!ok && fails++ < 5)
                fprintf(stderr, "history %d run %d id %" PRIu64 ": stored state or rows differ "
                        "(module found %d deleted %d lu %" PRId64 ", copies %d)\n", h, r, id,
                        d->found, d->deleted, d->last_updated_us, copies);
        }
        uint64_t sum = got.inserted + got.updated + got.moved + got.deleted + got.stale +
                       got.superseded;
        if (memcmp(&got, &want, sizeof got) != 0 || sum != got.read) {
            if (fails++ < 5)
                fprintf(stderr, "history %d run %d: counts read %" PRIu64 "/%" PRIu64
                        " ins %" PRIu64 "/%" PRIu64 " upd %" PRIu64 "/%" PRIu64 " mov %" PRIu64
                        "/%" PRIu64 " del %" PRIu64 "/%" PRIu64 " stale %" PRIu64 "/%" PRIu64
                        " sup %" PRIu64 "/%" PRIu64 " (module/reference)\n", h, r, got.read,
                        want.read, got.inserted, want.inserted, got.updated, want.updated,
                        got.moved, want.moved, got.deleted, want.deleted, got.stale, want.stale,
                        got.superseded, want.superseded);
        }
        int audits_ok = nma == nra;
        for (size_t i = 0; audits_ok && i < nma; i++)
            audits_ok = audit_eq(&ma[i], &ra[i]);
        if (!audits_ok && fails++ < 5)
            fprintf(stderr, "history %d run %d: audit rows differ (%zu vs %zu)\n", h, r, nma, nra);
        totals[0] += got.inserted, totals[1] += got.updated, totals[2] += got.moved;
        totals[3] += got.deleted, totals[4] += got.stale, totals[5] += got.superseded;
    }
    return fails;
}

static void test_random_histories(void)
{
    hver *hist = malloc((size_t)NRUNS * MAXV * sizeof *hist);
    tx_record *run = malloc(MAXV * sizeof *run), *keep = malloc(2 * MAXV * sizeof *keep);
    if (!hist || !run || !keep) {
        CHECK(!"out of memory");
        return;
    }
    uint64_t totals[7] = {0};
    size_t keep_n = 0;
    int fails = 0;
    for (int h = 0; h < HISTORIES; h++)
        fails += one_history(h, hist, run, keep, &keep_n, totals);
    CHECK_MSG(fails == 0, "%d differences over %d random histories", fails, HISTORIES);
    /* the histories reach every class (else the comparison proves little) */
    for (int c = 0; c < 6; c++)
        CHECK_MSG(totals[c] > 1000, "class %d seen only %" PRIu64 " times", c, totals[c]);
    CHECK_MSG(totals[6] > 1000, "stored values kept for absent columns only %" PRIu64 " times",
              totals[6]);
    printf("random histories: %d x %d runs: inserted %" PRIu64 " updated %" PRIu64 " moved %"
           PRIu64 " deleted %" PRIu64 " stale %" PRIu64 " superseded %" PRIu64 "; stored values "
           "kept for absent columns %" PRIu64 "\n", HISTORIES, NRUNS, totals[0], totals[1], totals[2], totals[3], totals[4], totals[5], totals[6]);
    free(hist);
    free(run);
    free(keep);
}

/* The load's sorter hands each transaction's versions over in the module's best-first order
 * (also through spilled runs), so decisions see what tx_versions_decide expects. */
static void test_sorter_agrees(void)
{
    enum { N = 5000 };
    tx_error err = {0};
    tx_sorter *s = NULL;
    CHECK(tx_sorter_new(512, &s, &err) == TX_OK);
    for (size_t i = 0; i < N && s; i++) {
        tx_record r = ver(1 + rnd() % 200, (int64_t)(rnd() % 4), (uint32_t)(rnd() % 3),
                          rnd() % 100000, dates[rnd() % NDATES], rnd() % 4 ? 'U' : 'D', 1, "x");
        CHECK(tx_sorter_add(s, 0, &r, &err) == TX_OK);
    }
    CHECK_MSG(s && tx_sorter_finish(s, &err) == TX_OK, "%s", err.msg);
    tx_record prev = {0}, cur;
    size_t got = 0, bad = 0;
    int shard;
    while (s && tx_sorter_next(s, &shard, &cur, &err) == 1) {
        if (got && prev.transaction_id == cur.transaction_id && tx_versions_cmp(&prev, &cur) > 0)
            bad++;
        prev = cur;
        got++;
    }
    CHECK(got == N && bad == 0);
    tx_sorter_free(&s);
}

int main(void)
{
    test_order();
    test_newest_wins();
    test_ties();
    test_update_and_move();
    test_delete();
    test_stale_and_precedence();
    test_resurrection_and_audit_inserts();
    test_refusals();
    test_absent_columns();
    test_header_cols();
    test_random_histories();
    test_sorter_agrees();
    return check_report("test_versions");
}
