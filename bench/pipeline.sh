#!/usr/bin/env bash
# pipeline.sh - floe up end to end: freshness, pipeline throughput, memory.
#
#   1. freshness: `floe gen weather --rate $RATE` (single events, GET /log,
#      sync: always) into `floe up` with the built-in pipelines (commit
#      interval 1 s) for $DUR seconds. Afterwards, for every event: the
#      time from its log append (the record's timestamp, taken before the
#      fsync that precedes its acknowledgement, so the figure slightly
#      over-states freshness) to the commit of the first snapshot of
#      default.weather whose summary (floe.offsets.weather) covers its
#      offset. p50, p99, max.
#   2. append throughput: $N events preloaded into the topic (ingest only,
#      POST /topics batches), then `floe up` restarted with the pipeline:
#      events/s from the pipeline's start to the commit that covers the
#      last event; floe's peak RSS (VmHWM) over the run.
#   3. upsert throughput: the same with $N events over $KEYS keys into an
#      upsert table (default.sessions, key uuid, JSON decode).
#   4. map throughput: the same with $N ratings (seed 004-like) through a
#      pipeline with map steps: rename, cast (epoch ms), date() of a field
#      that is also a column, now, topic/partition/offset, a constant.
# Env: FLOE_BIN (default build/floe), RATE (10000), DUR (20), N (2000000),
# KEYS (100000), MAXB (max_batch_records, default floe's own), RUNS (which
# of fresh append upsert map to run; default all).
set -euo pipefail
cd "$(dirname "$0")/.."
FLOE=$(realpath "${FLOE_BIN:-build/floe}")
RATE=${RATE:-10000}
DUR=${DUR:-20}
N=${N:-2000000}
KEYS=${KEYS:-100000}
RUNS=${RUNS:-fresh append upsert map}
run() { case " $RUNS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
T=$(mktemp -d)
FPID=
cleanup() {
    [ -n "$FPID" ] && kill -9 "$FPID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

# start DATA [CONFIG]: floe up on a free port; sets FPID and URL
start() {
    local data=$1 cfg=${2:-}
    : >"$T/out"
    if [ -n "$cfg" ]; then
        "$FLOE" up -c "$cfg" --listen 127.0.0.1:0 --kafka-listen 127.0.0.1:0 --data "$data" >"$T/out" 2>"$T/err" &
    else
        "$FLOE" up --listen 127.0.0.1:0 --kafka-listen 127.0.0.1:0 --data "$data" >"$T/out" 2>"$T/err" &
    fi
    FPID=$!
    for _ in $(seq 200); do grep -q "listening on" "$T/out" 2>/dev/null && break; sleep 0.05; done
    URL=$(sed -n 's|.*\(http://127.0.0.1:[0-9]*\).*|\1|p' "$T/out" | head -1)
    [ -n "$URL" ] || { cat "$T/err" >&2; exit 1; }
}
stop() { kill -TERM "$FPID"; wait "$FPID" || true; FPID=; }
hwm_kb() { sed -n 's/^VmHWM:\s*\([0-9]*\) kB/\1/p' "/proc/$FPID/status"; }
sql() { "$FLOE" sql --warehouse "file://$1/warehouse" --catalog "sqlite://$1/catalog.db" --format ndjson "$2"; }

echo "# $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), floe $(git rev-parse --short HEAD)"

# --- 1. freshness --------------------------------------------------------
if run fresh; then
D=$T/fresh
start "$D"
"$FLOE" gen weather --rate "$RATE" --duration "$DUR" --target "$URL" --threads 32 >"$T/gen.out" 2>&1 || true
sleep 2 # the last commit
fresh_hwm=$(hwm_kb)
stop
"$FLOE" topic --log-dir "$D/log" tail weather --from-beginning >"$T/weather.ndjson"
sql "$D" 'SELECT committed_at, summary FROM "weather$snapshots" ORDER BY committed_at' >"$T/snaps.ndjson"
python3 - "$T/weather.ndjson" "$T/snaps.ndjson" "$fresh_hwm" "$T/gen.out" <<'PY'
import json, sys, datetime, bisect
recs = [json.loads(l) for l in open(sys.argv[1])]
snaps = []
for l in open(sys.argv[2]):
    s = json.loads(l)
    summ = s["summary"] if isinstance(s["summary"], dict) else json.loads(s["summary"])
    offs = summ.get("floe.offsets.weather")
    if offs is None: continue
    offs = offs if isinstance(offs, dict) else json.loads(offs)
    t = s["committed_at"]
    ms = datetime.datetime.fromisoformat(t.replace(" ", "T").replace("Z", "+00:00")).timestamp() * 1000
    snaps.append((int(offs.get("0", 0)), ms))
snaps.sort()
nexts = [s[0] for s in snaps]
lat = []
for r in recs:
    if r.get("partition", 0) != 0: continue
    i = bisect.bisect_right(nexts, r["offset"])  # first snapshot with next > offset
    if i == len(snaps): continue
    ts = r["timestamp"]
    ts = ts if isinstance(ts, (int, float)) else datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000
    lat.append(snaps[i][1] - ts)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
gen = open(sys.argv[4]).read().strip().splitlines()
print("freshness: %d events (%d acknowledged-in-log, %d visible), %d snapshots; p50 %.0f ms, p99 %.0f ms, max %.0f ms; floe peak RSS %.1f MiB" % (
    len(recs), len(recs), len(lat), len(snaps), q(.5), q(.99), lat[-1], int(sys.argv[3]) / 1024))
print("  gen: " + (gen[-1] if gen else "?"))
PY
fi

# --- 2/3. throughput from a preloaded topic ------------------------------
# preload DATA TOPIC BODY: POSTs BODY.0 .. BODY.19 in turn (REST proxy v2
# bodies of 10,000 records each) until N records are in; ingest only
preload() {
    local data=$1 topic=$2 body=$3
    cat >"$T/ingest.yaml" <<YAML
limits: {records: 10000, body_bytes: 16777216}
topics: [{name: $topic, partitions: 1, sync: never}]
pipelines: []
YAML
    start "$data" "$T/ingest.yaml"
    local i
    for i in $(seq 0 $((N / 10000 - 1))); do
        curl -fsS -o /dev/null -H 'Content-Type: application/vnd.kafka.json.v2+json' \
            --data-binary @"$body.$((i % 20))" "$URL/topics/$topic"
    done
    stop
}
# measure NAME DATA TABLE CONFIG TOPIC: restarts floe up with the
# pipeline(s) and waits for a snapshot of TABLE whose offsets cover all N
# records; events/s from just before the start to that snapshot's commit
# time; floe's peak RSS (VmHWM, read at every poll and at the end)
measure() {
    local name=$1 data=$2 table=$3 cfg=$4 topic=$5
    local t0 hwm=0 got h
    t0=$(date +%s.%N)
    start "$data" "$cfg"
    while :; do
        h=$(hwm_kb); [ "${h:-0}" -gt "$hwm" ] && hwm=$h
        got=$(sql "$data" "SELECT committed_at, summary FROM \"$table\$snapshots\" ORDER BY committed_at DESC LIMIT 1" 2>/dev/null |
            python3 -c 'import json, sys, datetime
l = sys.stdin.read().strip()
if not l: print("0 0"); sys.exit()
r = json.loads(l); s = r["summary"]; s = s if isinstance(s, dict) else json.loads(s)
o = s.get("floe.offsets.'"$topic"'", "{}"); o = o if isinstance(o, dict) else json.loads(o)
t = datetime.datetime.fromisoformat(r["committed_at"].replace(" ", "T").replace("Z", "+00:00")).timestamp()
print(o.get("0", 0), t)')
        [ "${got%% *}" -ge "$N" ] && break
        sleep 0.5
    done
    h=$(hwm_kb); [ "${h:-0}" -gt "$hwm" ] && hwm=$h
    stop
    python3 -c "t = ${got#* } - $t0; print('%-20s %d events in %.2f s (floe up start to the covering commit): %.0f events/s; peak RSS %.1f MiB' % ('$name', $N, t, $N / t, $hwm / 1024))"
}

if run append; then
python3 - "$T/weather_body.json" <<'PY'
import json, sys
cities = ["San Francisco", "New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Seattle", "Denver", "Miami", "Boston"]
for j in range(20):
    recs = [{"value": {"city": cities[i % 10], "temperature": round(-20 + ((i + j) * 7919 % 600) / 10, 1), "ts": "2026-11-23-%02d" % (i % 24)}} for i in range(10000)]
    open("%s.%d" % (sys.argv[1], j), "w").write(json.dumps({"records": recs}))
PY
D=$T/append
start "$D"; stop # creates the built-in tables
preload "$D" weather "$T/weather_body.json"
measure "append (weather)" "$D" weather "" weather
fi

if run upsert; then
python3 - "$T/session_body.json" "$KEYS" <<'PY'
import json, sys, uuid
keys = int(sys.argv[2])
st = ["approved", "resubmission"]
# body j: keys (j * 10000 + i) % KEYS, status flipping every 10 bodies, so
# every key changes again and again (an unchanged row would be a no-op)
for j in range(20):
    recs = [{"value": {"uuid": "k-%d" % ((j * 10000 + i) % keys), "status": st[j // 10], "client_uuid": "c-%d" % (i % 97), "specialist_uuid": "s-%d" % (i % 13)}} for i in range(10000)]
    open("%s.%d" % (sys.argv[1], j), "w").write(json.dumps({"records": recs}))
PY
D=$T/upsert
start "$D"; stop
preload "$D" sessions_json "$T/session_body.json"
cat >"$T/upsert.yaml" <<YAML
topics: [{name: sessions_json, partitions: 1}]
pipelines:
  - {name: sessions, topic: sessions_json, table: default.sessions, key: [uuid]}
YAML
measure "upsert (sessions)" "$D" sessions "$T/upsert.yaml" sessions_json
rows=$(sql "$D" 'SELECT count(*) AS n, count(DISTINCT uuid) AS k FROM sessions')
echo "  upsert table after the run: $rows (expected min(N, KEYS) rows, one per key)"
fi

# --- 4. map steps ----------------------------------------------------------
if run map; then
python3 - "$T/ratings_body.json" <<'PY'
import json, sys
for j in range(20):
    recs = [{"value": {"customer": (j * 10000 + i) % 5000, "branch_id": i % 7, "employee_id": i % 31, "treatment_id": i % 11,
                       "rating_value": "%d.5" % (i % 5), "comment": "fine" if i % 3 else "could be better",
                       "ts_ms": 1767225600000 + (j * 10000 + i) * 1000}} for i in range(10000)]
    open("%s.%d" % (sys.argv[1], j), "w").write(json.dumps({"records": recs}))
PY
D=$T/map
cat >"$T/map.yaml" <<YAML
topics: [{name: ratings, partitions: 1}]
tables:
  - namespace: default
    name: ratings
    schema:
      - {name: customer_id, type: int}
      - {name: branch_id, type: int}
      - {name: employee_id, type: int}
      - {name: treatment_id, type: int}
      - {name: rating_value, type: float}
      - {name: comment, type: string}
      - {name: timestamp, type: timestamp}
      - {name: dt, type: date}
      - {name: source, type: string}
      - {name: processed_timestamp, type: timestamptz}
      - {name: _kafka_topic, type: string}
      - {name: _kafka_partition, type: int}
      - {name: _kafka_offset, type: long}
    partition: [day(timestamp)]
pipelines:
  - name: ratings
    topic: ratings
    table: default.ratings
    map:
      - rename: {from: customer, to: customer_id}
      - rename: {from: ts_ms, to: timestamp}
      - cast: {column: timestamp, unit: ms}
      - derive: {column: dt, from: date(timestamp)}
      - derive: {column: source, value: bench}
      - derive: {column: processed_timestamp, from: now}
      - derive: {column: _kafka_topic, from: topic}
      - derive: {column: _kafka_partition, from: partition}
      - derive: {column: _kafka_offset, from: offset}
YAML
start "$D" "$T/map.yaml"; stop # creates the table
preload "$D" ratings "$T/ratings_body.json"
measure "map (ratings)" "$D" ratings "$T/map.yaml" ratings
rows=$(sql "$D" 'SELECT count(*) AS n, count(dt) AS dt, min("timestamp") AS t0, max(customer_id) AS c FROM ratings')
echo "  map table after the run: $rows (expected N rows, all with dt)"
fi
