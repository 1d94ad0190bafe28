#!/usr/bin/env bash
# cdc.sh - change data capture from PostgreSQL 15 into an Iceberg mirror
# (issue 14), one run on this machine: a throwaway PostgreSQL
# (tests/e2e/lib/pg_up.bash, wal_level=logical) and `floe up` with one
# postgres source over the table bench(id bigint primary key, v text,
# n numeric(12,2), ts timestamptz), commit_interval_ms 200:
#   1. snapshot: N rows loaded before floe starts; rows/s from floe's
#      start until the mirror pipeline has committed all N (slot, COPY,
#      envelopes to the log, upserts into Iceberg)
#   2. paced stream: pgbench runs transactions of 10 inserts at RATE/10
#      tx/s (RATE changes/s) for DUR seconds; per transaction the lag from
#      its source commit (the envelope's source.ts_ms) to the Iceberg
#      snapshot that holds it (that snapshot's timestamp: floe sql sees
#      the rows from then on): p50, p99, max
#   3. burst: pgbench as fast as it can for DUR seconds (transactions of
#      10 updates of random rows), then changes/s from the first change
#      to the mirror's last commit
# Env: FLOE_BIN (default build/floe), N (default 200000), RATE (default
# 5000), DUR (default 20). PostgreSQL, pgbench and floe share the 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOE=${FLOE_BIN:-build/floe}
N=${N:-200000}
RATE=${RATE:-5000}
DUR=${DUR:-20}
PG_UP_OPTS="-c wal_level=logical -c max_replication_slots=4 -c max_wal_senders=4 -c max_connections=50"
. tests/e2e/lib/pg_up.bash
T=$(mktemp -d)
FPID=
cleanup() {
    [ -n "$FPID" ] && kill "$FPID" 2>/dev/null || true
    wait 2>/dev/null || true
    pg_up_cleanup
    rm -rf "$T"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }
pg_up_start
psql_ -c "CREATE DATABASE bench" postgres
psql_ -d bench -c "CREATE TABLE bench(id bigint PRIMARY KEY, v text, n numeric(12,2), ts timestamptz)"
psql_ -d bench -c "INSERT INTO bench SELECT i, md5(i::text), i / 100.0, now() FROM generate_series(1, $N) i"
PORT=$(port)
cat > "$T/cdc.yaml" <<YAML
pipelines: []
sources:
  - postgres:
      uri: "postgresql://postgres@127.0.0.1:$PGPORT/bench"
      tables: [public.bench]
      topic_prefix: bench
      commit_interval_ms: 200
YAML
status() { curl -fs "http://127.0.0.1:$PORT/status" || echo '{}'; }
# the mirror pipeline has consumed the whole topic, at least $1 records
caught_up() {
    status | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
    p = s["pipelines"][0]
    ok = p["lag"] == 0 and p["records_in"] >= int(sys.argv[1]) and s["sources"][0]["connected"]
except (ValueError, KeyError, IndexError):
    ok = False
sys.exit(0 if ok else 1)' "$1"
}
wait_caught_up() { for _ in $(seq 6000); do caught_up "$1" && return 0; sleep 0.05; done; echo "cdc: no catch-up" >&2; return 1; }

t0=$(now_ms)
"$FLOE" up -c "$T/cdc.yaml" --data "$T/d" --listen "127.0.0.1:$PORT" --kafka-listen 127.0.0.1:0 > "$T/up.log" 2>&1 &
FPID=$!
wait_caught_up "$N"
t1=$(now_ms)
echo "snapshot: $N rows in $((t1 - t0)) ms: $(python3 -c "print(round($N * 1000 / max(1, $t1 - $t0)))") rows/s (floe start to the mirror committed)"
base=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["pipelines"][0]["records_in"])')

# 2. paced: transactions of 10 inserts
cat > "$T/ins.sql" <<'SQL'
\set id random(1000000000, 9000000000)
BEGIN;
INSERT INTO bench SELECT :id + g, md5(g::text), g, now() FROM generate_series(1, 10) g ON CONFLICT DO NOTHING;
COMMIT;
SQL
changes() { status | python3 -c 'import json,sys; print(json.load(sys.stdin)["sources"][0]["changes"])'; }
# waits until the source's change count stops moving (every change sent so far received)
settled() {
    local last=-1 c
    for _ in $(seq 600); do
        c=$(changes)
        [ "$c" = "$last" ] && break
        last=$c; sleep 0.5
    done
    echo "$last"
}
"$PGBIN/pgbench" -h 127.0.0.1 -p "$PGPORT" -U postgres -n -c 4 -j 2 -R $((RATE / 10)) \
    -T "$DUR" -f "$T/ins.sql" bench > "$T/pgbench1.log" 2>&1
paced=$(settled)
wait_caught_up "$((base + paced))"
echo "paced: $(grep -o 'tps = [0-9.]*' "$T/pgbench1.log" | head -n 1) transactions of 10 inserts, $paced changes in ${DUR}s"

# 3. burst: updates as fast as pgbench goes
cat > "$T/upd.sql" <<SQL
\\set a random(1, $N)
BEGIN;
UPDATE bench SET n = n + 1, ts = now() WHERE id BETWEEN :a AND :a + 9;
COMMIT;
SQL
before=$(changes)
b0=$(now_ms)
"$PGBIN/pgbench" -h 127.0.0.1 -p "$PGPORT" -U postgres -n -c 4 -j 2 -T "$DUR" \
    -f "$T/upd.sql" bench > "$T/pgbench2.log" 2>&1
last=$(settled)
total=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["pipelines"][0]["records_in"])')
wait_caught_up "$total"
b1=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["pipelines"][0]["last_commit_ms"])')
burst=$((last - before))
echo "burst: $(grep -o 'tps = [0-9.]*' "$T/pgbench2.log" | head -n 1) transactions of 10 updates; $burst changes mirrored in $((b1 - b0)) ms: $(python3 -c "print(round($burst * 1000 / max(1, $b1 - $b0)))") changes/s (first change to the last Iceberg commit)"
kill -TERM "$FPID"; wait "$FPID" || true; FPID=

# the paced run's lag, per transaction: source commit -> the first
# snapshot whose recorded offset covers the transaction's last record
python3 - "$FLOE" "$T/d" "$base" "$((base + paced))" <<'PY'
import json, subprocess, sys
floe, d, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def q(sql):
    out = subprocess.run([floe, "sql", "--data", d, "--format", "ndjson", sql],
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.strip()]
snaps = []
for r in q('SELECT committed_at, summary FROM "public.bench$snapshots"'):
    s = r["summary"]
    s = json.loads(s) if isinstance(s, str) else s
    off = s.get("floe.offsets.bench.public.bench")
    if off:
        snaps.append((json.loads(off)["0"], r["committed_at"]))
from datetime import datetime
def ms(t):
    return datetime.fromisoformat(str(t).replace("Z", "+00:00")).timestamp() * 1000
snaps = sorted((o, ms(t)) for o, t in snaps)
tx = {}
for r in q(f'SELECT "offset", value FROM "topic.bench.public.bench" WHERE "offset" >= {lo} AND "offset" < {hi}'):
    v = json.loads(r["value"])
    key = v["source"]["txId"]
    tx[key] = (max(tx.get(key, (0, 0))[0], r["offset"]), v["source"]["ts_ms"])
lags = []
for last, commit in tx.values():
    t = next((t for o, t in snaps if o > last), None)
    if t is not None:
        lags.append(t - commit)
lags.sort()
if not lags:
    sys.exit("no lag samples")
p = lambda f: lags[min(len(lags) - 1, int(f * len(lags)))]
print(f"paced lag, source commit -> Iceberg snapshot, {len(lags)} transactions: "
      f"p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, max {lags[-1]:.0f} ms")
PY
