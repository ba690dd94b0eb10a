#!/usr/bin/env bash
# report_test.sh MODE REPORT_CLI MAKE_SNAPSHOT WORKDIR - the report tests (tests/report.cmake).
#   renders                  fixture -> HTML: ids, run_id, top customer, nothing remote; then
#                            headless chromium: the DOM holds drawn charts; a screenshot is kept.
#                            No /holdout: no holdout section; with --holdout: the "Model check
#                            (holdout)" section, its chart drawn (DOM) and its numbers shown
#   empty_snapshot           0 customers renders, with every chart and table present
#   unconverged_fit_flagged  an unconverged fit is shown as NOT converged; text is escaped
#   missing_dataset_fails    a missing dataset / attribute fails (status 1) naming file and
#                            object, and leaves no report behind
# Chromium missing is a failure, not a skip: CI installs it (scripts/install-deps.sh).
set -euo pipefail
mode=$1 cli=$2 mksnap=$3 work=$4/$1
source "$(dirname "$0")/../integration/lib.sh"
PY=/usr/bin/python3
work_in "$work"
has() { grep -qF -- "$1" "$2" || fail "$2 lacks: $1"; }
lacks() { ! grep -qF -- "$1" "$2" || fail "$2 contains: $1"; }

common_html_checks() { # FILE
    local f=$1 id
    for id in 'id="chart-daily-revenue"' 'id="chart-monthly-revenue"' 'id="chart-segments"' \
              'id="chart-clv-hist"' 'id="top-customers"' 'class="chart"'; do
        has "$id" "$f"
    done
    # self-contained: nothing loaded from anywhere
    if grep -Eiq "(src|href)[[:space:]]*=[[:space:]]*[\"']?[[:space:]]*(https?:|//)" "$f"; then
        fail "$f loads a remote resource"
    fi
    if grep -Eiq "<script|<link|@import|url\(" "$f"; then
        fail "$f has script, link, @import or url()"
    fi
    head -c 15 "$f" | grep -q '<!DOCTYPE html>' || fail "$f does not start with a doctype"
    tail -c 20 "$f" | grep -q '</html>' || fail "$f is not complete"
}

case $mode in
renders)
    "$PY" "$mksnap" fixture.h5
    "$cli" fixture.h5 report.html
    common_html_checks report.html
    has '20240401T020000Z-7f3a9c' report.html
    top=$("$PY" -c "
import h5py, numpy as np
c = h5py.File('fixture.h5', 'r')['customers']
clv, ids = c['clv'][:], c['customer_id'][:]
print(ids[np.lexsort((ids, -clv))[0]])")
    has "<td class=\"n\">1</td><td>$top</td>" report.html
    has 'Champions' report.html
    has 'Cannot lose them' report.html
    lacks 'NOT converged' report.html
    lacks 'chart-holdout' report.html
    lacks 'Model check' report.html
    "$PY" "$mksnap" --holdout holdout.h5
    "$cli" holdout.h5 report-holdout.html
    common_html_checks report-holdout.html
    has 'id="chart-holdout"' report-holdout.html
    has 'Model check (holdout)' report-holdout.html
    has 'href="#holdout"' report-holdout.html
    has 'id="holdout-table"' report-holdout.html
    has '<tr class="" id="holdout-converged"><td>converged</td><td class="n">yes' \
        report-holdout.html
    # the totals and the fit as the snapshot has them
    "$PY" - holdout.h5 > holdout.want <<'PYEOF'
import sys, h5py
h = h5py.File(sys.argv[1], "r")["holdout"]
print(f"{h.attrs['sum_predicted']:,.1f}")
print(f"{int(h.attrs['sum_actual']):,}")
print(f"{h.attrs['mae']:,.3f}")
print(f"<td>calibration end</td><td class=\"n\">{h.attrs['calibration_end']}</td>")
print(f"<td>r</td><td class=\"n\">{h.attrs['r']:.6g}</td>")
PYEOF
    while IFS= read -r want; do has "$want" report-holdout.html; done < holdout.want

    chrome=$(command -v chromium || command -v chromium-browser || true)
    if [[ -z $chrome ]]; then
        fail "chromium not installed (apt-get install -y --no-install-recommends chromium)"
        exit 1
    fi
    flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
           --disable-component-update --disable-sync --disable-quic)
    timeout 120 "$chrome" "${flags[@]}" --user-data-dir="$(mktemp -d)" --dump-dom \
        "file://$work/report.html" > report.dom.html 2> chromium-dom.log ||
        fail "chromium --dump-dom failed (chromium-dom.log)"
    # Each chart, as chromium parsed it, holds drawn elements; the table has 20 rows.
    "$PY" - report.dom.html <<'PYEOF' || fail "DOM check"
import sys
from html.parser import HTMLParser
need = {"chart-daily-revenue": ("path", 5), "chart-monthly-revenue": ("rect", 9),
        "chart-segments": ("rect", 22), "chart-clv-hist": ("rect", 6)}
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svg = None; self.counts = {}; self.table = False; self.rows = 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svg = a.get("id"); self.counts.setdefault(self.svg, {})
        elif self.svg is not None:
            self.counts[self.svg][tag] = self.counts[self.svg].get(tag, 0) + 1
        if tag == "table" and a.get("id") == "top-customers":
            self.table = True
        if self.table and tag == "tr":
            self.rows += 1
    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg = None
        if tag == "table":
            self.table = False
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
bad = 0
for svg, (tag, n) in need.items():
    got = p.counts.get(svg, {}).get(tag, 0)
    print(f"{svg}: {got} <{tag}> (need >= {n})")
    bad += got < n
print(f"top-customers: {p.rows} rows (need 21 with the header)")
bad += p.rows != 21
sys.exit(1 if bad else 0)
PYEOF
    # Money as chromium parsed it (DOM text): every figure carries the snapshot's
    # reporting_currency; the KPI cards hold net revenue, gross sales and refunds; "Revenue by
    # currency" holds each original currency's totals over /revenue/by_currency/monthly.
    "$PY" - report.dom.html fixture.h5 <<'PYEOF' || fail "currency DOM text check"
import sys, h5py
from html.parser import HTMLParser
f = h5py.File(sys.argv[2], "r")
code = f.attrs["reporting_currency"]
code = code.decode() if isinstance(code, bytes) else str(code)
def money(c, k=code):
    return f"{'-' if c < 0 else ''}{abs(int(c)) // 100:,}.{abs(int(c)) % 100:02d} {k}"
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []; self.kpi = None; self.kpis = {}; self.cur = None; self.cell = None
        self.rows = []; self.text = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id") == "revenue-by-currency":
            self.cur = True
        if self.cur and tag == "tr":
            self.rows.append([])
        if self.cur and tag in ("td", "th"):
            self.cell = ""
        if tag == "div" and a.get("class") in ("k", "v"):
            self.kpi = a["class"]; self.buf = ""
        if tag == "span" and a.get("id") == "reporting-currency":
            self.kpi = "code"; self.buf = ""
    def handle_data(self, d):
        if self.cell is not None:
            self.cell += d
        if self.kpi:
            self.buf += d
    def handle_endtag(self, tag):
        if self.cur and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell); self.cell = None
        if tag == "table":
            self.cur = None
        if tag in ("div", "span") and self.kpi:
            if self.kpi == "k":
                self.label = self.buf
            elif self.kpi == "v":
                self.kpis.setdefault(self.label, self.buf)
            else:
                self.text["code"] = self.buf
            self.kpi = None
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
bad = []
d = f["revenue/daily"]
want = {"Net revenue": money(d["revenue_cents"][:].sum()),
        "Gross sales": money(d["gross_cents"][:].sum()),
        "Refunds": money(d["refunds_cents"][:].sum())}
for k, w in want.items():
    if p.kpis.get(k) != w:
        bad.append(f"KPI {k}: {p.kpis.get(k)!r}, want {w!r}")
if p.text.get("code") != code:
    bad.append(f"overview names currency {p.text.get('code')!r}, snapshot {code!r}")
b = f["revenue/by_currency/monthly"]
tot = {}
for i, c in enumerate(b["currency"][:]):
    c = c.decode()
    t = tot.setdefault(c, [0, 0, 0, 0])
    for j, k in enumerate(("revenue_cents", "gross_cents", "refunds_cents", "transactions")):
        t[j] += int(b[k][i])
rows = [[c, money(t[0], c), money(t[1], c), money(t[2], c), f"{t[3]:,}"] for c, t in tot.items()]
if p.rows[:1] != [["Currency", "Revenue", "Gross sales", "Refunds", "Transactions"]]:
    bad.append(f"Revenue by currency header {p.rows[:1]}")
if p.rows[1:] != rows:
    bad.append(f"Revenue by currency rows {p.rows[1:]}, want {rows}")
print(f"KPIs {[p.kpis.get(k) for k in want]}; by currency {p.rows[1:]}")
for x in bad:
    print("MISMATCH:", x)
sys.exit(1 if bad else 0)
PYEOF
    # The holdout chart as chromium parsed it: two bars per calibration frequency 0..7+ (every
    # bin of the fixture has customers), 8 table rows plus the header.
    timeout 120 "$chrome" "${flags[@]}" --user-data-dir="$(mktemp -d)" --dump-dom \
        "file://$work/report-holdout.html" > report-holdout.dom.html 2>> chromium-dom.log ||
        fail "chromium --dump-dom failed on the holdout report (chromium-dom.log)"
    "$PY" - report-holdout.dom.html <<'PYEOF' || fail "holdout DOM check"
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.svg = None; self.bars = {"act": 0, "pred": 0}; self.ticks = []; self.tick = False
        self.table = False; self.rows = 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svg = a.get("id")
        elif self.svg == "chart-holdout":
            cls = (a.get("class") or "").split()
            if tag == "rect":
                for k in self.bars:
                    # bars, not the 12x12 legend boxes
                    if k in cls and float(a.get("height", 0)) > 0 and a.get("width") != "12":
                        self.bars[k] += 1
            self.tick = tag == "text" and "tick" in cls
        if tag == "table" and a.get("id") == "holdout-table":
            self.table = True
        if self.table and tag == "tr":
            self.rows += 1
    def handle_data(self, data):
        if self.tick:
            self.ticks.append(data.strip())
    def handle_endtag(self, tag):
        self.tick = False
        if tag == "svg":
            self.svg = None
        if tag == "table":
            self.table = False
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
labels = [str(i) for i in range(7)] + ["7+"]
print(f"chart-holdout: {p.bars} bars, labels {[t for t in p.ticks if t in labels]}, "
      f"holdout-table {p.rows} rows")
ok = p.bars == {"act": 8, "pred": 8} and all(l in p.ticks for l in labels) and p.rows == 9
sys.exit(0 if ok else 1)
PYEOF
    timeout 120 "$chrome" "${flags[@]}" --user-data-dir="$(mktemp -d)" --hide-scrollbars \
        --screenshot="$work/report-holdout.png" --window-size=1400,5200 \
        "file://$work/report-holdout.html" > chromium-shot.log 2>&1 ||
        fail "chromium --screenshot failed on the holdout report (chromium-shot.log)"
    timeout 120 "$chrome" "${flags[@]}" --user-data-dir="$(mktemp -d)" --hide-scrollbars \
        --screenshot="$work/report.png" --window-size=1400,2000 "file://$work/report.html" \
        > chromium-shot.log 2>&1 || fail "chromium --screenshot failed (chromium-shot.log)"
    [[ -s report.png && $(stat -c %s report.png) -gt 20000 ]] || fail "no screenshot"
    echo "screenshot: $work/report.png"
    ;;
empty_snapshot)
    "$PY" "$mksnap" --empty empty.h5
    "$cli" empty.h5 report.html
    common_html_checks report.html
    has 'No customers in this snapshot' report.html
    has 'No transactions in this snapshot' report.html
    has 'id="period-yoy"' report.html
    # a snapshot of a txetl before /cohorts: the section says so, the rest renders
    "$PY" "$mksnap" --no-cohorts old.h5
    "$cli" old.h5 old.html
    common_html_checks old.html
    has 'id="cohorts-missing"' old.html
    lacks 'id="cohort-customers"' old.html
    has 'id="period-mtd"' old.html
    # --out /dev/null renders into the device (never a rename over it); a FIFO is refused
    "$cli" old.h5 /dev/null || fail "--out /dev/null failed"
    [[ -c /dev/null ]] || fail "--out /dev/null replaced the device with a regular file"
    rm -f out.fifo && mkfifo out.fifo
    rc=0
    "$cli" old.h5 out.fifo 2> err.txt || rc=$?
    [[ $rc == 2 ]] || fail "--out FIFO: status $rc, want 2"
    grep -qF 'out.fifo is not a regular file' err.txt || fail "--out FIFO: message: $(cat err.txt)"
    ;;
unconverged_fit_flagged)
    "$PY" "$mksnap" --unconverged --nasty-run-id bad.h5
    "$cli" bad.h5 report.html
    common_html_checks report.html
    has 'id="fit-warning"' report.html
    has '<tr class="bad" id="gamma-gamma-converged"><td>converged</td><td class="n">NOT converged' \
        report.html
    has '<tr class="" id="bgnbd-converged"><td>converged</td><td class="n">yes' report.html
    has 'run&lt;&amp;&gt;&quot;nasty&#39;' report.html
    lacks 'run<&>' report.html
    ;;
missing_dataset_fails)
    check_fails() { # SNAPSHOT EXPECTED-STATUS TEXT...
        local snap=$1 want=$2 rc=0
        shift 2
        rm -f out.html
        "$cli" "$snap" out.html 2> err.txt || rc=$?
        [[ $rc == "$want" ]] || fail "$snap: status $rc, want $want"
        local t
        for t in "$@"; do grep -qF -- "$t" err.txt || fail "$snap: message lacks '$t': $(cat err.txt)"; done
        [[ ! -e out.html ]] || fail "$snap: a report was written"
        ls out.html.tmp.* > /dev/null 2>&1 && fail "$snap: temporary file left behind"
        return 0
    }
    "$PY" "$mksnap" --drop /customers/clv noclv.h5
    check_fails noclv.h5 1 noclv.h5 /customers/clv
    "$PY" "$mksnap" --drop /model/bgnbd@loglik noll.h5
    check_fails noll.h5 1 noll.h5 /model/bgnbd/loglik
    "$PY" "$mksnap" --drop /revenue/monthly nomonthly.h5
    check_fails nomonthly.h5 1 nomonthly.h5 /revenue/monthly
    "$PY" "$mksnap" --holdout --drop /holdout/by_frequency/mean_actual nohold.h5
    check_fails nohold.h5 1 nohold.h5 /holdout/by_frequency/mean_actual
    "$PY" "$mksnap" --holdout --drop /holdout@mae nomae.h5
    check_fails nomae.h5 1 nomae.h5 /holdout/mae
    "$PY" "$mksnap" --drop /cohorts/revenue_cents nocohrev.h5
    check_fails nocohrev.h5 1 nocohrev.h5 /cohorts/revenue_cents
    check_fails does-not-exist.h5 1 does-not-exist.h5
    echo "not hdf5" > text.h5
    check_fails text.h5 1 text.h5
    rc=0
    "$cli" noclv.h5 "" 2> err.txt || rc=$?
    [[ $rc == 2 ]] || fail "empty --out: status $rc, want 2"
    ;;
*)
    echo "unknown mode $mode" >&2
    exit 2
    ;;
esac

finish "$mode"
