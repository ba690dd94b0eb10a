#!/usr/bin/python3
"""reshard_fault_check.py - what the reshard tests assert about real shards (Debian python3-mysqldb).

  reshard_fault_check.py dump CNF OUTDIR   per shard i, ordered dumps of what a reshard writes:
                                     OUTDIR/shard<i>.tx (TransactionsOptimized), .rev
                                     (revenue_daily), .dir (txn_directory), .map (shard_map
                                     without created_run), .ident (cluster_identity: index and
                                     count; the cluster id is checked to be one for all shards
                                     and left out, since every fresh load draws a new one)
  reshard_fault_check.py state CNF         a finished cluster: no reshard journal (reshard_state) in
                                     any shard, every transaction_id stored once across the
                                     shards, every row in the shard whose shard_map range holds
                                     its date, one shard_map and one cluster id in all shards,
                                     each shard's identity = its group's index of N shards
  reshard_fault_check.py journals CNF      prints how many shards hold a reshard journal row
Exit status 0 when the assertion holds; otherwise 1 with the differences printed (state: every
problem found, one FAIL line each).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from txcheck import connect, fail, has_table, shards  # noqa: E402


def rows(cur, table, sql):
    """The rows of `sql` as text lines, or ['(no table)'] when `table` does not exist."""
    if not has_table(cur, table):
        return ["(no table)"]
    cur.execute(sql)
    return ["\t".join("NULL" if v is None else str(v) for v in r) for r in cur.fetchall()]


DUMPS = {
    "tx": ("TransactionsOptimized",
           "SELECT transaction_id, customer_id, transaction_date, transaction_amount, "
           "transaction_category, payment_method, currency, last_updated "
           "FROM TransactionsOptimized ORDER BY transaction_id, transaction_date"),
    "rev": ("revenue_daily",
            "SELECT transaction_date, currency, revenue, transactions, customers "
            "FROM revenue_daily ORDER BY transaction_date, currency"),
    "dir": ("txn_directory",
            "SELECT block, entries, tombstones, data FROM txn_directory ORDER BY block"),
    "map": ("shard_map",
            "SELECT shard_index, shard_count, lower_date, upper_date FROM shard_map "
            "ORDER BY shard_index"),
    "ident": ("cluster_identity",
              "SELECT shard_index, shard_count FROM cluster_identity"),
}


def cluster_ids(cnf, n):
    ids = []
    for i in range(n):
        c = connect(cnf, i)
        cur = c.cursor()
        ids.append(rows(cur, "cluster_identity", "SELECT cluster_id FROM cluster_identity"))
        c.close()
    return ids


def cmd_dump(cnf, outdir):
    n = shards(cnf)
    os.makedirs(outdir, exist_ok=True)
    total = 0
    for i in range(n):
        c = connect(cnf, i)
        cur = c.cursor()
        for ext, (table, sql) in DUMPS.items():
            lines = rows(cur, table, sql)
            if ext == "tx":
                total += len(lines)
            with open(os.path.join(outdir, f"shard{i}.{ext}"), "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
        c.close()
    ids = cluster_ids(cnf, n)
    if len({tuple(x) for x in ids}) != 1:
        fail(f"the shards record different cluster ids: {ids}")
    print(f"dumped {n} shards ({total} rows) to {outdir}")


def cmd_state(cnf):
    n = shards(cnf)
    maps, seen, dup, misplaced, journals, problems = [], {}, [], [], [], []
    for i in range(n):
        c = connect(cnf, i)
        cur = c.cursor()
        if has_table(cur, "reshard_state"):
            cur.execute("SELECT COUNT(*) FROM reshard_state")
            if cur.fetchone()[0]:
                journals.append(i)
        m = rows(cur, "shard_map", DUMPS["map"][1])
        maps.append(m)
        ident = rows(cur, "cluster_identity", DUMPS["ident"][1])
        if ident != [f"{i}\t{n}"]:
            problems.append(f"shard{i}: cluster_identity says {ident}, want index {i} of {n}")
        mine = [x.split("\t") for x in m if x.startswith(f"{i}\t")]
        lo = hi = "NULL"
        if len(m) != n or len(mine) != 1:
            problems.append(f"shard{i}: shard_map has {len(m)} rows ({m}), want {n} with one for shard {i}")
        else:
            lo, hi = mine[0][2], mine[0][3]
        if has_table(cur, "TransactionsOptimized"):
            cur.execute("SELECT transaction_id, transaction_date FROM TransactionsOptimized")
            for tid, d in cur.fetchall():
                if tid in seen:
                    dup.append((tid, seen[tid], i))
                seen[tid] = i
                ds = d.isoformat()
                if (lo != "NULL" and ds < lo) or (hi != "NULL" and ds >= hi):
                    misplaced.append((tid, ds, i, lo, hi))
        c.close()
    if journals:
        problems.append(f"a reshard journal is still in shard(s) {journals}")
    if any(m != maps[0] for m in maps):
        problems.append(f"the shards record different shard maps: {maps}")
    if dup:
        problems.append(f"{len(dup)} transaction ids stored more than once, e.g. {dup[:5]} "
                        "(id, shard, shard)")
    if misplaced:
        problems.append(f"{len(misplaced)} rows outside their shard's range, e.g. {misplaced[:5]}")
    ids = cluster_ids(cnf, n)
    if len({tuple(x) for x in ids}) != 1:
        problems.append(f"the shards record different cluster ids: {ids}")
    if problems:
        for p in problems:
            print("FAIL:", p)
        sys.exit(1)
    print(f"ok: {n} shards, {len(seen)} transactions each stored once in its date's shard, "
          f"one map and one cluster id, no journal")


def cmd_journals(cnf):
    k = 0
    for i in range(shards(cnf)):
        c = connect(cnf, i)
        cur = c.cursor()
        if has_table(cur, "reshard_state"):
            cur.execute("SELECT COUNT(*) FROM reshard_state")
            k += 1 if cur.fetchone()[0] else 0
        c.close()
    print(k)


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "dump" and len(args) == 2:
        cmd_dump(*args)
    elif cmd == "state" and len(args) == 1:
        cmd_state(*args)
    elif cmd == "journals" and len(args) == 1:
        cmd_journals(*args)
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
