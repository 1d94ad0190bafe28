#!/usr/bin/env bash
# e2e: a topic grows while floe runs (Kafka's CreatePartitions from
# confluent-kafka's AdminClient, lib/kafka_grow.py): keyed records
# produced before and after, the new ones landing in the new partitions;
# the pipeline reading the topic picks the new partitions up from offset
# 0 and its table holds every record once, at the partition and offset
# its delivery report said; a consumer group subscribed before the grow
# reads them all once; HTTP ingest's partitioner spreads keys over the
# new count; after a restart the count stays and the pipeline neither
# rereads nor skips.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
PY=/usr/bin/python3
$PY -c 'import confluent_kafka' 2>/dev/null || { echo "kafka_partitions: python3-confluent-kafka is not installed" >&2; exit 1; }
LIB="$(dirname "$0")/lib/kafka_grow.py"
cat >"$T/floe.yaml" <<'YAML'
topics:
  - {name: grow, partitions: 2}
tables:
  - namespace: default
    name: grow
    schema:
      - {name: id, type: long, required: true}
      - {name: k, type: string}
      - {name: _kafka_partition, type: int}
      - {name: _kafka_offset, type: long}
pipelines:
  - name: grow
    topic: grow
    table: default.grow
    commit_interval_ms: 200
YAML
floe_up_start -c "$T/floe.yaml"
B="127.0.0.1:$(kport)"
rows="select id || ' ' || _kafka_partition || ' ' || _kafka_offset from grow"
count="select count(*) || ' ' || count(distinct id) from grow"

check "100 keyed records into 2 partitions" '$PY "$LIB" "$B" grow before 100 >"$T/before"'
check "the pipeline has them" 'wait_sql "$count" "100 100"'
$PY "$LIB" "$B" grow group 400 >"$T/group" 2>&1 &
gpid=$!
for _ in $(seq 120); do grep -q "^assigned 2$" "$T/group" && break; sleep 0.25; done
check "the member has the 2 partitions before the grow" 'grep -q "^assigned 2$" "$T/group"'
check "CreatePartitions: validate only, refusals, 2 -> 6" '$PY "$LIB" "$B" grow grow 6 >&2'
check "300 more keyed records" '$PY "$LIB" "$B" grow after 100 400 >"$T/after"'
check "some land in the new partitions 2..5" '[ "$(awk "\$2 >= 2" "$T/after" | cut -d" " -f2 | sort -u | wc -l)" = 4 ]'
check "the pipeline reads the new partitions: every record once" 'wait_sql "$count" "400 400"'
sql "$rows" | sort -n >"$T/rows"
check "each row at the partition and offset its delivery report said" 'diff <(sort -n "$T/before" "$T/after") "$T/rows" >&2'
wait "$gpid" || true
check "a group subscribed before the grow rebalances to 6 partitions and reads all 400 once" 'grep -q "^group 400 dups 0 partitions 6 assignments 2,\(.*,\)*6$" "$T/group"'
cat "$T/group" >&2

# HTTP ingest (REST proxy v2) partitions keys over all 6 now, as Kafka's partitioner
python3 -c 'import json; print(json.dumps({"records": [{"key": "k%d" % i, "value": {"id": i, "k": "k%d" % i}} for i in range(1000, 1040)]}))' >"$T/http.json"
curl -fs -H 'Content-Type: application/vnd.kafka.json.v2+json' --data @"$T/http.json" "$URL/topics/grow" >"$T/http.out"
check "HTTP: keyed records use the new partitions too" 'python3 -c "import json,sys; p={o[\"partition\"] for o in json.load(open(sys.argv[1]))[\"offsets\"]}; assert p >= {2,3,4,5}, p" "$T/http.out"'
check "the pipeline has them: 440 once each" 'wait_sql "$count" "440 440"'

kill -TERM "$pid"; wait "$pid" || true; pid=
check "the count persists" '"$FLOE" topic --log-dir "$T/d/log" describe grow | python3 -c "import json,sys; assert json.load(sys.stdin)[\"partitions\"] == 6"'
floe_up_start -c "$T/floe.yaml"
B="127.0.0.1:$(kport)"
check "after a restart: 100 more" '$PY "$LIB" "$B" grow after 400 500 >"$T/more"'
check "the pipeline neither rereads nor skips" 'wait_sql "$count" "540 540"'
sql "$rows" | sort -n >"$T/rows"
check "every row where its report said, after the restart too" 'diff <(sort -n "$T/before" "$T/after" "$T/more") <(grep -v "^10[0-9][0-9] " "$T/rows") >&2'

echo "kafka_partitions: $pass passed, $fail failed"
[ "$fail" = 0 ]
