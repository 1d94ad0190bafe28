#!/usr/bin/env bash
# e2e: the log's topics as read-only SQL tables (topic.NAME): `floe sql
# --data DIR` beside a running `floe up` (the log opened read-only per
# statement) and POST /sql on floe up's port (the shared log); columns,
# pushdown of partition, offset and timestamp bounds shown by the number
# of records decoded, freshness, and errors.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
"$FLOE" topic --log-dir "$T/d/log" create ev --partitions 3 >/dev/null
floe_up_start
CT='Content-Type: application/vnd.kafka.json.v2+json'
for i in $(seq 1 20); do
    curl -fs -X POST "$URL/topics/ev" -H "$CT" \
        -d "{\"records\":[{\"key\":\"k$i\",\"value\":{\"i\":$i},\"partition\":$((i % 2))},{\"value\":\"plain $i\",\"partition\":2}]}" >/dev/null
done
curl -fs "$URL/log?city=Paris&temperature=20" >/dev/null
q() { "$FLOE" sql --data "$T/d" --format csv --no-header "$@"; }
check "rows per partition" '[ "$(q "SELECT partition, count(*), min(offset), max(offset) FROM topic.ev GROUP BY 1 ORDER BY 1" | tr "\n" " ")" = "0,10,0,9 1,10,0,9 2,20,0,19 " ]'
check "key and value as text" '[ "$(q "SELECT key, json_extract(value, \"\$.i\") FROM topic.ev WHERE partition = 1 AND offset = 2")" = "k5,5" ]'
check "a string value is its JSON text" '[ "$(q "SELECT value FROM topic.ev WHERE partition = 2 AND offset = 0")" = "\"\"\"plain 1\"\"\"" ]'
check "null key" '[ "$(q "SELECT count(*) FROM topic.ev WHERE key IS NULL")" = 20 ]'
check "quoted name and headers" '[ "$(q "SELECT headers FROM \"topic.weather\"")" = "{}" ]'
check "timestamp in the table form" 'q "SELECT timestamp FROM topic.weather" | grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}000\+00:00$"'
check "weather value" '[ "$(q "SELECT json_extract(value, \"\$.city\") FROM topic.weather")" = Paris ]'
# pushdown: an offset range of one partition decodes a few records, not 40
q --stats "SELECT offset FROM topic.ev WHERE partition = 2 AND offset >= 10 AND offset < 13" >"$T/o" 2>"$T/s"
check "offset range answer" '[ "$(tr "\n" " " <"$T/o")" = "10 11 12 " ]'
check "offset range decodes only its batches" 'python3 -c "import json,sys; s=json.load(open(\"$T/s\")); sys.exit(not (s[\"rows\"]==3 and s[\"log_records\"]<=4))"'
q --stats "SELECT count(*) FROM topic.ev WHERE timestamp >= '2100-01-01'" >"$T/o" 2>"$T/s"
check "future timestamp: nothing decoded" '[ "$(cat "$T/o")" = 0 ] && python3 -c "import json,sys; sys.exit(json.load(open(\"$T/s\"))[\"log_records\"] != 0)"'
check "past timestamp: all" '[ "$(q "SELECT count(*) FROM topic.ev WHERE timestamp > '"'"'2000-01-01 00'"'"'")" = 40 ]'
FIRST=$(q "SELECT timestamp FROM topic.ev LIMIT 1")
OTHER=$(python3 -c "import datetime as d,sys; t=d.datetime.fromisoformat(sys.argv[1]).astimezone(d.timezone(d.timedelta(hours=1))); print(t.isoformat())" "$FIRST")
check "timestamps compare as values" '[ "$(q "SELECT count(*) FROM topic.ev WHERE timestamp = TIMESTAMP '"'"'$OTHER'"'"'")" -ge 1 ]'
check "text offsets still compare as SQLite does" '[ "$(q "SELECT count(*) FROM topic.ev WHERE offset >= '"'"'5'"'"'")" = 25 ]'
check "fractional bounds" '[ "$(q "SELECT count(*) FROM topic.ev WHERE offset > 8.5 AND partition < 1.5")" = 2 ]'
check "ordered by partition, offset" '[ "$(q "SELECT partition || \":\" || offset FROM topic.ev WHERE offset >= 9 ORDER BY partition, offset" | tr "\n" " ")" = "0:9 1:9 2:9 2:10 2:11 2:12 2:13 2:14 2:15 2:16 2:17 2:18 2:19 " ]'
check "a join of topic and itself" '[ "$(q "SELECT count(*) FROM topic.ev a JOIN topic.ev b ON a.partition = b.partition AND a.offset = b.offset")" = 40 ]'
check "writes refused" '! q "DELETE FROM topic.ev" 2>/dev/null'
check "unknown topic" '! q "SELECT * FROM topic.nope" 2>/dev/null'
# a new statement sees records appended meanwhile
curl -fs -X POST "$URL/topics/ev" -H "$CT" -d '{"records":[{"value":1,"partition":0}]}' >/dev/null
check "fresh per statement" '[ "$(q "SELECT count(*) FROM topic.ev")" = 41 ]'
# POST /sql shares floe up's open log
sql() { curl -s -o "$T/r.json" -w '%{http_code}' -X POST "$URL/sql" -d "$1"; }
check "POST /sql over a topic" '[ "$(sql "{\"query\":\"SELECT partition, count(*) FROM topic.ev GROUP BY 1\"}")" = 200 ] && [ "$(python3 -c "import json; print(json.load(open(\"$T/r.json\"))[\"rows\"])")" = "[[0, 11], [1, 10], [2, 20]]" ]'
check "POST /sql with a row limit" '[ "$(sql "{\"query\":\"SELECT * FROM topic.ev\",\"limit\":5}")" = 200 ] && python3 -c "import json,sys; r=json.load(open(\"$T/r.json\")); sys.exit(not (r[\"truncated\"] and r[\"columns\"]==[\"partition\",\"offset\",\"timestamp\",\"key\",\"value\",\"headers\"]))"'
kill -TERM "$pid"; wait "$pid"; pid=
# and with floe up stopped, the same answers
check "after shutdown" '[ "$(q "SELECT count(*) FROM topic.ev")" = 41 ]'
echo "sql_topics: $pass passed, $fail failed"
[ "$fail" = 0 ]
