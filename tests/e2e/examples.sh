#!/usr/bin/env bash
# e2e: every scenario in examples/ runs as shipped - `floe config check`
# accepts it, `floe up -c examples/X.yaml` (on a temp data dir and a free
# port) creates its tables, `floe gen X` drives it for a couple of
# seconds, and `floe sql` finds the seed's expected results:
#   datalake     5/2/2 rows after many loops, no new snapshot while the
#                same files keep coming, a new uuid in the next commit
#   weather      rows = acknowledged events, ts from the hour stamp, hour(ts) partitions
#   clickstream  rows = acknowledged events, dt = date(ts), partitioned by dt
#   iot          the same, over 4 log partitions; ts in epoch milliseconds
#                (seed 002's own form) lands on its day
#   ratings      rows = acknowledged events, day(timestamp) partitions, _kafka_* =
#                the record's position (unique offsets), processed_timestamp set
# and `floe status` reports each pipeline's counters.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
EX=${FLOE_SRC:?}/examples
gen() { # scenario rate duration -> acknowledged count
    "$FLOE" gen "$1" --rate "$2" --duration "$3" --threads 2 --target "$URL" > "$T/gen.out"
    sed -n 's/.*: \([0-9]*\) requests ok, 0 failed.*/\1/p' "$T/gen.out"
}
stop() { kill -TERM "$pid"; wait "$pid"; local st=$?; pid=; [ "$st" = 0 ]; }
restart_clean() { stop; rm -rf "$T/d" "$T/up.log"; }

for f in "$EX"/*.yaml; do
    check "config check $(basename "$f")" '"$FLOE" config check "$f" >/dev/null'
done

# ---- datalake (seed 000) ----
floe_up_start -c "$EX/datalake.yaml"
check "datalake: tables created" 'grep -q "table default.sessions created" "$T/up.log"'
check "datalake loop" '[ -n "$(gen datalake 90 2)" ]'
check "sessions 5" 'wait_sql "select count(*) from sessions" 5'
check "employees 2" 'wait_sql "select count(*) from employees" 2'
check "clients 2" 'wait_sql "select count(*) from clients" 2'
check "partitioned by status" 'wait_sql "select count(distinct partition) from \"sessions\$files\"" 2'
sleep 1
s0=$(sql 'select count(*) from "sessions$snapshots"')
check "datalake loop again" '[ -n "$(gen datalake 90 2)" ]'
sleep 1.5
check "still 5/2/2" '[ "$(sql "select (select count(*) from sessions)||(select count(*) from employees)||(select count(*) from clients)")" = 522 ]'
check "no new snapshot while nothing changes ($s0)" '[ "$(sql "select count(*) from \"sessions\$snapshots\"")" = "$s0" ]'
printf '{"uuid":"session-new","status":"approved","client_uuid":"client-1","specialist_uuid":"employee-1"}' > "$T/sessions_new.json"
curl -fs -o /dev/null -F "file=@$T/sessions_new.json" "$URL/upload/file/sessions_new.json"
check "a new uuid shows up in the next commit" 'wait_sql "select count(*) from sessions" 6'
check "one snapshot for it" '[ "$(sql "select count(*) from \"sessions\$snapshots\"")" = "$((s0 + 1))" ]'
check "status: sessions pipeline" '"$FLOE" status --url "$URL" | grep -q "^sessions .*default.sessions"'
check "status: lag 0, one row per pipeline" '[ "$("$FLOE" status --url "$URL" --json | python3 -c "
import json,sys; p=json.load(sys.stdin)[\"pipelines\"]; print(len(p), sum(x[\"lag\"] for x in p), [x for x in p if x[\"name\"]==\"sessions\"][0][\"committed\"])")" = "3 0 6" ]'
restart_clean

# ---- weather (seed 001) ----
floe_up_start -c "$EX/weather.yaml"
n=$(gen weather 100 2)
check "weather: events acknowledged ($n)" '[ -n "$n" ] && [ "$n" -gt 50 ]'
check "weather: rows = acknowledged" 'wait_sql "select count(*) from weather" "$n"'
check "weather: ts is the hour of arrival" '[ "$(sql "select count(*) from weather where ts not like \"%:00:00%\" or processed_timestamp is null or temperature is null")" = 0 ]'
check "weather: hour(ts) partitions" '[ "$(sql "select count(*) from \"weather\$files\" where partition not like \"%ts_hour%\"")" = 0 ]'
check "weather_agg: every reading counted once" 'wait_sql "select sum(record_count) from weather_agg" "$n"'
check "weather_agg: every city" '[ "$(sql "select count(distinct city) from weather_agg")" = "$(sql "select count(distinct city) from weather")" ] && [ "$(sql "select count(distinct city) from weather")" -gt 1 ]'
check "weather_agg: per city, the raw table's average" '[ "$(sql "select count(*) from weather_agg a join (select city, avg(temperature) t from weather group by city) r using (city) group by city having abs(sum(a.avg_temperature * a.record_count) / sum(a.record_count) - max(r.t)) > 1e-9")" = "" ]'
restart_clean

# ---- clickstream and iot (seed 002) ----
for s in clickstream iot; do
    floe_up_start -c "$EX/$s.yaml"
    n=$(gen "$s" 200 2)
    check "$s: events acknowledged ($n)" '[ -n "$n" ] && [ "$n" -gt 100 ]'
    check "$s: rows = acknowledged" 'wait_sql "select count(*) from $s" "$n"'
    check "$s: dt = date(ts)" '[ "$(sql "select count(*) from $s where dt != substr(ts, 1, 10)")" = 0 ]'
    if [ "$s" = clickstream ]; then
        check "pageviews: per url and minute, the raw table's count" 'wait_sql "select count(*) from (select url, substr(ts, 1, 16) m, count(*) c from clickstream group by 1, 2) r left join clickstream_pageviews v on v.url = r.url and substr(v.window_start, 1, 16) = r.m where v.page_views is not r.c" 0'
    fi
    check "$s: partitioned by dt" '[ "$(sql "select count(*) from \"$s\$files\" where partition not like \"%dt%\"")" = 0 ]'
    check "$s: 4 log partitions" '[ "$("$FLOE" topic describe "$s" --log-dir "$T/d/log" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"partitions\"])")" = 4 ]'
    check "$s: status lag 0" '"$FLOE" status --url "$URL" --json | grep -q "\"lag\":0"'
    if [ "$s" = iot ]; then # seed 002 sends ts in epoch milliseconds: 2026, not 1970-01-21
        curl -fs -H 'Content-Type: application/vnd.kafka.json.v2+json' \
            -d '{"records":[{"value":{"device_id":"seed002-ms","site":"a","ts":1767780000000}}]}' \
            "$URL/topics/iot" >/dev/null
        check "iot: ts in epoch ms lands on its day" 'wait_sql "select ts || \" \" || dt from iot where device_id = \"seed002-ms\"" "2026-01-07 10:00:00.000000+00:00 2026-01-07"'
    fi
    restart_clean
done

# ---- ratings (seed 004) ----
floe_up_start -c "$EX/ratings.yaml"
n=$(gen ratings 50 2)
check "ratings: events acknowledged ($n)" '[ -n "$n" ] && [ "$n" -gt 20 ]'
check "ratings: rows = acknowledged" 'wait_sql "select count(*) from bronze_ratings_streaming" "$n"'
check "ratings: _kafka_* is the record's position" '[ "$(sql "select count(distinct _kafka_offset)||\" \"||min(_kafka_offset)||\" \"||max(_kafka_offset)||\" \"||count(distinct _kafka_topic)||max(_kafka_topic)||max(_kafka_partition) from bronze_ratings_streaming")" = "$n 0 $((n - 1)) 1nail_salon_ratings0" ]'
check "ratings: processed_timestamp set, timestamp parsed" '[ "$(sql "select count(*) from bronze_ratings_streaming where processed_timestamp is null or timestamp is null")" = 0 ]'
check "ratings: day(timestamp) partitions" '[ "$(sql "select count(*) from \"bronze_ratings_streaming\$files\" where partition not like \"%timestamp_day%\"")" = 0 ]'
stop

echo "examples: $pass passed, $fail failed"
[ "$fail" = 0 ]
