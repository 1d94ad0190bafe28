#!/usr/bin/env bash
# compact.sh - bin-pack compaction: $N appends of $ROWS rows to one table
# partitioned by city ($P cities, each append one city in turn), one
# `floe table append` process (one commit) each; then `floe table
# compact`. Prints before and after: live data files (and per partition),
# delete files, `floe sql` COUNT(*) and a full-scan aggregate (its result
# and the median wall time of 5 runs), and the compaction's wall time.
# A row-level delete before compaction gives it deletes to apply.
# Env: FLOE_BIN (default build/floe), N (1000), P (4), ROWS (3).
set -euo pipefail
cd "$(dirname "$0")/.."
FLOE=$(realpath "${FLOE_BIN:-build/floe}")
N=${N:-1000} P=${P:-4} ROWS=${ROWS:-3}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat > "$T/s.json" <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":true,"type":"long"},
 {"id":2,"name":"city","required":false,"type":"string"},
 {"id":3,"name":"temperature","required":false,"type":"double"}]}
JSON
FLOE="$FLOE" T="$T" N="$N" P="$P" ROWS="$ROWS" python3 - <<'PY'
import json, os, statistics, subprocess, time
floe, T = os.environ['FLOE'], os.environ['T']
N, P, ROWS = int(os.environ['N']), int(os.environ['P']), int(os.environ['ROWS'])
env = dict(os.environ, FLOE_WAREHOUSE=T + '/wh')
def run(*a):
    return subprocess.run([floe, *a], env=env, check=True, capture_output=True, text=True).stdout
run('table', 'create', 'default.ev', '--schema', T + '/s.json', '--partition', 'city')
rid = 0
for i in range(N):
    with open(T + '/r.ndjson', 'w') as f:
        for _ in range(ROWS):
            rid += 1
            f.write(json.dumps({'id': rid, 'city': f'c{i % P}', 'temperature': rid % 97 / 2}) + '\n')
    run('table', 'append', 'default.ev', T + '/r.ndjson')
run('table', 'delete', 'default.ev', '--where', 'id = 7')
def files():
    per, dels = {}, 0
    for l in run('table', 'files', 'default.ev').splitlines():
        d = json.loads(l)
        if d['content'] == 0: per[str(d['partition'])] = per.get(str(d['partition']), 0) + 1
        else: dels += 1
    return sum(per.values()), sorted(per.values()), dels
def timed(q):
    ts, out = [], None
    for _ in range(5):
        t0 = time.perf_counter(); out = run('sql', '--format', 'csv', '--no-header', q).strip(); ts.append(time.perf_counter() - t0)
    return out, statistics.median(ts) * 1000
COUNT = 'SELECT COUNT(*) FROM ev'
AGG = 'SELECT city, COUNT(*), SUM(temperature), MAX(id) FROM ev GROUP BY city'
def measure():
    n, per, dels = files()
    c, ct = timed(COUNT)
    a, at = timed(AGG)
    return dict(files=n, per=per, dels=dels, count=c, count_ms=ct, agg=a.replace('\n', ' / '), agg_ms=at)
before = measure()
t0 = time.perf_counter()
out = run('table', 'compact', 'default.ev')
wall = time.perf_counter() - t0
after = measure()
print(out.strip().splitlines()[-1])
print(f'compaction wall time: {wall:.2f} s')
for k in ('files', 'per', 'dels', 'count', 'count_ms', 'agg', 'agg_ms'):
    b, a = before[k], after[k]
    fmt = (lambda v: f'{v:.1f}') if k.endswith('_ms') else str
    print(f'{k:9} before {fmt(b):>40}   after {fmt(a):>40}')
assert before['count'] == after['count'] and before['agg'] == after['agg']
PY
