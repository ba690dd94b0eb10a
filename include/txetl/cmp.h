/* cmp.h - three-way comparison, for qsort-style comparators: -1, 0 or 1 as x is less than,
 * equal to or greater than y (operands evaluated twice). A comparator on several keys chains
 * them: `int c = TX_CMP(a->k1, b->k1); return c ? c : TX_CMP(a->k2, b->k2);`. */
#ifndef TXETL_CMP_H
#define TXETL_CMP_H

#define TX_CMP(x, y) (((x) > (y)) - ((x) < (y)))

#endif
