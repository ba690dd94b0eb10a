#!/usr/bin/env bash
# shards_reset.sh DIR N -- COMMAND...
# Puts the N local shards under DIR (scripts/shards.sh up N DIR) back into the state `up` leaves
# them in, then runs COMMAND: other client connections ended (a run lock or a transaction
# left by an earlier test), every database but the server's own dropped, an empty `Customer`
# created as `shards.sh up` creates it. Every test on the shared shards2 fixture
# (tests/shards.cmake) starts through this, so no test sees another's leftovers, in any order.
# ~0.1 s for 2 shards; a fresh pair of servers would cost several seconds per test.
set -euo pipefail
dir=$1 n=$2
shift 2
[[ ${1:-} == -- ]] && shift
client=$(command -v mariadb || command -v mysql) || { echo "shards_reset: no mariadb client" >&2; exit 1; }
t0=$(date +%s.%N)
for ((i = 0; i < n; i++)); do
  sql() { "$client" --no-defaults --socket="$dir/shard$i/sock" -uroot -N -B -e "$1"; }
  for id in $(sql "SELECT id FROM information_schema.processlist
                   WHERE id <> CONNECTION_ID() AND command NOT IN ('Daemon', 'Binlog Dump')
                     AND user NOT IN ('system user', 'event_scheduler')"); do
    sql "KILL CONNECTION $id" 2>/dev/null || true # it may have ended meanwhile
  done
  drops=""
  for db in $(sql "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN
                   ('mysql', 'information_schema', 'performance_schema', 'sys')"); do
    drops+="DROP DATABASE \`$db\`; "
  done
  # The database as scripts/shards.sh up creates it (byte-exact collation).
  sql "${drops}CREATE DATABASE Customer CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"
done
echo "shards_reset: $n shard(s) under $dir reset in $(echo "$(date +%s.%N) - $t0" | bc) s"
exec "$@"
