#!/usr/bin/env bash
# bench/sql_query.sh - `floe sql` against DuckDB over the same Parquet
# files: a weather table of ROWS rows (city, temperature, ts) partitioned
# by day(ts) over DAYS days, built with `floe table create/append`; three
# queries (a full-scan GROUP BY city with avg and count, a one-day filter
# on the partition column, COUNT(*)), each run REPEAT times by both, in
# the same run; prints every time and the medians.
#
# usage: bench/sql_query.sh [ROWS] [DAYS] [REPEAT] [COMMITS]
#   (defaults 10000000 100 3 1); COMMITS = DAYS builds the table with one
#   `floe table append` a day (a manifest per commit unless merged), as a
#   streaming writer would, instead of one append of all rows.
# FLOE_BIN (default build/floe, a RelWithDebInfo build), BENCH_DIR (default
# /tmp/floe-sql-bench; reused when it already holds the table).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-10000000} DAYS=${2:-100} REPEAT=${3:-3} COMMITS=${4:-1}
FLOE=${FLOE_BIN:-build/floe}
D=${BENCH_DIR:-/tmp/floe-sql-bench}
W=(--warehouse "file://$D/wh" --catalog "sqlite://$D/catalog.db")
if [ ! -f "$D/done-$ROWS-$DAYS-$COMMITS" ]; then
    rm -rf "$D"; mkdir -p "$D"
    node bench/duckdb_query.mjs gen "$D/rows.parquet" "$ROWS" "$DAYS" "$COMMITS"
    cat >"$D/schema.json" <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"city","required":false,"type":"string"},
 {"id":2,"name":"temperature","required":false,"type":"double"},
 {"id":3,"name":"ts","required":false,"type":"timestamp"}]}
JSON
    "$FLOE" table "${W[@]}" create default.weather --schema "$D/schema.json" --partition 'day(ts)' >/dev/null
    t0=$(date +%s.%N)
    if [ "$COMMITS" -gt 1 ]; then
        for c in $(seq 0 $((COMMITS - 1))); do
            "$FLOE" table "${W[@]}" append default.weather "$D/rows.$c.parquet" >/dev/null
        done
    else
        "$FLOE" table "${W[@]}" append default.weather "$D/rows.parquet" >/dev/null
    fi
    echo "floe table append ($COMMITS commits): $(echo "$(date +%s.%N) - $t0" | bc) s"
    touch "$D/done-$ROWS-$DAYS-$COMMITS"
fi
Q1="SELECT city, avg(temperature), count(*) FROM weather GROUP BY city ORDER BY city"
Q2F="SELECT count(*), avg(temperature) FROM weather WHERE ts >= '2024-02-01' AND ts < '2024-02-02'"
Q2D="SELECT count(*), avg(temperature) FROM weather WHERE ts >= TIMESTAMP '2024-02-01' AND ts < TIMESTAMP '2024-02-02'"
Q3="SELECT count(*) FROM weather"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "table: $ROWS rows, $DAYS daily partitions, $COMMITS commits, $(find "$D/wh" -name '*.parquet' | wc -l) data files, $(find "$D/wh" -name '*-m[01].avro' -o -name '*-g[01].avro' | wc -l) manifests written, $(du -sh "$D/wh" | cut -f1)"
median() { tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for name in Q1 Q2 Q3; do
    case $name in Q1) sql=$Q1 ;; Q2) sql=$Q2F ;; *) sql=$Q3 ;; esac
    times=""
    for _ in $(seq "$REPEAT"); do
        out=$("$FLOE" sql "${W[@]}" --format csv --no-header --timing --stats "$sql" 2>"$D/err")
        t=$(sed -n 's/^Run Time: \([0-9.]*\) s$/\1/p' "$D/err")
        times="$times $t"
    done
    echo "floe   $name: runs${times} s, median $(echo $times | median) s; $(grep -o '"files_read":[0-9]*' "$D/err"); result $(echo "$out" | head -1)"
done
node bench/duckdb_query.mjs query "$D/wh/default/weather/data/**/*.parquet" "$REPEAT" "$Q1" "$Q2D" "$Q3" |
    python3 -c '
import json, sys
for name, line in zip(["Q1", "Q2", "Q3"], sys.stdin):
    r = json.loads(line)
    s = sorted(r["seconds"])
    runs = " ".join("%.3f" % x for x in r["seconds"])
    print("duckdb %s: runs %s s, median %.3f s; result %s" % (name, runs, s[len(s) // 2], r["result"]))'
