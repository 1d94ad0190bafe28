#!/usr/bin/env bash
# ingest.sh - HTTP ingest throughput and latency, floe beside the seed's
# Flask logging server, in one run on this machine:
#   1. floe: single events, GET /log?city=..&temperature=.. with keep-alive
#   2. floe: batches of $BATCH events, POST /topics/weather (REST proxy v2)
#   3. seed: the same GET /log against bench/seed_flask_server.py
# floe runs `floe up` with sync: always (an event is acknowledged after
# its fsync; concurrent requests share fsyncs). wrk reports requests/s
# and the latency distribution; events/s = requests/s x events per
# request. Env: FLOE_BIN (default build/floe), DUR (s, default 10),
# CONNS (default 32), BATCH (default 100), THREADS (floe's server
# threads, default 4: a GET /log waiting for its fsync holds no thread,
# its connection is suspended, so a thread a core would do for single
# events; a POST /topics still holds its thread until durable, and 4
# let more batches share an fsync: 320-350k events/s against 215-225k
# with 2, single events the same). ROUNDS (default 3) repeats the three
# loads and prints the median floe/seed ratio. The peer runs on Debian's
# /usr/bin/python3 (python3-flask, python3-confluent-kafka).
set -euo pipefail
cd "$(dirname "$0")/.."
FLOE=${FLOE_BIN:-build/floe}
DUR=${DUR:-10}
CONNS=${CONNS:-32}
BATCH=${BATCH:-100}
THREADS=${THREADS:-4}
# wrk's threads (default 1): wrk runs on the same 2 cores as the server it
# measures; one wrk thread drives all connections through epoll and
# leaves the other core to the server under test, floe and the seed alike
WRK_THREADS=${WRK_THREADS:-1}
ROUNDS=${ROUNDS:-3}
T=$(mktemp -d)
FPID=
SPID=
cleanup() {
    [ -n "$FPID" ] && kill "$FPID" 2>/dev/null || true
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

cat >"$T/floe.yaml" <<YAML
listen: 127.0.0.1:0
limits: {threads: $THREADS, connections: 1024, records: 10000}
topics:
  - {name: weather, partitions: 1, sync: always}
pipelines: []   # ingest only: the log is what is measured
YAML
"$FLOE" up -c "$T/floe.yaml" --data "$T/data" --kafka-listen 127.0.0.1:0 >"$T/out" 2>"$T/err" &
FPID=$!
for _ in $(seq 100); do grep -q "listening on" "$T/out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\).*|\1|p' "$T/out")

# a free port for the seed (PORT + 1 may be held by a client socket)
SPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 bench/seed_flask_server.py "$SPORT" >"$T/seed.out" 2>&1 &
SPID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$SPORT/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$SPORT/health" >/dev/null 2>&1 || {
    echo "seed server not up on port $SPORT:" >&2
    cat "$T/seed.out" >&2
    exit 1
}

python3 - "$BATCH" >"$T/batch.lua" <<'PY'
import json, sys
n = int(sys.argv[1])
body = json.dumps({"records": [{"value": {"city": "Oslo", "temperature": "%d.5" % i, "ts": "2026-11-23-12"}} for i in range(n)]})
print('wrk.method = "POST"')
print('wrk.headers["Content-Type"] = "application/vnd.kafka.json.v2+json"')
print("wrk.body = %s" % json.dumps(body))
PY

# run NAME EVENTS_PER_REQUEST wrk-args...: prints "NAME events/s p50 p99"
run() {
    local name=$1 per=$2 f=$T/wrk.$RANDOM
    shift 2
    wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DUR}s" --latency "$@" >"$f" 2>&1
    python3 - "$f" "$name" "$per" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
def ms(label):
    m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)\b" % label, t)
    v = float(m.group(1))
    return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
errs = re.search(r"Socket errors: (.*)", t)
print("%-26s %12.0f events/s  p50 %7.2f ms  p99 %7.2f ms%s%s" % (
    sys.argv[2], rps * int(sys.argv[3]), ms("50"), ms("99"),
    "  NON-2XX %s" % non2xx.group(1) if non2xx else "",
    "  socket errors: %s" % errs.group(1) if errs else ""))
PY
}

# ROUNDS rounds, each floe then the seed back to back, so that both see
# the same moment of this shared machine; the ratio per round, then the
# median ratio over the rounds
for r in $(seq "$ROUNDS"); do
    echo "# round $r: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), wrk -t$WRK_THREADS -c$CONNS -d${DUR}s, floe sync=always, $THREADS threads"
    run "floe GET /log" 1 "http://127.0.0.1:$PORT/log?city=Oslo&temperature=3.5" | tee -a "$T/floe.txt"
    run "floe POST /topics x$BATCH" "$BATCH" -s "$T/batch.lua" "http://127.0.0.1:$PORT/topics/weather"
    run "seed Flask GET /log" 1 "http://127.0.0.1:$SPORT/log?city=Oslo&temperature=3.5" | tee -a "$T/seed.txt"
done
python3 - "$T/floe.txt" "$T/seed.txt" <<'PY'
import re, sys, statistics
ev = lambda f: [float(re.search(r"\s([\d.]+) events/s", l).group(1)) for l in open(f)]
p99 = lambda f: [float(re.search(r"p99\s+([\d.]+) ms", l).group(1)) for l in open(f)]
fl, sd = ev(sys.argv[1]), ev(sys.argv[2])
ratios = [a / b for a, b in zip(fl, sd)]
print("single events, floe / seed per round: %s; median %.1fx; floe p99 median %.2f ms" % (
    ", ".join("%.1fx" % r for r in ratios), statistics.median(ratios), statistics.median(p99(sys.argv[1]))))
PY
