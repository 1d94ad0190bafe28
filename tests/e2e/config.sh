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
