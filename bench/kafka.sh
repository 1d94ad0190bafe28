#!/usr/bin/env bash
# kafka.sh - floe's Kafka path beside its HTTP batch path, in one run on
# this machine, floe up with the default sync (always: a batch is
# acknowledged after its fsync, concurrent appends share fsyncs). The
# Kafka client is bench/kafka_produce.c (librdkafka):
#   1. produce: N records of 100 bytes with acks=all (linger 5 ms,
#      batches up to 10,000 records); records/s from the first send to
#      the last delivery report
#   2. consume: the N records read back from the beginning; records/s
#   3. latency: single records at RATE/s with acks=all and linger 0, one
#      produce call each on a paced clock; p50 and p99 from each send to
#      its delivery report
#   4. HTTP: wrk POSTs batches of 100 records of 100 bytes to
#      /topics/httpbench (REST proxy v2) for DUR seconds; records/s
# Env: FLOE_BIN (default build/floe), KAFKA_PRODUCE (default
# build/kafka_produce; built here with cc and pkg-config rdkafka when
# missing: apt-get install librdkafka-dev), N (default 1000000), RATE
# (default 10000), DUR (default 10). The clients run on the same 2
# cores as floe.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOE=${FLOE_BIN:-build/floe}
KPROD=${KAFKA_PRODUCE:-build/kafka_produce}
N=${N:-1000000}
RATE=${RATE:-10000}
DUR=${DUR:-10}
T=$(mktemp -d)
FPID=
cleanup() {
    [ -n "$FPID" ] && kill "$FPID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
if [ ! -x "$KPROD" ]; then
    KPROD=$T/kafka_produce
    # shellcheck disable=SC2046
    cc -O2 -Wall -Wextra -o "$KPROD" bench/kafka_produce.c $(pkg-config --cflags --libs rdkafka) -lpthread
fi
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
HP=$(port)
KP=$(port)
printf 'pipelines: []\n' >"$T/floe.yaml"
"$FLOE" up -c "$T/floe.yaml" --data "$T/d" --listen "127.0.0.1:$HP" --kafka-listen "127.0.0.1:$KP" >"$T/up.log" 2>&1 &
FPID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$HP/health" >/dev/null 2>&1 && break; sleep 0.1; done
B=127.0.0.1:$KP
echo "# $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), N=$N"

"$KPROD" -b "$B" -t kbench produce -n "$N"
"$KPROD" -b "$B" -t kbench consume -n "$N"
"$KPROD" -b "$B" -t klat latency -r "$RATE" -d 5

python3 - >"$T/batch.lua" <<'PY'
import json
recs = [{"value": {"p": "%090d" % i}} for i in range(100)]
print('wrk.method = "POST"')
print('wrk.headers["Content-Type"] = "application/vnd.kafka.json.v2+json"')
print("wrk.body = %s" % json.dumps(json.dumps({"records": recs})))
PY
wrk -t1 -c32 -d"${DUR}s" -s "$T/batch.lua" "http://127.0.0.1:$HP/topics/httpbench" >"$T/wrk" 2>&1
rps=$(awk '/Requests\/sec/ {print $2}' "$T/wrk")
echo "http POST /topics x100 (wrk -c32, 100 B values): $(python3 -c "print(round($rps * 100))") records/s"
