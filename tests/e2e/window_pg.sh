#!/usr/bin/env bash
# e2e: seed 001's Flink job replaced - weather events over GET /log and
# POST /topics/weather (in order, out of order within the 10 s lateness,
# and late beyond it) through `floe up` into 1-minute tumbling windows
# per city, upserted into the Iceberg table default.weather_agg and a real
# PostgreSQL 15 table (seed 001's analytics `weather`). A kill -9 in the
# middle and a restart change nothing. Both tables must equal a
# computation of its own here (python3) from the raw table default.weather
# (every event, with its offset), and the late events must be exactly the
# "late:" ones in weather.dlq. A throwaway PostgreSQL from lib/pg_up.bash
# (fails, does not skip, when PostgreSQL is missing).
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
. "$(dirname "$0")/lib/pg_up.bash"
trap 'pg_up_cleanup; floe_up_cleanup' EXIT
pg_up_start
psql_ -c "CREATE DATABASE analytics" postgres

# the raw table, then floe up with the raw and the window pipelines
printf '%s' '{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"city","required":true,"type":"string"},
 {"id":2,"name":"temperature","required":false,"type":"double"},
 {"id":3,"name":"ts","required":true,"type":"timestamptz"},
 {"id":4,"name":"_kafka_partition","required":false,"type":"int"},
 {"id":5,"name":"_kafka_offset","required":false,"type":"long"}]}' >"$T/weather.json"
"$FLOE" table "${W[@]}" create default.weather --schema "$T/weather.json" >/dev/null
cat >"$T/floe.yaml" <<EOF
pipelines:
  - {name: weather, topic: weather, table: default.weather, commit_interval_ms: 200}
  - name: weather_agg
    topic: weather
    table: default.weather_agg
    commit_interval_ms: 200
    window:
      time: ts
      key: [city]
      size: 1m
      lateness: 10s
      aggregates:
        - {avg: temperature, as: avg_temperature}
        - {count: "*", as: record_count}
      postgres: {uri: "postgresql://postgres@127.0.0.1:$PGPORT/analytics", table: weather}
EOF
floe_up_start -c "$T/floe.yaml"

post() { # ts-seconds-after-2030-01-01 city temperature ...: one POST of explicit events
    local body='{"records":[' base=1893456000
    while [ $# -ge 3 ]; do
        body+="{\"value\":{\"city\":\"$2\",\"temperature\":$3,\"ts\":$(( (base + $1) * 1000000 ))}},"
        shift 3
    done
    curl -fs -H 'Content-Type: application/vnd.kafka.json.v2+json' -d "${body%,}]}" "$URL/topics/weather" >/dev/null
}
topic_end() { "$FLOE" topic --log-dir "$T/d/log" describe weather |
    python3 -c 'import json,sys; print(sum(p["end_offset"] for p in json.load(sys.stdin)["partition_info"]))'; }
committed() { # the next offset weather_agg's latest snapshot recorded (-1: none)
    "$FLOE" sql "${W[@]}" --format ndjson \
        "select summary from \"weather_agg\$snapshots\" s where not exists (select 1 from \"weather_agg\$snapshots\" c where c.parent_id = s.snapshot_id)" 2>/dev/null |
        python3 -c '
import json,sys
l = sys.stdin.read().strip()
s = json.loads(l)["summary"] if l else {}
s = json.loads(s) if isinstance(s, str) else s  # a map: a JSON object in ndjson
print(sum(json.loads(s["floe.offsets.weather"]).values()) if "floe.offsets.weather" in s else -1)'
}
wait_caught_up() { # until weather_agg has committed every record of the topic
    local want; want=$(topic_end)
    for _ in $(seq 120); do [ "$(committed)" = "$want" ] && return 0; sleep 0.25; done
    echo "window_pg: weather_agg stuck at $(committed) of $want" >&2
    return 1
}

# 1. in order over GET /log (seed 001's client: ts is the hour of arrival)
for i in $(seq 1 12); do
    curl -fs "$URL/log?city=city$((i % 3))&temperature=$((i * 7 % 90)).25" >/dev/null
done
# 2. explicit event times (2030-01-01): in order, then out of order within
#    the lateness, then late beyond it; the GET /log events are late from
#    here on (their hour is before the watermark)
post 5 Denver 50 20 Denver 52.5 30 Miami 80 65 Denver 49 70 Miami 81.5
wait_caught_up
post 62 Miami 79 58 Denver 51 71 Boston 40   # 58: window [0,60) still open (watermark 60)
post 200 Denver 47 190 Miami 77               # watermark 190
post 100 Miami 70 119 Boston 41 185 Boston 42  # 100 and 119: late; 185: window [180,240) open
curl -fs "$URL/log?city=city1&temperature=10" >/dev/null   # late: an hour stamp
# 3. kill -9 in the middle of a stream, restart: nothing may change
( for i in $(seq 1 30); do post $((240 + i * 3)) "city$((i % 4))" "$((i % 17)).5" $((230 + i)) "city$((i % 4))" 3; done ) &
loader=$!
sleep 0.$((RANDOM % 6 + 2))
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
wait "$loader" 2>/dev/null || true
floe_up_start -c "$T/floe.yaml"
post 400 Denver 45 330 Miami 60 401 Denver 46.5
check "window table catches up with the topic" 'wait_caught_up'
# 4. PostgreSQL goes away: the pipeline retries and does not commit past
#    what PostgreSQL has not taken; once it is back, it catches up
pg_up_stop
before=$(committed)
post 402 Denver 44 403 Boston 43
sleep 2
check "no Iceberg commit while PostgreSQL is down" '[ "$(committed)" = "$before" ]'
pg_up_start
check "caught up after PostgreSQL is back" 'wait_caught_up'
kill -TERM "$pid"; wait "$pid"; st=$?; pid=
check "SIGTERM exits 0" '[ "$st" = 0 ]'

# the independent computation, from the raw table, in offset order
"$FLOE" table "${W[@]}" scan default.weather >"$T/raw.ndjson"
"$FLOE" sql "${W[@]}" --format ndjson "select city, window_start, window_end, avg_temperature, record_count from weather_agg" >"$T/ice.ndjson"
psql_ -At -F'|' -d analytics -c "select city, extract(epoch from window_start)::bigint, extract(epoch from window_end)::bigint, avg_temperature, record_count, last_updated is not null from weather" >"$T/pg.txt"
"$FLOE" topic --log-dir "$T/d/log" tail weather.dlq --from-beginning --max 100000 >"$T/dlq.ndjson"
check "PostgreSQL, Iceberg and the raw table agree; late events are the dead letters" 'python3 - "$T" <<"PY"
import json, sys, datetime, collections
T = sys.argv[1]
def ts(s):
    return int(datetime.datetime.fromisoformat(s.replace(" ", "T")).timestamp())
raw = sorted((json.loads(l) for l in open(T + "/raw.ndjson")), key=lambda r: r["_kafka_offset"])
offs = [r["_kafka_offset"] for r in raw]
assert offs == list(range(len(raw))), "raw table: offsets missing or twice"
mx, late, win = None, set(), collections.defaultdict(list)
for r in raw:   # max event time - 10 s lateness; a window [s, s+60) is closed once s+60 <= watermark
    t = ts(r["ts"]); mx = t if mx is None else max(mx, t)
    s = t - t % 60
    if s + 60 <= mx - 10: late.add(r["_kafka_offset"]); continue
    win[(r["city"], s)].append(r["temperature"])
want = {k: (sum(v) / len(v), len(v)) for k, v in win.items()}
assert len(late) >= 4, f"expected late events, got {late}"
dlq = {json.loads(l)["value"]["offset"] for l in open(T + "/dlq.ndjson") if json.loads(l)["value"]["reason"].startswith("late: ")}
assert dlq == late, f"dead letters {sorted(dlq)} != late {sorted(late)}"
def same(name, got):
    assert set(got) == set(want), f"{name}: windows {sorted(set(got) ^ set(want))[:5]} differ"
    for k, (avg, n) in want.items():
        ga, gn = got[k]
        assert gn == n and abs(ga - avg) <= 1e-9 * max(1, abs(avg)), f"{name} {k}: {got[k]} != {(avg, n)}"
ice = {}
for l in open(T + "/ice.ndjson"):
    r = json.loads(l)
    k = (r["city"], ts(r["window_start"]))
    assert k not in ice, f"iceberg: window {k} twice"
    assert ts(r["window_end"]) == k[1] + 60
    ice[k] = (r["avg_temperature"], r["record_count"])
same("iceberg", ice)
pg = {}
for l in open(T + "/pg.txt"):
    c, s, e, a, n, upd = l.rstrip("\n").split("|")
    assert int(e) == int(s) + 60 and upd == "t"
    pg[(c, int(s))] = (float(a), int(n))
same("postgresql", pg)
print(f"window_pg: {len(want)} windows from {len(raw)} events ({len(late)} late) equal in PostgreSQL and Iceberg")
PY'
cols_q="select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns where table_name = 'weather'"
pk_q="select string_agg(a.attname, ',' order by k.i) from pg_index x cross join unnest(x.indkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.n where x.indrelid = 'weather'::regclass and x.indisprimary"
check "PostgreSQL table has seed 001's columns" '[ "$(psql_ -At -d analytics -c "$cols_q")" = "city,avg_temperature,window_start,window_end,record_count,last_updated" ]'
check "PostgreSQL primary key is (city, window_start)" '[ "$(psql_ -At -d analytics -c "$pk_q")" = "city,window_start" ]'

echo "window_pg: $pass passed, $fail failed"
[ "$fail" = 0 ]
