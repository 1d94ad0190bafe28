#!/usr/bin/env bash
# e2e: `floe gen` drives `floe up` with the seeds' generators: every
# weather event the generator got acknowledged lands in default.weather,
# the datalake loop leaves 5/2/2 rows however many times the files are
# re-sent, and the topic scenarios reach their topics.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
T=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
URL=http://127.0.0.1:$PORT
W=(--warehouse "file://$T/d/warehouse" --catalog "sqlite://$T/d/catalog.db")
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
"$FLOE" up --data "$T/d" --listen "127.0.0.1:$PORT" >"$T/up.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "$URL/health" >/dev/null 2>&1 && break; sleep 0.1; done
rows() { "$FLOE" table "${W[@]}" scan "default.$1" 2>/dev/null | wc -l; }
wait_rows() { for _ in $(seq 60); do [ "$(rows "$1")" = "$2" ] && return 0; sleep 0.25; done; return 1; }

"$FLOE" gen weather --rate 100 --duration 2 --target "$URL" > "$T/w.out"
acked=$(sed -n 's/.*: \([0-9]*\) requests ok, 0 failed.*/\1/p' "$T/w.out")
check "weather generator ran without failures" '[ -n "$acked" ] && [ "$acked" -gt 100 ]'
check "every acknowledged weather event is in the table" 'wait_rows weather "$acked"'
check "datalake loop" '"$FLOE" gen datalake --rate 90 --duration 2 --target "$URL" | grep -q ", 0 failed"'
check "sessions 5" 'wait_rows sessions 5'
check "employees 2" 'wait_rows employees 2'
check "clients 2" 'wait_rows clients 2'
s1=$("$FLOE" table "${W[@]}" snapshots default.sessions | wc -l)
check "datalake loop again" '"$FLOE" gen datalake --rate 90 --duration 2 --target "$URL" | grep -q ", 0 failed"'
sleep 1.5
check "re-sent files: still 5 rows, no new snapshot" '[ "$(rows sessions)" = 5 ] && [ "$("$FLOE" table "${W[@]}" snapshots default.sessions | wc -l)" = "$s1" ]'
for s in clickstream iot ratings; do
    check "$s generator" '"$FLOE" gen "$s" --rate 50 --duration 1 --threads 2 --target "$URL" | grep -q ", 0 failed"'
done
kill -TERM "$pid"; wait "$pid"; st=$?; pid=
check "SIGTERM exits 0" '[ "$st" = 0 ]'
check "topics hold the events" '"$FLOE" topic describe clickstream --log-dir "$T/d/log" | grep -q .'
echo "gen: $pass passed, $fail failed"
[ "$fail" = 0 ]
