#!/usr/bin/env bash
# bench/longrun.sh - a day of 1-second commits on one table, compressed
# K times, with floe up's maintenance defaults and without maintenance
# (issue 11, "Long run" in docs/BENCHMARKS.md).
#
# How the day is simulated: seed 001's weather pipeline (examples/
# weather.yaml's table, partitioned by hour(ts)) with commit_interval_ms
# 1000/K, fed 30 readings per simulated second by bench/longrun.py,
# whose clock runs K times the wall clock (the readings' ts is the
# simulated hour, so a day fills 24 hour partitions). One commit stands
# for one second of a day of 1-second commits, so every duration of
# floe up's default maintenance policy is divided by K too (interval 30s,
# max_snapshot_age 3m, compact.every 1m, clean.every 1h, clean.older_than
# 3d): the maintenance thread sees the same commits between its runs as
# on a real day, but has 1/K of the wall time for them, so the run is
# harder on maintenance than a real day. The "on" run goes until COMMITS
# commits; the "off" run (maintenance: {enabled: false}; metadata file
# retention stays on, a table property) runs for OFF_SECS of wall time
# only, since its cost grows with every commit.
#
# After each run: floe stops; `floe sql` counts rows, files per partition
# and the current snapshot's manifests; the rows are copied into a fresh
# table in one append (one file per partition: the compacted copy); and
# COUNT(*) and a full-scan aggregate are timed on both (median of 5).
#
# usage: FLOE=build-rel/floe bench/longrun.sh     # COMMITS=86400 K=30 OFF_SECS=900
#        KEEP=DIR keeps the data directories and the samples.
#        KEEP=DIR RESUME=1 SIM_OFFSET=S COMMITS=3600 MODES=on: one more
#        simulated hour on the table a kept run left, its readings S
#        simulated seconds on (the hour after the last one it holds), to
#        compare that hour's commit latency with a fresh table's first
#        hour on the same machine at the same load.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOE=${FLOE:-build-rel/floe}
COMMITS=${COMMITS:-86400}
K=${K:-30}
OFF_SECS=${OFF_SECS:-900}
MODES=${MODES:-on off}
PY=$(dirname "$0")/longrun.py
T=${KEEP:-$(mktemp -d)}
mkdir -p "$T"
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -z "${KEEP:-}" ] && rm -rf "$T"' EXIT

. "$(dirname "$0")/lib/weather.bash"
ms() { echo "$(($1 / K))ms"; } # a duration of the real day, scaled

median5() { # command...: the median wall time of 5 runs, in ms
    local t=()
    for _ in 1 2 3 4 5; do
        local a b
        a=$(date +%s%N)
        "$@" > /dev/null
        b=$(date +%s%N)
        t+=($(((b - a) / 1000000)))
    done
    printf '%s\n' "${t[@]}" | sort -n | sed -n 3p
}

COUNT='SELECT COUNT(*) FROM weather'
AGG='SELECT city, COUNT(*), AVG(temperature), MIN(ts), MAX(processed_timestamp) FROM weather GROUP BY city'

measure() { # mode: writes $T/final-$mode.json
    local mode=$1 d=$T/$1 q=$T/$1.q
    local sqld=("$FLOE" sql --data "$d" --format csv --no-header)
    "${sqld[@]}" 'SELECT COUNT(*) FROM "weather$partitions"' > "$q.parts"
    "${sqld[@]}" 'SELECT MAX(file_count), SUM(file_count), SUM(record_count) FROM "weather$partitions"' > "$q.files"
    "${sqld[@]}" "SELECT COUNT(*) FROM \"weather\$manifests\"" > "$q.manifests"
    "$FLOE" sql --data "$d" --format ndjson 'SELECT partition_summaries FROM "weather$manifests"' > "$q.summaries"
    local span
    span=$(python3 -c '
import json, sys
m = 0
for line in open(sys.argv[1]):
    ps = json.loads(line)["partition_summaries"]
    for s in (json.loads(ps) if isinstance(ps, str) else ps):  # a list: JSON in ndjson
        if s.get("lower_bound") is not None:
            m = max(m, s["upper_bound"] - s["lower_bound"] + 1)
print(m)' "$q.summaries")
    local count_ms agg_ms
    count_ms=$(median5 "$FLOE" sql --data "$d" "$COUNT")
    agg_ms=$(median5 "$FLOE" sql --data "$d" "$AGG")
    "$FLOE" sql --data "$d" "$AGG" > "$q.agg"
    # the compacted copy: the same rows in one append to a fresh table
    local cw=$T/$mode-copy
    rm -rf "$cw"
    mkdir -p "$cw"
    "$FLOE" table --warehouse "$d/warehouse" --catalog "sqlite:$d/catalog.db" describe default.weather |
        python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["schema"]))' > "$q.schema"
    "$FLOE" sql --data "$d" --format ndjson 'SELECT * FROM weather' > "$q.rows"
    "$FLOE" table --warehouse "$cw" create default.weather --schema "$q.schema" --partition 'hour(ts)' > /dev/null
    "$FLOE" table --warehouse "$cw" append default.weather "$q.rows" > /dev/null
    rm -f "$q.rows"
    local copy_count_ms copy_agg_ms
    copy_count_ms=$(median5 "$FLOE" sql --warehouse "$cw" "$COUNT")
    copy_agg_ms=$(median5 "$FLOE" sql --warehouse "$cw" "$AGG")
    "$FLOE" sql --warehouse "$cw" "$AGG" > "$q.copy.agg"
    cmp -s "$q.agg" "$q.copy.agg" || { echo "longrun: $mode: the copy answers the aggregate differently" >&2; exit 1; }
    local compacted
    compacted=$("$FLOE" sql --warehouse "$cw" --format csv --no-header 'SELECT SUM(file_size_in_bytes) FROM "weather$files"')
    IFS=, read -r maxf nfiles rows < "$q.files"
    python3 - "$T/final-$mode.json" <<EOF
import json, sys
json.dump({"partitions": int("$(cat "$q.parts")"), "max_files_per_partition": int("$maxf"),
           "data_files": int("$nfiles"), "rows": int("$rows"),
           "manifests": int("$(cat "$q.manifests")"), "manifest_max_hours": int("$span"),
           "warehouse_bytes": int("$(du -sb "$d/warehouse/default/weather" | cut -f1)"),
           "metadata_bytes": int("$(du -sb "$d/warehouse/default/weather/metadata" | cut -f1)"),
           "compacted_bytes": int("$compacted"),
           "count_ms": int("$count_ms"), "agg_ms": int("$agg_ms"),
           "copy_count_ms": int("$copy_count_ms"), "copy_agg_ms": int("$copy_agg_ms")},
          open(sys.argv[1], "w"))
EOF
    echo "longrun: $mode: $(cat "$T/final-$mode.json")"
}

for mode in $MODES; do
    if [ "$mode" = on ]; then
        weather_yaml "$T/$mode.yaml" "{interval: $(ms 30000), expire: {max_snapshot_age: $(ms 180000)}, compact: {every: $(ms 60000)}, clean: {every: $(ms 3600000), older_than: $(ms 259200000)}}" $((1000 / K))
        cap=0
    else
        weather_yaml "$T/$mode.yaml" '{enabled: false}' $((1000 / K))
        cap=$OFF_SECS
    fi
    [ -n "${RESUME:-}" ] || rm -rf "${T:?}/$mode"
    p=$(port)
    "$FLOE" up -c "$T/$mode.yaml" --data "$T/$mode" --listen "127.0.0.1:$p" --kafka-listen 127.0.0.1:0 \
        > "$T/$mode.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$p/health" > /dev/null && break; sleep 0.1; done
    echo "longrun: $mode: floe up pid $pid, K=$K, commit_interval_ms $((1000 / K))"
    python3 "$PY" drive "http://127.0.0.1:$p" "$T/$mode" "$T/samples-$mode.jsonl" "$K" "$COMMITS" "$cap" "$pid"
    if [ "$mode" = on ]; then
        sleep $((3 * 60 / K + 2)) # compaction catches up: a few of its cadences
    fi
    kill -TERM "$pid"
    wait "$pid" || true
    pid=
    measure "$mode"
done
python3 - "$T" <<'EOF'
import json, sys
t = sys.argv[1]
f = {"hour_commits": 3600}
for m in ("on", "off"):
    try:
        f[m] = json.load(open(f"{t}/final-{m}.json"))
    except FileNotFoundError:
        f[m] = {}
json.dump(f, open(f"{t}/final.json", "w"))
EOF
python3 "$PY" report "$T/samples-on.jsonl" "$T/samples-off.jsonl" "$T/final.json"
