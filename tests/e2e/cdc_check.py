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
      op, key) appears twice; a tombstone (null value) comes right after
      each delete, with its key, and nowhere else (none at all with
      --no-tombstones); {schema, payload} envelopes (schema: true) are
      read by their payload; prints the op counts.
  cdc_check.py wal2json W2J.tsv TOPIC.ndjson...
      every streamed change of the topics (not the snapshot's reads)
      against what Debian's wal2json (format-version 2, an independent
      decoder on its own slot over the same LSN range) reports at the same
      LSN: the same changes, op for action (a primary key change: floe's
      d + c for wal2json's U), every column wal2json sends equal to the
      envelope's after (or, for a delete, before), and its identity
      columns equal to the envelope's before; prints the count.
  cdc_check.py txbounds FLOE DATA_DIR TOPIC_PREFIX TABLE...
      every snapshot of each mirror table public.TABLE whose summary
      records its topic's offset ends right after a record of topic
      TOPIC_PREFIX.public.TABLE marked floe.tx-end (no source transaction
      split across snapshots); at least one such snapshot.
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
    if isinstance(p, float) and p != p:
        return i == "NaN"
    if isinstance(p, (int, Decimal)) and not isinstance(p, bool):
        try:  # exact, else as the same double (a float8 printed with more digits)
            return Decimal(str(p)) == Decimal(str(i)) or float(p) == float(i)
        except Exception:
            return False
    if isinstance(p, str) and isinstance(i, str) and p in ("NaN", "Infinity", "-Infinity"):
        return p == i
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


def payload(v):
    return v["payload"] if isinstance(v, dict) and "payload" in v and "schema" in v else v


def rkey(e):
    k = e.get("key")
    k = json.loads(k, parse_float=Decimal) if isinstance(k, str) else k
    return payload(k)


def replay(envs, key, errs, tombstones=True):
    state, seen, ops = {}, set(), {}
    last_d = None  # the delete a tombstone must follow
    for e in envs:
        v = payload(e["value"])
        if v is None:
            ops["tombstone"] = ops.get("tombstone", 0) + 1
            if not tombstones:
                errs.append(f"topic: a tombstone (key {rkey(e)}) with tombstones off")
            elif last_d is None or rkey(e) != last_d:
                errs.append(f"topic: a tombstone (key {rkey(e)}) not right after a delete of its key")
            last_d = None
            continue
        if last_d is not None and tombstones:
            errs.append(f"topic: the delete of key {last_d} has no tombstone after it")
        last_d = None
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
            last_d = rkey(e)
            continue
        prev = state.get(k, {})
        state[k] = {c: (prev.get(c) if x == UNAVAILABLE else x) for c, x in row.items()}
    if last_d is not None and tombstones:
        errs.append(f"topic: the delete of key {last_d} has no tombstone after it")
    return list(state.values()), ops


def wal2json(w2jf, topics, errs):
    w = {}
    with open(w2jf) as f:
        for line in f:
            if not line.strip():
                continue
            lsn, data = line.rstrip("\n").split("\t", 1)
            d = json.loads(data, parse_float=Decimal)
            if d["action"] in "IUDT":
                w.setdefault(int(lsn), []).append(d)
    ours = {}
    for tf in topics:
        for e in load(tf):
            v = payload(e["value"])
            if v is not None and v["op"] != "r":
                ours.setdefault(v["source"]["lsn"], []).append(v)
    n = 0
    for lsn in sorted(set(w) | set(ours)):
        a, b = w.get(lsn, []), ours.get(lsn, [])
        if not a or not b:
            errs.append(f"lsn {lsn}: wal2json {[x['action'] for x in a]} floe {[x['op'] for x in b]}")
            continue
        if a[0]["action"] == "T":  # one TRUNCATE may name several tables
            if [x["op"] for x in b] != ["t"] * len(b):
                errs.append(f"lsn {lsn}: truncate, floe {[x['op'] for x in b]}")
            n += 1
            continue
        x = a[0]
        ops = [y["op"] for y in b]
        want = {"I": ["c"], "D": ["d"], "U": ["u"]}[x["action"]]
        if x["action"] == "U" and ops == ["d", "c"]:
            want = ["d", "c"]  # a primary key change
        if ops != want:
            errs.append(f"lsn {lsn}: wal2json {x['action']}, floe {ops}")
            continue
        if (x["schema"], x["table"]) != (b[0]["source"]["schema"], b[0]["source"]["table"]):
            errs.append(f"lsn {lsn}: table {x['schema']}.{x['table']}")
        row = b[-1]["before"] if x["action"] == "D" else b[-1]["after"]
        for c in x.get("columns", []):
            v = row.get(c["name"])
            if c["value"] is None and v in ("NaN", "Infinity", "-Infinity"):
                continue  # wal2json writes null for the floats JSON has no number for
            if not (same(c["value"], v) or same(v, c["value"])):
                errs.append(f"lsn {lsn}: column {c['name']}: wal2json {str(c['value'])[:60]!r} floe {str(row.get(c['name']))[:60]!r}")
        before = b[0]["before"]
        for c in x.get("identity", []):
            if before is None:
                if x["action"] != "U":
                    errs.append(f"lsn {lsn}: wal2json identity, floe before null")
                break
            if not same(c["value"], before.get(c["name"])) and not same(before.get(c["name"]), c["value"]):
                errs.append(f"lsn {lsn}: before {c['name']}: wal2json {str(c['value'])[:60]!r} floe {str(before.get(c['name']))[:60]!r}")
        n += 1
    print(f"{n} changes equal to wal2json's")


def txbounds(floe, d, prefix, tables):
    import subprocess

    def q(sql):
        out = subprocess.run([floe, "sql", "--data", d, "--format", "ndjson", sql],
                             capture_output=True, text=True, check=True).stdout
        return [json.loads(l) for l in out.splitlines() if l.strip()]

    def obj(v):
        return json.loads(v) if isinstance(v, str) else (v or {})

    bad = n = 0
    for t in tables:
        topic = f"{prefix}.public.{t}"
        ends = {r["offset"] + 1 for r in q(f'SELECT "offset", headers FROM "topic.{topic}"')
                if "floe.tx-end" in obj(r["headers"])}
        for r in q(f'SELECT summary FROM "public.{t}$snapshots"'):
            off = obj(r["summary"]).get(f"floe.offsets.{topic}")
            if off is None:
                continue
            n += 1
            nxt = json.loads(off)["0"]
            if nxt not in ends:
                bad += 1
                print(f"{t}: a snapshot ends at offset {nxt}, inside a transaction", file=sys.stderr)
    if not bad:
        print(f"{n} mirror snapshots, each at a transaction end")
    sys.exit(1 if bad or n == 0 else 0)


def main():
    if sys.argv[1] == "txbounds":
        txbounds(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    if sys.argv[1] == "wal2json":
        errs = []
        wal2json(sys.argv[2], sys.argv[3:], errs)
        for e in errs[:40]:
            print(e, file=sys.stderr)
        sys.exit(1 if errs else 0)
    tombstones = "--no-tombstones" not in sys.argv
    sys.argv = [a for a in sys.argv if a != "--no-tombstones"]
    mode, key, pgf, otherf = sys.argv[1:5]
    errs = []
    pg = load(pgf)
    if mode == "table":
        compare(pg, load(otherf), key, "iceberg", errs)
    else:
        rows, ops = replay(load(otherf), key, errs, tombstones)
        # the replayed rows hold envelope values: same JSON forms as the mirror
        compare(pg, rows, key, "topic replay", errs)
        print(" ".join(f"{k}={ops[k]}" for k in sorted(ops)))
    for e in errs[:40]:
        print(e, file=sys.stderr)
    sys.exit(1 if errs else 0)


main()
