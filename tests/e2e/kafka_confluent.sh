#!/usr/bin/env bash
# e2e: confluent-kafka (python3-confluent-kafka over librdkafka) against
# floe's Kafka server, unchanged (lib/kafka_confluent.py): a producer in
# seed 004's shape keyed by customer_id with acks=all whose delivery
# reports match where floe's log holds each record (floe sql topic.NAME),
# a consumer group from the beginning with commits, watermarks and
# offsets by time, a group of three that rebalances when one leaves with
# every record read exactly once, the AdminClient (create, delete and
# describe topics, list groups), and a restart of floe after which the
# group resumes from its committed offsets.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
PY=/usr/bin/python3
$PY -c 'import confluent_kafka' 2>/dev/null || { echo "kafka_confluent: python3-confluent-kafka is not installed" >&2; exit 1; }
LIB="$(dirname "$0")/lib/kafka_confluent.py"
"$FLOE" topic --log-dir "$T/d/log" create ratings_kafka --partitions 4 >/dev/null
floe_up_start
B="127.0.0.1:$(kport)"
q() { "$FLOE" sql --data "$T/d" --format csv --no-header "$@"; }

$PY "$LIB" "$B" produce >"$T/reports"
check "200 delivery reports" '[ "$(wc -l <"$T/reports")" = 200 ]'
q "SELECT partition, offset, cast(key as text) FROM topic.ratings_kafka" | tr , " " | sort >"$T/stored"
check "each record where its delivery report says (partition, offset, key)" 'diff <(sort "$T/reports") "$T/stored" >&2'
check "the same key always in one partition" '[ "$(awk "{print \$3, \$1}" "$T/reports" | sort -u | wc -l)" = 13 ]'

$PY "$LIB" "$B" consume >"$T/consume" 2>&1 || true
check "a group reads all 200, watermarks, offsets by time, commits" 'grep -q "^count 200 watermarks 0 [0-9]* times 0 -1$" "$T/consume"' 
cat "$T/consume" >&2

$PY "$LIB" "$B" group >"$T/group" 2>&1 || true
check "a group of three rebalances when one leaves: every record once" 'grep -q "^group ok 500 dups 0" "$T/group"'
cat "$T/group" >&2
check "the coordinator saw the group" '"$FLOE" sql --data "$T/d" "select 1" >/dev/null && ls "$T/d/log/groups/" | grep -q g-three'

$PY "$LIB" "$B" admin >"$T/admin" 2>&1 || true
check "AdminClient: create, refuse, describe configs, list groups, delete" 'grep -q "^admin ok" "$T/admin"'
cat "$T/admin" >&2

# restart floe: the committed offsets are the log's, the group resumes after them
kill "$pid"; wait "$pid" || true; pid=
floe_up_start
B="127.0.0.1:$(kport)"
$PY "$LIB" "$B" resume >"$T/resume" 2>&1 || true
check "after a restart the group reads only the new records" 'grep -q "^resume 350$" "$T/resume"'
cat "$T/resume" >&2

echo "kafka_confluent: $pass passed, $fail failed"
[ "$fail" = 0 ]
