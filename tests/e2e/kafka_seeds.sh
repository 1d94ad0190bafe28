#!/usr/bin/env bash
# e2e: the seeds' producers over Kafka, unchanged in shape
# (lib/kafka_seed_producer.py, confluent-kafka, idempotent, acks=all):
# seed 004's ratings keyed by customer_id into examples/ratings.yaml's
# bronze table, exactly once, with _kafka_partition and _kafka_offset
# what each delivery report said; seed 002's iot readings keyed by device
# into examples/iot.yaml's table over 4 partitions, each key in one.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
PY=/usr/bin/python3
$PY -c 'import confluent_kafka' 2>/dev/null || { echo "kafka_seeds: python3-confluent-kafka is not installed" >&2; exit 1; }
EX="$FLOE_SRC/examples"
LIB="$(dirname "$0")/lib/kafka_seed_producer.py"

floe_up_start -c "$EX/ratings.yaml"
$PY "$LIB" "127.0.0.1:$(kport)" ratings 60 | sort >"$T/reports"
check "ratings: 60 delivered" '[ "$(wc -l <"$T/reports")" = 60 ]'
check "ratings: rows = delivered, once each" 'wait_sql "select count(*) || \" \" || count(distinct _kafka_offset) from bronze_ratings_streaming" "60 60"'
sql "select customer_id || ' ' || _kafka_partition || ' ' || _kafka_offset from bronze_ratings_streaming" | sort >"$T/rows"
check "ratings: _kafka_partition and _kafka_offset as the delivery reports said" 'diff "$T/reports" "$T/rows" >&2'
restart() { # example yaml
    kill -TERM "$pid"; wait "$pid" || true; pid=
    rm -rf "$T/d" "$T/up.log"
    floe_up_start -c "$EX/$1"
}
keyed() { # name scenario n count-query what: produce n keyed events, then
          # every one delivered and in the table, each key in one partition
    $PY "$LIB" "127.0.0.1:$(kport)" "$2" "$3" >"$T/$1"
    check "$1: $3 delivered" "[ \"\$(wc -l <'$T/$1')\" = $3 ]"
    check "$1: rows = delivered$6" "wait_sql \"$4\" \"$5\""
    check "$1: each key in one partition, several partitions used" \
        "[ \"\$(cut -d' ' -f1,2 '$T/$1' | sort -u | wc -l)\" = \"\$(cut -d' ' -f1 '$T/$1' | sort -u | wc -l)\" ] && [ \"\$(cut -d' ' -f2 '$T/$1' | sort -u | wc -l)\" -gt 1 ]"
}

restart iot.yaml
keyed iot iot 80 "select count(*) from iot" 80 ""
check "iot: dt = date(ts)" '[ "$(sql "select count(*) from iot where dt != substr(ts, 1, 10)")" = 0 ]'

restart clickstream.yaml
keyed clickstream clicks 90 "select count(*) || ' ' || count(distinct event_id) from clickstream" "90 90" ", once each"
check "clickstream: dt is the event's day (two days)" '[ "$(sql "select group_concat(dt || \":\" || n, \" \") from (select dt, count(*) n from clickstream group by dt order by dt)")" = "2026-01-07:45 2026-01-08:45" ]'

echo "kafka_seeds: $pass passed, $fail failed"
[ "$fail" = 0 ]
