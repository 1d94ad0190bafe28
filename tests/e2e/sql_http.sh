#!/usr/bin/env bash
# e2e: POST /sql on floe up's port: JSON in, rows out, over the tables the
# pipelines just committed; row limit, one read-only statement, errors
# with a position, malformed bodies refused.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
T=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
URL=http://127.0.0.1:$PORT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
"$FLOE" up --data "$T/d" --listen "127.0.0.1:$PORT" >"$T/up.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "$URL/health" >/dev/null 2>&1 && break; sleep 0.1; done
for c in Paris Oslo Paris Rome Paris; do curl -fs "$URL/log?city=$c&temperature=20" >/dev/null; done
sql() { curl -s -o "$T/r.json" -w '%{http_code}' -X POST "$URL/sql" -d "$1"; }
field() { python3 -c "import json,sys; v=json.load(open('$T/r.json'))$1; print(v if isinstance(v,(int,str)) and not isinstance(v,bool) else json.dumps(v))"; }
for _ in $(seq 40); do
    [ "$(sql '{"query":"SELECT COUNT(*) FROM weather"}')" = 200 ] && [ "$(field "['rows'][0][0]")" = 5 ] && break
    sleep 0.25
done
check "count over the committed table" '[ "$(field "[\"rows\"][0][0]")" = 5 ]'
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
