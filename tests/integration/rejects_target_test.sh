#!/usr/bin/env bash
# rejects_target_test.sh BUILD_DIR WORK_DIR
# --rejects names where the rejected records go: a regular file is written through a temporary
# file renamed into place; /dev/null discards them and stays the device it is (a rename over it
# would turn the machine's /dev/null into a regular file); any other non-regular path (a
# directory, a FIFO) is refused with exit 2 before anything is read. --dry-run: no server.
set -euo pipefail
build=$1 work=$2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
rm -rf "$work" && mkdir -p "$work" && cd "$work"
die() { echo "FAIL: $*"; exit 1; }
printf '[shard0]\nsocket=/nonexistent\n' >none.cnf
chmod 600 none.cnf
printf 'transaction_id,customer_id,transaction_date,transaction_amount\n1,1,2024-01-01,1.00\nx,1,2024-01-02,2.00\n2,2,2024-01-03,3.00\n' >in.csv
for np in 1 2; do
  mpiexec -n $np "$build/txetl" load --dry-run --quiet --max-reject-rate 1 --shards none.cnf \
    --rejects rej.csv in.csv >out.log 2>&1 || { cat out.log; die "dry run into rej.csv failed"; }
  [[ $(sed -n 2p rej.csv) == '"in.csv",3,'* ]] || { cat rej.csv; die "rej.csv lacks the bad record"; }
  mpiexec -n $np "$build/txetl" load --dry-run --quiet --max-reject-rate 1 --shards none.cnf \
    --rejects /dev/null in.csv >out.log 2>&1 || { cat out.log; die "dry run into /dev/null failed"; }
  [[ -c /dev/null ]] || die "/dev/null is no longer a character device"
  ls /dev/null.part* >/dev/null 2>&1 && die "rejects parts were left in /dev"
  mkdir -p adir
  rc=0
  mpiexec -n $np "$build/txetl" load --dry-run --quiet --shards none.cnf --rejects adir in.csv \
    >out.log 2>&1 || rc=$?
  ((rc == 2)) || { cat out.log; die "--rejects DIR exited $rc, expected 2"; }
  grep -q 'rejects adir is not a regular file' out.log || { cat out.log; die "message"; }
  echo "ok: $np rank(s): file written, /dev/null discarded and kept, a directory refused"
done
