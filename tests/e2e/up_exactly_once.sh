#!/usr/bin/env bash
# e2e: issue 5's exactly-once proof. `floe up` runs three pipelines at
# once - xo_events -> an append table (3 partitions, required/allowed
# rules), xo_accounts -> an upsert table keyed by uuid, xo_ratings -> an
# append table through map steps (rename, cast, derive) - while
# exactly_produce.py's five producer threads POST valid records mixed
# with invalid ones of known kinds (bad JSON, missing required field,
# wrong type, disallowed status, failed cast) and write down every
# acknowledged record's partition and offset. floe is killed with
# SIGKILL at a random moment, restarted on the same data directory,
# producing continues; several rounds. Then a last round without a kill,
# until every pipeline has consumed its topic, and a graceful stop.
# exactly_check.py then proves: every acknowledged valid record is in its
# table exactly once (by id and by offset), the upsert table has one row
# per uuid with the key's last value, each dead-letter topic holds
# exactly the invalid records (distinct source offsets) and no valid one;
# tests/interop/snapshots_icebird.mjs proves every snapshot of every
# table reads in icebird as floe reads it. ROUNDS (default 4) kill
# rounds; about 40 s under AddressSanitizer. Env: FLOE_BIN, FLOE_SRC.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
SRC=${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
ROUNDS=${ROUNDS:-4}
producer=
trap '[ -n "$producer" ] && kill -9 "$producer" 2>/dev/null; floe_up_cleanup' EXIT

cat > "$T/xo.yaml" <<'YAML'
topics:
  - {name: xo_events, partitions: 3, sync: always}
  - {name: xo_accounts, partitions: 2, sync: always}
  - {name: xo_ratings, partitions: 1, sync: always}
tables:
  - name: xo_events
    schema:
      - {name: id, type: string}
      - {name: n, type: long}
      - {name: status, type: string}
      - {name: _kafka_partition, type: int}
      - {name: _kafka_offset, type: long}
    partition: ['bucket(4, id)']
  - name: xo_accounts
    schema:
      - {name: uuid, type: string, required: true}
      - {name: rid, type: string}
      - {name: balance, type: long}
      - {name: status, type: string}
      - {name: _kafka_partition, type: int}
      - {name: _kafka_offset, type: long}
    identifier: [uuid]
  - name: xo_ratings
    schema:
      - {name: id, type: string}
      - {name: customer_id, type: int}
      - {name: rating_value, type: float}
      - {name: timestamp, type: timestamp}
      - {name: processed_timestamp, type: timestamptz}
      - {name: src_topic, type: string}
      - {name: src_offset, type: long}
    partition: [day(timestamp)]
pipelines:
  - {name: events, topic: xo_events, table: default.xo_events, commit_interval_ms: 500,
     required: [id, n], allowed: {status: [ok, warn]}}
  - {name: accounts, topic: xo_accounts, table: default.xo_accounts, commit_interval_ms: 700,
     allowed: {status: [active, closed]}}
  - name: ratings
    topic: xo_ratings
    table: default.xo_ratings
    required: [id, customer_id]
    map:
      - rename: {from: rid, to: id}
      - cast: rating_value
      - cast: timestamp
      - derive: {column: processed_timestamp, from: now}
      - derive: {column: src_topic, from: topic}
      - derive: {column: src_offset, from: offset}
YAML
produce() { python3 "$SRC/tests/e2e/exactly_produce.py" "$PORT" "$@" 2>>"$T/producer.err" & producer=$!; }
# the pipelines have consumed every record of their topics
caught_up() {
    curl -fs "$URL/status" | python3 -c '
import json, sys
p = json.load(sys.stdin)["pipelines"]
sys.exit(0 if len(p) == 3 and all(x["lag"] == 0 for x in p) else 1)'
}

: > "$T/acks"
for round in $(seq "$ROUNDS"); do
    floe_up_start -c "$T/xo.yaml"
    produce "r$round" "$T/acks"
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.3, 3.0), 2))')"
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
    wait "$producer" 2>/dev/null || true; producer=
    echo "round $round: $(wc -l < "$T/acks") acknowledged so far"
done
check "producers saw only 200 replies" '! grep -q . "$T/producer.err"'
# a last round without a kill: produce, catch up, stop gracefully
floe_up_start -c "$T/xo.yaml"
produce "final" "$T/acks" 2
wait "$producer"; producer=
check "the pipelines catch up" 'for _ in $(seq 120); do caught_up && break; sleep 0.25; done; caught_up'
kill -TERM "$pid"; st=0; wait "$pid" || st=$?; pid=
check "SIGTERM exits 0" '[ "$st" = 0 ]'
check "no sanitizer report" '! grep -q "ERROR: AddressSanitizer\|runtime error:" "$T/up.log"'
check "every acknowledged record exactly once, dead letters exactly the invalid ones" \
    'python3 "$SRC/tests/e2e/exactly_check.py" "$FLOE" "$T/d" "$T/acks"'
check "every snapshot of every table reads in icebird as in floe" \
    'node "$SRC/tests/interop/snapshots_icebird.mjs" "$T/d" xo_events:id,_kafka_partition,_kafka_offset \
        xo_accounts:uuid,rid,balance,status,_kafka_offset xo_ratings:id,src_offset,customer_id'
# the checker must see a broken table: one events row appended again
# (a duplicate) and one account deleted (a lost key)
"$FLOE" table "${W[@]}" scan default.xo_events --limit 1 > "$T/dup.ndjson"
"$FLOE" table "${W[@]}" append default.xo_events "$T/dup.ndjson" > /dev/null
"$FLOE" table "${W[@]}" delete default.xo_accounts --where "uuid = u07" > /dev/null
st=0; python3 "$SRC/tests/e2e/exactly_check.py" "$FLOE" "$T/d" "$T/acks" > /dev/null 2> "$T/broken" || st=$?
check "the checker fails on a duplicate and a lost key" '[ "$st" = 1 ] &&
    grep -q "xo_events: offsets in the table more than once: 1" "$T/broken" &&
    grep -q "xo_accounts: uuids missing from the table: 1" "$T/broken"'
[ "$fail" = 0 ] || tail -30 "$T/up.log" >&2
echo "up_exactly_once: $pass passed, $fail failed"
[ "$fail" = 0 ]
