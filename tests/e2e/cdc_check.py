#!/usr/bin/python3
"""cdc_check.py - checks for tests/e2e/cdc_pg.sh.

  cdc_check.py table KEY PG.ndjson ICE.ndjson
      the Iceberg mirror (floe table scan's NDJSON) holds exactly the rows
      of the PostgreSQL table (row_to_json NDJSON): one row per key, every
      column equal after each side's JSON form is read (numeric and
      decimal strings as decimals, timestamps as instants, jsonb text as
      JSON, bytea as hex).
  cdc_check.py topic KEY PG.ndjson TOPIC.ndjson
      replaying the change topic's Debezium envelopes (floe topic tail
      output) in order - r/c/u put the after row (an unavailable TOASTed
      value keeps the previous one), d removes the before row's key, t
      empties - gives the PostgreSQL table; no streamed change (source.lsn,
      op, key) appears twice; prints the op counts.
Exits 1 with the differences on stderr.
"""
import json
import re
import sys
from datetime import datetime
from decimal import Decimal

UNAVAILABLE = "__debezium_unavailable_value"
TS = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")


def load(path):
    with open(path) as f:
        return [json.loads(l, parse_float=Decimal) for l in f if l.strip()]


def same(p, i):
    if p is None or i is None:
        return p is None and i is None
    if isinstance(p, (dict, list)):
        return isinstance(i, str) and json.loads(i) == p
    if isinstance(p, bool):
        return p is i
    if isinstance(p, (int, Decimal)):
        try:
            return Decimal(str(p)) == Decimal(str(i))
        except Exception:
            return False
    if isinstance(p, str) and p.startswith("\\x"):
        return isinstance(i, str) and p[2:].lower() == i.lower()
    if isinstance(p, str) and TS.match(p) and isinstance(i, str) and TS.match(i):
        a, b = datetime.fromisoformat(p), datetime.fromisoformat(i)
        return a == b
    return p == i


def by_key(rows, key, what, errs):
    out = {}
    for r in rows:
        k = r.get(key)
        if k in out:
            errs.append(f"{what}: key {k} more than once")
        out[k] = r
    return out


def compare(pg, other, key, what, errs):
    p = by_key(pg, key, "postgres", errs)
    o = by_key(other, key, what, errs)
    for k in sorted(set(p) - set(o), key=str):
        errs.append(f"{what}: key {k} missing")
    for k in sorted(set(o) - set(p), key=str):
        errs.append(f"{what}: key {k} not in postgres")
    for k in sorted(set(p) & set(o), key=str):
        for c, v in p[k].items():
            if not same(v, o[k].get(c)):
                errs.append(f"{what}: key {k} column {c}: postgres {str(v)[:80]!r} != {str(o[k].get(c))[:80]!r}")


def replay(envs, key, errs):
    state, seen, ops = {}, set(), {}
    for e in envs:
        v = e["value"]
        op = v["op"]
        ops[op] = ops.get(op, 0) + 1
        if op == "t":
            state = {}
            continue
        row = v["after"] if op in "cur" else v["before"]
        k = row[key]
        if op != "r":
            ident = (v["source"]["lsn"], op, k)
            if ident in seen:
                errs.append(f"topic: change {ident} twice")
            seen.add(ident)
            if v["source"]["txId"] is None:
                errs.append(f"topic: change {ident} without txId")
        if op == "d":
            state.pop(k, None)
            continue
        prev = state.get(k, {})
        state[k] = {c: (prev.get(c) if x == UNAVAILABLE else x) for c, x in row.items()}
    return list(state.values()), ops


def main():
    mode, key, pgf, otherf = sys.argv[1:5]
    errs = []
    pg = load(pgf)
    if mode == "table":
        compare(pg, load(otherf), key, "iceberg", errs)
    else:
        rows, ops = replay(load(otherf), key, errs)
        # the replayed rows hold envelope values: same JSON forms as the mirror
        compare(pg, rows, key, "topic replay", errs)
        print(" ".join(f"{k}={ops[k]}" for k in sorted(ops)))
    for e in errs[:40]:
        print(e, file=sys.stderr)
    sys.exit(1 if errs else 0)


main()
