#!/usr/bin/env bash
# shards_grow_test.sh BUILD_DIR WORK_DIR
# scripts/shards.sh up M DIR on a DIR holding N < M shards (docs/shards.md "Local shards"), on
# shards of its own under WORK_DIR (stopped and wiped on exit):
#   1. up 2, a small txgen history loaded with 2 ranks; a hand-made option and comment put into
#      [shard1] (an operator's edit must survive);
#   2. up 3 while both run: [shard0] and [shard1] byte for byte unchanged, [shard2] added after
#      them, the file still mode 600; shard0/1 untouched (same pids, same rows); shard2 reachable
#      through the shard file's group (as txetl reads it) and empty (only an empty Customer);
#   3. down, then up 4 on the stopped DIR: all four start, the first three groups unchanged,
#      the data of shard0/1 still there;
#   4. up 2 (fewer) is refused with exit 2 and a message; the shard file is left alone;
#   5. --router kept: a router made at up 2 --router stays after the shard groups when
#      growing to 3, and with --tcp the new shard's port does not take the router's.
set -euo pipefail
build=$(realpath -- "$1")
work=$(realpath -m -- "$2")
src=$(cd "$(dirname "$0")/../.." && pwd)
shards_sh=$src/scripts/shards.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export TXETL_SHARD_BUFFER_POOL=${TXETL_SHARD_BUFFER_POOL:-64M} TXETL_SHARD_LOG_FILE=${TXETL_SHARD_LOG_FILE:-48M}
rm -rf "$work" && mkdir -p "$work" && cd "$work"
dir=$work/g   # short: unix socket paths are limited to 107 bytes
rdir=$work/r
if ((${#dir} > 70)); then dir=$(mktemp -d /tmp/txgrow.XXXXXX)/g; rdir=${dir%/g}/r; fi
cnf=$dir/shards.cnf
cleanup() {
  bash "$shards_sh" down "$dir" --wipe >/dev/null 2>&1 || true
  bash "$shards_sh" down "$rdir" --wipe >/dev/null 2>&1 || true
  [[ $dir == /tmp/txgrow.* ]] && rm -rf "${dir%/g}"
  return 0
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
step() { echo; echo "== $*"; }
q() { mariadb --no-defaults --socket="$1/sock" -uroot -N -B -e "$2"; }
# group FILE NAME: the lines of group [NAME] up to the next group header (exact bytes), without
# the blank lines that separate it from the next group.
group() {
  awk -v h="[$2]" '$0 == h { on = 1; print; next } on && /^\[/ { exit }
                   on && /^$/ { gap = gap "\n"; next } on { printf "%s%s\n", gap, $0; gap = "" }' "$1"
}
pids() { local i; for ((i = 0; i < $1; i++)); do cat "$dir/shard$i/mariadbd.pid"; done; }
rows() { q "$dir/shard$1" "SELECT COUNT(*) FROM Customer.TransactionsOptimized"; }

step "1. up 2, load a small history"
bash "$shards_sh" up 2 "$dir" | tail -1
"$build/txgen" --customers 300 --seed 7 --out h.csv --truth h.truth >/dev/null
mpiexec --oversubscribe -n 2 "$build/txetl" load --shards "$cnf" --no-snapshot --rejects r.csv h.csv \
  >load.log 2>&1 || { tail -20 load.log; exit 1; }
r0=$(rows 0) r1=$(rows 1)
echo "rows: shard0 $r0, shard1 $r1 (truth $(($(wc -l <h.truth) - 1)))"
((r0 > 0 && r1 > 0 && r0 + r1 == $(wc -l <h.truth) - 1)) || fail "the load did not store the history"
# An operator's edit inside [shard1]: a comment and an option, which growing must keep.
sed -i 's|^\[shard1\]$|[shard1]\n# operator: keep me\nconnect-timeout=7|' "$cnf"
cp -p "$cnf" before.cnf
group before.cnf shard0 >g0.before
group before.cnf shard1 >g1.before
grep -q 'keep me' g1.before || fail "the edit did not go into [shard1]"
pids_before=$(pids 2)

step "2. up 3 while shard0/1 run"
bash "$shards_sh" up 3 "$dir" | tee up3.log | sed 's/^/    | /'
group "$cnf" shard0 | cmp -s - g0.before || fail "[shard0] changed: $(group "$cnf" shard0 | diff g0.before - || true)"
group "$cnf" shard1 | cmp -s - g1.before || fail "[shard1] changed: $(group "$cnf" shard1 | diff g1.before - || true)"
# Everything before [shard2] is the old file but for the generated header's shard count.
n2=$(grep -n '^\[shard2\]$' "$cnf" | cut -d: -f1)
[[ -n $n2 ]] || fail "no [shard2] in $cnf"
diff <(head -n $((n2 - 2)) "$cnf" | tail -n +2) <(tail -n +2 before.cnf) >/dev/null ||
  fail "the lines before [shard2] differ from the old file: $(diff <(head -n $((n2 - 2)) "$cnf") before.cnf || true)"
head -n1 "$cnf" | grep -q 'for 3 local shard' || fail "header does not say 3 shards: $(head -n1 "$cnf")"
[[ $(grep -c '^\[shard[0-9]*\]$' "$cnf") == 3 ]] || fail "$cnf does not hold exactly 3 shard groups"
[[ $(stat -c %a "$cnf") == 600 ]] || fail "$cnf has mode $(stat -c %a "$cnf"), want 600"
[[ $(pids 2) == "$pids_before" ]] || fail "shard0/1 were restarted"
[[ $(rows 0) == "$r0" && $(rows 1) == "$r1" ]] || fail "shard0/1 rows changed: $(rows 0) $(rows 1)"
grep -q 'txetl reshard' up3.log || fail "up 3 does not say what to run next"
# shard2 through its group, as txetl reads it (the client library's option-file parser).
s2=$(/usr/bin/python3 - "$cnf" <<'EOF'
import sys, MySQLdb
c = MySQLdb.connect(read_default_file=sys.argv[1], read_default_group="shard2")
cur = c.cursor()
cur.execute("SELECT DATABASE(), @@socket, (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'Customer')")
print(*cur.fetchone())
EOF
) || fail "shard2 is not reachable through [shard2] of $cnf"
echo "    shard2 via [shard2]: $s2"
[[ $s2 == "Customer $dir/shard2/sock 0" ]] || fail "shard2: want an empty Customer on its socket, got '$s2'"

step "3. down, then up 4 on the stopped DIR"
cp -p "$cnf" three.cnf
bash "$shards_sh" down "$dir" | tail -1
bash "$shards_sh" up 4 "$dir" | tail -1
for g in shard0 shard1 shard2; do
  cmp -s <(group "$cnf" $g) <(group three.cnf $g) || fail "[$g] changed when growing to 4"
done
bash "$shards_sh" status "$dir" | sed 's/^/    | /' || fail "not all 4 shards answer"
[[ $(rows 0) == "$r0" && $(rows 1) == "$r1" ]] || fail "shard0/1 rows lost over down/up 4"
[[ $(q "$dir/shard3" "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'Customer'") == 0 ]] ||
  fail "shard3 is not empty"

step "4. up 2 on 4 shards is refused"
cp -p "$cnf" four.cnf
rc=0
bash "$shards_sh" up 2 "$dir" >down2.log 2>&1 || rc=$?
sed 's/^/    | /' down2.log
((rc == 2)) || fail "up 2 on 4 shards exited $rc, want 2"
grep -q 'holds 4 shard' down2.log || fail "the refusal does not say the DIR holds 4 shards"
cmp -s four.cnf "$cnf" || fail "the refused up 2 changed $cnf"

step "5. --router and --tcp: the router stays after the shard groups, keeps its port"
port=$((20000 + RANDOM % 20000))
bash "$shards_sh" up 2 "$rdir" --router --tcp "$port" | tail -1
group "$rdir/shards.cnf" router >router.before
bash "$shards_sh" up 3 "$rdir" --tcp "$port" | tail -1
order=$(grep -o '^\[[a-z0-9]*\]' "$rdir/shards.cnf" | tr -d '[]' | tr '\n' ' ')
[[ $order == "shard0 shard1 shard2 router " ]] || fail "group order '$order', want shard0 shard1 shard2 router"
cmp -s <(group "$rdir/shards.cnf" router) router.before || fail "[router] changed"
p2=$(q "$rdir/shard2" 'SELECT @@port') pr=$(q "$rdir/router" 'SELECT @@port')
echo "    ports: shard2 $p2, router $pr (base $port)"
[[ $pr == $((port + 2)) && $p2 == $((port + 3)) ]] || fail "ports: shard2 $p2 router $pr, want $((port + 3)) and $((port + 2))"
grep -q "port=$p2" <(group "$rdir/shards.cnf" shard2) || fail "[shard2] does not note its TCP port $p2"

if ((fails)); then echo "shards_grow: $fails check(s) failed" >&2; exit 1; fi
echo "shards_grow: ok"
