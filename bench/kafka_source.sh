#!/usr/bin/env bash
# kafka_source.sh - pipelines from an external Kafka cluster with 1, 2
# and 3 floe workers in one consumer group (issue 15). The cluster is a
# floe up serving only Kafka; a topic of P partitions (default 6) is
# filled first with N JSON records (confluent-kafka, lz4 batches); then
# for W = 1, 2, 3: W `floe up` workers with the same config (a fresh
# table and group per W, one shared PostgreSQL catalog, one warehouse)
# drain that backlog; the time is from the first worker's start to the
# moment the workers' GET /status committed counts sum to N, and the
# table is checked to hold N rows. records/s = N / time.
# Env: FLOE_BIN (default build/floe), N (default 300000), P (default 6),
# WORKERS (default "1 2 3"), INTERVAL (commit_interval_ms, default 1000).
# Needs PostgreSQL 15 (tests/e2e/lib/pg_up.bash) and python3-confluent-kafka.
# Everything runs on the same machine: on 2 cores, workers compete with
# each other, with the broker and with PostgreSQL for the same CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOE=$(realpath "${FLOE_BIN:-build/floe}")
N=${N:-300000} P=${P:-6} WORKERS=${WORKERS:-1 2 3} INTERVAL=${INTERVAL:-1000}
PY=/usr/bin/python3
. tests/e2e/lib/pg_up.bash
T=$(mktemp -d)
BPID=
declare -a WP=()
cleanup() {
    for p in "${WP[@]}" $BPID; do kill -9 "$p" 2>/dev/null || true; done
    pg_up_cleanup
    rm -rf "$T"
}
trap cleanup EXIT
port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
HP=$(port) KP=$(port)
printf 'topics:\n  - {name: ksb, partitions: %d}\npipelines: []\n' "$P" >"$T/broker.yaml"
"$FLOE" up -c "$T/broker.yaml" --data "$T/broker" --listen "127.0.0.1:$HP" --kafka-listen "127.0.0.1:$KP" >"$T/broker.log" 2>&1 &
BPID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$HP/health" >/dev/null 2>&1 && break; sleep 0.1; done
BOOT=127.0.0.1:$KP
pg_up_start
psql_ -c "CREATE DATABASE floe_bench" postgres >/dev/null
CAT="postgresql://postgres@127.0.0.1:$PGPORT/floe_bench"
echo "# $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), N=$N, P=$P, commit_interval_ms=$INTERVAL"
t0=$(date +%s.%N)
$PY tests/e2e/lib/kafka_source_produce.py produce "$BOOT" ksb 0 "$N" 0
echo "filled ksb with $N records in $(echo "$(date +%s.%N) - $t0" | bc) s"

committed() { # ports...: the sum of the workers' committed rows
    local sum=0 c
    for p in "$@"; do
        c=$(curl -fs "http://127.0.0.1:$p/status" 2>/dev/null | $PY -c 'import json,sys
try: print(sum(p["committed"] for p in json.load(sys.stdin)["pipelines"]))
except Exception: print(0)')
        sum=$((sum + ${c:-0}))
    done
    echo "$sum"
}
for W in $WORKERS; do
    cat >"$T/w$W.yaml" <<YAML
warehouse: file://$T/wh
catalog: $CAT
maintenance: {enabled: false}
tables:
  - name: ksb_w$W
    schema:
      - {name: id, type: string}
      - {name: n, type: long}
      - {name: _kafka_partition, type: int}
      - {name: _kafka_offset, type: long}
pipelines:
  - name: ksb
    source: {kafka: {bootstrap: "$BOOT", topics: [ksb], group: bench-w$W}}
    table: default.ksb_w$W
    commit_interval_ms: $INTERVAL
YAML
    ports=()
    WP=()
    t0=$(date +%s.%N)
    for i in $(seq "$W"); do
        p=$(port)
        ports+=("$p")
        "$FLOE" up -c "$T/w$W.yaml" --data "$T/w$W-$i" --listen "127.0.0.1:$p" --kafka-listen 127.0.0.1:0 >"$T/w$W-$i.log" 2>&1 &
        WP+=($!)
        [ "$i" = 1 ] && for _ in $(seq 100); do curl -fs "http://127.0.0.1:$p/health" >/dev/null 2>&1 && break; sleep 0.1; done
    done
    while [ "$(committed "${ports[@]}")" -lt "$N" ]; do
        sleep 0.2
        if [ "$(echo "$(date +%s.%N) - $t0 > 600" | bc)" = 1 ]; then echo "W=$W: timed out" >&2; exit 1; fi
    done
    secs=$(echo "$(date +%s.%N) - $t0" | bc)
    rows=$("$FLOE" sql --warehouse "file://$T/wh" --catalog "$CAT" --format csv --no-header \
        "SELECT COUNT(*), COUNT(DISTINCT id) FROM ksb_w$W")
    for p in "${WP[@]}"; do kill -TERM "$p"; wait "$p" || true; done
    WP=()
    printf 'workers %d: %d records in %.2f s = %.0f rec/s (table: %s rows, distinct ids)\n' \
        "$W" "$N" "$secs" "$(echo "$N / $secs" | bc -l)" "$rows"
done
