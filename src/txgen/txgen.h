/* txgen.h - txgen's internal contract: options, the per-customer generator, the output sinks.
 * Private to src/txgen/ (the tool is not a library). */
#ifndef TXGEN_H
#define TXGEN_H

#include <stddef.h>
#include <stdint.h>

#include <mpi.h>

#include "txetl/alloc.h"
#include "txetl/calendar.h"
#include "txetl/error.h"
#include "txetl/fmt.h"
#include "txetl/hash.h"
#include "txetl/record.h"
#include "txetl/rng.h"

/* The model's true parameters (time unit: days; money: dollars). */
#define TXG_R 0.75
#define TXG_ALPHA 40.0
#define TXG_A 0.8
#define TXG_B 4.0
#define TXG_P 6.0
#define TXG_Q 4.0
#define TXG_V 15.0
#define TXG_REFUND_RATE 0.02
#define TXG_TRICKY_RATE 0.05
#define TXG_MAX_COLS 64

/* ---- PRNG: xoshiro256** (rng.h), seeded by splitmix64 (tx_splitmix64, hash.h). ---- */
typedef tx_rng txg_rng;

void txg_rng_seed(txg_rng *g, uint64_t seed, uint64_t stream);
uint64_t txg_next(txg_rng *g);
double txg_unif(txg_rng *g); /* (0, 1) */
uint64_t txg_below(txg_rng *g, uint64_t n);

/* ---- Dates: days since 1970-01-01 (calendar.h). ---- */
/* Parses "YYYY-MM-DD" (a real date); returns 0 and sets *days, or -1. */
int txg_parse_date(const char *s, int32_t *days);

/* ---- Options. ---- */
typedef struct txg_opts {
    uint64_t customers;
    uint64_t changes;
    const char *out;
    const char *truth;
    const char *fx_out; /* --fx-out FILE: rates for the non-USD currencies (or NULL) */
    const char *truth_in;
    const char *base;
    const char *expect_rejects;
    const char *columns;
    uint64_t seed;
    int32_t start, end; /* days, inclusive */
    double bad_rate, dup_rate;
    int tricky, shuffle, crlf, bom;
    /* The output columns: tx_col, or -1 for an unknown column; names as given. */
    int ncols;
    int col[TXG_MAX_COLS];
    char *colname[TXG_MAX_COLS];
    int has[TX_NCOLS];
    /* Reject reasons usable with these columns, cycled through by bad records. */
    int nbad;
    tx_reject bad[TX_NREJECTS];
} txg_opts;

/* ---- Text tables (index 0 is the empty text). ---- */
extern const char *const txg_categories[];
extern const int txg_ncategories;      /* all entries */
extern const int txg_nplain_categories; /* entries 1..n-1 are ordinary */
extern const char *const txg_payments[];
extern const int txg_npayments;
extern const char txg_currencies[][4];

/* ---- One version of a transaction, as the generator decides it. ---- */
enum { TXG_VALID = 0, TXG_TRICKY = 1, TXG_BAD = 2 };
enum { TXG_NTRICKY = 10 };

typedef struct txg_row {
    uint64_t idx; /* 0-based id index; the written id is txg_id(idx) */
    int64_t cents;
    int64_t lu_us; /* effective last_updated (default applied) */
    int32_t date;
    uint16_t cat;
    uint8_t pay;
    uint8_t cur;
    uint8_t lu_style; /* 0 "d t", 1 "dTt", 2 "dTtZ", 3 "d t.ffffff", 4 "dTt.fffZ" */
    uint8_t kind;     /* TXG_VALID, TXG_TRICKY, TXG_BAD */
    uint8_t sub;      /* tricky variant or tx_reject */
    uint8_t op;       /* 'U' or 'D' */
} txg_row;

/* A growable row vector. */
typedef struct txg_rows {
    txg_row *v;
    size_t n, cap;
} txg_rows;

void txg_rows_push(txg_rows *r, const txg_row *x);
void txg_rows_insert(txg_rows *r, size_t at, const txg_row *x);

/* Local. Generates customer `c` (0-based) into *rows (cleared first), in file order, with id
 * indexes from id_base. Returns the number of id indexes it used. Pure in (opts, c, id_base). */
uint64_t txg_customer(const txg_opts *o, uint64_t c, uint64_t id_base, txg_rows *rows);
uint64_t txg_customer_id(uint64_t c);

/* The id permutation (identity without --shuffle). */
typedef struct txg_perm {
    int on;
    uint64_t m, mask;
    int half;
    uint64_t key[4];
} txg_perm;
void txg_perm_init(txg_perm *p, uint64_t m, uint64_t seed, int on);
uint64_t txg_id(const txg_perm *p, uint64_t idx); /* 1..m */

/* ---- Output. ---- */
typedef struct txg_sink {
    int fd;           /* -1: count only */
    char *buf;
    size_t len, cap;
    uint64_t off;     /* file offset of buf[0] */
    uint64_t line;    /* 1-based line of the next byte */
    int err;          /* errno of the first failed write */
} txg_sink;

/* Local. A sink of cap bytes (TX_XMALLOC: out of memory ends the job). Returns TX_OK. */
int txg_sink_open(txg_sink *s, int fd, uint64_t off, uint64_t line, size_t cap);
int txg_sink_flush(txg_sink *s);
void txg_sink_close(txg_sink *s);
static inline void txg_reserve(txg_sink *s, size_t n)
{
    if (s->len + n > s->cap)
        txg_sink_flush(s);
}
static inline void txg_put(txg_sink *s, const char *p, size_t n)
{
    txg_reserve(s, n);
    for (size_t i = 0; i < n; i++)
        s->buf[s->len + i] = p[i];
    s->len += n;
}
static inline void txg_putc(txg_sink *s, char c) { s->buf[s->len++] = c; }
static inline void txg_puts(txg_sink *s, const char *p)
{
    while (*p)
        txg_put(s, p++, 1);
}

/* Numbers and dates are formatted with fmt.h's tx_fmt_*. A last_updated timestamp in one of
 * the styles of txg_row.lu_style (5: "d t.f..." with trailing zeros dropped) into b; returns the
 * bytes written. */
size_t txg_fmt_ts(char *b, int64_t us, int style);
/* Appends text RFC 4180-quoted when it holds , " CR LF or leading/trailing space. */
void txg_put_text(txg_sink *s, const char *t, size_t n);
/* The columns txgen's truth and changes files start with, each followed by a comma:
 * id,customer,date,amount,category,payment,currency, with the amount in integer cents
 * (cents_as_int) or as a decimal with 2 places. */
void txg_put_head(txg_sink *s, uint64_t id, uint64_t cust, int32_t date, int64_t cents,
                  int cents_as_int, const char *cat, const char *pay, const char *cur);

/* Local. Writes one row (its line end included) and, for a bad row, a reject line into rej
 * ("line,offset,reason\n"). */
void txg_write_row(txg_sink *s, const txg_opts *o, const txg_perm *p, const txg_row *r,
                   uint64_t cust_id, txg_sink *rej);
const char *txg_reject_name(tx_reject r);
void txg_write_header(txg_sink *s, const txg_opts *o, int with_op);

/* Collective. Opens `path` for this rank's part: rank 0 creates/truncates it first. Returns an
 * fd or -1 (on every rank when any rank failed), naming the file in err. */
int txg_open_shared(MPI_Comm comm, const char *path, tx_error *err);
/* Collective. Writes each rank's buf at the offset given by an Exscan of the lengths into
 * `path`. Returns TX_OK on every rank or TX_ERR on every rank. */
int txg_write_parts(MPI_Comm comm, const char *path, const char *buf, size_t len,
                    tx_error *err);

/* ---- Truth rows. ---- */
typedef struct txg_truth {
    uint64_t id, cust;
    int64_t cents, lu_us;
    int32_t date;
    uint16_t cat;
    uint8_t pay, cur;
} txg_truth;

/* Collective. Routes truth rows by id to ranks, sorts, writes `path` with a header. Frees
 * nothing; *rows may be reallocated. */
int txg_truth_write(MPI_Comm comm, const char *path, txg_truth *rows, size_t n, uint64_t m,
                    tx_error *err);

/* Local (rank 0). The change-batch mode. */
int txg_changes_run(const txg_opts *o, tx_error *err);

#endif
