#!/usr/bin/python3
"""make_snapshot.py - writes a small, realistic txetl snapshot (SPEC section 6) for the report tests.

usage: make_snapshot.py OUT.h5 [--empty] [--unconverged] [--nasty-run-id] [--holdout]
                        [--drop PATH] [--money-scale K] [--no-cohorts]

300 customers, 90 days (2024-01-01 .. 2024-03-30, as-of 2024-03-31), 3 months, all 11 RFM
segments. String attributes mix fixed-length and variable-length storage on purpose, since the
report must read both. --drop removes one dataset or attribute ("/customers/clv",
"/model/bgnbd@loglik") to exercise the error path. --holdout adds the /holdout group of
`txetl snapshot --holdout-start 2024-03-01` (calibration to 2024-02-29, 31 holdout days): actual
purchase days from the fixture's transactions, predictions from a plausible calibration fit.
An unknown group (/x_unknown) is always written: the report must ignore it. --money-scale K
--no-cohorts leaves out /cohorts (a snapshot of an older txetl). --money-scale K
multiplies every transaction amount by K (K = 100000: revenue in the billions, as a large
business's report shows; for the layout tests).
"""
import argparse
import datetime as dt

import h5py
import numpy as np

SEGMENTS = ["Champions", "Loyal", "Potential loyalist", "New customers", "Promising",
            "Need attention", "About to sleep", "At risk", "Cannot lose them", "Hibernating", "Lost"]
EPOCH = dt.date(1970, 1, 1)


def days(d):
    return (d - EPOCH).days


def ntile5(keys):
    """SQL NTILE(5) over the rows ordered by keys (list of tuples); returns scores by row."""
    n = len(keys)
    order = sorted(range(n), key=lambda i: keys[i])
    out = np.zeros(n, dtype=np.uint8)
    base, extra = divmod(n, 5)
    pos = 0
    for tile in range(5):
        size = base + (1 if tile < extra else 0)
        for i in order[pos:pos + size]:
            out[i] = tile + 1
        pos += size
    return out


def segment(r, f):
    if r == 5 and f >= 4: return 0
    if r in (3, 4) and f >= 4: return 1
    if r >= 4 and f in (2, 3): return 2
    if r == 5 and f == 1: return 3
    if r == 4 and f == 1: return 4
    if r == 3 and f == 3: return 5
    if r == 3 and f <= 2: return 6
    if r <= 2 and f in (3, 4): return 7
    if r <= 2 and f == 5: return 8
    if r == 2 and f <= 2: return 9
    return 10


def fixed(s):
    return np.bytes_(s.encode())


def put_group(f, path, cols):
    """Group `path` of f with one dataset per (name, array) of cols, in order."""
    g = f.create_group(path)
    for name, arr in cols.items():
        g.create_dataset(name, data=arr)
    return g


def in_usd(cols):
    """cols with a currency column (all USD) after the first (the day or month)."""
    items = list(cols.items())
    usd = np.array([b"USD"] * len(items[0][1]), dtype="S3")
    return dict([items[0], ("currency", usd)] + items[1:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--empty", action="store_true")
    ap.add_argument("--unconverged", action="store_true")
    ap.add_argument("--nasty-run-id", action="store_true")
    ap.add_argument("--holdout", action="store_true")
    ap.add_argument("--drop")
    ap.add_argument("--money-scale", type=int, default=1)
    ap.add_argument("--no-cohorts", action="store_true")
    args = ap.parse_args()

    rng = np.random.default_rng(20240331)
    start, as_of = dt.date(2024, 1, 1), dt.date(2024, 3, 31)
    a_day = days(as_of)
    ncust = 0 if args.empty else 300

    # Transactions: each customer has a first day, an activity rate and a typical basket.
    tx = []  # (customer index, day, cents)
    ids = np.sort(rng.choice(np.arange(100001, 999999), size=ncust, replace=False)).astype(np.uint64)
    for c in range(ncust):
        first = days(start) + int(rng.integers(0, 89))
        rate = rng.gamma(0.8, 0.12)
        basket = rng.lognormal(3.6, 0.7)
        alive_until = first + int(rng.exponential(60))
        tx.append((c, first, int(round(rng.lognormal(np.log(basket), 0.4) * 100)) * args.money_scale))
        for d in range(first + 1, min(days(as_of), alive_until)):
            if rng.random() < rate:
                for _ in range(1 + int(rng.random() < 0.25)):  # sometimes two orders a day
                    tx.append((c, d, int(round(rng.lognormal(np.log(basket), 0.4) * 100))
                               * args.money_scale))

    cust_days = [dict() for _ in range(ncust)]
    for c, d, cents in tx:
        cust_days[c][d] = cust_days[c].get(d, 0) + cents
    orders = np.zeros(ncust, np.uint32)
    for c, _, _ in tx:
        orders[c] += 1
    revenue = np.array([sum(cd.values()) for cd in cust_days], dtype=np.int64)
    first_p = np.array([min(cd) for cd in cust_days], dtype=np.int32)
    last_p = np.array([max(cd) for cd in cust_days], dtype=np.int32)
    recency_days = (a_day - last_p).astype(np.int32)
    cid = [int(x) for x in ids]
    r_score = ntile5([(-int(recency_days[i]), cid[i]) for i in range(ncust)])
    f_score = ntile5([(int(orders[i]), cid[i]) for i in range(ncust)])
    m_score = ntile5([(int(revenue[i]), cid[i]) for i in range(ncust)])
    seg = np.array([segment(r_score[i], f_score[i]) for i in range(ncust)], dtype=np.uint8)

    # Lifetimes-style summary and a plausible BG/NBD + Gamma-Gamma evaluation.
    r, alpha, a, b = 0.52, 11.3, 0.41, 2.87
    p, q, v = 4.1, 3.2, 38.5
    freq = np.array([len(cd) - 1 for cd in cust_days], dtype=np.float64)
    rec = (last_p - first_p).astype(np.float64)
    T = (a_day - first_p).astype(np.float64)
    mon = np.array([(sum(cd.values()) - cd[min(cd)]) / 100.0 / max(len(cd) - 1, 1) if len(cd) > 1
                    else 0.0 for cd in cust_days])
    p_alive = np.ones(ncust)
    for i in range(ncust):
        x = freq[i]
        if x > 0:
            p_alive[i] = 1.0 / (1.0 + (a / (b + x - 1)) * ((alpha + T[i]) / (alpha + rec[i])) ** (r + x))
    rate = (r + freq) / (alpha + T)
    exp30 = p_alive * rate * 30.0 * (b + freq) / (a + b + freq)
    pop_mean = v * p / (q - 1)
    eav = np.where((freq > 0) & (mon > 0), (p + freq * mon * 0 + q - 1) * 0 + (q - 1) / (p * freq + q - 1) * pop_mean
                   + p * freq / (p * freq + q - 1) * mon, pop_mean)
    clv = np.zeros(ncust)
    for k in range(1, 13):
        clv += eav * exp30 * np.exp(-(k - 1) * 0.08) / (1.01 ** k)

    # Revenue tables.
    all_days = list(range(days(start), days(start) + 90))
    d_rev = {d: 0 for d in all_days}
    d_tx = {d: 0 for d in all_days}
    d_cust = {d: set() for d in all_days}
    for c, d, cents in tx:
        d_rev[d] += cents
        d_tx[d] += 1
        d_cust[d].add(c)
    if args.empty:
        all_days = []
    months = [] if args.empty else [202401, 202402, 202403]

    def month_of(d):
        x = EPOCH + dt.timedelta(days=d)
        return x.year * 100 + x.month
    m_rev = {m: 0 for m in months}
    m_tx = {m: 0 for m in months}
    m_act = {m: set() for m in months}
    m_new = {m: 0 for m in months}
    for c, d, cents in tx:
        m = month_of(d)
        m_rev[m] += cents
        m_tx[m] += 1
        m_act[m].add(c)
    for i in range(ncust):
        m_new[month_of(int(first_p[i]))] += 1

    with h5py.File(args.out, "w") as f:
        run_id = 'run<&>"nasty\'' if args.nasty_run_id else "20240401T020000Z-7f3a9c"
        f.attrs["format"] = "txetl-snapshot"                       # variable-length
        f.attrs["format_version"] = np.int32(2)
        f.attrs["reporting_currency"] = "USD"
        f.attrs["run_id"] = run_id                                 # variable-length
        f.attrs["created_utc"] = fixed("2024-04-01T02:14:07Z")     # fixed-length
        f.attrs["as_of"] = fixed(as_of.isoformat())                # fixed-length
        f.attrs["ranks"] = np.uint64(8)
        f.attrs["shards"] = np.uint64(4)
        n_read = len(tx) + 1637
        counts = dict(rejected=212, inserted=len(tx) - 40, updated=906, moved=37, deleted=40 + 85,
                      stale=233, superseded=164)
        f.attrs["read"] = np.uint64(n_read)
        for k, val in counts.items():
            f.attrs[k] = np.uint64(val)

        g = put_group(f, "customers", dict(
            customer_id=ids, first_purchase=first_p, last_purchase=last_p, orders=orders,
            revenue_cents=revenue, recency_days=recency_days, r_score=r_score, f_score=f_score,
            m_score=m_score, segment=seg, frequency=freq, recency=rec, T=T, monetary_value=mon,
            p_alive=p_alive, expected_purchases=exp30, expected_avg_value=eav, clv=clv))
        g.attrs["segment_names"] = np.array(SEGMENTS, dtype=h5py.string_dtype())

        # every amount is positive (a sale) and in USD
        def i64(v): return np.array(v, dtype=np.int64)
        def u64(v): return np.array(v, dtype=np.uint64)
        daily = dict(date=np.array(all_days, dtype=np.int32),
                     revenue_cents=i64([d_rev[d] for d in all_days]),
                     transactions=u64([d_tx[d] for d in all_days]),
                     customers=u64([len(d_cust[d]) for d in all_days]),
                     gross_cents=i64([d_rev[d] for d in all_days]),
                     refunds_cents=np.zeros(len(all_days), dtype=np.int64))
        monthly = dict(month=np.array(months, dtype=np.int32),
                       revenue_cents=i64([m_rev[m] for m in months]),
                       transactions=u64([m_tx[m] for m in months]),
                       active_customers=u64([len(m_act[m]) for m in months]),
                       new_customers=u64([m_new[m] for m in months]),
                       gross_cents=i64([m_rev[m] for m in months]),
                       refunds_cents=np.zeros(len(months), dtype=np.int64))
        put_group(f, "revenue/daily", daily)
        put_group(f, "revenue/monthly", monthly)
        # by currency: the same rows, all USD (no new_customers per currency)
        put_group(f, "revenue/by_currency/daily", in_usd(daily))
        del monthly["new_customers"]
        put_group(f, "revenue/by_currency/monthly", in_usd(monthly))

        mo = f.create_group("model")
        mo.attrs["horizon_days"] = np.int32(30)
        mo.attrs["clv_months"] = np.int32(12)
        mo.attrs["discount_rate"] = 0.01
        bg = mo.create_group("bgnbd")
        for k, val in dict(r=r, alpha=alpha, a=a, b=b, loglik=-2731.8842, grad_norm=3.2e-7).items():
            bg.attrs[k] = val
        bg.attrs["converged"] = np.uint8(1)
        bg.attrs["n"] = np.uint64(ncust)
        bg.attrs["unit"] = fixed("day")
        for k, val in dict(se_r=0.031, se_alpha=0.92, se_a=0.087, se_b=0.64).items():
            bg.attrs[k] = val
        gg = mo.create_group("gamma_gamma")
        for k, val in dict(p=p, q=q, v=v, loglik=-1187.25, grad_norm=4.1 if args.unconverged else 8.8e-8).items():
            gg.attrs[k] = val
        gg.attrs["converged"] = np.uint8(0 if args.unconverged else 1)
        gg.attrs["n"] = np.uint64(int((freq > 0).sum()))
        for k, val in dict(se_p=0.38, se_q=0.29, se_v=4.7).items():
            gg.attrs[k] = val

        # /cohorts: customers by month of first purchase, active customers and their revenue
        # N = 0..12 months later, up to as-of's month (docs/snapshot.md).
        if not args.no_cohorts:
            cells = {}
            for c in range(ncust):
                per = {}
                for d, cents in cust_days[c].items():
                    per[month_of(d)] = per.get(month_of(d), 0) + cents
                c0 = min(per)
                for m, cents in per.items():
                    k = (m // 100 - c0 // 100) * 12 + m % 100 - c0 % 100
                    cell = cells.setdefault((c0, k), [0, 0])
                    cell[0] += 1
                    cell[1] += cents
            hi = month_of(a_day)
            rows = []
            for c0 in sorted({c for c, _ in cells}):
                span = (hi // 100 - c0 // 100) * 12 + hi % 100 - c0 % 100
                for k in range(min(12, span) + 1):
                    n, cents = cells.get((c0, k), [0, 0])
                    rows.append((c0, k, n, cents, cells[(c0, 0)][0]))
            co = f.create_group("cohorts")
            for i, (name, t) in enumerate([("cohort_month", np.int32), ("offset", np.int32),
                                           ("customers", np.uint64), ("revenue_cents", np.int64),
                                           ("cohort_size", np.uint64)]):
                co.create_dataset(name, data=np.array([r_[i] for r_ in rows], dtype=t))

        # Not part of the layout; the report ignores it.
        f.create_group("x_unknown").create_dataset("customer_id", data=ids[:10])

        if args.holdout:
            h_start = days(dt.date(2024, 3, 1))
            cal_end = h_start - 1
            hold_days = a_day - cal_end
            hr, halpha, ha, hb = 0.47, 10.2, 0.44, 2.61
            rows = []  # (id, x_cal, predicted, actual)
            for i in range(ncust):
                cal = sorted(d for d in cust_days[i] if d < h_start)
                if not cal:
                    continue
                x = len(cal) - 1
                t_x, T_cal = cal[-1] - cal[0], cal_end - cal[0]
                pa = 1.0 if x == 0 else 1.0 / (1.0 + (ha / (hb + x - 1)) *
                                                ((halpha + T_cal) / (halpha + t_x)) ** (hr + x))
                pred = pa * (hr + x) / (halpha + T_cal) * hold_days * (hb + x) / (ha + hb + x)
                act = sum(1 for d in cust_days[i] if d >= h_start)
                rows.append((ids[i], x, pred, float(act)))
            ho = f.create_group("holdout")
            ho.attrs["calibration_end"] = (EPOCH + dt.timedelta(days=cal_end)).isoformat()
            ho.attrs["holdout_start"] = fixed("2024-03-01")
            ho.attrs["holdout_days"] = np.int32(hold_days)
            ho.attrs["unit"] = "day"
            ho.attrs["n"] = np.uint64(len(rows))
            pred = np.array([r_[2] for r_ in rows])
            act = np.array([r_[3] for r_ in rows])
            ho.attrs["sum_predicted"] = float(pred.sum())
            ho.attrs["sum_actual"] = float(act.sum())
            ho.attrs["mae"] = float(np.abs(pred - act).mean()) if rows else float("nan")
            for k, val in dict(r=hr, alpha=halpha, a=ha, b=hb, loglik=-2310.5).items():
                ho.attrs[k] = val
            ho.attrs["converged"] = np.int32(1)
            ho.create_dataset("customer_id", data=np.array([r_[0] for r_ in rows], np.uint64))
            xs = np.array([r_[1] for r_ in rows], np.float64)
            ho.create_dataset("frequency_cal", data=xs)
            ho.create_dataset("predicted", data=pred)
            ho.create_dataset("actual", data=act)
            bins = np.minimum(xs, 7).astype(int)
            bf = ho.create_group("by_frequency")
            cnt = np.array([(bins == b).sum() for b in range(8)], np.uint64)
            bf.create_dataset("frequency_cal", data=np.arange(8, dtype=np.int32))
            bf.create_dataset("customers", data=cnt)
            with np.errstate(invalid="ignore"):
                bf.create_dataset("mean_predicted", data=np.array(
                    [pred[bins == b].mean() if cnt[b] else np.nan for b in range(8)]))
                bf.create_dataset("mean_actual", data=np.array(
                    [act[bins == b].mean() if cnt[b] else np.nan for b in range(8)]))

        if args.drop:
            if "@" in args.drop:
                obj, attr = args.drop.split("@")
                del f[obj].attrs[attr]
            else:
                del f[args.drop]


if __name__ == "__main__":
    main()
