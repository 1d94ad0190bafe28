#!/usr/bin/env bash
# e2e: issue 15's full proof - three floe workers in one consumer group
# read an external Kafka cluster (floe's own Kafka port in a separate
# `floe up` with pipelines: []) into one table on an S3 warehouse
# (s3rver) through a real PostgreSQL catalog, under load from two
# confluent-kafka producers (lz4 batches), while:
#  - workers 1 and 2 are killed with kill -9 in turn every few seconds
#    and restarted (a rebalance at each death and each return);
#  - worker 3 is paused with SIGSTOP past its session timeout (3 s) with
#    records in flight, then resumed: a zombie.
# At the end:
#  - every produced record is in the table exactly once, by floe sql and
#    by icebird (tests/interop/s3_icebird_ids.mjs reads the current
#    snapshot from s3rver), one row per (partition, offset);
#  - the snapshot chain accounts for every row: each commit's added-records
#    equals the sum of the offsets its summary moved from its parent's,
#    offsets never go back, and the last snapshot's offsets are the
#    topic's end (no commit, zombie or not, added rows it had no offsets
#    for, or moved offsets it did not own);
#  - no commit from the zombie landed: its stale step was refused by the
#    offsets check or dropped on the revocation it found on waking (its
#    log), and every snapshot whose summary names it (floe.worker =
#    host:pid) committed after it woke moved its partitions only from the
#    offsets the table recorded then or later.
# Runs in about a minute (ASan build). Env: FLOE_BIN, FLOE_SRC.
set -euo pipefail
SRC=${FLOE_SRC:?FLOE_SRC must point at the source tree}
. "$(dirname "$0")/lib/s3rver_up.bash"
if [ ! -f "$S3RVER" ]; then
    echo "kafka_source_s3: SKIP (needs s3rver in tests/interop; run scripts/install-deps)"
    [ -z "${CI:-}" ] || exit 1
    exit 0
fi
. "$(dirname "$0")/lib/floe_up.bash"
. "$(dirname "$0")/lib/pg_up.bash"
. "$(dirname "$0")/lib/kafka_workers.bash"
PY=/usr/bin/python3
$PY -c 'import confluent_kafka' 2>/dev/null || { echo "kafka_source_s3: python3-confluent-kafka is not installed" >&2; exit 1; }
LIB="$(dirname "$0")/lib/kafka_source_produce.py"
NA=${NA:-20000} NB=${NB:-20000} SECS=${SECS:-60}
pa= pb=
cleanup() {
    for v in "$pa" "$pb"; do [ -n "$v" ] && kill -9 "$v" 2>/dev/null; done
    workers_kill
    [ -n "${KS_LOGS:-}" ] && cp "$T"/*.log "$KS_LOGS"/ 2>/dev/null
    s3rver_up_stop
    pg_up_cleanup
    floe_up_cleanup
}
trap cleanup EXIT

s3rver_up_start "$T/s3"
kafka_cluster_start ks3_events 6

workers_catalog floe_ks3
W=(--warehouse s3://warehouse/lake --catalog "$CAT")

# maintenance off: the snapshot chain below is checked snapshot by
# snapshot (kafka_source.sh covers the maintenance lease)
cat > "$T/worker.yaml" <<YAML
warehouse: s3://warehouse/lake
catalog: $CAT
tables:
  - name: ks3_events
    schema:
      - {name: id, type: string}
      - {name: n, type: long}
      - {name: _kafka_partition, type: int}
      - {name: _kafka_offset, type: long}
pipelines:
  - name: ks3
    source:
      kafka:
        bootstrap: "$BOOT"
        topics: [ks3_events]
        group: floe-ks3
        properties: {session.timeout.ms: "3000", heartbeat.interval.ms: "300"}
    table: default.ks3_events
    commit_interval_ms: 500
    maintenance: {enabled: false}
YAML
check "config check" '"$FLOE" config check "$T/worker.yaml" >/dev/null'
# worker 3 steps every 100 ms: nearly always reading or committing, so
# the pause catches it with records in flight
sed 's/commit_interval_ms: 500/commit_interval_ms: 100/' "$T/worker.yaml" >"$T/worker3.yaml"

start_worker 1 # creates the table first
start_worker 2
start_worker 3 "$T/worker3.yaml"
sleep 2 # the group forms

# load: two producers with disjoint ids, about SECS seconds each
t0=$(date +%s)
$PY "$LIB" produce "$BOOT" ks3_events 0 "$NA" "$SECS" &
pa=$!
$PY "$LIB" produce "$BOOT" ks3_events "$NA" "$NB" "$SECS" &
pb=$!
# chaos: kill -9 workers 1 and 2 in turn every ~4 s and restart them
# (phase A), then pause worker 3 while it owns partitions for 7 s (the
# session timeout is 3 s: the others take its partitions; no kills
# meanwhile, so they commit them), then kill again until the load ends
kills=0 victim=1
chaos() { # seconds: kill and restart in turn until t0 + seconds
    while [ $(($(date +%s) - t0)) -lt "$1" ]; do
        sleep 2.5
        kill -9 "${wpid[$victim]}"; wait "${wpid[$victim]}" 2>/dev/null || true
        kills=$((kills + 1))
        sleep 1
        start_worker "$victim"
        victim=$((3 - victim))
    done
}
chaos 10
# the pause must catch worker 3 with records in flight (read or being
# committed); between two of its steps it holds none, so a pause that
# caught it idle (its log shows no stale step after it woke) is tried
# again, up to 4 times, all while the producers still send (SECS is long
# enough for 10 s of kills and 4 attempts of 13 s)
zombie_pid=${wpid[3]}
for attempt in 1 2 3 4; do
    sleep 4 # the group settles: worker 3 owns partitions again
    for _ in $(seq 100); do
        "$FLOE" status --url "http://127.0.0.1:${wport[3]}" 2>/dev/null | grep -c "partitions: ks3_events/" >/dev/null && break
        sleep 0.1
    done
    stop_line=$(wc -l < "$T/w3.log")
    kill -STOP "$zombie_pid"; stop_at=$(date +%s%3N)
    sleep 7
    cont_line=$(wc -l < "$T/w3.log")
    cont_at=$(date +%s%3N); kill -CONT "$zombie_pid"
    sleep 2
    tail -n +"$((cont_line + 1))" "$T/w3.log" | grep -c "commit refused\|records dropped" >/dev/null && break
done
echo "kafka_source_s3: the zombie's pause caught a stale step at attempt $attempt"
chaos "$SECS"
check "producer A delivered everything" 'wait $pa'
pa=
check "producer B delivered everything" 'wait $pb'
pb=
echo "kafka_source_s3: $kills workers killed with kill -9, worker 3 paused $((cont_at - stop_at)) ms"
N=$((NA + NB))
for _ in $(seq 240); do [ "$(sql "SELECT COUNT(*), COUNT(DISTINCT id) FROM ks3_events")" = "$N,$N" ] && break; sleep 0.25; done
check "floe sql: every record exactly once" '[ "$(sql "SELECT COUNT(*), COUNT(DISTINCT id), MIN(n), MAX(n) FROM ks3_events")" = "$N,$N,0,$((N - 1))" ]'
check "floe sql: one row per (partition, offset)" \
    '[ "$(sql "SELECT COUNT(DISTINCT _kafka_partition * 1000000 + _kafka_offset) FROM ks3_events")" = "$N" ]'
check "the files are on S3" '[ -n "$(find "$T/s3/warehouse" -name "*.parquet*" | head -1)" ]'
META=$(psql_ -At -c "SELECT metadata_location FROM iceberg_tables WHERE table_name = 'ks3_events'" floe_ks3)
check "icebird: every record exactly once" 'node "$SRC/tests/interop/s3_icebird_ids.mjs" "$AWS_ENDPOINT_URL" "$META" "$N" r'

# the snapshot chain, from $snapshots (parent order) and the workers' logs
"$FLOE" sql "${W[@]}" --format ndjson 'SELECT CAST(snapshot_id AS TEXT) AS id, CAST(parent_id AS TEXT) AS parent,
    operation, summary, CAST(strftime('"'"'%s'"'"', committed_at) AS BIGINT) AS at FROM "ks3_events$snapshots"' >"$T/snaps.ndjson"
"$FLOE" sql "${W[@]}" --format ndjson 'SELECT _kafka_partition AS p, MAX(_kafka_offset) + 1 AS e FROM ks3_events GROUP BY 1' >"$T/ends.ndjson"
chain() {
    $PY - "$T/snaps.ndjson" "$T/ends.ndjson" "$N" "$zombie_pid" "$cont_at" "$T/w3.log" "$cont_line" <<'PY'
import json, re, sys
snaps_f, ends_f, n, zpid, cont_at, zlog, cont_line = sys.argv[1:]
snaps = {}
for line in open(snaps_f):
    s = json.loads(line)
    snaps[s["id"]] = s
kids = {s["parent"]: s for s in snaps.values()}
# walk from the root (no parent) along the single lineage
cur = next(s for s in snaps.values() if s["parent"] in (None, "", "None") or s["parent"] not in snaps)
prev, total, commits, bad, zomb = {}, 0, 0, 0, []
by_worker = {}
while cur:
    summ = cur["summary"] if isinstance(cur["summary"], dict) else json.loads(cur["summary"])
    offs = json.loads(summ.get("floe.offsets.ks3_events", "{}"))
    added = int(summ.get("added-records", 0))
    moved = 0
    for p, o in offs.items():
        if o < prev.get(p, 0):
            print("snapshot %s moves partition %s back: %d < %d" % (cur["id"], p, o, prev[p])); bad += 1
        moved += o - prev.get(p, 0)
    if cur["operation"] == "append" and moved != added:
        print("snapshot %s adds %d rows but moves offsets by %d" % (cur["id"], added, moved)); bad += 1
    if cur["operation"] not in ("append",):
        print("snapshot %s: operation %s" % (cur["id"], cur["operation"])); bad += 1
    w = summ.get("floe.worker", "")
    by_worker[w] = by_worker.get(w, 0) + 1
    if w.endswith(":" + zpid) and int(cur["at"]) * 1000 >= int(cont_at) - 1000:
        zomb.append(cur["id"])
    total += added
    commits += added > 0
    prev = {**prev, **offs}
    cur = kids.get(cur["id"])
ends = {str(json.loads(l)["p"]): json.loads(l)["e"] for l in open(ends_f)}
if {p: o for p, o in prev.items() if o} != ends:
    print("the last snapshot records %s, the table's rows end at %s" % (prev, ends)); bad += 1
if total != int(n):
    print("the snapshots add %d rows, %s were produced" % (total, n)); bad += 1
if len(snaps) != sum(by_worker.values()):
    print("%d snapshots, %d on the lineage" % (len(snaps), sum(by_worker.values()))); bad += 1
# the zombie: its stale step was refused or dropped after it woke
after = open(zlog, errors="replace").read().splitlines()[int(cont_line):]
stale = [l for l in after if "commit refused" in l or "records dropped" in l]
if not stale:
    print("the zombie's log shows no refused commit and no dropped step after it woke"); bad += 1
print("chain: %d snapshots, %d with rows, %d rows, %d workers committed (%s); zombie: %d commits "
      "since it woke (each from the table's offsets), stale step: %s"
      % (len(snaps), commits, total, len(by_worker), ", ".join("%d" % c for c in by_worker.values()),
         len(zomb), stale[0].split("pipeline ", 1)[-1][:120] if stale else "none"))
sys.exit(1 if bad else 0)
PY
}
check "snapshot chain: rows = offsets moved, zombie's stale step refused or dropped" chain

for i in 1 2 3; do
    kill -TERM "${wpid[$i]}"
    check "worker $i stops cleanly" 'wait "${wpid[$i]}"'
    unset "wpid[$i]"
done
check "no sanitizer report" '! grep -l "ERROR: AddressSanitizer\|runtime error:" "$T"/w*.log'
if [ "$fail" -gt 0 ]; then
    for i in 1 2 3; do echo "--- worker $i" >&2; tail -n 30 "$T/w$i.log" >&2; done
    echo "--- the zombie from its pause (line $stop_line) on" >&2; sed -n "$((stop_line - 5)),$((cont_line + 30))p" "$T/w3.log" >&2
fi
echo "kafka_source_s3: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
