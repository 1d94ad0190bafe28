#!/usr/bin/env bash
# e2e: issue 15's first slice - a pipeline whose source is an external
# Kafka cluster, run by three floe workers in one consumer group that
# commit into one table through a shared PostgreSQL catalog and a shared
# warehouse. The cluster is floe's own Kafka port (a separate `floe up`
# with pipelines: [], so it only serves Kafka). confluent-kafka produces
# records with unique ids (lz4-compressed batches, which librdkafka
# decodes on the workers' side) while one worker is killed with SIGKILL
# mid-stream and restarted (a rebalance each way), then another is
# paused with SIGSTOP past its session timeout and resumed (a zombie:
# its commit is refused by the offsets check, or its in-flight records
# dropped on the revocation it finds on waking). At the end every
# record is in the table exactly once (COUNT = COUNT DISTINCT id = all
# produced), the _kafka_partition/_kafka_offset columns are distinct per
# record, the table's last snapshot records every partition's offset,
# the group's committed offsets in Kafka follow the table's, floe status
# shows each worker's partitions, maintenance runs on one worker at a
# time (a lease in the catalog), a worker subscribed to a topic the
# cluster lacks shows the error in floe status and its log, and each
# worker stops gracefully (exit 0: under ASan, no leak).
# Env: FLOE_BIN, FLOE_SRC.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
. "$(dirname "$0")/lib/pg_up.bash"
. "$(dirname "$0")/lib/kafka_workers.bash"
PY=/usr/bin/python3
$PY -c 'import confluent_kafka' 2>/dev/null || { echo "kafka_source: python3-confluent-kafka is not installed" >&2; exit 1; }
LIB="$(dirname "$0")/lib/kafka_source_produce.py"
N1=${N1:-3000} N2=${N2:-3000} N3=${N3:-3000}
producer=
cleanup() {
    [ -n "$producer" ] && kill -9 "$producer" 2>/dev/null
    workers_kill
    [ -n "${KS_LOGS:-}" ] && cp "$T"/*.log "$KS_LOGS"/ 2>/dev/null
    pg_up_cleanup
    floe_up_cleanup
}
trap cleanup EXIT

# the cluster: floe's Kafka port only
kafka_cluster_start ks_events 6

workers_catalog floe_ks
W=(--warehouse "file://$T/wh" --catalog "$CAT")

cat > "$T/worker.yaml" <<YAML
warehouse: file://$T/wh
catalog: $CAT
maintenance: {interval: 2s}
tables:
  - name: ks_events
    schema:
      - {name: id, type: string}
      - {name: n, type: long}
      - {name: _kafka_topic, type: string}
      - {name: _kafka_partition, type: int}
      - {name: _kafka_offset, type: long}
pipelines:
  - name: ks
    source:
      kafka:
        bootstrap: "$BOOT"
        topics: [ks_events]
        group: floe-ks
        properties: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}
    table: default.ks_events
    commit_interval_ms: 300
YAML
check "config check" '"$FLOE" config check "$T/worker.yaml" >/dev/null'

start_worker 1 # creates the table first
start_worker 2
start_worker 3

# round 1: produce while worker 2 dies mid-stream and comes back
$PY "$LIB" produce "$BOOT" ks_events 0 "$N1" 6 &
producer=$!
sleep 2.5
kill -9 "${wpid[2]}"; wait "${wpid[2]}" 2>/dev/null || true
sleep 1.5
start_worker 2
check "round 1 produced" 'wait $producer'
producer=
# round 2: more records across the rebalance the restart caused
$PY "$LIB" produce "$BOOT" ks_events "$N1" "$N2" 3
# round 3: worker 3 paused with SIGSTOP past its session timeout (6 s)
# while records flow, so the group gives its partitions away; resumed,
# it is a zombie: what it still holds must not land twice
$PY "$LIB" produce "$BOOT" ks_events "$((N1 + N2))" "$N3" 8 &
producer=$!
sleep 1.5
kill -STOP "${wpid[3]}"
sleep 9
kill -CONT "${wpid[3]}"
check "round 3 produced" 'wait $producer'
producer=
N=$((N1 + N2 + N3))
check "every record exactly once" 'wait_sql "SELECT COUNT(*), COUNT(DISTINCT id) FROM ks_events" "$N,$N"'
check "one row per (partition, offset)" \
    '[ "$(sql "SELECT COUNT(DISTINCT _kafka_partition * 1000000 + _kafka_offset) FROM ks_events")" = "$N" ]'
check "topic column" '[ "$(sql "SELECT COUNT(*) FROM ks_events WHERE _kafka_topic = '"'"'ks_events'"'"'")" = "$N" ]'
# the group's offsets in Kafka follow each commit (async: wait a little)
committed_ok() {
    for _ in $(seq 40); do
        [ "$($PY "$LIB" committed "$BOOT" ks_events floe-ks 2>/dev/null)" = "$N" ] && return 0
        sleep 0.25
    done
    echo "  committed: $($PY "$LIB" committed "$BOOT" ks_events floe-ks 2>&1)" >&2; return 1
}
check "group offsets committed to Kafka" committed_ok
check "partitions were assigned from the table's offsets" 'cat "$T"/w*.log | grep -c "assigned ks_events/[0-9]* from the table" >/dev/null'
echo "kafka_source: $(cat "$T"/w*.log | grep -c "commit refused" || true) commits refused, $(cat "$T"/w*.log | grep -c "records dropped" || true) steps dropped on revocation"
# (after any rebalance)
check "floe status shows a worker's partitions" 'wait_status "http://127.0.0.1:${wport[1]}" "partitions: ks_events/"'
# maintenance runs on one worker at a time: a lease in the catalog
maint_one() {
    for i in 1 2 3; do curl -fs "http://127.0.0.1:${wport[$i]}/status"; echo; done | $PY -c '
import json, sys
ran = skipped = 0
for line in sys.stdin:
    if not line.strip(): continue
    for t in json.loads(line)["tables"]:
        ran += t["runs"] > 0
        skipped += t["skipped"] > 0
print("maintenance: %d workers ran it, %d skipped it" % (ran, skipped))
sys.exit(0 if ran >= 1 and skipped >= 1 else 1)'
}
check "maintenance ran on one worker, the others skipped it (catalog lease)" maint_one

# an unknown topic: a clear error in floe status and the log, not a silent stall
sed -e 's/topics: \[ks_events\]/topics: [ks_missing]/' -e 's/group: floe-ks/group: floe-missing/' \
    -e 's/properties: {/properties: {topic.metadata.propagation.max.ms: "500", /' \
    "$T/worker.yaml" >"$T/missing.yaml"
start_worker 4 "$T/missing.yaml"
check "unknown topic: error in floe status" 'wait_status "http://127.0.0.1:${wport[4]}" "error: .*ks_missing"'
check "unknown topic: error in the log" 'grep -c "ERROR.*ks_missing" "$T/w4.log" >/dev/null'
for i in 1 2 3 4; do
    kill -TERM "${wpid[$i]}"
    check "worker $i stops cleanly" 'wait "${wpid[$i]}"'
    unset "wpid[$i]"
done
check "count after stop" '[ "$(sql "SELECT COUNT(*), COUNT(DISTINCT id) FROM ks_events")" = "$N,$N" ]'
if [ "$fail" -gt 0 ]; then
    "$FLOE" sql "${W[@]}" "SELECT COUNT(*), COUNT(DISTINCT id) FROM ks_events" >&2 || true
    for i in 1 2 3; do echo "--- worker $i" >&2; tail -n 40 "$T/w$i.log" >&2; done
fi
echo "kafka_source: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
