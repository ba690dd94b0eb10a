#!/usr/bin/python3
"""make_hostile.py - the hostile-input corpus of hostile_input_test.sh (made at test time, so no
binary blobs live in git), and a footprint of the shards (rows and runs) to prove nothing was
written.

  make_hostile.py corpus          writes corpus/*.csv|bin in the current directory
  make_hostile.py check-rejects REJECTS N   prints a complaint unless the file holds N rejects,
                                  all with known reason codes
  make_hostile.py footprint CNF   prints 'rows=N runs=M' summed over the shards (0 if no schema);
                                  runs = etl_runs rows other than failed runs that applied
                                  nothing (a run refused on its rejects is recorded as such)
"""
import os
import random
import sys

HEAD = b"transaction_id,customer_id,transaction_date,transaction_amount,transaction_category\n"


def good(i):
    return b"%d,7,2024-01-%02d,1.00,ok\n" % (i, 1 + i % 28)


def corpus():
    os.makedirs("corpus", exist_ok=True)
    rnd = random.Random(42)

    def w(name, data):
        with open(os.path.join("corpus", name), "wb") as f:
            f.write(data)

    # binary garbage: no usable header at all
    w("garbage.bin", bytes(rnd.randrange(256) for _ in range(65536)))
    # a good header over lines of garbage (no quotes and newlines kept apart, so each line is a
    # record), plus one line with an odd quote at the very end
    body = []
    for i in range(300):
        line = bytes(rnd.choice(b"abc,;:|\x01\x7f\xff0123456789") for _ in range(rnd.randrange(1, 60)))
        body.append(line.replace(b"\n", b"") + b"\n")
    body.append(b'1,2,"never closed\n')
    w("garbage_body.csv", HEAD + b"".join(body))
    # a 1 MB field: too long for the category; and a record over the 1 MiB record limit
    w("big_field.csv", HEAD + good(1) + b"2,7,2024-01-02,1.00," + b"x" * 1000000 + b"\n" +
      b"3,7,2024-01-03,1.00,\"" + b"y" * (2 << 20) + b"\"\n" + good(4))
    # 100 k columns in the header; and in one record under a normal header
    w("wide_header.csv", b",".join(b"c%d" % i for i in range(100000)) + b"\n" + good(1))
    w("wide_record.csv", HEAD + good(1) + b",".join(b"%d" % i for i in range(100000)) + b"\n")
    # a quote opened and never closed: swallows the rest of the file as one record
    w("open_quote.csv", HEAD + good(1) + b'2,7,2024-01-02,1.00,"open\n' + good(3) + good(4))
    # NUL bytes in a text field and in numbers
    w("nul_bytes.csv", HEAD + good(1) + b"2,7,2024-01-02,1.00,a\x00b\n" +
      b"3\x00,7,2024-01-03,1.00,x\n" + b"4,7,2024-01-04,1.\x0000,x\n")
    # an overlong line (8 MB, no newline until the end)
    w("long_line.csv", HEAD + good(1) + b"2,7,2024-01-02,1.00," + b"z" * (8 << 20) + b"\n")
    # invalid UTF-8 in every position of a text field: each lone byte 0x80..0xFF, truncated
    # sequences, overlongs, surrogates, > U+10FFFF
    bad = [bytes([b]) for b in range(0x80, 0x100)] + [
        b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80", b"\xf8\x88\x80\x80\x80"]
    lines = []
    i = 1
    for seq in bad:
        for pos in (b"%s", b"a%s", b"%sz", b"ab%scd"):
            lines.append(b"%d,7,2024-01-05,1.00," % i + pos.replace(b"%s", seq) + b"\n")
            i += 1
    lines.append(b"%d,7,2024-01-05,1.00,caf\xc3\xa9\n" % i)  # valid: stays
    w("bad_utf8.csv", HEAD + b"".join(lines))
    w("bad_utf8_header.csv", b"transaction_\xffid,customer_id,transaction_date,transaction_amount\n"
      + good(1))
    w("empty.csv", b"")
    w("header_only.csv", HEAD)
    w("missing_column.csv", b"transaction_id,customer_id,transaction_date\n1,7,2024-01-01\n")


def check_rejects(path, n):
    import csv
    known = {"field_count", "bad_quote", "unterminated_quote", "record_too_long",
             "missing_field", "bad_transaction_id", "transaction_id_range", "bad_customer_id",
             "customer_id_range", "bad_date", "date_range", "bad_amount", "amount_range",
             "category_too_long", "payment_method_too_long", "bad_utf8", "nul_byte",
             "bad_currency", "bad_last_updated", "bad_op"}
    with open(path, newline="", encoding="utf-8", errors="surrogateescape") as f:
        r = csv.reader(f)
        next(r)
        rows = list(r)
    unknown = {x[3] for x in rows} - known
    if len(rows) != n or unknown:
        print(f"{len(rows)} rejects (want {n}), unknown reasons {sorted(unknown)}")


def footprint(cnf):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import txcheck  # noqa: E402
    rows = runs = 0
    for i in range(txcheck.shards(cnf)):
        try:
            c = txcheck.connect(cnf, i)
        except Exception as e:  # no database yet: nothing written
            if getattr(e, "args", (None,))[0] == 1049:
                continue
            raise
        cur = c.cursor()
        try:
            cur.execute("SELECT COUNT(*) FROM TransactionsOptimized")
            rows += cur.fetchone()[0]
            cur.execute("SELECT COUNT(*) FROM etl_runs WHERE NOT (status = 'failed' AND "
                        "rows_inserted + rows_updated + rows_moved + rows_deleted + rows_stale "
                        "+ rows_superseded = 0)")
            runs += cur.fetchone()[0]
        except Exception:  # no schema yet: nothing written
            pass
        c.close()
    print(f"rows={rows} runs={runs}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["corpus"]:
        corpus()
    elif sys.argv[1:2] == ["check-rejects"]:
        check_rejects(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1:2] == ["footprint"]:
        footprint(sys.argv[2])
    else:
        print(__doc__)
        sys.exit(2)
