#!/usr/bin/python3
"""seed_executemany.py - the seed design's loader, kept as the peer txetl is measured against.

The "classic script": pandas.read_csv in chunks, each chunk cut into batches, the batches
handed to a ThreadPoolExecutor whose workers each hold their own MySQLdb connection and run
cursor.executemany("INSERT ... ON DUPLICATE KEY UPDATE ...") + commit per batch.

Debian packages only: python3-pandas, python3-mysqldb. No CDC rules, no rejects, no routing:
it upserts every row as-is into Customer.TransactionsOptimized (schema and month partitions
must exist; bench/run.sh creates them).

usage: seed_executemany.py --socket SOCK [--user root] [--database Customer]
                           [--chunk 50000] [--batch 1000] [--workers 4] FILE
Prints one JSON line: {"rows": N, "seconds": S, "rows_per_second": R, ...}
"""
import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import MySQLdb
import pandas as pd

COLUMNS = ["transaction_id", "customer_id", "transaction_date", "transaction_amount",
           "transaction_category", "payment_method", "currency", "last_updated"]

SQL = ("INSERT INTO TransactionsOptimized (" + ", ".join(COLUMNS) + ") "
       "VALUES (" + ", ".join(["%s"] * len(COLUMNS)) + ") "
       "ON DUPLICATE KEY UPDATE "
       + ", ".join(f"{c} = VALUES({c})" for c in COLUMNS[1:] if c != "transaction_date"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--user", default="root")
    ap.add_argument("--database", default="Customer")
    ap.add_argument("--chunk", type=int, default=50000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("file")
    a = ap.parse_args()

    local = threading.local()
    conns = []
    lock = threading.Lock()

    def conn():
        c = getattr(local, "conn", None)
        if c is None:
            c = MySQLdb.connect(unix_socket=a.socket, user=a.user, db=a.database,
                                charset="utf8mb4", autocommit=False)
            local.conn = c
            with lock:
                conns.append(c)
        return c

    def upsert(rows):
        c = conn()
        cur = c.cursor()
        cur.executemany(SQL, rows)
        c.commit()
        cur.close()
        return len(rows)

    t0 = time.monotonic()
    total = 0
    with ThreadPoolExecutor(max_workers=a.workers) as ex:
        futures = []
        for chunk in pd.read_csv(a.file, chunksize=a.chunk, dtype=str, keep_default_na=False):
            chunk.columns = [c.strip().lower() for c in chunk.columns]
            for col, dflt in (("transaction_category", ""), ("payment_method", ""),
                              ("currency", "USD")):
                if col not in chunk.columns:
                    chunk[col] = dflt
            if "last_updated" not in chunk.columns:
                chunk["last_updated"] = chunk["transaction_date"] + " 00:00:00"
            chunk["last_updated"] = (chunk["last_updated"].str.replace("T", " ", regex=False)
                                     .str.replace("Z", "", regex=False))
            rows = list(chunk[COLUMNS].itertuples(index=False, name=None))
            for i in range(0, len(rows), a.batch):
                futures.append(ex.submit(upsert, rows[i:i + a.batch]))
            # Keep memory bounded like the classic script: wait for this chunk's batches.
            for f in futures:
                total += f.result()
            futures = []
    secs = time.monotonic() - t0
    for c in conns:
        c.close()
    print(json.dumps({"rows": total, "seconds": round(secs, 3),
                      "rows_per_second": round(total / secs, 1) if secs > 0 else None,
                      "chunk": a.chunk, "batch": a.batch, "workers": a.workers,
                      "pandas": pd.__version__, "mysqldb": ".".join(map(str, MySQLdb.version_info[:3]))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
