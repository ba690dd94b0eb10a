#!/usr/bin/python3
"""check_export.py SNAPSHOT.h5 DIR - the CSV files `txetl export` wrote into DIR hold exactly the
snapshot's tables (h5py): the documented header (docs/export.md), one row per snapshot row in
snapshot order, integers exact, money = cents exactly, dates / months / segment names as the
snapshot's days, YYYYMM and segment indices, floats within 1e-9 relative (NaN <-> empty),
texts exact; cohorts.csv absent when the snapshot has no /cohorts. Read back with Python's csv module. Exit 1 naming every mismatch."""
import csv
import datetime as dt
import io
import math
import os
import sys
from decimal import Decimal

import h5py

EPOCH = dt.date(1970, 1, 1)
REVENUE_DAILY = [
    ("date", "date", "date"), ("revenue", "revenue_cents", "money"),
    ("transactions", "transactions", "int"), ("customers", "customers", "int"),
    ("gross", "gross_cents", "money"), ("refunds", "refunds_cents", "money")]
REVENUE_MONTHLY = [
    ("month", "month", "month"), ("revenue", "revenue_cents", "money"),
    ("transactions", "transactions", "int"), ("active_customers", "active_customers", "int"),
    ("new_customers", "new_customers", "int"), ("gross", "gross_cents", "money"),
    ("refunds", "refunds_cents", "money")]


def by_currency(cols, drop=None):
    """A revenue table's columns per currency: the currency after the date or month, without
    `drop` (docs/export.md: there is no new_customers per currency)."""
    return cols[:1] + [("currency", "currency", "text")] + [c for c in cols[1:] if c[0] != drop]


# The documented columns (docs/export.md), in file order: (csv column, dataset, kind).
TABLES = {
    "customers.csv": ("customers", [
        ("customer_id", "customer_id", "int"), ("first_purchase", "first_purchase", "date"),
        ("last_purchase", "last_purchase", "date"), ("orders", "orders", "int"),
        ("revenue", "revenue_cents", "money"), ("recency_days", "recency_days", "int"),
        ("r_score", "r_score", "int"), ("f_score", "f_score", "int"), ("m_score", "m_score", "int"),
        ("segment", "segment", "segment"), ("frequency", "frequency", "float"),
        ("recency", "recency", "float"), ("T", "T", "float"),
        ("monetary_value", "monetary_value", "float"), ("p_alive", "p_alive", "float"),
        ("expected_purchases", "expected_purchases", "float"),
        ("expected_avg_value", "expected_avg_value", "float"), ("clv", "clv", "float")]),
    "revenue_daily.csv": ("revenue/daily", REVENUE_DAILY),
    "revenue_monthly.csv": ("revenue/monthly", REVENUE_MONTHLY),
    "revenue_by_currency_daily.csv": ("revenue/by_currency/daily", by_currency(REVENUE_DAILY)),
    "revenue_by_currency_monthly.csv": ("revenue/by_currency/monthly",
                                        by_currency(REVENUE_MONTHLY, drop="new_customers")),
    "cohorts.csv": ("cohorts", [
        ("cohort_month", "cohort_month", "month"), ("offset", "offset", "int"),
        ("customers", "customers", "int"), ("revenue", "revenue_cents", "money"),
        ("cohort_size", "cohort_size", "int")]),
}
# Tables a snapshot of an older txetl lacks: then their file must not be in DIR.
OPTIONAL = {"cohorts"}


def as_str(x):
    return x.decode() if isinstance(x, bytes) else str(x)


def main():
    snap, out = sys.argv[1], sys.argv[2]
    f = h5py.File(snap, "r")
    names = [as_str(s) for s in f["customers"].attrs["segment_names"]]
    bad = []
    checked = 0
    for fname, (group, cols) in TABLES.items():
        if group in OPTIONAL and group not in f:
            if os.path.exists(f"{out}/{fname}"):
                bad.append(f"{fname}: written, but {snap} has no /{group}")
            else:
                print(f"{fname}: absent, as {snap} has no /{group}")
            continue
        g = f[group]
        if not os.path.exists(f"{out}/{fname}"):
            bad.append(f"{fname}: missing, though {snap} has /{group}")
            continue
        with open(f"{out}/{fname}", newline="", encoding="utf-8") as fh:
            raw = fh.read()
        if raw and not raw.endswith("\r\n"):
            bad.append(f"{fname}: does not end with CRLF")
        rows = list(csv.reader(io.StringIO(raw, newline="")))
        if not rows:
            bad.append(f"{fname}: empty, no header")
            continue
        header, body = rows[0], rows[1:]
        want = [c for c, _, _ in cols]
        if header != want:
            bad.append(f"{fname}: header {header}, documented {want}")
            continue
        n = len(g[cols[0][1]])
        if len(body) != n:
            bad.append(f"{fname}: {len(body)} rows, snapshot {group} has {n}")
            continue
        for j, (col, ds, kind) in enumerate(cols):
            vals = g[ds][:]
            if len(vals) != n:
                bad.append(f"{group}/{ds}: {len(vals)} rows, not {n}")
                continue
            for i in range(n):
                s, v = body[i][j], vals[i]
                if kind == "int":
                    ok = s == str(int(v))
                elif kind == "money":
                    ok = "." in s and len(s.split(".")[1]) == 2 and Decimal(s) * 100 == int(v)
                elif kind == "date":
                    ok = s == (EPOCH + dt.timedelta(days=int(v))).isoformat()
                elif kind == "month":
                    ok = s == f"{int(v) // 100:04d}-{int(v) % 100:02d}"
                elif kind == "segment":
                    ok = s == names[int(v)]
                elif kind == "text":
                    ok = s == as_str(v) and len(s) == 3
                else:
                    v = float(v)
                    if math.isnan(v):
                        ok = s == ""
                    elif math.isinf(v):
                        ok = s == ("inf" if v > 0 else "-inf")
                    else:
                        got = float(s)
                        ok = got == v or abs(got - v) <= 1e-9 * max(abs(v), abs(got))
                checked += 1
                if not ok and len(bad) < 20:
                    bad.append(f"{fname} row {i + 1} {col}: '{s}', snapshot {group}/{ds}[{i}] = {v!r}")
                elif not ok:
                    bad.append("...")
        print(f"{fname}: {n} rows x {len(cols)} columns")
    print(f"{checked} values checked against {snap}")
    for b in bad[:40]:
        print("MISMATCH:", b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
