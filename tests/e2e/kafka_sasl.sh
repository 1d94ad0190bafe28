#!/usr/bin/env bash
# e2e: SASL/PLAIN on floe's Kafka server (kafka.users): kcat (librdkafka)
# with the right user and password lists topics, produces and consumes;
# a wrong password is refused with SASL_AUTHENTICATION_FAILED and a
# client without SASL gets nothing but ApiVersions (its connection is
# closed), each with a log line; config check refuses a user without a
# password.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
command -v kcat >/dev/null || { echo "kafka_sasl: kcat is not installed (scripts/install-deps)" >&2; exit 1; }
cat >"$T/floe.yaml" <<'YAML'
pipelines: []
kafka:
  users:
    - {name: alice, password: s3cret}
    - {name: bob, password: "another one"}
YAML
floe_up_start -c "$T/floe.yaml"
KPORT=$(sed -n 's/^floe up: kafka on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$T/up.log")
K=(kcat -b "127.0.0.1:$KPORT" -X socket.timeout.ms=5000 -m 5)
SASL=(-X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=PLAIN)
check "alice lists the topics" '"${K[@]}" "${SASL[@]}" -X sasl.username=alice -X sasl.password=s3cret -L >/dev/null'
echo "hello" | "${K[@]}" "${SASL[@]}" -X sasl.username=bob -X "sasl.password=another one" -P -t sasl_t
check "bob produces and alice consumes" '[ "$("${K[@]}" "${SASL[@]}" -X sasl.username=alice -X sasl.password=s3cret -C -t sasl_t -e -q)" = hello ]'
check "a wrong password is refused" '! "${K[@]}" "${SASL[@]}" -X sasl.username=alice -X sasl.password=nope -L >"$T/wrong" 2>&1'
check "... with the broker's reason" 'grep -qi "authentication failed" "$T/wrong"'
check "without SASL nothing but ApiVersions is answered" '! "${K[@]}" -L >/dev/null 2>&1'
check "failures logged" 'grep -q "SASL authentication failed" "$T/up.log" && grep -q "before SASL authentication" "$T/up.log"'
printf 'kafka:\n  users:\n    - {name: carol}\n' >"$T/bad.yaml"
check "config check refuses a user without a password" '! "$FLOE" config check "$T/bad.yaml" 2>"$T/bad.err" && grep -q "bad.yaml:3: kafka.users\[\]: needs a name and a password" "$T/bad.err"'
echo "kafka_sasl: $pass passed, $fail failed"
[ "$fail" = 0 ]
