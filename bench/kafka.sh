#!/usr/bin/env bash
# kafka.sh - floe's Kafka path beside its HTTP batch path, in one run on
# this machine, floe up with the default sync (always: a batch is
# acknowledged after its fsync, concurrent appends share fsyncs):
#   1. produce: kcat (librdkafka 2.0) sends N records of 100 bytes with
#      acks=all (linger 5 ms, batches up to 10,000 records); records/s
#      from the first send to the last acknowledgement (kcat exits after
#      its delivery reports)
#   2. consume: kcat reads the N records back from the beginning to the
#      end, printing each one's offset (printing the 100-byte values
#      through a pipe is kcat's own bottleneck on 2 cores); records/s
#   3. latency: confluent-kafka (librdkafka) sends single records at
#      RATE/s with acks=all and linger 0; p50 and p99 from each record's
#      send to its delivery report
#   4. HTTP: wrk POSTs batches of 100 records of 100 bytes to
#      /topics/httpbench (REST proxy v2) for DUR seconds; records/s
# Env: FLOE_BIN (default build/floe), N (default 1000000), RATE (default
# 10000), DUR (default 10). The client runs on the same 2 cores as floe.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOE=${FLOE_BIN:-build/floe}
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
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
HP=$(port)
KP=$(port)
printf 'pipelines: []\n' >"$T/floe.yaml"
"$FLOE" up -c "$T/floe.yaml" --data "$T/d" --listen "127.0.0.1:$HP" --kafka-listen "127.0.0.1:$KP" >"$T/up.log" 2>&1 &
FPID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$HP/health" >/dev/null 2>&1 && break; sleep 0.1; done
B=127.0.0.1:$KP
now() { date +%s.%N; }
echo "# $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), N=$N"

python3 -c "import sys; [sys.stdout.write('%099d\n' % i) for i in range($N)]" >"$T/records"
kcat -b "$B" -L -t kbench >/dev/null 2>&1 || true
t0=$(now)
kcat -b "$B" -P -t kbench -l -X acks=all -X linger.ms=5 -X batch.num.messages=10000 \
    -X queue.buffering.max.messages=2000000 "$T/records"
t1=$(now)
echo "kafka produce (kcat, acks=all, 100 B): $(python3 -c "print(round($N / ($t1 - $t0)))") records/s"

t0=$(now)
got=$(kcat -b "$B" -C -t kbench -o beginning -e -q -f '%o\n' -X fetch.max.bytes=52428800 | wc -l)
t1=$(now)
echo "kafka consume (kcat, $got records): $(python3 -c "print(round($got / ($t1 - $t0)))") records/s"

/usr/bin/python3 - "$B" "$RATE" <<'PY'
import sys, time
from confluent_kafka import Producer
boot, rate = sys.argv[1], int(sys.argv[2])
lat = []
p = Producer({"bootstrap.servers": boot, "acks": "all", "linger.ms": 0})
def dr(err, msg, t=None):
    pass
payload = b"x" * 100
n = rate * 5
start = time.perf_counter()
for i in range(n):
    t = time.perf_counter()
    p.produce("klat", payload, on_delivery=lambda e, m, t=t: lat.append(time.perf_counter() - t))
    p.poll(0)
    ahead = start + (i + 1) / rate - time.perf_counter()
    if ahead > 0:
        time.sleep(ahead)
p.flush(30)
lat.sort()
q = lambda f: lat[int(f * (len(lat) - 1))] * 1000
print("kafka single records at %d/s (confluent-kafka, acks=all): p50 %.2f ms, p99 %.2f ms (%d records)"
      % (rate, q(0.5), q(0.99), len(lat)))
PY

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
