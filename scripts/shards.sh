#!/usr/bin/env bash
# shards.sh — N local MariaDB servers ("shards") for txetl, each in its own
# directory with its own config, unix socket and pid file.
#
#   scripts/shards.sh up N DIR [--tcp BASEPORT] [--tls CERTDIR] [--fresh] [--router]
#                      start (creating if needed) N shards; keeps existing data
#                      unless --fresh (stop and wipe DIR's shards first).
#                      Growing: on a DIR holding K < N shards, starts the K
#                      existing ones (if down) and N-K new empty ones, and adds
#                      [shardK]..[shardN-1] to DIR/shards.cnf after the existing
#                      groups, which stay byte for byte as they were (a [router]
#                      group stays where it is); then `txetl reshard --shards
#                      DIR/shards.cnf` moves data onto them. N < K is refused.
#                      --router: also a Spider router (one more mariadbd with
#                      plugin-load-add=ha_spider, DIR/router/, on its own socket,
#                      and on 127.0.0.1:BASEPORT+N with --tcp, N the count it was
#                      created with: it keeps that port when the cluster grows, the
#                      shards added later skip it) and a [router]
#                      group in DIR/shards.cnf; `txetl router` builds its tables.
#                      --tcp: also listen on 127.0.0.1:BASEPORT+i.
#                      --tls: (with --tcp) serve TLS with CERTDIR/ca.pem,
#                      CERTDIR/server-cert.pem, CERTDIR/server-key.pem (PEM);
#                      shards.cnf stays on the unix socket.
#   scripts/shards.sh down DIR [--wipe]
#                      stop the servers it started (--wipe: also delete the data)
#   scripts/shards.sh status DIR
#                      show which are running (exit 0 only if all answer)
#
# Layout (all paths absolute):
#   DIR/shards.cnf              client option file, groups [shard0]..[shardN-1] (docs/shards.md)
#   DIR/shard<i>/my.cnf         server config, passed with --defaults-file
#   DIR/shard<i>/data/          datadir (mariadb-install-db)
#   DIR/shard<i>/sock           unix socket
#   DIR/shard<i>/mariadbd.pid   pid file
#   DIR/shard<i>/error.log      server log
#   DIR/router/...              the same for the router (--router)
#
# Environment knobs (defaults in brackets):
#   TXETL_SHARD_BUFFER_POOL [512M]   innodb_buffer_pool_size per shard
#   TXETL_SHARD_LOG_FILE    [512M]   innodb_log_file_size per shard (fixed at creation)
#   TXETL_SHARD_START_TIMEOUT [30]   seconds to wait for a server to answer
#   TXETL_SHARD_STOP_TIMEOUT  [60]   seconds to wait for a server to stop before SIGKILL
#   TXETL_ROUTER_BUFFER_POOL [128M]  innodb_buffer_pool_size of the router (it stores nothing)
#
# Different DIRs are fully independent (run concurrently as you like); calls for
# the same DIR are serialised with a lock file (DIR/.shards.lock).
set -euo pipefail

PROG=shards.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/dir-args.sh" # dir_args
die()  { echo "$PROG: error: $*" >&2; exit 1; }
usage_die() { echo "$PROG: $*" >&2; echo "Try '$PROG --help'." >&2; exit 2; }
note() { echo "$PROG: $*"; }

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

SOCK_MAX=107          # sizeof(sockaddr_un.sun_path) - 1 on Linux
BUFFER_POOL=${TXETL_SHARD_BUFFER_POOL:-512M}
LOG_FILE_SIZE=${TXETL_SHARD_LOG_FILE:-512M}
START_TIMEOUT=${TXETL_SHARD_START_TIMEOUT:-30}
STOP_TIMEOUT=${TXETL_SHARD_STOP_TIMEOUT:-60}

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found (install MariaDB: scripts/install-deps.sh)"; }
find_mariadbd() {
  local c
  for c in mariadbd /usr/sbin/mariadbd mysqld /usr/sbin/mysqld; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  die "mariadbd not found (install mariadb-server: scripts/install-deps.sh)"
}

# The directory of server $2 under DIR $1: shard<i>, or the router for "R".
server_dir() { if [[ $2 == R ]]; then echo "$1/router"; else echo "$1/shard$2"; fi; }

# Absolute path without requiring it to exist.
abspath() { realpath -m -- "$1"; }

# Shard directories present under DIR, sorted by index.
existing_shards() {
  local d
  for d in "$1"/shard[0-9]*; do
    [[ -d $d && ${d##*/shard} =~ ^[0-9]+$ ]] && echo "${d##*/shard}"
  done | sort -n
}

# pid of the server of shard dir $1 if running (and really ours), else nothing.
# Ours = a process whose command line carries --defaults-file=<shard>/my.cnf;
# checked against the pid file first, then by scanning /proc (pid file lost).
shard_pid() {
  local sd=$1 pid="" p
  local want="--defaults-file=$sd/my.cnf"
  if [[ -s $sd/mariadbd.pid ]]; then
    pid=$(<"$sd/mariadbd.pid")
    if [[ $pid =~ ^[0-9]+$ ]] && is_our_server "$pid" "$want"; then echo "$pid"; return 0; fi
  fi
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    is_our_server "$p" "$want" && { echo "$p"; return 0; }
  done
  return 0
}
is_our_server() {
  local pid=$1 want=$2 args
  [[ -r /proc/$pid/cmdline ]] || return 1
  mapfile -d '' -t args </proc/"$pid"/cmdline 2>/dev/null || return 1
  [[ ${#args[@]} -ge 2 ]] || return 1
  [[ ${args[0]##*/} == mariadbd || ${args[0]##*/} == mysqld ]] || return 1
  [[ ${args[1]} == "$want" ]]
}

ping_shard() {
  mariadb-admin --no-defaults --connect-timeout=2 --socket="$1/sock" -uroot ping >/dev/null 2>&1
}

log_tail() {
  echo "---- last lines of $1 ----" >&2
  tail -n 25 "$1" >&2 2>/dev/null || echo "(no log)" >&2
  echo "----" >&2
}

# Server config for one shard (or, with role "router", the Spider router). Every tuning
# choice is explained in the file itself.
write_server_cnf() {
  local sd=$1 i=$2 tcp=$3 tls=${4:-} role=${5:-shard} fsys flush pool=$BUFFER_POOL
  [[ $role == router ]] && pool=${TXETL_ROUTER_BUFFER_POOL:-128M}
  fsys=$(stat -f -c %T "$sd" 2>/dev/null || echo unknown)
  flush=fsync
  cat >"$sd/my.cnf" <<EOF
# txetl $role $i — generated by scripts/shards.sh; regenerated on every 'up'.
# Only this file is read (mariadbd --defaults-file=...): /etc/mysql is ignored.
[mariadbd]
datadir   = $sd/data
socket    = $sd/sock
pid-file  = $sd/mariadbd.pid
log-error = $sd/error.log
tmpdir    = $sd/tmp
user      = $(id -un)
$(if [[ -n $tcp ]]; then
    printf '# TCP requested (--tcp): loopback only.\nport = %s\nbind-address = 127.0.0.1\n' "$tcp"
  else
    printf '# No TCP: the unix socket is the only way in (no port clashes between\n# concurrent test runs, nothing exposed).\nskip-networking\n'
  fi)
$(if [[ -n $tls ]]; then
    printf '# TLS requested (--tls): clients may (and users created REQUIRE SSL must) encrypt.\n'
    printf 'ssl-ca = %s/ca.pem\nssl-cert = %s/server-cert.pem\nssl-key = %s/server-key.pem\n' "$tls" "$tls" "$tls"
  fi)
# Reverse DNS on connect only adds latency (and hangs without network).
skip-name-resolve
$(if [[ $role == router ]]; then
    printf '%s\n' '# The router: Spider tables over the shards (txetl router). It stores no rows itself.' \
      'plugin-load-add = ha_spider' \
      '# Spider pushes aggregates (SUM/COUNT ... GROUP BY) down to the shards when it can.' \
      'spider_direct_aggregate = 1'
  fi)

# --- memory -----------------------------------------------------------------
# Modest: N shards per run, several runs (tests, bench, demo) at once on one
# 24 GiB box. Bulk loads are write-bound; 512M holds the hot partitions and
# secondary-index pages of a test-sized load. Override: TXETL_SHARD_BUFFER_POOL.
innodb_buffer_pool_size = $pool
# Nobody reads performance_schema here; it costs ~100+ MB per server.
performance_schema = OFF

# --- durability traded for load speed (these are disposable local shards) -----
# Large redo log: big LOAD DATA transactions without checkpoint stalls
# ("furious flushing"). Fixed when the data dir is created (mariadb-install-db
# reads this file). Override at creation: TXETL_SHARD_LOG_FILE.
innodb_log_file_size = $LOG_FILE_SIZE
# Big multi-row INSERT / LOAD DATA transactions fill the log buffer quickly.
innodb_log_buffer_size = 64M
# Write the redo log at commit, fsync it ~once a second: a server crash loses
# nothing, an OS crash loses <=1 s. Avoids one fsync per committed batch.
innodb_flush_log_at_trx_commit = 2
# The doublewrite buffer doubles page writes to protect against torn pages on
# power loss; not worth it for test/demo shards.
innodb_doublewrite = 0
# fsync, not O_DIRECT: with several small buffer pools on one host the OS page
# cache acts as a shared second-level cache (pages evicted from one small pool
# are re-read from RAM, not disk), and fsync works on every filesystem
# including tmpfs (here: $fsys). O_DIRECT pays off with one big buffer pool
# owning most of the RAM — the production setting, not this one.
innodb_flush_method = $flush
innodb_file_per_table = 1
# Let the page cleaner write as fast as the local disk allows during loads.
innodb_io_capacity = 2000
innodb_io_capacity_max = 4000

# --- no binary log -------------------------------------------------------------
# No replication here; binlogging every loaded row would double the writes.
skip-log-bin

# --- client protocol ------------------------------------------------------------
# LOAD DATA LOCAL INFILE is the bulk path; the server must allow it.
local_infile = 1
# Large multi-row INSERT statements and LOAD DATA packets.
max_allowed_packet = 256M
# Ranks x shards x concurrent runs; the default 151 is tight for tests.
max_connections = 500

# --- text -------------------------------------------------------------------------
# utf8mb4: full Unicode (4-byte characters, e.g. emoji in tricky input).
# utf8mb4_nopad_bin: byte-exact comparisons. Text equality decides whether a
# re-delivered record "changed" (category, payment method, currency), so it
# must not be case- or accent-insensitive like the *_general_ci default, and
# unlike utf8mb4_bin (PAD SPACE) it does not ignore trailing spaces: 'Food'
# and 'Food ' are different values, as they are in the extract.
character-set-server = utf8mb4
collation-server = utf8mb4_nopad_bin
# Strict mode: a bad value is an error, never a silently truncated row.
sql_mode = STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION

[client]
socket = $sd/sock
user   = root
default-character-set = utf8mb4
EOF
}

# TCP ports (with --tcp BASEPORT): the router keeps the port it was created with (its my.cnf
# says which; BASEPORT+N for a router made with N shards) and shard i listens on BASEPORT+i,
# one higher from the router's port on (shards added by a later, larger 'up').
ROUTER_PORT=""
router_port_of() { # dir base n -> sets ROUTER_PORT (empty without --tcp)
  ROUTER_PORT=""
  [[ -n $2 ]] || return 0
  ROUTER_PORT=$(sed -n 's/^port = \([0-9][0-9]*\)$/\1/p' "$1/router/my.cnf" 2>/dev/null | head -n1 || true)
  [[ -n $ROUTER_PORT ]] || ROUTER_PORT=$(($2 + $3))
}
shard_port() { # base i
  local p=$(($1 + $2))
  if [[ -n $ROUTER_PORT ]] && ((p >= ROUTER_PORT)); then p=$((p + 1)); fi
  echo "$p"
}

# The [shard$1] group as the generated shard file has it (blank line first).
shard_group() { # dir i base
  echo
  echo "[shard$2]"
  echo "socket=$1/shard$2/sock"
  if [[ -n $3 ]]; then echo "# also on TCP: host=127.0.0.1 port=$(shard_port "$3" "$2")"; fi
  echo "user=root"
  echo "database=Customer"
}

write_router_group() { # dir base
  echo
  echo "# The Spider router (docs/serving.md): \`txetl router --shards $1/shards.cnf\` builds its tables."
  echo "[router]"
  echo "socket=$1/router/sock"
  if [[ -n $2 ]]; then echo "# also on TCP: host=127.0.0.1 port=$ROUTER_PORT"; fi
  echo "user=root"
  echo "database=Customer"
}

CNF_HEADER_RE='^# txetl shard file \(docs/shards\.md\) — generated by scripts/shards\.sh for [0-9]+ local shard\(s\)\.$'
write_client_cnf() {
  local dir=$1 n=$2 base=$3 router=${4:-0} i tmp
  tmp=$(mktemp "$dir/.shards.cnf.XXXXXX")
  chmod 600 "$tmp"
  {
    echo "# txetl shard file (docs/shards.md) — generated by scripts/shards.sh for $n local shard(s)."
    echo "# root has no password on these local servers and a unix socket is the way in."
    for ((i = 0; i < n; i++)); do shard_group "$dir" "$i" "$base"; done
    if ((router)); then write_router_group "$dir" "$base"; fi
  } >"$tmp"
  mv -f "$tmp" "$dir/shards.cnf"
}

# Number of [shard0]..[shardK-1] groups in shard file $1 (contiguous from 0), 0 if none.
cnf_shard_groups() {
  local k=0
  while grep -q "^[[:space:]]*\[shard$k\][[:space:]]*$" "$1"; do k=$((k + 1)); done
  echo "$k"
}

# Growing: adds [shard$2]..[shard$3-1] to DIR/shards.cnf right after the group [shard$2-1]
# (before the comments and blank lines that lead into the next group, e.g. [router]); every
# other line stays as it was, except the generated header's shard count.
grow_client_cnf() { # dir k n base
  local dir=$1 k=$2 n=$3 base=$4 cnf="$1/shards.cnf" lines=() i at=-1 j tmp
  mapfile -t lines <"$cnf"
  for ((i = 0; i < ${#lines[@]}; i++)); do
    if [[ ${lines[i]} =~ ^[[:space:]]*\[shard$((k - 1))\][[:space:]]*$ ]]; then at=$i; break; fi
  done
  ((at >= 0)) || die "$cnf has no [shard$((k - 1))] group"
  j=${#lines[@]}
  for ((i = at + 1; i < ${#lines[@]}; i++)); do
    if [[ ${lines[i]} =~ ^[[:space:]]*\[ ]]; then j=$i; break; fi
  done
  if ((j < ${#lines[@]})); then
    while ((j - 1 > at)) && [[ ${lines[j - 1]} =~ ^[[:space:]]*([#\;].*)?$ ]]; do j=$((j - 1)); done
  fi
  [[ ${lines[0]:-} =~ $CNF_HEADER_RE ]] &&
    lines[0]="# txetl shard file (docs/shards.md) — generated by scripts/shards.sh for $n local shard(s)."
  tmp=$(mktemp "$dir/.shards.cnf.XXXXXX")
  chmod 600 "$tmp"
  {
    ((j > 0)) && printf '%s\n' "${lines[@]:0:j}"
    for ((i = k; i < n; i++)); do shard_group "$dir" "$i" "$base"; done
    ((j < ${#lines[@]})) && printf '%s\n' "${lines[@]:j}"
    true
  } >"$tmp"
  mv -f "$tmp" "$cnf"
}

init_shard() { # sd mariadbd
  local sd=$1 log="$1/install.log"
  if ! mariadb-install-db --defaults-file="$sd/my.cnf" --datadir="$sd/data" --user="$(id -un)" \
        --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
        >"$log" 2>&1; then
    echo "$PROG: error: mariadb-install-db failed for $sd" >&2
    log_tail "$log"
    rm -rf "$sd/data"
    return 1
  fi
}

start_shard() { # sd mariadbd
  local sd=$1 mysqld=$2
  rm -f "$sd/mariadbd.pid"
  # setsid: own session, so CTest/CI killing our process group leaves it alone
  # (down/trap stop it properly). All fds redirected so no caller waits on a pipe.
  setsid "$mysqld" --defaults-file="$sd/my.cnf" </dev/null >>"$sd/error.log" 2>&1 9>&- &
  echo $! >"$sd/.launch.pid"
}

wait_shard() { # sd -> 0 when it answers
  local sd=$1 deadline=$((SECONDS + START_TIMEOUT)) lp
  lp=$(<"$sd/.launch.pid")
  while ((SECONDS < deadline)); do
    if ping_shard "$sd"; then rm -f "$sd/.launch.pid"; return 0; fi
    if ! kill -0 "$lp" 2>/dev/null && [[ -z $(shard_pid "$sd") ]]; then
      echo "$PROG: error: server for $sd exited during startup" >&2
      log_tail "$sd/error.log"
      return 1
    fi
    sleep 0.2
  done
  echo "$PROG: error: server for $sd did not answer within ${START_TIMEOUT}s (pid $lp)" >&2
  log_tail "$sd/error.log"
  return 1
}

lock_dir() {
  exec 9>"$1/.shards.lock"
  flock -w 300 9 || die "another $PROG is busy with $1 (lock $1/.shards.lock)"
}

# want_server KEY PORT (in cmd_up: KEY is a shard's index or R, the router): a server that
# runs is left alone; otherwise its my.cnf is written and KEY goes on to_start, and on to_init
# when it has no data directory yet.
want_server() {
  local sd pid idx=$1 role=shard label="shard$1"
  sd=$(server_dir "$dir" "$1")
  if [[ $1 == R ]]; then idx="" role=router label=router; fi
  mkdir -p "$sd/tmp"
  pid=$(shard_pid "$sd")
  if [[ -n $pid ]]; then
    note "$label already running (pid $pid)"
    return 0
  fi
  write_server_cnf "$sd" "$idx" "$2" "$tls" "$role"
  [[ -d $sd/data/mysql ]] || to_init+=("$1")
  to_start+=("$1")
}

cmd_up() {
  local n="" dir="" tcp="" tls="" fresh=0 router=0
  while (($#)); do
    case $1 in
      --fresh) fresh=1; shift ;;
      --router) router=1; shift ;;
      --tcp) [[ $# -ge 2 ]] || usage_die "--tcp needs a port"; tcp=$2; shift 2 ;;
      --tcp=*) tcp=${1#--tcp=}; shift ;;
      --tls) [[ $# -ge 2 ]] || usage_die "--tls needs a directory"; tls=$2; shift 2 ;;
      --tls=*) tls=${1#--tls=}; shift ;;
      -h|--help) usage; exit 0 ;;
      -*) usage_die "up: unknown option '$1'" ;;
      *) if [[ -z $n ]]; then n=$1; elif [[ -z $dir ]]; then dir=$1; else usage_die "up: too many arguments"; fi; shift ;;
    esac
  done
  [[ -n $n && -n $dir ]] || usage_die "usage: $PROG up N DIR [--tcp BASEPORT] [--tls CERTDIR] [--fresh] [--router]"
  [[ $n =~ ^[0-9]+$ ]] && ((n >= 1 && n <= 64)) || usage_die "up: N must be an integer 1..64, got '$n'"
  if [[ -n $tcp ]]; then
    [[ $tcp =~ ^[0-9]+$ ]] && ((tcp >= 1024 && tcp + n <= 65535)) ||
      usage_die "--tcp: BASEPORT must be 1024..$((65535 - n)), got '$tcp'"
  fi
  if [[ -n $tls ]]; then
    [[ -n $tcp ]] || usage_die "--tls needs --tcp (TLS is for TCP clients)"
    tls=$(abspath "$tls")
    local f
    for f in ca.pem server-cert.pem server-key.pem; do
      [[ -r $tls/$f ]] || usage_die "--tls: $tls/$f is missing or unreadable"
    done
  fi
  need mariadb-install-db; need mariadb-admin; need mariadb; need flock; need setsid
  local mysqld; mysqld=$(find_mariadbd)
  dir=$(abspath "$dir")

  local longest="$dir/shard$((n - 1))/sock"
  if ((${#longest} > SOCK_MAX)); then
    usage_die "socket path '$longest' is ${#longest} bytes; unix sockets allow at most $SOCK_MAX. Use a shorter DIR."
  fi
  if ((router)) && ((${#longest} > 64)); then
    # The router reaches the shards through CREATE SERVER ... SOCKET, which keeps 64 bytes.
    usage_die "--router: socket path '$longest' is ${#longest} bytes; the router's CREATE SERVER keeps at most 64. Use a shorter DIR."
  fi

  mkdir -p "$dir"
  lock_dir "$dir"
  if ((fresh)) && [[ -n $(existing_shards "$dir") || -d $dir/router ]]; then
    stop_shards "$dir"
    wipe_shards "$dir"
  fi

  local have=() i grow_from=0
  mapfile -t have < <(existing_shards "$dir")
  if ((${#have[@]} > n)); then
    usage_die "$dir already holds ${#have[@]} shard(s) (shard${have[0]}..shard${have[-1]}), more than $n: a cluster never shrinks (txetl reshard only adds shards); use '$PROG down $dir --wipe' first or another DIR."
  fi
  # Growing: the shard file names fewer shards than asked for (K < N): its groups are kept.
  if [[ -f $dir/shards.cnf ]]; then
    grow_from=$(cnf_shard_groups "$dir/shards.cnf")
    if ((grow_from > n)); then
      usage_die "$dir/shards.cnf names $grow_from shard(s), more than $n: a cluster never shrinks (txetl reshard only adds shards); use '$PROG down $dir --wipe' first or another DIR."
    fi
    ((grow_from < n)) || grow_from=0
  fi
  if ((grow_from)); then
    note "growing $dir from $grow_from to $n shard(s): shard$grow_from..shard$((n - 1)) start empty"
  fi
  router_port_of "$dir" "$tcp" "$n"

  local t0=$SECONDS to_init=() to_start=() pids=() rc=0
  for ((i = 0; i < n; i++)); do
    want_server "$i" "${tcp:+$(shard_port "$tcp" "$i")}"
  done
  # The router is started like a shard, under the name "router".
  if ((router)); then want_server R "$ROUTER_PORT"; fi

  # Create data dirs in parallel (a couple of seconds each).
  if ((${#to_init[@]})); then
    pids=()
    for i in "${to_init[@]}"; do init_shard "$(server_dir "$dir" "$i")" 9>&- & pids+=($!); done
    for i in "${pids[@]}"; do wait "$i" || rc=1; done
    ((rc == 0)) || die "could not create shard data dir(s) under $dir"
  fi

  for i in "${to_start[@]}"; do start_shard "$(server_dir "$dir" "$i")" "$mysqld"; done
  for i in "${to_start[@]}"; do
    wait_shard "$(server_dir "$dir" "$i")" || rc=1
  done
  ((rc == 0)) || die "shard(s) under $dir failed to start (others left running; '$PROG down $dir' stops them)"

  # The database named in shards.cnf must exist for clients to connect with it.
  for ((i = 0; i < n; i++)); do
    mariadb --no-defaults --socket="$dir/shard$i/sock" -uroot -e \
      "CREATE DATABASE IF NOT EXISTS Customer CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin" ||
      die "shard$i: could not create database Customer"
  done

  # Keep [router] in the shard file when a router of DIR exists (an 'up' without --router).
  [[ -f $dir/router/my.cnf ]] && router=1
  if ((grow_from)); then
    grow_client_cnf "$dir" "$grow_from" "$n" "$tcp"
    if ((router)) && ! grep -q '^[[:space:]]*\[router\]' "$dir/shards.cnf"; then
      # --router on a grown cluster that had none: the group goes last, as 'up' writes it.
      write_router_group "$dir" "$tcp" >>"$dir/shards.cnf"
    fi
  else
    write_client_cnf "$dir" "$n" "$tcp" "$router"
  fi
  if ((${#to_start[@]})); then
    note "started ${#to_start[@]} server(s) ($n shard(s)$( ((router)) && echo " and a router")) in $((SECONDS - t0))s; shard file: $dir/shards.cnf"
  else
    note "all $n shard(s) already running; shard file: $dir/shards.cnf"
  fi
  if ((grow_from)); then
    note "next: txetl reshard --shards $dir/shards.cnf --plan (shows the moves), then without --plan (docs/reshard.md)"
  fi
}

stop_pid() { # pid sd
  local pid=$1 sd=$2 deadline=$((SECONDS + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "$PROG: warning: $sd (pid $pid) did not stop within ${STOP_TIMEOUT}s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
}

# Stop every running server of DIR (lock held). Prints a line.
stop_shards() {
  local dir=$1 ids=() i sd pid stopped=0 pids=()
  mapfile -t ids < <(existing_shards "$dir")
  [[ -d $dir/router ]] && ids+=(R)
  # Send SIGTERM to all first, then wait: shutdowns run in parallel.
  for i in "${ids[@]}"; do
    sd=$(server_dir "$dir" "$i")
    pid=$(shard_pid "$sd")
    if [[ -n $pid ]]; then
      stop_pid "$pid" "$sd" & pids+=($!)
      stopped=$((stopped + 1))
    fi
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  for i in "${ids[@]}"; do
    sd=$(server_dir "$dir" "$i")
    rm -f "$sd/mariadbd.pid" "$sd/.launch.pid"
  done
  note "stopped $stopped server(s) under $dir"
}

# Delete what 'up' creates under DIR (servers already stopped, lock held).
wipe_shards() {
  local dir=$1 ids=() i sd
  mapfile -t ids < <(existing_shards "$dir")
  [[ -d $dir/router ]] && ids+=(R)
  for i in "${ids[@]}"; do
    sd=$(server_dir "$dir" "$i")
    if [[ -f $sd/my.cnf || -d $sd/data ]]; then rm -rf -- "$sd"; fi
  done
  rm -f -- "$dir/shards.cnf" "$dir"/.shards.cnf.*
  note "wiped shard data under $dir"
}

cmd_down() {
  local dir wipe
  dir_args down "down DIR [--wipe]" "$@"
  if [[ ! -d $dir ]]; then note "$dir does not exist; nothing to stop"; return 0; fi
  lock_dir "$dir"

  stop_shards "$dir"
  if ((wipe)); then
    wipe_shards "$dir"
    # DIR itself only if that leaves it empty.
    rm -f -- "$dir/.shards.lock"
    rmdir -- "$dir" 2>/dev/null || true
  fi
}

cmd_status() {
  local dir wipe
  dir_args status "status DIR" "$@"
  local ids=() i sd pid down=0
  [[ -d $dir ]] && mapfile -t ids < <(existing_shards "$dir")
  if ((${#ids[@]} == 0)); then echo "no shards under $dir"; return 1; fi
  [[ -d $dir/router ]] && ids+=(R)
  for i in "${ids[@]}"; do
    sd=$(server_dir "$dir" "$i")
    local name=shard$i
    [[ $i == R ]] && name=router
    pid=$(shard_pid "$sd")
    if [[ -n $pid ]] && ping_shard "$sd"; then
      echo "$name: up      pid $pid  socket $sd/sock"
    elif [[ -n $pid ]]; then
      echo "$name: NOT ANSWERING  pid $pid  socket $sd/sock  (log $sd/error.log)"; down=$((down + 1))
    else
      echo "$name: down    data $sd/data"; down=$((down + 1))
    fi
  done
  [[ -f $dir/shards.cnf ]] && echo "shard file: $dir/shards.cnf"
  ((down == 0))
}

(($#)) || usage_die "missing command (up, down, status)"
cmd=$1; shift
case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status "$@" ;;
  -h|--help|help) usage ;;
  *) usage_die "unknown command '$cmd' (up, down, status)" ;;
esac
