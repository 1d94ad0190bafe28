#!/usr/bin/env bash
# e2e: `floe table expire` on a table with many commits. A table floe
# creates keeps 21 metadata versions (write.metadata.previous-versions-
# max 20, delete-after-commit on) however many commits it takes; after
# 60 appends, a compact and 2 appends, a dry run lists and changes nothing, then
# expiry down to the last 2 snapshots deletes the manifest lists, the
# manifests and the small data files only the old snapshots reached:
# metadata and data file counts shrink and `floe table scan` (current
# and the retained older snapshot) gives the same rows as before. The
# same works on the table by path, and bad option values are refused.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export FLOE_WAREHOUSE=$T/wh
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
count() { find "$1" -type f -name "$2" | wc -l; }

cat > s.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":true,"type":"long"},
 {"id":2,"name":"city","required":false,"type":"string"}]}
JSON
"$FLOE" table create db.t --schema s.json >/dev/null
M=wh/db/t/metadata
check "floe's table turns delete-after-commit on" \
    'grep -q "\"write.metadata.delete-after-commit.enabled\": *\"true\"" $M/v1.metadata.json'
for i in $(seq 1 60); do
    printf '{"id":%d,"city":"c%d"}\n{"id":%d,"city":"c%d"}\n' $((2 * i)) $((i % 5)) $((2 * i + 1)) $((i % 5)) > r.ndjson
    "$FLOE" table append db.t r.ndjson >/dev/null
done
check "61 versions, 21 kept (42 files with the vN twins)" '[ "$(count $M "*.metadata.json")" = 42 ]'
check "the metadata-log has 20 entries" \
    '[ "$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))[\"metadata-log\"]))" "$(ls -t $M/*-*.metadata.json | head -1)")" = 20 ]'
"$FLOE" table compact db.t >/dev/null
for i in 61 62; do
    printf '{"id":%d,"city":"late"}\n' $((1000 + i)) > late.ndjson
    "$FLOE" table append db.t late.ndjson >/dev/null
done
"$FLOE" table scan db.t | sort > before.txt
OLD=$("$FLOE" table snapshots db.t | tail -2 | head -1 | python3 -c "import json,sys; print(json.loads(sys.stdin.read())['snapshot_id'])")
"$FLOE" table scan db.t --snapshot "$OLD" | sort > old_before.txt
check "122 rows" '[ "$(wc -l < before.txt)" = 122 ]'
META_BEFORE=$(count $M "*")
DATA_BEFORE=$(count wh/db/t/data "*.parquet")
check "63 data files before" '[ "$DATA_BEFORE" = 63 ]'

"$FLOE" table expire db.t --older-than now --retain-last 2 --dry-run > dry.txt
check "dry run says what it would do" 'grep -q "would expire 61 snapshots (2 kept)" dry.txt'
check "dry run lists the files" '[ "$(grep -c "^file " dry.txt)" -gt 60 ]'
check "dry run lists the snapshots" '[ "$(grep -c "^snapshot " dry.txt)" = 61 ]'
check "dry run changes nothing" '[ "$(count $M "*")" = "$META_BEFORE" ] && [ "$(count wh/db/t/data "*.parquet")" = "$DATA_BEFORE" ]'
check "dry run keeps the snapshots" '[ "$("$FLOE" table snapshots db.t | wc -l)" = 63 ]'

"$FLOE" table expire db.t --older-than now --retain-last 2 > out.txt
cat out.txt
check "expired 61, kept 2" 'grep -q "expired 61 snapshots (2 kept)" out.txt'
check "deleted the 60 small data files" 'grep -q " 60 data files" out.txt'
check "what it deleted is what the dry run listed" \
    '[ "$(grep "^file " dry.txt | sed "s/^file //" | sort | md5sum)" = "$(cd wh && for f in $(grep "^file " ../dry.txt | sed "s/^file //"); do [ -e "$f" ] || echo "$f"; done | sort | md5sum)" ]'
check "2 snapshots left" '[ "$("$FLOE" table snapshots db.t | wc -l)" = 2 ]'
check "metadata files shrink" '[ "$(count $M "*")" -lt "$META_BEFORE" ]'
check "data files shrink to 3 (the compacted one and 2 appends)" '[ "$(count wh/db/t/data "*.parquet")" = 3 ]'
"$FLOE" table scan db.t | sort > after.txt
check "the same rows" 'cmp -s before.txt after.txt'
"$FLOE" table scan db.t --snapshot "$OLD" | sort > old_after.txt
check "the retained older snapshot reads the same rows" 'cmp -s old_before.txt old_after.txt'
check "appends go on" '"$FLOE" table append db.t r.ndjson >/dev/null && [ "$("$FLOE" table scan db.t | wc -l)" = 124 ]'
check "nothing more to expire by age (5 days)" '"$FLOE" table expire db.t | grep -q "expired 0 snapshots"'

# by path, without the catalog
check "by path" '"$FLOE" table expire "$T/wh/db/t" --older-than now --retain-last 1 | grep -q "expired 2 snapshots (1 kept)"'
check "by path: same rows" '[ "$("$FLOE" table scan db.t | wc -l)" = 124 ]'

# refusals
S=$("$FLOE" table snapshots db.t | python3 -c "import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])['snapshot_id'])")
check "the current snapshot is never expired" '! "$FLOE" table expire db.t --snapshot-id "$S" 2>err.txt && grep -q "ref main points at it" err.txt'
check "an unknown snapshot is refused" '! "$FLOE" table expire db.t --snapshot-id 42 2>/dev/null'
check "a bad time is refused" '! "$FLOE" table expire db.t --older-than yesterday 2>/dev/null'
check "--retain-last 0 is refused" '! "$FLOE" table expire db.t --retain-last 0 2>/dev/null'

echo "table_expire: $pass passed, $fail failed"
[ "$fail" = 0 ]
