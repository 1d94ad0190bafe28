#!/usr/bin/env bash
# log_crash.sh - kill -9 an appender to floe's durable log at random
# moments, then check what the log holds after recovery.
#
# bench/log_append (4 threads, 2 partitions, sync=always) prints
# "partition offset key" for every append that returned FL_OK. After each
# kill the next run reopens (recovers) the same log and appends more; at
# the end `floe topic tail --from-beginning` must show, per partition,
# offsets 0..end-1 each exactly once, every acknowledged key at its
# acknowledged offset, no key twice, and each thread's records in the
# order it appended them. An independent Python reader of the segment
# files (tests/e2e/ingest_read.py) must see the same records. Ten rounds,
# about 15 s in all.
set -u
FLOE=${FLOE_BIN:?FLOE_BIN}
APPEND=$(dirname "$FLOE")/log_append
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:exitcode=98
T=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$APPEND" ] || fail "no $APPEND (bench/log_append.c builds it)"

LOG=$T/log
for round in $(seq 1 10); do
    "$APPEND" --dir "$LOG" --topic crash --partitions 2 --threads 4 --records 1000000 \
        --batch $((round % 3 + 1)) --value-bytes 24 --run "r$round" --acks >"$T/acks$round" 2>"$T/err$round" &
    pid=$!
    # let it get past open and recovery, then a random moment
    for _ in $(seq 1 50); do [ -s "$T/acks$round" ] && break; sleep 0.05; done
    sleep "0.$((RANDOM % 6 + 1))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=
    grep -q "ERROR: AddressSanitizer\|runtime error" "$T/err$round" && fail "round $round: sanitizer: $(cat "$T/err$round")"
    [ -s "$T/acks$round" ] || fail "round $round: nothing acknowledged ($(cat "$T/err$round"))"
done
cat "$T"/acks* >"$T/acks"
for p in 0 1; do
    "$FLOE" topic tail crash --log-dir "$LOG" --partition $p --from-beginning >"$T/tail$p" ||
        fail "tail partition $p"
done
"$FLOE" topic describe crash --log-dir "$LOG" >"$T/describe" || fail describe
# an independent reader of the segment files (the ingest tests' Python
# parser: its own CRC-32C and varints) must see the same records
if [ -f "${FLOE_SRC:-}/tests/e2e/ingest_read.py" ]; then
    python3 "$FLOE_SRC/tests/e2e/ingest_read.py" "$LOG" crash >"$T/indep" || fail "independent reader"
fi
python3 - "$T" <<'PY' || fail "log contents (see above)"
import json, sys, collections
d = sys.argv[1]
desc = json.load(open(f"{d}/describe"))
acked = {}
for line in open(f"{d}/acks"):
    parts = line.split()
    if len(parts) != 3:
        continue  # a line cut by the kill
    p, off, key = int(parts[0]), int(parts[1]), parts[2]
    if (p, off) in acked:
        sys.exit(f"offset {p}/{off} acknowledged twice")
    acked[(p, off)] = key
ok = True
for p in (0, 1):
    recs = [json.loads(l) for l in open(f"{d}/tail{p}")]
    offs = [r["offset"] for r in recs]
    end = desc["partition_info"][p]["end_offset"]
    if offs != list(range(end)):
        print(f"partition {p}: offsets not 0..{end - 1} once each"); ok = False
    keys = [r["key"] for r in recs]
    if len(set(keys)) != len(keys):
        print(f"partition {p}: a record appears twice"); ok = False
    at = {r["offset"]: r["key"] for r in recs}
    for (ap, off), key in acked.items():
        if ap == p and at.get(off) != key:
            print(f"partition {p}: acknowledged {key} at {off}, log has {at.get(off)}"); ok = False
    last = collections.defaultdict(lambda: -1)
    for r in recs:
        run, t, i = r["key"].split("-")
        if int(i) <= last[(run, t)]:
            print(f"partition {p}: {r['key']} out of order"); ok = False
        last[(run, t)] = int(i)
        if r["value"]["i"] != int(i):
            print(f"partition {p}: {r['key']} has the wrong value"); ok = False
    print(f"partition {p}: {len(recs)} records, {sum(1 for k in acked if k[0] == p)} acknowledged")
import os
if os.path.exists(f"{d}/indep"):
    indep = [json.loads(l) for l in open(f"{d}/indep")]
    mine = []
    for p in (0, 1):
        for l in open(f"{d}/tail{p}"):
            r = json.loads(l)
            mine.append((p, r["offset"], r["key"], r["value"]))
    theirs = [(r["partition"], r["offset"], r["key"], json.loads(r["value"])) for r in indep]
    if sorted(mine) != sorted(theirs):
        print(f"independent reader: {len(theirs)} records differ from floe topic tail's {len(mine)}"); ok = False
    else:
        print(f"independent reader agrees on {len(theirs)} records")
sys.exit(0 if ok else 1)
PY
echo "log_crash: ok"
