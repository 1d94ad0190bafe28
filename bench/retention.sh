#!/usr/bin/env bash
# retention.sh - metadata retention and snapshot expiry: $N appends of a
# few rows to one table with `floe table append` (one process, one
# commit each), twice:
#   off: Iceberg's defaults as a table another engine made has them
#        (write.metadata.delete-after-commit.enabled=false,
#        previous-versions-max 100), no expiry: what floe did before;
#   on:  a table as floe creates it (delete-after-commit on, 20 previous
#        versions) and `floe table expire --older-than now --retain-last
#        $KEEP` after every $EVERY appends (what an expiry policy would do).
# Prints per mode: the newest metadata.json's size, the metadata folder's
# file count and bytes, the data folder's file count, and the mean wall
# time of `floe table append` (process start to exit) over the first and
# the last 100 appends.
# Env: FLOE_BIN (default build/floe), N (1000), KEEP (100), EVERY (100).
set -euo pipefail
cd "$(dirname "$0")/.."
FLOE=$(realpath "${FLOE_BIN:-build/floe}")
N=${N:-1000} KEEP=${KEEP:-100} EVERY=${EVERY:-100}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat > "$T/s.json" <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":true,"type":"long"},
 {"id":2,"name":"city","required":false,"type":"string"},
 {"id":3,"name":"temperature","required":false,"type":"double"}]}
JSON
FLOE="$FLOE" T="$T" N="$N" KEEP="$KEEP" EVERY="$EVERY" python3 - <<'PY'
import glob, json, os, subprocess, time
floe, T, N = os.environ['FLOE'], os.environ['T'], int(os.environ['N'])
keep, every = os.environ['KEEP'], int(os.environ['EVERY'])
def run(*a):
    subprocess.run([floe, 'table', *a], check=True, stdout=subprocess.DEVNULL)
for mode in ('off', 'on'):
    wh = f'{T}/{mode}'
    os.environ['FLOE_WAREHOUSE'] = wh
    props = [] if mode == 'on' else ['--property', 'write.metadata.delete-after-commit.enabled=false',
                                     '--property', 'write.metadata.previous-versions-max=100']
    run('create', 'db.t', '--schema', f'{T}/s.json', *props)
    times, expire_s = [], 0.0
    for i in range(N):
        with open(f'{T}/r.ndjson', 'w') as f:
            for k in range(3):
                f.write(json.dumps({'id': i * 3 + k, 'city': 'c%d' % (k % 4), 'temperature': k * 0.5}) + '\n')
        t0 = time.monotonic()
        run('append', 'db.t', f'{T}/r.ndjson')
        times.append(time.monotonic() - t0)
        if mode == 'on' and (i + 1) % every == 0:
            t0 = time.monotonic()
            run('expire', 'db.t', '--older-than', 'now', '--retain-last', keep)
            expire_s += time.monotonic() - t0
    md = f'{wh}/db/t/metadata'
    newest = max(glob.glob(f'{md}/*-*.metadata.json'), key=os.path.getmtime)
    files = [os.path.join(md, f) for f in os.listdir(md)]
    meta = json.load(open(newest))
    print(f"{mode}: {N} appends; snapshots {len(meta['snapshots'])}, metadata-log {len(meta['metadata-log'])}; "
          f"newest metadata.json {os.path.getsize(newest) / 1024:.1f} KB; "
          f"metadata/ {len(files)} files, {sum(os.path.getsize(f) for f in files) / 1048576:.2f} MiB; "
          f"data/ {len(os.listdir(f'{wh}/db/t/data'))} files; "
          f"append mean first 100 {sum(times[:100]) / 100 * 1000:.1f} ms, last 100 {sum(times[-100:]) / 100 * 1000:.1f} ms"
          + (f"; {N // every} expires took {expire_s:.2f} s in all" if mode == 'on' else ''))
PY
