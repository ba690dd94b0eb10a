/* versions.h - SPEC §4 as pure functions: given what is stored for a transaction and its
 * versions in this run, which version wins, what changes, how every version counts, whether an
 * audit row is due and what the directory holds afterwards. No SQL, no MPI, no I/O: the load
 * (src/load) turns an outcome into rows, removals, directory and audit rows. */
#ifndef TXETL_VERSIONS_H
#define TXETL_VERSIONS_H

#include <stddef.h>
#include <stdint.h>

#include "txetl/error.h"
#include "txetl/record.h"
#include "txetl/run.h"

/* The stored state of a transaction: its directory entry, the whole stored row but
 * customer_id (a winner always carries it: it is a required column). `found` = 0: never
 * stored (every other field zero). `deleted` = 1: a tombstone (a winning op=D); its
 * last_updated_us still decides staleness, the other values are those of the deleting version.
 * Fields are added at the end; code that copies or zero-fills a tx_stored keeps working. */
typedef struct tx_stored {
    int found, deleted;
    int32_t date;
    int64_t last_updated_us, amount_cents;
    uint8_t category_len;
    char category[TX_CATEGORY_MAX];
    uint8_t payment_len;
    char payment[TX_PAYMENT_MAX];
    char currency[3];
} tx_stored;

/* The optional columns a file's header may lack whose stored value an update or move then
 * keeps (SPEC §2 "Columns a file does not have"). last_updated and op are not among them: an
 * absent last_updated is the date at midnight, an absent op is U, as for any record. */
enum {
    TX_VCOL_CATEGORY = 1u << 0, /* transaction_category */
    TX_VCOL_PAYMENT = 1u << 1,  /* payment_method */
    TX_VCOL_CURRENCY = 1u << 2, /* currency */
    TX_VCOL_ALL = (1u << 3) - 1
};

/* What the winning version does to the stored state. */
typedef enum tx_action {
    TX_ACT_NONE = 0, /* the run's winner is not newer than stored: nothing changes (stale) */
    TX_ACT_INSERT,   /* nothing stored, or a tombstone: the transaction (re)appears */
    TX_ACT_UPDATE,   /* stored, same date: its row is replaced in place */
    TX_ACT_MOVE,     /* stored, another date: written at the new date, removed at the old */
    TX_ACT_DELETE,   /* op=D: removed (a tombstone is stored, also for a never-stored id) */
} tx_action;

/* How a version is counted (SPEC §4: each version exactly once). */
typedef enum tx_count_class {
    TX_CLASS_STALE = 0, /* not newer than the stored version */
    TX_CLASS_SUPERSEDED,/* lost to a later version of this run, but newer than stored */
    TX_CLASS_INSERTED,
    TX_CLASS_UPDATED,
    TX_CLASS_MOVED,
    TX_CLASS_DELETED,
} tx_count_class;

/* What a decision depends on besides the data. Zero-initialised: no audit rows for inserts,
 * and every file has every optional column. */
typedef struct tx_versions_opts {
    int audit_inserts;         /* --audit-inserts: an insert gets an audit row too */
    const unsigned *file_cols; /* [nfiles]: the TX_VCOL_* columns each input file's header has
                                  (tx_versions_header_cols), by file_index; NULL = all of them */
    size_t nfiles;
} tx_versions_opts;

/* The decision for one transaction. Values are copies (no pointers into the inputs). */
typedef struct tx_versions_outcome {
    uint64_t transaction_id;
    size_t winner;               /* index of the run's winner in v[] (best first: always 0) */
    tx_action action;            /* TX_ACT_NONE when the winner is stale */
    tx_count_class winner_class; /* the winner's count class (STALE when action is NONE) */
    tx_run_counts counts;        /* this transaction's share of the run's counts: read = k,
                                    rejected = 0, the others by class; they reconcile */
    /* rows on the shards of the dates */
    int write_row;         /* `row` must be stored (REPLACE) in the shard of row.date */
    tx_record row;         /* the row as stored afterwards (when write_row): the winning
                              version, except that an update or a move takes the stored value
                              of every TX_VCOL_* column its file lacks; an insert is the winner
                              verbatim (the parser gave absent columns their defaults) */
    int remove_old;        /* the copy at old.date must be removed from the shard of that date
                              (a move, or a delete of a stored live row) */
    /* the directory */
    int entry_changed;     /* `entry` replaces the directory entry of transaction_id */
    tx_stored old;         /* the stored state the decision started from (a copy of *st) */
    tx_stored entry;       /* the directory entry afterwards (== old when !entry_changed) */
    /* the audit row (SPEC §3 audit_log): when `audit`, action = the row's action, old_* from
     * `old` when audit_old (else NULL), new_* from `entry` when audit_new (else NULL), and
     * new_last_updated = entry.last_updated_us always (a delete records when it happened) */
    int audit;
    int audit_old;         /* old is a live row: found and not deleted */
    int audit_new;         /* entry is a live row: the action is not a delete */
} tx_versions_outcome;

/* Local. The "best first" order of one transaction's versions in a run (SPEC §4): greater
 * last_updated first, then the later input position (file_index, then offset) first. Returns
 * < 0 when a comes before b (a beats b), > 0 when after, 0 for the same position. Does not look
 * at transaction_id. The load's sorter (src/load/spill.c) sorts by this order within an id. */
int tx_versions_cmp(const tx_record *a, const tx_record *b);

/* Local, pure. The TX_VCOL_* columns header h has (from h->col_of). */
unsigned tx_versions_header_cols(const tx_header *h);

/* Local. Decides one transaction: `st` its stored state (found = 0 when none), v[0..k) its
 * versions in this run best first (tx_versions_cmp order, all of one transaction_id, k >= 1).
 * Only the winner's values (and, for an update or move, the stored ones) reach the row: a
 * loser's columns never do. Fills *out (the caller owns it; nothing is kept). Returns TX_OK, or
 * TX_ERR with a message in err when k is 0, ids differ, v is not best first, or the winner's
 * file_index is not below opts->nfiles while opts->file_cols is set (broken caller invariants). */
int tx_versions_decide(const tx_versions_opts *opts, const tx_stored *st, const tx_record *v,
                       size_t k, tx_versions_outcome *out, tx_error *err);

/* Local. The count class of v[i], one of the k versions `o` was decided from. */
tx_count_class tx_versions_class(const tx_versions_outcome *o, const tx_record *v, size_t i);

/* Local. Adds o's counts to *acc (all eight fields). */
void tx_versions_tally(tx_run_counts *acc, const tx_versions_outcome *o);

/* Local. The audit_log action name of a ("insert", "update", "move", "delete"), or NULL for
 * TX_ACT_NONE. Static strings. */
const char *tx_versions_action_name(tx_action a);

#endif
