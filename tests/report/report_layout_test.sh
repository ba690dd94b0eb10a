#!/usr/bin/env bash
# report_layout_test.sh REPORT_CLI MAKE_SNAPSHOT WORKDIR - the report as a new user sees it, in
# headless Chromium at 1280 px (desktop) and 390 px (phone) wide (tests/report.cmake):
#   - a realistic snapshot (make_snapshot.py --holdout, revenue in the billions) read through a
#     latest.h5 link: the footer names the link and the file it resolves to;
#   - no "1 customers" / "1 days" anywhere (plurals);
#   - the daily chart draws transactions and customers in separate panels (neither hides the
#     other);
#   - a JS probe, run in a copy of the report (the report itself has no script), measures the
#     page: at 1280 px nothing scrolls sideways, the page nor any table or chart box
#     (scrollWidth <= clientWidth); at 390 px the page itself does not (tables and wide charts
#     may scroll inside their boxes);
#   - the finance sections: MTD / MoM / YoY cards and both cohort tables against the snapshot
#     (values, changes, currency on every figure, n/a without an earlier period);
#   - full-page screenshots at both widths are kept in WORKDIR (named in the log).
# Exit 77 (CTest SKIP_RETURN_CODE) only when chromium is not installed.
set -euo pipefail
cli=$1 mksnap=$2 work=$3/layout
PY=/usr/bin/python3
chrome=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $chrome ]]; then
    echo "SKIP: chromium not installed (apt-get install -y --no-install-recommends chromium)"
    exit 77
fi
rm -rf "$work" && mkdir -p "$work/snaps"
cd "$work"
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

snap=snapshot-20240401T020000Z-7f3a9c.h5
"$PY" "$mksnap" --holdout --money-scale 100000 "snaps/$snap"
ln -s "$snap" snaps/latest.h5
"$cli" snaps/latest.h5 report.html

grep -qF "<span id=\"source\">snaps/latest.h5 &#8594; $snap</span>" report.html ||
    grep -qF "<span id=\"source\">snaps/latest.h5 → $snap</span>" report.html ||
    fail "footer does not name the link and its target: $(grep -o '<footer>.*</footer>' report.html)"
if grep -Eo '(^|[^0-9.,])1 (customers|transactions|days|months|purchases)\b' report.html; then
    fail "singular count with a plural noun (above)"
fi
grep -qF ': 1 customer (' report.html || fail "the 1-customer segment is not '1 customer'"

flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --disable-quic --hide-scrollbars)
# The probe: a page holding the report in an iframe of the width under test (headless
# Chromium's window is at least 500 px wide, an iframe can be narrower; the report's media
# queries follow the iframe's width), and a script reading the report's layout through it
# (--allow-file-access-from-files): page width, and every element that scrolls or clips
# sideways. The report itself stays script-free.
frame() { # WIDTH HEIGHT PROBE(0/1) > page
    cat <<HTML
<!DOCTYPE html><html><head><meta charset="utf-8"><title>frame</title></head>
<body style="margin:0"><iframe id="f" src="report.html" style="border:0;display:block;width:$1px;height:$2px"></iframe>
HTML
    (($3)) && cat <<'HTML'
<script>
document.getElementById("f").addEventListener("load", function () {
  var d = this.contentDocument, w = this.contentWindow, de = d.documentElement, over = [];
  d.querySelectorAll("*").forEach(function (e) {
    var ox = w.getComputedStyle(e).overflowX;
    if ((ox == "auto" || ox == "scroll" || ox == "hidden") && e.scrollWidth > e.clientWidth + 1) {
      var t = e.querySelector("table[id], svg[id]");
      over.push((e.id || e.className || e.tagName) + (t ? ">" + t.id : "") + ":" +
                e.scrollWidth + ">" + e.clientWidth);
    }
  });
  d.querySelectorAll(".kpi, td, th").forEach(function (e) { /* text running out of its box */
    if (e.scrollWidth > e.clientWidth + 1)
      over.push("text " + e.className + " '" + e.textContent.trim().slice(0, 40) + "':" +
                e.scrollWidth + ">" + e.clientWidth);
  });
  document.title = "PROBE " + JSON.stringify({sw: de.scrollWidth, iw: w.innerWidth,
                                              h: de.scrollHeight, over: over});
});
</script>
HTML
    echo "</body></html>"
}

probe() { # WIDTH -> probe-WIDTH.json
    local w=$1 win=$(( $1 > 500 ? $1 : 500 ))
    frame "$w" 900 1 > "probe-$w.html"
    timeout 120 "$chrome" "${flags[@]}" --allow-file-access-from-files \
        --user-data-dir="$(mktemp -d)" --window-size="$win,900" --virtual-time-budget=5000 \
        --dump-dom "file://$work/probe-$w.html" > "probe-$w.dom.html" \
        2> "chromium-probe-$w.log" || fail "chromium --dump-dom at $w px failed"
    "$PY" - "probe-$w.dom.html" > "probe-$w.json" <<'PYEOF'
import re, sys, html
m = re.search(r"<title>PROBE (.*?)</title>", open(sys.argv[1], encoding="utf-8").read(), re.S)
print(html.unescape(m.group(1)) if m else "{}")
PYEOF
    echo "probe at $w px: $(cat "probe-$w.json")"
}
probe 1280
probe 390
"$PY" - probe-1280.json probe-390.json <<'PYEOF' || fail "layout probe"
import json, sys
d, p = (json.load(open(f)) for f in sys.argv[1:3])
bad = 0
for name, r, w in (("desktop", d, 1280), ("phone", p, 390)):
    if r.get("iw") != w:
        print(f"{name}: innerWidth {r.get('iw')}, not {w}: the probe did not run as asked"); bad += 1
    elif r["sw"] > r["iw"]:
        print(f"{name}: the page scrolls sideways: scrollWidth {r['sw']} > innerWidth {r['iw']}")
        bad += 1
if d.get("over"):
    print(f"desktop: boxes that scroll or clip sideways at 1280 px: {d['over']}"); bad += 1
print(f"phone: boxes that scroll inside the page at 390 px: {p.get('over')}")
sys.exit(1 if bad else 0)
PYEOF

# The daily chart, as chromium parsed it: the transactions and customers lines lie in separate
# panels (y ranges disjoint), below the revenue panel.
timeout 120 "$chrome" "${flags[@]}" --user-data-dir="$(mktemp -d)" --window-size=1280,900 \
    --dump-dom "file://$work/report.html" > report.dom.html 2> chromium-dom.log ||
    fail "chromium --dump-dom failed"
"$PY" - report.dom.html <<'PYEOF' || fail "daily chart panels"
import re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
svg = re.search(r'<svg id="chart-daily-revenue".*?</svg>', dom, re.S).group(0)
def yrange(cls):
    d = re.search(r'<path class="%s" d="([^"]+)"' % cls, svg).group(1)
    ys = [float(y) for y in re.findall(r"[ML][-0-9.]+,([-0-9.]+)", d)]
    return min(ys), max(ys)
rev, tx, cu = yrange("line rev"), yrange("line tx"), yrange("line cust")
print(f"daily chart y ranges: revenue {rev}, transactions {tx}, customers {cu}")
sys.exit(0 if rev[1] < tx[0] and tx[1] < cu[0] else 1)
PYEOF

# The finance sections, as chromium parsed them, against the snapshot itself (h5py): the
# MTD / MoM / YoY cards (values and changes with their currency; YoY is n/a: the fixture has
# no 2023), both cohort tables (one row per cohort, 2 + 13 cells, shares = customers / size and
# revenue / month-0 revenue), the per-currency split and the standard errors.
"$PY" - report.dom.html "snaps/$snap" <<'PYEOF' || fail "finance sections (periods, cohorts)"
import datetime as dt, html, re, sys
import h5py
dom = open(sys.argv[1], encoding="utf-8").read()
f = h5py.File(sys.argv[2], "r")
cur = f.attrs["reporting_currency"]
bad = []
def money(c):
    s = f"{abs(int(c)) // 100:,}.{abs(int(c)) % 100:02d} {cur}"
    return ("-" if c < 0 else "") + s
def text(fragment):
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))
def card(id_):
    m = re.search(r'<div class="kpi period" id="%s">(.*?)</div></div>' % id_, dom, re.S)
    if not m:
        bad.append(f"no #{id_} card"); return ""
    return " ".join(text(m.group(1)).split())
E = dt.date(1970, 1, 1)
as_of = dt.date.fromisoformat(f.attrs["as_of"].decode() if isinstance(f.attrs["as_of"], bytes) else f.attrs["as_of"])
d, rc = f["revenue/daily/date"][()], f["revenue/daily/revenue_cents"][()]
def dsum(a, b):
    return int(sum(int(r) for x, r in zip(d, rc) if (a - E).days <= x <= (b - E).days))
mtd = dsum(as_of.replace(day=1), as_of)
pm_end = as_of.replace(day=1) - dt.timedelta(days=1)
mtd0 = dsum(pm_end.replace(day=1), pm_end.replace(day=min(as_of.day, pm_end.day)))
mon = dict(zip(f["revenue/monthly/month"][()].tolist(), f["revenue/monthly/revenue_cents"][()].tolist()))
c = card("period-mtd")
for want in (money(mtd), money(mtd0), ("+" if mtd > mtd0 else "") + money(mtd - mtd0),
             f"{100 * (mtd - mtd0) / mtd0:+.1f}%"):
    if want not in c: bad.append(f"MTD card lacks {want!r}: {c!r}")
c = card("period-mom")  # as-of 2024-03-31: March is complete, against February
for want in (money(mon[202403]), money(mon[202402]), f"{100 * (mon[202403] - mon[202402]) / mon[202402]:+.1f}%", "Mar 2024", "Feb 2024"):
    if want not in c: bad.append(f"MoM card lacks {want!r}: {c!r}")
c = card("period-yoy")
for want in (money(mon[202403]), "Mar 2023", "n/a"):
    if want not in c: bad.append(f"YoY card lacks {want!r}: {c!r}")
print("periods:", card("period-mtd"), "|", card("period-mom"), "|", card("period-yoy"))

g = f["cohorts"]
co = {k: g[k][()].tolist() for k in g}
cohorts = sorted(set(co["cohort_month"]))
for tid, rev in (("cohort-customers", 0), ("cohort-revenue", 1)):
    m = re.search(r'<table class="cohort" id="%s">.*?<tbody>(.*?)</tbody>' % tid, dom, re.S)
    if not m:
        bad.append(f"no table #{tid}"); continue
    rows = re.findall(r"<tr>(.*?)</tr>", m.group(1), re.S)
    if len(rows) != len(cohorts):
        bad.append(f"#{tid}: {len(rows)} rows, {len(cohorts)} cohorts in the snapshot")
    for cm, row in zip(cohorts, rows):
        cells = [text(x).strip() for x in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if len(cells) != 15:
            bad.append(f"#{tid} {cm}: {len(cells)} cells, not 15"); continue
        idx = [i for i, x in enumerate(co["cohort_month"]) if x == cm]
        size, rev0 = co["cohort_size"][idx[0]], co["revenue_cents"][idx[0]]
        want0 = money(rev0) if rev else f"{size:,}"
        if cells[1] != want0:
            bad.append(f"#{tid} {cm}: {cells[1]!r}, not {want0!r}")
        for i in idx:
            k = co["offset"][i]
            share = co["revenue_cents"][i] / rev0 if rev else co["customers"][i] / size
            if cells[2 + k] != f"{100 * share:.0f}%":
                bad.append(f"#{tid} {cm} M{k}: {cells[2 + k]!r}, not {100 * share:.0f}%")
        titles = re.findall(r'title="([^"]*)"', row)
        if rev and not all(cur in html.unescape(t) for t in titles):
            bad.append(f"#{tid} {cm}: a cell's amount without its currency")
if cohorts:
    print(f"cohort tables: {len(cohorts)} cohorts x 13 months, shares match the snapshot")
else:
    bad.append("the fixture has no cohorts")
m = re.search(r'<table id="revenue-by-currency">.*?<tbody>(.*?)</tbody>', dom, re.S)
if not m or not re.search(r"<td>USD</td>(<td[^>]*>[^<]* USD</td>){3}", m.group(1)):
    bad.append("the per-currency table lacks a USD row with USD on every amount")
m = re.search(r'<section id="model">(.*?)</section>', dom, re.S)
ses = re.findall(r"\(s\.e\. [0-9.e+-]+\)", m.group(1) if m else "")
if len(ses) != 7:
    bad.append(f"model parameters: {len(ses)} standard errors shown, not 7 (r alpha a b p q v)")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PYEOF

shoot() { # WIDTH: the report in a frame of WIDTH x its full height, cropped to WIDTH
    local w=$1 h win=$(( $1 > 500 ? $1 : 500 ))
    h=$("$PY" -c "import json,sys; print(min(max(int(json.load(open(sys.argv[1])).get('h', 0)), 900), 16000))" "probe-$w.json")
    frame "$w" "$h" 0 > "frame-$w.html"
    timeout 120 "$chrome" "${flags[@]}" --user-data-dir="$(mktemp -d)" --window-size="$win,$h" \
        --screenshot="$work/report-$w.png" "file://$work/frame-$w.html" > "chromium-shot-$w.log" 2>&1 ||
        fail "chromium --screenshot at $w px failed"
    "$PY" -c "
import sys
try:
    from PIL import Image
except ImportError:
    sys.exit(0)  # python3-pil absent: keep the uncropped shot
im = Image.open(sys.argv[1]); im.crop((0, 0, int(sys.argv[2]), im.size[1])).save(sys.argv[1])" \
        "report-$w.png" "$w" || true
    [[ -s report-$w.png && $(stat -c %s "report-$w.png") -gt 20000 ]] || fail "no screenshot at $w px"
    echo "screenshot: $work/report-$w.png (${w}x$h)"
}
shoot 1280
shoot 390

if ((fails)); then
    echo "report layout: $fails check(s) failed" >&2
    exit 1
fi
echo "report layout: ok"
