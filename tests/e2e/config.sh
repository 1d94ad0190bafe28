#!/usr/bin/env bash
# e2e: `floe config check` exits 0 for a good file and 1 with FILE:LINE:
# key for a bad one; `floe config show` prints the effective config that
# check accepts again; `floe up` creates a declared table, refuses to
# start when the table exists with another column type (naming the
# column), and with on_schema_change: add_columns adds a new column.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
cat > "$T/good.yaml" <<'Y'
tables:
  - name: t
    schema:
      - {name: id, type: long, required: true}
      - {name: v, type: string}
    identifier: [id]
pipelines:
  - {topic: t_in, table: default.t}
Y
check "check ok" '"$FLOE" config check "$T/good.yaml" | grep -q ": ok"'
printf 'tables:\n  - name: t\n    schema:\n      - {name: id, type: varchar}\n' > "$T/bad.yaml"
set +e; "$FLOE" config check "$T/bad.yaml" 2> "$T/err"; st=$?; set -e
check "check bad: exit 1" '[ "$st" = 1 ]'
check "check bad: file:line: key" 'grep -q "bad.yaml:4: tables\[\].schema\[\].type: \"varchar\"" "$T/err"'
check "show round-trips" '"$FLOE" config show -c "$T/good.yaml" > "$T/shown.yaml" && "$FLOE" config check "$T/shown.yaml" >/dev/null'
check "show fills defaults" 'grep -q "commit_interval_ms: 1000" "$T/shown.yaml" && grep -q "threads: 16" "$T/shown.yaml"'

# sources: a good one round-trips through show; bad ones name the key
cat > "$T/src.yaml" <<'Y'
pipelines: []
sources:
  - postgres:
      uri: "postgresql://floe@127.0.0.1:1/app"
      tables: [public.users, {name: orders, table: lake.orders, partition: ["day(created)"],
               maintenance: {compact: {enabled: false}}}]
      snapshot: never
      topic_prefix: dbserver1
      streaming: false
      stream_buffer_bytes: 1048576
      tombstones: false
      schema: true
Y
check "sources: check ok" '"$FLOE" config check "$T/src.yaml" | grep -q ": ok"'
check "sources: show round-trips" '"$FLOE" config show -c "$T/src.yaml" > "$T/src_shown.yaml" &&
    "$FLOE" config check "$T/src_shown.yaml" >/dev/null && grep -q "slot: \"floe\"" "$T/src_shown.yaml" &&
    grep -q "snapshot: never" "$T/src_shown.yaml" && grep -q "table: \"lake.orders\"" "$T/src_shown.yaml" &&
    grep -q "streaming: false" "$T/src_shown.yaml" && grep -q "stream_buffer_bytes: 1048576" "$T/src_shown.yaml" &&
    grep -q "tombstones: false" "$T/src_shown.yaml" && grep -q "schema: true" "$T/src_shown.yaml" &&
    grep -q "partition: \[\"day(created)\"\]" "$T/src_shown.yaml" &&
    grep -q "^#   lake.orders: {enabled: true, .*compact: {enabled: false," "$T/src_shown.yaml"'
srcbad() { # yaml, expected message
    printf '%s\n' "$1" > "$T/srcbad.yaml"
    set +e; "$FLOE" config check "$T/srcbad.yaml" 2> "$T/err"; local st=$?; set -e
    [ "$st" = 1 ] && grep -q "$2" "$T/err"
}
check "sources: uri required" 'srcbad "sources: [{postgres: {tables: [t]}}]" "uri is required"'
check "sources: tables required" "srcbad 'sources: [{postgres: {uri: \"postgresql://h/d\"}}]' \"tables is required\""
check "sources: bad slot" "srcbad 'sources: [{postgres: {uri: \"postgresql://h/d\", slot: Bad-Slot, tables: [t]}}]' \"srcbad.yaml:1: sources\[\].postgres.slot\""
check "sources: bad snapshot" "srcbad 'sources: [{postgres: {uri: \"postgresql://h/d\", snapshot: sometimes, tables: [t]}}]' \"expected initial or never\""
check "sources: stream_buffer_bytes range" "srcbad 'sources: [{postgres: {uri: \"postgresql://h/d\", stream_buffer_bytes: 10, tables: [t]}}]' \"stream_buffer_bytes: 10 is out of range 65536\""
check "sources: streaming a bool" "srcbad 'sources: [{postgres: {uri: \"postgresql://h/d\", streaming: maybe, tables: [t]}}]' \"streaming: expected true or false\""
check "sources: a table twice" "srcbad 'sources: [{postgres: {uri: \"postgresql://h/d\", tables: [a.t, a.t]}}]' \"a table listed twice\""
check "sources: tombstones a boolean" "srcbad 'sources: [{postgres: {uri: \"postgresql://h/d\", tables: [t], tombstones: maybe}}]' \"sources\[\].postgres.tombstones\""
check "sources: a partition term that is not one" "srcbad 'sources: [{postgres: {uri: \"postgresql://h/d\", tables: [{name: t, partition: [\"day(x\"]}]}}]' 'tables\[t\].partition: \"day(x\" is not'"
check "sources: unknown key" "srcbad 'sources: [{postgres: {uri: \"postgresql://h/d\", tables: [t], slots: x}}]' \"slots\""

floe_up_start -c "$T/good.yaml"
check "table created" 'grep -q "table default.t created" "$T/up.log"'
kill -TERM "$pid"; wait "$pid"; pid=
sed 's/{name: v, type: string}/{name: v, type: int}/' "$T/good.yaml" > "$T/changed.yaml"
set +e; "$FLOE" up -c "$T/changed.yaml" --data "$T/d" --listen 127.0.0.1:0 --kafka-listen 127.0.0.1:0 > "$T/up2.log" 2>&1; st=$?; set -e
check "changed type refused (exit 2)" '[ "$st" = 2 ]'
check "the column is named" 'grep -q "changed.yaml:2: table default.t exists with column v as string, the config declares int" "$T/up2.log"'
printf '      - {name: extra, type: double}\n    on_schema_change: add_columns\n' > "$T/tail"
python3 - "$T" <<'P'
import sys; t=sys.argv[1]
s=open(t+"/good.yaml").read().replace("    identifier: [id]\n","      - {name: extra, type: double}\n    identifier: [id]\n    on_schema_change: add_columns\n")
open(t+"/grown.yaml","w").write(s)
P
floe_up_start -c "$T/grown.yaml"
check "column added" '"$FLOE" table "${W[@]}" describe default.t | grep -q extra'
kill -TERM "$pid"; wait "$pid"; pid=
echo "config: $pass passed, $fail failed"
[ "$fail" = 0 ]
