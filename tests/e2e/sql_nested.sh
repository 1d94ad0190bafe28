#!/usr/bin/env bash
# e2e: nested columns (struct, list, map) end to end. Tables other engines
# wrote (duckdb-iceberg's PyIceberg tables in tests/fixtures: a
# map<string,string>, a struct that gained members) read by iceberg_scan
# with their values as JSON text, a scalar sibling alone, json_extract on
# the text; a floe table with nested columns created from schema JSON,
# appended from NDJSON and queried (csv and json output); and `floe up`
# with a YAML table whose nested types use the compact form, fed
# Debezium-style envelopes over HTTP, queried after the pipeline commits.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
FIX=${FLOE_FIXTURES:-${FLOE_SRC:?FLOE_SRC must point at the source tree}/tests/fixtures}
cd "$T"
export FLOE_WAREHOUSE="$T/warehouse"
q() { "$FLOE" sql --format csv "$1" | tail -n +2; }

# ---- tables written by PyIceberg (values as DuckDB reads their data files)
P="$FIX/iceberg/duckdb-iceberg/persistent"
MS="iceberg_scan('$P/map_stats/default.db/map_stats')"
check "map column as JSON" '[ "$(q "select timestamp, metadata from $MS order by timestamp")" = "$(printf "%s\n" \
    "2026-01-01 00:00:00.000000+00:00,\"{\"\"key\"\":\"\"value1\"\"}\"" \
    "2026-01-02 00:00:00.000000+00:00,\"{\"\"key\"\":\"\"value1\"\"}\"")" ]'
check "scalar sibling alone" '[ "$(q "select input || output from $MS")" = "$(printf "helloworld\nhelloworld")" ]'
check "json_extract on a map" '[ "$(q "select count(*) from $MS where json_extract(metadata, '"'"'\$.key'"'"') = '"'"'value1'"'"'")" = 2 ]'
check "is not null on a nested column" '[ "$(q "select count(*) from $MS where metadata is not null")" = 2 ]'
ST="iceberg_scan('$P/add_columns_with_defaults_in_struct/default.db/add_columns_with_defaults_in_struct')"
got=$(q "select a from $ST" | sort)
# the older file lacks the members added later: their initial-defaults, in
# the table's shape (duckdb-iceberg test/sql/local/initial_default_in_struct_all_types.test)
check "struct that gained members" '[ "$got" = "$(printf "%s\n" \
    "\"{\"\"col1\"\":\"\"test\"\",\"\"col_boolean\"\":false,\"\"col_integer\"\":453243,\"\"col_long\"\":328725092345834,\"\"col_float\"\":23.34342,\"\"col_double\"\":23.343424523423433,\"\"col_decimal\"\":\"\"3423434.23\"\",\"\"col_date\"\":\"\"0011-03-05\"\",\"\"col_time\"\":\"\"12:06:45.000000\"\",\"\"col_timestamp\"\":\"\"0011-03-05T12:06:45.000000\"\",\"\"col_timestamptz\"\":null,\"\"col_string\"\":\"\"World\"\",\"\"col_uuid\"\":null,\"\"col_fixed\"\":null,\"\"col_binary\"\":\"\"800080\"\"}\"" \
    "\"{\"\"col1\"\":\"\"test\"\",\"\"col_boolean\"\":true,\"\"col_integer\"\":342342,\"\"col_long\"\":-9223372036854775808,\"\"col_float\"\":0.34234,\"\"col_double\"\":0.342343242342342,\"\"col_decimal\"\":\"\"12345.00\"\",\"\"col_date\"\":\"\"2003-10-20\"\",\"\"col_time\"\":\"\"00:00:00.012345\"\",\"\"col_timestamp\"\":\"\"1970-01-01T00:00:00.012345\"\",\"\"col_timestamptz\"\":\"\"1970-01-01T00:00:00.012345+00:00\"\",\"\"col_string\"\":\"\"HELLO\"\",\"\"col_uuid\"\":\"\"f79c3e09-677c-4bbd-a479-3f349cb785e7\"\",\"\"col_fixed\"\":\"\"010203ff03\"\",\"\"col_binary\"\":\"\"0102\"\"}\"" | sort)" ]'

# ---- a floe table with nested columns
cat > s.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":true,"type":"long"},
 {"id":2,"name":"geo","required":false,"type":{"type":"struct","fields":[
   {"id":5,"name":"lat","required":true,"type":"double"},{"id":6,"name":"lon","required":false,"type":"double"}]}},
 {"id":3,"name":"tags","required":false,"type":{"type":"list","element-id":7,"element":"string","element-required":false}},
 {"id":4,"name":"attrs","required":false,"type":{"type":"map","key-id":8,"key":"string","value-id":9,"value":"long","value-required":false}}]}
JSON
printf '%s\n' '{"id":1,"geo":{"lat":52.5,"lon":13.4},"tags":["a","b"],"attrs":{"x":1}}' \
    '{"id":2,"geo":null,"tags":[],"attrs":{}}' '{"id":3}' '{"id":4,"geo":{"lat":-1},"tags":[null]}' > r.ndjson
"$FLOE" table create db.ev --schema s.json >/dev/null
"$FLOE" table append db.ev r.ndjson >/dev/null
check "select * shows JSON text" '[ "$(q "select * from db.ev order by id")" = "$(printf "%s\n" \
    "1,\"{\"\"lat\"\":52.5,\"\"lon\"\":13.4}\",\"[\"\"a\"\",\"\"b\"\"]\",\"{\"\"x\"\":1}\"" \
    "2,,[],{}" "3,,," "4,\"{\"\"lat\"\":-1.0,\"\"lon\"\":null}\",[null],")" ]'
check "a scalar column alone" '[ "$(q "select sum(id) from db.ev")" = 10 ]'
check "json output embeds the values" \
    '[ "$("$FLOE" sql --format ndjson "select id, geo, tags from db.ev where id = 1")" = "{\"id\":1,\"geo\":{\"lat\":52.5,\"lon\":13.4},\"tags\":[\"a\",\"b\"]}" ]'
check "filter through json_extract" '[ "$(q "select id from db.ev where json_extract(geo, '"'"'\$.lat'"'"') < 0")" = 4 ]'
check "a value of the wrong shape is refused, naming the field" \
    '{ echo "{\"id\":5,\"tags\":{\"no\":1}}" > bad.ndjson; ! "$FLOE" table append db.ev bad.ndjson 2>&1; } | grep "tags" >/dev/null'
check "table scan --where on a nested column: a clear refusal" \
    '{ ! "$FLOE" table scan db.ev --where "geo = 1" 2>&1; } | grep "nested column" >/dev/null'
check "nothing appended by the refused file" '[ "$(q "select count(*) from db.ev")" = 4 ]'

# ---- struct members added later with an initial-default (format 3): a
# file without the member reads its default, as the table's column of its
# type shows it (a copy of the table's metadata declares the members)
cat > sd.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":true,"type":"int"},
 {"id":2,"name":"s","required":false,"type":{"type":"struct","fields":[
   {"id":3,"name":"a","required":false,"type":"int"}]}}]}
JSON
printf '{"id":1,"s":{"a":5}}\n{"id":2,"s":null}\n' > sd.ndjson
"$FLOE" table create db.sd --schema sd.json --property format-version=3 >/dev/null
"$FLOE" table append db.sd sd.ndjson >/dev/null
SD=$(/usr/bin/python3 - "$T/warehouse/db/sd/metadata" <<'PY'
import glob, json, sys
d = sys.argv[1]
m = json.load(open(sorted(glob.glob(d + "/0*.metadata.json"))[-1]))
for s in m["schemas"]:
    for f in s["fields"]:
        if f["name"] == "s":
            f["type"]["fields"] += [
                {"id": 4, "name": "b", "required": False, "type": "int", "initial-default": 7},
                {"id": 5, "name": "t", "required": False, "type": "timestamp",
                 "initial-default": "2024-01-15T10:30:45.123456"},
                {"id": 6, "name": "d", "required": False, "type": "decimal(9, 2)",
                 "initial-default": "123.40"},
                {"id": 7, "name": "x", "required": False, "type": "string"}]
m["last-column-id"] = 7
json.dump(m, open(d + "/99999-defaults.metadata.json", "w"))
print(d + "/99999-defaults.metadata.json")
PY
)
check "a member the file lacks reads its initial-default" '[ "$(q "select id, s from iceberg_scan('"'"'$SD'"'"') order by id")" = "$(printf "%s\n" \
    "1,\"{\"\"a\"\":5,\"\"b\"\":7,\"\"t\"\":\"\"2024-01-15T10:30:45.123456\"\",\"\"d\"\":\"\"123.40\"\",\"\"x\"\":null}\"" "2,")" ]'

# ---- floe up: compact nested types in YAML, Debezium-style envelopes over HTTP
cat > up.yaml <<'YAML'
topics:
  - {name: cdc, partitions: 1}
tables:
  - namespace: default
    name: orders
    schema:
      - {name: op, type: string, required: true}
      - name: after
        type: "struct<id: long, items: list<struct<sku: string, qty: int>>, tags: map<string, string>>"
pipelines:
  - {name: orders, topic: cdc, table: default.orders}
YAML
unset FLOE_WAREHOUSE
floe_up_start -c up.yaml
body='{"records":[{"value":{"before":null,"after":{"id":1,"items":[{"sku":"a","qty":2},{"sku":"b"}],"tags":{"p":"hi"}},"op":"c","source":{"db":"shop"}}},{"value":{"op":"d","after":null}}]}'
curl -fs -H 'Content-Type: application/vnd.kafka.json.v2+json' -d "$body" "$URL/topics/cdc" >/dev/null
sq() { "$FLOE" sql --data "$T/d" --format csv "$1" 2>/dev/null | tail -n +2; }
for _ in $(seq 60); do [ "$(sq "select count(*) from orders")" = 2 ] && break; sleep 0.25; done
check "envelopes committed with their nested values" '[ "$(sq "select op, after from orders order by op")" = "$(printf "%s\n" \
    "c,\"{\"\"id\"\":1,\"\"items\"\":[{\"\"sku\"\":\"\"a\"\",\"\"qty\"\":2},{\"\"sku\"\":\"\"b\"\",\"\"qty\"\":null}],\"\"tags\"\":{\"\"p\"\":\"\"hi\"\"}}\"" \
    "d,")" ]'
check "the declared schema has the element, key and value ids" \
    '"$FLOE" table "${W[@]}" describe default.orders | grep "\"element-id\"" >/dev/null'
kill -TERM "$pid"; wait "$pid" || true; pid=

echo "sql_nested: $pass passed, $fail failed"
[ "$fail" = 0 ]
