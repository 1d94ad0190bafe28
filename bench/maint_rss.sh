#!/usr/bin/env bash
# bench/maint_rss.sh - floe up's resident memory and table size over a
# run of 100 ms commits, with maintenance on and off (issue 11, item 8).
# Two floe up processes side by side, each with the weather pipeline at
# commit_interval_ms: 100 fed by `floe gen weather` at RATE requests/s:
# one with `maintenance: {interval: 10s, expire: {max_snapshot_age: 1m}}`,
# one with `maintenance: {enabled: false}`. Every 10 s it prints, per
# run: VmRSS (/proc/PID/status), the table's snapshots (floe status),
# files under its metadata/ folder and the pipeline's commit latency
# p50/p99 and conflicts (GET /status).
# usage: FLOE=build-rel/floe bench/maint_rss.sh [SECONDS] [RATE]
set -euo pipefail
FLOE=${FLOE:-build-rel/floe}
SECS=${1:-240}
RATE=${2:-30}
T=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"' EXIT
. "$(dirname "$0")/lib/weather.bash"
weather_yaml "$T/on.yaml" '{interval: 10s, expire: {max_snapshot_age: 1m}}' 100
weather_yaml "$T/off.yaml" '{enabled: false}' 100
declare -A PORT PID
for run in on off; do
    PORT[$run]=$(port)
    "$FLOE" up -c "$T/$run.yaml" --data "$T/$run" --listen "127.0.0.1:${PORT[$run]}" --kafka-listen 127.0.0.1:0 > "$T/$run.log" 2>&1 &
    PID[$run]=$!; pids+=($!)
done
for run in on off; do
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:${PORT[$run]}/health" > /dev/null && break; sleep 0.1; done
    "$FLOE" gen weather --rate "$RATE" --duration "$SECS" --target "http://127.0.0.1:${PORT[$run]}" > /dev/null 2>&1 &
    pids+=($!)
done
printf '%6s %-4s %9s %9s %9s %8s %8s %9s\n' t run rss_kib snapshots metadata p50_ms p99_ms conflicts
for t in $(seq 10 10 "$SECS"); do
    sleep 10
    for run in on off; do
        rss=$(awk '/VmRSS/ {print $2}' "/proc/${PID[$run]}/status")
        n=$(ls "$T/$run/warehouse/default/weather/metadata" | wc -l)
        curl -fs "http://127.0.0.1:${PORT[$run]}/status" | python3 -c '
import json, sys
p = json.load(sys.stdin)["pipelines"][0]
print(p["snapshots"], p["commit_ms_p50"], p["commit_ms_p99"], p["commit_conflicts"])' > "$T/st"
        read -r snaps p50 p99 conf < "$T/st"
        printf '%6s %-4s %9s %9s %9s %8s %8s %9s\n' "$t" "$run" "$rss" "$snaps" "$n" "$p50" "$p99" "$conf"
    done
done
