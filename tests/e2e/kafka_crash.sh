#!/usr/bin/env bash
# e2e: kill -9 during acks=all produce from an idempotent producer
# (confluent-kafka, lib/kafka_crash_producer.py), ten rounds: floe is
# killed at a random moment and restarted on the same ports while the
# producer keeps sending and retrying. Afterwards every acknowledged
# record is in the log exactly once, at the partition and offset its
# delivery report gave, in order within its partition; retries that
# crossed a restart were not appended twice (producer state rebuilt from
# the log's batch headers); no record is in the log twice at all. And
# one retry after a restart, sent byte by byte (lib/kafka_retry.py), is
# answered with the offset of the copy the log already holds.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
PY=/usr/bin/python3
$PY -c 'import confluent_kafka' 2>/dev/null || { echo "kafka_crash: python3-confluent-kafka is not installed" >&2; exit 1; }
KP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
export KAFKA_LISTEN=127.0.0.1:$KP
"$FLOE" topic --log-dir "$T/d/log" create crash --partitions 2 >/dev/null
floe_up_start
$PY "$(dirname "$0")/lib/kafka_crash_producer.py" "$KAFKA_LISTEN" "$T/acks" "$T/stop" >"$T/producer.out" 2>&1 &
prod=$!
for round in $(seq 1 10); do
    sleep "0.$((RANDOM % 7 + 3))"
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
    floe_up_start
done
sleep 1
touch "$T/stop"
st=0; wait "$prod" || st=$?
cat "$T/producer.out" >&2
check "the producer saw every record delivered" '[ $st = 0 ]'
"$FLOE" sql --data "$T/d" --format csv --no-header \
    "SELECT cast(value as text), partition, offset FROM topic.crash ORDER BY partition, offset" | tr , " " >"$T/log"
check "many records acknowledged across the crashes" '[ "$(wc -l <"$T/acks")" -gt 200 ]'
check "no record in the log twice" '[ "$(cut -d" " -f1 "$T/log" | sort | uniq -d | wc -l)" = 0 ]'
check "every acknowledged record where its report says" 'python3 - "$T/acks" "$T/log" <<'"'"'PY'"'"'
import sys
log = {}
for line in open(sys.argv[2]):
    v, p, o = line.split()
    log[(int(p), int(o))] = v
bad = [l for l in open(sys.argv[1]) if log.get((int(l.split()[1]), int(l.split()[2]))) != l.split()[0]]
print(len(bad), "acknowledged records missing or elsewhere", bad[:3], file=sys.stderr)
sys.exit(1 if bad else 0)
PY'
check "in order within each partition" 'python3 - "$T/log" <<'"'"'PY'"'"'
import sys
last = {}
for line in open(sys.argv[1]):
    v, p, o = map(int, line.split())
    if v <= last.get(p, -1):
        sys.exit(1)
    last[p] = v
PY'
# one retry across a restart, byte by byte: answered with its first offset, not stored twice
python3 "$(dirname "$0")/lib/kafka_retry.py" "$KP" "$T/retry.state" send >&2
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
floe_up_start
check "a retry that crosses a restart is not appended again" 'python3 "$(dirname "$0")/lib/kafka_retry.py" "$KP" "$T/retry.state" retry >&2'
check "... the log holds each record once" '[ "$("$FLOE" sql --data "$T/d" --format csv --no-header "SELECT count(*) FROM topic.retry")" = 4 ]'

echo "kafka_crash: $pass passed, $fail failed"
[ "$fail" = 0 ]
