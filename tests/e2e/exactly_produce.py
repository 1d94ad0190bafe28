#!/usr/bin/env python3
"""exactly_produce.py - the producers of tests/e2e/up_exactly_once.sh.

usage: exactly_produce.py PORT ROUND ACKS [SECONDS]

Threads POST records to floe's /topics (REST proxy v2, keep-alive) for
the three pipelines of the test: xo_events (append), xo_accounts (upsert
by uuid, keyed so a uuid stays in one partition) and xo_ratings (map
steps). About one record in six is invalid, of a known kind. Every
record carries a unique id whose last dash-separated part names its
kind (ok, badjson, missing, type, status, cast), also inside a bad-JSON
value, so the checker can classify any record it finds in the log,
acknowledged or not.

After each 200 reply the thread appends "topic id partition offset" for
each record of the request to ACKS (O_APPEND, one write per reply)
before it sends the next request: ACKS is exactly what floe
acknowledged. Each thread pauses 10 ms between requests, which bounds
the records per run (so the check's time) under AddressSanitizer. A
thread stops at the first failed request (floe was
killed) or after SECONDS; a non-200 status is printed to stderr as
"status N ..." (the test fails on it).
"""
import http.client
import json
import os
import random
import sys
import threading
import time

PORT, RND, ACKS = int(sys.argv[1]), sys.argv[2], sys.argv[3]
SECONDS = float(sys.argv[4]) if len(sys.argv) > 4 else 3600.0
UUIDS = ["u%02d" % i for i in range(40)]  # shared by every round: updates cross crashes
DAYS = ["2025-01-15", "2025-01-16", "2025-01-17"]
fd = os.open(ACKS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def bad_json(idfield, ident):
    # a value that is not a JSON object: the text of a broken object
    return '{"%s":"%s", "broken' % (idfield, ident)


def event(rid, kind, seq):
    if kind == "badjson":
        return None, bad_json("id", rid)
    v = {"id": rid, "n": seq, "status": random.choice(["ok", "warn"])}
    if kind == "missing":
        del v["n"]
    elif kind == "type":
        v["n"] = random.choice(["abc", 6.5, True])
    elif kind == "status":
        v["status"] = "bogus"
    return None, v


def account(rid, kind, seq):
    uuid = random.choice(UUIDS)
    if kind == "badjson":
        return uuid, bad_json("rid", rid)
    v = {"uuid": uuid, "rid": rid, "balance": seq, "status": random.choice(["active", "closed"])}
    if kind == "missing":
        del v["uuid"]
    elif kind == "type":
        v["balance"] = "zz"
    elif kind == "status":
        v["status"] = "nope"
    return uuid, v


def rating(rid, kind, seq):
    if kind == "badjson":
        return None, bad_json("rid", rid)
    v = {"rid": rid, "customer_id": seq % 97, "rating_value": "%d.5" % (seq % 5),
         "timestamp": "%sT%02d:30:00" % (random.choice(DAYS), seq % 24)}
    if kind == "missing":
        del v["customer_id"]
    elif kind == "type":
        v["customer_id"] = "x"
    elif kind == "cast":
        v["rating_value"] = "abc"
    return None, v


TOPICS = {
    "xo_events": (event, ["badjson", "missing", "type", "status"]),
    "xo_accounts": (account, ["badjson", "missing", "type", "status"]),
    "xo_ratings": (rating, ["badjson", "missing", "type", "cast"]),
}


def run(tid, topic):
    make, bad = TOPICS[topic]
    rng = random.Random("%s-%d" % (RND, tid))
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    seq = 0
    end = time.monotonic() + SECONDS
    while time.monotonic() < end:
        recs, ids = [], []
        for _ in range(rng.randint(1, 6)):
            kind = rng.choice(bad) if rng.random() < 1 / 6 else "ok"
            rid = "%s-%s%d-%d-%s" % (RND, topic[3], tid, seq, kind)
            key, val = make(rid, kind, seq)
            rec = {"value": val}
            if key is not None:
                rec["key"] = key
            recs.append(rec)
            ids.append(rid)
            seq += 1
        body = json.dumps({"records": recs})
        try:
            c.request("POST", "/topics/" + topic, body,
                      {"Content-Type": "application/vnd.kafka.json.v2+json"})
            r = c.getresponse()
            data = r.read()
        except Exception:
            return  # floe was killed: this request is unacknowledged
        if r.status != 200:
            os.write(2, b"status %d %s\n" % (r.status, data))
            return
        offs = json.loads(data)["offsets"]
        if len(offs) != len(ids):
            os.write(2, b"status 200 with %d offsets for %d records\n" % (len(offs), len(ids)))
            return
        lines = "".join("%s %s %d %d\n" % (topic, ids[i], o["partition"], o["offset"])
                        for i, o in enumerate(offs))
        os.write(fd, lines.encode())
        time.sleep(0.01)  # bounds the volume (the check's time), not the concurrency


threads = [threading.Thread(target=run, args=(t, topic))
           for t, topic in enumerate(["xo_events", "xo_events", "xo_accounts", "xo_accounts", "xo_ratings"])]
for t in threads:
    t.start()
for t in threads:
    t.join()
