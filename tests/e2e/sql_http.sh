#!/usr/bin/env bash
# e2e: POST /sql on floe up's port: JSON in, rows out, over the tables the
# pipelines just committed; row limit, one read-only statement, errors
# with a position, malformed bodies refused; every action that is not a
# read refused with 403 40301 naming it, and ATTACH / VACUUM INTO create
# no file (docs/internals/sql.md, "POST /sql is read-only").
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
check "writes refused" '[ "$(sql "{\"query\":\"DELETE FROM weather\"}")" = 400 ] && [ "$(field "[\"error_code\"]")" = 40010 ]'
check "two statements refused" '[ "$(sql "{\"query\":\"SELECT 1; SELECT 2\"}")" = 400 ] && [ "$(field "[\"error_code\"]")" = 40011 ]'
check "bad body" '[ "$(sql "not json")" = 400 ] && [ "$(field "[\"error_code\"]")" = 40001 ]'
# refused: 403 40301, the message names what; no file appears
q() { python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$1"; }
refused() { [ "$(sql "$(q "$1")")" = 403 ] && [ "$(field "[\"error_code\"]")" = 40301 ] && field "[\"message\"]" | grep -qF -- "$2"; }
mkdir -p "$T/out"
check "ATTACH refused" 'refused "ATTACH '"'"'$T/out/x.db'"'"' AS x" "ATTACH '"'"'$T/out/x.db'"'"'"'
check "ATTACH uri refused" 'refused "ATTACH '"'"'file:$T/out/u.db?mode=rwc'"'"' AS u" ATTACH'
check "VACUUM INTO refused" 'refused "VACUUM INTO '"'"'$T/out/v.db'"'"'" VACUUM'
check "DETACH refused" 'refused "DETACH \"default\"" DETACH'
check "PRAGMA write refused" 'refused "PRAGMA writable_schema = 1" "PRAGMA '"'"'writable_schema'"'"'"'
check "PRAGMA read refused" 'refused "PRAGMA user_version" "PRAGMA '"'"'user_version'"'"'"'
check "load_extension refused" 'refused "SELECT load_extension('"'"'/tmp/x'"'"')" load_extension'
check "CREATE refused" 'refused "CREATE TEMP TABLE w(a)" "CREATE TEMP TABLE"'
check "INSERT refused" 'refused "INSERT INTO weather SELECT * FROM weather" INSERT'
check "DROP refused" 'refused "DROP TABLE weather" DROP'
check "BEGIN refused" 'refused "BEGIN" transaction'
check "SAVEPOINT refused" 'refused "SAVEPOINT s" SAVEPOINT'
check "ANALYZE refused" 'refused "ANALYZE" refused'
check "REINDEX refused" 'refused "REINDEX" REINDEX'
check "no file created" '[ -z "$(ls -A "$T/out")" ] && ! ls "$T"/d/*.db 2>/dev/null | grep -qv catalog.db'
check "introspection pragma allowed" '[ "$(sql "$(q "PRAGMA table_info(weather)")")" = 200 ]'
check "table still reads" '[ "$(sql "{\"query\":\"SELECT COUNT(*) FROM weather\"}")" = 200 ] && [ "$(field "[\"rows\"][0][0]")" = 5 ]'
check "GET not allowed" '[ "$(curl -s -o /dev/null -w "%{http_code}" "$URL/sql")" = 405 ]'
kill -TERM "$pid"; wait "$pid"; pid=
echo "sql_http: $pass passed, $fail failed"
[ "$fail" = 0 ]
