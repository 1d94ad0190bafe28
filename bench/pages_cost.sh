#!/usr/bin/env bash
# pages_cost.sh - what scraping /metrics and polling the dashboard's and
# the console's APIs every second cost floe's ingest (issue 16: under 2%).
# floe up runs the built-in weather scenario (the weather and weather_agg
# pipelines commit every second, so /api/weather has a new snapshot to
# catch up with at every poll); wrk drives POST /topics/weather batches
# (BATCH records each, ten cities) at full speed, in two modes:
#   A  alone
#   B  while bench/pages_scrape.py, once a second, asks what a Prometheus
#      and an open dashboard and console ask: /metrics, /api/topics,
#      /status, /api/weather/latest?since=, /api/weather, and the two
#      page documents
# ROUNDS rounds, each one A and one B run, interleaved and counterbalanced
# (ABBA ABBA ...: odd rounds A first, even rounds B first), so machine
# noise and drift fall on both modes alike. Per run: records/s (wrk's
# 2xx requests x BATCH / its duration) and floe's CPU seconds (utime +
# stime of /proc/PID/stat) per million records, which other processes
# change far less than throughput. The CPU is counted from the run's
# start until floe is quiet again (the pipelines have caught up with the
# run's records: under 0.03 CPU s/s over a second, at most DRAIN_MAX s),
# so each run pays for its own records' pipeline work and the next run
# starts from an empty backlog. Prints both per run, the medians per
# mode, the paired B/A ratios with their interquartile range and a
# bootstrap 95% interval of the median, and floe's CPU per scrape cycle
# on a quiet floe (3 x IDLE_CYCLES cycles back to back, each beside a
# quiet window of as long; no weather_agg commit happens then, so the
# cycle's /api/weather is a cached copy), and floe's CPU s/s at the
# seed's rate (10 readings a second as one POST: weather_agg commits
# every second, so each cycle's /api/weather catches up with a new
# snapshot) without and with the scraper, SEED_ROUNDS pairs of SEED_DUR-s
# windows, counterbalanced as above. Env: FLOE_BIN (default build/floe),
# DUR (s per run, 8), ROUNDS (12), CONNS (16), BATCH (100), PIN=1
# (taskset: floe on CPU 1, wrk and the scraper on CPU 0), IDLE_CYCLES
# (100), DRAIN_MAX (60), SEED_ROUNDS (6), SEED_DUR (15), PHASES (which
# to run: "load idle seed").
set -euo pipefail
cd "$(dirname "$0")/.."
FLOE=${FLOE_BIN:-build/floe}
DUR=${DUR:-8}
ROUNDS=${ROUNDS:-12}
CONNS=${CONNS:-16}
BATCH=${BATCH:-100}
PIN=${PIN:-0}
IDLE_CYCLES=${IDLE_CYCLES:-100}
DRAIN_MAX=${DRAIN_MAX:-60}
SEED_ROUNDS=${SEED_ROUNDS:-6}
SEED_DUR=${SEED_DUR:-15}
PHASES=${PHASES:-load idle seed}
T=$(mktemp -d)
FPID=
SCPID=
SRPID=
cleanup() {
    [ -n "$SCPID" ] && kill "$SCPID" 2>/dev/null || true
    [ -n "$SRPID" ] && kill "$SRPID" 2>/dev/null || true
    [ -n "$FPID" ] && kill "$FPID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
FLOE_PIN=() GEN_PIN=()
if [ "$PIN" = 1 ]; then FLOE_PIN=(taskset -c 1) GEN_PIN=(taskset -c 0); fi

"${FLOE_PIN[@]}" "$FLOE" up --listen 127.0.0.1:0 --data "$T/data" --kafka-listen 127.0.0.1:0 >"$T/out" 2>"$T/err" &
FPID=$!
for _ in $(seq 100); do grep -qs "listening on" "$T/out" && break; sleep 0.1; done
PORT=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\).*|\1|p' "$T/out" | head -1)
U=http://127.0.0.1:$PORT

python3 - "$BATCH" >"$T/batch.lua" <<'PY'
import json, sys
n = int(sys.argv[1])
cities = ["San Francisco", "New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Seattle", "Denver", "Miami", "Boston"]
body = json.dumps({"records": [{"value": {"city": cities[i % 10], "temperature": "%d.5" % (i % 100), "ts": "2026-11-23-12"}} for i in range(n)]})
print('wrk.method = "POST"')
print('wrk.headers["Content-Type"] = "application/vnd.kafka.json.v2+json"')
print("wrk.body = %s" % json.dumps(body))
PY
# the pipelines and weather_agg exist before the first round
curl -fs -o /dev/null -H 'Content-Type: application/vnd.kafka.json.v2+json' --data-binary \
    "$(sed -n 's/^wrk.body = //p' "$T/batch.lua" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read()))')" "$U/topics/weather"
for _ in $(seq 50); do curl -fs "$U/api/weather" | grep -qs '"cities":\["' && break; sleep 0.2; done

TCK=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$FPID/stat"; }
quiet() { # until floe used under 0.03 CPU s in a second (DRAIN_MAX s at most); prints the seconds waited
    local x y i
    for i in $(seq "$DRAIN_MAX"); do
        x=$(cpu); sleep 1; y=$(cpu)
        [ "$(python3 -c "print(int(($y - $x) / $TCK < 0.03))")" = 1 ] && break
    done
    echo "$i"
}
# run MODE ROUND: one wrk run, then quiet; appends "MODE ROUND records/s cpu_s records ..." to $T/runs
run() {
    local mode=$1 f=$T/wrk.$1.$2 a b c
    if [ "$mode" = B ]; then
        "${GEN_PIN[@]}" /usr/bin/python3 bench/pages_scrape.py "$U" "$T/scrape.$2" &
        SCPID=$!
    fi
    a=$(cpu)
    "${GEN_PIN[@]}" wrk -t1 -c"$CONNS" -d"${DUR}s" -s "$T/batch.lua" "$U/topics/weather" >"$f" 2>&1
    b=$(cpu)
    if [ -n "$SCPID" ]; then kill "$SCPID"; wait "$SCPID" 2>/dev/null || true; SCPID=; fi
    local waited; waited=$(quiet)
    c=$(cpu)
    python3 - "$f" "$mode" "$2" "$BATCH" "$a" "$c" "$TCK" "$b" "$waited" <<'PY' | tee -a "$T/runs"
import re, sys
t = open(sys.argv[1]).read()
mode, rnd, batch, a, b, tck = sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
during, waited = (float(sys.argv[8]) - a) / tck, sys.argv[9]
m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", t)
secs = float(m.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60}[m.group(3)]
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
ok = int(m.group(1)) - (int(bad.group(1)) if bad else 0)
recs = ok * batch
cpu = (b - a) / tck
print("%s %s %.0f %.3f %d  (%.3f CPU s during the run, quiet after %s s)" % (mode, rnd, recs / secs, cpu, recs, during, waited))
PY
    [ "$mode" = B ] && cat "$T/scrape.$2" >&2 || true
}

echo "# $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $FLOE, wrk -t1 -c$CONNS -d${DUR}s, batches of $BATCH, PIN=$PIN"
echo "# columns: mode round records/s floe-cpu-s records (floe CPU s until quiet again)"
echo "# quiet before the first round after $(quiet) s"
: >"$T/runs"
: >"$T/idle"
: >"$T/seed"
if [[ " $PHASES " == *" load "* ]]; then
    for r in $(seq "$ROUNDS"); do
        if [ $((r % 2)) = 1 ]; then run A "$r"; run B "$r"; else run B "$r"; run A "$r"; fi
    done
    echo "# end $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
fi

# floe's CPU per scrape cycle on a quiet floe: IDLE_CYCLES cycles back
# to back, minus what floe spends quiet (its pipelines' ticks) in a
# window of as long just after; three times
if [[ " $PHASES " == *" idle "* ]]; then
    echo "# quiet after $(quiet) s"
    for i in 1 2 3; do
        c=$(cpu); t0=$(date +%s.%N)
        "${GEN_PIN[@]}" /usr/bin/python3 bench/pages_scrape.py "$U" "$T/scrape.idle" "$IDLE_CYCLES"
        t1=$(date +%s.%N); d=$(cpu)
        e=$(cpu); sleep "$(python3 -c "print(max(1, round($t1 - $t0)))")"; t2=$(date +%s.%N); f=$(cpu)
        echo "$c $d $t0 $t1 $e $f $t1 $t2" >>"$T/idle"
        cat "$T/scrape.idle"
    done
fi

# floe's CPU s/s at the seed's rate, without (A) and with (B) the scraper
if [[ " $PHASES " == *" seed "* ]]; then
    python3 -c '
import json
c = ["San Francisco", "New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Seattle", "Denver", "Miami", "Boston"]
print(json.dumps({"records": [{"value": {"city": x, "temperature": "%d.5" % (60 + i), "ts": "2026-11-23-12"}} for i, x in enumerate(c)]}))' >"$T/seed.json"
    seed_rate() {
        while :; do
            curl -s -o /dev/null -H 'Content-Type: application/vnd.kafka.json.v2+json' --data-binary @"$T/seed.json" "$U/topics/weather"
            sleep 1
        done
    }
    seed_rate & SRPID=$!
    sleep 3
    window() { # MODE ROUND
        if [ "$1" = B ]; then
            "${GEN_PIN[@]}" /usr/bin/python3 bench/pages_scrape.py "$U" "$T/scrape.seed" &
            SCPID=$!
        fi
        local a b t0 t1
        a=$(cpu); t0=$(date +%s.%N); sleep "$SEED_DUR"; b=$(cpu); t1=$(date +%s.%N)
        if [ -n "$SCPID" ]; then kill "$SCPID"; wait "$SCPID" 2>/dev/null || true; SCPID=; fi
        python3 -c "print('$1 $2 %.4f' % (($b - $a) / $TCK / ($t1 - $t0)))" | tee -a "$T/seed"
    }
    echo "# seed rate: mode round floe-CPU-s/s"
    for r in $(seq "$SEED_ROUNDS"); do
        if [ $((r % 2)) = 1 ]; then window A "$r"; window B "$r"; else window B "$r"; window A "$r"; fi
    done
    kill "$SRPID"; wait "$SRPID" 2>/dev/null || true; SRPID=
fi

python3 - "$T/runs" "$T/idle" "$TCK" "$IDLE_CYCLES" "$T/seed" "$DUR" <<'PY'
import random, re, statistics, sys
tck, cycles, dur = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[6])
by = {}
for l in open(sys.argv[1]):
    mode, rnd, rps, cpu, recs = l.split()[:5]
    during = float(re.search(r"\(([\d.]+) CPU s during", l).group(1))
    recs = int(recs)
    by.setdefault(int(rnd), {})[mode] = (float(rps), float(cpu) / recs * 1e6 if recs else float("nan"),
                                         during / recs * 1e6 if recs else float("nan"), during / dur)
rounds = sorted(r for r in by if "A" in by[r] and "B" in by[r])
def q(v):
    v = sorted(v)
    qs = statistics.quantiles(v, n=4) if len(v) > 1 else [v[0]] * 3
    return qs[0], statistics.median(v), qs[2]
def boot(v, n=4000):
    rng = random.Random(16)
    meds = sorted(statistics.median(rng.choices(v, k=len(v))) for _ in range(n))
    return meds[int(0.025 * n)], meds[int(0.975 * n) - 1]
for k, name, unit in ((0, "throughput", "records/s"), (1, "floe CPU", "CPU s per million records"),
                      (2, "CPU in run", "CPU s per million records, the run alone")):
    if not rounds:
        break
    for mode in "AB":
        lo, med, hi = q([by[r][mode][k] for r in rounds])
        print("%-10s %s: median %.4g %s (IQR %.4g .. %.4g)" % (name, {"A": "alone  ", "B": "scraped"}[mode], med, unit, lo, hi))
    ratio = [by[r]["B"][k] / by[r]["A"][k] for r in rounds]
    lo, med, hi = q(ratio)
    blo, bhi = boot(ratio)
    print("%-10s scraped/alone, paired by round: median %.4f (IQR %.4f .. %.4f; bootstrap 95%% of the median %.4f .. %.4f; %d rounds)" % (name, med, lo, hi, blo, bhi, len(ratio)))
w = statistics.median(by[r]["A"][3] for r in rounds) if rounds else float("nan")
if rounds:
    print("floe under the ingest load alone: median %.3f CPU s/s" % w)
pers, idles = [], []
for l in open(sys.argv[2]):
    c, d, t0, t1, e, f, t2, t3 = map(float, l.split())
    idle = (f - e) / tck / (t3 - t2)
    idles.append(idle)
    pers.append(((d - c) / tck - idle * (t1 - t0)) / cycles)
if pers:
    per = statistics.median(pers)
    print("quiet floe: one scrape cycle costs %s ms of floe CPU (median %.2f; quiet floe %s CPU s/s)" % (
        ", ".join("%.2f" % (p * 1000) for p in pers), per * 1000, ", ".join("%.4f" % i for i in idles)))
    print("once a second, that is %.3f%% of one core%s" % (100 * per, ", %.3f%% of floe's CPU under the ingest load" % (100 * per / w) if rounds else ""))
seed = {}
for l in open(sys.argv[5]):
    mode, rnd, v = l.split()
    seed.setdefault(int(rnd), {})[mode] = float(v)
sr = sorted(r for r in seed if len(seed[r]) == 2)
if sr:
    d = [seed[r]["B"] - seed[r]["A"] for r in sr]
    lo, med, hi = q(d)
    blo, bhi = boot(d)
    print("seed rate: floe %.4f CPU s/s alone, %.4f scraped (medians); the scraper adds %s CPU s/s per round, median %.4f (IQR %.4f .. %.4f; bootstrap 95%% %.4f .. %.4f)" % (
        statistics.median(seed[r]["A"] for r in sr), statistics.median(seed[r]["B"] for r in sr),
        ", ".join("%.4f" % x for x in d), med, lo, hi, blo, bhi))
    if rounds:
        print("  = %.2f%% (bootstrap %.2f%% .. %.2f%%) of the %.3f CPU s/s floe uses under the ingest load" % (
            100 * med / w, 100 * blo / w, 100 * bhi / w, w))
PY
