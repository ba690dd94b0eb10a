# Slurm batch jobs (jobs/*.sbatch) on a local single-node Slurm cluster
# (scripts/slurm-local.sh) with 2 shards of the test's own (not the shards2
# fixture): backfill via srun --mpi=pmix, incremental via mpirun, a failing job, a reshard onto a 3rd shard,
# and the SLURM_NTASKS/rank-count mismatch. Installs slurm-wlm/munge when missing
# (root + apt); skipped (exit 77) only when that is impossible.
include(${CMAKE_CURRENT_LIST_DIR}/shards.cmake) # TX_BASH (include_guard: no double registration)

add_test(NAME slurm_backfill
         COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/slurm_test.sh
                 ${CMAKE_BINARY_DIR} ${TX_TEST_WORK}/slurm_backfill)
set_tests_properties(slurm_backfill PROPERTIES
  SKIP_RETURN_CODE 77
  TIMEOUT 420            # ~1 min when Slurm is installed; first run adds the apt install
  RESOURCE_LOCK slurm_local
  LABELS "integration;slurm"
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
