/* agree.c - one status agreement per phase, and the MPI start-up defaults (see mpiutil.h). */
#include "txetl/mpiutil.h"

#include <stdlib.h>
#include <string.h>

int tx_mpi_env_defaults(void)
{
    const char *off = getenv("TXETL_MPI_DEFAULTS");
    if ((off && !strcmp(off, "0")) || getenv("OMPI_MCA_pml"))
        return 0;
    const char *size = getenv("OMPI_COMM_WORLD_SIZE");
    const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    int one_node;
    if (size)
        one_node = local && !strcmp(size, local);
    else /* no Open MPI launcher: a singleton unless another launcher started us */
        one_node = !getenv("PMIX_RANK") && !getenv("PMI_RANK") && !getenv("SLURM_PROCID");
    if (!one_node)
        return 0;
    return setenv("OMPI_MCA_pml", "ob1", 0) == 0;
}

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
