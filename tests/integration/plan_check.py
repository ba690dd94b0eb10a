#!/usr/bin/python3
"""plan_check.py - what plan_test.sh asserts about `txetl load --plan`.

  plan_check.py writes LOG...            the servers' general logs hold no write statement
                                         (INSERT, UPDATE, DELETE, REPLACE, CREATE, ALTER, DROP,
                                         TRUNCATE, RENAME, LOAD DATA) and at least one query
                                         from txetl (GET_LOCK: the plan's run lock), else exit 1
  plan_check.py has-writes LOG...        the opposite, for a real load: the logs hold writes
                                         (so the check above can fail)
  plan_check.py counts OUT               the counts of txetl's summary line in OUT, as k=v
  plan_check.py same PLAN_OUT RUN_OUT PLAN_JSON RUN_JSON
                                         the plan's counts (summary line and JSON, total and per
                                         shard) equal the real run's; they reconcile
Exit status 0 when the assertion holds; otherwise 1 with the differences printed.
"""
import json
import re
import sys

COUNTS = ["read", "rejected", "inserted", "updated", "moved", "deleted", "stale", "superseded"]
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|TRUNCATE|RENAME|"
                   r"LOAD\s+DATA|GRANT|REVOKE|SET\s+GLOBAL|FLUSH|OPTIMIZE|ANALYZE|REPAIR)\b",
                   re.I)
# "261202  1:19:20\t    5 Query\tSELECT ..." or "\t\t    5 Query\tSELECT ..."
ENTRY = re.compile(r"^(?:\d{6}\s+\d{1,2}:\d\d:\d\d)?\s+(\d+)\s+([A-Za-z][A-Za-z ]*?)\t(.*)$")


def statements(path):
    """(thread, command, first line of the argument) of every entry of a general log."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = ENTRY.match(line.rstrip("\n"))
            if m:
                out.append((int(m.group(1)), m.group(2).strip(), m.group(3)))
    return out


def writes(paths):
    found, txetl = [], 0
    for p in paths:
        for thread, cmd, arg in statements(p):
            if "general_log" in arg:  # the test's own switch of the log
                continue
            if cmd == "Query" and "GET_LOCK('txetl_run'" in arg:
                txetl += 1
            if cmd in ("Query", "Execute", "Prepare") and WRITE.match(arg):
                found.append(f"{p}: thread {thread}: {arg[:160]}")
    return found, txetl


def summary_counts(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    m = re.search(r"^\s+read (\d+)\s+rejected (\d+)\s+inserted (\d+)\s+updated (\d+)\s+moved (\d+)"
                  r"\s+deleted (\d+)\s+stale (\d+)\s+superseded (\d+)\s*$", text, re.M)
    if not m:
        print(f"FAIL: no summary line with the counts in {path}")
        sys.exit(1)
    return dict(zip(COUNTS, map(int, m.groups())))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd in ("writes", "has-writes"):
        found, txetl = writes(args)
        if cmd == "writes":
            if txetl == 0:
                print(f"FAIL: no query of txetl in {args}: the general log did not record the plan")
                sys.exit(1)
            if found:
                print("FAIL: write statements in the general logs:\n  " + "\n  ".join(found[:20]))
                sys.exit(1)
            print(f"ok: {len(args)} general log(s), {txetl} txetl connection(s), no write statement")
        else:
            if not found:
                print(f"FAIL: no write statement in {args}: the check would not see one")
                sys.exit(1)
            print(f"ok: the real load's logs hold {len(found)} write statement(s), e.g. {found[0]}")
    elif cmd == "counts":
        print(" ".join(f"{k}={v}" for k, v in summary_counts(args[0]).items()))
    elif cmd == "same":
        plan_out, run_out, plan_json, run_json = args
        p, r = summary_counts(plan_out), summary_counts(run_out)
        bad = []
        if p != r:
            bad.append(f"summary counts: plan {p}, run {r}")
        if p["read"] != sum(p[k] for k in COUNTS[1:]):
            bad.append(f"the plan's counts do not reconcile: {p}")
        pj, rj = json.load(open(plan_json)), json.load(open(run_json))
        if not pj.get("plan") or rj.get("plan"):
            bad.append(f"JSON plan flags: plan {pj.get('plan')}, run {rj.get('plan')}")
        if pj["counts"] != rj["counts"]:
            bad.append(f"JSON counts: plan {pj['counts']}, run {rj['counts']}")
        if pj["counts"] != p:
            bad.append(f"the plan's JSON counts {pj['counts']} differ from its summary {p}")
        if pj["shard_counts"] != rj["shard_counts"]:
            bad.append(f"per shard: plan {pj['shard_counts']}, run {rj['shard_counts']}")
        decided = sum(s["versions"] for s in pj["shard_counts"])
        if decided != p["read"] - p["rejected"]:
            bad.append(f"per shard the plan decided {decided} versions, not read - rejected")
        if bad:
            print("FAIL: " + "\n  ".join(bad))
            sys.exit(1)
        print(f"ok: plan = run: {p}; per shard " +
              "; ".join(f"{s['shard']}: " + " ".join(f"{k}={s[k]}" for k in COUNTS[2:] if s[k])
                        for s in pj["shard_counts"]))
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
