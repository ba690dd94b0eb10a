#!/usr/bin/python3
"""cdc_check.py - change-data-capture assertions about real shards (docs/shards.md, docs/load.md), on top of
txcheck.py (Debian python3-mysqldb).

  cdc_check.py audit CNF OLD_TRUTH NEW_TRUTH [--counts FILE] [--audit-inserts]
                    [--new-since RUNIDS] [k=v ...]
        The last run's audit_log rows (all shards) are exactly the expected ones: one row per
        transaction whose truth changed from OLD_TRUTH to NEW_TRUTH, with the action implied by
        the two truths (update: same date; move: other date; delete: tombstone; insert only with
        --audit-inserts), and old/new date, amount, category, payment_method, currency,
        last_updated equal to the old and new truth rows. The number per action also equals the counts (a txgen .counts file
        and/or k=v), and the counts derived from the truths agree with them.
        --new-since RUNIDS: instead of the last run's rows, take the rows of every run not
        listed in the file RUNIDS (written by `runids` before a failed run and its rerun):
        together they must hold each expected row exactly once.
  cdc_check.py cases CNF OLD_TRUTH NEW_TRUTH BATCH
        The batch exercises every change case: update, move within a shard, move across the
        shard boundary (per CNF's shard map), delete of a stored id, delete of an id never
        stored, delete + older insert (stays deleted), delete + newer insert (comes back),
        stale (older), stale (equal last_updated), tie within the batch.
  cdc_check.py indexes CNF
        Every shard's TransactionsOptimized has PRIMARY KEY (transaction_id, transaction_date)
        and an index led by (customer_id, transaction_date) (docs/shards.md; a load that drops it for
        speed must have rebuilt it).
  cdc_check.py runids CNF OUT
        Every run_id of etl_runs and audit_log in any shard, one per line.
  cdc_check.py extract TRUTH OUT
        An extract (docs/input.md) of the truth's live rows: amounts with 2 decimals, last_updated
        with microseconds; tombstones left out.
  cdc_check.py revdump CNF OUT
        revenue_daily of every shard (shard,date,revenue,transactions,customers) to OUT and the
        shard map to OUT.map.
  cdc_check.py equiv DUMP_A REV_A DUMP_B REV_B
        Two clusters hold the same state: same rows in the same shards and same revenue_daily.
        If the two clusters were created with different boundaries (they are chosen from the
        first load's histogram), placement cannot agree: then rows and revenue are compared
        without the shard column and a NOTE says so.
  cdc_check.py placement DUMP TRUTH
        Every stored row is in the shard named by the truth's `shard` column.
  cdc_check.py bounds CNF LO HI
        Shard 0's upper boundary (= shard 1's lower) lies in [LO, HI] (2-shard clusters).
  cdc_check.py empty CNF SHARD
        The shard holds no etl_runs row and no stored or staged rows (a run that failed before
        writing left nothing). Tables that do not exist count as empty.
  cdc_check.py status CNF STATUS
        The last etl_runs row of every shard that has one has the given status.
  cdc_check.py rows CNF TABLE
        Prints the row count of TABLE summed over the shards that answer (0 if absent).
  cdc_check.py oldlayout CNF SHARD
        Makes SHARD's directory look as a txetl before directory format 2 left it: entries
        without currency and payment_method, no 'directory_format' in shard_state.
  cdc_check.py oldaudit CNF
        Drops old_/new_payment_method and old_/new_currency from every shard's audit_log (an
        audit_log as a txetl before them left it, rows kept).
  cdc_check.py auditcols CNF [KEPT]
        Every shard's audit_log has old_payment_method, new_payment_method, old_currency,
        new_currency right after new_category (as sql/schema.sql); with KEPT: exactly KEPT rows
        of runs before the last one, all four NULL in each (the rows an older audit_log held).
Exit status 0 when the assertion holds; otherwise 1 with the first differences printed.
"""
import csv
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import txcheck  # noqa: E402
import MySQLdb  # noqa: E402

COUNTS = txcheck.COUNTS
EPOCH = datetime.datetime(1970, 1, 1)


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def us_of(dt):
    if dt is None:
        return None
    d = dt - EPOCH
    return (d.days * 86400 + d.seconds) * 1000000 + d.microseconds


def ts_of(us):
    return (EPOCH + datetime.timedelta(microseconds=us)).strftime("%Y-%m-%d %H:%M:%S.%f")


def cents_of(dec):
    return None if dec is None else int(round(dec * 100))


def fmt_cents(c):
    s = "-" if c < 0 else ""
    c = abs(c)
    return f"{s}{c // 100}.{c % 100:02d}"


def read_truth(path):
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for t in csv.DictReader(f):
            out[int(t["transaction_id"])] = {
                "date": t["transaction_date"], "cents": int(t["amount_cents"]),
                "cat": t["transaction_category"], "pay": t["payment_method"],
                "cur": t["currency"], "lu": int(t["last_updated_us"]),
                "cust": t["customer_id"], "deleted": t.get("deleted", "0") == "1",
                "shard": t.get("shard")}
    return out


def last_run_id(cnf):
    c = txcheck.connect(cnf, 0)
    cur = c.cursor()
    cur.execute("SELECT run_id FROM etl_runs ORDER BY started_at DESC, run_id DESC LIMIT 1")
    row = cur.fetchone()
    c.close()
    if row is None:
        fail("shard 0 has no etl_runs row")
    return row[0]


def parse_counts(args):
    want = {}
    for a in args:
        if "=" in a:
            k, v = a.split("=")
            want[k] = int(v)
        else:
            with open(a) as f:
                for kv in f.read().split():
                    k, v = kv.split("=")
                    want[k] = int(v)
    return want


def cmd_audit(cnf, old_path, new_path, rest):
    audit_inserts = "--audit-inserts" in rest
    count_args = []
    since = None
    it = iter([r for r in rest if r != "--audit-inserts"])
    for a in it:
        if a == "--new-since":
            with open(next(it)) as f:
                since = set(f.read().split())
        else:
            count_args.append(next(it) if a == "--counts" else a)
    want_counts = parse_counts(count_args)
    old, new = read_truth(old_path), read_truth(new_path)
    gone = sorted(set(old) - set(new))
    if gone:
        fail(f"truth {new_path} lost ids of {old_path}: {gone[:5]}")

    # What must have happened, from the two truths.
    expect = {}
    for tid, n in new.items():
        o = old.get(tid)
        if o is not None and o["lu"] == n["lu"] and o["deleted"] == n["deleted"]:
            if o != n:
                fail(f"truths disagree for id {tid} with equal last_updated: {o} vs {n}")
            continue
        if o is not None and n["lu"] <= o["lu"]:
            fail(f"id {tid}: the new truth's last_updated is not newer than the old one's")
        if n["deleted"]:
            act = "delete"
        elif o is None or o["deleted"]:
            act = "insert"
        elif o["date"] == n["date"]:
            act = "update"
        else:
            act = "move"
        expect[tid] = act
    derived = {a: sum(1 for x in expect.values() if x == a)
               for a in ("insert", "update", "move", "delete")}
    for a, k in (("insert", "inserted"), ("update", "updated"), ("move", "moved"),
                 ("delete", "deleted")):
        if k in want_counts and want_counts[k] != derived[a]:
            fail(f"the truths imply {derived[a]} {a}s but the counts say {k}={want_counts[k]} "
                 f"(txgen inconsistent)")

    if since is None:
        run_id = last_run_id(cnf)
        where, params = "run_id = %s", (run_id,)
    else:
        run_id = f"(all runs but the {len(since)} listed)"
        where = "run_id NOT IN (" + ",".join(["%s"] * len(since)) + ")" if since else "1"
        params = tuple(sorted(since))
    got = {}
    nrows = 0
    for i in range(txcheck.shards(cnf)):
        c = txcheck.connect(cnf, i)
        cur = c.cursor()
        cur.execute("SELECT transaction_id, action, old_date, new_date, old_amount, new_amount, "
                    "old_category, new_category, old_payment_method, new_payment_method, "
                    "old_currency, new_currency, old_last_updated, new_last_updated, applied_at "
                    "FROM audit_log WHERE " + where, params)
        for r in cur.fetchall():
            nrows += 1
            tid = int(r[0])
            if tid in got:
                fail(f"run {run_id}: more than one audit row for transaction {tid}: "
                     f"{got[tid]} and {(i,) + r}")
            got[tid] = (i,) + tuple(r)
        c.close()

    by_action = {}
    for g in got.values():
        by_action[g[2]] = by_action.get(g[2], 0) + 1
    problems = []
    for a, k in (("insert", "inserted"), ("update", "updated"), ("move", "moved"),
                 ("delete", "deleted")):
        want = derived[a] if (a != "insert" or audit_inserts) else 0
        if by_action.get(a, 0) != want:
            problems.append(f"{by_action.get(a, 0)} '{a}' rows, expected {want}")
        if k in want_counts and (a != "insert" or audit_inserts) and \
                by_action.get(a, 0) != want_counts[k]:
            problems.append(f"{by_action.get(a, 0)} '{a}' rows but {k}={want_counts[k]}")
    if problems:
        print("FAIL details:", "; ".join(problems))

    def date_s(d):
        return None if d is None else d.isoformat()

    bad = []
    for tid, act in sorted(expect.items()):
        if act == "insert" and not audit_inserts:
            if tid in got:
                bad.append(f"id {tid}: insert audited without --audit-inserts: {got[tid]}")
            continue
        g = got.get(tid)
        if g is None:
            bad.append(f"id {tid}: no audit row for its {act}")
            continue
        _, _, gact, od, nd, oa, na, oc, nc, op, np_, ocur, ncur, olu, nlu, applied = g
        if gact != act:
            bad.append(f"id {tid}: action {gact}, expected {act}")
            continue
        if applied is None:
            bad.append(f"id {tid}: applied_at NULL")
        o, n = old.get(tid), new[tid]
        none = (None,) * 6
        got_old = (date_s(od), cents_of(oa), oc, op, ocur, us_of(olu))
        if o is None or o["deleted"]:
            # Nothing stored, or a tombstone: no stored transaction, "NULL where none".
            want_old = [none]
        else:
            want_old = [(o["date"], o["cents"], o["cat"], o["pay"], o["cur"], o["lu"])]
        if got_old not in want_old:
            bad.append(f"id {tid} ({act}): old (date, cents, category, payment_method, currency, "
                       f"last_updated_us) = {got_old}, expected {want_old[0]}")
        got_new = (date_s(nd), cents_of(na), nc, np_, ncur, us_of(nlu))
        if act == "delete":
            want_new = [none[:5] + (n["lu"],), none]
        else:
            want_new = [(n["date"], n["cents"], n["cat"], n["pay"], n["cur"], n["lu"])]
        if got_new not in want_new:
            bad.append(f"id {tid} ({act}): new (date, cents, category, payment_method, currency, "
                       f"last_updated_us) = {got_new}, expected {want_new[0]}")
    extra = sorted(set(got) - set(expect))
    for tid in extra[:5]:
        bad.append(f"id {tid}: audit row {got[tid]} but its truth did not change")
    if bad or problems:
        for b in bad[:12]:
            print("  ", b)
        fail(f"run {run_id}: audit_log wrong ({len(bad)} row problems, {len(extra)} unexpected "
             f"rows; {nrows} rows: {by_action}; expected {derived}"
             f"{'' if audit_inserts else ' (inserts not audited)'})")
    print(f"ok: run {run_id}: audit_log has exactly the {nrows} expected rows {by_action}, "
          f"old/new values equal the truths")


def parse_ts(s):
    s = s.strip().replace("T", " ").rstrip("Z")
    fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in s else "%Y-%m-%d %H:%M:%S"
    return us_of(datetime.datetime.strptime(s, fmt))


def cmd_cases(cnf, old_path, new_path, batch):
    old, new = read_truth(old_path), read_truth(new_path)
    c = txcheck.connect(cnf, 0)
    cur = c.cursor()
    cur.execute("SELECT upper_date FROM shard_map WHERE upper_date IS NOT NULL "
                "ORDER BY shard_index")
    bounds = [r[0].isoformat() for r in cur.fetchall()]
    c.close()

    def shard(d):
        return sum(1 for b in bounds if d >= b)

    vers = {}
    with open(batch, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            vers.setdefault(int(r["transaction_id"]), []).append(
                (parse_ts(r["last_updated"]), (r.get("op") or "U").strip(), r["transaction_date"]))
    seen = dict.fromkeys(["update", "move within a shard", "move across shards",
                          "delete of a stored id", "delete of an id never stored",
                          "delete + older insert", "delete + newer insert", "stale (older)",
                          "stale (equal)", "tie within the batch"], 0)
    for tid, vs in vers.items():
        o, n = old.get(tid), new[tid]
        live = o is not None and not o["deleted"]
        for lu, op, _ in vs:
            if o is not None and lu < o["lu"]:
                seen["stale (older)"] += 1
            if o is not None and lu == o["lu"]:
                seen["stale (equal)"] += 1
        fresh = [v for v in vs if o is None or v[0] > o["lu"]]
        lus = [v[0] for v in fresh]
        if len(lus) != len(set(lus)):
            seen["tie within the batch"] += 1
        dels = [v for v in fresh if v[1] == "D"]
        ups = [v for v in fresh if v[1] != "D"]
        if dels and any(u[0] < max(d[0] for d in dels) for u in ups):
            seen["delete + older insert"] += 1
        if dels and any(u[0] > max(d[0] for d in dels) for u in ups):
            seen["delete + newer insert"] += 1
        if o is not None and o["lu"] == n["lu"]:
            continue
        if n["deleted"]:
            if live:
                seen["delete of a stored id"] += 1
            elif o is None:
                seen["delete of an id never stored"] += 1
        elif live and o["date"] == n["date"]:
            seen["update"] += 1
        elif live:
            k = "move within a shard" if shard(o["date"]) == shard(n["date"]) else \
                "move across shards"
            seen[k] += 1
    missing = [k for k, v in seen.items() if v == 0]
    print(f"cases in {batch}: {seen}")
    if missing:
        fail(f"{batch} does not exercise: {missing}")
    print(f"ok: {batch} exercises every change case")


def cmd_extract(truth, out):
    t = read_truth(truth)
    n = 0
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["transaction_id", "customer_id", "transaction_date", "transaction_amount",
                    "transaction_category", "payment_method", "currency", "last_updated"])
        # Reverse id order: input order must not matter for distinct ids.
        for tid in sorted(t, reverse=True):
            r = t[tid]
            if r["deleted"]:
                continue
            w.writerow([tid, r["cust"], r["date"], fmt_cents(r["cents"]), r["cat"], r["pay"],
                        r["cur"], ts_of(r["lu"])])
            n += 1
    print(f"wrote {n} live rows of {truth} to {out}")


def cmd_revdump(cnf, out):
    rows, bmap = [], []
    for i in range(txcheck.shards(cnf)):
        c = txcheck.connect(cnf, i)
        cur = c.cursor()
        cur.execute("SELECT transaction_date, currency, revenue, transactions, customers FROM "
                    "revenue_daily")
        for r in cur.fetchall():
            rows.append((str(i), r[0].isoformat(), r[1], str(r[2]), str(r[3]), str(r[4])))
        cur.execute("SELECT shard_index, shard_count, lower_date, upper_date FROM shard_map "
                    "ORDER BY shard_index")
        bmap.append([str(x) for x in cur.fetchall()])
        c.close()
    rows.sort(key=lambda r: (r[1], r[2]))
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["shard", "transaction_date", "currency", "revenue", "transactions",
                    "customers"])
        w.writerows(rows)
    with open(out + ".map", "w") as f:
        for i, m in enumerate(bmap):
            f.write(f"shard{i}: {' '.join(m)}\n")
    print(f"revenue_daily: {len(rows)} days from {len(bmap)} shards to {out}")


def cmd_savemap(cnf, out):
    c = txcheck.connect(cnf, 0)
    cur = c.cursor()
    cur.execute("SELECT shard_index, shard_count, lower_date, upper_date, created_run FROM "
                "shard_map ORDER BY shard_index")
    rows = cur.fetchall()
    c.close()
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        for r in rows:
            w.writerow(["" if x is None else str(x) for x in r])
    print(f"saved the shard map ({len(rows)} shards) to {out}")


def cmd_seedmap(cnf, mapfile, schema):
    """A wiped cluster given the boundaries of another: schema (sql/schema.sql) and shard_map in
    every shard, no rows, so its first load keeps those boundaries (they never change)."""
    with open(mapfile, newline="") as f:
        rows = [r for r in csv.reader(f)]
    stmts, cur_stmt = [], []
    for line in open(schema, encoding="utf-8"):
        if line.lstrip().startswith("--"):
            continue
        cur_stmt.append(line)
        if line.rstrip().endswith(";"):
            stmts.append("".join(cur_stmt).rstrip().rstrip(";"))
            cur_stmt = []
    for i in range(txcheck.shards(cnf)):
        c = MySQLdb.connect(read_default_file=cnf, read_default_group=f"shard{i}", db="mysql")
        cur = c.cursor()
        cur.execute("CREATE DATABASE IF NOT EXISTS Customer CHARACTER SET utf8mb4")
        cur.execute("USE Customer")
        for st in stmts:
            cur.execute(st)
        for r in rows:
            cur.execute("INSERT INTO shard_map VALUES (%s, %s, %s, %s, %s)",
                        (int(r[0]), int(r[1]), r[2] or None, r[3] or None, r[4]))
        c.commit()
        c.close()
    print(f"seeded {txcheck.shards(cnf)} empty shards with the schema and the shard map")


def cmd_equiv(da, ra, db, rb):
    rows_a, rows_b = txcheck.read_dump(da), txcheck.read_dump(db)
    rev_a, rev_b = txcheck.read_dump(ra), txcheck.read_dump(rb)
    with open(ra + ".map") as f:
        map_a = f.read()
    with open(rb + ".map") as f:
        map_b = f.read()
    if map_a == map_b:
        if rows_a != rows_b:
            fail(f"stored rows differ: {txcheck.first_diff(rows_a, rows_b)}")
        if rev_a != rev_b:
            fail(f"revenue_daily differs: {txcheck.first_diff(rev_a, rev_b)}")
        print(f"ok: same shard map, same {len(rows_a)} rows in the same shards, same "
              f"revenue_daily ({len(rev_a)} days)")
        return
    print("NOTE: the clusters were created with different boundaries (chosen from each "
          f"cluster's first load):\n{map_a}vs\n{map_b}comparing without placement")
    rows_a = sorted(r[1:] for r in rows_a)
    rows_b = sorted(r[1:] for r in rows_b)
    if rows_a != rows_b:
        fail(f"stored rows differ: {txcheck.first_diff(rows_a, rows_b)}")
    rev_a = sorted(r[1:] for r in rev_a)
    rev_b = sorted(r[1:] for r in rev_b)
    if rev_a != rev_b:
        fail(f"revenue_daily differs: {txcheck.first_diff(rev_a, rev_b)}")
    print(f"ok: same {len(rows_a)} rows and same revenue_daily ({len(rev_a)} days)")


def cmd_placement(dump, truth):
    t = read_truth(truth)
    bad = []
    for r in txcheck.read_dump(dump):
        want = t.get(int(r[1]), {}).get("shard")
        if want is None:
            bad.append(f"id {r[1]}: no shard in the truth")
        elif r[0] != want:
            bad.append(f"id {r[1]} ({r[3]}) stored in shard {r[0]}, expected shard {want}")
    if bad:
        for b in bad[:10]:
            print("  ", b)
        fail(f"{len(bad)} rows in the wrong shard")
    print("ok: every row is in its expected shard")


def cmd_bounds(cnf, lo, hi):
    c = txcheck.connect(cnf, 0)
    cur = c.cursor()
    cur.execute("SELECT upper_date FROM shard_map WHERE shard_index = 0")
    row = cur.fetchone()
    c.close()
    if row is None or row[0] is None:
        fail("no boundary after shard 0")
    b = row[0].isoformat()
    if not lo <= b <= hi:
        fail(f"boundary {b} not in [{lo}, {hi}] (the hand-written cases assume it is)")
    print(f"ok: boundary {b} in [{lo}, {hi}]")


def table_rows(cnf, i, table):
    c = txcheck.connect(cnf, i)
    cur = c.cursor()
    try:
        cur.execute(f"SELECT COUNT(*) FROM `{table}`")
        return int(cur.fetchone()[0])
    except MySQLdb.ProgrammingError as e:
        if e.args[0] == 1146:  # no such table
            return 0
        raise
    finally:
        c.close()


def cmd_indexes(cnf):
    for i in range(txcheck.shards(cnf)):
        c = txcheck.connect(cnf, i)
        cur = c.cursor()
        cur.execute("SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME FROM information_schema.STATISTICS "
                    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'TransactionsOptimized' "
                    "ORDER BY INDEX_NAME, SEQ_IN_INDEX")
        idx = {}
        for name, _, col in cur.fetchall():
            idx.setdefault(name, []).append(col)
        c.close()
        if idx.get("PRIMARY") != ["transaction_id", "transaction_date"]:
            fail(f"shard {i}: primary key is {idx.get('PRIMARY')}")
        if not any(v[:2] == ["customer_id", "transaction_date"] for v in idx.values()):
            fail(f"shard {i}: no index on (customer_id, transaction_date): {idx}")
        print(f"ok: shard {i} indexes {idx}")


def cmd_runids(cnf, out):
    ids = set()
    for i in range(txcheck.shards(cnf)):
        c = txcheck.connect(cnf, i)
        cur = c.cursor()
        for t in ("etl_runs", "audit_log"):
            try:
                cur.execute(f"SELECT DISTINCT run_id FROM {t}")
                ids.update(r[0] for r in cur.fetchall())
            except MySQLdb.ProgrammingError as e:
                if e.args[0] != 1146:
                    raise
        c.close()
    with open(out, "w") as f:
        f.writelines(r + "\n" for r in sorted(ids))
    print(f"{len(ids)} run ids to {out}")


def cmd_empty(cnf, shard):
    i = int(shard)
    try:
        txcheck.connect(cnf, i).close()
    except MySQLdb.OperationalError as e:
        if e.args[0] == 1049:  # unknown database
            print(f"ok: shard {i} holds nothing (no database)")
            return
        raise
    found = {t: table_rows(cnf, i, t) for t in
             ("etl_runs", "TransactionsOptimized", "txn_directory", "audit_log",
              "revenue_daily", "stage_versions", "stage_winners", "stage_apply")}
    bad = {t: n for t, n in found.items() if n}
    if bad:
        fail(f"shard {i} is not empty: {bad}")
    print(f"ok: shard {i} holds nothing ({', '.join(found)} empty or absent)")


def cmd_status(cnf, status):
    for i in range(txcheck.shards(cnf)):
        c = txcheck.connect(cnf, i)
        cur = c.cursor()
        cur.execute("SELECT run_id, status FROM etl_runs ORDER BY started_at DESC, run_id DESC "
                    "LIMIT 1")
        row = cur.fetchone()
        c.close()
        if row and row[1] != status:
            fail(f"shard {i}: last run {row[0]} has status {row[1]}, expected {status}")
        print(f"shard {i}: last run {row}")


def cmd_rows(cnf, table):
    total = 0
    for i in range(txcheck.shards(cnf)):
        try:
            total += table_rows(cnf, i, table)
        except MySQLdb.Error:
            pass
    print(total)


def v2_to_v1(data):
    """One txn_directory.data of format 2 as format 1 would have held it (bytes)."""
    out, p = [], 0

    def num(end):
        nonlocal p
        q = data.index(end, p)
        v = data[p:q]
        p = q + 1
        return v

    while p < len(data):
        head = [num(b",") for _ in range(5)]
        p += 4  # CUR,
        clen = int(num(b":"))
        cat = data[p:p + clen]
        p += clen + 1  # category ,
        plen = int(num(b":"))
        p += plen
        out.append(b",".join(head) + b"," + str(clen).encode() + b":" + cat)
    return b"".join(out)


def cmd_oldlayout(cnf, shard):
    i = int(shard)
    c = MySQLdb.connect(read_default_file=cnf, read_default_group=f"shard{i}", charset="utf8mb4",
                        use_unicode=False)
    cur = c.cursor()
    cur.execute("SELECT block, data FROM txn_directory")
    rows = cur.fetchall()
    for block, data in rows:
        cur.execute("UPDATE txn_directory SET data = %s WHERE block = %s", (v2_to_v1(data), block))
    cur.execute("DELETE FROM shard_state WHERE name = 'directory_format'")
    c.commit()
    c.close()
    print(f"shard {i}: {len(rows)} directory blocks rewritten in format 1, no format recorded")


AUDIT_NEW = ["old_payment_method", "new_payment_method", "old_currency", "new_currency"]


def cmd_oldaudit(cnf):
    for i in range(txcheck.shards(cnf)):
        c = txcheck.connect(cnf, i)
        cur = c.cursor()
        cur.execute("ALTER TABLE audit_log " + ", ".join(f"DROP COLUMN {x}" for x in AUDIT_NEW))
        c.close()
    print("audit_log of every shard without " + ", ".join(AUDIT_NEW))


def cmd_auditcols(cnf, kept=None):
    last = last_run_id(cnf)
    n = 0
    for i in range(txcheck.shards(cnf)):
        c = txcheck.connect(cnf, i)
        cur = c.cursor()
        cur.execute("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                    "DATABASE() AND TABLE_NAME = 'audit_log' ORDER BY ORDINAL_POSITION")
        cols = [r[0] for r in cur.fetchall()]
        at = cols.index("new_category") if "new_category" in cols else -1
        if at < 0 or cols[at + 1:at + 5] != AUDIT_NEW:
            fail(f"shard {i}: audit_log columns {cols}: expected {AUDIT_NEW} after new_category")
        cur.execute("SELECT COUNT(*), COALESCE(SUM(old_payment_method IS NULL AND "
                    "new_payment_method IS NULL AND old_currency IS NULL AND new_currency IS "
                    "NULL), 0) FROM audit_log WHERE run_id <> %s", (last,))
        rows, nulls = (int(x) for x in cur.fetchone())
        if kept is not None and rows != nulls:
            fail(f"shard {i}: {rows - nulls} rows of earlier runs have payment/currency values")
        n += rows
        c.close()
    if kept is not None and n != int(kept):
        fail(f"{n} audit rows of runs before {last}, expected the {kept} the old audit_log held")
    print(f"ok: audit_log has {', '.join(AUDIT_NEW)} after new_category in every shard"
          + (f"; the {n} rows of earlier runs kept, NULL in them" if kept is not None else ""))


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        sys.exit(2)
    cmd, a = sys.argv[1], sys.argv[2:]
    {"audit": lambda: cmd_audit(a[0], a[1], a[2], a[3:]),
     "extract": lambda: cmd_extract(a[0], a[1]),
     "revdump": lambda: cmd_revdump(a[0], a[1]),
     "equiv": lambda: cmd_equiv(a[0], a[1], a[2], a[3]),
     "placement": lambda: cmd_placement(a[0], a[1]),
     "savemap": lambda: cmd_savemap(a[0], a[1]),
     "seedmap": lambda: cmd_seedmap(a[0], a[1], a[2]),
     "bounds": lambda: cmd_bounds(a[0], a[1], a[2]),
     "cases": lambda: cmd_cases(a[0], a[1], a[2], a[3]),
     "indexes": lambda: cmd_indexes(a[0]),
     "runids": lambda: cmd_runids(a[0], a[1]),
     "empty": lambda: cmd_empty(a[0], a[1]),
     "status": lambda: cmd_status(a[0], a[1]),
     "rows": lambda: cmd_rows(a[0], a[1]),
     "oldlayout": lambda: cmd_oldlayout(a[0], a[1]),
     "oldaudit": lambda: cmd_oldaudit(a[0]),
     "auditcols": lambda: cmd_auditcols(a[0], a[1] if len(a) > 1 else None)}[cmd]()


if __name__ == "__main__":
    main()
