#!/usr/bin/env bash
# e2e: `log: {kafka: ...}` - floe up's HTTP front door produces into an
# external Kafka cluster (idempotent librdkafka producer) instead of its
# own log, and its pipeline reads that cluster back (source.kafka) into
# an Iceberg table. The cluster is a second floe up serving only Kafka.
# REST proxy posts (single records and batches, concurrent) are answered
# with their offsets in the cluster, consecutive per request; a topic the
# cluster lacks is a 404; every posted record lands in the table once
# (COUNT = COUNT DISTINCT id), and the pipeline's group offsets in the
# cluster sum to the records posted (offsets 0.. with no gap). floe's own
# Kafka port produces into the cluster as well (confluent-kafka,
# idempotent, lz4): each record acknowledged with its offset in the
# cluster, found there with its key, value and header; a topic the
# cluster lacks refused; one producer going on across a restart of floe
# delivers every record once. Env: FLOE_BIN, FLOE_SRC.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
PY=/usr/bin/python3
fpid=
trap '[ -n "$fpid" ] && kill -9 "$fpid" 2>/dev/null; floe_up_cleanup' EXIT

cat > "$T/broker.yaml" <<'YAML'
auto_create_topics: false
topics:
  - {name: kl_events, partitions: 3}
pipelines: []
YAML
floe_up_start -c "$T/broker.yaml"
KP=$(kport)
BOOT=127.0.0.1:$KP

FP=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
FURL=http://127.0.0.1:$FP
cat > "$T/front.yaml" <<YAML
log:
  kafka:
    bootstrap: "$BOOT"
    properties: {linger.ms: "1"}
tables:
  - name: kl_events
    schema:
      - {name: id, type: string}
      - {name: n, type: long}
pipelines:
  - name: kl
    source: {kafka: {bootstrap: "$BOOT", topics: [kl_events], group: floe-kl}}
    table: default.kl_events
    commit_interval_ms: 300
YAML
check "config check" '"$FLOE" config check "$T/front.yaml" >/dev/null'
FKP=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
front_start() {
    "$FLOE" up -c "$T/front.yaml" --data "$T/f" --listen "127.0.0.1:$FP" --kafka-listen "127.0.0.1:$FKP" >>"$T/front.log" 2>&1 &
    fpid=$!
}
front_start
for _ in $(seq 100); do curl -fs "$FURL/health" >/dev/null 2>&1 && break; sleep 0.1; done
W=(--warehouse "file://$T/f/warehouse" --catalog "sqlite://$T/f/catalog.db")

# 40 posts of 50 records each, 4 at a time, then 100 single records
$PY - "$FURL" "$T/replies" <<'PY'
import concurrent.futures, http.client, json, sys
url, out = sys.argv[1], sys.argv[2]
host, port = url.split("//")[1].split(":")
def post(first, n):
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    body = json.dumps({"records": [{"value": {"id": "r%d" % i, "n": i}, "partition": i % 3}
                                   for i in range(first, first + n)]})
    c.request("POST", "/topics/kl_events", body, {"Content-Type": "application/vnd.kafka.json.v2+json"})
    r = c.getresponse()
    return r.status, r.read().decode()
with concurrent.futures.ThreadPoolExecutor(4) as ex:
    res = list(ex.map(lambda k: post(k * 50, 50), range(40)))
res += [post(2000 + i, 1) for i in range(100)]
with open(out, "w") as f:
    for st, body in res:
        f.write("%d %s\n" % (st, body))
PY
check "every post answered 200" '[ "$(grep -c "^200 " "$T/replies")" = 140 ]'
# offsets within a post: consecutive per partition
check "offsets in the cluster, consecutive per request" '$PY - "$T/replies" <<'"'"'PY'"'"'
import json, sys
ok = True
for line in open(sys.argv[1]):
    st, body = line.split(" ", 1)
    offs = json.loads(body)["offsets"]
    byp = {}
    for o in offs:
        byp.setdefault(o["partition"], []).append(o["offset"])
    for p, l in byp.items():
        ok &= l == list(range(l[0], l[0] + len(l)))
sys.exit(0 if ok else 1)
PY'
check "a topic the cluster lacks: 404" '[ "$(curl -s -o /dev/null -w "%{http_code}" -X POST -H "Content-Type: application/vnd.kafka.json.v2+json" \
    --data "{\"records\":[{\"value\":{\"id\":\"x\"}}]}" "$FURL/topics/kl_missing")" = 404 ]'
# floe's own Kafka port produces into the cluster too, answering after
# the cluster's ack: 900 records from an idempotent confluent-kafka
# producer, read back from the cluster itself
check "the Kafka port forwards to the cluster" 'grep -c "Produce goes to kafka $BOOT" "$T/front.log" >/dev/null'
check "Kafka port: every record acked with the cluster's offset, there with key, value and header" \
    '$PY "$(dirname "$0")/lib/kafka_forward.py" produce "127.0.0.1:$FKP" "$BOOT" kl_events 900'
check "Kafka port: a topic the cluster lacks is refused" \
    '$PY "$(dirname "$0")/lib/kafka_forward.py" missing "127.0.0.1:$FKP" kl_missing >/dev/null'
# (its log holds the pipeline's dead-letter topic kl.dlq, and only that)
# one idempotent producer across a restart of floe (same producer id,
# its sequence going on): floe takes the next batch of a producer it has
# no state for, and every record reaches the cluster once
$PY "$(dirname "$0")/lib/kafka_forward.py" produce "127.0.0.1:$FKP" "$BOOT" kl_events 600 900 \
    "$T/paused" "$T/restarted" >"$T/restart.out" 2>&1 &
rp=$!
for _ in $(seq 300); do [ -e "$T/paused" ] && break; sleep 0.1; done
kill -TERM "$fpid"; wait "$fpid" || true
front_start
for _ in $(seq 100); do curl -fs "$FURL/health" >/dev/null 2>&1 && break; sleep 0.1; done
touch "$T/restarted"
check "an idempotent producer across floe's restart: every record acked and in the cluster" 'wait $rp || { cat "$T/restart.out" >&2; false; }'
check "the front's own log has no such topics" '[ -n "$(find "$T/f/log" -name "kl.dlq*" | sed -n 1p)" ] && [ -z "$(find "$T/f/log" -name "kl_*" | sed -n 1p)" ]'
check "every record once in the table" 'wait_sql "SELECT COUNT(*), COUNT(DISTINCT id) FROM kl_events" "3600,3600"'
check "the cluster topic holds the 3600 records (the group offsets reach them all)" \
    '[ "$($PY "$(dirname "$0")/lib/kafka_source_produce.py" committed "$BOOT" kl_events floe-kl)" = 3600 ]'
kill -TERM "$fpid"
check "front stops cleanly" 'wait "$fpid"'
fpid=
if [ "$fail" -gt 0 ]; then tail -n 30 "$T/front.log" >&2; fi
echo "kafka_log: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
