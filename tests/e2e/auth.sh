#!/usr/bin/env bash
# e2e: API keys and roles (auth: in the config) on every route family and
# on the Kafka port. Each route is called with no key, a wrong key, a
# read key, a write key and an admin key, and gets 401 / 403 / 2xx with
# floe's JSON error shape (the Iceberg ErrorModel under /v1/). Kafka
# SASL/PLAIN takes the same keys (username = key name): write produces,
# read consumes, only admin creates topics. No key appears in floe's log
# (debug level). Without auth:, a non-loopback address is refused unless
# auth: {open: true}.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
command -v kcat >/dev/null || { echo "auth: kcat is not installed (scripts/install-deps)" >&2; exit 1; }
RK=read-$RANDOM-$$-key WK=write-$RANDOM-$$-key AK=admin-$RANDOM-$$-key BAD=wrong-$RANDOM-key
h() { printf %s "$1" | "$FLOE" auth hash; }
cat >"$T/floe.yaml" <<YAML
pipelines: []
auth:
  keys:
    - {name: reader, hash: "$(h "$RK")", role: read}
    - {name: writer, hash: "$(h "$WK")", role: write}
    - {name: ops, hash: "$(h "$AK")", role: admin}
YAML
check "config check accepts it" '"$FLOE" config check "$T/floe.yaml" >/dev/null'
FLOE_UP=("$FLOE" --log-level debug up)
"${FLOE_UP[@]}" --data "$T/d" --listen "127.0.0.1:$PORT" --kafka-listen 127.0.0.1:0 -c "$T/floe.yaml" >>"$T/up.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "$URL/health" >/dev/null 2>&1 && break; sleep 0.1; done

# st KEY METHOD PATH [curl args]: the status (KEY "-" none)
st() {
    local key=$1 m=$2 p=$3; shift 3
    local a=()
    [ "$key" != - ] && a=(-H "Authorization: Bearer $key")
    curl -s -o "$T/body" -w '%{http_code}' -X "$m" "${a[@]}" "$@" "$URL$p"
}
# row NAME METHOD PATH "none wrong read write admin" [curl args]
row() {
    local name=$1 m=$2 p=$3 want=$4; shift 4
    local got=() k
    for k in - "$BAD" "$RK" "$WK" "$AK"; do got+=("$(st "$k" "$m" "$p" "$@")"); done
    check "$name: $want" '[ "${got[*]}" = "$want" ] || { echo "  got ${got[*]}" >&2; false; }'
}
J=(-H 'Content-Type: application/vnd.kafka.json.v2+json')
row "GET /health" GET /health "200 200 200 200 200"
row "GET /log" GET "/log?city=a&temperature=1" "401 401 403 200 200"
row "POST /topics" POST /topics/weather "401 401 403 200 200" "${J[@]}" -d '{"records":[{"value":{"city":"b","temperature":2}}]}'
printf '[{"uuid":"u1","status":"approved"}]' >"$T/sessions_1.json"
row "POST /upload/file" POST /upload/file/sessions_1.json "401 401 403 200 200" -F "file=@$T/sessions_1.json"
row "POST /sql" POST /sql "401 401 200 403 200" -H 'Content-Type: application/json' -d '{"query":"SELECT 1"}'
row "GET /status" GET /status "401 401 200 403 200"
row "GET /metrics" GET /metrics "401 401 200 403 200"
row "GET /api/topics" GET /api/topics "401 401 200 403 200"
row "GET /v1/config" GET /v1/config "401 401 200 403 200"
row "GET /v1/namespaces" GET /v1/namespaces "401 401 200 403 200"
# admin-only REST writes: create a namespace (the admin's one succeeds)
row "POST /v1/namespaces" POST /v1/namespaces "401 401 403 403 200" -H 'Content-Type: application/json' -d '{"namespace":["authns"]}'
row "DELETE /v1/namespaces/authns" DELETE /v1/namespaces/authns "401 401 403 403 204"
# a reading engine's scan report is a read; a commit to a table named metrics is not
row "POST .../tables/t/metrics (scan report)" POST /v1/namespaces/default/tables/nosuch/metrics "401 401 404 403 404" -H 'Content-Type: application/json' -d '{}'
row "POST .../tables/metrics (a commit)" POST /v1/namespaces/default/tables/metrics "401 401 403 403 404" -H 'Content-Type: application/json' -d '{}'
row "no route" GET /nope "404 404 404 404 404"

curl -s -D "$T/hdr" -o /dev/null "$URL/status"
check "401 says WWW-Authenticate: Bearer" 'grep -i "^WWW-Authenticate: Bearer" "$T/hdr" >/dev/null'
st - GET /status >/dev/null
check "401 JSON shape" 'python3 -c "import json,sys; b=json.load(open(sys.argv[1])); assert b[\"error_code\"]==40101, b" "$T/body"'
st "$WK" GET /status >/dev/null
check "403 JSON shape, names the key, not the secret" 'python3 -c "import json,sys; b=json.load(open(sys.argv[1])); assert b[\"error_code\"]==40302 and \"writer\" in b[\"message\"] and \"read\" in b[\"message\"], b" "$T/body" && ! grep -F "$WK" "$T/body"'
st "$RK" POST /v1/namespaces -H 'Content-Type: application/json' -d '{"namespace":["x"]}' >/dev/null
check "/v1/ 403: Iceberg ForbiddenException" 'python3 -c "import json,sys; b=json.load(open(sys.argv[1]))[\"error\"]; assert b[\"type\"]==\"ForbiddenException\" and b[\"code\"]==403, b" "$T/body"'
st - GET /v1/config >/dev/null
check "/v1/ 401: Iceberg NotAuthorizedException" 'python3 -c "import json,sys; b=json.load(open(sys.argv[1]))[\"error\"]; assert b[\"type\"]==\"NotAuthorizedException\" and b[\"code\"]==401, b" "$T/body"'
head -c 4000000 /dev/zero | tr '\0' 'x' >"$T/big"
check "a big body without a key: 401 before it is read" '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Content-Type: application/octet-stream" --data-binary @"$T/big" "$URL/upload/file/sessions_2.json")" = 401 ]'
check "... and the server serves on" '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "X-API-Key: $RK" "$URL/status")" = 200 ]'
check "floe status with FLOE_API_KEY (read)" 'FLOE_API_KEY=$RK "$FLOE" status --url "$URL" >/dev/null'
check "floe status without a key: fails" '! "$FLOE" status --url "$URL" >/dev/null 2>&1'
check "floe gen with FLOE_API_KEY (write)" 'FLOE_API_KEY=$WK "$FLOE" gen weather --target "$URL" --rate 20 --duration 1 --threads 1 >"$T/gen.out" 2>&1 && grep -E "[1-9][0-9]* requests ok, 0 failed" "$T/gen.out" >/dev/null'
check "floe gen without a key: refused" '"$FLOE" gen weather --target "$URL" --rate 20 --duration 1 --threads 1 >"$T/gen2.out" 2>&1; grep -E " 0 requests ok, [1-9][0-9]* failed" "$T/gen2.out" >/dev/null'
check "X-API-Key works too" '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "X-API-Key: $RK" "$URL/status")" = 200 ]'
check "Bearer scheme is case-insensitive" '[ "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: bearer $RK" "$URL/status")" = 200 ]'

# Kafka: SASL/PLAIN with the same keys
KPORT=$(kport)
K=(kcat -b "127.0.0.1:$KPORT" -X socket.timeout.ms=5000 -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=PLAIN -m 5)
echo hello | "${K[@]}" -X sasl.username=writer -X "sasl.password=$WK" -P -t weather
check "kafka: the write key produces, the read key consumes" '"${K[@]}" -X sasl.username=reader -X "sasl.password=$RK" -C -t weather -e -q | grep -x hello >/dev/null'
check "kafka: a wrong key is refused" '! "${K[@]}" -X sasl.username=reader -X "sasl.password=$BAD" -L >/dev/null 2>&1'
check "kafka: a key under another name is refused" '! "${K[@]}" -X sasl.username=reader -X "sasl.password=$WK" -L >/dev/null 2>&1'
check "kafka: the read key may not produce" '! (echo x | "${K[@]}" -X sasl.username=reader -X "sasl.password=$RK" -X message.timeout.ms=3000 -P -t weather) >/dev/null 2>&1'
check "... its reason logged" 'grep "Produce: key reader lacks the write role" "$T/up.log" >/dev/null'
denied() { # the read key producing gets TOPIC_AUTHORIZATION_FAILED (29), and that connection still fetches
    /usr/bin/python3 - "$KPORT" "$RK" <<'PY'
import sys
from confluent_kafka import Consumer, KafkaError, Producer
port, key = sys.argv[1:]
conf = {"bootstrap.servers": "127.0.0.1:" + port, "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanisms": "PLAIN", "sasl.username": "reader", "sasl.password": key}
p = Producer(dict(conf, **{"message.timeout.ms": 4000, "retries": 0}))
errs = []
p.produce("weather", b"x", on_delivery=lambda e, m: errs.append(e))
p.flush(8)
assert len(errs) == 1 and errs[0] is not None, errs
assert errs[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, errs[0]
c = Consumer(dict(conf, **{"group.id": "auth-e2e", "auto.offset.reset": "earliest"}))
from confluent_kafka import TopicPartition
c.assign([TopicPartition("weather", 0, 0)])
m = c.poll(8)
assert m is not None and m.error() is None and m.value(), m and m.error()
c.close()
PY
}
check "kafka: the read key producing gets TOPIC_AUTHORIZATION_FAILED; fetching still works" denied
check "... and the connection is not closed for it" '! grep "lacks the write role: closing" "$T/up.log" >/dev/null && grep "Produce: key reader lacks the write role: TOPIC_AUTHORIZATION_FAILED" "$T/up.log" >/dev/null'
group_denied() { # the write key in a consumer group gets GROUP_AUTHORIZATION_FAILED (30)
    /usr/bin/python3 - "$KPORT" "$WK" <<'PY'
import sys, time
from confluent_kafka import Consumer, KafkaError
port, key = sys.argv[1:]
c = Consumer({"bootstrap.servers": "127.0.0.1:" + port, "security.protocol": "SASL_PLAINTEXT",
              "sasl.mechanisms": "PLAIN", "sasl.username": "writer", "sasl.password": key,
              "group.id": "auth-e2e-w", "auto.offset.reset": "earliest"})
c.subscribe(["weather"])
end, got = time.time() + 10, None
while time.time() < end and got is None:
    m = c.poll(1)
    if m is not None and m.error() is not None:
        got = m.error().code()
c.close()
assert got == KafkaError.GROUP_AUTHORIZATION_FAILED, got
PY
}
check "kafka: the write key joining a group gets GROUP_AUTHORIZATION_FAILED" group_denied
create() { # user key topic: CreateTopics through the Kafka admin API
    /usr/bin/python3 - "$KPORT" "$1" "$2" "$3" <<'PY'
import sys
from confluent_kafka.admin import AdminClient, NewTopic
port, user, key, topic = sys.argv[1:]
a = AdminClient({"bootstrap.servers": "127.0.0.1:" + port, "security.protocol": "SASL_PLAINTEXT",
                 "sasl.mechanisms": "PLAIN", "sasl.username": user, "sasl.password": key,
                 "socket.timeout.ms": 4000})
try:
    a.create_topics([NewTopic(topic, 1)], operation_timeout=4, request_timeout=4)[topic].result(timeout=8)
except Exception as e:
    print(e, file=sys.stderr); sys.exit(1)
PY
}
check "kafka: the write key may not create a topic: TOPIC_AUTHORIZATION_FAILED" '! create writer "$WK" t_w 2>"$T/cw.err" && grep TOPIC_AUTHORIZATION_FAILED "$T/cw.err" >/dev/null'
check "kafka: the admin key creates one" 'create ops "$AK" t_admin'

kill -INT "$pid"; check "floe up exits 0" 'wait "$pid"'; pid=
check "no key in floe's log" '! grep -F -e "$RK" -e "$WK" -e "$AK" -e "$BAD" "$T/up.log"'
check "... though it logged at debug level" '[ -s "$T/up.log" ]'

# without auth: a non-loopback address is refused; auth: {open: true} allows it
printf 'pipelines: []\n' >"$T/none.yaml"
check "0.0.0.0 without auth: refused" '! "$FLOE" up --data "$T/d2" --listen 0.0.0.0:0 --kafka-listen 127.0.0.1:0 -c "$T/none.yaml" >"$T/o.log" 2>&1 && grep "not a loopback address" "$T/o.log" >/dev/null'
printf 'pipelines: []\nauth: {open: true}\n' >"$T/open.yaml"
"$FLOE" up --data "$T/d3" --listen 0.0.0.0:0 --kafka-listen 127.0.0.1:0 -c "$T/open.yaml" >"$T/open.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep "listening on" "$T/open.log" >/dev/null && break; sleep 0.1; done
check "0.0.0.0 with auth: {open: true}: serves" 'grep "listening on" "$T/open.log" >/dev/null'
kill -INT "$pid"; check "floe up exits 0" 'wait "$pid"'; pid=

# the config refuses what is not a hash, without echoing it
printf 'auth:\n  keys:\n    - {name: a, hash: "plain-secret-value", role: read}\n' >"$T/bad.yaml"
check "config check refuses a plain key" '! "$FLOE" config check "$T/bad.yaml" 2>"$T/bad.err" && grep "auth.keys\[\].hash: expected sha256" "$T/bad.err" >/dev/null && ! grep plain-secret-value "$T/bad.err"'
printf 'auth:\n  keys:\n    - {name: a, hash: "%s", role: owner}\n' "$(h x)" >"$T/bad2.yaml"
check "config check refuses an unknown role" '! "$FLOE" config check "$T/bad2.yaml" 2>/dev/null'
printf 'auth: {}\n' >"$T/bad3.yaml"
check "config check refuses auth with no keys and not open" '! "$FLOE" config check "$T/bad3.yaml" 2>/dev/null'
echo "auth: $pass passed, $fail failed"
[ "$fail" = 0 ]
