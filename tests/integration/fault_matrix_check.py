#!/usr/bin/python3
"""fault_matrix_check.py - what fault_matrix_test.sh asserts about a failed run (docs/load.md
"A failed run"), on top of txcheck.py (Debian python3-mysqldb).

  fault_matrix_check.py lastrun CNF
        The newest run_id of etl_runs over every shard ("" when none).
  fault_matrix_check.py outcome CNF RUN
        What became of failed run RUN: prints `completed`, `undone`, `applied` (it applied
        everything and failed after, e.g. before its snapshot), or `none` (it wrote no etl_runs
        row: it died before writing anything). Asserts that every shard holding its etl_runs row
        says `failed` and the same outcome; an undone run's applied counts are 0; a completed or
        applied run's counts reconcile (read = rejected + inserted + ... + superseded).
  fault_matrix_check.py pick DUMP NAME=REF_DUMP ...
        DUMP (txcheck.py dump) holds no transaction_id twice and equals one of the reference
        dumps (shard column ignored: a cluster whose first load was undone may choose other
        boundaries); prints the NAME(s) it equals, space-separated, or fails.
  fault_matrix_check.py pending CNF
        Prints the run ids the shards' journals hold as unfinished ('open' or 'staged').
Exit status 0 when the assertion holds; otherwise 1 with the reason printed.
"""
import csv
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from txcheck import connect, fail, shards  # noqa: E402

COUNTS = ["rows_read", "rows_rejected", "rows_inserted", "rows_updated", "rows_moved",
          "rows_deleted", "rows_stale", "rows_superseded"]


def query_shards(cnf, sql, args=None):
    """(shard index, its result rows) of sql on every shard that has the database and the
    table (a wiped cluster, or one that never got this far, has neither)."""
    for i in range(shards(cnf)):
        try:
            c = connect(cnf, i)
        except Exception:  # no database yet
            continue
        try:
            cur = c.cursor()
            cur.execute(sql, args)
            rows = cur.fetchall()
        except Exception:  # no table yet
            rows = None
        c.close()
        if rows is not None:
            yield i, rows


def cmd_lastrun(cnf):
    best = ""
    for _, rows in query_shards(cnf, "SELECT run_id FROM etl_runs ORDER BY started_at DESC, "
                                     "run_id DESC LIMIT 1"):
        if rows and rows[0][0] > best:
            best = rows[0][0]
    print(best)


def cmd_outcome(cnf, run):
    seen = [(i, rows[0]) for i, rows in
            query_shards(cnf, "SELECT status, COALESCE(message, ''), " + ", ".join(COUNTS) +
                         " FROM etl_runs WHERE run_id = %s", (run,)) if rows]
    if not seen:
        print("none")
        return
    outcomes = set()
    for i, r in seen:
        status, msg, counts = r[0], r[1], [int(x) for x in r[2:]]
        if status != "failed":
            fail(f"shard {i}: run {run} is '{status}' in etl_runs, expected failed ({msg})")
        if "; undone by " in msg:
            o = "undone"
            if any(counts[2:]):
                fail(f"shard {i}: undone run {run} keeps applied counts {counts[2:]}")
        elif "; completed by " in msg:
            o = "completed"
        elif "nothing of it was written" in msg:
            o = "none"
        elif "are applied on every shard" in msg:
            o = "applied"
        else:
            o = "unresolved"
        if o in ("completed", "applied") and counts[0] != sum(counts[1:]):
            fail(f"shard {i}: run {run}'s counts do not reconcile: {dict(zip(COUNTS, counts))}")
        outcomes.add(o)
        print(f"  shard {i}: {status}: {msg[:300]}")
    if len(outcomes) != 1:
        fail(f"the shards disagree on what became of run {run}: {sorted(outcomes)}")
    print(outcomes.pop())


def read_dump(path):
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        next(r)
        return [tuple(row[1:]) for row in r]


def cmd_pick(dump, refs):
    rows = read_dump(dump)
    ids = [r[0] for r in rows]
    if len(ids) != len(set(ids)):
        dup = sorted({x for x in ids if ids.count(x) > 1}, key=int)[:5]
        fail(f"{dump}: transaction_id stored twice across the cluster: {dup}")
    got = sorted(rows)
    names = []
    for ref in refs:
        name, path = ref.split("=", 1)
        if sorted(read_dump(path)) == got:
            names.append(name)
    if not names:
        fail(f"{dump} ({len(rows)} rows) equals none of " + ", ".join(refs))
    print(" ".join(names))


def cmd_pending(cnf):
    ids = set()
    for _, rows in query_shards(cnf, "SELECT run_id FROM run_journal "
                                     "WHERE state IN ('open', 'staged')"):
        ids.update(r[0] for r in rows)
    print(" ".join(sorted(ids)))


def main():
    a = sys.argv[1:]
    if len(a) == 2 and a[0] == "lastrun":
        cmd_lastrun(a[1])
    elif len(a) == 3 and a[0] == "outcome":
        cmd_outcome(a[1], a[2])
    elif len(a) >= 3 and a[0] == "pick":
        cmd_pick(a[1], a[2:])
    elif len(a) == 2 and a[0] == "pending":
        cmd_pending(a[1])
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
