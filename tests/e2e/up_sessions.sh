#!/usr/bin/env bash
# e2e: seed 000's datalake in one process - `floe up` without a config
# runs the built-in pointer pipelines; the seed's 5 session, 2 employee
# and 2 client files are uploaded over and over with curl (multipart
# `file`, POST /upload/file/NAME); the tables default.sessions,
# default.employees and default.clients then hold 5, 2 and 2 rows, and
# the snapshot count stops growing while the same files keep coming
# (floe's fix for the seed's snapshot explosion). A changed session file
# re-uploaded replaces its row: still 5 rows, the new status visible. A
# session file with a status that is not allowed goes to the dead-letter
# topic, not to the table.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"

floe_up_start

# the seed's sample files (sessions as the seed shows them; employees and
# clients with the built-in tables' chosen columns)
mkdir -p "$T/files"
statuses=(approved resubmission approved approved resubmission)
for i in 1 2 3 4 5; do
    printf '{"uuid":"00000000-0000-4000-8000-00000000000%d","status":"%s","client_uuid":"c-%d","specialist_uuid":"s-%d"}\n' \
        "$i" "${statuses[$((i - 1))]}" "$((i % 2 + 1))" "$i" > "$T/files/sessions_$i.json"
done
for i in 1 2; do
    printf '{"uuid":"e-%d","name":"Employee %d","email":"e%d@example.com","role":"specialist"}\n' "$i" "$i" "$i" \
        > "$T/files/employees_$i.json"
    printf '[{"uuid":"c-%d","name":"Client %d","email":"c%d@example.com"}]\n' "$i" "$i" "$i" > "$T/files/clients_$i.json"
done
upload() { curl -fs -o /dev/null -F "file=@$T/files/$1" "$URL/upload/file/$1"; }
upload_all() {
    for f in sessions_1 sessions_2 sessions_3 sessions_4 sessions_5 employees_1 employees_2 clients_1 clients_2; do
        upload "$f.json"
    done
}
rows() { "$FLOE" table "${W[@]}" scan "default.$1" 2>/dev/null | wc -l; }
snaps() { "$FLOE" table "${W[@]}" snapshots "default.$1" 2>/dev/null | grep -c . || true; }
wait_rows() { # table n
    for _ in $(seq 80); do [ "$(rows "$1")" = "$2" ] && return 0; sleep 0.25; done
    return 1
}

for _ in $(seq 5); do upload_all; done
check "sessions: 5 rows" 'wait_rows sessions 5'
check "employees: 2 rows" 'wait_rows employees 2'
check "clients: 2 rows" 'wait_rows clients 2'
sleep 2.5 # let the pipelines finish what is in flight
s0=$(snaps sessions) e0=$(snaps employees) c0=$(snaps clients)
check "the tables have snapshots ($s0/$e0/$c0)" '[ "$s0" -ge 1 ] && [ "$e0" -ge 1 ] && [ "$c0" -ge 1 ]'
# the same files, many more times: nothing changes, no snapshot
for _ in $(seq 10); do upload_all; done
sleep 3
check "sessions still 5" '[ "$(rows sessions)" = 5 ]'
check "employees still 2" '[ "$(rows employees)" = 2 ]'
check "clients still 2" '[ "$(rows clients)" = 2 ]'
check "no new sessions snapshot ($s0 -> $(snaps sessions))" '[ "$(snaps sessions)" = "$s0" ]'
check "no new employees snapshot" '[ "$(snaps employees)" = "$e0" ]'
check "no new clients snapshot" '[ "$(snaps clients)" = "$c0" ]'

# a changed file: its row changes, still one row per uuid
sed -i 's/"status":"approved"/"status":"resubmission"/' "$T/files/sessions_1.json"
upload sessions_1.json
changed() { "$FLOE" table "${W[@]}" scan default.sessions --where "status = resubmission" 2>/dev/null | grep -c 00000000001 || true; }
for _ in $(seq 40); do [ "$(changed)" = 1 ] && break; sleep 0.25; done
check "the changed row is visible" '[ "$(changed)" = 1 ]'
check "sessions still 5 after the change" '[ "$(rows sessions)" = 5 ]'
check "exactly one snapshot for the change" '[ "$(snaps sessions)" = "$((s0 + 1))" ]'
check "one row per uuid" '[ "$("$FLOE" table "${W[@]}" scan default.sessions | python3 -c "
import json,sys,collections
c=collections.Counter(json.loads(l)[\"uuid\"] for l in sys.stdin)
print(max(c.values()))")" = 1 ]'

# a status that is not allowed: refused, the table keeps its rows
printf '{"uuid":"bad-1","status":"bogus","client_uuid":"c-1"}\n' > "$T/files/sessions_9.json"
upload sessions_9.json
sleep 2.5
check "refused status not in the table" '[ "$(rows sessions)" = 5 ]'

kill -TERM "$pid"; wait "$pid"; st=$?; pid=
check "SIGTERM exits 0" '[ "$st" = 0 ]'
check "refused record in the dead-letter topic" 'grep -rqa "not an allowed value" "$T/d/log/topics/session_topic.dlq"'

echo "up_sessions: $pass passed, $fail failed"
[ "$fail" = 0 ]
