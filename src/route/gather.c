/* gather.c - every rank's variable-length list on every rank (see mpiutil.h). */
#include "txetl/mpiutil.h"

#include <stdlib.h>

#include "txetl/alloc.h"

void *tx_allgather_var(MPI_Comm comm, const void *mine, int n, MPI_Datatype type, size_t elem,
                       size_t *total)
{
    int nranks;
    MPI_Comm_size(comm, &nranks);
    int *cnt = TX_XMALLOC(2 * (size_t)nranks * sizeof *cnt), *displ = cnt + nranks;
    MPI_Allgather(&n, 1, MPI_INT, cnt, 1, MPI_INT, comm);
    size_t sum = 0;
    for (int r = 0; r < nranks; r++) {
        displ[r] = (int)sum;
        sum += (size_t)cnt[r];
    }
    void *all = TX_XMALLOC((sum ? sum : 1) * elem);
    MPI_Allgatherv(mine, n, type, all, cnt, displ, type, comm);
    free(cnt);
    *total = sum;
    return all;
}
