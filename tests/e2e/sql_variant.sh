#!/usr/bin/env bash
# e2e: variant columns in tables floe made for the purpose (the Trino ones
# are in impala_v3.sh). A table is written with a struct column v of
# Parquet's variant shape (binary metadata and value, Variant bytes
# encoded by hand from parquet-format VariantEncoding.md), then a copy of
# its metadata declares v a variant: floe sql and floe table scan show
# the values as JSON text (`table scan --where` refuses conditions on
# them). Shredded variants (VariantShredding.md): a primitive typed_value
# (long, decimal, string, timestamptz) reads as the value it holds, the
# residual value where it is absent; both at once is refused; a variant
# shredded into an object (a typed_value group) is refused with an error
# naming the column when v is selected, the other columns readable.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export FLOE_WAREHOUSE="$T/warehouse"
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
q() { "$FLOE" sql --format csv --no-header "$1"; }

# a copy of table ns.NAME's last metadata with column v declared variant
as_variant() {
    /usr/bin/python3 - "$T/warehouse/db/$1/metadata" <<'PY'
import glob, json, sys
d = sys.argv[1]
m = json.load(open(sorted(glob.glob(d + "/0*.metadata.json"))[-1]))
for s in m["schemas"]:
    for f in s["fields"]:
        if f["name"] == "v":
            f["type"] = "variant"
json.dump(m, open(d + "/99999-variant.metadata.json", "w"))
print(d + "/99999-variant.metadata.json")
PY
}

# ---- unshredded: metadata + value
cat > u.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":true,"type":"int"},
 {"id":2,"name":"v","required":false,"type":{"type":"struct","fields":[
   {"id":3,"name":"metadata","required":true,"type":"binary"},
   {"id":4,"name":"value","required":true,"type":"binary"}]}}]}
JSON
# dictionary "age", "name"; {"age":30,"name":"Alice"} with the values
# stored name first; [1,"x"]; a variant null; an int8 -34; a SQL null
D=0102000307616765 D=${D}6e616d65
{
    printf '{"id":1,"v":{"metadata":"%s","value":"02020001060008%s0c1e"}}\n' "$D" "15416c696365"
    printf '{"id":2,"v":{"metadata":"010000","value":"03020002040c010578"}}\n'
    printf '{"id":3,"v":{"metadata":"010000","value":"00"}}\n'
    printf '{"id":4,"v":{"metadata":"010000","value":"0cde"}}\n'
    printf '{"id":5,"v":null}\n'
} > u.ndjson
"$FLOE" table create db.u --schema u.json --property format-version=3 >/dev/null
"$FLOE" table append db.u u.ndjson >/dev/null
U=$(as_variant u)
check "variants as JSON text" '[ "$(q "select id, v from iceberg_scan('"'"'$U'"'"') order by id")" = "$(printf "%s\n" \
    "1,\"{\"\"age\"\":30,\"\"name\"\":\"\"Alice\"\"}\"" "2,\"[1,\"\"x\"\"]\"" 3,null 4,-34 5,)" ]'
check "json_extract on a variant" \
    '[ "$(q "select json_extract(v, '"'"'$.name'"'"') from iceberg_scan('"'"'$U'"'"') where id = 1")" = Alice ]'
check "a variant null is not SQL null" \
    '[ "$(q "select count(*) from iceberg_scan('"'"'$U'"'"') where v is null")" = 1 ]'
check "floe table scan shows the JSON" \
    '"$FLOE" table scan "$U" --limit 1 | grep -F -q "\"v\":{\"age\":30,\"name\":\"Alice\"}"'
check "table scan --where on a variant: a clear refusal" \
    '{ ! "$FLOE" table scan "$U" --where "v = 1" 2>&1; } | grep -q "\"v\" is a variant column"'
check "table scan --where matching no row prints nothing, exit 0" \
    'out=$("$FLOE" table scan "$U" --where "id = 99") && [ -z "$out" ]'

# ---- shredded (VariantShredding.md): a primitive typed_value holds the
# value where it is present; the variant bytes where it is not; neither
# is a variant null
shredded() { # NAME TYPED_TYPE NDJSON: a table whose v has that typed_value
    cat > "$1.json" <<JSON
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":true,"type":"int"},
 {"id":2,"name":"v","required":false,"type":{"type":"struct","fields":[
   {"id":3,"name":"metadata","required":true,"type":"binary"},
   {"id":4,"name":"value","required":false,"type":"binary"},
   {"id":5,"name":"typed_value","required":false,"type":$2}]}}]}
JSON
    printf "%s" "$3" > "$1.ndjson"
    "$FLOE" table create "db.$1" --schema "$1.json" --property format-version=3 >/dev/null
    "$FLOE" table append "db.$1" "$1.ndjson" >/dev/null
}
shredded s '"long"' '{"id":1,"v":{"metadata":"010000","value":"0c2a"}}
{"id":2,"v":{"metadata":"010000","typed_value":7}}
{"id":3,"v":{"metadata":"010000"}}
{"id":4,"v":null}
'
S=$(as_variant s)
check "shredded long: typed values, residual values, variant null, SQL null" \
    '[ "$(q "select id, v from iceberg_scan('"'"'$S'"'"') order by id" | tr "\n" " ")" = "1,42 2,7 3,null 4, " ]'
shredded sd '"decimal(9, 2)"' '{"id":1,"v":{"metadata":"010000","typed_value":"3.14"}}
'
shredded ss '"string"' '{"id":1,"v":{"metadata":"010000","typed_value":"a\"b"}}
'
shredded st '"timestamptz"' '{"id":1,"v":{"metadata":"010000","typed_value":"2024-11-07T12:33:54.123456Z"}}
'
check "shredded decimal, string and timestamptz render as unshredded ones" \
    '[ "$(q "select v from iceberg_scan('"'"'$(as_variant sd)'"'"')") $(q "select v from iceberg_scan('"'"'$(as_variant ss)'"'"')") $(q "select v from iceberg_scan('"'"'$(as_variant st)'"'"')")" = "3.14 \"\"\"a\\\"\"b\"\"\" \"\"\"2024-11-07 12:33:54.123456+00:00\"\"\"" ]'
check "a value and a typed_value both present is refused" \
    '{ shredded sb "\"long\"" "{\"id\":1,\"v\":{\"metadata\":\"010000\",\"value\":\"0c2a\",\"typed_value\":7}}
"; ! "$FLOE" sql "select v from iceberg_scan('"'"'$(as_variant sb)'"'"')" 2>&1; } | grep -q "both value and typed_value"'

# an object shredded into a typed_value group: refused naming the column,
# the other columns readable
shredded so '{"type":"struct","fields":[{"id":6,"name":"a","required":false,"type":{"type":"struct","fields":[{"id":7,"name":"value","required":false,"type":"binary"},{"id":8,"name":"typed_value","required":false,"type":"int"}]}}]}' '{"id":1,"v":{"metadata":"0101000161","typed_value":{"a":{"typed_value":1}}}}
{"id":2,"v":{"metadata":"010000","value":"0c2a"}}
'
O=$(as_variant so)
check "other columns of an object-shredded table read" '[ "$(q "select id from iceberg_scan('"'"'$O'"'"') order by id" | tr "\n" " ")" = "1 2 " ]'
check "an object-shredded variant is refused naming the column" \
    '{ "$FLOE" sql "select id, v from iceberg_scan('"'"'$O'"'"')" 2>&1 || true; } | grep -q "column \"v\": a variant shredded into an object"'
check "and gives no rows" '[ -z "$(q "select id, v from iceberg_scan('"'"'$O'"'"')" 2>/dev/null)" ]'

echo "sql_variant: $pass passed, $fail failed"
[ "$fail" = 0 ]
