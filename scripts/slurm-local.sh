#!/usr/bin/env bash
# slurm-local.sh — a single-node Slurm cluster on this machine, for trying and
# testing the batch scripts in jobs/ (Debian 12, run as root).
#
#   scripts/slurm-local.sh up DIR      install slurm-wlm + munge (+ libpmix-dev) if
#                                      missing, start DIR's own munged, slurmctld and
#                                      slurmd; wait until the node is idle.
#                                      Idempotent: running daemons are kept.
#   scripts/slurm-local.sh down DIR    stop what 'up' started for DIR (jobs are
#                                      cancelled; slurmd, slurmctld, munged).
#                                      --wipe: also delete DIR's state, spool and logs.
#   scripts/slurm-local.sh status DIR  show the daemons and the node (exit 0 only if
#                                      the cluster answers and the node is usable)
#   scripts/slurm-local.sh env DIR     print 'export SLURM_CONF=DIR/slurm.conf'
#
# Client commands (sbatch, srun, squeue, sinfo, scontrol) find this cluster via
#   export SLURM_CONF=DIR/slurm.conf
#
# Layout (all under DIR, absolute): slurm.conf, state/ (StateSaveLocation),
# spool/ (SlurmdSpoolDir), log/slurmctld.log, log/slurmd.log, run/*.pid,
# munge/ (a private munged: socket, pid, log; the system munged is not used).
# DIR must be reachable by the munge user (no 0700 parent directory).
#
# The cluster: NodeName=localhost (SlurmctldHost=localhost, slurmd -N localhost:
# no dependency on the machine's hostname), one partition "local" (default),
# no cgroups (proctrack/linuxproc, task/none), no accounting, MpiDefault=none
# (jobs choose: srun --mpi=pmix, or mpirun inside the allocation).
#
# Environment knobs (defaults in brackets):
#   SLURM_LOCAL_CPUS  [max(nproc,8)]  CPUs advertised for the node. More than the
#                                     machine has is allowed (SlurmdParameters=
#                                     config_overrides): one rank per shard needs
#                                     more slots than cores on a small box.
#   SLURM_LOCAL_PORT  [6817]          slurmctld port; slurmd uses PORT+1
#   SLURM_LOCAL_TIMEOUT [60]          seconds to wait for the node to become idle
#   SLURM_LOCAL_NO_INSTALL [unset]    set to 1: never run apt-get (fail instead)
set -euo pipefail

PROG=slurm-local.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/slurm-conf.sh"
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/dir-args.sh"
die()  { echo "$PROG: error: $*" >&2; exit 1; }
usage_die() { echo "$PROG: $*" >&2; echo "Try '$PROG --help'." >&2; exit 2; }
note() { echo "$PROG: $*"; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

NCPU=$(nproc 2>/dev/null || echo 1)
CPUS=${SLURM_LOCAL_CPUS:-$((NCPU > 8 ? NCPU : 8))}
PORT=${SLURM_LOCAL_PORT:-6817}
TIMEOUT=${SLURM_LOCAL_TIMEOUT:-60}

[[ $CPUS =~ ^[0-9]+$ ]] && ((CPUS >= 1)) || usage_die "SLURM_LOCAL_CPUS must be a positive integer, got '$CPUS'"
[[ $PORT =~ ^[0-9]+$ ]] && ((PORT >= 1024 && PORT < 65535)) || usage_die "SLURM_LOCAL_PORT must be 1024..65534, got '$PORT'"

abspath() { realpath -m -- "$1"; }

# ---------------------------------------------------------------- packages ---
is_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

# slurm-wlm (slurmctld, slurmd, client commands), munge (authentication) and
# libpmix-dev: Slurm's mpi/pmix plugin dlopens the unversioned libpmix.so that
# only the -dev package ships; without it 'srun --mpi=pmix' fails.
ensure_packages() {
  local want=(slurm-wlm munge libpmix-dev) missing=() p
  for p in "${want[@]}"; do is_installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  [[ ${SLURM_LOCAL_NO_INSTALL:-} != 1 ]] || die "missing packages: ${missing[*]} (SLURM_LOCAL_NO_INSTALL=1)"
  (($(id -u) == 0)) || die "missing packages: ${missing[*]}; run as root or install them"
  command -v apt-get >/dev/null || die "missing packages: ${missing[*]} and no apt-get"
  note "installing ${missing[*]}"
  # The packages' maintainer scripts must not start system-wide daemons (with
  # /etc/slurm/slurm.conf absent they would fail anyway): a temporary
  # policy-rc.d that denies every start, unless the machine already has one.
  local policy=/usr/sbin/policy-rc.d ours_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# temporary, from txetl scripts/slurm-local.sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"; ours_policy=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  } >&2 || rc=$?
  ((ours_policy)) && rm -f "$policy"
  ((rc == 0)) || die "apt-get install ${missing[*]} failed (exit $rc)"
}

# ------------------------------------------------------------------- munge ---
# A private munged per DIR (socket DIR/munge/munge.sock, named in slurm.conf by
# AuthInfo): no dependence on, or interference with, a system munged or another
# DIR's cluster. It shares the machine's key /etc/munge/munge.key.
munge_works() { # socket
  munge -S "$1" -n 2>/dev/null | unmunge -S "$1" >/dev/null 2>&1
}

ensure_munged() {
  local dir=$1 md=$1/munge
  local sock=$md/munge.sock pidf=$md/munged.pid
  if munge_works "$sock"; then return 0; fi
  id munge >/dev/null 2>&1 || die "no 'munge' user (is the munge package configured?)"
  if [[ ! -s /etc/munge/munge.key ]]; then
    note "creating /etc/munge/munge.key"
    mkdir -p /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key >/dev/null ||
      die "mungekey could not create /etc/munge/munge.key"
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  # munged refuses to run as root: it runs as the munge user, which must reach DIR.
  # /run/munge (normally made by systemd's tmpfiles) is created too for tools
  # that look there.
  mkdir -p /run/munge "$md"
  chown munge:munge /run/munge "$md"
  chmod 755 /run/munge "$md"
  runuser -u munge -- test -w "$md" ||
    die "the munge user cannot write $md (a parent of $dir is not world-searchable); use another DIR"
  # A munged that died leaves its pid file and socket lock behind; it refuses to start then.
  local old; old=$(cat "$pidf" 2>/dev/null || true)
  if [[ -n $old ]] && ! kill -0 "$old" 2>/dev/null; then rm -f "$pidf" "$sock" "$sock.lock"; fi
  # It daemonizes; fd 9 (our lock) must not leak into it.
  runuser -u munge -- /usr/sbin/munged --socket="$sock" --pid-file="$pidf" \
      --log-file="$md/munged.log" --seed-file="$md/munged.seed" \
      </dev/null >"$md/munged.start.log" 2>&1 9>&- ||
    { cat "$md/munged.start.log" >&2; die "munged did not start (log $md/munged.log)"; }
  local i
  for ((i = 0; i < 50; i++)); do
    if munge_works "$sock"; then note "started munged (pid $(cat "$pidf"))"; return 0; fi
    sleep 0.1
  done
  die "munged started but 'munge -n | unmunge' fails on $sock (log $md/munged.log)"
}

# ------------------------------------------------------------------- slurm ---
write_conf() {
  local dir=$1 tmp
  tmp=$(mktemp "$dir/.slurm.conf.XXXXXX")
  {
    cat <<EOF
# Single-node Slurm cluster for txetl — generated by scripts/slurm-local.sh;
# rewritten on every 'up'. Clients: export SLURM_CONF=$dir/slurm.conf
ClusterName=txetl-local
SlurmctldHost=localhost
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
EOF
    slurm_conf_common "$dir" 0
    cat <<EOF
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  } >"$tmp"
  mv -f "$tmp" "$dir/slurm.conf"
}

# pid from a pid file if that process is alive and is the named daemon using DIR's conf
# (slurmd/slurmctld re-read SLURM_CONF; we start them with -f DIR/slurm.conf).
daemon_pid() { # name pidfile conf
  local name=$1 pf=$2 conf=$3 pid args
  [[ -s $pf ]] || return 0
  pid=$(<"$pf")
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 0
  args=$(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null) || return 0
  [[ $args == *"$name"* && $args == *"$conf"* ]] && echo "$pid"
  return 0
}

port_in_use() { # port -> 0 if something listens on it (TCP, IPv4/IPv6)
  local hex; hex=$(printf '%04X' "$1")
  awk -v h=":$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

start_daemon() { # name dir args...
  local name=$1 dir=$2; shift 2
  local bin; bin=$(command -v "$name" || echo "/usr/sbin/$name")
  [[ -x $bin ]] || die "$name not found after installing slurm-wlm"
  # -D: stay in the foreground (we keep its pid); setsid: own session, so a
  # CTest/CI killing our process group leaves it alone ('down' stops it).
  SLURM_CONF=$dir/slurm.conf setsid "$bin" -D "$@" </dev/null >>"$dir/log/$name.stdout" 2>&1 9>&- &
  echo $! >"$dir/run/$name.launch"
}

node_state() { SLURM_CONF=$1/slurm.conf sinfo -h -N -n localhost -o %T 2>/dev/null | head -n1; }

wait_ready() {
  local dir=$1 deadline=$((SECONDS + TIMEOUT)) st="" resumed=0 d
  export SLURM_CONF=$dir/slurm.conf
  while ((SECONDS < deadline)); do
    for d in slurmctld slurmd; do
      if [[ -z $(daemon_pid "$d" "$dir/run/$d.pid" "$dir/slurm.conf") ]] &&
         ! kill -0 "$(cat "$dir/run/$d.launch" 2>/dev/null || echo 0)" 2>/dev/null; then
        echo "---- last lines of $dir/log/$d.log ----" >&2
        tail -n 20 "$dir/log/$d.log" "$dir/log/$d.stdout" >&2 2>/dev/null || true
        die "$d exited during start-up"
      fi
    done
    st=$(node_state "$dir")
    case $st in
      idle*|mixed*|allocated*|completing*) return 0 ;;
      down*|drain*|fail*|inval*)
        if ((!resumed)); then
          scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 || true
          resumed=1
        fi ;;
    esac
    sleep 0.5
  done
  echo "---- last lines of slurmctld.log / slurmd.log ----" >&2
  tail -n 15 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 2>/dev/null || true
  die "node 'localhost' not usable within ${TIMEOUT}s (state: '${st:-no answer}')"
}

lock_dir() {
  exec 9>"$1/.slurm-local.lock"
  flock -w 120 9 || die "another $PROG is busy with $1"
}

cmd_up() {
  local dir=$1
  mkdir -p "$dir"
  lock_dir "$dir"
  ensure_packages
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
  chmod 755 "$dir" "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
  ensure_munged "$dir"
  local conf=$dir/slurm.conf ctl d started=0
  ctl=$(daemon_pid slurmctld "$dir/run/slurmctld.pid" "$conf")
  d=$(daemon_pid slurmd "$dir/run/slurmd.pid" "$conf")
  if [[ -z $ctl && -z $d ]]; then
    write_conf "$dir"
  fi
  if [[ -z $ctl ]]; then
    port_in_use "$PORT" && die "port $PORT is in use (another slurmctld?); set SLURM_LOCAL_PORT"
    # -i: ignore state files that cannot be read (e.g. from another Slurm version).
    start_daemon slurmctld "$dir" -i -f "$conf"
    started=1
    # slurmd registers with slurmctld: give it a moment to listen.
    local i; for ((i = 0; i < 40; i++)); do port_in_use "$PORT" && break; sleep 0.25; done
  fi
  if [[ -z $d ]]; then
    port_in_use $((PORT + 1)) && die "port $((PORT + 1)) is in use (another slurmd?); set SLURM_LOCAL_PORT"
    start_daemon slurmd "$dir" -N localhost -f "$conf"
    started=1
  fi
  wait_ready "$dir"
  if ((started)); then note "cluster up ($CPUS CPUs on node localhost)"; else note "cluster already up"; fi
  note "use it with: export SLURM_CONF=$conf"
}

stop_pid() { # pid what
  local pid=$1 what=$2 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || { note "stopped $what (pid $pid)"; return 0; }
    sleep 0.1
  done
  echo "$PROG: warning: $what (pid $pid) did not stop in 10s; SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
}

cmd_down() {
  local dir=$1 wipe=$2 conf=$1/slurm.conf pid
  if [[ ! -d $dir ]]; then note "$dir does not exist; nothing to stop"; return 0; fi
  lock_dir "$dir"
  # Cancel what is still queued or running so no job outlives the cluster.
  if [[ -n $(daemon_pid slurmctld "$dir/run/slurmctld.pid" "$conf") ]]; then
    SLURM_CONF=$conf scancel --quiet --full -u "$(id -un)" >/dev/null 2>&1 || true
  fi
  for name in slurmd slurmctld; do
    pid=$(daemon_pid "$name" "$dir/run/$name.pid" "$conf")
    [[ -n $pid ]] || pid=$(cat "$dir/run/$name.launch" 2>/dev/null || true)
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
       tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | grep -q -- "$name"; then
      stop_pid "$pid" "$name"
    fi
    rm -f "$dir/run/$name.pid" "$dir/run/$name.launch"
  done
  # This DIR's private munged (after slurmd/slurmctld, which use it).
  pid=$(cat "$dir/munge/munged.pid" 2>/dev/null || true)
  if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | grep -q -- "munged.*$dir/munge/"; then
    stop_pid "$pid" munged
  fi
  rm -f "$dir/munge/munged.pid"
  if ((wipe)); then
    rm -rf -- "$dir/state" "$dir/spool" "$dir/log" "$dir/run" "$dir/munge" "$dir/slurm.conf" "$dir"/.slurm.conf.*
    rm -f -- "$dir/.slurm-local.lock"
    rmdir -- "$dir" 2>/dev/null || true
    note "wiped $dir"
  fi
}

cmd_status() {
  local dir=$1 conf=$1/slurm.conf bad=0 pid name
  [[ -f $conf ]] || { echo "no cluster under $dir (no slurm.conf)"; return 1; }
  if munge_works "$dir/munge/munge.sock"; then echo "munged:    up   socket $dir/munge/munge.sock"
  else echo "munged:    NOT WORKING (socket $dir/munge/munge.sock)"; bad=1; fi
  for name in slurmctld slurmd; do
    pid=$(daemon_pid "$name" "$dir/run/$name.pid" "$conf")
    if [[ -n $pid ]]; then printf '%-10s up   pid %s  log %s\n' "$name:" "$pid" "$dir/log/$name.log"
    else printf '%-10s down log %s\n' "$name:" "$dir/log/$name.log"; bad=1; fi
  done
  local st; st=$(node_state "$dir")
  echo "node:      localhost ${st:-no answer}"
  case $st in idle*|mixed*|allocated*|completing*) ;; *) bad=1 ;; esac
  echo "SLURM_CONF=$conf"
  ((bad == 0))
}

(($#)) || usage_die "missing command (up, down, status, env)"
cmd=$1; shift
case $cmd in -h|--help|help) usage; exit 0 ;; esac
dir_args "$cmd" "$cmd DIR" "$@"
case $cmd in
  up) cmd_up "$dir" ;;
  down) cmd_down "$dir" "$wipe" ;;
  status) cmd_status "$dir" ;;
  env) echo "export SLURM_CONF=$dir/slurm.conf" ;;
  *) usage_die "unknown command '$cmd' (up, down, status, env)" ;;
esac
