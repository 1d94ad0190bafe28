#!/usr/bin/env bash
# e2e: single-table aggregates answered in C from the column batches
# (src/sql/sql_agg.c): for every query the output is byte-identical to
# the general path's (FLOE_SQL_NO_SHORTCUTS=1: SQLite steps, sorts and
# aggregates every row) in csv and json, including NULL groups, empty
# strings, integer and double sums, min/max of text, an empty table and
# a statement without GROUP BY; the shortcut is shown taken (no row handed
# to SQLite, files read) for the recognised shapes and not taken for
# others (ORDER BY DESC, WHERE, HAVING, LIMIT, DISTINCT, expressions,
# time travel, delete files, decimal columns, views), where the answer is
# still SQLite's. An integer sum that overflows is SQLite's error.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export FLOE_WAREHOUSE="$T/warehouse"
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
jget() { python3 -c "import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); print(d['$1'])"; }

cat > s.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":true,"type":"long"},
 {"id":2,"name":"city","required":false,"type":"string"},
 {"id":3,"name":"temp","required":false,"type":"double"},
 {"id":4,"name":"n","required":false,"type":"int"},
 {"id":5,"name":"flag","required":false,"type":"boolean"},
 {"id":6,"name":"price","required":false,"type":"decimal(9,2)"},
 {"id":7,"name":"ts","required":true,"type":"timestamp"}]}
JSON
python3 - <<'PY'
import json, random
random.seed(7)
cities = ['Oslo', 'Rome', 'Ro', 'rome', '', 'Kyiv', 'Zürich', None]
for part, start, n in (('a', 0, 700), ('b', 700, 500), ('c', 1200, 333)):
    with open(part + '.ndjson', 'w') as f:
        for k in range(start, start + n):
            f.write(json.dumps({'id': k, 'city': cities[k % len(cities)] if k % 13 else None,
                                'temp': None if k % 17 == 0 else random.uniform(-30, 40) * 10 ** random.randint(-3, 6),
                                'n': None if k % 19 == 0 else random.randint(-5, 5) * 10 ** random.randint(0, 8),
                                'flag': None if k % 23 == 0 else k % 2 == 0,
                                'price': '%d.%02d' % (k % 50, k % 100),
                                'ts': '2026-01-%02dT%02d:00:00' % (1 + k % 5, k % 24)}) + '\n')
with open('big.ndjson', 'w') as f:
    for k in range(4):
        f.write(json.dumps({'id': 9223372036854775000 // 3, 'city': 'x', 'ts': '2026-01-01T00:00:00'}) + '\n')
PY
for t in plain dels empty big; do "$FLOE" table create default.$t --schema s.json --partition "day(ts)" >/dev/null; done
for p in a b c; do
    "$FLOE" table append default.plain $p.ndjson >/dev/null
    "$FLOE" table append default.dels $p.ndjson >/dev/null
done
"$FLOE" table append default.big big.ndjson >/dev/null
"$FLOE" table delete default.dels --where "city = 'Rome'" >/dev/null

# runs $2 both ways in csv and json; $1 = fast (shortcut must be taken) or slow
n=0
both() {
    local want=$1 sql=$2 f
    n=$((n + 1))
    for f in csv json; do
        "$FLOE" sql --format $f --stats "$sql" > $n.fast.$f 2> $n.stats || true
        FLOE_SQL_NO_SHORTCUTS=1 "$FLOE" sql --format $f "$sql" > $n.slow.$f 2>/dev/null || true
        check "$want $f identical: $sql" 'cmp -s $n.fast.$f $n.slow.$f'
    done
    check "$want csv not empty: $sql" '[ -s $n.slow.csv ]'
    if [ "$want" = fast ]; then
        check "shortcut taken: $sql" '[ "$(jget rows < $n.stats)" = 0 ] && [ "$(jget scans < $n.stats)" = 1 ]'
    else
        check "general path: $sql" '[ "$(jget rows < $n.stats)" != 0 ]'
    fi
}

both fast "SELECT city, avg(temp), count(*) FROM plain GROUP BY city"
both fast "SELECT city, avg(temp), count(*) FROM plain GROUP BY city ORDER BY city"
both fast "SELECT city, n, count(*), sum(n), sum(temp), min(temp), max(temp), min(city), max(city), count(temp), avg(n), count(n) FROM plain GROUP BY city, n"
both fast "SELECT n, city, sum(temp), max(id) FROM plain GROUP BY n, city ORDER BY city ASC, n"
both fast "SELECT count(*), sum(n), avg(temp), min(city), max(city), sum(flag), min(n) FROM plain"
both fast "SELECT flag, sum(flag), avg(flag), count(n), min(flag) FROM plain GROUP BY flag"
both fast "SELECT id, sum(temp), min(city) FROM plain GROUP BY id"
both fast "SELECT sum(temp), count(*) FROM plain GROUP BY n ORDER BY n"
both fast "select \"City\", AVG(\"temp\"), Count( * ) from [plain] group by CITY;"
both fast "SELECT city, count(*) FROM \"default\".plain GROUP BY city -- c"
both fast "SELECT /* x */ city,max(temp)FROM\"default.plain\"GROUP BY city"
both fast "SELECT city FROM plain GROUP BY city"
both fast "SELECT count(*), avg(id), max(id), min(city) FROM big"
both fast "SELECT city, sum(id) FROM plain GROUP BY city"
# WHERE: conjunctions of column-op-literal tested exactly, pruning as the cursor's
both fast "SELECT city, count(*), sum(temp) FROM plain WHERE n > 0 GROUP BY city"
both fast "SELECT count(*), avg(temp) FROM plain WHERE ts >= '2026-01-02' AND ts < '2026-01-03'"
both fast "SELECT city, count(*) FROM plain WHERE ts > '2026-01-02 05' AND ts <= '2026-01-04 10:00:00' GROUP BY city"
both fast "SELECT n, count(*) FROM plain WHERE city = 'Rome' AND n IS NOT NULL GROUP BY n"
both fast "SELECT city, count(*) FROM plain WHERE city >= 'Ro' AND city < 'Zz' GROUP BY city ORDER BY city"
both fast "SELECT city, count(*) FROM plain WHERE temp > 100 AND temp <= -3 GROUP BY city"
both fast "SELECT city, count(*), max(temp) FROM plain WHERE temp >= -2 GROUP BY city"
both fast "SELECT flag, count(*) FROM plain WHERE city IS NULL GROUP BY flag"
both fast "SELECT count(*), min(n) FROM plain WHERE temp IS NULL"
both fast "SELECT city, count(*) FROM plain WHERE id == 5 GROUP BY city"
both fast "SELECT city, count(*) FROM plain WHERE id >= -1 AND n <= -100 AND flag = 1 GROUP BY city"
both fast "SELECT city, sum(n) FROM plain WHERE city = 'it''s' GROUP BY city"
both fast "SELECT count(*) FROM plain WHERE city = ''"
# empty table: no group at all, or the one row of an aggregate without GROUP BY
both fast "SELECT count(*), sum(n), avg(temp), min(city) FROM empty"
check "empty: grouped is header only" '[ "$("$FLOE" sql --format csv "SELECT city, count(*) FROM empty GROUP BY city")" = "city,count(*)" ]'
check "empty: grouped identical" '[ "$("$FLOE" sql --format json "SELECT city, count(*) FROM empty GROUP BY city")" = "$(FLOE_SQL_NO_SHORTCUTS=1 "$FLOE" sql --format json "SELECT city, count(*) FROM empty GROUP BY city")" ]'

# not the shape, or not exactly computable: SQLite answers
both slow "SELECT city, count(*) FROM plain GROUP BY city ORDER BY city DESC"
both slow "SELECT city, count(*) FROM plain WHERE n > 0.5 GROUP BY city"
both slow "SELECT city, count(*) FROM plain WHERE n != 0 GROUP BY city"
both slow "SELECT city, count(*) FROM plain WHERE n > 0 OR n < -5 GROUP BY city"
both slow "SELECT city, count(*) FROM plain WHERE city = 5 GROUP BY city"
both slow "SELECT city, count(*) FROM plain WHERE ts >= '2026' GROUP BY city"
both slow "SELECT city, count(*) FROM plain WHERE price > 5 GROUP BY city"
both slow "SELECT city, count(*) FROM plain WHERE 5 < n GROUP BY city"
both slow "SELECT city, count(*) FROM plain WHERE lower(city) = 'rome' GROUP BY city"
both slow "SELECT city, count(*) FROM plain GROUP BY city HAVING count(*) > 100"
both slow "SELECT city, count(*) FROM plain GROUP BY city LIMIT 3"
both slow "SELECT city, count(DISTINCT n) FROM plain GROUP BY city"
both slow "SELECT city, sum(n + 1) FROM plain GROUP BY city"
both slow "SELECT city, count(*) AS c FROM plain GROUP BY city"
both slow "SELECT city, count(*) FROM plain GROUP BY city ORDER BY count(*)"
both slow "SELECT city, count(*) FROM dels GROUP BY city"
both slow "SELECT city, sum(price) FROM plain GROUP BY city"
both slow "SELECT price, count(*) FROM plain GROUP BY price"
both slow "SELECT city, sum(city) FROM plain GROUP BY city"
both slow "SELECT city, avg(temp) FROM plain(NULL, '2030-01-01') GROUP BY city"
both slow "SELECT p.city, count(*) FROM plain p GROUP BY p.city"
both slow "SELECT city, count(*) FROM plain, (SELECT 1) GROUP BY city"
check "view shadowing the table is SQLite's" '[ "$("$FLOE" sql --format csv "CREATE TEMP VIEW plain AS SELECT * FROM main.plain WHERE id < 10; SELECT city, count(*) FROM plain GROUP BY city")" = "$(FLOE_SQL_NO_SHORTCUTS=1 "$FLOE" sql --format csv "CREATE TEMP VIEW plain AS SELECT * FROM main.plain WHERE id < 10; SELECT city, count(*) FROM plain GROUP BY city")" ]'
# an integer sum that overflows is SQLite's error either way
check "overflow is an error" '! "$FLOE" sql "SELECT sum(id) FROM big" 2> of.err && grep -q "integer overflow" of.err'
check "overflow is an error (grouped)" '! "$FLOE" sql "SELECT city, sum(id) FROM big GROUP BY city" 2> of2.err && grep -q "integer overflow" of2.err'

echo "sql_agg.sh: $pass passed, $fail failed"
[ "$fail" = 0 ]
