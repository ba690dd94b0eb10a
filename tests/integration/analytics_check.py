#!/usr/bin/python3
"""analytics_check.py - what the analytics integration tests assert about a snapshot (docs/analytics.md, docs/snapshot.md)
against the real shards it was computed from (Debian python3-h5py, numpy, python3-mysqldb).

  analytics_check.py customers CNF SNAP [FX]    /customers = the database's own aggregates and NTILE(5)
                                            (orders, revenue, first/last purchase, recency_days,
                                            r/f/m_score, segment; frequency, recency, T,
                                            monetary_value of the lifetimes summary)
  analytics_check.py revenue CNF SNAP [FX]    /revenue/daily and /revenue/monthly = SQL GROUP BY
  analytics_check.py cohorts CNF SNAP [FX]    /cohorts = a Python recount of the stored rows (each
                                            customer's first month, its active months and
                                            their net revenue, reporting currency)
  analytics_check.py positive IN OUT        copy of a txgen extract with |amount| in USD (no refunds)
  analytics_check.py params SNAP PARAMS [K] /model recovers the generating parameters: every one
                                            within K (default 4) standard errors of the truth,
                                            the standard errors from the observed information
  analytics_check.py live-extract TRUTH OUT extract (docs/input.md format) of a truth file's live rows
  analytics_check.py cdnow-extract ELOG OUT the CDNOW event log as an extract
  analytics_check.py cdnow SNAP             the published CDNOW numbers (README of the data set)
  analytics_check.py cdnow-holdout SNAP ELOG /holdout of `txetl snapshot --as-of 1998-06-30
                                            --clv-unit week --holdout-start 1997-10-01` on CDNOW:
                                            the calibration fit = the published 39-week fit,
                                            actual purchase days = a direct count from the event
                                            log (per customer and in total), by_frequency counts,
                                            predicted = lifetimes' conditional expectation
                                            (reimplemented here), aggregate forecast checks

Both SQL checks copy every shard's (customer_id, transaction_date, amount) rows into one
TEMPORARY table on shard 0 and let MariaDB compute the aggregates, window functions included:
the snapshot is compared with what the database itself says, not with a Python re-implementation.
Exit status 0 when the assertion holds; otherwise 1 with the first differences printed.
"""
import bisect
import csv
import datetime
import fractions
import math
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from txcheck import connect, shards  # noqa: E402  (same directory)

EPOCH = datetime.date(1970, 1, 1)

# docs/analytics.md: segment of (R, F).
SEGMENTS = {}
for _r, _fs, _name in [
        (5, (4, 5), "Champions"), (3, (4, 5), "Loyal"), (4, (4, 5), "Loyal"),
        (4, (2, 3), "Potential loyalist"), (5, (2, 3), "Potential loyalist"),
        (5, (1,), "New customers"), (4, (1,), "Promising"), (3, (3,), "Need attention"),
        (3, (1, 2), "About to sleep"), (1, (3, 4), "At risk"), (2, (3, 4), "At risk"),
        (1, (5,), "Cannot lose them"), (2, (5,), "Cannot lose them"),
        (2, (1, 2), "Hibernating"), (1, (1, 2), "Lost")]:
    for _f in _fs:
        SEGMENTS[(_r, _f)] = _name
assert len(SEGMENTS) == 25


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def days(d):
    return (d - EPOCH).days


def snapshot(path):
    f = h5py.File(path, "r")
    if f.attrs["format"] != "txetl-snapshot":
        fail(f"{path}: format attribute is {f.attrs['format']!r}")
    return f


def as_of_of(f):
    a = f.attrs["as_of"]
    return a.decode() if isinstance(a, bytes) else str(a)


def read_fx(path):
    """--fx-rates FILE -> {currency: sorted [(date, rate as Fraction)]} (None: no file)."""
    rates = {}
    if not path:
        return rates
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rates.setdefault(r["currency"], []).append(
                (datetime.date.fromisoformat(r["date"]), fractions.Fraction(r["rate"])))
    for v in rates.values():
        v.sort()
    return rates


def convert(rates, currency, d, cents, reporting="USD"):
    """cents of `currency` on date d in the reporting currency: the latest rate on or before d,
    cents x rate rounded half away from zero (docs/analytics.md), computed independently of txetl."""
    currency = currency or "USD"
    if currency == reporting:
        return int(cents)
    v = rates.get(currency)
    if not v:
        fail(f"no rate for {currency} (on {d})")
    i = bisect.bisect_right(v, (d, float("inf"))) - 1
    if i < 0:
        fail(f"no rate for {currency} on or before {d}")
    x = cents * v[i][1]
    q = abs(x.numerator) // x.denominator
    if 2 * (abs(x.numerator) % x.denominator) >= x.denominator:
        q += 1
    return q if x >= 0 else -q


def all_rows_on_shard0(cnf, fx=None):
    """Connection to shard 0 holding TEMPORARY TABLE tx_all(customer_id, d, cents, orig, cur):
    every stored transaction of every shard; cents converted to USD with the rates of --fx-rates
    file fx (orig: the stored amount in its own currency cur)."""
    rates = read_fx(fx)
    n = shards(cnf)
    c0 = connect(cnf, 0)
    cur0 = c0.cursor()
    cur0.execute("CREATE TEMPORARY TABLE tx_all (customer_id BIGINT UNSIGNED NOT NULL, "
                 "d DATE NOT NULL, cents BIGINT NOT NULL, orig BIGINT NOT NULL, "
                 "cur CHAR(3) NOT NULL, KEY (customer_id, d), KEY (d))")
    total = 0
    for i in range(n):
        c = c0 if i == 0 else connect(cnf, i)
        cur = c.cursor()
        cur.execute("SELECT customer_id, transaction_date, "
                    "CAST(transaction_amount * 100 AS SIGNED), COALESCE(currency, 'USD') "
                    "FROM TransactionsOptimized")
        while True:
            rows = cur.fetchmany(20000)
            if not rows:
                break
            cur0.executemany("INSERT INTO tx_all VALUES (%s, %s, %s, %s, %s)",
                             [(r[0], r[1], convert(rates, r[3], r[1], int(r[2])), r[2], r[3])
                              for r in rows])
            total += len(rows)
        if i:
            c.close()
    print(f"copied {total} rows of {n} shards into shard 0's temporary table")
    return c0


def compare_columns(what, got, want):
    """got, want: dicts of equal-length arrays. Fails at the first row that differs."""
    for k in want:
        g, w = np.asarray(got[k]), np.asarray(want[k])
        if g.shape != w.shape:
            fail(f"{what} {k}: {g.shape[0]} rows in the snapshot, {w.shape[0]} from SQL")
        if g.dtype.kind == "f" or w.dtype.kind == "f":
            bad = ~np.isclose(g.astype(float), w.astype(float), rtol=1e-9, atol=1e-12)
        else:
            bad = g != w
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            fail(f"{what} {k}: {int(bad.sum())} rows differ; first at row {i}: "
                 f"snapshot {g[i]!r}, SQL {w[i]!r}")


def cmd_customers(cnf, snap, fx=None):
    f = snapshot(snap)
    as_of = as_of_of(f)
    unit = 7.0 if f["model/bgnbd"].attrs["unit"] in ("week", b"week") else 1.0
    c0 = all_rows_on_shard0(cnf, fx)
    cur = c0.cursor()
    cur.execute("CREATE TEMPORARY TABLE cust (PRIMARY KEY (customer_id)) AS SELECT customer_id, "
                "COUNT(*) AS orders, SUM(cents) AS revenue, MIN(d) AS first_purchase, "
                "MAX(d) AS last_purchase, "
                "DATEDIFF(%s, MAX(d)) AS recency_days, COUNT(DISTINCT d) AS purchase_days "
                "FROM tx_all WHERE d <= %s GROUP BY customer_id", (as_of, as_of))
    # The first day's sum, for monetary_value (mean of the per-day sums after the first day).
    cur.execute("CREATE TEMPORARY TABLE firstday (PRIMARY KEY (customer_id)) AS "
                "SELECT t.customer_id, SUM(t.cents) AS cents "
                "FROM tx_all t JOIN cust c ON c.customer_id = t.customer_id "
                "AND t.d = c.first_purchase GROUP BY t.customer_id")
    cur.execute("SELECT c.customer_id, c.orders, c.revenue, c.first_purchase, c.last_purchase, "
                "c.recency_days, "
                "NTILE(5) OVER (ORDER BY c.recency_days DESC, c.customer_id), "
                "NTILE(5) OVER (ORDER BY c.orders, c.customer_id), "
                "NTILE(5) OVER (ORDER BY c.revenue, c.customer_id), "
                "c.purchase_days - 1, DATEDIFF(c.last_purchase, c.first_purchase), "
                "DATEDIFF(%s, c.first_purchase), c.revenue - fd.cents "
                "FROM cust c JOIN firstday fd ON fd.customer_id = c.customer_id "
                "ORDER BY c.customer_id", (as_of,))
    rows = cur.fetchall()
    c0.close()
    if not rows:
        fail("no customers in the shards on or before as-of")
    col = list(zip(*rows))
    x = np.array(col[9], dtype=float)
    want = {
        "customer_id": np.array(col[0], dtype=np.uint64),
        "orders": np.array(col[1], dtype=np.int64),
        "revenue_cents": np.array([int(v) for v in col[2]], dtype=np.int64),
        "first_purchase": np.array([days(d) for d in col[3]], dtype=np.int64),
        "last_purchase": np.array([days(d) for d in col[4]], dtype=np.int64),
        "recency_days": np.array(col[5], dtype=np.int64),
        "r_score": np.array(col[6], dtype=np.int64),
        "f_score": np.array(col[7], dtype=np.int64),
        "m_score": np.array(col[8], dtype=np.int64),
        "frequency": x,
        "recency": np.array(col[10], dtype=float) / unit,
        "T": np.array(col[11], dtype=float) / unit,
        "monetary_value": np.where(x > 0, np.array([int(v) for v in col[12]], dtype=float)
                                   / 100.0 / np.maximum(x, 1), 0.0),
    }
    g = f["customers"]
    names = [s.decode() if isinstance(s, bytes) else s for s in g.attrs["segment_names"]]
    got = {k: g[k][()] for k in want}
    for k in ("r_score", "f_score", "m_score", "orders", "first_purchase", "last_purchase",
              "recency_days", "revenue_cents"):
        got[k] = got[k].astype(np.int64)
    compare_columns("/customers", got, want)
    seg = g["segment"][()]
    want_seg = [SEGMENTS[(r, fs)] for r, fs in zip(col[6], col[7])]
    for i, (s, w) in enumerate(zip(seg, want_seg)):
        if names[s] != w:
            fail(f"/customers/segment row {i} (customer {col[0][i]}): {names[s]!r}, want {w!r} "
                 f"(R{col[6][i]} F{col[7][i]})")
    counts = np.bincount(np.array(col[6]) * 10 + np.array(col[7]), minlength=56)
    print(f"ok: {len(rows)} customers (as of {as_of}): orders, revenue, first/last purchase, "
          f"recency_days, R/F/M = MariaDB NTILE(5), segments, frequency/recency/T/"
          f"monetary_value all equal; R5F5 {counts[55]}, R1F1 {counts[11]} customers")


def cmd_revenue(cnf, snap, fx=None):
    f = snapshot(snap)
    as_of = as_of_of(f)
    c0 = all_rows_on_shard0(cnf, fx)
    cur = c0.cursor()
    # per original currency: never added together
    cur.execute("SELECT d, cur, SUM(orig), COUNT(*), COUNT(DISTINCT customer_id), "
                "SUM(GREATEST(orig, 0)), SUM(LEAST(orig, 0)) FROM tx_all WHERE d <= %s "
                "GROUP BY d, cur ORDER BY d, cur", (as_of,))
    bcd = cur.fetchall()
    cur.execute("SELECT EXTRACT(YEAR_MONTH FROM d) AS m, cur, SUM(orig), COUNT(*), "
                "COUNT(DISTINCT customer_id), SUM(GREATEST(orig, 0)), SUM(LEAST(orig, 0)) "
                "FROM tx_all WHERE d <= %s GROUP BY m, cur ORDER BY m, cur", (as_of,))
    bcm = cur.fetchall()
    for name, rows, key, cust in (("daily", bcd, "date", "customers"),
                                  ("monthly", bcm, "month", "active_customers")):
        g = f["revenue/by_currency/" + name]
        col = list(zip(*rows)) if rows else [[]] * 7
        want = {key: np.array([days(d) if name == "daily" else int(d) for d in col[0]],
                              dtype=np.int64),
                "revenue_cents": np.array([int(v) for v in col[2]], dtype=np.int64),
                "transactions": np.array(col[3], dtype=np.int64),
                cust: np.array(col[4], dtype=np.int64),
                "gross_cents": np.array([int(v) for v in col[5]], dtype=np.int64),
                "refunds_cents": np.array([int(v) for v in col[6]], dtype=np.int64)}
        compare_columns("/revenue/by_currency/" + name,
                        {k: g[k][()].astype(np.int64) for k in want}, want)
        gc = [v.decode() if isinstance(v, bytes) else str(v) for v in g["currency"][()]]
        if gc != list(col[1]):
            fail(f"/revenue/by_currency/{name} currency: {gc[:5]}..., SQL {list(col[1])[:5]}...")
    print(f"ok: /revenue/by_currency daily ({len(bcd)} rows) and monthly ({len(bcm)} rows) = "
          f"SQL GROUP BY (date or month, currency), gross and refunds apart")
    cur.execute("SELECT d, SUM(cents), COUNT(*), COUNT(DISTINCT customer_id) FROM tx_all "
                "WHERE d <= %s GROUP BY d ORDER BY d", (as_of,))
    daily = cur.fetchall()
    cur.execute("SELECT EXTRACT(YEAR_MONTH FROM d) AS m, SUM(cents), COUNT(*), "
                "COUNT(DISTINCT customer_id) FROM tx_all WHERE d <= %s GROUP BY m ORDER BY m",
                (as_of,))
    monthly = cur.fetchall()
    cur.execute("SELECT EXTRACT(YEAR_MONTH FROM f) AS m, COUNT(*) FROM (SELECT customer_id, "
                "MIN(d) AS f FROM tx_all WHERE d <= %s GROUP BY customer_id) x GROUP BY m",
                (as_of,))
    new = dict(cur.fetchall())
    c0.close()
    dcol = list(zip(*daily)) if daily else [[], [], [], []]
    want_d = {"date": np.array([days(d) for d in dcol[0]], dtype=np.int64),
              "revenue_cents": np.array([int(v) for v in dcol[1]], dtype=np.int64),
              "transactions": np.array(dcol[2], dtype=np.int64),
              "customers": np.array(dcol[3], dtype=np.int64)}
    g = f["revenue/daily"]
    compare_columns("/revenue/daily", {k: g[k][()].astype(np.int64) for k in want_d}, want_d)
    mcol = list(zip(*monthly)) if monthly else [[], [], [], []]
    want_m = {"month": np.array(mcol[0], dtype=np.int64),
              "revenue_cents": np.array([int(v) for v in mcol[1]], dtype=np.int64),
              "transactions": np.array(mcol[2], dtype=np.int64),
              "active_customers": np.array(mcol[3], dtype=np.int64),
              "new_customers": np.array([new.get(m, 0) for m in mcol[0]], dtype=np.int64)}
    g = f["revenue/monthly"]
    compare_columns("/revenue/monthly", {k: g[k][()].astype(np.int64) for k in want_m}, want_m)
    print(f"ok: /revenue/daily ({len(daily)} days) and /revenue/monthly ({len(monthly)} months, "
          f"{int(want_m['new_customers'].sum())} new customers, revenue "
          f"{int(want_m['revenue_cents'].sum())} cents) = SQL GROUP BY over all shards")


def cmd_cohorts(cnf, snap, fx=None):
    """docs/snapshot.md /cohorts, recounted in Python from every shard's stored rows."""
    f = snapshot(snap)
    as_of = datetime.date.fromisoformat(as_of_of(f))
    c0 = all_rows_on_shard0(cnf, fx)
    cur = c0.cursor()
    cur.execute("SELECT customer_id, d, cents FROM tx_all WHERE d <= %s", (as_of,))
    per = {}  # customer -> {month index: cents}
    for cid, d, cents in cur.fetchall():
        m = (d.year - 1970) * 12 + d.month - 1
        cm = per.setdefault(cid, {})
        cm[m] = cm.get(m, 0) + int(cents)
    c0.close()
    hi = (as_of.year - 1970) * 12 + as_of.month - 1
    cells = {}  # (cohort, offset) -> [customers, cents]
    for months in per.values():
        c = min(months)
        for m, cents in months.items():
            if m - c <= 12:
                cell = cells.setdefault((c, m - c), [0, 0])
                cell[0] += 1
                cell[1] += cents
    want = {k: [] for k in ("cohort_month", "offset", "customers", "revenue_cents",
                            "cohort_size")}
    for c in sorted({c for c, _ in cells}):
        for k in range(min(12, hi - c) + 1):
            n, cents = cells.get((c, k), [0, 0])
            want["cohort_month"].append((1970 + c // 12) * 100 + c % 12 + 1)
            want["offset"].append(k)
            want["customers"].append(n)
            want["revenue_cents"].append(cents)
            want["cohort_size"].append(cells[(c, 0)][0])
    g = f["cohorts"]
    got = {k: g[k][()] for k in want}
    want = {k: np.array(v, dtype=np.int64) for k, v in want.items()}
    compare_columns("/cohorts", got, want)
    if not len(want["offset"]):
        fail("no cohort rows: the check proves nothing")
    if sum(cells[(c, 0)][0] for c, _ in cells if _ == 0) != len(per):
        fail("cohort sizes do not add up to the customers")
    print(f"/cohorts ok: {len(want['offset'])} rows, {len({c for c, _ in cells})} cohorts, "
          f"{len(per)} customers")


def cmd_positive(src, dst):
    with open(src, newline="", encoding="utf-8") as fi, \
            open(dst, "w", newline="", encoding="utf-8") as fo:
        r = csv.reader(fi)
        w = csv.writer(fo, lineterminator="\n")
        head = next(r)
        w.writerow(head)
        low = [h.lower() for h in head]
        k = low.index("transaction_amount")
        c = low.index("currency") if "currency" in low else -1
        flipped = 0
        for row in r:
            if c >= 0:  # one currency: the generating parameters are in its units
                row[c] = "USD"
            if row[k].strip().startswith("-"):
                row[k] = row[k].strip()[1:]
                flipped += 1
            w.writerow(row)
    print(f"{dst}: {flipped} refunds made positive, every amount in USD")


# ---- BG/NBD and Gamma-Gamma log-likelihoods (Fader & Hardie), for standard errors ----
_lgamma = np.frompyfunc(math.lgamma, 1, 1)


def lg(v):
    return np.asarray(_lgamma(np.asarray(v, dtype=float)), dtype=float)


def lbeta(a, b):
    return lg(a) + lg(b) - lg(a + b)


def bgnbd_ll(th, x, tx, T):
    r, alpha, a, b = th
    base = lg(r + x) - lg(r) + r * math.log(alpha)
    a1 = lbeta(a, b + x) - lbeta(a, b) - (r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a2 = np.where(x > 0, lbeta(a + 1, b + np.maximum(x, 1) - 1) - lbeta(a, b)
                      - (r + x) * np.log(alpha + tx), -np.inf)
    return float(np.sum(base + np.logaddexp(a1, a2)))


def gg_ll(th, x, m):
    p, q, v = th
    px = p * x
    return float(np.sum(lg(px + q) - lg(px) - lg(q) + q * math.log(v) + (px - 1) * np.log(m)
                        + px * np.log(x) - (px + q) * np.log(v + m * x)))


def std_errors(ll, th):
    """Standard errors from the observed information: the inverse Hessian of -ll at th (central
    differences in log-parameters, then mapped back)."""
    k = len(th)
    u0 = np.log(th)
    h = 1e-3

    def f(u):
        return ll(np.exp(u))

    H = np.zeros((k, k))
    f0 = f(u0)
    for i in range(k):
        for j in range(i, k):
            if i == j:
                e = np.zeros(k)
                e[i] = h
                H[i, i] = (f(u0 + e) - 2 * f0 + f(u0 - e)) / h ** 2
            else:
                ei, ej = np.zeros(k), np.zeros(k)
                ei[i], ej[j] = h, h
                H[i, j] = H[j, i] = (f(u0 + ei + ej) - f(u0 + ei - ej) - f(u0 - ei + ej)
                                     + f(u0 - ei - ej)) / (4 * h * h)
    cov_u = np.linalg.inv(-H)
    return np.sqrt(np.diag(cov_u)) * np.asarray(th)  # delta method: d theta = theta d u


def read_params(path):
    out = {}
    with open(path) as f:
        for part in f.read().replace("\n", ",").split(","):
            if "=" in part:
                k, v = part.split("=")
                out[k.strip()] = float(v)
    return out


# Tolerance of the parameter recovery: |fitted - truth| <= K standard errors + ALLOWANCE * truth.
# The standard errors come from the observed information of the very customers fitted, so the
# statistical part shrinks with the customer count as it should (at 50,000 customers: r 0.7%,
# alpha 1.1%, a 1.8%, b 2.5%, p 2.9%, q 0.9%, v 3.7% of the parameter; K = 4 keeps a correct
# fit from failing by chance while a fit off by 5-15% fails). The allowance is the one known bias:
# txgen simulates BG/NBD in continuous time, while docs/analytics.md counts a calendar day as one purchase
# occasion, so purchases of one customer on one day merge (with lambda ~ Gamma(0.75, 40) about
# E[lambda^2]/E[lambda]/2 = 2% of the repeat purchases): the purchase rate r/alpha comes out ~3%
# low (measured at 50,000 customers: r +1.3%, alpha +4.1%). 5% is allowed on r and alpha only.
ALLOWANCE = {"r": 0.05, "alpha": 0.05}


def cmd_params(snap, params, k=4.0):
    f = snapshot(snap)
    truth = read_params(params)
    bg, gg = dict(f["model/bgnbd"].attrs), dict(f["model/gamma_gamma"].attrs)
    if bg["unit"] not in ("day", b"day"):
        fail(f"the fit's unit is {bg['unit']!r}; txgen's parameters are per day")
    if int(bg["converged"]) != 1 or int(gg["converged"]) != 1:
        fail(f"a fit did not converge: bgnbd {int(bg['converged'])}, "
             f"gamma_gamma {int(gg['converged'])}")
    c = f["customers"]
    x, tx, T, m = (c[n][()] for n in ("frequency", "recency", "T", "monetary_value"))
    th_bg = np.array([bg["r"], bg["alpha"], bg["a"], bg["b"]])
    sel = (x > 0) & (m > 0)
    th_gg = np.array([gg["p"], gg["q"], gg["v"]])
    # The reported log-likelihoods are the ones of these formulas at the reported optimum.
    ll_bg = bgnbd_ll(th_bg, x, tx, T)
    ll_gg = gg_ll(th_gg, x[sel], m[sel])
    if not math.isclose(ll_bg, bg["loglik"], rel_tol=1e-9):
        fail(f"BG/NBD loglik {bg['loglik']!r}, the formula gives {ll_bg!r}")
    if int(bg["n"]) != len(x) or int(gg["n"]) != int(sel.sum()):
        fail(f"n: bgnbd {int(bg['n'])} of {len(x)}, gamma_gamma {int(gg['n'])} of "
             f"{int(sel.sum())}")
    se_bg = std_errors(lambda th: bgnbd_ll(th, x, tx, T), th_bg)
    se_gg = std_errors(lambda th: gg_ll(th, x[sel], m[sel]), th_gg)
    bad = []
    for name, est, se, want in zip(["r", "alpha", "a", "b", "p", "q", "v"],
                                   list(th_bg) + list(th_gg), list(se_bg) + list(se_gg),
                                   [truth[n] for n in ("r", "alpha", "a", "b", "p", "q", "v")]):
        z = (est - want) / se
        tol = k * se + ALLOWANCE.get(name, 0.0) * want
        ok = abs(est - want) <= tol
        print(f"  {name:5s} fitted {est:10.5f}  truth {want:8.3f}  SE {se:8.5f} "
              f"({100 * se / want:5.2f}%)  off {100 * (est - want) / want:+6.2f}% = {z:+5.2f} SE"
              f"  tolerance {100 * tol / want:5.2f}%  {'ok' if ok else 'FAIL'}")
        if not ok:
            bad.append(name)
    print(f"  BG/NBD loglik {bg['loglik']:.4f} over {len(x)} customers (= the formula, "
          f"{ll_bg:.4f}); Gamma-Gamma loglik {gg['loglik']:.4f} over {int(sel.sum())} "
          f"(formula without its constant: {ll_gg:.4f})")
    if bad:
        fail(f"{bad} further than {k} standard errors (+ allowance) from the generating "
             "parameters")
    print(f"ok: all 7 parameters within {k} standard errors (+ {ALLOWANCE} of the value) of "
          "txgen's")


def cmd_live_extract(truth, out):
    n = 0
    with open(truth, newline="", encoding="utf-8") as fi, \
            open(out, "w", newline="", encoding="utf-8") as fo:
        r = csv.DictReader(fi)
        w = csv.writer(fo, lineterminator="\n")
        w.writerow(["transaction_id", "customer_id", "transaction_date", "transaction_amount",
                    "transaction_category", "payment_method", "currency", "last_updated"])
        for t in r:
            if t.get("deleted", "0") == "1":
                continue
            cents = int(t["amount_cents"])
            amount = f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}"
            us = int(t["last_updated_us"])
            lu = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=us)
            w.writerow([t["transaction_id"], t["customer_id"], t["transaction_date"], amount,
                        t["transaction_category"], t["payment_method"], t["currency"],
                        lu.strftime("%Y-%m-%d %H:%M:%S.%f")])
            n += 1
    print(f"{out}: {n} live rows of {truth}")


def cmd_cdnow_extract(elog, out):
    n = 0
    with open(elog, newline="") as fi, open(out, "w", newline="") as fo:
        r = csv.DictReader(fi)
        w = csv.writer(fo, lineterminator="\n")
        w.writerow(["transaction_id", "customer_id", "transaction_date", "transaction_amount"])
        for n, t in enumerate(r, 1):
            d = t["date"]
            w.writerow([n, t["sampleid"], f"{d[0:4]}-{d[4:6]}-{d[6:8]}",
                        f"{float(t['sales']):.2f}"])
    print(f"{out}: {n} CDNOW purchases")


def cmd_cdnow(snap):
    f = snapshot(snap)
    bg, gg = dict(f["model/bgnbd"].attrs), dict(f["model/gamma_gamma"].attrs)
    bad = []

    def near(name, got, want, rel=0.005):
        ok = abs(got - want) <= rel * abs(want)
        print(f"  {name:8s} {got:12.5f}  published {want:9.3f}  "
              f"off {100 * (got - want) / want:+.3f}%"
              f"  {'ok' if ok else 'FAIL'}")
        if not ok:
            bad.append(name)

    if as_of_of(f) != "1997-09-30":
        bad.append(f"as_of {as_of_of(f)}")
    if bg["unit"] not in ("week", b"week"):
        bad.append(f"unit {bg['unit']!r}")
    near("r", bg["r"], 0.243)
    near("alpha", bg["alpha"], 4.414)
    near("a", bg["a"], 0.793)
    near("b", bg["b"], 2.426)
    near("loglik", bg["loglik"], -9582.4)
    near("p", gg["p"], 6.25)
    near("q", gg["q"], 3.74)
    near("v", gg["v"], 15.44)
    print(f"  converged: bgnbd {int(bg['converged'])} (n {int(bg['n'])}), gamma_gamma "
          f"{int(gg['converged'])} (n {int(gg['n'])})")
    if int(bg["converged"]) != 1 or int(gg["converged"]) != 1:
        bad.append("converged")
    if int(bg["n"]) != 2357:
        bad.append(f"bgnbd n {int(bg['n'])}")
    c = f["customers"]
    ids = c["customer_id"][()]
    i = int(np.searchsorted(ids, 1))
    if ids[i] != 1:
        fail("customer 1 is not in the snapshot")
    x, tx, T = (float(c[n][i]) for n in ("frequency", "recency", "T"))
    print(f"  customer 1: frequency {x:g}, recency {tx:.4f}, T {T:.4f} weeks "
          f"(published 2, 30.43, 38.86)")
    if x != 2 or round(tx, 2) != 30.43 or round(T, 2) != 38.86:
        bad.append("customer 1")
    if bad:
        fail(f"CDNOW: {bad}")
    print("ok: the CDNOW sample reproduces the published BG/NBD and Gamma-Gamma results")


def hyp2f1(a, b, c, z):
    """Gauss's series, 0 <= z < 1 (all the BG/NBD formulas need)."""
    s = t = 1.0
    k = 0
    while True:
        t *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        s += t
        k += 1
        if abs(t) <= 1e-17 * abs(s) or k > 200000:
            return s


def bgnbd_conditional(p, x, tx, T, t):
    """lifetimes' BetaGeoFitter.conditional_expected_number_of_purchases_up_to_time."""
    r, al, a, b = p
    z = t / (al + T + t)
    second = 1 - hyp2f1(r + x, b + x, a + b + x - 1, z) * ((al + T) / (al + t + T)) ** (r + x)
    den = 1 + (x > 0) * (a / (b + x - 1)) * ((al + T) / (al + tx)) ** (r + x)
    return (a + b + x - 1) / (a - 1) * second / den


def bgnbd_unconditional(p, t):
    """E[X(t)] of a new customer (FHL 2005 eq. 9): the cohort tracking forecast."""
    r, al, a, b = p
    return (a + b - 1) / (a - 1) * (1 - (al / (al + t)) ** r *
                                     hyp2f1(r, b, a + b - 1, t / (al + t)))


def cmd_cdnow_holdout(snap, elog):
    f = snapshot(snap)
    if "holdout" not in f:
        fail(f"{snap} has no /holdout group")
    h = f["holdout"]
    at = dict(h.attrs)
    bad = []

    def near(name, got, want, rel=0.005):
        ok = abs(got - want) <= rel * abs(want)
        print(f"  {name:13s} {got:12.5f}  want {want:10.3f}  off {100 * (got - want) / want:+.3f}%"
              f"  {'ok' if ok else 'FAIL'}")
        if not ok:
            bad.append(name)

    def s(v):
        return v.decode() if isinstance(v, bytes) else str(v)

    # The event log, directly: purchase days per customer before / from 1997-10-01 up to as-of.
    start, as_of = "19971001", "19980630"
    cal, hold = {}, {}
    with open(elog, newline="") as fi:
        for t in csv.DictReader(fi):
            cid, d = int(t["sampleid"]), t["date"]
            if d > as_of:
                continue
            (cal if d < start else hold).setdefault(cid, set()).add(d)
    ids = sorted(cal)
    actual = np.array([len(hold.get(c, ())) for c in ids], dtype=float)
    x_cal = np.array([len(cal[c]) - 1 for c in ids], dtype=float)
    print(f"  event log: {len(ids)} calibration customers, {int(actual.sum())} purchase days "
          f"1997-10-01..1998-06-30")

    if s(at["calibration_end"]) != "1997-09-30":
        bad.append(f"calibration_end {s(at['calibration_end'])}")
    if int(at["holdout_days"]) != 273:
        bad.append(f"holdout_days {int(at['holdout_days'])}")
    if int(at["n"]) != len(ids) or len(ids) != 2357:
        bad.append(f"n {int(at['n'])}, event log {len(ids)}")
    if int(at["converged"]) != 1:
        bad.append("converged")
    near("r", at["r"], 0.243)
    near("alpha", at["alpha"], 4.414)
    near("a", at["a"], 0.793)
    near("b", at["b"], 2.426)
    print(f"  sum_actual    {at['sum_actual']:12.1f}  event log {actual.sum():.0f}")
    if at["sum_actual"] != actual.sum():
        bad.append("sum_actual")
    near("sum_predicted", at["sum_predicted"], actual.sum(), rel=0.15)
    got_ids = h["customer_id"][()]
    if list(got_ids) != ids:
        bad.append("customer_id")
    elif (h["actual"][()] != actual).any() or (h["frequency_cal"][()] != x_cal).any():
        bad.append("per-customer actual / frequency_cal")
    pred = h["predicted"][()]
    if not np.isfinite(pred).all() or not math.isclose(pred.sum(), at["sum_predicted"],
                                                          rel_tol=1e-9):
        bad.append("predicted column")
    # predicted = lifetimes' conditional expectation over the 39 holdout weeks, per customer,
    # with the snapshot's calibration parameters (an independent implementation).
    par = (at["r"], at["alpha"], at["a"], at["b"])
    day0 = datetime.date(1997, 9, 30)
    ref = np.empty(len(ids))
    T_cal = np.empty(len(ids))
    for i, c in enumerate(ids):
        ds = sorted(datetime.date(int(d[:4]), int(d[4:6]), int(d[6:])) for d in cal[c])
        T_cal[i] = (day0 - ds[0]).days / 7
        ref[i] = bgnbd_conditional(par, len(ds) - 1, (ds[-1] - ds[0]).days / 7, T_cal[i], 39.0)
    worst = float(np.max(np.abs(pred - ref) / np.maximum(np.abs(ref), 1e-300)))
    print(f"  predicted vs lifetimes' formula: worst relative difference {worst:.2e}")
    if worst > 1e-6:
        bad.append("predicted vs lifetimes' conditional expectation")
    # The aggregate. The sum of the conditional expectations is 12% below the actual holdout
    # purchase days here (1653 vs 1882): BG/NBD under-predicts the customers with 1-6
    # calibration repeat purchases (FHL 2005 fig. 5; BTYD's CDNOW demo shows the same bins). The
    # paper's close aggregate is the cumulative tracking forecast (fig. 2): calibration plus
    # holdout repeat purchases from E[X(t)] of each customer's cohort, checked within 10% below.
    cum_act = x_cal.sum() + actual.sum()
    cum_pred = sum(bgnbd_unconditional(par, T + 39.0) for T in T_cal)
    print(f"  cumulative repeat purchases to week 78: forecast {cum_pred:.1f}, actual "
          f"{cum_act:.0f} ({100 * (cum_pred / cum_act - 1):+.1f}%)")
    if abs(cum_pred / cum_act - 1) > 0.10:
        bad.append("cumulative tracking forecast")
    if not math.isclose(np.abs(pred - actual).mean(), at["mae"], rel_tol=1e-9):
        bad.append("mae")
    bf = h["by_frequency"]
    b = np.minimum(x_cal, 7).astype(int)
    want_n = [int((b == k).sum()) for k in range(8)]
    print(f"  by_frequency  customers {list(bf['customers'][()])}")
    print(f"                mean_actual    {np.round(bf['mean_actual'][()], 3).tolist()}")
    print(f"                mean_predicted {np.round(bf['mean_predicted'][()], 3).tolist()}")
    if list(bf["frequency_cal"][()]) != list(range(8)) or list(bf["customers"][()]) != want_n:
        bad.append(f"by_frequency customers, want {want_n}")
    for k in range(8):
        if want_n[k] and not math.isclose(bf["mean_actual"][k], actual[b == k].mean(),
                                          rel_tol=1e-9):
            bad.append(f"by_frequency mean_actual {k}")
    if bad:
        fail(f"CDNOW holdout: {bad}")
    print("ok: the CDNOW calibration fit is the published one; holdout actuals match the event "
          "log; predictions are lifetimes' conditional expectations; aggregate within 15% (cumulative "
          "within 10%)")


def main(argv):
    cmds = {"customers": (cmd_customers, 2), "revenue": (cmd_revenue, 2),
            "cohorts": (cmd_cohorts, 2),
            "positive": (cmd_positive, 2), "params": (cmd_params, 2),
            "live-extract": (cmd_live_extract, 2), "cdnow-extract": (cmd_cdnow_extract, 2),
            "cdnow": (cmd_cdnow, 1), "cdnow-holdout": (cmd_cdnow_holdout, 2)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 < cmds[argv[1]][1]:
        print(__doc__)
        return 2
    fn, n = cmds[argv[1]]
    args = argv[2:]
    if argv[1] in ("customers", "revenue", "cohorts"):
        fn(*args[:3])
    elif argv[1] == "params" and len(args) > 2:
        fn(args[0], args[1], float(args[2]))
    else:
        fn(*args[:n])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
