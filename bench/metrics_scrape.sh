#!/usr/bin/env bash
# metrics_scrape.sh - what scraping floe costs its ingest: GET /log single
# events and POST /topics batches with wrk, each run twice back to back,
# once alone and once while a scraper fetches GET /metrics and GET
# /status every second (what a Prometheus and a console polling would
# do), ROUNDS times; prints events/s of each and the median cost in %
# (issue 16 asks under 2%). floe runs the built-in pipelines, so the
# pipeline, topic and table families are real. Env: FLOE_BIN (default
# build/floe), DUR (s, default 10), CONNS (32), BATCH (100), ROUNDS (3),
# SCRAPE_S (1).
set -euo pipefail
cd "$(dirname "$0")/.."
FLOE=${FLOE_BIN:-build/floe}
DUR=${DUR:-10}
CONNS=${CONNS:-32}
BATCH=${BATCH:-100}
ROUNDS=${ROUNDS:-3}
SCRAPE_S=${SCRAPE_S:-1}
T=$(mktemp -d)
FPID=
SCPID=
cleanup() {
    [ -n "$SCPID" ] && kill "$SCPID" 2>/dev/null || true
    [ -n "$FPID" ] && kill "$FPID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

"$FLOE" up --listen 127.0.0.1:0 --data "$T/data" --kafka-listen 127.0.0.1:0 >"$T/out" 2>"$T/err" &
FPID=$!
for _ in $(seq 100); do grep -q "listening on" "$T/out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\).*|\1|p' "$T/out")
U=http://127.0.0.1:$PORT

python3 - "$BATCH" >"$T/batch.lua" <<'PY'
import json, sys
n = int(sys.argv[1])
body = json.dumps({"records": [{"value": {"city": "Oslo", "temperature": "%d.5" % i, "ts": "2026-11-23-12"}} for i in range(n)]})
print('wrk.method = "POST"')
print('wrk.headers["Content-Type"] = "application/vnd.kafka.json.v2+json"')
print("wrk.body = %s" % json.dumps(body))
PY

# run EVENTS_PER_REQUEST wrk-args...: prints events/s
run() {
    local per=$1 f=$T/wrk.$RANDOM
    shift
    wrk -t1 -c"$CONNS" -d"${DUR}s" "$@" >"$f" 2>&1
    python3 -c 'import re,sys; t=open(sys.argv[1]).read(); print("%.0f" % (float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1)) * int(sys.argv[2])))' "$f" "$per"
}
scraper() {
    while :; do
        curl -sf -o /dev/null "$U/metrics" && curl -sf -o /dev/null "$U/status" && echo ok >>"$T/scrapes"
        sleep "$SCRAPE_S"
    done
}

: >"$T/cost"
for r in $(seq "$ROUNDS"); do
    echo "# round $r: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), wrk -t1 -c$CONNS -d${DUR}s"
    for load in single batch; do
        if [ $load = single ]; then args=(1 "$U/log?city=Oslo&temperature=3.5"); else args=("$BATCH" -s "$T/batch.lua" "$U/topics/weather"); fi
        a=$(run "${args[@]}")
        scraper &
        SCPID=$!
        b=$(run "${args[@]}")
        kill "$SCPID"; wait "$SCPID" 2>/dev/null || true; SCPID=
        cost=$(python3 -c "print('%.2f' % (100 * (1 - $b / $a)))")
        echo "$load $cost" >>"$T/cost"
        printf '%-7s alone %10s events/s  scraped every %ss %10s events/s  cost %6s%%\n' "$load" "$a" "$SCRAPE_S" "$b" "$cost"
    done
done
echo "scrapes answered: $(wc -l <"$T/scrapes"), /metrics $(curl -sf "$U/metrics" | wc -c) bytes"
python3 - "$T/cost" <<'PY'
import sys, statistics, collections
c = collections.defaultdict(list)
for l in open(sys.argv[1]):
    k, v = l.split(); c[k].append(float(v))
for k, v in c.items():
    print("%s: median cost %.2f%% over %d rounds" % (k, statistics.median(v), len(v)))
PY
