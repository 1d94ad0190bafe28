#!/usr/bin/env bash
# e2e: a Kafka-source pipeline's librdkafka properties pass through -
# against floe's Kafka port with SASL/PLAIN users (kafka.users), a worker
# with security.protocol SASL_PLAINTEXT, sasl.mechanism PLAIN and the
# right password reads produced records into its table; one with a wrong
# password shows the authentication failure in floe status and its log
# (never a silent stall). One worker process runs both pipelines.
# Env: FLOE_BIN, FLOE_SRC.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
PY=/usr/bin/python3
fpid=
trap '[ -n "$fpid" ] && kill -9 "$fpid" 2>/dev/null; floe_up_cleanup' EXIT

cat > "$T/broker.yaml" <<'YAML'
topics:
  - {name: ks_sasl, partitions: 2}
pipelines: []
kafka:
  users:
    - {name: alice, password: s3cret}
YAML
floe_up_start -c "$T/broker.yaml"
BOOT=127.0.0.1:$(kport)
FP=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cat > "$T/worker.yaml" <<YAML
tables:
  - name: ks_good
    schema: [{name: id, type: string}, {name: n, type: long}]
  - name: ks_bad
    schema: [{name: id, type: string}, {name: n, type: long}]
pipelines:
  - name: good
    source:
      kafka:
        bootstrap: "$BOOT"
        topics: [ks_sasl]
        group: floe-good
        properties: {security.protocol: SASL_PLAINTEXT, sasl.mechanism: PLAIN,
                     sasl.username: alice, sasl.password: s3cret}
    table: default.ks_good
    commit_interval_ms: 300
  - name: bad
    source:
      kafka:
        bootstrap: "$BOOT"
        topics: [ks_sasl]
        group: floe-bad
        properties: {security.protocol: SASL_PLAINTEXT, sasl.mechanism: PLAIN,
                     sasl.username: alice, sasl.password: wrong}
    table: default.ks_bad
    commit_interval_ms: 300
YAML
"$FLOE" up -c "$T/worker.yaml" --data "$T/w" --listen "127.0.0.1:$FP" --kafka-listen 127.0.0.1:0 >"$T/w.log" 2>&1 &
fpid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$FP/health" >/dev/null 2>&1 && break; sleep 0.1; done
W=(--warehouse "file://$T/w/warehouse" --catalog "sqlite://$T/w/catalog.db")
$PY - "$BOOT" <<'PY'
import json, sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1], "security.protocol": "SASL_PLAINTEXT",
              "sasl.mechanism": "PLAIN", "sasl.username": "alice", "sasl.password": "s3cret"})
for i in range(500):
    p.produce("ks_sasl", key=str(i), value=json.dumps({"id": "r%d" % i, "n": i}))
sys.exit(1 if p.flush(30) else 0)
PY
check "the right password: every record once" 'wait_sql "SELECT COUNT(*), COUNT(DISTINCT id) FROM ks_good" "500,500"'
check "a wrong password: the error in floe status" 'wait_status "http://127.0.0.1:$FP" "error: .*auth"'
check "... and in the log" 'grep -ci "ERROR pipeline bad.*auth" "$T/w.log" >/dev/null'
check "... and nothing in its table" '[ "$(sql "SELECT COUNT(*) FROM ks_bad")" = 0 ]'
kill -TERM "$fpid"
check "worker stops cleanly" 'wait "$fpid"'
fpid=
if [ "$fail" -gt 0 ]; then grep -i "bad\|auth" "$T/w.log" | tail -n 15 >&2; fi
echo "kafka_source_sasl: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
