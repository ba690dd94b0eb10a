#!/usr/bin/python3
"""reshard_check.py - what the reshard test asserts about real shards (python3-mysqldb).

  reshard_check.py cluster CNF            every shard: the identity of one cluster (index i of N
                                          groups), the same shard_map of N contiguous ranges, no
                                          reshard journal, the same etl_runs rows; every directory
                                          block in shard hash(block) % N, once; every stored row's
                                          block there; entries - tombstones = stored rows
  reshard_check.py dirtotals CNF          prints "entries=E tombstones=T blocks=B" over all shards
  reshard_check.py balance CNF PCT        rows per shard within PCT percent of their mean
  reshard_check.py fingerprint CNF OUT    per group: databases, and per txetl table its
                                          CHECKSUM and partitions (to show a --plan wrote nothing)
  reshard_check.py journal CNF            exit 0 when some shard holds a reshard journal
Exit status 0 when the assertion holds; otherwise 1 with the first differences printed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from txcheck import connect, fail, has_table  # noqa: E402
from txcheck import shard_groups as groups  # noqa: E402

M64 = (1 << 64) - 1


def dir_home(block, n):
    """txetl's directory placement (include/txetl/hash.h: tx_hash_u64 of the block)."""
    z = (block + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return (z ^ (z >> 31)) % n


def cmd_cluster(cnf):
    n, _ = groups(cnf)
    ids, maps, runs = set(), [], []
    entries = tombstones = rows_total = 0
    seen_blocks = {}
    for i in range(n):
        c = connect(cnf, i)
        cur = c.cursor()
        cur.execute("SELECT cluster_id, shard_index, shard_count FROM cluster_identity")
        got = cur.fetchall()
        if len(got) != 1 or got[0][1] != i or got[0][2] != n:
            fail(f"shard {i}: identity {got}, want index {i} of {n}")
        ids.add(got[0][0])
        cur.execute("SELECT shard_index, shard_count, lower_date, upper_date FROM shard_map "
                    "ORDER BY shard_index")
        maps.append(cur.fetchall())
        if has_table(cur, "reshard_state"):
            cur.execute("SELECT COUNT(*) FROM reshard_state")
            if cur.fetchone()[0]:
                fail(f"shard {i} still holds a reshard journal")
        cur.execute("SELECT * FROM etl_runs ORDER BY run_id")
        runs.append(cur.fetchall())
        cur.execute("SELECT block, entries, tombstones FROM txn_directory")
        for block, e, t in cur.fetchall():
            if block in seen_blocks:
                fail(f"directory block {block} in shards {seen_blocks[block]} and {i}")
            seen_blocks[block] = i
            if dir_home(block, n) != i:
                fail(f"directory block {block} is in shard {i}, its home is "
                     f"{dir_home(block, n)} of {n}")
            entries += e
            tombstones += t
        cur.execute("SELECT COUNT(*) FROM TransactionsOptimized")
        rows_total += cur.fetchone()[0]
        c.close()
    if len(ids) != 1:
        fail(f"the shards record {len(ids)} cluster ids: {ids}")
    if any(mp != maps[0] for mp in maps):
        fail(f"the shards' shard_map tables differ: {maps}")
    mp = maps[0]
    if len(mp) != n or mp[0][2] is not None or mp[-1][3] is not None or any(
            mp[k][3] != mp[k + 1][2] or mp[k][1] != n for k in range(n - 1)):
        fail(f"shard_map is not {n} contiguous ranges: {mp}")
    if any(r != runs[0] for r in runs):
        fail("the shards' etl_runs rows differ")
    # every stored row's block is in the directory (of the shard the hash names)
    for i in range(n):
        c = connect(cnf, i)
        cur = c.cursor()
        cur.execute("SELECT DISTINCT transaction_id DIV 16 FROM TransactionsOptimized")
        missing = [b for (b,) in cur.fetchall() if b not in seen_blocks]
        if missing:
            fail(f"shard {i}: stored rows whose directory block is nowhere: {missing[:5]}")
        c.close()
    if entries - tombstones != rows_total:
        fail(f"directory: {entries} entries - {tombstones} tombstones != {rows_total} rows")
    print(f"ok: {n} shards of cluster {next(iter(ids))[:8]}..., one map, no journal, "
          f"{len(runs[0])} etl_runs rows each; {len(seen_blocks)} directory blocks in their "
          f"homes, {entries} entries - {tombstones} tombstones = {rows_total} rows")


def cmd_dirtotals(cnf):
    n, _ = groups(cnf)
    e = t = b = 0
    for i in range(n):
        c = connect(cnf, i)
        cur = c.cursor()
        cur.execute("SELECT COALESCE(SUM(entries), 0), COALESCE(SUM(tombstones), 0), COUNT(*) "
                    "FROM txn_directory")
        x, y, z = cur.fetchone()
        e, t, b = e + int(x), t + int(y), b + int(z)
        c.close()
    print(f"entries={e} tombstones={t} blocks={b}")


def cmd_balance(cnf, pct):
    n, _ = groups(cnf)
    rows = []
    for i in range(n):
        c = connect(cnf, i)
        cur = c.cursor()
        cur.execute("SELECT COUNT(*) FROM TransactionsOptimized")
        rows.append(cur.fetchone()[0])
        c.close()
    mean = sum(rows) / n
    worst = max(abs(r - mean) / mean for r in rows)
    print(f"rows per shard {rows}, mean {mean:.1f}, largest/smallest "
          f"{max(rows) / max(min(rows), 1):.3f}, worst deviation {100 * worst:.1f}%")
    if worst > pct / 100:
        fail(f"a shard is {100 * worst:.1f}% off the mean (limit {pct}%)")
    print(f"ok: every shard within {pct}% of the mean")


def cmd_fingerprint(cnf, out):
    n, cp = groups(cnf)
    lines = []
    for i in range(n):
        c = connect(cnf, i, db=False)
        cur = c.cursor()
        cur.execute("SHOW DATABASES")
        dbs = sorted(d for (d,) in cur.fetchall()
                     if d not in ("mysql", "information_schema", "performance_schema", "sys"))
        lines.append(f"shard{i} databases {dbs}")
        for db in dbs:
            cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                        "ORDER BY TABLE_NAME", (db,))
            for (t,) in cur.fetchall():
                cur.execute(f"CHECKSUM TABLE `{db}`.`{t}`")
                lines.append(f"shard{i} {db}.{t} checksum {cur.fetchone()[1]}")
                cur.execute("SELECT GROUP_CONCAT(PARTITION_NAME ORDER BY PARTITION_ORDINAL_POSITION)"
                            " FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = %s AND "
                            "TABLE_NAME = %s", (db, t))
                lines.append(f"shard{i} {db}.{t} partitions {cur.fetchone()[0]}")
        c.close()
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"fingerprint of {n} groups: {len(lines)} lines in {out}")


def cmd_journal(cnf):
    n, _ = groups(cnf)
    for i in range(n):
        c = connect(cnf, i, db=False)
        cur = c.cursor()
        cur.execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                    "'Customer' AND TABLE_NAME = 'reshard_state'")
        if cur.fetchone()[0]:
            cur.execute("SELECT reshard_id, from_count, to_count, phase FROM "
                        "Customer.reshard_state")
            row = cur.fetchone()
            if row:
                print(f"shard {i} holds the journal {row}")
                sys.exit(0)
        c.close()
    fail("no shard holds a reshard journal")


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    cmd, a = sys.argv[1], sys.argv[2:]
    {"cluster": lambda: cmd_cluster(a[0]), "dirtotals": lambda: cmd_dirtotals(a[0]),
     "balance": lambda: cmd_balance(a[0], float(a[1])),
     "fingerprint": lambda: cmd_fingerprint(a[0], a[1]),
     "journal": lambda: cmd_journal(a[0])}[cmd]()


if __name__ == "__main__":
    main()
