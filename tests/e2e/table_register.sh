#!/usr/bin/env bash
# e2e: `floe table register NS.NAME FOLDER|METADATA` points the catalog at
# a table folder already in the warehouse (written by floe or another
# engine) without writing to it, `unregister` removes the name and
# leaves the files: a table unregistered and registered again under
# another name reads the same rows, by folder or by metadata file; a
# taken name, a path outside the warehouse and unregister --purge are
# refused.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export FLOE_WAREHOUSE="$T/warehouse"
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }

cat > s.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[{"id":1,"name":"id","required":true,"type":"long"}]}
JSON
printf '{"id":1}\n{"id":2}\n{"id":3}\n' > rows.ndjson
"$FLOE" table create db.t --schema s.json >/dev/null
"$FLOE" table append db.t rows.ndjson >/dev/null

check "unregister" '"$FLOE" table unregister db.t | grep -q "unregistered db.t"'
check "the name is gone" '[ -z "$("$FLOE" table list db)" ]'
check "the files stay" '[ -n "$(find warehouse/db/t -name "*.parquet")" ]'
check "unregister --purge refused" '! "$FLOE" table unregister db.t --purge 2>/dev/null'
check "register a folder" '"$FLOE" table register other.t2 "$T/warehouse/db/t" | grep -q "registered other.t2"'
check "reads its rows" '[ "$("$FLOE" table scan other.t2 | wc -l)" = 3 ]'
check "in floe sql too" '[ "$("$FLOE" sql --format csv "select count(*) from other.t2" | tail -1)" = 3 ]'
check "a taken name is refused" '! "$FLOE" table register other.t2 "$T/warehouse/db/t" 2>/dev/null'
META=$(ls "$T"/warehouse/db/t/metadata/*.metadata.json | sort | tail -1)
check "register a metadata file" '"$FLOE" table register db.t3 "$META" >/dev/null'
check "reads the same" '[ "$("$FLOE" table scan db.t3 | wc -l)" = 3 ]'
mkdir -p outside && cp -r "$T/warehouse/db/t" outside/t
check "outside the warehouse refused" '! "$FLOE" table register db.t4 "$T/outside/t" 2>/dev/null'
check "and not left registered" '! "$FLOE" table list db | grep -q t4'
check "a name is not a path" '! "$FLOE" table register db.t5 other.t2 2>/dev/null'

echo "table_register: $pass passed, $fail failed"
[ "$fail" = 0 ]
