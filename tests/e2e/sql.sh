#!/usr/bin/env bash
# e2e: `floe sql` over tables built with `floe table`: the seeds' Trino
# queries (rewritten only where dialects differ) with exact answers,
# COUNT(*) from manifests, partition pruning shown by the scan counters,
# metadata tables checked against `floe table snapshots/files`, time
# travel, output formats, errors with positions, -f and stdin, and an
# interactive session in tmux when tmux is installed.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
T=$(mktemp -d)
trap 'tmux -L floe-sql-$$ kill-server 2>/dev/null || true; rm -rf "$T"' EXIT
cd "$T"
export FLOE_WAREHOUSE="$T/warehouse"
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
q() { "$FLOE" sql --format csv --no-header "$@"; }
jget() { python3 -c "import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(d['$1'])"; }

# ---- the scenario tables ----
# sessions (seed 000): appended three times, partitioned by hour
cat > sessions.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"session_id","required":true,"type":"string"},
 {"id":2,"name":"user_id","required":false,"type":"long"},
 {"id":3,"name":"page_views","required":false,"type":"int"},
 {"id":4,"name":"revenue","required":false,"type":"decimal(10,2)"},
 {"id":5,"name":"started_at","required":true,"type":"timestamptz"},
 {"id":6,"name":"device","required":false,"type":"uuid"}]}
JSON
# weather (seed 001, Kafka Connect style): string temperature, ts the hour as text, identity-partitioned
cat > weather.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"city","required":true,"type":"string"},
 {"id":2,"name":"temperature","required":false,"type":"string"},
 {"id":3,"name":"humidity","required":false,"type":"double"},
 {"id":4,"name":"ts","required":true,"type":"string"}]}
JSON
cat > agg.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"window_start","required":true,"type":"timestamp"},
 {"id":2,"name":"city","required":true,"type":"string"},
 {"id":3,"name":"avg_temperature","required":false,"type":"double"},
 {"id":4,"name":"record_count","required":false,"type":"long"}]}
JSON
python3 - <<'PY'
import json
for part, start in (('s1', 0), ('s2', 40), ('s3', 100)):
    n = {'s1': 40, 's2': 60, 's3': 20}[part]
    with open(part + '.ndjson', 'w') as f:
        for k in range(start, start + n):
            f.write(json.dumps({'session_id': 'sess-%04d' % k, 'user_id': k % 7, 'page_views': k % 5,
                                'revenue': '%d.%02d' % (k, k % 100),
                                'started_at': '2026-01-08T%02d:%02d:00Z' % (10 + k // 30, k % 60),
                                'device': '00000000-0000-4000-8000-%012d' % k}) + '\n')
cities = ['Berlin', 'Madrid', 'Paris', 'Rome']
temps = {}
with open('weather.ndjson', 'w') as f:
    for h in range(12, 16):
        for i in range(20):
            c = cities[i % 4]
            t = round(10 + h * 0.5 + i * 0.25, 2)
            temps.setdefault(c, []).append(t)
            f.write(json.dumps({'city': c, 'temperature': '%.2f' % t, 'humidity': 0.5,
                                'ts': '2026-01-08-%02d' % h}) + '\n')
with open('avg.expected', 'w') as f:
    for c in sorted(temps):
        f.write('%s,%s\n' % (c, repr(sum(temps[c]) / len(temps[c]))))
with open('agg.ndjson', 'w') as f:
    for h in range(12, 16):
        for j, c in enumerate(cities):
            f.write(json.dumps({'window_start': '2026-01-08T%02d:00:00' % h, 'city': c,
                                'avg_temperature': 10.0 + j + h, 'record_count': 5 + j}) + '\n')
PY
"$FLOE" table create default.sessions --schema sessions.json --partition "hour(started_at)" >/dev/null
for s in s1 s2 s3; do "$FLOE" table append default.sessions $s.ndjson >/dev/null; done
"$FLOE" table create default.weather --schema weather.json --partition ts >/dev/null
"$FLOE" table append default.weather weather.ndjson >/dev/null
"$FLOE" table create default.weather_agg --schema agg.json >/dev/null
"$FLOE" table append default.weather_agg agg.ndjson >/dev/null
"$FLOE" table create lake.events --schema weather.json >/dev/null
"$FLOE" table append lake.events weather.ndjson >/dev/null

# ---- seed 000: COUNT(*) and snapshots ----
check "count sessions" '[ "$(q "SELECT COUNT(*) FROM sessions")" = 120 ]'
check "count snapshots" '[ "$(q "SELECT COUNT(*) FROM \"sessions\$snapshots\"")" = 3 ]'
check "snapshot_count alias" '[ "$(q "SELECT COUNT(*) as snapshot_count FROM \"sessions\$snapshots\"")" = 3 ]'
q --stats "SELECT COUNT(*) FROM sessions" 2> count.stats >/dev/null
check "count(*) from manifests" '[ "$(jget count_only < count.stats)" = 1 ] && [ "$(jget files_read < count.stats)" = 0 ]'

# ---- seed 001: by partition, aggregates ----
check "where ts = partition" '[ "$(q "SELECT COUNT(*) FROM weather WHERE ts = '\''2026-01-08-14'\''")" = 20 ]'
q --stats "SELECT * FROM weather WHERE ts = '2026-01-08-14'" > part.csv 2> part.stats
check "partition rows" '[ "$(wc -l < part.csv)" = 20 ] && ! grep -v ",2026-01-08-14$" part.csv'
check "one partition's files read" '[ "$(jget files_read < part.stats)" = 1 ] && [ "$(jget files_skipped < part.stats)" = 3 ]'
q "SELECT city, AVG(CAST(temperature AS DOUBLE)) as avg_temp FROM weather GROUP BY city ORDER BY city" > avg.csv
check "avg temperature by city" 'python3 -c "
import sys
got = [l.split(\",\") for l in open(\"avg.csv\").read().split()]
exp = [l.split(\",\") for l in open(\"avg.expected\").read().split()]
sys.exit(not (len(got) == 4 and all(g[0] == e[0] and abs(float(g[1]) - float(e[1])) < 1e-9 for g, e in zip(got, exp))))"'
check "select * all rows" '[ "$(q "SELECT * FROM weather" | wc -l)" = 80 ]'
check "seed aggregated query" '[ "$(q "SELECT city, AVG(avg_temperature) as overall_avg, SUM(record_count) as total_records FROM weather_agg GROUP BY city ORDER BY overall_avg DESC" | head -1)" = "Rome,26.5,32" ]'
check "order by timestamp desc limit" '[ "$(q "SELECT window_start, city FROM weather_agg ORDER BY window_start DESC, city LIMIT 1")" = "2026-01-08 15:00:00.000000,Berlin" ]'
check "show tables" '[ "$(q "SELECT name FROM pragma_table_list WHERE schema = '\''main'\'' AND type = '\''virtual'\'' AND name NOT LIKE '\''%\$%'\'' ORDER BY 1" | tr "\n" " ")" = "sessions weather weather_agg " ]'

# ---- names: namespaces ----
check "ns.table" '[ "$(q "SELECT COUNT(*) FROM lake.events")" = 80 ]'
check "\"ns.table\"" '[ "$(q "SELECT COUNT(*) FROM \"lake.events\"")" = 80 ]'
check "\"default\".table" '[ "$(q "SELECT COUNT(*) FROM \"default\".sessions")" = 120 ]'
check "ns metadata table" '[ "$(q "SELECT COUNT(*) FROM lake.\"events\$snapshots\"")" = 1 ]'
check "no such table" '! q "SELECT * FROM nope" 2>/dev/null'

# ---- pushdown: ranges on timestamps, decimals; LIMIT ----
check "timestamp range" '[ "$(q "SELECT COUNT(*) FROM sessions WHERE started_at >= '\''2026-01-08 11:00:00'\'' AND started_at < '\''2026-01-08 12:00:00'\''")" = 30 ]'
q --stats "SELECT COUNT(*) FROM sessions WHERE started_at >= '2026-01-08 13:00'" > /dev/null 2> ts.stats
check "timestamp range prunes" '[ "$(jget files_skipped < ts.stats)" -ge 1 ] && [ "$(q "SELECT COUNT(*) FROM sessions WHERE started_at >= '\''2026-01-08 13:00'\''")" = 30 ]'
check "decimal compare" '[ "$(q "SELECT COUNT(*) FROM sessions WHERE revenue > 100")" = 19 ] && [ "$(q "SELECT revenue FROM sessions WHERE revenue = '\''7.07'\''")" = 7.07 ]'
check "uuid equality" '[ "$(q "SELECT session_id FROM sessions WHERE device = '\''00000000-0000-4000-8000-000000000042'\''")" = sess-0042 ]'
q --stats "SELECT * FROM weather LIMIT 3" > lim.csv 2> lim.stats
check "limit stops early" '[ "$(wc -l < lim.csv)" = 3 ] && [ "$(jget rows < lim.stats)" = 3 ]'
check "filters and limit" '[ "$(q "SELECT COUNT(*) FROM (SELECT * FROM weather WHERE city = '\''Rome'\'' LIMIT 7)")" = 7 ]'

# ---- metadata tables agree with floe table ----
"$FLOE" table files default.sessions > files.ndjson
"$FLOE" table snapshots default.sessions > snaps.ndjson
check "\$files count" '[ "$(q "SELECT COUNT(*) FROM \"sessions\$files\"")" = "$(wc -l < files.ndjson)" ]'
check "\$files paths" '[ "$(q "SELECT file_path FROM \"sessions\$files\" ORDER BY 1")" = "$(python3 -c "
import json
print(\"\n\".join(sorted(json.loads(l)[\"file_path\"] for l in open(\"files.ndjson\"))))")" ]'
check "\$files record_count" '[ "$(q "SELECT SUM(record_count) FROM \"sessions\$files\"")" = 120 ]'
check "\$snapshots ids" '[ "$(q "SELECT snapshot_id FROM \"sessions\$snapshots\" ORDER BY committed_at, snapshot_id" | tr "\n" " ")" = "$(python3 -c "
import json
print(\" \".join(str(json.loads(l)[\"snapshot_id\"]) for l in open(\"snaps.ndjson\")) + \" \")")" ]'
check "\$snapshots summary" '[ "$(q "SELECT json_extract(summary, '\''\$.\"total-records\"'\'') FROM \"sessions\$snapshots\" ORDER BY committed_at DESC LIMIT 1")" = 120 ]'
check "\$history ancestors" '[ "$(q "SELECT COUNT(*) FROM \"sessions\$history\" WHERE is_current_ancestor")" = 3 ]'
check "\$refs main" '[ "$(q "SELECT name, type FROM \"sessions\$refs\"")" = "main,BRANCH" ]'
check "\$manifests rows" '[ "$(q "SELECT SUM(added_rows_count) FROM \"sessions\$manifests\" WHERE added_snapshot_id IS NOT NULL")" -ge 120 ]'
check "\$partitions" '[ "$(q "SELECT COUNT(*), SUM(record_count) FROM \"weather\$partitions\"")" = "4,80" ] && [ "$(q "SELECT json_extract(partition, '\''\$.ts'\'') FROM \"weather\$partitions\" WHERE record_count = 20 ORDER BY 1 LIMIT 1")" = 2026-01-08-12 ]'

# ---- time travel ----
S1=$(head -1 snaps.ndjson | jget snapshot_id)
S2=$(sed -n 2p snaps.ndjson | jget snapshot_id)
check "t(snapshot)" '[ "$(q "SELECT COUNT(*) FROM sessions($S1)")" = 40 ] && [ "$(q "SELECT COUNT(*) FROM sessions($S2)")" = 100 ]'
check "hidden _snapshot_id" '[ "$(q "SELECT COUNT(*) FROM sessions WHERE _snapshot_id = $S1")" = 40 ]'
check "as of before the first snapshot" '[ "$(q "SELECT COUNT(*) FROM sessions(NULL, '\''2000-01-01 00:00:00'\'')")" = 0 ]'
check "as of now" '[ "$(q "SELECT COUNT(*) FROM sessions(NULL, '\''2999-01-01'\'')")" = 120 ]'
check "unknown snapshot is an error" '! q "SELECT COUNT(*) FROM sessions(42)" 2> tt.err && grep -q "no snapshot 42" tt.err'

# ---- deletes: counted by scanning, not from manifests ----
"$FLOE" table delete default.sessions --where "user_id = 3" >/dev/null
q --stats "SELECT COUNT(*) FROM sessions" > del.out 2> del.stats
check "count after delete" '[ "$(cat del.out)" = 103 ] && [ "$(jget count_only < del.stats)" = 0 ]'
check "older snapshot keeps rows" '[ "$(q "SELECT COUNT(*) FROM sessions($S2)")" = 100 ]'

# ---- schema evolution ----
"$FLOE" table alter default.weather rename-column temperature temp >/dev/null
check "renamed column" '[ "$(q "SELECT COUNT(temp) FROM weather")" = 80 ]'

# ---- output formats ----
check "csv header" '[ "$("$FLOE" sql --format csv "SELECT city, COUNT(*) AS n FROM weather GROUP BY city ORDER BY city LIMIT 1")" = "$(printf "city,n\nBerlin,20")" ]'
check "csv quoting" '[ "$(q "SELECT '\''a,\"b'\''")" = "\"a,\"\"b\"" ]'
"$FLOE" sql --format json "SELECT city, COUNT(*) AS n, NULL AS z FROM weather GROUP BY city ORDER BY city" > out.json
check "json" 'python3 -c "import json; d=json.load(open(\"out.json\")); assert d[0] == {\"city\": \"Berlin\", \"n\": 20, \"z\": None} and len(d) == 4"'
"$FLOE" sql --format ndjson "SELECT session_id, revenue, started_at FROM sessions WHERE session_id = 'sess-0007'" > out.ndjson
check "ndjson" 'python3 -c "import json; d=[json.loads(l) for l in open(\"out.ndjson\")]; assert d == [{\"session_id\": \"sess-0007\", \"revenue\": \"7.07\", \"started_at\": \"2026-01-08 10:07:00.000000+00:00\"}], d"'
check "json empty" '[ "$("$FLOE" sql --format json "SELECT * FROM weather WHERE city = '\''Nowhere'\''")" = "[]" ]'
"$FLOE" sql --format table "SELECT city, COUNT(*) AS n FROM weather GROUP BY city ORDER BY city" > out.txt
check "table" 'grep -q "^| city   | n  |$" out.txt && grep -q "^| Berlin | 20 |$" out.txt && grep -q "^(4 rows)$" out.txt'
check "timing" '"$FLOE" sql --timing "SELECT 1" 2>&1 >/dev/null | grep -q "^Run Time: "'

# ---- input and errors ----
printf "SELECT COUNT(*) FROM weather;\nSELECT COUNT(*) FROM sessions;\n" > two.sql
check "-f file" '[ "$(q -f two.sql | tr "\n" " ")" = "80 103 " ]'
check "stdin" '[ "$(q < two.sql | tr "\n" " ")" = "80 103 " ]'
printf "SELECT city\nFROM weather WHER city = 1;\n" > bad.sql
check "syntax error position" '! q -f bad.sql 2> bad.err && grep -q "line 2, column 19" bad.err && grep -q "^  FROM weather WHER" bad.err'
check "unknown column position" '! q "SELECT nope FROM weather" 2> col.err && grep -q "column 8: no such column: nope" col.err'
check "stops at the first error" '[ "$(q "SELECT 1; SELECT nope; SELECT 2" 2>/dev/null)" = 1 ]'
check "usage error" '! "$FLOE" sql --format xml "SELECT 1" 2>/dev/null'

# ---- interactive session (libedit) in tmux, bounded ----
if command -v tmux >/dev/null 2>&1; then
    S=floe-sql-$$
    HOME="$T" tmux -L "$S" new-session -d -x 120 -y 30 "FLOE_WAREHOUSE=$FLOE_WAREHOUSE $FLOE sql; sleep 5"
    for _ in $(seq 50); do tmux -L "$S" capture-pane -p | grep -q "floe> " && break; sleep 0.1; done
    tmux -L "$S" send-keys "SELECT COUNT(*)" Enter
    tmux -L "$S" send-keys "FROM weather\\;" Enter
    for _ in $(seq 50); do tmux -L "$S" capture-pane -p | grep -q "(1 row)" && break; sleep 0.1; done
    tmux -L "$S" capture-pane -p > tty.txt
    check "tty: table output of a two-line statement" 'grep -q "^|       80 |$" tty.txt && grep -q "   ...> " tty.txt'
    tmux -L "$S" send-keys Up Enter
    sleep 0.5
    tmux -L "$S" send-keys ".quit" Enter
    for _ in $(seq 50); do [ -s "$T/.floe_sql_history" ] && break; sleep 0.1; done
    check "tty: history kept" 'grep -q "weather;" "$T/.floe_sql_history"'
    tmux -L "$S" kill-server 2>/dev/null || true
fi

echo "sql.sh: $pass passed, $fail failed"
[ "$fail" = 0 ]
