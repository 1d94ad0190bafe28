#!/usr/bin/env bash
# e2e: a window step with a Kafka source run by two floe workers of one
# consumer group (floe up, a shared PostgreSQL catalog and warehouse;
# the cluster is floe's own Kafka port). The workers share the windows
# through the table: each step reloads them from the table and its commit
# is refused when the table moved meanwhile (then retried). confluent-
# kafka produces 3000 events (5 one-minute windows x 3 cities) over 6
# partitions while worker 2 is killed with kill -9 and restarted. At the
# end the result table has one row per (window, city), each counting its
# records once: COUNT = 15, SUM(record_count) = 3000, SUM(total) = the
# sum of every v, and each row's count and total are what the events give.
# Env: FLOE_BIN, FLOE_SRC.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
. "$(dirname "$0")/lib/pg_up.bash"
. "$(dirname "$0")/lib/kafka_workers.bash"
PY=/usr/bin/python3
$PY -c 'import confluent_kafka' 2>/dev/null || { echo "kafka_window: python3-confluent-kafka is not installed" >&2; exit 1; }
N=${N:-3000}
producer=
cleanup() {
    [ -n "$producer" ] && kill -9 "$producer" 2>/dev/null
    workers_kill
    pg_up_cleanup
    floe_up_cleanup
}
trap cleanup EXIT

kafka_cluster_start kw_events 6
workers_catalog floe_kw
W=(--warehouse "file://$T/wh" --catalog "$CAT")
cat > "$T/worker.yaml" <<YAML
warehouse: file://$T/wh
catalog: $CAT
pipelines:
  - name: kw
    source:
      kafka:
        bootstrap: "$BOOT"
        topics: [kw_events]
        group: floe-kw
        properties: {session.timeout.ms: "6000", heartbeat.interval.ms: "500"}
    table: default.kw_agg
    commit_interval_ms: 300
    window:
      time: ts
      key: [city]
      size: 1m
      lateness: 1h
      aggregates:
        - {count: "*", as: record_count}
        - {sum: v, as: total}
YAML
check "config check takes a window with source.kafka" '"$FLOE" config check "$T/worker.yaml" >/dev/null'
start_worker 1
start_worker 2

# event i: city c<i % 3>, minute i % 5, v = i, keyed by i
$PY - "$BOOT" "$N" <<'PY' &
import json, sys, time
from confluent_kafka import Producer
boot, n = sys.argv[1], int(sys.argv[2])
p = Producer({"bootstrap.servers": boot, "acks": "all", "linger.ms": 5, "compression.type": "lz4",
              "enable.idempotence": True})
failed = []
for i in range(n):
    p.produce("kw_events", key=str(i), value=json.dumps(
        {"city": "c%d" % (i % 3), "ts": "2026-01-01T00:0%d:30Z" % (i % 5), "v": i}),
        on_delivery=lambda err, msg: err and failed.append(str(err)))
    if i % 100 == 99:
        p.poll(0)
        time.sleep(0.05)
if p.flush(30) or failed:
    sys.exit("produce: %s" % failed[:3])
PY
producer=$!
sleep 2
kill -9 "${wpid[2]}"; wait "${wpid[2]}" 2>/dev/null || true
sleep 1
start_worker 2
check "produced" 'wait $producer'
producer=
want="15,$N,$((N * (N - 1) / 2))"
check "one row per (window, city), each record counted once" \
    'wait_sql "SELECT COUNT(*), SUM(record_count), CAST(SUM(total) AS BIGINT) FROM kw_agg" "$want"'
rows_ok() {
    "$FLOE" sql "${W[@]}" --format ndjson "SELECT city, strftime('%M', window_start) AS m, record_count, total FROM kw_agg" |
        $PY -c '
import json, sys
n = int(sys.argv[1])
want = {}
for i in range(n):
    k = ("c%d" % (i % 3), "%02d" % (i % 5))
    c, t = want.get(k, (0, 0))
    want[k] = (c + 1, t + i)
got = {}
for line in sys.stdin:
    r = json.loads(line)
    got[(r["city"], r["m"])] = (r["record_count"], int(r["total"]))
sys.exit(0 if got == want else "rows: %s, want %s" % (sorted(got.items())[:3], sorted(want.items())[:3]))' "$N"
}
check "each row's count and total are the events'" rows_ok
echo "kafka_window: $(cat "$T"/w*.log | grep -c "windows changed" || true) steps retried because another worker moved the windows"
for i in 1 2; do
    kill -TERM "${wpid[$i]}"
    check "worker $i stops cleanly" 'wait "${wpid[$i]}"'
    unset "wpid[$i]"
done
if [ "$fail" -gt 0 ]; then
    for i in 1 2; do echo "--- worker $i" >&2; tail -n 30 "$T/w$i.log" >&2; done
fi
echo "kafka_window: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
