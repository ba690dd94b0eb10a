# scripts/lib/slurm-conf.sh - sourced by scripts/slurm-local.sh and scripts/cluster.sh: the
# slurm.conf lines both write (root daemons, munge, no cgroups, quick turnaround).

# slurm_conf_common DIR PERNODE: those lines, with munge's socket and the daemons' state,
# spool, pid and log files under DIR; PERNODE=1 gives every slurmd its own (several slurmd on
# one machine, named by Slurm's %n).
slurm_conf_common() {
  local d=$1 n="" spool=$1/spool
  if [[ $2 == 1 ]]; then n=.%n; spool+=/%n; fi
  cat <<CONF
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.sock
StateSaveLocation=$d/state
SlurmdSpoolDir=$spool
SlurmctldPidFile=$d/run/slurmctld.pid
SlurmdPidFile=$d/run/slurmd$n.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd$n.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups needed (containers, VMs without systemd).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
# Jobs pick their launcher: srun --mpi=pmix, or mpirun inside the allocation.
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# A node that was down (daemon restarted) comes back by itself.
ReturnToService=2
# Trust the CPU count below even when it exceeds the machine's cores.
SlurmdParameters=config_overrides
# Quick turnaround for local tests.
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=300
CONF
}
