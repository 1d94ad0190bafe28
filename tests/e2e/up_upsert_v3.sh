#!/usr/bin/env bash
# e2e: `floe up` upserts into an Iceberg format 3 table made from
# floe.yaml (`properties: {format-version: 3}`): five rounds of the same
# ten keys POSTed to /topics, each committed by the pipeline; the table
# ends with one row per key holding the last round's value, its deletes
# are deletion vectors in Puffin files (no position delete file), at most
# one live vector per data file, and `floe sql` counts ten rows. Then
# again with floe up's maintenance on: compaction folds the format 3
# table's files and vectors while the pipeline commits.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"

cat > "$T/v3.yaml" <<'YAML'
topics:
  - {name: acc, partitions: 1}
tables:
  - name: acc
    schema:
      - {name: uuid, type: string, required: true}
      - {name: balance, type: long}
    identifier: [uuid]
    properties: {format-version: 3}
pipelines:
  - {name: acc, topic: acc, table: default.acc, commit_interval_ms: 200}
YAML
floe_up_start -c "$T/v3.yaml"
balances() { "$FLOE" table "${W[@]}" scan default.acc 2>/dev/null | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
print(len(rows), sorted(set(r["balance"] for r in rows)), len(set(r["uuid"] for r in rows)))'; }
wait_round() { # r: every key holds balance r
    for _ in $(seq 80); do [ "$(balances)" = "10 [$1] 10" ] && return 0; sleep 0.25; done
    balances >&2
    return 1
}
for r in 1 2 3 4 5; do
    body='{"records":['
    for k in $(seq 0 9); do body+="{\"value\":{\"uuid\":\"k$k\",\"balance\":$r}},"; done
    body=${body%,}']}'
    curl -fs -H 'Content-Type: application/vnd.kafka.json.v2+json' -d "$body" "$URL/topics/acc" >/dev/null
    check "round $r committed: ten keys, balance $r" "wait_round $r"
done
kill -TERM "$pid"; wait "$pid"; st=$?; pid=
check "SIGTERM exits 0" '[ "$st" = 0 ]'
TD="$T/d/warehouse/default/acc"
check "format 3 metadata with row lineage" 'python3 -c "
import json,glob
m=json.load(open(sorted(glob.glob(\"$TD/metadata/v*.metadata.json\"), key=lambda p:int(p.split(\"/v\")[-1].split(\".\")[0]))[-1]))
assert m[\"format-version\"]==3 and m[\"next-row-id\"]>=50, (m[\"format-version\"], m.get(\"next-row-id\"))
assert \"format-version\" not in m.get(\"properties\",{})
"'
check "deletes are Puffin deletion vectors" '[ "$(ls "$TD"/data/*.puffin | wc -l)" -ge 4 ]'
check "no position delete file" '[ -z "$(ls "$TD"/data/ | grep -- "-deletes.parquet")" ]'
check "at most one live vector per data file" '"$FLOE" table "${W[@]}" files default.acc | python3 -c "
import sys, json, collections
fs = [json.loads(l) for l in sys.stdin]
data = {f[\"file_path\"] for f in fs if f[\"content\"] == 0}
dvs = [f for f in fs if f[\"file_format\"] == \"PUFFIN\"]
assert dvs, \"no live vector listed\"
per = collections.Counter(f[\"referenced_data_file\"] for f in dvs)
assert max(per.values()) == 1, per
assert set(per) <= data, (set(per) - data)
assert all(f[\"content\"] == 1 and \"content_offset\" in f for f in dvs)
assert all(\"first_row_id\" in f for f in fs if f[\"content\"] == 0)
" '
check "floe sql counts ten rows" '[ "$("$FLOE" sql --data "$T/d" --format csv --no-header "select count(*) from acc")" = 10 ]'

# floe up's maintenance compacts the format 3 table: the same data folder
# again, with compaction due every second; five more rounds of upserts
# (more small files and deletion vectors), then compaction must fold them
# while the pipeline keeps committing, and the rows stay right.
{ cat "$T/v3.yaml"; echo "maintenance: {interval: 1s, compact: {every: 1s}}"; } > "$T/v3m.yaml"
floe_up_start -c "$T/v3m.yaml"
for r in 6 7 8 9 10; do
    body='{"records":['
    for k in $(seq 0 9); do body+="{\"value\":{\"uuid\":\"k$k\",\"balance\":$r}},"; done
    body=${body%,}']}'
    curl -fs -H 'Content-Type: application/vnd.kafka.json.v2+json' -d "$body" "$URL/topics/acc" >/dev/null
    check "round $r committed with maintenance on" "wait_round $r"
done
compacted() { curl -fs "$URL/status" | python3 -c '
import json, sys
t = [t for t in json.load(sys.stdin)["tables"] if t["table"] == "default.acc"]
print(t[0].get("compacted_total", 0) if t else 0)'; }
wait_compacted() { for _ in $(seq 80); do [ "$(compacted)" -gt 0 ] && return 0; sleep 0.25; done; return 1; }
check "floe up compacted the format 3 table" wait_compacted
check "rows right after compaction" "wait_round 10"
kill -TERM "$pid"; wait "$pid"; st=$?; pid=
check "SIGTERM exits 0 (maintenance)" '[ "$st" = 0 ]'
check "after compaction: few live data files, at most one vector each" '"$FLOE" table "${W[@]}" files default.acc | python3 -c "
import sys, json, collections
fs = [json.loads(l) for l in sys.stdin]
data = [f for f in fs if f[\"content\"] == 0]
assert len(data) <= 3, len(data)
per = collections.Counter(f[\"referenced_data_file\"] for f in fs if f[\"file_format\"] == \"PUFFIN\")
assert not per or max(per.values()) == 1, per
" '
check "floe sql still counts ten rows" '[ "$("$FLOE" sql --data "$T/d" --format csv --no-header "select count(*) from acc")" = 10 ]'
echo "up_upsert_v3: $pass passed, $fail failed"
[ "$fail" = 0 ]
