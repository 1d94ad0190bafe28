#!/usr/bin/env bash
# e2e: GET /metrics in Prometheus' text format. promtool (Debian's
# prometheus package) checks the exposition; the families the issue
# names are there with the right values after some ingest; the HTTP
# routes are labelled by pattern, never by raw URL (label escaping:
# tests/unit/test_prom.c).
# Then a real Prometheus scrapes floe for a few seconds and its HTTP API
# shows up == 1 and a floe series.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
command -v promtool >/dev/null || { echo "promtool not installed: run scripts/install-deps" >&2; exit 1; }

floe_up_start
for i in $(seq 1 5); do curl -fs "$URL/log?city=c$i&temperature=$i" >/dev/null; done
curl -fs -o /dev/null "$URL/health"
curl -s -o /dev/null "$URL/no/such/path/$RANDOM" || true
curl -s -o /dev/null "$URL/topics/x%22y" || true # GET on a POST route: 405, pattern label
wait_metric() { # regex: poll /metrics until a line matches
    for _ in $(seq 60); do curl -fs "$URL/metrics" | grep -E "$1" >/dev/null && return 0; sleep 0.25; done
    echo "  no line matches $1" >&2; return 1
}
check "pipeline committed 5" 'wait_metric "^floe_pipeline_records_committed_total\{pipeline=\"weather\",topic=\"weather\",table=\"default.weather\"\} 5$"'
curl -fs -D "$T/h" "$URL/metrics" > "$T/m.txt"
check "content type 0.0.4" 'grep -i "^content-type: text/plain; version=0.0.4" "$T/h" >/dev/null'
check "promtool check metrics" 'promtool check metrics < "$T/m.txt"'
m() { grep -E "$1" "$T/m.txt" >/dev/null || { echo "  missing: $1" >&2; return 1; }; }
check "topic records in" 'm "^floe_topic_records_in_total\{topic=\"weather\"\} 5$"'
check "topic bytes in" 'm "^floe_topic_bytes_in_total\{topic=\"weather\"\} [1-9][0-9]*$"'
check "topic partitions" 'm "^floe_topic_partitions\{topic=\"weather\"\} 1$"'
check "topic end offset" 'm "^floe_topic_end_offset\{topic=\"weather\",partition=\"0\"\} 5$"'
check "pipeline in" 'm "^floe_pipeline_records_in_total\{pipeline=\"weather\",.*\} 5$"'
check "pipeline rejected" 'm "^floe_pipeline_records_rejected_total\{pipeline=\"weather\",.*\} 0$"'
check "pipeline lag" 'm "^floe_pipeline_lag_records\{pipeline=\"weather\",.*\} 0$"'
check "commit histogram" 'm "^floe_pipeline_commit_duration_seconds_bucket\{pipeline=\"weather\",le=\"\+Inf\"\} [1-9]"'
check "freshness histogram" 'm "^floe_pipeline_freshness_seconds_count\{pipeline=\"weather\"\} [1-9]"'
check "table snapshots" 'm "^floe_table_snapshots\{table=\"default.weather\"\} [1-9]"'
check "table files" 'm "^floe_table_data_files\{table=\"default.weather\"\} [1-9]"'
check "table bytes" 'm "^floe_table_data_bytes\{table=\"default.weather\"\} [1-9]"'
check "http by route and status" 'm "^floe_http_requests_total\{route=\"/log\",status=\"200\"\} 5$"'
check "no route: one label" 'm "^floe_http_requests_total\{route=\"none\",status=\"404\"\} 1$"'
check "405 under the pattern" 'm "^floe_http_requests_total\{route=\"/topics/\*\",status=\"405\"\} 1$"'
check "no raw URL in labels" '! grep -E "no/such|x%22y" "$T/m.txt"'
check "latency histogram" 'm "^floe_http_request_duration_seconds_count\{route=\"/log\"\} 5$"'
check "rss" 'm "^process_resident_memory_bytes [1-9][0-9]*$"'
check "fds" 'm "^process_open_fds [1-9][0-9]*$"'
check "uptime" 'm "^floe_uptime_seconds [0-9.e+-]+$"'
check "start time" 'm "^process_start_time_seconds 1[0-9]{9}$"'

# a topic made after start is listed (label escaping: tests/unit/test_prom.c)
curl -fs -H 'Content-Type: application/vnd.kafka.json.v2+json' \
    -d '{"records":[{"value":{"a":1}}]}' "$URL/topics/odd.name" >/dev/null
curl -fs "$URL/metrics" > "$T/m2.txt"
check "new topic listed" 'grep -E "^floe_topic_records_in_total\{topic=\"odd.name\"\} 1$" "$T/m2.txt" >/dev/null'
check "promtool again" 'promtool check metrics < "$T/m2.txt"'

# a real Prometheus scraping floe every second
command -v prometheus >/dev/null || { echo "prometheus not installed: run scripts/install-deps" >&2; exit 1; }
{
    PP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    cat > "$T/prom.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: floe
    static_configs: [{targets: ["127.0.0.1:$PORT"]}]
YML
    prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/tsdb" \
        --web.listen-address="127.0.0.1:$PP" >"$T/prom.log" 2>&1 &
    ppid=$!
    q() { curl -fs "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" 2>/dev/null; }
    wait_q() { # query, python predicate on the result list
        for _ in $(seq 80); do
            q "$1" | python3 -c "import json,sys; r=json.load(sys.stdin)['data']['result']; sys.exit(0 if $2 else 1)" 2>/dev/null && return 0
            sleep 0.25
        done
        echo "  prometheus: $1 -> $(q "$1")" >&2; return 1
    }
    check "prometheus: up == 1" 'wait_q "up{job=\"floe\"}" "r and r[0][\"value\"][1] == \"1\""'
    check "prometheus: floe series" 'wait_q "floe_topic_end_offset{topic=\"weather\"}" "r and r[0][\"value\"][1] == \"5\""'
    check "prometheus: histogram_quantile" 'wait_q "histogram_quantile(0.5, floe_http_request_duration_seconds_bucket{route=\"/metrics\"})" "r"'
    kill "$ppid"; wait "$ppid" 2>/dev/null || true
}

kill -INT "$pid"; check "floe up exits 0" 'wait "$pid"'; pid=
echo "metrics_prom: $pass passed, $fail failed"
[ "$fail" = 0 ]
