# txetl across simulated hosts: scripts/cluster.sh makes network namespaces joined by a bridge,
# MariaDB shards on each host's address (TCP), and mpirun.args whose launch agent starts ranks
# on the hosts (ranks talk TCP). Each test brings up and tears down its own cluster (trap), and
# skips (exit 77) only where `ip netns` is unavailable (not root, no iproute2).
#   cluster_equal_1host  3 hosts, 1/2/3 ranks: backfill + 2 change batches + snapshot equal the
#                        txgen truth and the single-host run bit for bit; single-node default off
#   cluster_host_cut     2 hosts: a host's link cut / its processes killed during apply: bounded
#                        failure (<= 60 s) naming the host, nothing left running, exact rerun
#   cluster_slurm_2node  2 hosts + Slurm (cluster.sh --slurm: slurmctld, one slurmd per host):
#                        jobs/backfill.sbatch (srun --mpi=pmix) and jobs/incremental.sbatch
#                        (mpirun) as 2-node jobs, one rank per node; truth, and equal to one host
include(${CMAKE_CURRENT_LIST_DIR}/shards.cmake) # TX_BASH

add_test(NAME cluster_equal_1host
         COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/cluster_test.sh
                 ${CMAKE_BINARY_DIR} ${TX_TEST_WORK}/cluster_equal 3)
add_test(NAME cluster_host_cut
         COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/cluster_cut_test.sh
                 ${CMAKE_BINARY_DIR} ${TX_TEST_WORK}/cluster_cut)
set_tests_properties(cluster_equal_1host cluster_host_cut PROPERTIES
  SKIP_RETURN_CODE 77
  TIMEOUT 420            # ~90 s and ~70 s on 2 cores
  RESOURCE_LOCK cluster_netns
  LABELS "integration;cluster"
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")

add_test(NAME cluster_slurm_2node
         COMMAND ${TX_BASH} ${CMAKE_CURRENT_SOURCE_DIR}/integration/cluster_slurm_test.sh
                 ${CMAKE_BINARY_DIR} ${TX_TEST_WORK}/cluster_slurm)
set_tests_properties(cluster_slurm_2node PROPERTIES
  SKIP_RETURN_CODE 77
  TIMEOUT 240            # ~1 min on 2 cores
  RESOURCE_LOCK cluster_netns
  LABELS "integration;cluster;slurm"
  ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1")
