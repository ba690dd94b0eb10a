#!/usr/bin/env bash
# cluster.sh — a small cluster on this machine for txetl: NODES simulated hosts
# (Linux network namespaces, one address each on a private bridge), K MariaDB
# shards per host listening on that host's address (TCP only), and what mpirun
# needs to put ranks on those hosts (docs/commands.md). Run as root.
#
#   scripts/cluster.sh up NODES DIR [--shards-per-node K] [--delay-ms D] [--fresh] [--slurm]
#        start (creating if needed) the hosts and NODES*K shards; keeps existing
#        data unless --fresh (stop and wipe DIR's cluster first). Idempotent: what
#        runs is kept (the delay proxies are restarted when D changes). A larger K
#        on an existing cluster grows it: the NODES*(K'-K) new shards start empty, the
#        existing groups of DIR/shards.cnf stay as they were (for txetl reshard).
#        --delay-ms D: a delay proxy of this script's own in front of each shard
#        (this kernel has no netem): every byte is passed on D ms after it
#        arrived, in each direction (a round trip to a shard costs 2*D more).
#        Only the client<->shard traffic is delayed, not the MPI traffic.
#        --slurm: also a Slurm cluster over the hosts (Debian's slurm-wlm 22.05 +
#        munge): slurmctld in a namespace of its own (txc<N>c, 10.231.<N>.10,
#        hostname txc<N>ctl), one slurmd per host namespace (NodeName=txc<N>n<h>
#        NodeAddr=the host's address, slurmd -N txc<N>n<h>, hostname = node name,
#        a node-local /tmp = DIR/slurm/tmp/<node>; DIR, this checkout, the directory `up`
#        ran in and TXETL_CLUSTER_SHARED stay visible there when they lie under /tmp),
#        a private munged (unix socket under DIR/slurm/munge, reached from every
#        namespace through the shared file system); partition "cluster" (default),
#        TXETL_SLURM_CPUS [4] CPUs per node. Clients: source DIR/slurm.env
#        (SLURM_CONF=DIR/slurm/slurm.conf), e.g.
#          sbatch -N NODES --ntasks=NODES*K jobs/backfill.sbatch DIR/shards.cnf x.csv
#        'down' stops them (jobs are cancelled first) with everything else.
#   scripts/cluster.sh down DIR [--wipe]
#        stop everything 'up' started and remove exactly what it made: the
#        shard servers and proxies, any process still inside the namespaces,
#        the namespaces, their links and the bridge (--wipe: also the data).
#   scripts/cluster.sh status DIR     hosts, links and shards (exit 0 if all answer)
#   scripts/cluster.sh cut DIR HOST   take host HOST's link down (0-based): the
#                                     host is cut off, its processes go on
#   scripts/cluster.sh heal DIR HOST  bring its link back up
#   scripts/cluster.sh exec DIR HOST CMD...   run CMD inside host HOST's namespace
#
# Run txetl across the hosts (ranks are placed round-robin over the hosts):
#   mpirun $(cat DIR/mpirun.args) -n R txetl load --shards DIR/shards.cnf ...
#
# Network (nothing leaves the machine; only addresses made here are used):
#   bridge txc<N>br in the root namespace, address 10.231.<N>.1/24 (mpirun, the
#     head node, reaches the hosts' daemons through it; so do test tools);
#   host h = namespace txc<N>h<h>, veth txc<N>v<h> <-> eth0, address 10.231.<N>.<11+h>;
#   <N> (0..255) is picked once per DIR (hash of DIR, first free) and kept in
#   DIR/cluster.env, so several DIRs can run side by side.
# Shards: shard s lives on host s mod NODES (so with one rank per shard and
#   --map-by node, rank s runs on its shard's host), port 3306 + s div NODES
#   (proxy: 4306 + ...). Server config = scripts/shards.sh's bulk-load config
#   (the same function, read from that file) with bind-address = the host's
#   address, TCP keepalive (a client that vanished behind a cut link releases
#   its locks in ~16 s) and userstat (bytes per client host, for bench/).
#   Clients log in as txetl@'10.231.<N>.%' with a password made at creation
#   (DIR/shards.cnf, mode 600); root only on the unix socket, for this script.
#
# Files under DIR (absolute paths): cluster.env, shards.cnf, hostfile,
#   mpirun.args, agent (the launch agent: `agent HOST CMD` runs CMD with
#   `ip netns exec` in HOST's namespace, in a UTS namespace of its own whose
#   hostname is HOST), delayproxy.py, host<h>/shard<s>/{my.cnf,
#   data/, sock, mariadbd.pid, error.log}, host<h>/proxy<s>.{pid,log}.
# mpirun.args: hostfile, --map-by node, the agent (plm_rsh_agent, no tree spawn),
#   the interconnect (oob_tcp_if_include, btl_tcp_if_include = the cluster subnet)
#   short OOB TCP keepalives (mpirun declares a host cut off lost in ~11 s) and
#   orte_startup_timeout 30 (a host unreachable at launch fails the launch).
# Each host's kernel: net.ipv4.tcp_retries2 = 5 (unacknowledged data is given up
#   after ~13 s, so the daemons and ranks of a cut-off host end by themselves).
#
# Environment knobs: TXETL_SHARD_BUFFER_POOL [256M], TXETL_SHARD_LOG_FILE [256M],
#   TXETL_SHARD_START_TIMEOUT [30], TXETL_SHARD_STOP_TIMEOUT [60] (as shards.sh).
set -euo pipefail

PROG=cluster.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SHARDS_SH=$HERE/shards.sh
source "$HERE/lib/slurm-conf.sh"
die()  { echo "$PROG: error: $*" >&2; exit 1; }
usage_die() { echo "$PROG: $*" >&2; echo "Try '$PROG --help'." >&2; exit 2; }
note() { echo "$PROG: $*"; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

BUFFER_POOL=${TXETL_SHARD_BUFFER_POOL:-256M}
LOG_FILE_SIZE=${TXETL_SHARD_LOG_FILE:-256M}
START_TIMEOUT=${TXETL_SHARD_START_TIMEOUT:-30}
STOP_TIMEOUT=${TXETL_SHARD_STOP_TIMEOUT:-60}
SOCK_MAX=107
PY=/usr/bin/python3
NET="" NODES=0 K=0 DELAY=0 SLURM=0

abspath() { realpath -m -- "$1"; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found (scripts/install-deps.sh installs it)"; }

# scripts/shards.sh's write_server_cnf, read from that file: one bulk-load configuration.
# shellcheck disable=SC1090
source <(sed -n '/^write_server_cnf() {$/,/^}$/p' "$SHARDS_SH")
declare -F write_server_cnf >/dev/null || die "could not read write_server_cnf from $SHARDS_SH"

# ------------------------------------------------------------------ state ---
# DIR/cluster.env holds NET NODES K DELAY; loaded into globals.
load_env() { # dir -> 0 if a cluster.env exists
  local f=$1/cluster.env
  [[ -f $f ]] || return 1
  NET=$(sed -n 's/^NET=//p' "$f"); NODES=$(sed -n 's/^NODES=//p' "$f")
  K=$(sed -n 's/^K=//p' "$f"); DELAY=$(sed -n 's/^DELAY=//p' "$f")
  SLURM=$(sed -n 's/^SLURM=//p' "$f"); SLURM=${SLURM:-0}
  [[ $NET =~ ^[0-9]+$ && $NODES =~ ^[0-9]+$ && $K =~ ^[0-9]+$ && $DELAY =~ ^[0-9]+$ && $SLURM =~ ^[01]$ ]] ||
    die "$f is damaged"
}
save_env() {
  printf 'NET=%s\nNODES=%s\nK=%s\nDELAY=%s\nSLURM=%s\n' "$NET" "$NODES" "$K" "$DELAY" "$SLURM" >"$1/cluster.env.tmp"
  mv -f "$1/cluster.env.tmp" "$1/cluster.env"
}
ns_name() { echo "txc${NET}h$1"; }
veth_name() { echo "txc${NET}v$1"; }
br_name() { echo "txc${NET}br"; }
host_addr() { echo "10.231.$NET.$((11 + $1))"; }
head_addr() { echo "10.231.$NET.1"; }
subnet() { echo "10.231.$NET.0/24"; }
ctl_ns() { echo "txc${NET}c"; }           # --slurm: the controller's namespace
ctl_veth() { echo "txc${NET}vc"; }
ctl_addr() { echo "10.231.$NET.10"; }
ctl_name() { echo "txc${NET}ctl"; }
node_name() { echo "txc${NET}n$1"; }      # --slurm: host h's Slurm node name (and hostname)
shard_host() { echo $(($1 % NODES)); }
shard_port() { echo $((3306 + $1 / NODES)); }
proxy_port() { echo $((4306 + $1 / NODES)); }
shard_dir() { echo "$DIR/host$(shard_host "$1")/shard$1"; }

ns_exists() { [[ -e /run/netns/$1 ]]; }
link_exists() { ip link show dev "$1" >/dev/null 2>&1; }

# A free /24 for DIR: start at a hash of the path, skip nets that have a bridge
# or namespace of ours, or whose addresses are routed here already.
pick_net() {
  local h n t
  h=$(printf '%s' "$DIR" | cksum | cut -d' ' -f1)
  for ((t = 0; t < 256; t++)); do
    n=$(((h + t) % 256))
    link_exists "txc${n}br" && continue
    compgen -G "/run/netns/txc${n}h*" >/dev/null && continue
    [[ -e /run/netns/txc${n}c ]] && continue
    ip -4 route show | grep -q "^10\.231\.$n\." && continue
    ip -4 addr show | grep -q "inet 10\.231\.$n\." && continue
    echo "$n"; return 0
  done
  die "no free 10.231.N.0/24 left"
}

lock_dir() {
  exec 9>"$1/.cluster.lock"
  flock -w 300 9 || die "another $PROG is busy with $1 (lock $1/.cluster.lock)"
}

# ---------------------------------------------------------------- network ---
net_up() {
  local br h ns v
  br=$(br_name)
  if ! link_exists "$br"; then
    ip link add "$br" type bridge
    ip addr add "$(head_addr)/24" dev "$br"
  fi
  ip link set "$br" up
  for ((h = 0; h < NODES; h++)); do ns_link_up "$(ns_name "$h")" "$(veth_name "$h")" "$(host_addr "$h")"; done
  ((SLURM)) && ns_link_up "$(ctl_ns)" "$(ctl_veth)" "$(ctl_addr)"
  # Bridged frames pass iptables when br_netfilter is loaded: check the path.
  local hosts=() ok i x
  for ((h = 0; h < NODES; h++)); do hosts+=("$(ns_name "$h"):$(host_addr "$h")"); done
  ((SLURM)) && hosts+=("$(ctl_ns):$(ctl_addr)")
  for x in "${hosts[@]}"; do
    ok=0
    for ((i = 0; i < 30; i++)); do
      if reachable "${x%%:*}" "$(head_addr)"; then ok=1; break; fi
      sleep 0.2
    done
    ((ok)) || die "${x%%:*} (${x#*:}) cannot reach $(head_addr) over $br"
  done
}

# Namespace $1 with lo and eth0 (address $3) on the bridge through veth $2.
ns_link_up() {
  local ns=$1 v=$2 a=$3 br; br=$(br_name)
  ns_exists "$ns" || ip netns add "$ns"
  ip -n "$ns" link set lo up
  # This host's kernel gives up on unacknowledged TCP data after ~13 s (retries2=5)
  # instead of ~15 min (15): a process whose peer is cut off fails instead of hanging
  # (Open MPI's daemons have no TCP user timeout; keepalive only covers idle links).
  ip netns exec "$ns" sysctl -qw net.ipv4.tcp_retries2=5
  if ! ip -n "$ns" link show dev eth0 >/dev/null 2>&1; then
    link_exists "$v" && ip link del "$v"
    ip link add "$v" type veth peer name "${v}p"
    ip link set "${v}p" netns "$ns"
    ip -n "$ns" link set "${v}p" name eth0
    ip -n "$ns" addr add "$a/24" dev eth0
  fi
  ip link set "$v" master "$br"
  ip link set "$v" up
  ip -n "$ns" link set eth0 up
}

# From namespace $1, does $2 answer at all? (no ping here: a TCP connect to port 9 that
# succeeds or is refused proves the path; a timeout does not.)
reachable() {
  local out
  out=$(ip netns exec "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/9" 2>&1) && return 0
  [[ $out == *refused* ]]
}

# Every process inside namespace $1 (ip netns pids), then KILL what is left after TERM.
kill_ns_procs() {
  local ns=$1 pids i
  ns_exists "$ns" || return 0
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [[ -n $pids ]] || return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [[ -n $pids ]] || return 0
    sleep 0.2
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  sleep 0.3
}

net_down() {
  local h ns v br
  for ((h = 0; h < NODES; h++)); do
    ns=$(ns_name "$h") v=$(veth_name "$h")
    kill_ns_procs "$ns"
    ns_exists "$ns" && ip netns del "$ns"
    link_exists "$v" && { ip link del "$v" 2>/dev/null || true; }
  done
  ns=$(ctl_ns) v=$(ctl_veth)
  kill_ns_procs "$ns"
  ns_exists "$ns" && ip netns del "$ns"
  link_exists "$v" && { ip link del "$v" 2>/dev/null || true; }
  br=$(br_name)
  link_exists "$br" && ip link del "$br"
  return 0
}

# ----------------------------------------------------------------- shards ---
server_pid() { # sd: pid of mariadbd --defaults-file=sd/my.cnf, or nothing
  local sd=$1 p args
  for p in $( [[ -s $sd/mariadbd.pid ]] && cat "$sd/mariadbd.pid"; ls /proc | grep -E '^[0-9]+$'); do
    [[ -r /proc/$p/cmdline ]] || continue
    mapfile -d '' -t args </proc/"$p"/cmdline 2>/dev/null || continue
    ((${#args[@]} >= 2)) || continue
    [[ ${args[0]##*/} == mariadbd || ${args[0]##*/} == mysqld ]] || continue
    [[ ${args[1]} == "--defaults-file=$sd/my.cnf" ]] && { echo "$p"; return 0; }
  done
  return 0
}
ping_sock() { mariadb-admin --no-defaults --connect-timeout=2 --socket="$1/sock" -uroot ping >/dev/null 2>&1; }
root_sql() { mariadb --no-defaults --socket="$1/sock" -uroot -N -B -e "$2"; }

shard_cnf() { # s: write the server config
  local s=$1 sd h
  sd=$(shard_dir "$s") h=$(shard_host "$s")
  mkdir -p "$sd/tmp"
  write_server_cnf "$sd" "$s" "$(shard_port "$s")" ""
  grep -q '^bind-address = 127.0.0.1$' "$sd/my.cnf" || die "unexpected my.cnf from $SHARDS_SH (no bind-address line)"
  sed -i -e "s|^# TCP requested (--tcp): loopback only.|# TCP on this host's address (scripts/cluster.sh host $h).|" \
         -e "s|^bind-address = 127.0.0.1$|bind-address = $(host_addr "$h")|" \
         -e "s|^# txetl shard $s — generated by scripts/shards.sh; regenerated on every 'up'.|# txetl shard $s on cluster host $h — scripts/shards.sh's config, written by scripts/cluster.sh.|" \
    "$sd/my.cnf"
  cat >>"$sd/my.cnf" <<EOF

# --- added by scripts/cluster.sh -------------------------------------------------
[mariadbd]
# A client that vanished behind a cut link (its host dead or unreachable) holds
# the run lock and row locks until the server notices: probe idle connections
# after 10 s, every 2 s, 3 misses = gone (instead of the OS's 2 h).
tcp_keepalive_time = 10
tcp_keepalive_interval = 2
tcp_keepalive_probes = 3
# information_schema.CLIENT_STATISTICS: bytes per client host (bench/ accounting).
userstat = 1
EOF
}

start_shard() { # s
  local s=$1 sd ns
  sd=$(shard_dir "$s") ns=$(ns_name "$(shard_host "$s")")
  rm -f "$sd/mariadbd.pid"
  if [[ ! -d $sd/data/mysql ]]; then
    ip netns exec "$ns" mariadb-install-db --defaults-file="$sd/my.cnf" --datadir="$sd/data" \
      --user="$(id -un)" --auth-root-authentication-method=normal --skip-test-db \
      --skip-name-resolve >"$sd/install.log" 2>&1 ||
      { tail -20 "$sd/install.log" >&2; rm -rf "$sd/data"; die "mariadb-install-db failed for shard $s"; }
  fi
  # setsid: own session (CTest killing our group leaves it alone; down stops it).
  ip netns exec "$ns" setsid "$(command -v mariadbd || echo /usr/sbin/mariadbd)" \
    --defaults-file="$sd/my.cnf" </dev/null >>"$sd/error.log" 2>&1 9>&- &
}

wait_shard() { # s
  local s=$1 sd deadline=$((SECONDS + START_TIMEOUT))
  sd=$(shard_dir "$s")
  while ((SECONDS < deadline)); do
    ping_sock "$sd" && return 0
    sleep 0.2
  done
  tail -n 25 "$sd/error.log" >&2 || true
  die "shard $s did not answer within ${START_TIMEOUT}s"
}

stop_pid() { # pid what
  local pid=$1 deadline=$((SECONDS + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "$PROG: warning: $2 (pid $pid) did not stop in ${STOP_TIMEOUT}s; SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true; sleep 0.3; break
    fi
    sleep 0.2
  done
}

# ------------------------------------------------------------------ proxy ---
write_proxy() {
  cat >"$DIR/delayproxy.py.tmp" <<'PY'
#!/usr/bin/python3
"""delayproxy.py LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS
TCP proxy (from scripts/cluster.sh): every chunk read on one side is written to the other side
DELAY_MS after it was read, order kept, in both directions; half-closes and resets are passed on.
Bounded buffering (backpressure): at most 256 chunks in flight per direction."""
import asyncio, sys

lhost, lport, thost, tport, delay_ms = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
D = delay_ms / 1000.0

async def pump(reader, writer, loop):
    q = asyncio.Queue(maxsize=256)
    async def send():
        try:
            while True:
                t, data = await q.get()
                wait = t + D - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
    sender = asyncio.ensure_future(send())
    try:
        while True:
            data = await reader.read(65536)
            await q.put((loop.time(), data))
            if not data:
                break
    except (ConnectionError, OSError):
        sender.cancel()
        writer.transport.abort()
    await asyncio.gather(sender, return_exceptions=True)

async def handle(cr, cw):
    loop = asyncio.get_event_loop()
    try:
        sr, sw = await asyncio.open_connection(thost, tport)
    except OSError:
        cw.transport.abort()
        return
    await asyncio.gather(pump(cr, sw, loop), pump(sr, cw, loop), return_exceptions=True)
    for w in (cw, sw):
        w.close()

async def main():
    server = await asyncio.start_server(handle, lhost, lport, reuse_address=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
PY
  mv -f "$DIR/delayproxy.py.tmp" "$DIR/delayproxy.py"
}

proxy_pid() { # s
  local f pid
  f=$DIR/host$(shard_host "$1")/proxy$1.pid
  [[ -s $f ]] || return 0
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | grep -q -- "$DIR/delayproxy.py" && echo "$pid"
  return 0
}
proxy_delay() { # s: the delay the running proxy was started with
  local pid; pid=$(proxy_pid "$1")
  [[ -n $pid ]] && tr '\0' '\n' </proc/"$pid"/cmdline | tail -n1
  return 0
}
stop_proxy() { # s
  local pid; pid=$(proxy_pid "$1")
  [[ -n $pid ]] && stop_pid "$pid" "proxy of shard $1"
  rm -f "$DIR/host$(shard_host "$1")/proxy$1.pid"
}
start_proxy() { # s
  local s=$1 h ns a
  h=$(shard_host "$s") ns=$(ns_name "$(shard_host "$s")") a=$(host_addr "$(shard_host "$s")")
  ip netns exec "$ns" setsid "$PY" "$DIR/delayproxy.py" "$a" "$(proxy_port "$s")" "$a" \
    "$(shard_port "$s")" "$DELAY" </dev/null >>"$DIR/host$h/proxy$s.log" 2>&1 9>&- &
  echo $! >"$DIR/host$h/proxy$s.pid"
}
wait_proxy() { # s
  local s=$1 i a
  a=$(host_addr "$(shard_host "$s")")
  for ((i = 0; i < 50; i++)); do
    ip netns exec "$(ns_name "$(shard_host "$s")")" bash -c "exec 3<>/dev/tcp/$a/$(proxy_port "$s")" 2>/dev/null && return 0
    sleep 0.1
  done
  die "delay proxy of shard $s does not listen on $a:$(proxy_port "$s") (log $DIR/host$(shard_host "$s")/proxy$s.log)"
}

# ------------------------------------------------------------------ slurm ---
# --slurm: a Slurm cluster over the hosts. slurmctld in a namespace of its own
# (txc<N>c, 10.231.<N>.10, hostname txc<N>ctl), one slurmd per host namespace
# (NodeName=txc<N>n<h> NodeAddr=the host's address, `slurmd -N`, hostname = node
# name in a UTS namespace, its own /tmp = DIR/slurm/tmp/<node> in a mount
# namespace: Slurm's PMIx plugin and Open MPI keep per-node files under /tmp),
# a private munged on a unix socket under DIR/slurm/munge (all namespaces share
# the file system, so every daemon and client reaches it).
SPORT=6817
SLURM_CPUS=${TXETL_SLURM_CPUS:-4}
SLURM_TIMEOUT=${TXETL_SLURM_TIMEOUT:-60}
sl_dir() { echo "$DIR/slurm"; }
sl_conf() { echo "$DIR/slurm/slurm.conf"; }
munge_works() { munge -S "$1" -n 2>/dev/null | unmunge -S "$1" >/dev/null 2>&1; }

sl_munged() {
  local md; md=$(sl_dir)/munge
  local sock=$md/munge.sock pidf=$md/munged.pid old i
  munge_works "$sock" && return 0
  id munge >/dev/null 2>&1 || die "no 'munge' user (is the munge package configured?)"
  if [[ ! -s /etc/munge/munge.key ]]; then
    mkdir -p /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key >/dev/null || die "mungekey could not create /etc/munge/munge.key"
    chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
  fi
  mkdir -p "$md"; chown munge:munge "$md"; chmod 755 "$md"
  runuser -u munge -- test -w "$md" || die "the munge user cannot write $md (a parent of DIR is not world-searchable)"
  old=$(cat "$pidf" 2>/dev/null || true)
  if [[ -n $old ]] && ! kill -0 "$old" 2>/dev/null; then rm -f "$pidf" "$sock" "$sock.lock"; fi
  runuser -u munge -- /usr/sbin/munged --socket="$sock" --pid-file="$pidf" --log-file="$md/munged.log" \
    --seed-file="$md/munged.seed" </dev/null >"$md/munged.start.log" 2>&1 9>&- ||
    { cat "$md/munged.start.log" >&2; die "munged did not start (log $md/munged.log)"; }
  for ((i = 0; i < 50; i++)); do munge_works "$sock" && return 0; sleep 0.1; done
  die "munged started but 'munge -n | unmunge' fails on $sock"
}

sl_write_conf() {
  local sd h tmp; sd=$(sl_dir)
  tmp=$(mktemp "$sd/.slurm.conf.XXXXXX")
  {
    cat <<CONF
# Slurm over the simulated hosts of scripts/cluster.sh under $DIR (--slurm);
# rewritten on every 'up' that starts the daemons. Clients: export SLURM_CONF=$sd/slurm.conf
ClusterName=txc$NET
SlurmctldHost=$(ctl_name)($(ctl_addr))
SlurmctldPort=$SPORT
SlurmdPort=$((SPORT + 1))
CONF
    slurm_conf_common "$sd" 1
    for ((h = 0; h < NODES; h++)); do
      echo "NodeName=$(node_name "$h") NodeAddr=$(host_addr "$h") CPUs=$SLURM_CPUS State=UNKNOWN"
    done
    echo "PartitionName=cluster Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
  } >"$tmp"
  mv -f "$tmp" "$sd/slurm.conf"
  printf 'export SLURM_CONF=%s\n' "$sd/slurm.conf" >"$DIR/slurm.env"
}

sl_pid() { # name(slurmctld|slurmd.<node>): pid if that daemon of this DIR runs
  local f pid pat; f=$(sl_dir)/run/$1.launch
  [[ -s $f ]] || return 0
  pid=$(<"$f")
  if [[ $1 == slurmctld ]]; then pat="slurmctld -D -i -f $(sl_conf)"; else pat="slurmd -D -N ${1#slurmd.} -f $(sl_conf)"; fi
  [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | grep -qF -- "$pat" && echo "$pid"
  return 0
}
sl_alive() { kill -0 "$(cat "$(sl_dir)/run/$1.launch" 2>/dev/null || echo 0)" 2>/dev/null; }

# setsid (own session), then the namespace, then hostname (+ private /tmp) and exec.
# nsenter --net, not 'ip netns exec': that one mounts a fresh /sys without the
# cgroup file systems, and slurmd (22.05) refuses to start without them
# ("error: No filesystem mounted on /sys/fs/cgroup", even with proctrack/linuxproc).
sl_start() { # name ns hostname tmpdir|"" args...
  local name=$1 ns=$2 hn=$3 tmp=$4 sd pre; shift 4; sd=$(sl_dir)
  local bin; bin=$(command -v "${name%%.*}" || echo "/usr/sbin/${name%%.*}")
  if [[ -n $tmp ]]; then
    mkdir -p "$tmp"; chmod 1777 "$tmp"
    # What the jobs must see stays visible when it lies under /tmp (bound into the node's
    # /tmp at the same path): DIR, this checkout (binaries, test work dirs), the directory
    # `up` ran in, and TXETL_CLUSTER_SHARED (colon-separated paths).
    local shared=() p q seen binds=""
    IFS=: read -r -a shared <<<"$DIR:$(cd "$HERE/.." && pwd):$PWD:${TXETL_CLUSTER_SHARED:-}"
    for p in "${shared[@]}"; do
      [[ $p == /tmp/* ]] || continue
      seen=0
      for q in "${shared[@]}"; do # a path inside another shared one is bound with it
        [[ $q == /tmp/* && $q != "$p" && $p == "$q"/* ]] && seen=1
      done
      ((seen)) || [[ $binds == *"'$p' "* ]] && continue
      mkdir -p "$tmp/${p#/tmp/}"
      binds+="mount --bind '$p' '$tmp/${p#/tmp/}' && "
    done
    if [[ -n $binds ]]; then
      pre="${binds}mount --rbind '$tmp' /tmp && "
    else
      pre="mount --bind '$tmp' /tmp && "
    fi
    setsid nsenter --net="/run/netns/$ns" unshare --uts --mount --propagation private \
      sh -c "${pre}hostname '$hn' && exec '$bin' -D $* -f '$(sl_conf)'" \
      </dev/null >>"$sd/log/$name.stdout" 2>&1 9>&- &
  else
    setsid nsenter --net="/run/netns/$ns" unshare --uts sh -c "hostname '$hn' && exec '$bin' -D $* -f '$(sl_conf)'" \
      </dev/null >>"$sd/log/$name.stdout" 2>&1 9>&- &
  fi
  echo $! >"$sd/run/$name.launch"
}

sl_tail_logs() {
  local f
  for f in "$(sl_dir)"/log/*.log "$(sl_dir)"/log/*.stdout; do
    [[ -s $f ]] || continue; echo "---- last lines of $f ----" >&2; tail -n 12 "$f" >&2
  done
}

slurm_up() {
  local sd h n i started=0 st bad resumed=0; sd=$(sl_dir)
  mkdir -p "$sd"/{state,spool,log,run,tmp}
  chmod 755 "$sd" "$sd"/{state,spool,log,run,tmp}
  sl_munged
  if [[ -z $(sl_pid slurmctld) ]]; then
    for ((h = 0; h < NODES; h++)); do [[ -n $(sl_pid "slurmd.$(node_name "$h")") ]] && break; done
    ((h == NODES)) && sl_write_conf   # no daemon of ours runs: a fresh configuration
    sl_start slurmctld "$(ctl_ns)" "$(ctl_name)" "" -i; started=1
    for ((i = 0; i < 60; i++)); do
      bash -c "exec 3<>/dev/tcp/$(ctl_addr)/$SPORT" 2>/dev/null && break
      sl_alive slurmctld || { sl_tail_logs; die "slurmctld exited during start-up"; }
      sleep 0.25
    done
  fi
  for ((h = 0; h < NODES; h++)); do
    n=$(node_name "$h")
    [[ -n $(sl_pid "slurmd.$n") ]] && continue
    mkdir -p "$sd/spool/$n"
    sl_start "slurmd.$n" "$(ns_name "$h")" "$n" "$sd/tmp/$n" -N "$n"; started=1
  done
  local deadline=$((SECONDS + SLURM_TIMEOUT))
  while ((SECONDS < deadline)); do
    sl_alive slurmctld || { sl_tail_logs; die "slurmctld exited"; }
    for ((h = 0; h < NODES; h++)); do
      sl_alive "slurmd.$(node_name "$h")" || { sl_tail_logs; die "slurmd of $(node_name "$h") exited"; }
    done
    st=$(SLURM_CONF=$(sl_conf) sinfo -h -N -o '%N=%T' 2>/dev/null | sort -u | tr '\n' ' ')
    bad=0
    for ((h = 0; h < NODES; h++)); do
      case " $st" in *" $(node_name "$h")="idle*|*" $(node_name "$h")="mixed*|*" $(node_name "$h")="alloc*) ;;
        *) bad=1 ;; esac
    done
    ((bad == 0)) && break
    if [[ $st == *down* || $st == *drain* ]] && ((!resumed)); then
      SLURM_CONF=$(sl_conf) scontrol update NodeName=ALL State=RESUME >/dev/null 2>&1 || true; resumed=1
    fi
    sleep 0.5
  done
  ((bad == 0)) || { sl_tail_logs; die "Slurm nodes not idle within ${SLURM_TIMEOUT}s: ${st:-no answer from slurmctld}"; }
  note "slurm: slurmctld on $(ctl_addr) ($(ctl_ns)), slurmd on ${NODES} host(s): $st($( ((started)) && echo started || echo kept))"
}

slurm_stop() {
  local sd h pid; sd=$(sl_dir)
  [[ -d $sd ]] || return 0
  if [[ -n $(sl_pid slurmctld) ]]; then
    SLURM_CONF=$(sl_conf) timeout 10 scancel --quiet --full -u "$(id -un)" >/dev/null 2>&1 || true
  fi
  for ((h = 0; h < NODES; h++)); do
    pid=$(sl_pid "slurmd.$(node_name "$h")"); [[ -n $pid ]] && stop_pid "$pid" "slurmd $(node_name "$h")"
  done
  pid=$(sl_pid slurmctld); [[ -n $pid ]] && stop_pid "$pid" slurmctld
  rm -f "$sd"/run/*.launch
  pid=$(cat "$sd/munge/munged.pid" 2>/dev/null || true)
  if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | grep -q -- "munged.*$sd/munge/"; then
    stop_pid "$pid" munged
  fi
  rm -f "$sd/munge/munged.pid"
  return 0
}

# ------------------------------------------------------------- client side ---
write_client_files() {
  local s tmp pw h args
  pw=$(<"$DIR/.password")
  tmp=$(mktemp "$DIR/.shards.cnf.XXXXXX"); chmod 600 "$tmp"
  {
    echo "# txetl shard file (docs/shards.md) — generated by scripts/cluster.sh: $((NODES * K)) shard(s) on"
    echo "# $NODES simulated host(s); shard s on host s mod $NODES, reached over TCP only."
    ((DELAY > 0)) && echo "# Through the delay proxies: +$DELAY ms each way (--delay-ms $DELAY)."
    for ((s = 0; s < NODES * K; s++)); do
      echo; echo "[shard$s]"
      echo "# host $(shard_host "$s") (namespace $(ns_name "$(shard_host "$s")"))"
      echo "host=$(host_addr "$(shard_host "$s")")"
      if ((DELAY > 0)); then echo "port=$(proxy_port "$s")"; else echo "port=$(shard_port "$s")"; fi
      echo "protocol=tcp"
      echo "user=txetl"
      echo "password=$pw"
      echo "database=Customer"
    done
  } >"$tmp"
  mv -f "$tmp" "$DIR/shards.cnf"

  {
    echo "# Open MPI hostfile — scripts/cluster.sh: one line per simulated host."
    for ((h = 0; h < NODES; h++)); do echo "$(host_addr "$h") slots=16"; done
  } >"$DIR/hostfile"

  cat >"$DIR/agent.tmp" <<EOF
#!/bin/sh
# Open MPI launch agent (plm_rsh_agent) for the cluster under $DIR, written by
# scripts/cluster.sh: 'agent [OPTIONS] HOST COMMAND...' runs COMMAND in HOST's
# network namespace, as ssh would run it on HOST. Only this cluster's hosts.
while [ \$# -gt 0 ]; do case \$1 in -*) shift ;; *) break ;; esac; done
host=\$1; shift
case \$host in
$(for ((h = 0; h < NODES; h++)); do echo "  $(host_addr "$h")|$(ns_name "$h")) ns=$(ns_name "$h") ;;"; done)
  *) echo "agent: \$host is not a host of the cluster under $DIR" >&2; exit 255 ;;
esac
# Own UTS namespace with the host's address as hostname: daemons that all report
# the head node's hostname confuse Open MPI's node bookkeeping (launches hang at
# random, "NO PATH TO TARGET"); on a real cluster every host has its own name.
exec ip netns exec "\$ns" unshare --uts sh -c "hostname \$host && \$*"
EOF
  chmod 755 "$DIR/agent.tmp"; mv -f "$DIR/agent.tmp" "$DIR/agent"

  args=(
    --hostfile "$DIR/hostfile" --map-by node
    --mca plm_rsh_agent "$DIR/agent" --mca plm_rsh_no_tree_spawn 1
    --mca oob_tcp_if_include "$(subnet)" --mca btl_tcp_if_include "$(subnet)"
    --mca oob_tcp_keepalive_time 5 --mca oob_tcp_keepalive_intvl 2 --mca oob_tcp_keepalive_probes 3
    --mca orte_startup_timeout 30
  )
  printf '%s\n' "${args[*]}" >"$DIR/mpirun.args"
}

# --------------------------------------------------------------- commands ---
parse_dir() { DIR=$(abspath "$1"); }

cmd_up() {
  local nodes="" dir="" k=1 delay=0 fresh=0 slurm=0
  while (($#)); do
    case $1 in
      --shards-per-node) [[ $# -ge 2 ]] || usage_die "--shards-per-node needs a number"; k=$2; shift 2 ;;
      --shards-per-node=*) k=${1#*=}; shift ;;
      --delay-ms) [[ $# -ge 2 ]] || usage_die "--delay-ms needs a number"; delay=$2; shift 2 ;;
      --delay-ms=*) delay=${1#*=}; shift ;;
      --fresh) fresh=1; shift ;;
      --slurm) slurm=1; shift ;;
      -h|--help) usage; exit 0 ;;
      -*) usage_die "up: unknown option '$1'" ;;
      *) if [[ -z $nodes ]]; then nodes=$1; elif [[ -z $dir ]]; then dir=$1; else usage_die "up: too many arguments"; fi; shift ;;
    esac
  done
  [[ -n $nodes && -n $dir ]] || usage_die "usage: $PROG up NODES DIR [--shards-per-node K] [--delay-ms D] [--fresh] [--slurm]"
  [[ $nodes =~ ^[0-9]+$ ]] && ((nodes >= 1 && nodes <= 16)) || usage_die "up: NODES must be 1..16, got '$nodes'"
  [[ $k =~ ^[0-9]+$ ]] && ((k >= 1 && k <= 16)) || usage_die "--shards-per-node must be 1..16, got '$k'"
  [[ $delay =~ ^[0-9]+$ ]] && ((delay <= 10000)) || usage_die "--delay-ms must be 0..10000, got '$delay'"
  (($(id -u) == 0)) || die "must run as root (network namespaces)"
  need ip; need mariadbd; need mariadb-install-db; need mariadb-admin; need mariadb; need flock; need setsid; need unshare
  ip netns list >/dev/null 2>&1 || die "'ip netns' does not work here"
  [[ -x $PY ]] || die "$PY not found"
  parse_dir "$dir"
  local longest="$DIR/host$((nodes - 1))/shard$((nodes * k - 1))/sock"
  ((${#longest} <= SOCK_MAX)) || usage_die "socket path '$longest' is too long for a unix socket; use a shorter DIR"
  mkdir -p "$DIR"; chmod 755 "$DIR"
  lock_dir "$DIR"

  if ((fresh)) && load_env "$DIR"; then teardown 1; fi
  if load_env "$DIR"; then
    # Growing (more shards per host, same hosts): shard s stays on host s mod NODES with the
    # same port, so the existing groups of shards.cnf come out byte for byte as they were.
    ((NODES == nodes && k >= K)) ||
      usage_die "$DIR holds a cluster of $NODES host(s) x $K shard(s), not $nodes x $k (a cluster keeps its hosts and never shrinks; more shards per host grow it); '$PROG down $DIR --wipe' first or use another DIR"
    if ((k > K)); then
      note "growing $DIR from $((NODES * K)) to $((NODES * k)) shards: shard$((NODES * K))..shard$((NODES * k - 1)) start empty; then txetl reshard --shards $DIR/shards.cnf"
      K=$k
    fi
  else
    NODES=$nodes K=$k NET=$(pick_net)
    [[ -s $DIR/.password ]] || { (umask 077; od -An -tx1 -N12 /dev/urandom | tr -d ' \n' >"$DIR/.password"); }
  fi
  local old_delay=$DELAY; DELAY=$delay
  if ((slurm)); then
    SLURM=1
    need slurmctld; need slurmd; need sinfo; need scontrol; need munge; need runuser
    [[ -x /usr/sbin/munged ]] || die "/usr/sbin/munged not found (scripts/install-deps.sh installs slurm-wlm and munge)"
  fi
  save_env "$DIR"
  local t0=$SECONDS s started=0
  net_up

  for ((s = 0; s < NODES * K; s++)); do
    mkdir -p "$DIR/host$(shard_host "$s")"
    if [[ -n $(server_pid "$(shard_dir "$s")") ]]; then continue; fi
    shard_cnf "$s"; start_shard "$s"; started=$((started + 1))
  done
  for ((s = 0; s < NODES * K; s++)); do wait_shard "$s"; done
  local sub="10.231.$NET.%" pw; pw=$(<"$DIR/.password")
  for ((s = 0; s < NODES * K; s++)); do
    # Disposable test shards on a private subnet: the client user may do anything
    # (the tests drop and recreate the database, and read information_schema).
    root_sql "$(shard_dir "$s")" "CREATE DATABASE IF NOT EXISTS Customer CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin;
      CREATE USER IF NOT EXISTS 'txetl'@'$sub' IDENTIFIED BY '$pw';
      GRANT ALL PRIVILEGES ON *.* TO 'txetl'@'$sub';" >/dev/null ||
      die "shard $s: could not create the database or the client user"
  done

  write_proxy
  for ((s = 0; s < NODES * K; s++)); do
    if ((DELAY > 0)); then
      [[ $(proxy_delay "$s") == "$DELAY" ]] && continue
      stop_proxy "$s"; start_proxy "$s"
    else
      stop_proxy "$s"
    fi
  done
  if ((DELAY > 0)); then for ((s = 0; s < NODES * K; s++)); do wait_proxy "$s"; done; fi
  write_client_files
  ((SLURM)) && slurm_up
  # The shards answer over TCP from the head node, with the client account.
  for ((s = 0; s < NODES * K; s++)); do
    MYSQL_PWD=$pw mariadb --no-defaults --connect-timeout=5 --protocol=tcp -utxetl \
      -h "$(host_addr "$(shard_host "$s")")" \
      -P "$(if ((DELAY > 0)); then proxy_port "$s"; else shard_port "$s"; fi)" \
      -N -B -e 'SELECT 1' >/dev/null 2>&1 ||
      die "shard $s does not answer over TCP on $(host_addr "$(shard_host "$s")")"
  done
  ((old_delay == DELAY)) || note "delay proxies: ${old_delay} -> ${DELAY} ms"
  note "$NODES host(s) on $(subnet) ($(ns_name 0)..), $((NODES * K)) shard(s) ($started started) in $((SECONDS - t0))s"
  note "shard file: $DIR/shards.cnf; run: mpirun \$(cat $DIR/mpirun.args) -n R txetl ..."
}

# Stop servers and proxies, end every process left in the namespaces, remove the network.
teardown() { # wipe
  local s sd pid pids=()
  slurm_stop
  for ((s = 0; s < NODES * K; s++)); do stop_proxy "$s"; done
  for ((s = 0; s < NODES * K; s++)); do
    sd=$(shard_dir "$s"); pid=$(server_pid "$sd")
    [[ -n $pid ]] && { stop_pid "$pid" "shard $s" & pids+=($!); }
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  net_down
  if (($1)); then
    local h
    for ((h = 0; h < NODES; h++)); do rm -rf -- "$DIR/host$h"; done
    rm -rf -- "$DIR/slurm"
    rm -f -- "$DIR/slurm.env" "$DIR/shards.cnf" "$DIR/hostfile" "$DIR/mpirun.args" "$DIR/agent" "$DIR/delayproxy.py" \
      "$DIR/cluster.env" "$DIR/.password" "$DIR"/.shards.cnf.*
  fi
}

cmd_down() {
  local dir="" wipe=0
  while (($#)); do
    case $1 in
      --wipe) wipe=1; shift ;;
      -h|--help) usage; exit 0 ;;
      -*) usage_die "down: unknown option '$1'" ;;
      *) [[ -z $dir ]] || usage_die "down: too many arguments"; dir=$1; shift ;;
    esac
  done
  [[ -n $dir ]] || usage_die "usage: $PROG down DIR [--wipe]"
  parse_dir "$dir"
  [[ -d $DIR ]] || { note "$DIR does not exist; nothing to stop"; return 0; }
  lock_dir "$DIR"
  load_env "$DIR" || { note "no cluster under $DIR (no cluster.env)"; return 0; }
  teardown "$wipe"
  note "stopped the cluster under $DIR (net $(subnet))$( ((wipe)) && echo '; data wiped')"
  if ((wipe)); then rm -f -- "$DIR/.cluster.lock"; rmdir -- "$DIR" 2>/dev/null || true; fi
}

cmd_status() {
  parse_dir "${1:?usage: $PROG status DIR}"
  load_env "$DIR" || { echo "no cluster under $DIR"; return 1; }
  local h s bad=0 st
  for ((h = 0; h < NODES; h++)); do
    if ! ns_exists "$(ns_name "$h")"; then echo "host$h: NO NAMESPACE"; bad=1; continue; fi
    st=$(ip -br link show dev "$(veth_name "$h")" 2>/dev/null | awk '{print $2}')
    echo "host$h: $(ns_name "$h") $(host_addr "$h") link ${st:-missing}"
    [[ $st == UP ]] || bad=1
  done
  for ((s = 0; s < NODES * K; s++)); do
    if ping_sock "$(shard_dir "$s")"; then
      echo "shard$s: up on $(host_addr "$(shard_host "$s")"):$(shard_port "$s")$( ((DELAY)) && echo " (proxy :$(proxy_port "$s"), $DELAY ms)")"
    else echo "shard$s: DOWN"; bad=1; fi
  done
  if ((SLURM)); then
    local n; for n in slurmctld $(for ((h = 0; h < NODES; h++)); do echo "slurmd.$(node_name "$h")"; done); do
      if [[ -n $(sl_pid "$n") ]]; then echo "$n: up (pid $(sl_pid "$n"))"; else echo "$n: DOWN"; bad=1; fi
    done
    SLURM_CONF=$(sl_conf) timeout 10 sinfo -N -o '%N %T %c' 2>&1 || bad=1
    echo "SLURM_CONF=$(sl_conf)"
  fi
  ((bad == 0))
}

cmd_link() { # up|down DIR HOST
  local state=$1; parse_dir "${2:?usage: $PROG cut|heal DIR HOST}"
  local h=${3:?usage: $PROG cut|heal DIR HOST}
  load_env "$DIR" || die "no cluster under $DIR"
  [[ $h =~ ^[0-9]+$ ]] && ((h < NODES)) || usage_die "HOST must be 0..$((NODES - 1))"
  ip link set "$(veth_name "$h")" "$state"
  note "host $h ($(host_addr "$h")): link $state"
}

cmd_exec() {
  parse_dir "${1:?usage: $PROG exec DIR HOST CMD...}"
  local h=${2:?usage: $PROG exec DIR HOST CMD...}; shift 2
  load_env "$DIR" || die "no cluster under $DIR"
  [[ $h =~ ^[0-9]+$ ]] && ((h < NODES)) || usage_die "HOST must be 0..$((NODES - 1))"
  exec ip netns exec "$(ns_name "$h")" "$@"
}

(($#)) || usage_die "missing command (up, down, status, cut, heal, exec)"
cmd=$1; shift
case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status "$@" ;;
  cut) cmd_link down "$@" ;;
  heal) cmd_link up "$@" ;;
  exec) cmd_exec "$@" ;;
  -h|--help|help) usage ;;
  *) usage_die "unknown command '$cmd' (up, down, status, cut, heal, exec)" ;;
esac
