#!/usr/bin/python3
"""serve_check.py - checks of docs/serving.md against real servers.

  serve_check.py values CNF SNAPSHOT.h5      analytics tables == the snapshot (h5py)
  serve_check.py poll CNF STOPFILE OUT       reader loop: every poll sees one run_id in all
                                             tables; writes the run ids seen to OUT
  serve_check.py router CNF NSHARDS LOGDIR   router == shards queried directly; a date-bounded
                                             query reaches only the shards of its range
  serve_check.py currencies IN OUT           rewrites a txgen CSV with EUR/GBP rows
  serve_check.py grants CNF                  the BI role can read but not write

Exits non-zero with a message on the first mismatch.
"""
import csv
import decimal
import math
import os
import sys
import time

import h5py
import MySQLdb
import numpy as np

EPOCH = np.datetime64("1970-01-01", "D")


def fail(msg):
    print("serve_check: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def connect(cnf, group, db):
    return MySQLdb.connect(read_default_file=cnf, read_default_group=group, db=db,
                           charset="utf8mb4")


def analytics(cnf):
    groups = open(cnf).read()
    group = "analytics" if "[analytics]" in groups else "shard0"
    return connect(cnf, group, "CustomerAnalytics")


def day(d):
    return str(EPOCH + np.timedelta64(int(d), "D"))


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def f64(v):
    return None if (math.isnan(v) or math.isinf(v)) else float(v)


def table_rows(cur, table, sql, n, want_of, got_of):
    """Table `table` (rows of `sql`) holds the snapshot's n rows: row i is want_of(i), compared
    as got_of(row)."""
    cur.execute(sql)
    rows = cur.fetchall()
    if len(rows) != n:
        fail(f"{table} has {len(rows)} rows, the snapshot {n}")
    for i, r in enumerate(rows):
        want = want_of(i)
        got = got_of(r)
        if got != want:
            fail(f"{table} row {i}: {got} != {want}")


def values(cnf, snap):
    f = h5py.File(snap, "r")
    run_id = f.attrs["run_id"]
    run_id = run_id.decode() if isinstance(run_id, bytes) else str(run_id)
    c = f["customers"]
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in c.attrs["segment_names"]]
    db = analytics(cnf)
    cur = db.cursor()
    cur.execute("SELECT customer_id, first_purchase, last_purchase, orders, revenue, "
                "recency_days, r_score, f_score, m_score, segment, frequency, recency, T, "
                "monetary_value, p_alive, expected_purchases, expected_avg_value, clv, run_id "
                "FROM customer_scores ORDER BY customer_id")
    rows = cur.fetchall()
    n = len(c["customer_id"])
    if len(rows) != n:
        fail(f"customer_scores has {len(rows)} rows, the snapshot {n} customers")
    ints = ["customer_id", "orders", "recency_days", "r_score", "f_score", "m_score"]
    floats = ["frequency", "recency", "T", "monetary_value", "p_alive", "expected_purchases",
              "expected_avg_value", "clv"]
    col = {k: c[k][()] for k in c.keys()}
    for i, r in enumerate(rows):
        (cid, fp, lp, orders, revenue, rd, rs, fs, ms, seg, *fl) = r[:18]
        got = dict(zip(["customer_id", "orders", "recency_days", "r_score", "f_score",
                        "m_score"], [cid, orders, rd, rs, fs, ms]))
        for k in ints:
            if int(got[k]) != int(col[k][i]):
                fail(f"customer_scores row {i} (customer {cid}): {k} {got[k]} != {col[k][i]}")
        if str(fp) != day(col["first_purchase"][i]) or str(lp) != day(col["last_purchase"][i]):
            fail(f"customer {cid}: purchase days {fp} {lp} != snapshot")
        if int(revenue * 100) != int(col["revenue_cents"][i]):
            fail(f"customer {cid}: revenue {revenue} != {col['revenue_cents'][i]} cents")
        if seg != names[col["segment"][i]]:
            fail(f"customer {cid}: segment {seg!r} != {names[col['segment'][i]]!r}")
        for k, v in zip(floats, fl):
            want = f64(col[k][i])
            if not close(v, want):
                fail(f"customer {cid}: {k} {v!r} != {want!r}")
        if r[18] != run_id:
            fail(f"customer {cid}: run_id {r[18]} != {run_id}")
    # revenue tables: basis 'reporting' = /revenue/{daily,monthly} in the reporting currency
    rep = f.attrs["reporting_currency"]
    rep = rep.decode() if isinstance(rep, bytes) else str(rep)
    d = f["revenue/daily"]
    cur.execute("SELECT basis, currency, date, revenue, transactions, customers, gross, refunds, "
                "run_id FROM revenue_daily WHERE basis = 'reporting' ORDER BY date")
    rows = cur.fetchall()
    if len(rows) != len(d["date"]):
        fail(f"revenue_daily has {len(rows)} reporting rows, the snapshot {len(d['date'])}")
    for i, r in enumerate(rows):
        want = ("reporting", rep, day(d["date"][i]), int(d["revenue_cents"][i]),
                int(d["transactions"][i]), int(d["customers"][i]), int(d["gross_cents"][i]),
                int(d["refunds_cents"][i]), run_id)
        got = (r[0], r[1], str(r[2]), int(r[3] * 100), int(r[4]), int(r[5]), int(r[6] * 100),
               int(r[7] * 100), r[8])
        if got != want:
            fail(f"revenue_daily row {i}: {got} != {want}")
    m = f["revenue/monthly"]
    cur.execute("SELECT basis, currency, month, revenue, transactions, active_customers, "
                "new_customers, run_id FROM revenue_monthly WHERE basis = 'reporting' "
                "ORDER BY month")
    rows = cur.fetchall()
    if len(rows) != len(m["month"]):
        fail(f"revenue_monthly has {len(rows)} reporting rows, the snapshot {len(m['month'])}")
    for i, r in enumerate(rows):
        mo = int(m["month"][i])
        want = ("reporting", rep, f"{mo // 100:04d}-{mo % 100:02d}-01",
                int(m["revenue_cents"][i]), int(m["transactions"][i]),
                int(m["active_customers"][i]), int(m["new_customers"][i]), run_id)
        got = (r[0], r[1], str(r[2]), int(r[3] * 100), int(r[4]), int(r[5]), int(r[6]), r[7])
        if got != want:
            fail(f"revenue_monthly row {i}: {got} != {want}")
    # basis 'original' = /revenue/by_currency/{daily,monthly}, in each row's own currency
    nor = 0
    for table, group, key, cust in (("revenue_daily", "revenue/by_currency/daily", "date",
                                     "customers"),
                                    ("revenue_monthly", "revenue/by_currency/monthly", "month",
                                     "active_customers")):
        g = f[group]
        cur.execute(f"SELECT basis, currency, {key}, revenue, transactions, {cust}, gross, "
                    f"refunds, run_id FROM {table} WHERE basis = 'original' "
                    f"ORDER BY {key}, currency")
        rows = cur.fetchall()
        if len(rows) != len(g[key]):
            fail(f"{table} has {len(rows)} original rows, the snapshot's {group} {len(g[key])}")
        for i, r in enumerate(rows):
            k = int(g[key][i])
            kt = day(k) if key == "date" else f"{k // 100:04d}-{k % 100:02d}-01"
            want = ("original", g["currency"][i].decode(), kt, int(g["revenue_cents"][i]),
                    int(g["transactions"][i]), int(g[cust][i]), int(g["gross_cents"][i]),
                    int(g["refunds_cents"][i]), run_id)
            got = (r[0], r[1], str(r[2]), int(r[3] * 100), int(r[4]), int(r[5]),
                   int(r[6] * 100), int(r[7] * 100), r[8])
            if got != want:
                fail(f"{table} original row {i}: {got} != {want}")
        nor += len(rows)
        if table == "revenue_monthly":
            cur.execute("SELECT COUNT(*) FROM revenue_monthly WHERE basis = 'original' AND "
                        "new_customers IS NOT NULL")
            if cur.fetchone()[0]:
                fail("revenue_monthly original rows have new_customers (none per currency)")
    print(f"  {nor} original-basis revenue rows = /revenue/by_currency")
    # cohorts = /cohorts (a snapshot of a txetl before the table has none: the table is empty)
    cur.execute("SELECT cohort_month, month_offset, customers, revenue, cohort_size, run_id "
                "FROM cohorts ORDER BY cohort_month, month_offset")
    rows = cur.fetchall()
    co = f["cohorts"] if "cohorts" in f else None
    nco = len(co["cohort_month"]) if co is not None else 0
    if len(rows) != nco:
        fail(f"cohorts has {len(rows)} rows, the snapshot's /cohorts {nco}"
             + ("" if co is not None else " (it has no /cohorts)"))
    for i, r in enumerate(rows):
        cm = int(co["cohort_month"][i])
        want = (f"{cm // 100:04d}-{cm % 100:02d}-01", int(co["offset"][i]),
                int(co["customers"][i]), int(co["revenue_cents"][i]),
                int(co["cohort_size"][i]), run_id)
        got = (str(r[0]), int(r[1]), int(r[2]), int(r[3] * 100), int(r[4]), r[5])
        if got != want:
            fail(f"cohorts row {i}: {got} != {want}")
    print(f"  {nco} cohort rows = /cohorts" if co is not None else
          "  cohorts empty: the snapshot has no /cohorts")
    # model
    cur.execute("SELECT model, parameter, value, converged, loglik, n FROM model_params")
    params = {(r[0], r[1]): r[2:] for r in cur.fetchall()}
    for grp, model, ps in (("model/bgnbd", "bgnbd", "r alpha a b"),
                           ("model/gamma_gamma", "gamma_gamma", "p q v")):
        a = f[grp].attrs
        for p in ps.split():
            v, conv, ll, nn = params[(model, p)]
            if not close(v, float(a[p])) or int(conv) != int(a["converged"]) or \
                    not close(ll, float(a["loglik"])) or int(nn) != int(a["n"]):
                fail(f"model_params {model}.{p}: {params[(model, p)]} != snapshot")
    for p in ("horizon_days", "clv_months", "discount_rate"):
        if not close(params[("clv", p)][0], float(f["model"].attrs[p])):
            fail(f"model_params clv.{p} != /model@{p}")
    cur.execute("SELECT run_id, customers, as_of, rows_read FROM snapshots ORDER BY published "
                "DESC LIMIT 1")
    s = cur.fetchone()
    as_of = f.attrs["as_of"]
    as_of = as_of.decode() if isinstance(as_of, bytes) else str(as_of)
    if s[0] != run_id or int(s[1]) != n or str(s[2]) != as_of or int(s[3]) != int(f.attrs["read"]):
        fail(f"snapshots newest row {s} != ({run_id}, {n}, {as_of}, {f.attrs['read']})")
    print(f"values: {n} customers, {len(d['date'])} days, {len(m['month'])} months, "
          f"{len(params)} model rows equal the snapshot {run_id}")


POLL = ("SELECT (SELECT MIN(run_id) FROM customer_scores), (SELECT MAX(run_id) FROM "
        "customer_scores), (SELECT MIN(run_id) FROM revenue_daily), (SELECT MAX(run_id) FROM "
        "revenue_daily), (SELECT MIN(run_id) FROM revenue_monthly), (SELECT MAX(run_id) FROM "
        "revenue_monthly), (SELECT MIN(run_id) FROM model_params), (SELECT MAX(run_id) FROM "
        "model_params), (SELECT MIN(run_id) FROM cohorts), (SELECT MAX(run_id) FROM cohorts), "
        "(SELECT run_id FROM snapshots ORDER BY published DESC LIMIT 1)")


def poll(cnf, stop, out):
    """One statement reads every table: it opens them all at once, so it sees one side of
    the RENAME. A poll that fails (table being swapped) is retried; mixing is a failure."""
    db = analytics(cnf)
    db.autocommit(True)
    cur = db.cursor()
    seen, polls, errors = [], 0, 0
    while not os.path.exists(stop):
        try:
            cur.execute(POLL)
            r = cur.fetchone()
        except MySQLdb.Error as e:
            errors += 1
            if errors > 1000:
                fail(f"poll: too many errors, last {e}")
            continue
        polls += 1
        if len(set(r)) != 1:
            fail(f"poll {polls}: tables of different snapshots seen at once: {r}")
        if not seen or seen[-1] != r[0]:
            seen.append(r[0])
    with open(out, "w") as fh:
        fh.write("\n".join(str(s) for s in seen) + "\n")
    print(f"poll: {polls} polls ({errors} retried), run ids in order: {seen}")


def shard_sql(cnf, n, sql):
    out = []
    for i in range(n):
        c = connect(cnf, f"shard{i}", "Customer").cursor()
        c.execute(sql)
        out.append(c.fetchall())
    return out


def router(cnf, n, logdir):
    r = connect(cnf, "router", "Customer").cursor()
    # 1. COUNT(*) and SUM
    r.execute("SELECT COUNT(*), SUM(transaction_amount) FROM TransactionsOptimized")
    got = r.fetchone()
    per = shard_sql(cnf, n, "SELECT COUNT(*), COALESCE(SUM(transaction_amount), 0) "
                            "FROM TransactionsOptimized")
    want = (sum(p[0][0] for p in per), sum(p[0][1] for p in per))
    if (int(got[0]), got[1]) != (int(want[0]), want[1]):
        fail(f"router COUNT/SUM {got} != shards {want}")
    if any(p[0][0] == 0 for p in per):
        fail(f"a shard holds no rows ({[p[0][0] for p in per]}): the test needs all {n}")
    # 2. by month and by currency
    for what, expr in (("month", "DATE_FORMAT(transaction_date, '%Y-%m')"),
                       ("currency", "currency")):
        q = (f"SELECT {expr} AS k, SUM(transaction_amount), COUNT(*) FROM TransactionsOptimized "
             "GROUP BY k ORDER BY k")
        r.execute(q)
        got = {row[0]: (row[1], int(row[2])) for row in r.fetchall()}
        want = {}
        for p in shard_sql(cnf, n, q):
            for k, s, c in p:
                a = want.get(k, (decimal.Decimal(0), 0))
                want[k] = (a[0] + s, a[1] + int(c))
        if got != want:
            fail(f"router SUM by {what} differs from the shards': "
                 f"{sorted(set(got.items()) ^ set(want.items()))[:4]}")
        if what == "currency" and len(got) < 2:
            fail(f"only currencies {list(got)}: the test needs several")
    # revenue_daily through the router too
    r.execute("SELECT COUNT(*), SUM(revenue), SUM(transactions) FROM revenue_daily")
    got = r.fetchone()
    per = shard_sql(cnf, n, "SELECT COUNT(*), COALESCE(SUM(revenue), 0), "
                            "COALESCE(SUM(transactions), 0) FROM revenue_daily")
    want = tuple(sum(p[0][k] for p in per) for k in range(3))
    if tuple(got) != want:
        fail(f"router revenue_daily {got} != shards {want}")
    # 3. a date-bounded query: inside the last shard's range
    bounds = shard_sql(cnf, 1, "SELECT shard_index, lower_date, upper_date FROM shard_map "
                               "ORDER BY shard_index")[0]
    lo = bounds[-1][1]
    hi = lo + (bounds[-1][1] - bounds[-2][1]) / 4 if n > 1 else None
    tag = f"probe{int(time.time() * 1000)}"
    logs = [os.path.join(logdir, f"shard{i}", "general.log") for i in range(n)]
    sizes = [os.path.getsize(p) if os.path.exists(p) else 0 for p in logs]
    q = ("SELECT COUNT(*), SUM(transaction_amount) FROM TransactionsOptimized "
         f"WHERE transaction_date >= '{lo}' AND transaction_date < '{hi}' /* {tag} */")
    r.execute(q)
    got = r.fetchone()
    qs = q.replace(f"/* {tag} */", "")
    want_rows = shard_sql(cnf, n, qs)
    want = (sum(int(p[0][0]) for p in want_rows),
            sum((p[0][1] or 0) for p in want_rows))
    if (int(got[0]), got[1] or 0) != want or want[0] == 0:
        fail(f"router date-bounded {got} != shards {want} (range {lo}..{hi})")
    time.sleep(1.0)
    reached = []
    for i, p in enumerate(logs):
        with open(p, errors="replace") as fh:
            fh.seek(sizes[i])
            text = fh.read()
        if "`transactionsoptimized`" in text.lower() and "transaction_date" in text and \
                "select" in text.lower() and str(lo) in text:
            reached.append(i)
    if reached != [n - 1]:
        fail(f"the date-bounded query [{lo}, {hi}) reached shards {reached}, not only "
             f"shard {n - 1} (general logs {logs})")
    r.execute("SET SESSION spider_disable_group_by_handler = 1")
    r.execute("EXPLAIN PARTITIONS SELECT transaction_id FROM TransactionsOptimized "
              f"WHERE transaction_date >= '{lo}' AND transaction_date < '{hi}'")
    parts = r.fetchone()[3]
    print(f"router: {n} shards, counts/sums by month and currency equal; date range "
          f"[{lo}, {hi}) reached shards {reached}, EXPLAIN partitions {parts}")


def currencies(src, dst):
    with open(src, newline="") as fi, open(dst, "w", newline="") as fo:
        rd = csv.reader(fi)
        wr = csv.writer(fo, lineterminator="\n")
        head = next(rd)
        k = head.index("currency")
        wr.writerow(head)
        for i, row in enumerate(rd):
            row[k] = ("USD", "EUR", "GBP")[i % 3] if i % 2 else "USD"
            wr.writerow(row)


def grants(cnf):
    a = analytics(cnf).cursor()
    a.execute("SELECT COUNT(*) FROM customer_scores")
    print(f"grants: BI account reads {a.fetchone()[0]} customers")
    try:
        a.execute("DELETE FROM customer_scores")
    except MySQLdb.OperationalError as e:
        if e.args[0] != 1142:
            raise
        print("grants: BI account cannot write (1142)")
        return
    fail("the BI account could DELETE from customer_scores")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "values":
        values(*args)
    elif cmd == "poll":
        poll(*args)
    elif cmd == "router":
        router(args[0], int(args[1]), args[2])
    elif cmd == "currencies":
        currencies(*args)
    elif cmd == "grants":
        grants(*args)
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
