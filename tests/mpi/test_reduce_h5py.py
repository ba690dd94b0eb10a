"""Reads txetl snapshots with h5py (Debian's python3-h5py) the way users do, and checks the
docs/snapshot.md layout: attribute types (strings come back as str), dataset names and dtypes, equal
column lengths, customers sorted by id. Usage: test_reduce_h5py.py SNAPSHOT.h5 ..."""
import sys

import h5py
import numpy as np

CUSTOMERS = {
    "customer_id": "u8", "first_purchase": "i4", "last_purchase": "i4", "orders": "u4",
    "revenue_cents": "i8", "recency_days": "i4", "r_score": "u1", "f_score": "u1",
    "m_score": "u1", "segment": "u1", "frequency": "f8", "recency": "f8", "T": "f8",
    "monetary_value": "f8", "p_alive": "f8", "expected_purchases": "f8",
    "expected_avg_value": "f8", "clv": "f8",
}
DAILY = {"date": "i4", "revenue_cents": "i8", "transactions": "u8", "customers": "u8",
         "gross_cents": "i8", "refunds_cents": "i8"}
MONTHLY = {"month": "i4", "revenue_cents": "i8", "transactions": "u8",
           "active_customers": "u8", "new_customers": "u8", "gross_cents": "i8",
           "refunds_cents": "i8"}
CUR_DAILY = {"date": "i4", "currency": "S3", "revenue_cents": "i8", "transactions": "u8",
             "customers": "u8", "gross_cents": "i8", "refunds_cents": "i8"}
CUR_MONTHLY = {"month": "i4", "currency": "S3", "revenue_cents": "i8", "transactions": "u8",
               "active_customers": "u8", "gross_cents": "i8", "refunds_cents": "i8"}
COUNTS = ["read", "rejected", "inserted", "updated", "moved", "deleted", "stale", "superseded"]


def check(path):
    failures = []

    def want(cond, what):
        if not cond:
            failures.append(what)

    with h5py.File(path, "r") as f:
        a = f.attrs
        want(a["format"] == "txetl-snapshot" and isinstance(a["format"], str), "format")
        want(int(a["format_version"]) == 2, "format_version")
        want(isinstance(a["reporting_currency"], str) and len(a["reporting_currency"]) == 3,
             "reporting_currency")
        for k in ("run_id", "created_utc", "as_of"):
            want(isinstance(a[k], str), k + " is str")
        want(len(a["as_of"]) == 10 and a["as_of"][4] == "-", "as_of YYYY-MM-DD")
        want(a["created_utc"].endswith("Z"), "created_utc in UTC")
        for k in ["ranks", "shards"] + COUNTS:
            want(np.issubdtype(np.asarray(a[k]).dtype, np.integer), k + " is an integer")
        for k in COUNTS:
            want(np.asarray(a[k]).dtype == np.uint64, k + " is u64")

        for group, cols in (("customers", CUSTOMERS), ("revenue/daily", DAILY),
                            ("revenue/monthly", MONTHLY), ("revenue/by_currency/daily", CUR_DAILY),
                            ("revenue/by_currency/monthly", CUR_MONTHLY)):
            lengths = set()
            for name, dt in cols.items():
                ds = f[group][name]
                want(ds.dtype == np.dtype("<" + dt) or ds.dtype == np.dtype(dt),
                     f"{group}/{name} dtype {ds.dtype}, want {dt}")
                want(ds.ndim == 1, f"{group}/{name} is 1-D")
                lengths.add(ds.shape[0])
            want(len(lengths) == 1, f"{group} columns of equal length")
        for grp in ("revenue/daily", "revenue/monthly", "revenue/by_currency/daily",
                    "revenue/by_currency/monthly"):
            g = f[grp]
            want(bool(np.all(g["revenue_cents"][:] == g["gross_cents"][:] + g["refunds_cents"][:])),
                 grp + " net = gross + refunds")
        bc = f["revenue/by_currency/daily"]
        keys = list(zip(bc["date"][:].tolist(), bc["currency"][:].tolist()))
        want(keys == sorted(keys) and len(set(keys)) == len(keys), "by_currency sorted by (date, currency)")
        ids = f["customers/customer_id"][:]
        want(bool(np.all(ids[1:] > ids[:-1])), "customers sorted by customer_id")
        names = list(f["customers"].attrs["segment_names"])
        want(len(names) == 11 and all(isinstance(n, str) for n in names), "segment_names")
        want(names[0] == "Champions" and names[-1] == "Lost", "segment_names order")
        seg = f["customers/segment"][:]
        want(bool(np.all(seg < len(names))), "segment indexes segment_names")
        for s in ("r_score", "f_score", "m_score"):
            v = f["customers"][s][:]
            want(bool(np.all((v >= 1) & (v <= 5))), s + " in 1..5")

        m = f["model"]
        for k in ("horizon_days", "clv_months", "discount_rate"):
            want(k in m.attrs, "/model@" + k)
        for k in ("r", "alpha", "a", "b", "loglik", "grad_norm", "converged", "n", "unit"):
            want(k in m["bgnbd"].attrs, "/model/bgnbd@" + k)
        want(m["bgnbd"].attrs["unit"] in ("day", "week"), "unit day/week")
        for k in ("p", "q", "v", "loglik", "grad_norm", "converged", "n"):
            want(k in m["gamma_gamma"].attrs, "/model/gamma_gamma@" + k)
        want(int(m["bgnbd"].attrs["n"]) == len(ids), "bgnbd n = customers")
        print(f"{path}: {len(ids)} customers, {f['revenue/daily/date'].shape[0]} days, "
              f"{f['revenue/monthly/month'].shape[0]} months, as of {a['as_of']}")
    for what in failures:
        print(f"{path}: FAILED: {what}")
    return not failures


ok = all([check(p) for p in sys.argv[1:]])
sys.exit(0 if ok and len(sys.argv) > 1 else 1)
