/* alloc.c - the out-of-memory policy of alloc.h. */
#include "txetl/alloc.h"

#include <mpi.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "txetl/log.h"

_Noreturn void tx_out_of_memory(size_t n, const char *file, int line)
{
    /* tx_log_write formats on the stack: it needs no memory of its own. */
    tx_log_write(TX_LOG_ERROR, "out of memory (%zu bytes) at %s:%d", n, file, line);
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (init && !fin)
        MPI_Abort(MPI_COMM_WORLD, TX_OOM_EXIT);
    abort(); /* no MPI, or MPI_Abort returned */
}

void *tx_xmalloc_at(size_t n, const char *file, int line)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        tx_out_of_memory(n, file, line);
    return p;
}

void *tx_xcalloc_at(size_t n, size_t size, const char *file, int line)
{
    if (size && n > SIZE_MAX / size)
        tx_out_of_memory(SIZE_MAX, file, line);
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        tx_out_of_memory(n * size, file, line);
    return p;
}

void *tx_xrealloc_at(void *p, size_t n, const char *file, int line)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        tx_out_of_memory(n, file, line);
    return q;
}

/* The grown array, or NULL (p untouched) when memory runs out. */
static void *grow(void *p, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return p;
    size_t nc = *cap ? 2 * *cap : (first ? first : 1);
    if (nc <= n)
        nc = n + 1;
    if (elem && nc > SIZE_MAX / elem)
        return NULL;
    void *q = realloc(p, nc * elem);
    if (q != NULL)
        *cap = nc;
    return q;
}

int tx_grow(void *pp, size_t *cap, size_t n, size_t elem, size_t first)
{
    void *p;
    memcpy(&p, pp, sizeof p); /* pp is a T **: read and write the pointer as bytes */
    void *q = grow(p, cap, n, elem, first);
    if (q == NULL)
        return -1;
    memcpy(pp, &q, sizeof q);
    return 0;
}

void *tx_xgrow_at(void *p, size_t *cap, size_t n, size_t elem, size_t first, const char *file,
                  int line)
{
    size_t before = *cap;
    void *q = grow(p, cap, n, elem, first);
    if (q == NULL)
        tx_out_of_memory((before ? 2 * before : first) * elem, file, line);
    return q;
}
