#!/usr/bin/env bash
# e2e: floe sql reads a table by path, as DuckDB's iceberg_scan does,
# without a catalog entry (src/sql/sql_path.c): a floe table copied out of
# the warehouse (with a row-level delete) and Spark's equality-delete
# tables (tests/fixtures) by folder, relative or absolute, or by metadata
# file; with WHERE pushdown, timestamps as values, a join of two paths
# and the aggregate shortcut agreeing with the general path; Trino's FOR
# VERSION AS OF after a path; a missing
# path is an error naming it; a string or a quoted name that only looks
# like a call is left alone.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
FIX=${FLOE_FIXTURES:-${FLOE_SRC:?FLOE_SRC must point at the source tree}/tests/fixtures}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export FLOE_WAREHOUSE="$T/warehouse"
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
q() { "$FLOE" sql --format csv "$1" | tail -n +2; }

cat > s.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":true,"type":"long"},
 {"id":2,"name":"ts","required":false,"type":"timestamptz"}]}
JSON
printf '{"id":1,"ts":"2021-01-10T12:00:00Z"}\n{"id":2,"ts":"2021-01-11T12:00:00Z"}\n{"id":3,"ts":"2021-01-12T12:00:00Z"}\n' > r.ndjson
"$FLOE" table create db.t --schema s.json >/dev/null
"$FLOE" table append db.t r.ndjson >/dev/null
"$FLOE" table delete db.t --where "id = 3" >/dev/null
mkdir -p elsewhere && cp -r warehouse/db/t elsewhere/t

check "count by absolute path" '[ "$(q "select count(*) from iceberg_scan('"'"'$T/elsewhere/t'"'"')")" = 2 ]'
check "relative path, where on a timestamp" \
    '[ "$(q "select id from iceberg_scan('"'"'elsewhere/t'"'"') where ts = TIMESTAMP '"'"'2021-01-11 12:00:00'"'"'")" = 2 ]'
check "general path agrees" \
    '[ "$(FLOE_SQL_NO_SHORTCUTS=1 "$FLOE" sql --format csv "select count(*) from iceberg_scan('"'"'elsewhere/t'"'"')" | tail -1)" = 2 ]'
check "file URI" '[ "$(q "select count(*) from iceberg_scan('"'"'file://$T/elsewhere/t'"'"')")" = 2 ]'
META=$(ls "$T"/elsewhere/t/metadata/*.metadata.json | sort | head -1)
check "an older metadata file" '[ "$(q "select count(*) from iceberg_scan('"'"'$META'"'"')")" = 0 ]'
SNAP=$("$FLOE" table snapshots "$T/elsewhere/t" | head -1 | sed 's/.*"snapshot_id":\([0-9]*\).*/\1/')
check "FOR VERSION AS OF after iceberg_scan: the append before the delete" \
    '[ "$(q "select count(*) from iceberg_scan('"'"'elsewhere/t'"'"') FOR VERSION AS OF $SNAP")" = 3 ]'
check "two paths joined" \
    '[ "$(q "select count(*) from iceberg_scan('"'"'elsewhere/t'"'"') a join iceberg_scan('"'"'$T/warehouse/db/t'"'"') b on a.id = b.id")" = 2 ]'
SPARK="$FIX/iceberg/duckdb-iceberg/persistent/equality_deletes/warehouse/mydb"
check "Spark equality deletes" '[ "$(q "select count(*) from iceberg_scan('"'"'$SPARK/mytable'"'"')")" = 2 ]'
check "Spark partitioned equality deletes" \
    '[ "$(q "select count(*) from iceberg_scan('"'"'$SPARK/mytable_partitioned'"'"')")" = 3 ]'
check "a missing path names it" \
    '{ "$FLOE" sql "select * from iceberg_scan('"'"'nope/t'"'"')" 2>&1 || true; } | grep -q "iceberg_scan('"'"'nope/t'"'"')"'
check "a string is left alone" '[ "$(q "select '"'"'iceberg_scan('"'"''"'"'x'"'"''"'"')'"'"'")" = "iceberg_scan('"'"'x'"'"')" ]'

echo "sql_iceberg_scan: $pass passed, $fail failed"
[ "$fail" = 0 ]
