#!/usr/bin/env bash
# e2e: `floe table compact` (bin-pack) on a table of 200 tiny appends
# over 2 partitions and a row-level delete: a dry run prints the plan and
# changes nothing; the compaction leaves one data file per partition and
# no position delete file, `floe table scan` gives the same rows and
# `floe sql` the same COUNT(*) and SUM as before; a second run has
# nothing to do; bad option values are refused; and compaction run again
# and again beside a writer appending one row per commit loses no row.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export FLOE_WAREHOUSE=$T/wh
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
live() { "$FLOE" table files default.ev | grep -c "\"content\":$1" || true; }
q() { "$FLOE" sql --format csv --no-header "$@"; }

cat > s.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":true,"type":"long"},
 {"id":2,"name":"city","required":false,"type":"string"},
 {"id":3,"name":"v","required":false,"type":"double"}]}
JSON
"$FLOE" table create default.ev --schema s.json --partition city >/dev/null
for i in $(seq 1 200); do
    printf '{"id":%d,"city":"%s","v":%d.5}\n' "$i" "$([ $((i % 2)) = 0 ] && echo Oslo || echo Rome)" "$i" > r.ndjson
    "$FLOE" table append default.ev r.ndjson >/dev/null
done
"$FLOE" table delete default.ev --where "id = 7" >/dev/null
"$FLOE" table scan default.ev | sort > before.ndjson
COUNT=$(q "SELECT COUNT(*) FROM ev")
SUM=$(q "SELECT SUM(v) FROM ev")
check "200 data files, one delete file" '[ "$(live 0)" = 200 ] && [ "$(live 1)" = 1 ]'
check "199 rows" '[ "$(wc -l < before.ndjson)" = 199 ] && [ "$COUNT" = 199 ]'

M=$(ls -t wh/default/ev/metadata/*-*.metadata.json | head -1)
"$FLOE" table compact default.ev --dry-run > dry.txt
check "dry run plans a group per partition" '[ "$(grep -c -- "-> planned" dry.txt)" = 2 ] && grep -q "partition \"city=Oslo\" (spec 0): 100 data files" dry.txt'
check "dry run changes nothing" '[ "$(ls -t wh/default/ev/metadata/*-*.metadata.json | head -1)" = "$M" ] && [ "$(live 0)" = 200 ]'

"$FLOE" table compact default.ev > out.txt
check "two groups committed" '[ "$(grep -c "committed" out.txt)" = 2 ] && grep -q "compacted 200 data and 1 delete files into 2 files" out.txt'
check "per partition before and after" 'grep -q "partition \"city=Rome\" (spec 0): 100 data files -> 1, 1 delete files -> 0" out.txt'
check "one file per partition, no position deletes" '[ "$(live 0)" = 2 ] && [ "$(live 1)" = 0 ]'
check "same rows" '"$FLOE" table scan default.ev | sort | cmp -s - before.ndjson'
check "same COUNT(*)" '[ "$(q "SELECT COUNT(*) FROM ev")" = "$COUNT" ]'
check "same SUM" '[ "$(q "SELECT SUM(v) FROM ev")" = "$SUM" ]'
check "replace snapshots" '"$FLOE" table snapshots default.ev | tail -2 | grep -c "\"operation\":\"replace\"" | grep -q 2'
check "nothing left to do" '"$FLOE" table compact default.ev | grep -q "nothing to compact"'
check "--partition narrows" '"$FLOE" table compact default.ev --all --dry-run --partition city=Oslo | grep -c -- "-> planned" | grep -q "^1$"'
check "bad target refused" '! "$FLOE" table compact default.ev --target-size 0 2>/dev/null'
check "bad min-input-files refused" '! "$FLOE" table compact default.ev --min-input-files x 2>/dev/null'

# beside a writer: 40 appends (one commit each) while compaction runs
# again and again; every append commits and every row is there
(for i in $(seq 1001 1040); do
    printf '{"id":%d,"city":"%s","v":1.0}\n' "$i" "$([ $((i % 2)) = 0 ] && echo Oslo || echo Rome)" > w$i.ndjson
    "$FLOE" table append default.ev w$i.ndjson >/dev/null || echo "append $i failed" >> writer.err
done; touch writer.done) &
runs=0
while [ ! -e writer.done ]; do
    "$FLOE" table compact default.ev --min-input-files 2 >> loop.txt 2>&1 || echo "compact failed" >> loop.err
    runs=$((runs + 1))
done
wait
check "every append committed beside compaction" '[ ! -s writer.err ] && [ ! -e loop.err ]'
check "compaction ran beside the writer" '[ "$runs" -ge 2 ] && grep -q "committed" loop.txt'
check "every row once" '[ "$("$FLOE" table scan default.ev | wc -l)" = 239 ] && [ "$(q "SELECT COUNT(DISTINCT id) FROM ev")" = 239 ]'

echo "table_compact: $pass passed, $fail failed"
[ "$fail" = 0 ]
