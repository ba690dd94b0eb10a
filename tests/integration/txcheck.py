#!/usr/bin/python3
"""txcheck.py - what the integration tests assert about real shards (Debian python3-mysqldb).

  txcheck.py wipe CNF                      drop every shard's database
  txcheck.py dump CNF OUT                  canonical dump: shard,id,customer,date,cents,category,
                                           payment,currency,last_updated_us (sorted by id)
  txcheck.py truth DUMP TRUTH              the dump holds exactly the truth's live rows, once each
  txcheck.py same DUMP_A DUMP_B            two dumps are identical (shard placement included)
  txcheck.py rejects REJECTS EXPECTED      rejects file = txgen's expected rejects (line, offset,
                                           reason), sorted by input position
  txcheck.py runs CNF [k=v ...]            the last etl_runs row is the same in every shard,
                                           succeeded, reconciles, and has the given counts
  txcheck.py revenue CNF                   revenue_daily = GROUP BY over TransactionsOptimized,
                                           and every stored date lies in its shard's range
Exit status 0 when the assertion holds; otherwise 1 with the first differences printed.
"""
import configparser
import csv
import sys

import MySQLdb


def shard_groups(cnf):
    """The shard file's [shard0], [shard1], ... groups: (how many, the parsed file)."""
    cp = configparser.ConfigParser(allow_no_value=True, strict=False, interpolation=None)
    cp.read(cnf)
    n = 0
    while cp.has_section(f"shard{n}"):
        n += 1
    return n, cp


def shards(cnf):
    return shard_groups(cnf)[0]


def connect(cnf, i, db=True):
    """Shard i's connection, in its database (db=False: in mysql, for a database not there)."""
    kw = {} if db else {"db": "mysql"}
    return MySQLdb.connect(read_default_file=cnf, read_default_group=f"shard{i}",
                           charset="utf8mb4", use_unicode=True, **kw)


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def has_table(cur, name):
    """True when the current database of cursor cur has table name."""
    cur.execute("SELECT COUNT(*) FROM information_schema.tables "
                "WHERE table_schema = DATABASE() AND table_name = %s", (name,))
    return cur.fetchone()[0] > 0


def cmd_wipe(cnf):
    for i in range(shards(cnf)):
        c = MySQLdb.connect(read_default_file=cnf, read_default_group=f"shard{i}", db="mysql")
        cur = c.cursor()
        cur.execute("SELECT DATABASE()")
        cp = configparser.ConfigParser(allow_no_value=True, strict=False, interpolation=None)
        cp.read(cnf)
        db = cp.get(f"shard{i}", "database", fallback="Customer")
        cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        c.close()


def read_dump(path):
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        next(r)
        return [tuple(row) for row in r]


def first_diff(a, b):
    """The first differing pair of rows of a and b, or their lengths when one is a prefix."""
    for x, y in zip(a, b):
        if x != y:
            return f"{x} vs {y}"
    return f"lengths {len(a)} vs {len(b)}"


def cmd_dump(cnf, out):
    rows = []
    for i in range(shards(cnf)):
        c = connect(cnf, i)
        cur = c.cursor()
        cur.execute("SELECT transaction_id, customer_id, transaction_date, "
                    "CAST(transaction_amount * 100 AS SIGNED), transaction_category, "
                    "payment_method, currency, "
                    "TIMESTAMPDIFF(MICROSECOND, '1970-01-01', last_updated) "
                    "FROM TransactionsOptimized")
        for r in cur.fetchall():
            rows.append((str(i), str(r[0]), str(r[1]), r[2].isoformat(), str(r[3]), r[4], r[5],
                         r[6], str(r[7])))
        c.close()
    rows.sort(key=lambda r: (int(r[1]), r[3]))
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["shard", "transaction_id", "customer_id", "transaction_date", "amount_cents",
                    "transaction_category", "payment_method", "currency", "last_updated_us"])
        w.writerows(rows)
    print(f"dumped {len(rows)} rows from {shards(cnf)} shards to {out}")


def cmd_truth(dump, truth):
    got = read_dump(dump)
    ids = [r[1] for r in got]
    if len(ids) != len(set(ids)):
        dup = sorted({x for x in ids if ids.count(x) > 1})[:5]
        fail(f"transactions stored more than once: {dup}")
    with open(truth, newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        want = []
        for t in r:
            if t.get("deleted", "0") == "1":
                continue
            want.append((t["transaction_id"], t["customer_id"], t["transaction_date"],
                         t["amount_cents"], t["transaction_category"], t["payment_method"],
                         t["currency"], t["last_updated_us"]))
    gotset = {r[1:]: r[0] for r in got}
    wantset = set(want)
    missing = [w for w in want if w not in gotset]
    extra = [g for g in gotset if g not in wantset]
    if missing or extra:
        for w in missing[:5]:
            print("missing:", w)
        for g in extra[:5]:
            print("unexpected:", g)
        fail(f"{len(missing)} truth rows missing, {len(extra)} rows not in the truth "
             f"({len(got)} stored, {len(want)} expected)")
    print(f"ok: {len(got)} stored rows equal the truth row for row")


def cmd_same(a, b):
    ra, rb = read_dump(a), read_dump(b)
    if ra != rb:
        print("first difference:", first_diff(ra, rb))
        fail(f"{a} ({len(ra)} rows) and {b} ({len(rb)} rows) differ")
    print(f"ok: {a} and {b} are identical ({len(ra)} rows)")


def cmd_rejects(rejects, expected):
    with open(rejects, newline="", encoding="utf-8", errors="surrogateescape") as f:
        r = csv.reader(f)
        head = next(r)
        if head != ["file", "line", "offset", "reason", "record"]:
            fail(f"rejects header is {head}")
        got = [(int(x[1]), int(x[2]), x[3]) for x in r]
    if got != sorted(got, key=lambda t: t[1]):
        fail("rejects are not sorted by input position")
    with open(expected, newline="") as f:
        r = csv.DictReader(f)
        want = [(int(x["line"]), int(x["offset"]), x["reason"]) for x in r]
    if got != want:
        print("first difference (got vs want):", first_diff(got, want))
        fail(f"{len(got)} rejects, {len(want)} expected")
    reasons = sorted({w[2] for w in want})
    print(f"ok: {len(got)} rejects at the expected lines with the expected reasons: {reasons}")


COUNTS = ["read", "rejected", "inserted", "updated", "moved", "deleted", "stale", "superseded"]


def cmd_runs(cnf, expect):
    last = None
    for i in range(shards(cnf)):
        c = connect(cnf, i)
        cur = c.cursor()
        cur.execute("SELECT run_id, status, " + ", ".join("rows_" + k for k in COUNTS) +
                    " FROM etl_runs ORDER BY started_at DESC, run_id DESC LIMIT 1")
        row = cur.fetchone()
        c.close()
        if row is None:
            fail(f"shard {i} has no etl_runs row")
        if last is not None and row != last:
            fail(f"shard {i} etl_runs row {row} differs from shard 0's {last}")
        last = row
    run_id, status, *vals = last
    counts = dict(zip(COUNTS, [int(v) for v in vals]))
    if status != "succeeded":
        fail(f"run {run_id} status {status}")
    if counts["read"] != sum(counts[k] for k in COUNTS[1:]):
        fail(f"counts do not reconcile: {counts}")
    for kv in expect:
        k, v = kv.split("=")
        if counts[k] != int(v):
            fail(f"run {run_id}: {k} = {counts[k]}, expected {v} ({counts})")
    print(f"ok: run {run_id} {status} in every shard, reconciles: {counts}")


def cmd_revenue(cnf):
    n = shards(cnf)
    for i in range(n):
        c = connect(cnf, i)
        cur = c.cursor()
        cur.execute("SELECT transaction_date, currency, revenue, transactions, customers FROM "
                    "revenue_daily ORDER BY transaction_date, currency")
        got = cur.fetchall()
        cur.execute("SELECT transaction_date, currency, SUM(transaction_amount), COUNT(*), "
                    "COUNT(DISTINCT customer_id) FROM TransactionsOptimized "
                    "GROUP BY transaction_date, currency ORDER BY transaction_date, currency")
        want = cur.fetchall()
        if tuple(got) != tuple(want):
            diff = next((f"{g} vs {w}" for g, w in zip(got, want) if g != w), "")
            fail(f"shard {i}: revenue_daily differs from GROUP BY (date, currency) ({len(got)} "
                 f"vs {len(want)} rows) {diff}")
        cur.execute("SELECT lower_date, upper_date FROM shard_map WHERE shard_index = %s", (i,))
        lo, hi = cur.fetchone()
        cur.execute("SELECT COUNT(*) FROM TransactionsOptimized WHERE (%s IS NOT NULL AND "
                    "transaction_date < %s) OR (%s IS NOT NULL AND transaction_date >= %s)",
                    (lo, lo, hi, hi))
        if cur.fetchone()[0]:
            fail(f"shard {i} holds dates outside [{lo}, {hi})")
        c.close()
    print(f"ok: revenue_daily per (date, currency) exact and dates within their shard in all {n} shards")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    cmd, args = sys.argv[1], sys.argv[2:]
    {"wipe": lambda: cmd_wipe(args[0]), "dump": lambda: cmd_dump(args[0], args[1]),
     "truth": lambda: cmd_truth(args[0], args[1]), "same": lambda: cmd_same(args[0], args[1]),
     "rejects": lambda: cmd_rejects(args[0], args[1]),
     "runs": lambda: cmd_runs(args[0], args[1:]), "revenue": lambda: cmd_revenue(args[0])}[cmd]()


if __name__ == "__main__":
    main()
