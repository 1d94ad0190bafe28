#!/usr/bin/env bash
# ingest_http.sh - floe's HTTP ingest with real clients: starts `floe up`
# on a free loopback port with a temporary data directory, drives every
# endpoint with curl (the seed's GET /log and POST /upload/file, the REST
# proxy's POST /topics, /health) and every bad input (names, bodies,
# content types, truncated multipart, invalid UTF-8, huge headers,
# oversize bodies, too many records), checks statuses, JSON reasons and
# that refused requests left every topic unchanged (read back from the
# segment files by tests/e2e/ingest_read.py), checks that clients
# trickling bytes do not hold others, then stops floe with SIGTERM (exit
# 0) and restarts it on the same data. Env: FLOE_BIN, FLOE_SRC.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN}
SRC=${FLOE_SRC:?FLOE_SRC}
READ="python3 $SRC/tests/e2e/ingest_read.py"
T=$(mktemp -d)
PID=
cleanup() {
    [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    echo "--- floe stderr" >&2
    tail -20 "$T/err" >&2 || true
    exit 1
}

cat >"$T/floe.yaml" <<'YAML'
# ingest_http.sh's configuration: small limits to reach them cheaply
listen: 127.0.0.1:0
limits:  # header_bytes: the default (8192), so the test below checks the documented one
  body_bytes: 65536
  records: 5
  timeout_s: 2
  threads: 4
topics:
  - name: keyed
    partitions: 4
    sync: always
pipelines: []  # ingest only: no built-in pipeline commits tables into the warehouse under the checks
YAML

start_floe() {
    "$FLOE" up -c "$T/floe.yaml" --data "$T/data" --kafka-listen 127.0.0.1:0 >"$T/out" 2>"$T/err" &
    PID=$!
    for _ in $(seq 100); do
        grep -q "listening on" "$T/out" 2>/dev/null && break
        kill -0 "$PID" 2>/dev/null || fail "floe up exited early"
        sleep 0.1
    done
    PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\).*|\1|p' "$T/out")
    [ -n "$PORT" ] || fail "no port printed"
    B=http://127.0.0.1:$PORT
}

# expect STATUS CODE curl-args...: the reply's status, and for errors its
# {"error_code":CODE,"message":...} shape ("-" skips the body check)
expect() {
    local want=$1 code=$2
    shift 2
    local got
    got=$(curl -s -o "$T/body" -w '%{http_code}' --max-time 10 "$@") || true
    [ "$got" = "$want" ] || fail "$* -> $got (want $want): $(head -c 300 "$T/body")"
    if [ "$code" != "-" ]; then
        python3 - "$T/body" "$code" <<'PY' || fail "$* -> body $(head -c 300 "$T/body")"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["error_code"] == int(sys.argv[2]), b
assert isinstance(b["message"], str) and b["message"], b
PY
    fi
}

count() { $READ "$T/data/log" "$1" | wc -l; }
snapshot() {
    for t in weather session_topic employee_topic client_topic keyed; do
        echo "$t $(count $t)"
    done
}

# a bad config file is refused with its file, line and key
printf 'limits:\n  body_bytes: lots\n' >"$T/bad.yaml"
if "$FLOE" up -c "$T/bad.yaml" --data "$T/x" 2>"$T/cfgerr"; then fail "bad config accepted"; fi
grep -q "bad.yaml:2: limits.body_bytes" "$T/cfgerr" || fail "config error: $(cat "$T/cfgerr")"
printf 'listen: 127.0.0.1:0\nbogus: 1\n' >"$T/bad.yaml"
if "$FLOE" up -c "$T/bad.yaml" --data "$T/x" 2>"$T/cfgerr"; then fail "unknown key accepted"; fi
grep -q "bad.yaml:2: bogus: unknown key" "$T/cfgerr" || fail "config error: $(cat "$T/cfgerr")"

start_floe
echo "floe on $B"

# --- health and routing
expect 200 - "$B/health"
[ "$(cat "$T/body")" = '{"status":"healthy"}' ] || fail "health body $(cat "$T/body")"
expect 404 40400 "$B/nope"
expect 405 40501 -X DELETE "$B/health"
expect 405 40501 "$B/topics/weather"

# --- GET /log: the seed's exact reply and record
expect 200 - "$B/log?city=New%20York&temperature=72.5"
grep -Eq '^\{"status":"success","message":"Weather data logged","data":\{"city":"New York","temperature":"72.5","ts":"[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}"\}\}$' "$T/body" \
    || fail "GET /log reply $(cat "$T/body")"
ts=$(date -u +%Y-%m-%d-%H)
$READ "$T/data/log" weather | grep -q "{\\\\\"city\\\\\":\\\\\"New York\\\\\",\\\\\"temperature\\\\\":\\\\\"72.5\\\\\",\\\\\"ts\\\\\":\\\\\"$ts" \
    || fail "weather record: $($READ "$T/data/log" weather)"
expect 200 - --get --data-urlencode "city=São Paulo" --data-urlencode "temperature=-3.5" "$B/log"
grep -q '"city":"São Paulo"' "$T/body" || fail "utf-8 city $(cat "$T/body")"

before=$(snapshot)
expect 400 40003 "$B/log"
expect 400 40003 "$B/log?city=Paris"
expect 400 40003 "$B/log?temperature=20"
expect 400 40003 "$B/log?city=&temperature=20"
expect 400 40004 "$B/log?city=Paris&temperature=warm"
expect 400 40004 "$B/log?city=Paris&temperature=1e"
expect 400 40004 "$B/log?city=Paris&temperature=nan"
expect 400 40001 "$B/log?city=%FF%FE&temperature=1"
expect 400 40001 "$B/log?city=a%00b&temperature=1"
expect 400 40001 "$B/log?city=%G1&temperature=1"

# --- POST /upload/file: the seed's upload, stored then pointed at
echo '{"uuid":"8ba4520a-4ce5-43ee-aa0a-561d453d6539","status":"approved"}' >"$T/sessions_1.json"
expect 200 - -F "file=@$T/sessions_1.json" "$B/upload/file/sessions_1.json"
grep -q '"file_path":"uploads/sessions/sessions_1.json"' "$T/body" || fail "upload reply $(cat "$T/body")"
cmp "$T/sessions_1.json" "$T/data/warehouse/uploads/sessions/sessions_1.json" || fail "stored file differs"
$READ "$T/data/log" session_topic | tail -1 | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
assert r["value"] == "{\"file_name\":\"sessions_1.json\",\"file_path\":\"uploads/sessions/sessions_1.json\"}", r
' || fail "pointer message"
# raw body; overwrite (same name, new content); the other kinds
echo '[{"uuid":"x"}]' >"$T/v2.json"
expect 200 - -H 'Content-Type: application/json' --data-binary @"$T/v2.json" "$B/upload/file/sessions_1.json"
cmp "$T/v2.json" "$T/data/warehouse/uploads/sessions/sessions_1.json" || fail "not overwritten"
expect 200 - -F "file=@$T/v2.json" "$B/upload/file/employees_4.json"
[ -f "$T/data/warehouse/uploads/employee_files/employees_4.json" ] || fail "employee file"
expect 200 - -F "file=@$T/v2.json" "$B/upload/file/clients_2.json"
[ -f "$T/data/warehouse/uploads/client_files/clients_2.json" ] || fail "client file"
[ "$(count session_topic)" = 2 ] || fail "session_topic has $(count session_topic)"
[ "$(count employee_topic)" = 1 ] && [ "$(count client_topic)" = 1 ] || fail "kind topics"

before=$(snapshot)
files_before=$(find "$T/data/warehouse" -type f | sort | md5sum)
expect 400 40002 -F "file=@$T/v2.json" "$B/upload/file/sessions%2F..%2Fx.json"
expect 400 40002 -F "file=@$T/v2.json" "$B/upload/file/sessions..json"
expect 400 40002 -F "file=@$T/v2.json" "$B/upload/file/sessions%01.json"
expect 400 40002 -F "file=@$T/v2.json" "$B/upload/file/sessions_$(head -c 250 /dev/zero | tr '\0' x).json"
expect 400 40001 -F "file=@$T/v2.json" "$B/upload/file/sessions%C3.json"
expect 400 40008 -F "file=@$T/v2.json" "$B/upload/file/orders_1.json"
: >"$T/empty.json"
expect 400 40005 -F "file=@$T/empty.json" "$B/upload/file/sessions_1.json"
expect 400 40005 -X POST -H 'Content-Type: application/json' "$B/upload/file/sessions_1.json"
echo '{"uuid": ' >"$T/notjson.json"
expect 400 40006 -F "file=@$T/notjson.json" "$B/upload/file/sessions_1.json"
printf '{"city":"\xff\xfe"}' >"$T/bad8.json"
expect 400 40006 -F "file=@$T/bad8.json" "$B/upload/file/sessions_1.json"
expect 415 41501 -H 'Content-Type: text/plain' --data-binary @"$T/v2.json" "$B/upload/file/sessions_1.json"
expect 400 40007 -H 'Content-Type: multipart/form-data' --data-binary @"$T/v2.json" "$B/upload/file/sessions_1.json"
printf -- '--XX\r\nContent-Disposition: form-data; name="file"; filename="s.json"\r\n\r\n{"a":1}' >"$T/trunc.mp"
expect 400 40007 -H 'Content-Type: multipart/form-data; boundary=XX' --data-binary @"$T/trunc.mp" "$B/upload/file/sessions_1.json"
printf -- '--XX\r\nContent-Disposition: form-data; name="other"\r\n\r\n{"a":1}\r\n--XX--\r\n' >"$T/nofile.mp"
expect 400 40007 -H 'Content-Type: multipart/form-data; boundary=XX' --data-binary @"$T/nofile.mp" "$B/upload/file/sessions_1.json"
python3 -c 'print("[" + ",".join(["1"] * 40000) + "]")' >"$T/big.json"
expect 413 41301 -F "file=@$T/big.json" "$B/upload/file/sessions_1.json"
expect 413 41301 -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$T/big.json" "$B/upload/file/sessions_1.json"
[ "$(snapshot)" = "$before" ] || fail "refused uploads changed the log: $(snapshot)"
[ "$(find "$T/data/warehouse" -type f | sort | md5sum)" = "$files_before" ] || fail "refused uploads changed the warehouse"

# --- POST /topics: REST proxy v2, object, array, NDJSON
KJ='Content-Type: application/vnd.kafka.json.v2+json'
expect 200 - -H "$KJ" -d '{"records":[{"key":"alice","value":{"n":1}},{"key":"bob","value":{"n":2}},{"value":{"n":3}}]}' "$B/topics/keyed"
pa=$($READ murmur2 alice 4)
pb=$($READ murmur2 bob 4)
python3 - "$T/body" "$pa" "$pb" <<'PY' || fail "offsets $(cat "$T/body")"
import json, sys
b = json.load(open(sys.argv[1]))
o = b["offsets"]
assert len(o) == 3 and o[0]["partition"] == int(sys.argv[2]) and o[1]["partition"] == int(sys.argv[3]), o
assert all(x["error_code"] is None and isinstance(x["offset"], int) for x in o), o
assert b["key_schema_id"] is None and b["value_schema_id"] is None
PY
$READ "$T/data/log" keyed | python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin]
alice = [r for r in recs if r["key"] == "alice"]
assert len(alice) == 1 and alice[0]["partition"] == int(sys.argv[1]) and alice[0]["value"] == "{\"n\":1}", recs
' "$pa" || fail "keyed records"
expect 200 - -H 'Content-Type: application/json' -d '{"city":"Oslo","temperature":"3"}' "$B/topics/weather"
grep -q '"offsets":\[{"partition":0,"offset":2,' "$T/body" || fail "object offset $(cat "$T/body")"
expect 200 - -H 'Content-Type: application/json' -d '[{"a":1},{"a":2}]' "$B/topics/weather"
grep -q '"offset":4,' "$T/body" || fail "array offsets $(cat "$T/body")"
printf '{"a":1}\n{"a":2}\n\n{"a":3}\n' >"$T/nd"
expect 200 - -H 'Content-Type: application/x-ndjson' --data-binary @"$T/nd" "$B/topics/weather"
grep -q '"offset":7,' "$T/body" || fail "ndjson offsets $(cat "$T/body")"
expect 200 - -H 'Content-Type: application/json' -d '{"x":1}' "$B/topics/brand-new.topic"
[ "$(count brand-new.topic)" = 1 ] || fail "auto-created topic"

before=$(snapshot)
expect 415 41501 -H 'Content-Type: text/plain' -d '{"a":1}' "$B/topics/weather"
expect 415 41501 -H 'Content-Type: application/xml' -d '{"a":1}' "$B/topics/weather"
expect 400 40005 -X POST -H 'Content-Type: application/json' "$B/topics/weather"
expect 422 42201 -H 'Content-Type: application/json' -d '{"a":' "$B/topics/weather"
expect 422 42201 -H "$KJ" -d '{"a":1}' "$B/topics/weather"
expect 422 42201 -H "$KJ" -d '{"records":[{"value":1},"x"]}' "$B/topics/weather"
expect 422 42201 -H 'Content-Type: application/x-ndjson' --data-binary $'{"a":1}\n{"a":\n' "$B/topics/weather"
printf '[{"c":"\xc3\x28"}]' >"$T/bad8"
expect 422 42201 -H 'Content-Type: application/json' --data-binary @"$T/bad8" "$B/topics/weather"
expect 413 41302 -H 'Content-Type: application/json' -d '[1,2,3,4,5,6]' "$B/topics/weather"
expect 413 41301 -H 'Content-Type: application/json' --data-binary @"$T/big.json" "$B/topics/weather"
expect 404 40402 -H "$KJ" -d '{"records":[{"value":1},{"value":2,"partition":9}]}' "$B/topics/keyed"
expect 400 40002 -H 'Content-Type: application/json' -d '{}' "$B/topics/bad%20name"
expect 400 40002 --path-as-is -H "Content-Type: application/json" -d "{}" "$B/topics/.."
# headers: exactly at the default limit (8192 bytes, FL_INGEST_HEADER_BYTES_DEFAULT,
# docs/config.md) answered; one byte past it 431 with JSON naming the limit
# (server.c counts the request line as method + target + 12, and each header
# as name + value + 4; curl sends only Host and X-Pad here)
pad_for() { echo $(($1 - (4 + ${#PORT} + 10 + 4) - (5 + 4) - 7 - 3 - 12)); }
pad=$(pad_for 8192)
expect 200 - -H 'User-Agent:' -H 'Accept:' -H "X-Pad: $(head -c "$pad" /dev/zero | tr '\0' a)" "$B/health"
expect 431 43101 -H 'User-Agent:' -H 'Accept:' -H "X-Pad: $(head -c $((pad + 1)) /dev/zero | tr '\0' a)" "$B/health"
grep -q "8192 bytes" "$T/body" || fail "431 does not name the limit: $(cat "$T/body")"
# over our limit (JSON 431), and far over it (libmicrohttpd's own refusal)
expect 431 43101 -H "X-Pad: $(head -c 10000 /dev/zero | tr '\0' a)" "$B/log?city=A&temperature=1"
{ printf 'X-Pad: '; head -c 200000 /dev/zero | tr '\0' a; echo; } >"$T/hugeheader"
got=$(curl -s -o /dev/null -w '%{http_code}' -H @"$T/hugeheader" "$B/log?city=A&temperature=1" || true)
case "$got" in 431 | 413 | 400) ;; *) fail "200 KB header -> $got" ;; esac
[ "$(snapshot)" = "$before" ] || fail "refused requests changed the log: $(snapshot) vs $before"

# --- slow clients: 20 connections trickling a body byte by byte and 20
# that stall mid-request must not delay others; the 2 s idle timeout
# closes the stalled ones (the tricklers are bounded by the body and
# header caps and the connection limit: see docs/internals/ingest.md)
python3 - "$PORT" >"$T/slow.out" <<'PY' &
import socket, sys, time
port = int(sys.argv[1])
trickle, stall = [], []
for i in range(40):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /topics/weather HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99\r\n\r\n[")
    (trickle if i % 2 else stall).append(s)
for _ in range(8):  # 4 s: past the 2 s timeout
    for s in trickle:
        s.sendall(b" ")
    time.sleep(0.5)
closed = 0
for s in stall:
    s.settimeout(0.5)
    try:
        if s.recv(100) == b"":
            closed += 1
    except OSError:
        closed += 1
print(closed)
PY
SLOW=$!
sleep 0.5
t0=$(date +%s%N)
for i in $(seq 20); do expect 200 - --max-time 2 "$B/log?city=Fast&temperature=$i"; done
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
[ "$ms" -lt 5000 ] || fail "20 requests beside slow clients took ${ms} ms"
wait $SLOW
[ "$(cat "$T/slow.out")" = 20 ] || fail "stalled connections not timed out: $(cat "$T/slow.out") of 20 closed"
echo "20 requests in ${ms} ms beside 40 slow clients; the 20 stalled ones timed out"

# --- SIGTERM: exit 0, and everything acknowledged is there after a restart
final=$(snapshot)
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
PID=
[ "$rc" = 0 ] || fail "floe up exited $rc on SIGTERM"
start_floe
[ "$(snapshot)" = "$final" ] || fail "restart lost records"
expect 200 - "$B/log?city=After&temperature=1"
# SIGTERM in the middle of keep-alive single events: the replies waiting
# for the log (suspended connections) are answered, then exit 0
WRK=
if command -v wrk >/dev/null; then
    wrk -t1 -c64 -d3s "$B/log?city=Load&temperature=1" >"$T/wrk.out" 2>&1 &
    WRK=$!
    sleep 1
fi
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
PID=
[ "$rc" = 0 ] || fail "floe up exited $rc on SIGTERM under load"
if [ -n "$WRK" ]; then wait "$WRK" || true; fi
echo "ingest_http: ok"
