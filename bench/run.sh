#!/usr/bin/env bash
# bench/run.sh - floe's Parquet writer beside DuckDB's COPY TO, same rows.
#
# Builds floe in build/ (RelWithDebInfo), then for zstd and snappy runs
# bench/pq_write (floe, one thread; without fsync, as DuckDB's COPY does
# not fsync - checked with strace - and once more with the fsync floe's
# file writer does) and bench/duckdb_write.mjs (DuckDB with threads=1 and
# threads=2), REPEAT times each, checks with DuckDB that
# floe's file reads back with the same row count and sum(id), and prints a
# markdown table of the median run of each. Raw JSON lines go to
# $OUT_DIR/results.ndjson.
#
#   bash bench/run.sh                  # 10 million rows, 3 runs each
#   ROWS=1000000 REPEAT=1 bash bench/run.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${ROWS:-10000000}
REPEAT=${REPEAT:-3}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/floe-bench.XXXXXX)}
mkdir -p "$OUT_DIR"
RESULTS=$OUT_DIR/results.ndjson
: >"$RESULTS"

cd "$ROOT"
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2 --target pq_write >/dev/null

if [ ! -d tests/interop/node_modules/@duckdb/node-api ]; then
  echo "bench/run.sh: run npm install in tests/interop first" >&2
  exit 1
fi

check_floe_file() { # FILE ROWS -> verifies count(*) and sum(id) with DuckDB
  node --input-type=module -e "
    import { createRequire } from 'node:module';
    const require = createRequire('$ROOT/tests/interop/package.json');
    const { DuckDBInstance } = require('@duckdb/node-api');
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    const r = (await con.runAndReadAll(\"select count(*)::varchar, sum(id)::varchar, count(distinct city)::varchar, min(ts)::varchar, max(ts)::varchar from read_parquet('$1')\")).getRows()[0];
    const n = BigInt($2);
    const want = [n.toString(), (n * (n - 1n) / 2n).toString(), '10'];
    if (r[0] !== want[0] || r[1] !== want[1] || r[2] !== want[2]) {
      console.error('DuckDB reads $1 as count/sum(id)/cities ' + r.slice(0, 3) + ', expected ' + want);
      process.exit(1);
    }
    console.error('check: DuckDB reads floe file $1: ' + r[0] + ' rows, sum(id) ' + r[1] + ', ts ' + r[3] + ' .. ' + r[4]);
  "
}

for codec in zstd snappy; do
  for ((i = 1; i <= REPEAT; i++)); do
    "$BUILD_DIR/pq_write" --rows "$ROWS" --codec "$codec" --no-fsync --out "$OUT_DIR/floe-$codec.parquet" | tee -a "$RESULTS"
    if [ "$i" = 1 ]; then check_floe_file "$OUT_DIR/floe-$codec.parquet" "$ROWS"; fi
    "$BUILD_DIR/pq_write" --rows "$ROWS" --codec "$codec" --out "$OUT_DIR/floe-$codec-fsync.parquet" | tee -a "$RESULTS"
    for threads in 1 2; do
      node "$ROOT/bench/duckdb_write.mjs" --rows "$ROWS" --codec "$codec" --threads "$threads" \
        --out "$OUT_DIR/duckdb-$codec-t$threads.parquet" | tee -a "$RESULTS"
    done
  done
done

# Memory against the row group target: floe with 16 MiB row groups (the
# default, 128 MiB, holds the whole file in one row group).
"$BUILD_DIR/pq_write" --rows "$ROWS" --codec zstd --no-fsync --row-group-size 16777216 \
  --out "$OUT_DIR/floe-zstd-rg16m.parquet" | tee -a "$RESULTS"

echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rows: $ROWS; median of $REPEAT runs; machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo
jq -rs '
  map(.tool = (if .fsync == true then "floe + fsync"
               elif (.row_group_target // 134217728) != 134217728 then "floe, \(.row_group_target / 1048576) MiB row groups"
               else .tool end))
  | group_by([.tool, .codec, .threads])
  | map(sort_by(.seconds) | .[(length - 1) / 2 | floor] + {min: .[0].seconds, max: .[-1].seconds})
  | sort_by([.codec, (.tool | test("floe") | not), .tool, .threads])
  | (["| tool | codec | threads | seconds (median) | min–max | Mrows/s | Mrows/s per thread | file MiB | row groups | peak RSS MiB | RSS before write MiB | added by write MiB |",
      "|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
     + map("| \(.tool) | \(.codec) | \(.threads) | \(.seconds) | \(.min)–\(.max) | \((.rows / .seconds / 1e6 * 100 | round) / 100) | \((.rows / .seconds / 1e6 / .threads * 100 | round) / 100) | \((.file_bytes / 1048576 * 10 | round) / 10) | \(.row_groups) | \(.peak_rss_mib) | \(.peak_rss_before_write_mib) | \(.write_added_peak_mib) |"))
  | .[]' "$RESULTS"
echo
echo "raw results: $RESULTS"
