#!/usr/bin/env bash
# ingest_crash.sh - kill -9 during HTTP ingest. Four producer threads
# (Python http.client, keep-alive) POST records to /topics/crash (3
# partitions, sync always) and write down every acknowledged record with
# the partition and offset of the reply; floe is killed with SIGKILL at a
# random moment, restarted on the same data, and the log must hold every
# acknowledged record exactly once, at its acknowledged offset, each
# thread's records in order per partition, offsets without gaps. Several
# rounds on one data directory; about 30 s. Env: FLOE_BIN, FLOE_SRC.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN}
SRC=${FLOE_SRC:?FLOE_SRC}
READ="python3 $SRC/tests/e2e/ingest_read.py"
ROUNDS=${ROUNDS:-5}
T=$(mktemp -d)
PID=
CLIENT=
cleanup() {
    [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true
    [ -n "$CLIENT" ] && kill -9 "$CLIENT" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    tail -20 "$T/err" >&2 || true
    exit 1
}
cat >"$T/floe.yaml" <<'YAML'
listen: 127.0.0.1:0
topics:
  - {name: crash, partitions: 3, sync: always}
YAML
start_floe() {
    : >"$T/out"
    "$FLOE" up -c "$T/floe.yaml" --data "$T/data" --kafka-listen 127.0.0.1:0 >"$T/out" 2>>"$T/err" &
    PID=$!
    for _ in $(seq 100); do
        grep -q "listening on" "$T/out" 2>/dev/null && break
        kill -0 "$PID" 2>/dev/null || fail "floe up exited early"
        sleep 0.1
    done
    PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\).*|\1|p' "$T/out")
    [ -n "$PORT" ] || fail "no port"
}

cat >"$T/client.py" <<'PY'
import http.client, json, os, sys, threading
port, rnd, acks = int(sys.argv[1]), sys.argv[2], sys.argv[3]
fd = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
def run(tid):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    seq = 0
    while True:
        n = 1 + seq % 3
        recs = [{"key": "t%d" % tid, "value": {"id": "%s-t%d-%d" % (rnd, tid, seq + i)}} for i in range(n)]
        body = json.dumps({"records": recs})
        try:
            c.request("POST", "/topics/crash", body, {"Content-Type": "application/vnd.kafka.json.v2+json"})
            r = c.getresponse()
            data = r.read()
        except Exception:
            return
        if r.status != 200:
            os.write(2, b"status %d %s\n" % (r.status, data))
            return
        offs = json.loads(data)["offsets"]
        lines = "".join("%s %d %d\n" % (recs[i]["value"]["id"], o["partition"], o["offset"]) for i, o in enumerate(offs))
        os.write(fd, lines.encode())  # acknowledged: written down before the next request
        seq += n
ts = [threading.Thread(target=run, args=(t,)) for t in range(4)]
for t in ts: t.start()
for t in ts: t.join()
PY

cat >"$T/check.py" <<'PY'
import json, sys
acks = {}
for line in open(sys.argv[1]):
    i, p, o = line.split()
    acks[i] = (int(p), int(o))
log = [json.loads(l) for l in open(sys.argv[2])]
seen, where, last = {}, {}, {}
nextoff = {}
for r in log:
    p = r["partition"]
    exp = nextoff.get(p, 0)
    assert r["offset"] == exp, "partition %d: offset %d after %d (gap or repeat)" % (p, r["offset"], exp - 1)
    nextoff[p] = exp + 1
    i = json.loads(r["value"])["id"]
    assert i not in seen, "record %s stored twice" % i
    seen[i] = (p, r["offset"])
    rnd, tid, seq = i.rsplit("-", 2)
    k = (rnd, tid, p)
    assert last.get(k, -1) < int(seq), "record %s out of order in partition %d" % (i, p)
    last[k] = int(seq)
missing = [i for i in acks if i not in seen]
assert not missing, "%d acknowledged records lost, e.g. %s" % (len(missing), missing[:3])
moved = [i for i in acks if seen[i] != acks[i]]
assert not moved, "acknowledged records at other offsets: %s" % [(i, acks[i], seen[i]) for i in moved[:3]]
print("%d acknowledged, %d stored, all present once in order" % (len(acks), len(seen)))
PY

: >"$T/acks"
for round in $(seq "$ROUNDS"); do
    start_floe
    python3 "$T/client.py" "$PORT" "r$round" "$T/acks" 2>>"$T/client.err" &
    CLIENT=$!
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.5, 3.0), 2))')"
    kill -9 "$PID"
    wait "$PID" 2>/dev/null || true
    PID=
    wait "$CLIENT" 2>/dev/null || true
    CLIENT=
    if grep -q "^status" "$T/client.err" 2>/dev/null; then fail "client: $(cat "$T/client.err")"; fi
    # restart (recovery), then read what the log holds
    start_floe
    kill -TERM "$PID"
    wait "$PID" || fail "floe up after a crash exited non-zero"
    PID=
    $READ "$T/data/log" crash >"$T/log.ndjson"
    echo -n "round $round: "
    python3 "$T/check.py" "$T/acks" "$T/log.ndjson" || fail "round $round"
done
[ "$(wc -l <"$T/acks")" -gt 100 ] || fail "too few acknowledged records ($(wc -l <"$T/acks")) to mean anything"
echo "ingest_crash: ok"
