#!/usr/bin/env bash
# e2e: HTTPS on floe's HTTP port (tls: {cert, key}; libmicrohttpd over
# GnuTLS) and TLS on its Kafka port (kafka.tls; OpenSSL, kcat with
# SASL_SSL). A test CA and a server certificate for 127.0.0.1 are made
# here with openssl (nothing private is committed). curl --cacert gets
# /health and ingests over TLS; curl without the CA and plain HTTP fail;
# openssl s_client verifies the chain and speaks HTTP through it; auth
# keys work over TLS; a key that does not match the certificate stops
# floe up with an error.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
command -v openssl >/dev/null || { echo "tls: openssl is not installed" >&2; exit 1; }
C=$T/pki; mkdir -p "$C"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=floe test CA" \
    -keyout "$C/ca.key" -out "$C/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$C/srv.key" -out "$C/srv.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$C/ext"
openssl x509 -req -in "$C/srv.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial -days 2 \
    -extfile "$C/ext" -out "$C/srv.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other" -keyout "$C/other.key" -out "$C/other.pem" 2>/dev/null
KEY=tls-$RANDOM-$$-key
cat >"$T/floe.yaml" <<YAML
pipelines: []
tls: {cert: "$C/srv.pem", key: "$C/srv.key"}
kafka: {tls: {cert: "$C/srv.pem", key: "$C/srv.key"}}
auth:
  open_metrics: true
  keys: [{name: w, hash: "$(printf %s "$KEY" | "$FLOE" auth hash)", role: admin}]
YAML
S=https://127.0.0.1:$PORT
"$FLOE" up --data "$T/d" --listen "127.0.0.1:$PORT" --kafka-listen 127.0.0.1:0 -c "$T/floe.yaml" >>"$T/up.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs --cacert "$C/ca.pem" "$S/health" >/dev/null 2>&1 && break; sleep 0.1; done
check "says https" 'grep "listening on https://127.0.0.1:$PORT" "$T/up.log" >/dev/null'
check "curl --cacert: /health" '[ "$(curl -s --cacert "$C/ca.pem" -o /dev/null -w "%{http_code}" "$S/health")" = 200 ]'
check "curl --cacert: ingest with a key" '[ "$(curl -s --cacert "$C/ca.pem" -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $KEY" "$S/log?city=x&temperature=1")" = 200 ]'
check "... and without one: 401" '[ "$(curl -s --cacert "$C/ca.pem" -o /dev/null -w "%{http_code}" "$S/log?city=x&temperature=1")" = 401 ]'
check "open_metrics: /metrics without a key" '[ "$(curl -s --cacert "$C/ca.pem" -o /dev/null -w "%{http_code}" "$S/metrics")" = 200 ]'
check "curl without the CA: refused" '! curl -s -o /dev/null "$S/health"'
check "plain HTTP on the TLS port: no HTTP reply" '[ "$(curl -s -m 5 -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PORT/health" || true)" != 200 ]'
printf 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' |
    timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" -verify_return_error \
        -verify_ip 127.0.0.1 -quiet >"$T/sc.out" 2>"$T/sc.err" || true
check "openssl s_client: verified, HTTP 200 through it" 'grep "HTTP/1.1 200" "$T/sc.out" >/dev/null && ! grep -i "verify error" "$T/sc.err"'
echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$C/ca.pem" >"$T/sc2.out" 2>&1 || true
check "openssl s_client: Verify return code 0" 'grep "Verify return code: 0 (ok)" "$T/sc2.out" >/dev/null'
check "openssl s_client: TLS 1.2 or 1.3" 'grep -E "Protocol *: TLSv1\.[23]|New, TLSv1\.[23]" "$T/sc2.out" >/dev/null'

# the Kafka port over TLS, with SASL/PLAIN and the same key (SASL_SSL)
KPORT=$(kport)
check "kafka says tls" 'grep "kafka on .* tls$" "$T/up.log" >/dev/null'
K=(kcat -b "127.0.0.1:$KPORT" -X socket.timeout.ms=5000 -X security.protocol=SASL_SSL -X sasl.mechanisms=PLAIN
   -X sasl.username=w -X "sasl.password=$KEY" -X "ssl.ca.location=$C/ca.pem" -m 8)
for i in 1 2 3; do echo "tls-$i"; done | "${K[@]}" -P -t tls_t
check "kafka SASL_SSL: produce and consume" '[ "$("${K[@]}" -C -t tls_t -e -q | tr "\n" " ")" = "tls-1 tls-2 tls-3 " ]'
big=$(head -c 300000 /dev/zero | tr '\0' 'k')
echo "$big" | "${K[@]}" -P -t tls_big
check "kafka SASL_SSL: a 300 KB record both ways" '[ "$("${K[@]}" -C -t tls_big -e -q | wc -c)" = 300001 ]'
check "kafka over TLS: plaintext client gets nothing" '! kcat -b "127.0.0.1:$KPORT" -X socket.timeout.ms=3000 -m 4 -L >/dev/null 2>&1'
check "kafka over TLS: without the CA refused" '! kcat -b "127.0.0.1:$KPORT" -X socket.timeout.ms=3000 -X security.protocol=SASL_SSL -X sasl.mechanisms=PLAIN -X sasl.username=w -X "sasl.password=$KEY" -m 4 -L >/dev/null 2>&1'
echo | timeout 10 openssl s_client -connect "127.0.0.1:$KPORT" -CAfile "$C/ca.pem" >"$T/ks.out" 2>&1 || true
check "kafka: openssl s_client verifies the chain" 'grep "Verify return code: 0 (ok)" "$T/ks.out" >/dev/null'
kill -INT "$pid"; check "floe up exits 0" 'wait "$pid"'; pid=

# a key that is not the certificate's: floe up stops with an error
sed "s|$C/srv.key|$C/other.key|" "$T/floe.yaml" >"$T/mismatch.yaml"
check "mismatched key: floe up fails" '! timeout 20 "$FLOE" up --data "$T/d2" --listen 127.0.0.1:0 --kafka-listen 127.0.0.1:0 -c "$T/mismatch.yaml" >"$T/mm.log" 2>&1 && grep "cannot serve TLS" "$T/mm.log" >/dev/null'
printf 'pipelines: []\nkafka: {tls: {cert: "%s", key: "%s"}}\n' "$C/srv.pem" "$C/other.key" >"$T/kmm.yaml"
check "kafka tls, mismatched key: floe up fails naming it" '! timeout 20 "$FLOE" up --data "$T/d4" --listen 127.0.0.1:0 --kafka-listen 127.0.0.1:0 -c "$T/kmm.yaml" >"$T/kmm.log" 2>&1 && grep "kafka tls: .*other.key" "$T/kmm.log" >/dev/null'
check "config show keeps kafka.tls" '"$FLOE" config show -c "$T/kmm.yaml" | grep "tls: {cert: \"$C/srv.pem\"" >/dev/null'
printf 'kafka: {tls: {key: /x.pem}}\n' >"$T/badk.yaml"
check "config check: kafka.tls needs cert and key" '! "$FLOE" config check "$T/badk.yaml" 2>"$T/badk.err" && grep "kafka.tls: needs cert and key" "$T/badk.err" >/dev/null'
printf 'tls: {cert: /x.pem}\n' >"$T/bad.yaml"
check "config check: tls needs cert and key" '! "$FLOE" config check "$T/bad.yaml" 2>"$T/bad.err" && grep "tls: needs cert and key" "$T/bad.err" >/dev/null'
sed "s|$C/srv.key|$T/missing.key|" "$T/floe.yaml" >"$T/missing.yaml"
check "missing key file: floe up names it" '! timeout 20 "$FLOE" up --data "$T/d3" --listen 127.0.0.1:0 --kafka-listen 127.0.0.1:0 -c "$T/missing.yaml" >"$T/mk.log" 2>&1 && grep "missing.key" "$T/mk.log" >/dev/null'
echo "tls: $pass passed, $fail failed"
[ "$fail" = 0 ]
