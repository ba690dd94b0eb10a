/* parser.h - private to src/record: the record parser's state, shared by the per-record pass
 * (record.c) and the stream (stream.c). */
#ifndef TXETL_RECORD_PARSER_H
#define TXETL_RECORD_PARSER_H

#include <csv.h>
#include <stddef.h>
#include <stdint.h>

#include "txetl/record.h"

#define RECORD_OPTS (CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL)

/* Readies p for new input whatever its state: after a strict error, or with a quote open
 * (where csv_fini under CSV_STRICT_FINI fails and keeps the state). Calls no callback. */
static inline void csv_reset(struct csv_parser *p)
{
    const int opts = csv_get_opts(p);
    csv_set_opts(p, (unsigned char)(opts & ~CSV_STRICT_FINI));
    csv_fini(p, NULL, NULL, NULL);
    csv_set_opts(p, (unsigned char)opts);
}

/* log2 of the slots of the stream's table of calendar dates (stream.c's s_ymd). */
#define TX_YMD_BITS 12

/* A stream field index's check: a tx_col, or S_SKIP (not a known column). */
#define S_SKIP ((signed char)-1)

struct tx_record_parser {
    /* ---- tx_record_parse (record.c) ---- */
    struct csv_parser csv;
    /* The known columns of the header in use, in the record's field order: order_field[k] is
     * the field index of column order_col[k]; order_field[npresent] = -1 (no field matches). */
    int plan_col_of[TX_NCOLS]; /* the header's col_of the plan was made for */
    int plan_valid;
    int order_field[TX_NCOLS + 1], order_col[TX_NCOLS];
    /* The record being parsed, as the callbacks see it. */
    const tx_header *h;
    tx_record *out;
    int fi;              /* fields libcsv has handed over */
    int next;            /* the next known column, an index into order_* */
    int rows;            /* rows libcsv has ended */
    unsigned have;       /* bit (1 << tx_col): the column had a value (no default) */
    tx_reject rej;       /* the first bad value, in field order */
    int count_quotes;    /* count '"' in field bytes (the record holds quotes) */
    size_t content;      /* bytes libcsv handed over */
    size_t quotes;       /* '"' among them */

    /* ---- the stream (stream.c) ---- */
    struct csv_parser scsv;
    /* The column plan of the header in use: s_kind[fi] is the tx_col field fi feeds, or S_SKIP;
     * fields from s_nplan on are only counted. */
    const tx_header *s_h;
    int s_plan_col_of[TX_NCOLS + 1]; /* the header's col_of and nfields the plan is for */
    int s_plan_valid;
    size_t s_nplan;
    signed char s_kind[TX_HEADER_MAX_COLS];
    int s_canon; /* s_kind[k] == k for every k < s_nplan (stream.c's s_check_canon) */
    /* The record in progress. */
    uint32_t s_flen[TX_HEADER_MAX_COLS]; /* the lengths of its fields [0, s_nplan) */
    size_t s_fi;         /* fields libcsv has handed over */
    tx_reject s_rej;     /* the first bad value; also set to skip checks (s_mode != S_NORMAL) */
    tx_record *s_out;    /* its slot */
    int s_mode;          /* S_NORMAL, ... (stream.c) */
    size_t s_content;    /* the bytes of its fields (apart from s_fi: GCC pairs adjacent
                            counters into one vector add, slower than two adds) */
    uint64_t s_rs;       /* its first byte */
    uint64_t s_line;     /* its line */
    uint64_t s_limit;    /* records from here on are not the caller's */
    uint64_t s_fed;      /* bytes before this were fed to libcsv */
    /* No '"' in [some point <= s_rs, s_nq); s_nq_end: s_nq is where the search stopped
     * rather than a quote. */
    uint64_t s_nq;
    int s_nq_end;
    /* s_ymd's calendar dates (stream.c): their first 8 bytes, 0x10000 | the last 2, the year
     * and the day number; w2 == 0: an empty slot. */
    struct tx_ymd_slot {
        uint64_t w;
        uint32_t w2;
        int32_t days;
        int32_t y;
    } s_ymd[1u << TX_YMD_BITS];
    /* The feed in progress. */
    const char *s_buf;
    uint64_t s_off, s_to;
    tx_row *s_rows;
    tx_record *s_recs;
    size_t s_n;
};

#endif
