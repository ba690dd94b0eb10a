/* alloc.h - the one out-of-memory policy for allocations whose failure cannot be recovered.
 *
 * TX_XMALLOC / TX_XCALLOC / TX_XREALLOC never return NULL: when memory runs out they log
 * "out of memory (N bytes) at FILE:LINE" (the caller's file and line) and end the whole job,
 * MPI_Abort(MPI_COMM_WORLD, TX_OOM_EXIT) when MPI is running, else abort(). Use them where a
 * failure leaves no sensible way on: mid-collective (the other ranks would wait forever for
 * this one), in generators, in the reduce step. Functions that can report a failure and undo
 * their work return TX_ENOMEM instead (error.h) and keep doing so; never mix the two for one
 * allocation. A size of 0 allocates a minimal block (never NULL). */
#ifndef TXETL_ALLOC_H
#define TXETL_ALLOC_H

#include <stddef.h>

/* The exit status of a job ended by running out of memory. */
enum { TX_OOM_EXIT = 3 };

/* Local (ends the job on failure). malloc(n); file and line name the caller. */
void *tx_xmalloc_at(size_t n, const char *file, int line);

/* Local (ends the job on failure). calloc(n, size), zeroed; n * size overflowing is out of
 * memory too. */
void *tx_xcalloc_at(size_t n, size_t size, const char *file, int line);

/* Local (ends the job on failure). realloc(p, n); p may be NULL. */
void *tx_xrealloc_at(void *p, size_t n, const char *file, int line);

/* Local. Logs the out-of-memory line for n bytes at file:line and ends the job (never
 * returns): for allocations made some other way (strdup, a library's constructor). */
_Noreturn void tx_out_of_memory(size_t n, const char *file, int line);

/* Local. Room for element n of the array *pp (pp: the address of a T * of *cap elements of
 * elem bytes, holding n): nothing to do when n < *cap, else *pp realloc'ed to twice *cap
 * elements (`first` when *cap is 0) and *cap updated. 0, or -1 when memory runs out (or the
 * size overflows) with *pp and *cap unchanged: for callers that report TX_ENOMEM. */
int tx_grow(void *pp, size_t *cap, size_t n, size_t elem, size_t first);

/* Local (ends the job on failure). tx_grow that never returns NULL (TX_XGROW). */
void *tx_xgrow_at(void *p, size_t *cap, size_t n, size_t elem, size_t first, const char *file,
                  int line);

#define TX_XMALLOC(n) tx_xmalloc_at((n), __FILE__, __LINE__)
#define TX_XCALLOC(n, size) tx_xcalloc_at((n), (size), __FILE__, __LINE__)
#define TX_XREALLOC(p, n) tx_xrealloc_at((p), (n), __FILE__, __LINE__)
/* p = room for element n of p (cap elements, doubled from `first`), as tx_grow. */
#define TX_XGROW(p, cap, n, first)                                                             \
    ((p) = tx_xgrow_at((p), &(cap), (n), sizeof *(p), (first), __FILE__, __LINE__))
#define TX_OUT_OF_MEMORY(n) tx_out_of_memory((n), __FILE__, __LINE__)

#endif
