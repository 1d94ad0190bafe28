#!/usr/bin/env bash
# e2e: the floe binary from the shell, as a user runs it: help, version,
# usage errors, parquet write -> cat round trip, a refused record, meta
# and schema output, and the demo.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }

check "version" '[ "$("$FLOE" --version)" = "floe 0.1.0" ]'
check "help lists parquet" '"$FLOE" help | grep -q "parquet"'
check "unknown command exits 2" '! "$FLOE" nosuch 2>/dev/null; [ "$("$FLOE" nosuch >/dev/null 2>&1; echo $?)" = 2 ]'
check "parquet without args exits 2" '[ "$("$FLOE" parquet >/dev/null 2>&1; echo $?)" = 2 ]'

cat > "$T/schema.json" <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"city","required":true,"type":"string"},
 {"id":2,"name":"temperature","required":false,"type":"double"},
 {"id":3,"name":"ts","required":true,"type":"timestamp"}]}
JSON
cat > "$T/in.ndjson" <<'JSON'
{"city":"Paris","temperature":21.5,"ts":"2026-01-08T14:00:00"}

{"city":"Oslo","temperature":null,"ts":"1960-06-01T00:00:00.000001"}
{"city":"","temperature":-0.0,"ts":0}
JSON
check "write" '"$FLOE" parquet write --schema "$T/schema.json" --codec snappy "$T/in.ndjson" "$T/out.parquet" 2>/dev/null'
cat > "$T/expect.ndjson" <<'JSON'
{"city":"Paris","temperature":21.5,"ts":"2026-01-08T14:00:00.000000"}
{"city":"Oslo","temperature":null,"ts":"1960-06-01T00:00:00.000001"}
{"city":"","temperature":-0.0,"ts":"1970-01-01T00:00:00.000000"}
JSON
check "cat round trip" '"$FLOE" parquet cat "$T/out.parquet" > "$T/got.ndjson" && diff -u "$T/expect.ndjson" "$T/got.ndjson"'
check "cat --columns --limit" '[ "$("$FLOE" parquet cat --columns ts,city --limit 1 "$T/out.parquet")" = "{\"ts\":\"2026-01-08T14:00:00.000000\",\"city\":\"Paris\"}" ]'
check "meta is JSON naming the codec" '"$FLOE" parquet meta "$T/out.parquet" | grep -q SNAPPY'
check "schema shows field ids" '"$FLOE" parquet schema "$T/out.parquet" | grep -q "\"id\":3"'

printf '{"city":"A","ts":"2026-01-01"}\n{"city":"B","temperature":"warm","ts":"2026-01-01"}\n' > "$T/bad.ndjson"
set +e
msg=$("$FLOE" parquet write --schema "$T/schema.json" "$T/bad.ndjson" "$T/bad.parquet" 2>&1); rc=$?
set -e
check "bad record exits 1" '[ $rc = 1 ]'
check "bad record names line and field" 'echo "$msg" | grep -q "line 2" && echo "$msg" | grep -q "temperature"'
check "bad record leaves no file" '! ls "$T"/bad.parquet* >/dev/null 2>&1'
check "missing file is an error" '! "$FLOE" parquet cat "$T/nope.parquet" 2>/dev/null'
head -c 100 "$T/out.parquet" > "$T/trunc.parquet"
set +e; "$FLOE" parquet cat "$T/trunc.parquet" >/dev/null 2>&1; rc=$?; set -e
check "truncated file exits 1" '[ $rc = 1 ]'
# one option parser for every subcommand: the same words for the same mistake
usage_err() { # expected-message command...: exit 2 and the message on stderr
    local want=$1; shift
    set +e; "$FLOE" "$@" >/dev/null 2> "$T/uerr"; local st=$?; set -e
    [ "$st" = 2 ] && grep -qF "$want" "$T/uerr" || { echo "  got exit $st: $(cat "$T/uerr")" >&2; false; }
}
for cmd in "topic create t" "table list" "parquet cat x.parquet" "parquet write a b" "sql" "gen weather" \
           "up" "config show" "status" "demo"; do
    # shellcheck disable=SC2086
    check "unknown option: $cmd" "usage_err 'floe ${cmd%% *}' $cmd --data-dir d1 && grep -qF 'unknown option \"--data-dir\" (floe ' \"\$T/uerr\""
done
check "topic --data d1: unknown option, not a number" 'usage_err "floe topic: unknown option \"--data\"" topic --log-dir "$T/l" create t1 --data d1'
check "a number option says so" 'usage_err "floe topic: option --partitions needs a number, got \"d1\"" topic --log-dir "$T/l" create t1 --partitions d1'
check "a range" 'usage_err "floe topic: option --partitions: 0 is out of range 1..10000" topic --log-dir "$T/l" create t1 --partitions 0'
check "gen --threads" 'usage_err "floe gen: option --threads needs a number, got \"x\"" gen weather --threads x'
check "table --limit" 'usage_err "floe table: option --limit needs a number, got \"ten\"" table scan default.t --limit ten'
check "sql --format" 'usage_err "floe sql: option --format: expected table, csv, json or ndjson, got \"xml\"" sql --format xml "select 1"'
check "a value missing" 'usage_err "floe up: option --listen needs a value" up --listen'
check "a flag with a value" 'usage_err "floe sql: option --timing takes no value" sql --timing=yes "select 1"'
check "an extra argument" 'usage_err "floe status: unexpected argument \"x\"" status x'
check "--help exits 0 on stdout" '"$FLOE" topic --help | grep -q "usage: floe topic" && "$FLOE" up -h | grep -q "usage: floe up"'
check "--name=value works" '"$FLOE" topic --log-dir="$T/l" create t9 --partitions=2 | grep -q "2 partitions"'
# a path or name that does not fit its buffer is refused, never cut
long=$(printf 'a%.0s' $(seq 300))
check "table name too long: refused" '! "$FLOE" table --warehouse "$T/wh" describe "$long.t" 2> "$T/uerr" && grep -q "namespace or name too long" "$T/uerr"'
check "status --url too long: refused" 'usage_err "floe status: --url too long" status --url "http://$long$long$long$long$long$long$long"'
check "demo runs" '"$FLOE" demo "$T/demo" > "$T/demo.out" && grep -q "read back 1000000 rows" "$T/demo.out"'

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
