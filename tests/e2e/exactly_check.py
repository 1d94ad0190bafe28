#!/usr/bin/env python3
"""exactly_check.py - the checks of tests/e2e/up_exactly_once.sh.

usage: exactly_check.py FLOE DATA_DIR ACKS

Reads, with `floe sql --data DATA_DIR` (floe stopped), each source
topic, its dead-letter topic `<topic>.dlq` and its table, and checks
against ACKS (exactly_produce.py's record of what floe acknowledged):

- the log holds every acknowledged record at its acknowledged position;
- every record in the log is classified by the kind its id names
  (exactly_produce.py): "ok" ones are valid, the others invalid;
- append tables (xo_events by _kafka_partition/_kafka_offset, xo_ratings
  by src_offset): exactly one row per valid record of the log, none for
  an invalid one: no id twice, no offset twice, none missing, each row
  at its record's position (so every acknowledged valid record is there
  exactly once, and so is any unacknowledged one that reached the log);
- the upsert table xo_accounts: exactly one row per uuid that has a
  valid record, carrying the values of the uuid's valid record with the
  highest offset (the last acknowledged one, or a later one that reached
  the log unacknowledged before a kill);
- each dead-letter topic: its entries' distinct source positions are
  exactly the invalid records of the log (at-least-once there: repeats
  of a position are counted and reported, not failed), each entry's
  value is its source record's value, and no valid record is there.

Exits 1 with the first differences on failure; prints counts otherwise.
"""
import collections
import json
import re
import subprocess
import sys

FLOE, DATA, ACKS = sys.argv[1:4]
# an id field, also inside a bad-JSON value (a JSON string: quotes escaped)
ID_RE = re.compile(r'\\?"r?id\\?"\s*:\s*\\?"([^"\\]+)')
errors = []


def sql(query):
    r = subprocess.run([FLOE, "sql", "--data", DATA, "--format", "ndjson", query],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("floe sql %r exited %d: %s" % (query, r.returncode, r.stderr))
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def fail(what, items):
    if items:
        errors.append("%s: %d, e.g. %s" % (what, len(items), sorted(items, key=str)[:4]))


def kind_of(rid):
    return rid.rsplit("-", 1)[1]


def read_log(topic):
    """id -> (partition, offset, value text) of every record of the topic."""
    recs = {}
    for r in sql('SELECT partition, "offset", value FROM "topic.%s"' % topic):
        m = ID_RE.search(r["value"])
        if not m:
            errors.append("%s %d/%d: a record without an id: %r" % (topic, r["partition"], r["offset"], r["value"]))
            continue
        if m.group(1) in recs:
            errors.append("%s: record %s stored twice in the log" % (topic, m.group(1)))
        recs[m.group(1)] = (r["partition"], r["offset"], r["value"])
    return recs


acks = collections.defaultdict(dict)
for line in open(ACKS):
    topic, rid, p, o = line.split()
    if rid in acks[topic]:
        errors.append("%s acknowledged twice" % rid)
    acks[topic][rid] = (int(p), int(o))

logs, summary = {}, {}
for topic in ("xo_events", "xo_accounts", "xo_ratings"):
    log = logs[topic] = read_log(topic)
    ack = acks[topic]
    fail("%s: acknowledged records missing from the log" % topic, [i for i in ack if i not in log])
    fail("%s: acknowledged records at another position" % topic,
         [i for i in ack if i in log and log[i][:2] != ack[i]])
    valid = {i for i in log if kind_of(i) == "ok"}
    invalid = set(log) - valid
    acked_valid = [i for i in ack if kind_of(i) == "ok"]
    acked_invalid = [i for i in ack if kind_of(i) != "ok"]
    by_pos = {v[:2]: i for i, v in log.items()}

    # dead letters: distinct source positions == the invalid records
    dlq = sql('SELECT value FROM "topic.%s.dlq"' % topic)
    pos = collections.Counter()
    for d in dlq:
        e = json.loads(d["value"])
        p = (e["partition"], e["offset"])
        pos[p] += 1
        if e["topic"] != topic:
            errors.append("%s.dlq: an entry of topic %s" % (topic, e["topic"]))
        src = by_pos.get(p)
        if src is None:
            errors.append("%s.dlq: entry for %d/%d, not a record of the log" % (topic, p[0], p[1]))
        elif e["value"] != log[src][2]:
            errors.append("%s.dlq: entry for %s carries another value: %r" % (topic, src, e["value"]))
    dead = {by_pos[p] for p in pos if p in by_pos}
    fail("%s.dlq: valid records dead-lettered" % topic, dead & valid)
    fail("%s.dlq: invalid records not dead-lettered" % topic, invalid - dead)
    fail("%s.dlq: acknowledged invalid records not dead-lettered" % topic, [i for i in acked_invalid if i not in dead])
    repeats = sum(n - 1 for n in pos.values())

    if topic == "xo_accounts":
        rows = sql("SELECT uuid, rid, balance, status, _kafka_partition AS p, _kafka_offset AS o FROM xo_accounts")
        per_key = collections.Counter(r["uuid"] for r in rows)
        fail("xo_accounts: uuids with more than one row", [k for k, n in per_key.items() if n > 1])
        last = {}  # uuid -> id of its valid record with the highest offset
        part_of = {}
        for i in valid:
            v = json.loads(log[i][2])
            p, o = log[i][:2]
            if part_of.setdefault(v["uuid"], p) != p:
                errors.append("xo_accounts: uuid %s in two partitions" % v["uuid"])
            if v["uuid"] not in last or log[last[v["uuid"]]][1] < o:
                last[v["uuid"]] = i
        got = {r["uuid"]: r for r in rows}
        fail("xo_accounts: uuids missing from the table", set(last) - set(got))
        fail("xo_accounts: uuids in the table without a valid record", set(got) - set(last))
        wrong = []
        for k, i in last.items():
            r, v = got.get(k), json.loads(log[i][2])
            if r and (r["rid"], r["balance"], r["status"], r["p"], r["o"]) != (i, v["balance"], v["status"]) + log[i][:2]:
                wrong.append((k, r["rid"], i))
        fail("xo_accounts: rows without the value of the key's last record (uuid, row, want)", wrong)
        # the last acknowledged valid value of each key is the row unless a
        # later record reached the log unacknowledged (and then that one is)
        last_ack = {}
        for i in acked_valid:
            k = json.loads(log[i][2])["uuid"] if i in log else None
            if k and (k not in last_ack or ack[last_ack[k]][1] < ack[i][1]):
                last_ack[k] = i
        fail("xo_accounts: a row older than the key's last acknowledged value",
             [k for k, i in last_ack.items() if k in got and got[k]["o"] < ack[i][1]])
        summary[topic] = "%d acked (%d invalid), %d in log, %d keys, rows %d, %d keys at their last acked value, dlq %d (+%d repeats)" % (
            len(ack), len(acked_invalid), len(log), len(last), len(rows),
            sum(1 for k, i in last_ack.items() if got.get(k, {}).get("rid") == i), len(dead), repeats)
        continue

    if topic == "xo_events":
        rows = sql("SELECT id, _kafka_partition AS p, _kafka_offset AS o FROM xo_events")
    else:
        rows = sql("SELECT id, 0 AS p, src_offset AS o FROM xo_ratings")
    ids = collections.Counter(r["id"] for r in rows)
    offs = collections.Counter((r["p"], r["o"]) for r in rows)
    fail("%s: ids in the table more than once" % topic, [i for i, n in ids.items() if n > 1])
    fail("%s: offsets in the table more than once" % topic, [p for p, n in offs.items() if n > 1])
    fail("%s: acknowledged valid records missing from the table" % topic, [i for i in acked_valid if i not in ids])
    fail("%s: valid log records missing from the table" % topic, valid - set(ids))
    fail("%s: rows that are not valid records of the log" % topic, set(ids) - valid)
    fail("%s: rows at another position than their record" % topic,
         [r["id"] for r in rows if r["id"] in log and (r["p"], r["o"]) != log[r["id"]][:2]])
    summary[topic] = "%d acked (%d invalid), %d in log, rows %d, dlq %d (+%d repeats)" % (
        len(ack), len(acked_invalid), len(log), len(rows), len(dead), repeats)

for t, s in summary.items():
    print("%s: %s" % (t, s))
if errors:
    print("\n".join("FAIL: " + e for e in errors), file=sys.stderr)
    sys.exit(1)
total = sum(len(a) for a in acks.values())
if total < 300:
    sys.exit("only %d acknowledged records: too few to mean anything" % total)
print("exactly once: %d acknowledged records checked" % total)
