#!/usr/bin/env bash
# log_topic.sh - `floe topic` end to end: create (options, duplicates, bad
# names), alter --partitions (grow; shrink and no-op refused; a tail
# --follow running meanwhile reads the new partitions), list, describe, tail from the beginning / an offset / a time /
# the end with --follow while another process appends, delete.
# Records are appended by bench/log_append (keys "<run>-<thread>-<i>",
# JSON values {"t","i","pad"}).
set -u
FLOE=${FLOE_BIN:?FLOE_BIN}
APPEND=$(dirname "$FLOE")/log_append
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=99
T=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# follow_stop FILE N: waits (5 s at most) for N lines in FILE from the
# tail --follow running as $pid, stops it with SIGINT (exit 0 expected)
# and checks it printed exactly N
follow_stop() {
    for _ in $(seq 1 50); do [ "$(wc -l <"$1")" -ge "$2" ] && break; sleep 0.1; done
    kill -INT "$pid"
    wait "$pid" || fail "tail --follow exit status after SIGINT"
    pid=
    [ "$(wc -l <"$1")" = "$2" ] || fail "--follow saw $(wc -l <"$1") of $2"
}
export FLOE_LOG_DIR=$T/data/log

"$FLOE" topic create events --partitions 3 --sync interval --retention-ms 60000 --segment-bytes 8192 >/dev/null ||
    fail create
"$FLOE" topic create events 2>"$T/err" && fail "duplicate create succeeded"
grep -q exists "$T/err" || fail "duplicate create: $(cat "$T/err")"
"$FLOE" topic create 'bad/name' 2>/dev/null && fail "bad name accepted"
"$FLOE" topic create alpha >/dev/null || fail create alpha
[ "$("$FLOE" topic list | tr '\n' ' ')" = "alpha events " ] || fail "list: $("$FLOE" topic list)"
"$FLOE" topic describe events >"$T/d.json" || fail describe
python3 -c "
import json,sys
d=json.load(open('$T/d.json'))
assert d['partitions']==3 and d['sync']=='interval' and d['retention_ms']==60000 and d['segment_bytes']==8192, d
assert [p['end_offset'] for p in d['partition_info']]==[0,0,0], d
" || fail "describe content"

"$FLOE" topic alter events 2>/dev/null; [ $? = 2 ] || fail "alter without --partitions"
"$FLOE" topic alter events --partitions 2 2>"$T/err" && fail "shrink accepted"
grep -q "never removed" "$T/err" || fail "shrink: $(cat "$T/err")"
"$FLOE" topic alter events --partitions 3 2>"$T/err" && fail "no-op alter accepted"
"$FLOE" topic alter nope --partitions 3 2>/dev/null && fail "alter of a missing topic"
[ "$("$FLOE" topic alter events --partitions 5)" = "topic events: 5 partitions (was 3)" ] ||
    fail "alter"
"$FLOE" topic describe events >"$T/d.json" || fail describe
python3 -c "
import json
d=json.load(open('$T/d.json'))
assert d['partitions']==5 and d['segment_bytes']==8192 and d['sync']=='interval', d
assert [p['end_offset'] for p in d['partition_info']]==[0]*5, d
" || fail "describe after alter"

# tail --follow picks up partitions added while it runs, from their start
"$FLOE" topic tail events --follow >"$T/grown" &
pid=$!
sleep 0.5
"$FLOE" topic alter events --partitions 6 >/dev/null || fail "alter while tailing"
"$APPEND" --dir "$FLOE_LOG_DIR" --topic events --partitions 6 --threads 6 --records 2 --run c >/dev/null 2>&1 ||
    fail "append c"
follow_stop "$T/grown" 12
grep -q '"partition":5,.*"key":"c-5-1"' "$T/grown" || fail "--follow missed the new partition"

"$APPEND" --dir "$FLOE_LOG_DIR" --topic alpha --records 50 --run a >/dev/null 2>&1 || fail append
"$FLOE" topic tail alpha --from-beginning >"$T/all" || fail tail
[ "$(wc -l <"$T/all")" = 50 ] || fail "tail --from-beginning: $(wc -l <"$T/all") lines"
python3 -c "
import json
recs=[json.loads(l) for l in open('$T/all')]
assert [r['offset'] for r in recs]==list(range(50))
r=recs[7]
assert r['topic']=='alpha' and r['partition']==0 and r['key']=='a-0-7' and r['value']['i']==7, r
assert isinstance(r['timestamp'], int)
" || fail "tail content"
[ "$("$FLOE" topic tail alpha --from-beginning --max 5 | wc -l)" = 5 ] || fail "--max"
"$FLOE" topic tail alpha --offset 42 --max 1 | grep -q '"offset":42,' || fail "--offset"
[ -z "$("$FLOE" topic tail alpha --time 2999-01-01T00:00:00Z)" ] || fail "--time in the future"
[ "$("$FLOE" topic tail alpha --time 1970-01-01 | wc -l)" = 50 ] || fail "--time 1970"
[ -z "$("$FLOE" topic tail alpha)" ] || fail "tail from the end printed records"
"$FLOE" topic tail alpha --partition 3 2>/dev/null && fail "missing partition accepted"

# --follow sees what another process appends
"$FLOE" topic tail alpha --follow >"$T/follow" &
pid=$!
sleep 0.5
"$APPEND" --dir "$FLOE_LOG_DIR" --topic alpha --records 20 --run b >/dev/null 2>&1 || fail "append b"
follow_stop "$T/follow" 20
grep -q '"key":"b-0-19"' "$T/follow" || fail "--follow content"

"$FLOE" topic delete alpha >/dev/null || fail delete
"$FLOE" topic describe alpha 2>/dev/null && fail "deleted topic described"
[ "$("$FLOE" topic list)" = events ] || fail "list after delete"
echo "log_topic: ok"
