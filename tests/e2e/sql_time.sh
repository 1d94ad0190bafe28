#!/usr/bin/env bash
# e2e: floe sql compares date and timestamp(tz) columns as values
# (src/sql/sql_time.c): Trino-style literals (TIMESTAMP '...', DATE '...',
# plain '2021-01-10 12:00:00', '2021-01-10', with or without zone or
# fraction, seed 001's hour stamp '2026-01-08-14') find the rows they name
# with =, <=, <, >, >= and BETWEEN; the answer is the same on the general
# path (FLOE_SQL_NO_SHORTCUTS=1) and through the aggregate shortcut; the
# pushed predicates prune files of a day(ts)-partitioned table (floe's
# scan counters) without losing a row; values still print in their text
# form and order by value.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export FLOE_WAREHOUSE="$T/warehouse"
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }

cat > s.json <<'JSON'
{"type":"struct","schema-id":0,"fields":[
 {"id":1,"name":"id","required":true,"type":"long"},
 {"id":2,"name":"ts","required":true,"type":"timestamptz"},
 {"id":3,"name":"lt","required":false,"type":"timestamp"},
 {"id":4,"name":"d","required":false,"type":"date"}]}
JSON
# one row per hour of 2021-01-09..2021-01-11 (72 rows), one file per day
python3 - <<'PY'
import datetime as dt
t0 = dt.datetime(2021, 1, 9)
for day in range(3):
    with open('day%d.ndjson' % day, 'w') as f:
        for h in range(24):
            t = t0 + dt.timedelta(days=day, hours=h)
            s = t.strftime('%Y-%m-%dT%H:%M:%S')
            f.write('{"id":%d,"ts":"%sZ","lt":"%s","d":"%s"}\n' % (day * 24 + h, s, s, t.strftime('%Y-%m-%d')))
PY
"$FLOE" table create default.ev --schema s.json --partition "day(ts)" >/dev/null
for day in 0 1 2; do "$FLOE" table append default.ev day$day.ndjson >/dev/null; done

# q SQL: the answer on both paths, which must agree
q() {
    local a b
    a=$("$FLOE" sql --format csv "$1" | tail -n +2)
    b=$(FLOE_SQL_NO_SHORTCUTS=1 "$FLOE" sql --format csv "$1" | tail -n +2)
    if [ "$a" != "$b" ]; then echo "paths differ on: $1: [$a] vs [$b]" >&2; echo "DIFFER"; return; fi
    echo "$a"
}
count() { q "select count(*) from ev where $1"; }

check "timestamp literal =" '[ "$(count "ts = TIMESTAMP '"'"'2021-01-10 12:00:00'"'"'")" = 1 ]'
check "timestamptz literal with zone" \
    '[ "$(count "ts = TIMESTAMP WITH TIME ZONE '"'"'2021-01-10 13:00:00+01:00'"'"'")" = 1 ]'
check "plain text =" '[ "$(count "ts = '"'"'2021-01-10 12:00:00'"'"'")" = 1 ]'
check "with fraction and Z" '[ "$(count "ts = '"'"'2021-01-10T12:00:00.000Z'"'"'")" = 1 ]'
check "Trino UTC text" '[ "$(count "ts = '"'"'2021-01-10 12:00:00.000 UTC'"'"'")" = 1 ]'
check "the stored form still matches" \
    '[ "$(count "ts = '"'"'2021-01-10 12:00:00.000000+00:00'"'"'")" = 1 ]'
check "hour stamp" '[ "$(count "ts = '"'"'2021-01-10-12'"'"'")" = 1 ]'
check "<= keeps the boundary" '[ "$(count "ts <= '"'"'2021-01-09 05:00:00'"'"'")" = 6 ]'
check "< drops it" '[ "$(count "ts < '"'"'2021-01-09 05:00'"'"'")" = 5 ]'
check "a date as midnight" '[ "$(count "ts >= '"'"'2021-01-11'"'"'")" = 24 ]'
check "> date" '[ "$(count "ts > DATE '"'"'2021-01-10'"'"'")" = 47 ]'
check "between" \
    '[ "$(count "ts between TIMESTAMP '"'"'2021-01-10 00:00:00'"'"' and '"'"'2021-01-10 23:59:59.999999'"'"'")" = 24 ]'
check "literal on the left" '[ "$(count "'"'"'2021-01-10 12:00:00'"'"' = ts")" = 1 ]'
check "timestamp without zone" '[ "$(count "lt = TIMESTAMP '"'"'2021-01-10 12:00:00'"'"'")" = 1 ]'
check "timestamp range" '[ "$(count "lt >= '"'"'2021-01-11 22:00'"'"'")" = 2 ]'
check "date column =" '[ "$(count "d = DATE '"'"'2021-01-10'"'"'")" = 24 ]'
check "date column against a timestamp" '[ "$(count "d < '"'"'2021-01-10 12:00:00'"'"'")" = 48 ]'
check "date <= midday keeps its day" '[ "$(count "d <= '"'"'2021-01-10 00:00:01'"'"'")" = 48 ]'
check "aggregate with group by" \
    '[ "$(q "select d, count(*) from ev where ts >= TIMESTAMP '"'"'2021-01-10 12:00:00'"'"' group by d" | tr "\n" " ")" = "2021-01-10,12 2021-01-11,24 " ]'
check "general path with a projection" \
    '[ "$(q "select id from ev where ts = '"'"'2021-01-10 12:00:00'"'"'")" = 36 ]'
check "values print as before" \
    '[ "$(q "select ts, lt, d from ev where id = 36")" = "2021-01-10 12:00:00.000000+00:00,2021-01-10 12:00:00.000000,2021-01-10" ]'
check "order by value" '[ "$(q "select id from ev order by ts desc limit 1")" = 71 ]'
check "a string that is not a time: no row, no error" '[ "$(count "ts = '"'"'soon'"'"'")" = 0 ]'
check "TIMESTAMP inside a string is left alone" \
    '[ "$(q "select '"'"'TIMESTAMP '"'"''"'"'x'"'"''"'"''"'"'")" = "TIMESTAMP '"'"'x'"'"'" ]'
check "metadata tables too" \
    '[ "$(q "select count(*) from \"ev\$snapshots\" where committed_at > TIMESTAMP '"'"'2000-01-01 00:00:00'"'"'")" = 3 ]'
check "history too" \
    '[ "$(q "select count(*) from \"ev\$history\" where made_current_at < '"'"'2000-01-01'"'"'")" = 0 ]'
# pruning: one day of three read, through the pushed value predicate
stats=$(FLOE_SQL_NO_SHORTCUTS=1 "$FLOE" sql --stats --format csv "select id from ev where ts = TIMESTAMP '2021-01-10 12:00:00'" 2>&1 >/dev/null)
check "pruned to one file" 'echo "$stats" | grep -q "\"files_read\":1"'

echo "sql_time: $pass passed, $fail failed"
[ "$fail" = 0 ]
