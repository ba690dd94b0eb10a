#!/usr/bin/python3
"""benchlib.py - helpers of bench/run.sh (Python 3 stdlib only).

  benchlib.py partitions FILE       the ALTER TABLE ... REORGANIZE PARTITION gmin INTO (...)
                                    that pre-creates the month partitions FILE needs, in the
                                    layout txetl uses (gmin < first month, p<YYYYMM> per month
                                    present, g<YYYYMMDD> gaps, last g... up to MAXVALUE)
  benchlib.py loaddata FILE         the LOAD DATA LOCAL INFILE statement for FILE (columns from
                                    its header; last_updated normalised: T -> space, Z dropped)
  benchlib.py report RESULTS.jsonl META.json OUTDIR
                                    aggregate the measurements (min/median/max over reps),
                                    print the human report, write OUTDIR/latest.json and
                                    OUTDIR/latest.md from the same structure
"""
import csv
import datetime as dt
import json
import os
import statistics
import sys

KNOWN = ["transaction_id", "customer_id", "transaction_date", "transaction_amount",
         "transaction_category", "payment_method", "currency", "last_updated"]


# ----------------------------------------------------------------------------- peers' DDL
def file_months(path):
    months = set()
    with open(path, newline="", encoding="utf-8-sig") as f:
        r = csv.reader(f)
        hdr = [h.strip().lower() for h in next(r, [])]
        i = hdr.index("transaction_date")
        for row in r:
            if len(row) > i:
                d = row[i].strip()
                if len(d) >= 7:
                    months.add(d[:7])
    return sorted(months)


def next_month(ym):
    y, m = int(ym[:4]), int(ym[5:7])
    return f"{y + (m == 12):04d}-{m % 12 + 1:02d}"


def partitions(path):
    months = file_months(path)
    if not months:
        return ""
    parts = [f"PARTITION gmin VALUES LESS THAN ('{months[0]}-01')"]
    prev_end = months[0]
    for ym in months:
        if ym != prev_end:  # a gap of months not present
            parts.append(f"PARTITION g{prev_end.replace('-', '')}01 VALUES LESS THAN ('{ym}-01')")
        end = next_month(ym)
        parts.append(f"PARTITION p{ym.replace('-', '')} VALUES LESS THAN ('{end}-01')")
        prev_end = end
    parts.append(f"PARTITION g{prev_end.replace('-', '')}01 VALUES LESS THAN (MAXVALUE)")
    return ("ALTER TABLE TransactionsOptimized REORGANIZE PARTITION gmin INTO (\n  "
            + ",\n  ".join(parts) + ");")


def loaddata(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        hdr = [h.strip().lower() for h in next(csv.reader(f), [])]
    cols, sets, n = [], [], 0
    for h in hdr:
        if h == "last_updated":
            cols.append("@lu")
            sets.append("last_updated = REPLACE(REPLACE(@lu, 'T', ' '), 'Z', '')")
        elif h in KNOWN:
            cols.append(h)
        else:
            n += 1
            cols.append(f"@ignored{n}")
    if "last_updated" not in hdr:
        sets.append("last_updated = CAST(transaction_date AS DATETIME(6))")
    p = os.path.abspath(path).replace("\\", "\\\\").replace("'", "\\'")
    return (f"LOAD DATA LOCAL INFILE '{p}' INTO TABLE TransactionsOptimized "
            "CHARACTER SET utf8mb4 "
            "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' "
            "LINES TERMINATED BY '\\n' IGNORE 1 LINES "
            f"({', '.join(cols)}) SET {', '.join(sets)}")


# ----------------------------------------------------------------------------- report
HEADER_KEYS = ("git", "command", "host", "cpu", "cores", "mem", "load_avg", "mariadb", "mpi", "txetl")


def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"min": min(xs), "median": statistics.median(xs), "max": max(xs), "n": len(xs)}


def fmt(x, nd=2):
    if x is None:
        return "-"
    if isinstance(x, float) and abs(x) >= 1000:
        return f"{x:,.0f}"
    if isinstance(x, int):
        return f"{x:,}"
    return f"{x:.{nd}f}"


def aggregate(results, meta):
    rows = {}
    order = []
    for r in results:
        key = r["id"]
        if key not in rows:
            rows[key] = {k: v for k, v in r.items() if k not in ("wall_s", "rss_kb", "rep", "internal_s")}
            rows[key]["_wall"], rows[key]["_rss"], rows[key]["_int"] = [], [], []
            rows[key]["_each"] = []
            order.append(key)
        rows[key]["_wall"].append(r.get("wall_s"))
        rss = r.get("rss_kb") or []
        rows[key]["_rss"].append(max(rss) if rss else None)
        each = rows[key]["_each"]  # per rank: the largest over reps
        for k, v in enumerate(rss):
            if k == len(each):
                each.append(v)
            elif v is not None and (each[k] is None or v > each[k]):
                each[k] = v
        rows[key]["_int"].append(r.get("internal_s"))
    out = []
    for key in order:
        x = rows[key]
        w = stats(x.pop("_wall"))
        rss = stats(x.pop("_rss"))
        it = stats(x.pop("_int"))
        x["wall_s"] = w
        x["failed_reps"] = sum(1 for r in results if r["id"] == key and r.get("error"))
        x["internal_s"] = it
        x["peak_rss_per_rank_mib"] = ({k: (v / 1024 if k != "n" else v) for k, v in rss.items()}
                                      if rss else None)
        each = x.pop("_each")
        x["peak_rss_each_rank_mib"] = [None if v is None else v / 1024 for v in each] or None
        scale = x.get("extrapolate_factor", 1.0) or 1.0
        med = w["median"] * scale if w else None
        x["wall_s_median_full"] = med  # at the full row count (extrapolated if scale != 1)
        rows_n = x.get("rows_full", x.get("rows"))
        x["rows_per_s"] = (rows_n / med) if med and rows_n else None
        bytes_n = x.get("bytes_full", x.get("bytes"))
        x["mb_per_s"] = (bytes_n / 1e6 / med) if med and bytes_n else None
        out.append(x)
    return out


def ratios_and_targets(rows):
    by = {r["id"]: r for r in rows}

    def med(i):
        r = by.get(i)
        return r["wall_s_median_full"] if r else None

    def div(a, b):
        return a / b if a is not None and b else None

    ratios, targets = [], []

    def ratio(name, num, den, value, target=None, ok=None, note=""):
        ratios.append({"name": name, "numerator": num, "denominator": den, "value": value,
                       "target": target, "ok": ok, "note": note})

    load, ld, seed = med("load_1r1s"), med("loaddata"), med("seed_executemany")
    v = div(load, ld)
    ratio("txetl load / plain LOAD DATA (wall)", "load_1r1s", "loaddata", v,
          "< 1.0 (goal <= 0.6)", None if v is None else v < 1.0,
          "" if v is None else ("goal met" if v <= 0.6 else "goal 0.6 not met"))
    v = div(load, seed)
    sr = by.get("seed_executemany")
    ratio("txetl load / seed executemany (wall)", "load_1r1s", "seed_executemany", v,
          "<= 0.25", None if v is None else v <= 0.25,
          "seed EXTRAPOLATED linearly from a smaller file" if sr and sr.get("extrapolate_factor", 1) != 1 else "")
    dry, bare = by.get("dry_1r"), by.get("csvbare")
    if dry:
        m = dry.get("mb_per_s")
        ratio("txetl --dry-run throughput, 1 rank (MB/s)", "dry_1r", "-", m, ">= 250",
              None if m is None else m >= 250)
    if dry and dry.get("internal_s") and dry.get("bytes"):
        m = dry["bytes"] / 1e6 / dry["internal_s"]["median"]
        ratio("  same, by txetl's own run time (no process/MPI start-up)", "dry_1r", "-", m, "(info)", None,
              "summary 'seconds'")
    if dry and bare:
        v = div(dry.get("mb_per_s"), bare.get("mb_per_s"))
        ratio("txetl --dry-run / libcsv bare parse (throughput)", "dry_1r", "csvbare", v, ">= 0.7",
              None if v is None else v >= 0.7)
    dry4, bare4 = by.get("dry_1r_4x"), by.get("csvbare_4x")
    if dry4:
        m = dry4.get("mb_per_s")
        ratio(f"txetl --dry-run throughput, 1 rank, {fmt(dry4.get('rows'))}-row extract (MB/s)",
              "dry_1r_4x", "-", m, ">= 250", None if m is None else m >= 250,
              "wall incl. MPI start-up")
    if dry4 and bare4:
        v = div(dry4.get("mb_per_s"), bare4.get("mb_per_s"))
        ratio(f"txetl --dry-run / libcsv bare parse, {fmt(dry4.get('rows'))}-row extract",
              "dry_1r_4x", "csvbare_4x", v, ">= 0.7", None if v is None else v >= 0.7)
    dry2 = by.get("dry_2r")
    if dry2:
        m = dry2.get("mb_per_s")
        ratio("txetl --dry-run throughput, 2 ranks, per rank (MB/s)", "dry_2r", "-",
              m / 2 if m else None, ">= 250", None if not m else m / 2 >= 250,
              "aggregate/2; ranks share 2 cores with each other")
    r1, r4 = by.get("load_1r1s"), by.get("rss_4x")
    if r1 and r4 and r1.get("peak_rss_per_rank_mib") and r4.get("peak_rss_per_rank_mib"):
        a, b = r1["peak_rss_per_rank_mib"]["max"], r4["peak_rss_per_rank_mib"]["max"]
        g = b / a - 1
        ratio(f"peak RSS per rank growth {fmt(r1.get('rows'))} -> {fmt(r4.get('rows'))} rows (%)",
              "rss_4x", "load_1r1s", 100 * g, "< +10%", g < 0.10,
              f"{a:.1f} MiB -> {b:.1f} MiB (max over reps)")
    v = div(med("load_1r1s"), med("load_2r2s"))
    if v is not None:
        ratio("speed-up 2 ranks/2 shards vs 1 rank/1 shard (load)", "load_1r1s", "load_2r2s", v,
              None, None, "parallel efficiency %.0f%%" % (100 * v / 2))
    # change batch: the same batch onto a 10x bigger cluster; by txetl's own time ("seconds")
    def imed(i):
        r = by.get(i)
        return r["internal_s"]["median"] if r and r.get("internal_s") else None

    c_s, c_b, base_b = by.get("change_10k_on_100k"), by.get("change_10k_on_1m"), by.get("cdc_base_1m")
    if c_s or c_b:
        rows_s = fmt(c_s.get("base_rows")) if c_s else "?"
        rows_b = fmt(c_b.get("base_rows")) if c_b else "?"
        v = div(imed("change_10k_on_1m"), imed("change_10k_on_100k"))
        ratio(f"change batch on {rows_b} / on {rows_s} rows (txetl own time)", "change_10k_on_1m",
              "change_10k_on_100k", v, "<= 1.5", None if v is None else v <= 1.5,
              "summary 'seconds' (MPI start-up excluded); batch %s rows" % fmt((c_b or c_s).get("batch_rows")))
        v = div(med("change_10k_on_1m"), med("change_10k_on_100k"))
        ratio("  same, wall", "change_10k_on_1m", "change_10k_on_100k", v, "(info)", None, "incl. MPI start-up")
        v = div(imed("change_10k_on_1m"), imed("cdc_base_1m"))
        ratio(f"change batch on {rows_b} rows / backfill of those {rows_b} rows (txetl own time)",
              "change_10k_on_1m", "cdc_base_1m", v, "<= 0.10", None if v is None else v <= 0.10,
              "backfill = cdc_base_1m (same binary, same run)")
        v = div(med("change_10k_on_1m"), med("cdc_base_1m"))
        ratio("  same, wall", "change_10k_on_1m", "cdc_base_1m", v, "(info)", None, "incl. MPI start-up")
    # reduce + snapshot vs the load of the same data, 2 ranks / 2 shards
    rl, rsn = by.get("reduce_load"), by.get("reduce_snapshot")
    if rl or rsn:
        cust = fmt((rl or rsn).get("customers"))
        nt = "" if (rl or rsn).get("customers") == 1000000 else \
            f"measured at {cust} customers, not the issue's 1 M (not extrapolated)"
        v = div(imed("reduce_snapshot"), imed("reduce_load"))
        ratio(f"reduce + snapshot / load, {cust} customers, 2 ranks (txetl own time)", "reduce_snapshot",
              "reduce_load", v, "<= 0.20", None if v is None else v <= 0.20, nt)
        v = div(med("reduce_snapshot"), med("reduce_load"))
        ratio("  same, wall", "reduce_snapshot", "reduce_load", v, "(info)", None, "incl. MPI start-up")
    # the whole reduce at 1 vs 2 ranks (issue #12): 1 shard read by 1 and by 2 ranks, and 2 / 2
    for num, den, what in (("pipeline_1r1s", "pipeline_2r1s", "1 shard"),
                           ("pipeline_1r1s", "pipeline_2r2s", "2 ranks on 2 shards")):
        if by.get(num) and by.get(den):
            v = div(imed(num), imed(den))
            ratio(f"txetl snapshot 1 rank / 2 ranks, {what} (txetl own time)", num, den, v,
                  "> 1", None if v is None else v > 1.0, "speed-up of the whole reduce")
            v = div(med(num), med(den))
            ratio("  same, wall", num, den, v, "(info)", None, "incl. MPI start-up")
    # the same customers with twice the transactions each (--pipeline-2x): peak RSS of the reduce,
    # rank by rank (each rank's largest over reps), at 1 and at 2 ranks on the 1-shard load
    for one, two, nr in (("pipeline_1r1s", "pipeline_1r1s_2x", 1), ("pipeline_2r1s", "pipeline_2r1s_2x", 2)):
        p1, p2 = by.get(one), by.get(two)
        e1, e2 = (p1 or {}).get("peak_rss_each_rank_mib"), (p2 or {}).get("peak_rss_each_rank_mib")
        if not (e1 and e2 and len(e1) == len(e2) and None not in e1 + e2):
            continue
        gs = [b / a - 1 for a, b in zip(e1, e2)]
        g = max(gs)
        ratio(f"txetl snapshot peak RSS growth per rank, {nr} rank(s), {fmt(p1.get('rows'))} -> "
              f"{fmt(p2.get('rows'))} rows, same customers (%, the largest rank's)", two, one, 100 * g,
              "< +10%", g < 0.10,
              "per rank: " + ", ".join(f"{a:.1f} -> {b:.1f} MiB ({100 * x:+.1f}%)" for a, b, x in zip(e1, e2, gs)) +
              f" (largest over reps), x{p2['rows'] / p1['rows']:.2f} transactions")
        v = div(imed(two), imed(one))
        ratio("  txetl snapshot own time, same comparison", two, one, v,
              "(info)", None, "the server streams twice the rows")
    # reshard (bench/reshard_bench.sh, --reshard-rows): rows moved/s against a fresh load's rows/s
    rs, fl = by.get("reshard_2to4"), by.get("fresh_load_4s")
    if rs and fl and med("reshard_2to4") and med("fresh_load_4s"):
        v = div(rs["rows"] / med("reshard_2to4"), fl["rows"] / med("fresh_load_4s"))
        ratio("reshard 2 -> 4 rows moved/s / fresh load into 4 shards rows/s (wall)", "reshard_2to4",
              "fresh_load_4s", v, "(info)", None, "bench/reshard_bench.sh; bench/results/reshard.md")
    cf = by.get("clvfit")
    if cf:
        v = imed("clvfit")
        ratio(f"clvfit_bench: BG/NBD + Gamma-Gamma fit time, {fmt(cf.get('customers'))} customers (s)",
              "clvfit", "-", v, "<= 2 s (1 M customers)", None if v is None else v <= 2.0,
              "bgnbd %s s, gg %s s (last rep); 1 process" % (fmt(cf.get("bgnbd_fit_s"), 3), fmt(cf.get("gg_fit_s"), 3)))
        if cf.get("predict_cpu_s") is not None:
            ratio(f"clvfit_bench: predictions CPU time, {fmt(cf.get('customers'))} customers (s)",
                  "clvfit", "-", cf.get("predict_cpu_s"), "(info)", None,
                  "grouped over %s (x, T); per customer %s s (last rep)"
                  % (fmt(cf.get("distinct_xT")), fmt(cf.get("predict_percustomer_cpu_s"), 3)))
    # rank scaling (same shard count as ranks), if measured
    scaling = []
    base = med("load_1r1s")
    for r in rows:
        if r.get("group") == "scaling" or r["id"] in ("load_1r1s", "load_2r2s"):
            R = r.get("ranks")
            m = r["wall_s_median_full"]
            it = (r.get("internal_s") or {}).get("median")
            scaling.append({"ranks": R, "shards": r.get("shards"), "wall_s": m, "internal_s": it,
                            "rows_per_s": r.get("rows_per_s"),
                            "rows_per_s_internal": (r["rows"] / it) if it and r.get("rows") else None,
                            "measured_by_scaling": r.get("group") == "scaling",
                            "speedup": div(base, m), "efficiency": (div(base, m) / R) if base and m else None})
    scaling.sort(key=lambda s: s["ranks"])
    return ratios, scaling


def meta_lines(meta, key_fmt, settings_head, setting_fmt, note_fmt):
    """A report's head: meta's header keys, its settings and its notes, each line by its format
    (str.format with key and value, or the note), then a blank line."""
    L = [key_fmt.format(k, meta[k]) for k in HEADER_KEYS if meta.get(k)]
    L += settings_head
    L += [setting_fmt.format(k, v) for k, v in meta.get("settings", {}).items()]
    L += [note_fmt.format(n) for n in meta.get("notes", [])]
    return L + [""]


def render(meta, rows, ratios, scaling):
    L = [f"txetl bench  {meta['date']}"]
    L += meta_lines(meta, "  {:<9}: {}", ["settings:"], "  {:<22}: {}", "note: {}")
    hdr = ["row", "ranks", "shards", "rows", "MB", "wall_min(s)", "wall_med(s)", "wall_max(s)",
           "reps", "txetl_s(med)", "rows/s(med)", "MB/s(med)", "RSS/rank_max(MiB)", "stored_rows"]
    tab = []
    for r in rows:
        w = r["wall_s"] or {}
        rss = r.get("peak_rss_per_rank_mib")
        tab.append([r["id"], fmt(r.get("ranks")), fmt(r.get("shards")), fmt(r.get("rows")),
                    fmt(r["bytes"] / 1e6, 1) if r.get("bytes") else "-",
                    fmt(w.get("min"), 3), fmt(w.get("median"), 3), fmt(w.get("max"), 3),
                    str(w.get("n", 0)), fmt((r.get("internal_s") or {}).get("median"), 3),
                    fmt(r.get("rows_per_s"), 0), fmt(r.get("mb_per_s"), 1),
                    fmt(rss["max"], 1) if rss else "-", stored_cell(r)])
    L += table_text(hdr, tab)
    L.append("")
    L.append("rows:")
    for r in rows:
        L.append(f"  {r['id']:<17} {r.get('label', '')}")
        if r.get("extrapolate_factor", 1) != 1:
            L.append(f"  {'':<17} ** measured on {fmt(r.get('rows'))} rows; rows/s and ratios use wall x "
                     f"{r['extrapolate_factor']:.3f} (LINEAR EXTRAPOLATION to {fmt(r.get('rows_full'))} rows)")
    L.append("")
    L.append("ratios (medians, same run, same server and schema):")
    rt = [[x["name"], fmt(x["value"], 3), x["target"] or "", {True: "PASS", False: "FAIL", None: ""}[x["ok"]],
           x["note"]] for x in ratios]
    L += table_text(["ratio", "value", "target", "", "note"], rt)
    if len(scaling) > 1:
        L.append("")
        L.append(f"rank scaling (R ranks, R shards, load; {meta.get('cores')} cores: ranks > cores oversubscribe):")
        st = [[str(s["ranks"]), str(s["shards"]), fmt(s["wall_s"], 3), fmt(s.get("internal_s"), 3),
               fmt(s["rows_per_s"], 0), fmt(s["speedup"], 2),
               "-" if s["efficiency"] is None else f"{100 * s['efficiency']:.0f}%", scale_note(s, meta)]
              for s in scaling]
        L += table_text(["ranks", "shards", "wall_med(s)", "txetl_s(med)", "rows/s", "speed-up", "efficiency",
                         "note"], st)
    return L


def scale_note(s, meta):
    cores = meta.get("cores") or 0
    if cores and s["ranks"] > cores:
        return f"OVERSUBSCRIBED: {s['ranks']} ranks (+{s['shards']} shard servers) on {cores} cores"
    return ""


def scaling_chart(scaling, meta, outdir):
    """bench/results/scaling.png with gnuplot: rows/s (wall and txetl own time) and parallel
    efficiency vs ranks. Returns the file name, or None (no gnuplot / no --scaling rows)."""
    png = os.path.join(outdir, "scaling.png")
    if not any(s.get("measured_by_scaling") for s in scaling) or len(scaling) < 2:
        if os.path.exists(png):
            os.remove(png)  # a chart from an older run must not sit next to this report
        return None
    import shutil
    import subprocess
    gp = shutil.which("gnuplot")
    if not gp:
        sys.stderr.write("benchlib: gnuplot not found: no scaling chart (apt-get install gnuplot-nox)\n")
        return None
    dat = os.path.join(outdir, "scaling.dat")
    with open(dat, "w") as f:
        f.write("# ranks rows_per_s_wall rows_per_s_txetl efficiency_pct\n")
        for s in scaling:
            f.write("%d %s %s %s\n" % (s["ranks"], s["rows_per_s"] or "NaN", s.get("rows_per_s_internal") or "NaN",
                                       100 * s["efficiency"] if s["efficiency"] is not None else "NaN"))
    cores = meta.get("cores") or 0
    maxr = max(s["ranks"] for s in scaling)
    ranks = " ".join(str(s["ranks"]) for s in scaling)
    effs = [100 * s["efficiency"] for s in scaling if s["efficiency"] is not None]
    y2top = max([110] + [int(e * 1.1 / 10 + 1) * 10 for e in effs])  # > 100% is possible (noise)
    over = ""
    if cores and maxr > cores:
        over = (f"set object 1 rect from {cores + 0.5},graph 0 to {maxr + 0.5},graph 1 back "
                "fc rgb '#eeeeee' fs solid noborder\n"
                f"set label 1 \"ranks > {cores} cores\\n(oversubscribed)\" at {cores + 0.6},graph 0.80 left\n")
    script = f"""set terminal pngcairo size 900,560 noenhanced font ',10'
set output '{png}'
set title 'txetl load rank scaling (R ranks, R shards) - {meta.get("date", "")} {meta.get("git", "")}'
set xlabel 'ranks (= shards)'
set ylabel 'rows/s'
set y2label 'parallel efficiency (%)'
set xtics ({", ".join(f"'{r}' {r}" for r in ranks.split())})
set xrange [0.5:{maxr + 0.5}]
set yrange [0:*]
set y2range [0:{y2top}]
set ytics nomirror
set y2tics 0,20
set grid ytics
set key outside bottom center horizontal
{over}plot '{dat}' u 1:2 w linespoints lw 2 pt 7 t 'rows/s (wall)', \\
     '' u 1:3 w linespoints lw 2 pt 5 dt 2 t 'rows/s (txetl own time)', \\
     '' u 1:4 axes x1y2 w linespoints lw 2 pt 9 t 'efficiency % (right axis)'
"""
    with open(os.path.join(outdir, "scaling.gp"), "w") as f:
        f.write(script)
    r = subprocess.run([gp, os.path.join(outdir, "scaling.gp")], capture_output=True, text=True)
    if r.returncode != 0:
        # pngcairo missing in this gnuplot build: fall back to the gd png terminal
        r = subprocess.run([gp], input=script.replace("set terminal pngcairo", "set terminal png"),
                           capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(png):
        sys.stderr.write("benchlib: gnuplot failed: %s\n" % r.stderr.strip()[-500:])
        return None
    return "scaling.png"


def stored_cell(r):
    """Rows in TransactionsOptimized after the row's last rep ('!' = not the file's row count)."""
    st = r.get("stored")
    if st is None:
        return "FAILED" if r.get("error") else "-"
    exp = r.get("expect_stored", r.get("rows"))
    return fmt(st) + ("" if st == exp else f" (! expected {fmt(exp)})")


def table_text(hdr, rows):
    w = [max(len(str(c)) for c in col) for col in zip(hdr, *rows)] if rows else [len(h) for h in hdr]
    out = ["  ".join(h.ljust(w[i]) if i == 0 else h.rjust(w[i]) for i, h in enumerate(hdr))]
    out.append("  ".join("-" * x for x in w))
    for r in rows:
        out.append("  ".join(str(c).ljust(w[i]) if i == 0 else str(c).rjust(w[i]) for i, c in enumerate(r)))
    return out


def md_table(hdr, rows):
    out = ["| " + " | ".join(hdr) + " |", "|" + "|".join("---" for _ in hdr) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return out


def render_md(meta, rows, ratios, scaling):
    L = [f"# txetl bench — {meta['date']}", ""]
    L += meta_lines(meta, "- **{}**: `{}`", [], "- {}: {}", "- note: {}")
    hdr = ["row", "what", "ranks", "shards", "rows", "MB", "wall min (s)", "wall median (s)",
           "wall max (s)", "reps", "txetl own time median (s)", "rows/s (median)", "MB/s (median)",
           "peak RSS/rank (MiB)", "stored rows"]
    tab = []
    for r in rows:
        w = r["wall_s"] or {}
        rss = r.get("peak_rss_per_rank_mib")
        lab = r.get("label", "")
        if r.get("extrapolate_factor", 1) != 1:
            lab += f" **(rows/s extrapolated linearly to {fmt(r.get('rows_full'))} rows)**"
        tab.append([r["id"], lab, fmt(r.get("ranks")), fmt(r.get("shards")), fmt(r.get("rows")),
                    fmt(r["bytes"] / 1e6, 1) if r.get("bytes") else "-",
                    fmt(w.get("min"), 3), fmt(w.get("median"), 3), fmt(w.get("max"), 3), str(w.get("n", 0)),
                    fmt((r.get("internal_s") or {}).get("median"), 3),
                    fmt(r.get("rows_per_s"), 0), fmt(r.get("mb_per_s"), 1), fmt(rss["max"], 1) if rss else "-",
                    stored_cell(r)])
    L += md_table(hdr, tab)
    L += ["", "## Ratios (medians, same run)", ""]
    L += md_table(["ratio", "value", "target", "result", "note"],
                  [[x["name"], fmt(x["value"], 3), x["target"] or "",
                    {True: "PASS", False: "FAIL", None: ""}[x["ok"]], x["note"]] for x in ratios])
    if len(scaling) > 1:
        L += ["", f"## Rank scaling (R ranks, R shards; {meta.get('cores')} cores)", ""]
        L += md_table(["ranks", "shards", "wall median (s)", "txetl own time median (s)", "rows/s (wall)",
                       "speed-up", "efficiency", "note"],
                      [[s["ranks"], s["shards"], fmt(s["wall_s"], 3), fmt(s.get("internal_s"), 3),
                        fmt(s["rows_per_s"], 0), fmt(s["speedup"], 2),
                        "-" if s["efficiency"] is None else f"{100 * s['efficiency']:.0f}%", scale_note(s, meta)]
                       for s in scaling])
        L += ["", "Speed-up and efficiency = wall of `load_1r1s` / wall at R ranks (/ R). "
              "Every rank has its own shard server, and all of them share the box's "
              f"{meta.get('cores')} cores with the ranks."]
        if meta.get("scaling_png"):
            L += ["", f"![rows/s and parallel efficiency vs ranks]({meta['scaling_png']})"]
    return L


def report(results_path, meta_path, outdir):
    with open(meta_path) as f:
        meta = json.load(f)
    results = []
    if os.path.exists(results_path):
        with open(results_path) as f:
            results = [json.loads(l) for l in f if l.strip()]
    rows = aggregate(results, meta)
    ratios, scaling = ratios_and_targets(rows)
    os.makedirs(outdir, exist_ok=True)
    meta["scaling_png"] = scaling_chart(scaling, meta, outdir)
    doc = {"meta": meta, "rows": rows, "ratios": ratios, "scaling": scaling, "raw": results}
    os.makedirs(outdir, exist_ok=True)
    for name, text in (("latest.json", json.dumps(doc, indent=2) + "\n"),
                       ("latest.md", "\n".join(render_md(meta, rows, ratios, scaling)) + "\n")):
        tmp = os.path.join(outdir, name + ".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, os.path.join(outdir, name))
    print("\n".join(render(meta, rows, ratios, scaling)))
    if meta.get("scaling_png"):
        print(f"\nscaling chart: {os.path.join(outdir, meta['scaling_png'])}")


def main(argv):
    if len(argv) >= 3 and argv[1] == "partitions":
        print(partitions(argv[2]))
    elif len(argv) >= 3 and argv[1] == "loaddata":
        print(loaddata(argv[2]))
    elif len(argv) >= 5 and argv[1] == "report":
        report(argv[2], argv[3], argv[4])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
