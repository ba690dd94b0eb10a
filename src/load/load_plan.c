/* load_plan.c - what phase 2 decided, per shard and by example, and `txetl load --plan`'s
 * report of it. The decisions are the real run's (load_decide.c calls tx_plan_tally for every
 * transaction it decides, in a plan as in a load); a plan runs on the plan store (store.h),
 * which reads the shards and drops every write, and ends after phase 2 with this report. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "load_internal.h"
#include "txetl/alloc.h"

/* Keeps the TX_PLAN_EXAMPLES smallest ids of ex[0..*n) (ascending) with e among them. */
static void keep_example(tx_example *ex, int *n, const tx_example *e)
{
    int i = *n;
    while (i > 0 && ex[i - 1].id > e->id)
        i--;
    if (i == TX_PLAN_EXAMPLES)
        return;
    int last = *n < TX_PLAN_EXAMPLES ? *n : TX_PLAN_EXAMPLES - 1;
    memmove(&ex[i + 1], &ex[i], (size_t)(last - i) * sizeof *ex);
    ex[i] = *e;
    if (*n < TX_PLAN_EXAMPLES)
        (*n)++;
}

void tx_plan_tally(tx_job *j, const tx_versions_outcome *o, const tx_record *winner)
{
    tx_decided *d = &j->decided;
    if (!d->shard)
        d->shard = TX_XCALLOC((size_t)j->nshards, sizeof *d->shard);
    const int live = o->old.found && !o->old.deleted;
    int32_t date = o->write_row ? o->row.date : winner->date;
    if ((o->action == TX_ACT_DELETE || o->action == TX_ACT_NONE) && live)
        date = o->old.date; /* the stored copy it removes or leaves */
    tx_run_counts *c = &d->shard[tx_job_shard_of_date(j, date)];
    c->read += o->counts.read;
    c->inserted += o->counts.inserted;
    c->updated += o->counts.updated;
    c->moved += o->counts.moved;
    c->deleted += o->counts.deleted;
    c->stale += o->counts.stale;
    c->superseded += o->counts.superseded;
    if (o->action == TX_ACT_MOVE) {
        const tx_example e = {o->transaction_id, o->old.date, o->row.date};
        keep_example(d->move, &d->nmove, &e);
    } else if (o->action == TX_ACT_DELETE) {
        const tx_example e = {o->transaction_id, live ? o->old.date : INT32_MIN, INT32_MIN};
        keep_example(d->del, &d->ndel, &e);
    }
}

_Static_assert(sizeof(tx_run_counts) == 8 * sizeof(uint64_t), "tx_run_counts: 8 counts, summed "
               "as 8 uint64_t per shard");

/* Every rank's examples of one kind, merged: the smallest ids of all (ids are decided on one
 * rank each: no duplicates). */
static void gather_examples(tx_job *j, tx_example *ex, int *n)
{
    tx_example mine[TX_PLAN_EXAMPLES];
    memset(mine, 0, sizeof mine);
    memcpy(mine, ex, (size_t)*n * sizeof *ex);
    for (int i = *n; i < TX_PLAN_EXAMPLES; i++)
        mine[i].id = UINT64_MAX; /* an empty slot */
    tx_example *all = TX_XMALLOC((size_t)j->nranks * sizeof mine);
    MPI_Allgather(mine, (int)sizeof mine, MPI_BYTE, all, (int)sizeof mine, MPI_BYTE, j->comm);
    *n = 0;
    for (int i = 0; i < j->nranks * TX_PLAN_EXAMPLES; i++)
        if (all[i].id != UINT64_MAX)
            keep_example(ex, n, &all[i]);
    free(all);
}

void tx_plan_gather(tx_job *j)
{
    tx_decided *d = &j->decided;
    if (d->gathered)
        return;
    d->gathered = 1;
    if (!d->shard)
        d->shard = TX_XCALLOC((size_t)j->nshards, sizeof *d->shard);
    MPI_Allreduce(MPI_IN_PLACE, d->shard, 8 * j->nshards, MPI_UINT64_T, MPI_SUM, j->comm);
    gather_examples(j, d->move, &d->nmove);
    gather_examples(j, d->del, &d->ndel);
}

/* "2023-01-05 (shard 0)", or `none` for INT32_MIN. */
static const char *where(const tx_job *j, int32_t date, const char *none, char *buf, size_t size)
{
    if (date == INT32_MIN)
        return none;
    char d[16];
    snprintf(buf, size, "%s (shard %d)", tx_format_date(date, d), tx_job_shard_of_date(j, date));
    return buf;
}

void tx_plan_print(const tx_job *j, FILE *out)
{
    const tx_decided *d = &j->decided;
    const tx_run_counts *t = &j->sum.counts;
    fprintf(out, "plan: nothing was written; loading these files now would do this (every count "
                 "on the shard of the transaction's date after the run; a delete on the shard "
                 "of the copy it removes):\n");
    for (int s = 0; s < j->nshards; s++) {
        const tx_run_counts *c = &d->shard[s];
        fprintf(out, "  shard %d: versions %" PRIu64 "  inserted %" PRIu64 "  updated %" PRIu64
                     "  moved %" PRIu64 "  deleted %" PRIu64 "  stale %" PRIu64
                     "  superseded %" PRIu64 "\n",
                s, c->read, c->inserted, c->updated, c->moved, c->deleted, c->stale,
                c->superseded);
    }
    char a[48], b[48];
    fprintf(out, "  moves: %" PRIu64 "%s\n", t->moved,
            d->nmove ? ", the first by transaction_id:" : "");
    for (int i = 0; i < d->nmove; i++)
        fprintf(out, "    transaction %" PRIu64 ": %s -> %s\n", d->move[i].id,
                where(j, d->move[i].old_date, "?", a, sizeof a),
                where(j, d->move[i].new_date, "?", b, sizeof b));
    fprintf(out, "  deletes: %" PRIu64 "%s\n", t->deleted,
            d->ndel ? ", the first by transaction_id:" : "");
    for (int i = 0; i < d->ndel; i++)
        fprintf(out, "    transaction %" PRIu64 ": %s -> deleted\n", d->del[i].id,
                where(j, d->del[i].old_date, "never stored", a, sizeof a));
}
