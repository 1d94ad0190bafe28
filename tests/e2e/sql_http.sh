#!/usr/bin/env bash
# e2e: POST /sql on floe up's port: JSON in, rows out, over the tables the
# pipelines just committed; row limit, one read-only statement, errors
# with a position, malformed bodies refused.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
floe_up_start
for c in Paris Oslo Paris Rome Paris; do curl -fs "$URL/log?city=$c&temperature=20" >/dev/null; done
sql() { curl -s -o "$T/r.json" -w '%{http_code}' -X POST "$URL/sql" -d "$1"; }
field() { python3 -c "import json,sys; v=json.load(open('$T/r.json'))$1; print(v if isinstance(v,(int,str)) and not isinstance(v,bool) else json.dumps(v))"; }
for _ in $(seq 40); do
    [ "$(sql '{"query":"SELECT COUNT(*) FROM weather"}')" = 200 ] && [ "$(field "['rows'][0][0]")" = 5 ] && break
    sleep 0.25
done
check "count over the committed table" '[ "$(field "[\"rows\"][0][0]")" = 5 ]'
check "count from manifests keeps the column name" '[ "$(field "[\"columns\"]")" = "[\"COUNT(*)\"]" ]'
check "group by" '[ "$(sql "{\"query\":\"SELECT city, COUNT(*) FROM weather GROUP BY city ORDER BY 2 DESC\"}")" = 200 ] && [ "$(field "[\"rows\"][0]")" = "[\"Paris\", 3]" ]'
check "columns named" '[ "$(field "[\"columns\"]")" = "[\"city\", \"COUNT(*)\"]" ]'
check "row limit truncates" '[ "$(sql "{\"query\":\"SELECT * FROM weather\",\"limit\":2}")" = 200 ] && [ "$(field "[\"truncated\"]")" = true ] && [ "$(field "[\"rows\"].__len__()")" = 2 ]'
check "metadata tables" '[ "$(sql "{\"query\":\"SELECT COUNT(*) FROM \\\"weather\$snapshots\\\"\"}")" = 200 ]'
check "syntax error with offset" '[ "$(sql "{\"query\":\"SELECT city FROM weather WHER 1\"}")" = 400 ] && [ "$(field "[\"offset\"]")" -gt 0 ]'
check "writes refused" '[ "$(sql "{\"query\":\"DELETE FROM weather\"}")" = 400 ]'
check "two statements refused" '[ "$(sql "{\"query\":\"SELECT 1; SELECT 2\"}")" = 400 ]'
check "bad body" '[ "$(sql "not json")" = 400 ]'
check "GET not allowed" '[ "$(curl -s -o /dev/null -w "%{http_code}" "$URL/sql")" = 405 ]'
kill -TERM "$pid"; wait "$pid"; pid=
echo "sql_http: $pass passed, $fail failed"
[ "$fail" = 0 ]
