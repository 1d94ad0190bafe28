#!/usr/bin/env bash
# e2e: `SELECT count(*) FROM t` answered from manifest record counts
# without SQLite stepping rows (src/sql/sql_count.c): the answer equals
# the general path's (rows stepped from the manifests' count, and rows
# scanned from the data files) on tables with and without deletes, at
# every snapshot; statements of any other shape, views and tables with
# delete files take the general path; output is the same in every format.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export FLOE_WAREHOUSE="$T/warehouse"
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
q() { "$FLOE" sql --format csv --no-header "$@"; }
jget() { python3 -c "import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(d['$1'])"; }

cat > s.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":true,"type":"long"},
 {"id":2,"name":"city","required":false,"type":"string"},
 {"id":3,"name":"ts","required":true,"type":"timestamp"}]}
JSON
python3 - <<'PY'
import json
for part, start, n in (('a', 0, 700), ('b', 700, 500), ('c', 1200, 333)):
    with open(part + '.ndjson', 'w') as f:
        for k in range(start, start + n):
            f.write(json.dumps({'id': k, 'city': None if k % 11 == 0 else ['Oslo', 'Rome', 'Kyiv'][k % 3],
                                'ts': '2026-01-%02dT%02d:00:00' % (1 + k % 5, k % 24)}) + '\n')
PY
"$FLOE" table create default.plain --schema s.json --partition "day(ts)" >/dev/null
"$FLOE" table create default.dels --schema s.json --partition "day(ts)" >/dev/null
for p in a b c; do
    "$FLOE" table append default.plain $p.ndjson >/dev/null
    "$FLOE" table append default.dels $p.ndjson >/dev/null
done
"$FLOE" table delete default.dels --where "city = 'Rome'" >/dev/null

# three ways to the same number: the shortcut, count(*) stepped over the
# manifests' count (another shape), a scan that reads a column of every row
shortcut() { q --stats "SELECT count(*) FROM $1" 2> "$1.short.stats"; }
stepped() { q --stats "SELECT count(*) + 0 FROM $1" 2> "$1.step.stats"; }
scanned() { q "SELECT sum(city IS NULL) + sum(city IS NOT NULL) FROM $1"; }

check "plain: shortcut = stepped = scanned" '[ "$(shortcut plain)" = 1533 ] && [ "$(stepped plain)" = 1533 ] && [ "$(scanned plain)" = 1533 ]'
check "plain: shortcut steps no row, reads no file" '[ "$(jget count_only < plain.short.stats)" = 1 ] && [ "$(jget rows < plain.short.stats)" = 0 ] && [ "$(jget files_read < plain.short.stats)" = 0 ]'
check "plain: the other shape steps every row" '[ "$(jget count_only < plain.step.stats)" = 1 ] && [ "$(jget rows < plain.step.stats)" = 1533 ]'
ROME=$(q "SELECT count(*) FROM plain WHERE city = 'Rome'")
check "dels: shortcut = scanned = plain minus deleted" '[ "$(shortcut dels)" = $((1533 - ROME)) ] && [ "$(scanned dels)" = $((1533 - ROME)) ] && [ "$(stepped dels)" = $((1533 - ROME)) ]'
check "dels: delete files take the general path" '[ "$(jget count_only < dels.short.stats)" = 0 ] && [ "$(jget files_read < dels.short.stats)" -ge 1 ]'

# every snapshot of both tables: the current-snapshot shortcut against time travel's scan
for t in plain dels; do
    snaps=$("$FLOE" table snapshots default.$t | python3 -c "import json,sys; print(' '.join(str(json.loads(l)['snapshot_id']) for l in sys.stdin))")
    check "$t: snapshots listed" '[ $(echo $snaps | wc -w) -ge 3 ]'
    for s in $snaps; do
        check "$t@$s: time travel stepped = scanned" '[ "$(q "SELECT count(*) FROM $t($s)")" = "$(q "SELECT sum(city IS NULL) + sum(city IS NOT NULL) FROM $t($s)")" ]'
    done
done

# spellings of the shape SQLite accepts
for s in 'select COUNT( * ) from plain;' 'SELECT count(*) FROM "default".plain' 'SELECT count(*) FROM [plain] -- c' \
         'SELECT /* x */ count(*)FROM`plain`' 'SELECT count(*) FROM "default.plain"'; do
    q --stats "$s" > sp.out 2> sp.stats
    check "shape: $s" '[ "$(cat sp.out)" = 1533 ] && [ "$(jget count_only < sp.stats)" = 1 ] && [ "$(jget rows < sp.stats)" = 0 ]'
done
# anything else: the general path, with SQLite's answer
check "where on partition column" '[ "$(q "SELECT count(*) FROM plain WHERE ts >= '\''2026-01-03'\''")" = "$(q "SELECT sum(ts >= '\''2026-01-03'\'') FROM plain")" ]'
check "limit 0 gives no row" '[ -z "$(q "SELECT count(*) FROM plain LIMIT 0")" ]'
check "group by" '[ "$(q "SELECT count(*) FROM plain GROUP BY city IS NULL ORDER BY 1" | tr "\n" " ")" = "140 1393 " ]'
check "view with a limit" '[ "$(q "CREATE TEMP VIEW v AS SELECT * FROM plain LIMIT 5; SELECT count(*) FROM v")" = 5 ]'
check "temp view shadows the table" '[ "$(q "CREATE TEMP VIEW plain AS SELECT * FROM main.plain WHERE id < 10; SELECT count(*) FROM plain")" = 10 ]'
check "temp table shadows the table" '[ "$(q "CREATE TEMP TABLE plain(x); INSERT INTO plain VALUES (1),(2); SELECT count(*) FROM plain")" = 2 ]'
check "metadata table" '[ "$(q "SELECT count(*) FROM \"plain\$snapshots\"")" = 3 ]'
check "no such table is an error" '! q "SELECT count(*) FROM nope" 2>/dev/null'
# the same output in every format as a statement SQLite runs itself
for f in csv json ndjson table; do
    check "format $f" '[ "$("$FLOE" sql --format $f "SELECT count(*) FROM plain")" = "$("$FLOE" sql --format $f "SELECT count(*) FROM plain WHERE 1")" ]'
done
check "column name as written" '[ "$("$FLOE" sql --format csv "SELECT COUNT(*) FROM plain" | head -1)" = "COUNT(*)" ]'

echo "sql_count.sh: $pass passed, $fail failed"
[ "$fail" = 0 ]
