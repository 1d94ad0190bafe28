#!/usr/bin/env bash
# e2e: seed 001's dashboard API and floe's pages on floe up's port.
# GET /api/weather and /api/weather/latest?since= answer in the seed's
# exact shape ({"cities":[...],"data":{"City":[{"time","temperature"}]}}),
# with the values `floe sql` reads from weather_agg; since filters by
# time (ISO-8601 or epoch ms) and is checked; the pages, assets and
# licenses are served from the binary with their types; without the
# weather scenario's table, the API answers no cities and / is the console.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
PY=/usr/bin/python3
code() { curl -s -o "$T/r" -w '%{http_code} %{content_type}' "$@"; }
shape() { # checks $T/r is exactly the seed's shape; prints "cities points"
    $PY - "$T/r" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
assert list(r) == ["cities", "data"], list(r)
assert isinstance(r["cities"], list) and r["cities"] == sorted(r["cities"])
assert list(r["data"]) == r["cities"]
n = 0
for city, pts in r["data"].items():
    assert isinstance(pts, list)
    times = [p["time"] for p in pts]
    assert times == sorted(times)
    for p in pts:
        assert list(p) == ["time", "temperature"], p
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", p["time"]), p
        assert isinstance(p["temperature"], (int, float)) and not isinstance(p["temperature"], bool)
        n += 1
print(len(r["cities"]), n)
PY
}
floe_up_start
CITIES=("San Francisco" "New York" "Los Angeles" "Chicago" "Houston" "Phoenix" "Seattle" "Denver" "Miami" "Boston")
for i in 0 1 2 3 4 5 6 7 8 9; do
    curl -fs -G "$URL/log" --data-urlencode "city=${CITIES[$i]}" --data-urlencode "temperature=$((60 + i)).25" >/dev/null
done
curl -fs -G "$URL/log" --data-urlencode "city=Denver" --data-urlencode "temperature=80.75" >/dev/null
api_cities() { code "$URL/api/weather" >/dev/null; shape 2>/dev/null | cut -d' ' -f1; }
for _ in $(seq 60); do [ "$(api_cities)" = 10 ] && break; sleep 0.25; done
check "GET /api/weather: 200 JSON" '[ "$(code "$URL/api/weather")" = "200 application/json" ]'
check "the seed's shape, 10 cities" '[ "$(shape | cut -d" " -f1)" = 10 ]'
# the same points as floe sql (newest windows are still open: read both after a quiet second)
sleep 1.5
code "$URL/api/weather" >/dev/null
cp "$T/r" "$T/all.json"
sql "SELECT city, strftime('%Y-%m-%dT%H:%M:%fZ', window_start), printf('%.6f', avg_temperature) FROM weather_agg ORDER BY city, window_start" >"$T/sql.csv"
check "values equal floe sql's weather_agg" '$PY - "$T/all.json" "$T/sql.csv" <<'"'"'PY'"'"'
import csv, json, sys
r = json.load(open(sys.argv[1]))
got = [[c, p["time"], "%.6f" % p["temperature"]] for c in r["cities"] for p in r["data"][c]]
want = [row for row in csv.reader(open(sys.argv[2]))]
assert got == want, (got, want)
PY'
# (both in one minute's window, or split by a minute's turn)
check "Denver's average of two readings" '$PY -c "import json,sys; d=[p[\"temperature\"] for p in json.load(open(sys.argv[1]))[\"data\"][\"Denver\"]]; assert d[-1:] == [74.0] or d[-2:] == [67.25, 80.75], d" "$T/all.json"'
# latest?since=
newest=$($PY -c 'import json,sys; r=json.load(open(sys.argv[1])); print(max(p["time"] for v in r["data"].values() for p in v))' "$T/all.json")
check "since = the newest time: the same points" '[ "$(code "$URL/api/weather/latest?since=$newest")" = "200 application/json" ] && shape >/dev/null && cmp -s "$T/r" "$T/all.json"'
check "since in the future: every city, no points" '[ "$(code "$URL/api/weather/latest?since=2999-01-01T00:00:00Z" | cut -d" " -f1)" = 200 ] && [ "$(shape)" = "10 0" ]'
check "since as epoch ms" '[ "$(code "$URL/api/weather/latest?since=0" | cut -d" " -f1)" = 200 ] && cmp -s "$T/r" "$T/all.json"'
err() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["error_code"])' "$T/r"; }
check "since missing: 400 40003" '[ "$(code "$URL/api/weather/latest" | cut -d" " -f1)" = 400 ] && [ "$(err)" = 40003 ]'
check "since not a time: 400 40001" '[ "$(code "$URL/api/weather/latest?since=yesterday" | cut -d" " -f1)" = 400 ] && [ "$(err)" = 40001 ]'
check "since out of range: 400" '[ "$(code "$URL/api/weather/latest?since=99999999999999999999" | cut -d" " -f1)" = 400 ]'
check "unknown API path: 404" '[ "$(code "$URL/api/weather/x" | cut -d" " -f1)" = 404 ] && [ "$(code "$URL/api/weatherx" | cut -d" " -f1)" = 404 ]'
check "POST /api/weather: 405" '[ "$(code -X POST "$URL/api/weather" | cut -d" " -f1)" = 405 ]'
# pages and assets
# the console's topics: the log's counters, no SQL
check "GET /api/topics: 200 JSON" '[ "$(code "$URL/api/topics")" = "200 application/json" ]'
check "weather's partitions: end offsets sum to the 11 readings, sizes on disk" '$PY - "$T/r" <<'"'"'PY'"'"'
import json, sys
r = json.load(open(sys.argv[1]))
assert isinstance(r["time_ms"], int) and r["time_ms"] > 1.7e12, r
t = {x["name"]: x for x in r["topics"]}
w = t["weather"]["partitions"]
assert [p["partition"] for p in w] == list(range(len(w))), w
assert sum(p["end_offset"] - p["start_offset"] for p in w) == 11, w
assert sum(p["records_in"] for p in w) == 11, w
assert all(p["bytes"] > 0 for p in w if p["end_offset"]), w
assert list(t) == sorted(t), list(t)
PY'
check "POST /api/topics: 405" '[ "$(code -X POST "$URL/api/topics" | cut -d" " -f1)" = 405 ]'
# server-sent events: the whole reply first (the same as GET /api/weather)
curl -sN --max-time 2 -D "$T/sh" -o "$T/s" "$URL/api/weather/stream" || true
check "GET /api/weather/stream: text/event-stream, first event the whole reply" '$PY - "$T/sh" "$T/s" "$T/all.json" <<'"'"'PY'"'"'
import json, sys
h = open(sys.argv[1]).read().lower()
assert "content-type: text/event-stream" in h and "cache-control: no-cache" in h, h
ev = open(sys.argv[2]).read().split("\n\n")
assert ev[0].startswith("event: weather\ndata: "), ev[0][:80]
first = json.loads(ev[0].split("data: ", 1)[1])
assert len(first["cities"]) == 10 and all(first["data"][c] for c in first["cities"]), first["cities"]
allj = json.load(open(sys.argv[3]))
for c in first["cities"]:  # newer points may have come since all.json
    assert first["data"][c][:len(allj["data"][c]) - 1] == allj["data"][c][:-1], c
PY'
check "/ is the dashboard with weather_agg" '[ "$(code "$URL/")" = "200 text/html; charset=utf-8" ] && grep -qF "Real-time weather analytics" "$T/r"'
check "/dashboard/weather" '[ "$(code "$URL/dashboard/weather")" = "200 text/html; charset=utf-8" ] && grep -qF "/assets/dashboard.js" "$T/r"'
check "/console" '[ "$(code "$URL/console")" = "200 text/html; charset=utf-8" ] && grep -qF "/assets/console.js" "$T/r"'
check "pages load nothing from elsewhere" '! grep -E "(src|href)=\"(https?:)?//" "$T/r"'
check "JS asset" '[ "$(code "$URL/assets/dashboard.js")" = "200 text/javascript; charset=utf-8" ]'
check "CSS asset" '[ "$(code "$URL/assets/floe.css")" = "200 text/css; charset=utf-8" ]'
check "unknown asset: 404" '[ "$(code "$URL/assets/nope.js" | cut -d" " -f1)" = 404 ] && [ "$(code --path-as-is "$URL/assets/../console" | cut -d" " -f1)" = 404 ]'
if [ -d "$FLOE_SRC/web/node_modules/uplot" ]; then
    check "uPlot embedded, as npm has it" '[ "$(code "$URL/assets/uPlot.iife.min.js" | cut -d" " -f1)" = 200 ] && cmp -s "$T/r" "$FLOE_SRC/web/node_modules/uplot/dist/uPlot.iife.min.js"'
    check "/licenses has uPlot's MIT license" '[ "$(code "$URL/licenses")" = "200 text/plain; charset=utf-8" ] && grep -qF "Leon Sorokin" "$T/r" && grep -qF "MIT License" "$T/r"'
fi
kill -TERM "$pid"; wait "$pid"; pid=
# no weather scenario: no weather_agg table
cat >"$T/plain.yaml" <<EOF2
pipelines: []
EOF2
rm -rf "$T/d"
floe_up_start -c "$T/plain.yaml"
check "no weather_agg: no cities" '[ "$(code "$URL/api/weather" | cut -d" " -f1)" = 200 ] && [ "$(cat "$T/r")" = "{\"cities\":[],\"data\":{}}" ]'
check "no weather_agg: / is the console" '[ "$(code "$URL/" | cut -d" " -f1)" = 200 ] && grep -qF "floe console" "$T/r"'
kill -TERM "$pid"; wait "$pid"; pid=
echo "web_api: $pass passed, $fail failed"
[ "$fail" = 0 ]
