#!/usr/bin/env bash
# e2e: `floe gen` drives `floe up` with the seeds' generators: every
# weather event the generator got acknowledged lands in default.weather,
# the datalake loop leaves 5/2/2 rows however many times the files are
# re-sent, and the topic scenarios reach their topics; with --kafka the
# events go over the Kafka protocol into the same tables.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
floe_up_start
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
# --kafka: the same events over the Kafka protocol, into the same tables
KPORT=$(sed -n 's/^floe up: kafka on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$T/up.log")
before=$(rows weather)
"$FLOE" gen weather --kafka "127.0.0.1:$KPORT" --rate 100 --duration 2 > "$T/wk.out"
kacked=$(sed -n 's/.*: \([0-9]*\) requests ok, 0 failed.*/\1/p' "$T/wk.out")
check "weather over Kafka without failures" '[ -n "$kacked" ] && [ "$kacked" -gt 100 ]'
check "every weather event sent over Kafka is in the table" 'wait_rows weather $((before + kacked))'
check "ratings over Kafka" '"$FLOE" gen ratings --kafka "127.0.0.1:$KPORT" --rate 50 --duration 1 --threads 2 | grep -q ", 0 failed"'
check "datalake over Kafka is refused" '! "$FLOE" gen datalake --kafka "127.0.0.1:$KPORT" 2>/dev/null' 
kill -TERM "$pid"; wait "$pid"; st=$?; pid=
check "SIGTERM exits 0" '[ "$st" = 0 ]'
check "topics hold the events" '"$FLOE" topic describe clickstream --log-dir "$T/d/log" | grep -q .'
echo "gen: $pass passed, $fail failed"
[ "$fail" = 0 ]
