#!/usr/bin/env bash
# e2e: floe up keeps every pipeline and every allowed-value rule the
# config accepts (no second, smaller cap): `floe config show` lists all
# 1,024 pipelines of a file at the limit and check refuses 1,025 with
# FILE:LINE; floe up runs 70 pipelines (past the 64 it once kept) and
# applies a pipeline's 70th allowed-value column (past the 64 it kept).
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"

pipes() { # n: a file with n one-line pipelines
    echo "pipelines:"
    for i in $(seq 1 "$1"); do echo "  - {name: p$i, topic: t$i, table: default.t$i}"; done
}
pipes 1024 > "$T/max.yaml"
pipes 1025 > "$T/past.yaml"
check "1024 pipelines: check ok" '"$FLOE" config check "$T/max.yaml" | grep -q "1024 pipelines"'
"$FLOE" config show -c "$T/max.yaml" > "$T/shown.yaml"
check "show lists all 1024" '[ "$(sed -n "/^pipelines:/,\$p" "$T/shown.yaml" | grep -c "^  - name:")" = 1024 ]'
check "show lists the last one" 'grep -q "table: \"default.t1024\"" "$T/shown.yaml"'
check "show lists every pipeline topic" 'grep -q "name: \"t1024\", partitions" "$T/shown.yaml"'
set +e; "$FLOE" config check "$T/past.yaml" 2> "$T/err"; st=$?; set -e
check "1025 pipelines: exit 1" '[ "$st" = 1 ]'
check "1025 pipelines: FILE:LINE" 'grep -q "past.yaml:1026: pipelines: too many pipelines (at most 1024)" "$T/err"'
set +e; "$FLOE" up -c "$T/past.yaml" --data "$T/d0" --listen 127.0.0.1:0 --kafka-listen 127.0.0.1:0 > "$T/up0.log" 2>&1; st=$?; set -e
check "floe up refuses 1025 pipelines (exit 2)" '[ "$st" = 2 ] && grep -q "too many pipelines" "$T/up0.log"'

# 70 pipelines from one topic into 70 tables; the first has 70 allowed columns
{
    echo "tables:"
    cols=""
    for c in $(seq 1 70); do cols+="{name: c$c, type: string}, "; done
    echo "  - {name: wide, schema: [${cols%, }]}"
    for i in $(seq 2 70); do echo "  - {name: t$i, schema: [{name: c1, type: string}]}"; done
    echo "pipelines:"
    echo "  - name: p1"
    echo "    topic: src"
    echo "    table: default.wide"
    echo "    allowed:"
    for c in $(seq 1 70); do echo "      c$c: [ok]"; done
    for i in $(seq 2 70); do echo "  - {name: p$i, topic: src, table: default.t$i}"; done
} > "$T/seventy.yaml"
check "70 pipelines: check ok" '"$FLOE" config check "$T/seventy.yaml" >/dev/null'
floe_up_start -c "$T/seventy.yaml"
check "70 pipelines started" '[ "$(grep -c "floe up: pipeline p" "$T/up.log")" = 70 ]'
check "GET /status lists 70" '[ "$(curl -fs "$URL/status" | python3 -c "import json,sys; print(len(json.load(sys.stdin)[\"pipelines\"]))")" = 70 ]'
row='{"records":[{"value":{'
for c in $(seq 1 69); do row+="\"c$c\":\"ok\","; done
good="$row\"c70\":\"ok\"}}]}"
bad="$row\"c70\":\"no\"}}]}"
ct='Content-Type: application/vnd.kafka.json.v2+json'
curl -fs -H "$ct" -d "$good" "$URL/topics/src" >/dev/null
curl -fs -H "$ct" -d "$bad" "$URL/topics/src" >/dev/null
p1() { curl -fs "$URL/status" | python3 -c "import json,sys; p=[x for x in json.load(sys.stdin)['pipelines'] if x['name']=='p1'][0]; print(p['committed'], p['rejected'])"; }
seen=
for _ in $(seq 60); do [ "$(p1)" = "1 1" ] && { seen=1; break; }; sleep 0.25; done
check "the 70th allowed column is applied (1 committed, 1 rejected)" '[ -n "$seen" ]'
t70() { for _ in $(seq 40); do [ "$("$FLOE" table "${W[@]}" scan default.t70 2>/dev/null | wc -l)" = 2 ] && return 0; sleep 0.25; done; return 1; }
check "p70 committed both" 't70'
kill -TERM "$pid"; wait "$pid"; pid=
echo "up_limits: $pass passed, $fail failed"
[ "$fail" = 0 ]
