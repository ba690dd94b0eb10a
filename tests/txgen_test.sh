#!/bin/bash
# txgen_test.sh TXGEN MPIEXEC... - txgen_deterministic: the same seed gives the same bytes, with
# 1 and 3 ranks; an independent docs/input.md, docs/load.md reading of the extract reproduces --truth and
# --expect-rejects exactly.
set -euo pipefail
TXGEN=$1
shift
MPIEXEC=("$@")
W=$(mktemp -d "${TMPDIR:-/tmp}/txgen_test.XXXXXX")
trap 'rm -rf "$W"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fail() { echo "FAIL: $*" >&2; exit 1; }

check() { # name, txgen arguments...
    local name=$1
    shift
    local args=(--customers 2500 --seed 7 "$@")
    "$TXGEN" "${args[@]}" --out "$W/a.csv" --truth "$W/a.truth" --expect-rejects "$W/a.rej"
    "$TXGEN" "${args[@]}" --out "$W/b.csv" --truth "$W/b.truth" --expect-rejects "$W/b.rej"
    "${MPIEXEC[@]}" -n 3 "$TXGEN" "${args[@]}" --out "$W/c.csv" --truth "$W/c.truth" \
        --expect-rejects "$W/c.rej"
    for f in csv truth rej csv.params; do
        cmp "$W/a.$f" "$W/b.$f" || fail "$name: two runs differ in $f"
        cmp "$W/a.$f" "$W/c.$f" || fail "$name: 1 and 3 ranks differ in $f"
    done
    /usr/bin/python3 - "$W/a.csv" "$W/a.truth" "$W/a.rej" "$name" <<'PY' || fail "$name: check"
import csv, io, re, sys
data = open(sys.argv[1], 'rb').read()
name = sys.argv[4]
pos = 3 if data.startswith(b'\xef\xbb\xbf') else 0
recs = []  # (line, offset, bytes, open_quote)
line = 1
while pos < len(data):
    start, sline, q, i = pos, line, False, pos
    while i < len(data):
        c = data[i]
        if c == 0x22: q = not q
        elif c == 0x0a:
            if not q: break
            line += 1
        i += 1
    rec = data[start:i]
    if rec.endswith(b'\r'): rec = rec[:-1]
    recs.append((sline, start, rec, q))
    line += 1
    pos = i + 1
hdr = recs.pop(0)[2].decode()
names = [h.strip().lower() for h in hdr.split(',')]
KNOWN = ['transaction_id','customer_id','transaction_date','transaction_amount',
         'transaction_category','payment_method','currency','last_updated','op']
col = {k: names.index(k) for k in KNOWN if k in names}
TEXT = {'transaction_category', 'payment_method'}

def split(rec):
    out, i, n = [], 0, len(rec)
    while True:
        j = i
        while j < n and rec[j] in b' \t': j += 1
        if j < n and rec[j] == 0x22:
            k, buf = j + 1, bytearray()
            while True:
                if k >= n: return None, 'unterminated_quote'
                if rec[k] == 0x22:
                    if k + 1 < n and rec[k+1] == 0x22: buf.append(0x22); k += 2; continue
                    break
                buf.append(rec[k]); k += 1
            k += 1
            while k < n and rec[k] in b' \t': k += 1
            if k < n and rec[k] != 0x2c: return None, 'bad_quote'
            out.append((bytes(buf), True, bytes(rec[i:j])))
            i = k
        else:
            k = rec.find(b',', i)
            k = n if k < 0 else k
            f = rec[i:k]
            if b'"' in f: return None, 'bad_quote'
            out.append((bytes(f), False, b''))
            i = k
        if i >= n: return out, None
        i += 1

MAXI = 9223372036854775807
def days(y, m, d):
    import datetime
    return (datetime.date(y, m, d) - datetime.date(1970, 1, 1)).days
def pdate(s):
    if not re.fullmatch(r'\d{4}-\d{2}-\d{2}', s): return None, 'bad_date'
    try: v = days(int(s[:4]), int(s[5:7]), int(s[8:]))
    except ValueError: return None, 'bad_date'
    if not (0 <= v <= days(2099, 12, 31)): return None, 'date_range'
    return v, None

def parse(rec):
    fs, why = split(rec)
    if why: return None, why
    if len(fs) != len(names): return None, 'field_count'
    v = {}
    for k, ci in col.items():
        raw, quoted, lead = fs[ci]
        if k not in TEXT:
            raw = raw.strip(b' \t')
        v[k] = raw
    for k in ['transaction_id','customer_id','transaction_date','transaction_amount']:
        if v[k] == b'': return None, 'missing_field'
    out = {}
    for k, short in [('transaction_id','transaction_id'), ('customer_id','customer_id')]:
        s = v[k].decode('latin1')
        if not re.fullmatch(r'\d+', s): return None, 'bad_' + short
        if not (1 <= int(s) <= MAXI): return None, short + '_range'
        out[k] = int(s)
    d, why = pdate(v['transaction_date'].decode('latin1'))
    if why: return None, why
    out['date'] = d
    m = re.fullmatch(r'([+-]?)(\d+)(?:\.(\d{1,2}))?', v['transaction_amount'].decode('latin1'))
    if not m: return None, 'bad_amount'
    if len(m.group(2)) > 12: return None, 'amount_range'
    c = int(m.group(2)) * 100 + int((m.group(3) or '0').ljust(2, '0'))
    out['cents'] = -c if m.group(1) == '-' else c
    for k, lim, why in [('transaction_category', 64, 'category_too_long'),
                        ('payment_method', 32, 'payment_method_too_long')]:
        t = v.get(k, b'')
        if len(t) > lim: return None, why
    for k in ['transaction_category', 'payment_method']:
        t = v.get(k, b'')
        if b'\0' in t: return None, 'nul_byte'
        try: t.decode('utf-8')
        except UnicodeDecodeError: return None, 'bad_utf8'
        out[k] = t.decode('utf-8')
    cur = v.get('currency', b'').decode('latin1') or 'USD'
    if not re.fullmatch(r'[A-Z]{3}', cur): return None, 'bad_currency'
    out['currency'] = cur
    lu = v.get('last_updated', b'').decode('latin1')
    if lu == '':
        out['lu'] = d * 86400000000
    else:
        m = re.fullmatch(r'(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z?', lu)
        if not m: return None, 'bad_last_updated'
        ld, why = pdate(m.group(1))
        H, M, S = int(m.group(2)), int(m.group(3)), int(m.group(4))
        if why or H > 23 or M > 59 or S > 59: return None, 'bad_last_updated'
        out['lu'] = ((ld * 86400 + H * 3600 + M * 60 + S) * 1000000
                     + int((m.group(5) or '0').ljust(6, '0')))
    op = v.get('op', b'').decode('latin1') or 'U'
    if op not in ('U', 'D', 'u', 'd'): return None, 'bad_op'
    op = op.upper()
    out['op'] = op
    return out, None

rejects, best = [], {}
for pos_, (ln, off, rec, openq) in enumerate(recs):
    r, why = parse(rec)
    if why:
        rejects.append('%d,%d,%s' % (ln, off, why)); continue
    b = best.get(r['transaction_id'])
    if b is None or r['lu'] >= b['lu']: best[r['transaction_id']] = r
got_rej = open(sys.argv[3]).read().splitlines()
assert got_rej[0] == 'line,offset,reason', got_rej[0]
if got_rej[1:] != rejects:
    for a, b in zip(got_rej[1:], rejects):
        if a != b: print('reject mismatch: txgen', a, 'checker', b); break
    sys.exit('%s: %d rejects from txgen, %d found' % (name, len(got_rej) - 1, len(rejects)))
truth = list(csv.reader(io.StringIO(open(sys.argv[2], encoding='utf-8', newline='').read())))
want = [[str(i), str(r['customer_id']), '%04d-%02d-%02d' % (lambda d: (d.year, d.month, d.day))(
            __import__('datetime').date(1970, 1, 1) + __import__('datetime').timedelta(r['date'])),
         str(r['cents']), r['transaction_category'], r['payment_method'], r['currency'], str(r['lu'])]
        for i, r in sorted(best.items())]
if truth[1:] != want:
    for a, b in zip(truth[1:], want):
        if a != b: print('truth mismatch: txgen', a, 'checker', b); break
    sys.exit('%s: truth has %d rows, %d expected' % (name, len(truth) - 1, len(want)))
ids = set()
for ln, off, rec, q in recs:
    fs, why = split(rec)
    if fs and 'transaction_id' in col and len(fs) > col['transaction_id']:
        ids.add(fs[col['transaction_id']][0].strip(b' \t'))
nrej_with_id = len(rejects)
print('%s: %d records, %d rejects, %d truth rows' % (name, len(recs), len(rejects), len(want)))
assert len(want) == len(best) <= len(ids) - 0
PY
}

check plain
check all --bad-rate 0.05 --dup-rate 0.2 --tricky --shuffle
check crlf --bad-rate 0.05 --dup-rate 0.3 --tricky --crlf --bom --start 2023-06-01 --end 2024-06-30
check columns --bad-rate 0.08 --dup-rate 0.1 --tricky \
    --columns 'Customer_ID,TRANSACTION_ID,note,transaction_date,Transaction_Amount,OP,Currency,extra two'
check narrow --bad-rate 0.05 --dup-rate 0.2 --tricky \
    --columns 'transaction_amount,transaction_date,customer_id,transaction_id'
# Change batches: two batches on top of a base; an independent application of docs/load.md gives
# the same truth and counts.
"$TXGEN" --customers 400 --seed 3 --dup-rate 0.1 --out "$W/base.csv" --truth "$W/t0"
"$TXGEN" --changes 500 --truth-in "$W/t0" --out "$W/b1.csv" --truth "$W/t1" --seed 5
"$TXGEN" --changes 300 --truth-in "$W/t1" --out "$W/b2.csv" --truth "$W/t2" --seed 6
for k in 1 2; do
    /usr/bin/python3 - "$W/t$((k - 1))" "$W/b$k.csv" "$W/t$k" <<'PY' || fail "change batch $k"
import csv, sys
rd = lambda p: list(csv.reader(open(p, encoding='utf-8', newline='')))
base, batch, got = rd(sys.argv[1]), rd(sys.argv[2]), rd(sys.argv[3])
st = {int(r[0]): r[:8] + [r[8] if len(r) > 8 else '0'] for r in base[1:]}
def us(ts):
    import datetime
    d = datetime.datetime.strptime(ts, '%Y-%m-%d %H:%M:%S.%f').replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp()) * 1000000 + d.microsecond
cnt = dict(read=0, rejected=0, inserted=0, updated=0, moved=0, deleted=0, stale=0, superseded=0)
groups = {}
for pos, r in enumerate(batch[1:]):
    groups.setdefault(int(r[0]), []).append((us(r[7]), pos, r))
    cnt['read'] += 1
for i, vs in groups.items():
    s = st.get(i)
    live = [v for v in vs if not (s and v[0] <= int(s[7]))]
    cnt['stale'] += len(vs) - len(live)
    if not live: continue
    w = max(live, key=lambda v: (v[0], v[1]))
    cnt['superseded'] += len(live) - 1
    r = w[2]
    if r[8] == 'D': cnt['deleted'] += 1
    elif not s or s[8] == '1': cnt['inserted'] += 1
    elif s[2] == r[2]: cnt['updated'] += 1
    else: cnt['moved'] += 1
    a = r[3].replace('.', '')
    st[i] = [r[0], r[1], r[2], str(int(a)), r[4], r[5], r[6], str(w[0]), '1' if r[8] == 'D' else '0']
want = [st[i] for i in sorted(st)]
assert got[1:] == want, 'truth differs'
line = ' '.join('%s=%d' % kv for kv in cnt.items())
have = open(sys.argv[2] + '.counts').read().strip()
assert have == line, (have, line)
print('batch:', line)
PY
done
echo "txgen_deterministic: ok"
