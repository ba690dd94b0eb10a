/* agree.c - one status agreement per phase (see mpiutil.h). */
#include "txetl/mpiutil.h"

#include <string.h>

int tx_agree(MPI_Comm comm, int status, tx_error *err)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    /* Lowest failing rank: MINLOC over (failed ? 0 : 1, rank). */
    struct {
        int key;
        int rank;
    } in = {status == TX_OK ? 1 : 0, rank}, out;
    if (MPI_Allreduce(&in, &out, 1, MPI_2INT, MPI_MINLOC, comm) != MPI_SUCCESS)
        return tx_error_set(err, TX_ERR, "MPI_Allreduce failed while agreeing on a status");
    if (out.key == 1)
        return TX_OK;
    struct {
        int status;
        char msg[sizeof err->msg];
    } first;
    if (rank == out.rank) {
        first.status = status;
        memcpy(first.msg, err->msg, sizeof first.msg);
    }
    if (MPI_Bcast(&first, (int)sizeof first, MPI_BYTE, out.rank, comm) != MPI_SUCCESS)
        return tx_error_set(err, TX_ERR, "MPI_Bcast failed while agreeing on a status");
    err->status = first.status;
    memcpy(err->msg, first.msg, sizeof err->msg);
    err->msg[sizeof err->msg - 1] = '\0';
    return first.status;
}
