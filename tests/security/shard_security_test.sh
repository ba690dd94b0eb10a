#!/usr/bin/env bash
# shard_security_test.sh - TLS to a shard and least privileges (sql/grants.sql), against one
# real local MariaDB shard of its own (not the shards2 fixture).
#
#   shard_security_test.sh MODE BUILD_DIR SOURCE_DIR WORK_DIR
#
# MODE:
#   up        certificates (openssl: a CA, a server cert for 127.0.0.1, and an unrelated CA),
#             one shard with TLS on a free TCP port (scripts/shards.sh --tcp --tls), the role of
#             sql/grants.sql, and the accounts the other modes use
#   tls       `txetl status` over TCP with ssl-ca + ssl-verify-server-cert succeeds as a user
#             created REQUIRE SSL, and the session reading the same [shard0] group through
#             libmariadb (python MySQLdb) has an Ssl_cipher
#   wrong_ca  the same with a CA that did not sign the server's cert fails, exit 1, with a
#             message naming the shard and the TLS problem
#   grants    a small `txetl load` as a user holding only the txetl_loader role succeeds and
#             stores its rows; the same as a SELECT-only user fails
#   down      stops and wipes the shard
set -euo pipefail
mode=$1 build=$2 src=$3 work=$4
shards=$work/shards certs=$work/certs
txetl=$build/txetl
root_sql() { mariadb --no-defaults --socket="$shards/shard0/sock" -uroot -N -B "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

write_cnf() { # file user password [extra lines...]
  local f=$1 user=$2 pw=$3
  shift 3
  {
    echo "[shard0]"
    echo "user=$user"
    echo "password=$pw"
    echo "database=Customer"
    printf '%s\n' "$@"
  } >"$f"
  chmod 600 "$f"
}

case $mode in
up)
  bash "$src/scripts/shards.sh" down "$shards" --wipe >/dev/null 2>&1 || true
  rm -rf "$work"
  mkdir -p "$certs"
  cd "$certs"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=txetl test CA" \
    -keyout ca-key.pem -out ca.pem 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout server-key.pem -out server.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
    -extfile san.ext -out server-cert.pem 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=some other CA" \
    -keyout other-ca-key.pem -out other-ca.pem 2>/dev/null
  chmod 644 ./*.pem
  openssl verify -CAfile ca.pem server-cert.pem
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  echo "$port" >"$work/port"
  TXETL_SHARD_BUFFER_POOL=64M TXETL_SHARD_LOG_FILE=48M \
    bash "$src/scripts/shards.sh" up 1 "$shards" --tcp "$port" --tls "$certs" --fresh
  have_ssl=$(root_sql -e "SELECT @@have_ssl")
  [[ $have_ssl == YES ]] || fail "server TLS not enabled (have_ssl=$have_ssl); see $shards/shard0/error.log"
  root_sql <"$src/sql/grants.sql"
  root_sql -e "
    CREATE USER 'txetl_tls'@'127.0.0.1' IDENTIFIED BY 'tls-pw' REQUIRE SSL;
    GRANT txetl_loader TO 'txetl_tls'@'127.0.0.1';
    SET DEFAULT ROLE txetl_loader FOR 'txetl_tls'@'127.0.0.1';
    CREATE USER 'txetl_least'@'localhost' IDENTIFIED BY 'least-pw';
    GRANT txetl_loader TO 'txetl_least'@'localhost';
    SET DEFAULT ROLE txetl_loader FOR 'txetl_least'@'localhost';
    CREATE USER 'txetl_ro'@'localhost' IDENTIFIED BY 'ro-pw';
    GRANT SELECT ON Customer.* TO 'txetl_ro'@'localhost';"
  echo "shard with TLS on 127.0.0.1:$port, users created"
  ;;

tls | wrong_ca)
  port=$(<"$work/port")
  ca=$certs/ca.pem
  [[ $mode == wrong_ca ]] && ca=$certs/other-ca.pem
  cnf=$work/tls-$mode.cnf
  write_cnf "$cnf" txetl_tls tls-pw "host=127.0.0.1" "port=$port" "protocol=tcp" \
    "ssl-ca=$ca" "ssl-verify-server-cert"
  set +e
  "$txetl" status --shards "$cnf" >"$work/$mode.out" 2>"$work/$mode.err"
  rc=$?
  set -e
  cat "$work/$mode.out" "$work/$mode.err"
  if [[ $mode == tls ]]; then
    ((rc == 0)) || fail "txetl status over TLS exited $rc"
    # The same group through libmariadb's option-file reader, as txetl reads it.
    /usr/bin/python3 - "$cnf" <<'EOF'
import sys, MySQLdb
c = MySQLdb.connect(read_default_file=sys.argv[1], read_default_group="shard0")
cur = c.cursor()
cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
name, cipher = cur.fetchone()
cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
version = cur.fetchone()[1]
print(f"session Ssl_cipher={cipher!r} Ssl_version={version!r}")
assert cipher, "the connection is not encrypted"
EOF
    echo "ok: txetl status over TLS (verified server cert) as a REQUIRE SSL user"
  else
    ((rc == 1)) || fail "txetl status with the wrong CA exited $rc, want 1"
    cat "$work/$mode.out" "$work/$mode.err" >"$work/$mode.all"
    grep -q "shard 0" "$work/$mode.all" || fail "message does not name the shard"
    grep -qiE "cannot connect: .*(ssl|tls|certificate)" "$work/$mode.all" ||
      fail "message does not say it is a TLS/certificate problem"
    echo "ok: a server certificate not signed by ssl-ca is refused with a clear message"
  fi
  ;;

grants)
  cat >"$work/small.csv" <<'EOF'
transaction_id,customer_id,transaction_date,transaction_amount,transaction_category,payment_method,currency
1,100,2024-01-05,10.00,Books,card,EUR
2,100,2024-02-11,-2.50,Books,card,EUR
3,101,2024-02-29,99.99,Food,cash,USD
4,102,2024-03-01,5,Toys,card,USD
5,103,2024-03-31,12.30,Food,card,GBP
EOF
  sock=$shards/shard0/sock
  # Start from the empty database `shards.sh up` makes, whatever ran before (any test order).
  root_sql -e "DROP DATABASE IF EXISTS Customer;
    CREATE DATABASE Customer CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"
  write_cnf "$work/least.cnf" txetl_least least-pw "socket=$sock"
  write_cnf "$work/ro.cnf" txetl_ro ro-pw "socket=$sock"
  set +e
  (cd "$work" && "$txetl" load --shards "$work/least.cnf" --no-snapshot \
      --rejects "$work/rejects.csv" "$work/small.csv") >"$work/least.out" 2>&1
  rc=$?
  set -e
  cat "$work/least.out"
  ((rc == 0)) || fail "load as the txetl_loader role exited $rc"
  rows=$(root_sql -e "SELECT COUNT(*) FROM Customer.TransactionsOptimized")
  [[ $rows == 5 ]] || fail "after the load the shard holds $rows rows, want 5"
  # A second run of the same extract (updates path, REPLACE) with the same privileges.
  (cd "$work" && "$txetl" load --shards "$work/least.cnf" --no-snapshot \
      --rejects "$work/rejects.csv" "$work/small.csv") >"$work/least2.out" 2>&1 ||
    { cat "$work/least2.out"; fail "second load as the txetl_loader role failed"; }
  "$txetl" status --shards "$work/least.cnf" >/dev/null || fail "status as txetl_loader failed"
  grants=$(root_sql -e "SHOW GRANTS FOR txetl_loader")
  echo "$grants"
  grep -qE "FILE|SUPER|ALL PRIVILEGES|\*\.\*.*(SELECT|INSERT)" <<<"$grants" &&
    fail "the role holds more than it should"
  # Control: SELECT only is not enough, and says so.
  set +e
  (cd "$work" && "$txetl" load --shards "$work/ro.cnf" --no-snapshot \
      --rejects "$work/rejects-ro.csv" "$work/small.csv") >"$work/ro.out" 2>&1
  rc=$?
  set -e
  tail -n 3 "$work/ro.out"
  ((rc != 0)) || fail "a SELECT-only user could load"
  grep -qiE "denied" "$work/ro.out" || fail "the SELECT-only failure does not say access was denied"
  echo "ok: a small load works with exactly the privileges of sql/grants.sql"
  ;;

down)
  bash "$src/scripts/shards.sh" down "$shards" --wipe
  ;;
*)
  echo "unknown mode $mode" >&2
  exit 2
  ;;
esac
