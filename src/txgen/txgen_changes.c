/* txgen_changes.c - change batches on top of a truth file: a batch of versions (with `op`), the
 * expected truth after applying it (docs/load.md) and the expected counts. One rank. */
#include "txgen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "txetl/cmp.h"

typedef struct ver {
    uint64_t id, cust;
    int64_t cents, lu_us;
    int32_t date;
    char *cat, *pay; /* owned */
    char cur[4];
    char op;       /* 'U' or 'D' */
    int deleted;   /* truth rows: a tombstone */
    size_t pos;    /* batch position */
} ver;

typedef struct vvec {
    ver *v;
    size_t n, cap;
} vvec;

static void vpush(vvec *a, const ver *x)
{
    TX_XGROW(a->v, a->cap, a->n, 1024);
    a->v[a->n++] = *x;
}

static void vfree(vvec *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].cat);
        free(a->v[i].pay);
    }
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

/* Reads one RFC 4180 record of up to nf fields from f into fl (malloc'd strings). Returns the
 * number of fields, 0 at end of file. */
static int read_record(FILE *f, char **fl, int nf)
{
    int n = 0, c = getc(f);
    if (c == EOF)
        return 0;
    for (;;) {
        size_t len = 0, cap = 32;
        char *b = TX_XMALLOC(cap);
        int quoted = c == '"';
        if (quoted)
            c = getc(f);
        for (;;) {
            if (c == EOF)
                break;
            if (quoted && c == '"') {
                c = getc(f);
                if (c != '"') {
                    quoted = 0;
                    continue;
                }
            } else if (!quoted && (c == ',' || c == '\n')) {
                break;
            } else if (!quoted && c == '\r') {
                c = getc(f);
                continue;
            }
            if (len + 2 > cap)
                b = TX_XREALLOC(b, cap *= 2);
            b[len++] = (char)c;
            c = getc(f);
        }
        b[len] = '\0';
        if (n < nf)
            fl[n++] = b;
        else
            free(b);
        if (c != ',')
            return n;
        c = getc(f);
    }
}

static int read_truth(const char *path, vvec *out, tx_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return tx_error_set(err, TX_ERR, "txgen: cannot open %s: %s", path, strerror(errno));
    char *fl[9];
    int n = read_record(f, fl, 9), rc = TX_OK;
    if (n < 8 || strcmp(fl[0], "transaction_id") != 0 || strcmp(fl[3], "amount_cents") != 0)
        rc = tx_error_set(err, TX_EUSAGE, "txgen: %s: not a txgen truth file", path);
    for (int i = 0; i < n; i++)
        free(fl[i]);
    size_t line = 1;
    while (rc == TX_OK && (n = read_record(f, fl, 9)) > 0) {
        line++;
        ver v;
        memset(&v, 0, sizeof v);
        if (n < 8 || txg_parse_date(fl[2], &v.date) != 0 || strlen(fl[6]) != 3) {
            rc = tx_error_set(err, TX_EUSAGE, "txgen: %s: bad record at row %zu", path, line);
        } else {
            v.id = strtoull(fl[0], NULL, 10);
            v.cust = strtoull(fl[1], NULL, 10);
            v.cents = strtoll(fl[3], NULL, 10);
            v.cat = fl[4];
            v.pay = fl[5];
            memcpy(v.cur, fl[6], 4);
            v.lu_us = strtoll(fl[7], NULL, 10);
            v.deleted = n > 8 && fl[8][0] == '1';
            v.op = 'U';
            vpush(out, &v);
            fl[4] = fl[5] = NULL;
        }
        for (int i = 0; i < n; i++)
            free(fl[i]);
    }
    fclose(f);
    return rc;
}

static ver *find(vvec *a, uint64_t id)
{
    size_t lo = tx_lower_bound_u64(a->v, a->n, sizeof *a->v, offsetof(ver, id), id);
    return lo < a->n && a->v[lo].id == id ? &a->v[lo] : NULL;
}

static const char *const cats[] = {"groceries", "electronics", "travel", "café & bistro", "家電",
                                   "books", "fuel, gas & oil"};

static void add(vvec *b, const ver *base, char op, int64_t lu, int32_t date, int64_t cents,
                const char *cat)
{
    ver v = *base;
    v.op = op;
    v.lu_us = lu;
    v.date = date;
    v.cents = cents;
    v.cat = strdup(cat ? cat : base->cat);
    v.pay = strdup(base->pay);
    v.deleted = 0;
    v.pos = b->n;
    vpush(b, &v);
}

static int cmp_id_pos(const void *x, const void *y)
{
    const ver *a = x, *b = y;
    if (a->id != b->id)
        return (a->id > b->id) - (a->id < b->id);
    return (a->pos > b->pos) - (a->pos < b->pos);
}

static int cmp_id(const void *x, const void *y) { return cmp_id_pos(x, y); }

static void put_ver(txg_sink *s, const ver *v, int truth)
{
    txg_put_head(s, v->id, v->cust, v->date, v->cents, truth, v->cat, v->pay, v->cur);
    char b[64];
    size_t n = truth ? (size_t)tx_fmt_i64(b, v->lu_us) : txg_fmt_ts(b, v->lu_us, 3);
    b[n++] = ',';
    b[n++] = truth ? (v->deleted ? '1' : '0') : v->op;
    b[n++] = '\n';
    txg_put(s, b, n);
}

static int write_file(const char *path, const char *header, const vvec *a, int truth,
                      tx_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return tx_error_set(err, TX_ERR, "txgen: cannot create %s: %s", path, strerror(errno));
    txg_sink s;
    txg_sink_open(&s, fd, 0, 1, 1 << 20);
    txg_puts(&s, header);
    for (size_t i = 0; i < a->n; i++)
        put_ver(&s, &a->v[i], truth);
    txg_sink_flush(&s);
    int werr = s.err;
    txg_sink_close(&s);
    if (close(fd) != 0 && !werr)
        werr = errno;
    if (werr)
        return tx_error_set(err, TX_ERR, "txgen: cannot write %s: %s", path, strerror(werr));
    return TX_OK;
}

int txg_changes_run(const txg_opts *o, tx_error *err)
{
    vvec st = {0}, b = {0};
    int rc = read_truth(o->truth_in ? o->truth_in : o->base, &st, err);
    if (rc != TX_OK)
        goto out;
    qsort(st.v, st.n, sizeof *st.v, cmp_id);
    if (st.n == 0) {
        rc = tx_error_set(err, TX_EUSAGE, "txgen: --changes needs a non-empty base truth");
        goto out;
    }
    txg_rng g;
    txg_rng_seed(&g, o->seed, 0xC4A9E5ull);
    uint64_t next_id = st.v[st.n - 1].id + 1;
    const int64_t day = 86400000000LL;
    while (b.n < o->changes) {
        ver *s = &st.v[txg_below(&g, st.n)];
        int64_t later = s->lu_us + (int64_t)(1 + txg_below(&g, 60 * 86400)) * 1000000;
        int64_t earlier = s->lu_us - (int64_t)(1 + txg_below(&g, 30 * 86400)) * 1000000;
        int64_t cents = 1 + (int64_t)txg_below(&g, 20000);
        const char *cat = cats[txg_below(&g, sizeof cats / sizeof cats[0])];
        int32_t far = o->start + (int32_t)txg_below(&g, (uint64_t)(o->end - o->start + 1));
        int32_t near = s->date + (int32_t)(1 + txg_below(&g, 5));
        ver fresh = *s;
        fresh.id = next_id;
        fresh.lu_us = (int64_t)far * day + (int64_t)txg_below(&g, 86400) * 1000000;
        fresh.date = far;
        switch (txg_below(&g, o->changes - b.n >= 2 ? 12 : 8)) { /* 8..11 add two */
        case 0: case 1: /* update */
            add(&b, s, 'U', later, s->date, cents, cat);
            break;
        case 2: /* move, near or far */
            add(&b, s, 'U', later, txg_below(&g, 2) ? near : far, s->cents, NULL);
            break;
        case 3: /* delete */
            add(&b, s, 'D', later, s->date, s->cents, NULL);
            break;
        case 4: /* stale: older */
            add(&b, s, 'U', earlier, s->date, cents, cat);
            break;
        case 5: /* stale: equal to the stored version */
            add(&b, s, 'U', s->lu_us, far, cents, cat);
            break;
        case 6: /* delete of an id never stored */
            next_id++;
            add(&b, &fresh, 'D', fresh.lu_us, fresh.date, fresh.cents, NULL);
            break;
        case 7: /* insert of a new id */
            next_id++;
            add(&b, &fresh, 'U', fresh.lu_us, fresh.date, cents, cat);
            break;
        case 8: /* delete, then an older insert: stays deleted */
            add(&b, s, 'D', later, s->date, s->cents, NULL);
            add(&b, s, 'U', later - 1000000, far, cents, cat);
            break;
        case 9: /* delete, then a newer insert: back */
            add(&b, s, 'D', later, s->date, s->cents, NULL);
            add(&b, s, 'U', later + 5000000, near, cents, cat);
            break;
        case 10: /* tie within the batch: the later position wins */
            add(&b, s, 'U', later, s->date, cents, cat);
            add(&b, s, 'U', later, txg_below(&g, 2) ? s->date : far, cents + 1, NULL);
            break;
        case 11: /* an update superseded by a later one of the same batch */
            add(&b, s, 'U', later + 7000000, s->date, cents, NULL);
            add(&b, s, 'U', later, near, cents + 2, cat);
            break;
        }
    }
    /* Expected result, per version (docs/load.md). */
    uint64_t n_ins = 0, n_upd = 0, n_mov = 0, n_del = 0, n_stale = 0, n_sup = 0;
    ver *sorted = TX_XMALLOC(b.n * sizeof *sorted);
    memcpy(sorted, b.v, b.n * sizeof *sorted);
    qsort(sorted, b.n, sizeof *sorted, cmp_id_pos);
    vvec added = {0};
    for (size_t i = 0; i < b.n;) {
        size_t j = i;
        while (j < b.n && sorted[j].id == sorted[i].id)
            j++;
        ver *s = find(&st, sorted[i].id);
        ver *win = NULL;
        for (size_t k = i; k < j; k++) {
            if (s && sorted[k].lu_us <= s->lu_us) {
                n_stale++;
                continue;
            }
            if (win)
                n_sup++;
            if (!win || sorted[k].lu_us >= win->lu_us)
                win = &sorted[k];
        }
        if (win) {
            if (win->op == 'D')
                n_del++;
            else if (!s || s->deleted)
                n_ins++;
            else if (s->date == win->date)
                n_upd++;
            else
                n_mov++;
            ver nv = *win;
            nv.cat = strdup(win->cat);
            nv.pay = strdup(win->pay);
            nv.deleted = win->op == 'D';
            if (s) {
                free(s->cat);
                free(s->pay);
                *s = nv;
            } else {
                vpush(&added, &nv);
            }
        }
        i = j;
    }
    free(sorted);
    for (size_t i = 0; i < added.n; i++)
        vpush(&st, &added.v[i]);
    free(added.v);
    qsort(st.v, st.n, sizeof *st.v, cmp_id);
    static const char bh[] = "transaction_id,customer_id,transaction_date,transaction_amount,"
                             "transaction_category,payment_method,currency,last_updated,op\n";
    static const char th[] = "transaction_id,customer_id,transaction_date,amount_cents,"
                             "transaction_category,payment_method,currency,last_updated_us,"
                             "deleted\n";
    if ((rc = write_file(o->out, bh, &b, 0, err)) != TX_OK ||
        (rc = write_file(o->truth, th, &st, 1, err)) != TX_OK)
        goto out;
    char path[4096];
    snprintf(path, sizeof path, "%s.counts", o->out);
    FILE *f = fopen(path, "w");
    if (!f) {
        rc = tx_error_set(err, TX_ERR, "txgen: cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    fprintf(f, "read=%zu rejected=0 inserted=%llu updated=%llu moved=%llu deleted=%llu "
               "stale=%llu superseded=%llu\n",
            b.n, (unsigned long long)n_ins, (unsigned long long)n_upd, (unsigned long long)n_mov,
            (unsigned long long)n_del, (unsigned long long)n_stale, (unsigned long long)n_sup);
    if (fclose(f) != 0)
        rc = tx_error_set(err, TX_ERR, "txgen: cannot write %s", path);
out:
    vfree(&b);
    vfree(&st);
    return rc;
}
