#!/usr/bin/env bash
# e2e: `floe table` on a local warehouse: create a partitioned table,
# append NDJSON and Parquet, scan with pruning (asserted from floe's own
# scan counters), time travel, row-level delete, schema and partition
# evolution, reading by path without the catalog, drop --purge.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
json() { python3 -c "import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(d$1)"; }

cat > s.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"city","required":true,"type":"string"},
 {"id":2,"name":"temperature","required":false,"type":"double"},
 {"id":3,"name":"ts","required":true,"type":"timestamptz"}]}
JSON
python3 - <<'PY'
import json
cities = ['Paris', 'Oslo', 'Rome', 'Lima']
with open('jan.ndjson', 'w') as f:
    for d in range(1, 11):
        for i in range(50):
            f.write(json.dumps({'city': cities[i % 4], 'temperature': i * 0.5,
                                'ts': '2026-01-%02dT%02d:%02d:00Z' % (d, i % 24, i % 60)}) + '\n')
PY
sed 's/2026-01-/2026-02-/' jan.ndjson > feb.ndjson

check "create" '"$FLOE" table create weather.readings --schema s.json --partition "day(ts)" >/dev/null'
check "create twice fails" '! "$FLOE" table create weather.readings --schema s.json 2>/dev/null'
check "append jan" '"$FLOE" table append weather.readings jan.ndjson | grep -q "appended 500 rows"'
check "list" '[ "$("$FLOE" table list)" = "weather.readings" ]'
S1=$("$FLOE" table snapshots weather.readings | json "['snapshot_id']")
check "append feb" '"$FLOE" table append weather.readings feb.ndjson | grep -q "appended 500 rows"'
check "scan all" '[ "$("$FLOE" table scan weather.readings | wc -l)" = 1000 ]'
check "time travel" '[ "$("$FLOE" table scan weather.readings --snapshot "$S1" | wc -l)" = 500 ]'

# one day: the February manifest and 9 of 10 January files are never read
"$FLOE" table scan weather.readings --stats --where "ts >= '2026-01-05' and ts < '2026-01-06'" > day.ndjson 2> stats.json
check "one day rows" '[ "$(wc -l < day.ndjson)" = 50 ]'
check "manifest pruned" '[ "$(json "[\"manifests_skipped\"]" < stats.json)" = 1 ]'
check "files pruned" '[ "$(json "[\"files_read\"]" < stats.json)" = 1 ]'
"$FLOE" table scan weather.readings --stats --where "temperature > 100" > none.ndjson 2> stats2.json
check "bounds prune every file" '[ "$(json "[\"files_read\"]" < stats2.json)" = 0 ] && [ ! -s none.ndjson ]'
check "where values" '[ "$("$FLOE" table scan weather.readings --where "city = Oslo and temperature >= 20" | wc -l)" = 60 ]'

check "row-level delete" '"$FLOE" table delete weather.readings --where "city = Rome" | grep -q "deleted 240 rows"'
check "deleted rows gone" '[ "$("$FLOE" table scan weather.readings | wc -l)" = 760 ] && ! "$FLOE" table scan weather.readings | grep -q Rome'
check "delete snapshot" '"$FLOE" table snapshots weather.readings | tail -1 | grep -q "\"operation\":\"delete\""'
check "older snapshot keeps rows" '[ "$("$FLOE" table scan weather.readings --snapshot "$S1" | wc -l)" = 500 ]'

check "add column" '"$FLOE" table alter weather.readings add-column humidity float >/dev/null'
check "rename column" '"$FLOE" table alter weather.readings rename-column temperature temp_c >/dev/null'
check "bad widen refused" '! "$FLOE" table alter weather.readings widen temp_c int 2>/dev/null'
check "drop partition source refused" '! "$FLOE" table alter weather.readings drop-column ts 2>/dev/null'
check "partition by month" '"$FLOE" table alter weather.readings partition-by "month(ts)" >/dev/null'
echo '{"city":"Nuuk","temp_c":-12.5,"humidity":0.5,"ts":"2026-03-01T00:00:00Z"}' > mar.ndjson
check "append after evolution" '"$FLOE" table append weather.readings mar.ndjson | grep -q "appended 1 rows"'
check "old rows read new column as null" '"$FLOE" table scan weather.readings --where "city = Paris" --limit 1 | grep -q "\"humidity\":null"'
check "new row has it" '"$FLOE" table scan weather.readings --where "city = Nuuk" | grep -q "\"temp_c\":-12.5,\"ts\":\"2026-03-01T00:00:00.000000+00:00\",\"humidity\":0.5"'

# the same table by path, without the catalog (as DuckDB's iceberg_scan reads)
check "scan by folder" '[ "$("$FLOE" table scan warehouse/weather/readings | wc -l)" = 761 ]'
V2=$(ls warehouse/weather/readings/metadata/v2.metadata.json)
check "scan a metadata file" '[ "$("$FLOE" table scan "$V2" | wc -l)" = 500 ]'
# a copy elsewhere still reads: paths resolve under the copied folder
cp -r warehouse/weather/readings moved
check "moved table reads" '[ "$("$FLOE" table scan "$T/moved" | wc -l)" = 761 ]'

# bin-pack: the 20 day files all have deletes (rewritten, deletes applied);
# the one March file (no deletes, a single file) stays as it is
check "compact" '"$FLOE" table compact weather.readings | grep -q "compacted 20 data and 20 delete files into .* snapshot .* (760 rows)"'
check "compacted rows" '[ "$("$FLOE" table scan weather.readings | wc -l)" = 761 ] && ! "$FLOE" table files weather.readings | grep -q "\"content\":1"'
check "replace snapshot" '"$FLOE" table snapshots weather.readings | tail -1 | grep -q "\"operation\":\"replace\""'
check "files listed exist" '"$FLOE" table files weather.readings | python3 -c "
import json,sys,os
for l in sys.stdin:
    p=json.loads(l)[\"file_path\"]; assert os.path.exists(p[len(\"file://\"):]), p
"'
cp mar.ndjson over.ndjson
check "overwrite" '"$FLOE" table overwrite weather.readings over.ndjson | grep -q "overwrote the table with 1 rows"'
check "overwritten" '[ "$("$FLOE" table scan weather.readings | wc -l)" = 1 ] && "$FLOE" table describe weather.readings | grep -q "\"total_records\":1}"'
check "drop --purge" '"$FLOE" table drop weather.readings --purge | grep -q "removed" && [ -z "$(find warehouse/weather -type f)" ]'
check "dropped table is gone" '! "$FLOE" table scan weather.readings 2>/dev/null'

echo "table: $pass passed, $fail failed"
[ "$fail" = 0 ]
