#!/usr/bin/env bash
# e2e: the SQL catalog on a real PostgreSQL 15. Starts a throwaway server
# on a free loopback port (lib/pg_up.bash: initdb into a temp dir owned by
# postgres), creates a database, runs
# tests/unit/test_catalog_pg (built beside FLOE_BIN) with FLOE_PG_URI set,
# then has four floe processes append to one table through the catalog
# at once (every row and snapshot must arrive), and stops the server on
# any exit. Fails (does not skip) when the
# PostgreSQL binaries are missing: scripts/install-deps installs them.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
BIN=$(dirname "$FLOE")/test_catalog_pg
[ -x "$BIN" ] || { echo "catalog_pg: $BIN not built" >&2; exit 1; }
. "$(dirname "$0")/lib/pg_up.bash"
OUT=$(mktemp -d) # logs the test writes; PGD belongs to postgres
trap 'pg_up_cleanup; rm -rf "$OUT"' EXIT
pg_up_start
psql_ -c "CREATE DATABASE floe_catalog" postgres

rc=0
FLOE_PG_URI="postgresql://postgres@127.0.0.1:$PGPORT/floe_catalog" timeout 120 "$BIN" >"$OUT/test.log" 2>&1 || rc=$?
cat "$OUT/test.log"
if [ "$rc" -ne 0 ]; then
    echo "catalog_pg: test_catalog_pg failed ($rc); server log (tail):" >&2
    tail -n 30 "$PGD/server.log" >&2
    exit 1
fi
if grep -q SKIPPED "$OUT/test.log"; then
    echo "catalog_pg: tests were skipped although FLOE_PG_URI was set" >&2
    exit 1
fi

# Several workers sharing a table: 4 floe processes x 5 appends of 3 rows.
URI="postgresql://postgres@127.0.0.1:$PGPORT/floe_catalog"
WH="file://$OUT/wh"
printf '%s\n' '{"type":"struct","schema-id":0,"fields":[' \
    '{"id":1,"name":"id","required":true,"type":"long"},' \
    '{"id":2,"name":"worker","required":false,"type":"string"}]}' >"$OUT/schema.json"
table() { timeout 60 "$FLOE" table --warehouse "$WH" --catalog "$URI" "$@"; }
table create shared.events --schema "$OUT/schema.json" >/dev/null
pids=()
for w in 1 2 3 4; do
    for i in 1 2 3; do echo "{\"id\":$i,\"worker\":\"w$w\"}"; done >"$OUT/w$w.ndjson"
    ( for _ in 1 2 3 4 5; do table append shared.events "$OUT/w$w.ndjson" >/dev/null || exit 1; done ) \
        2>"$OUT/w$w.err" &
    pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
if [ "$fails" -ne 0 ]; then
    echo "catalog_pg: $fails concurrent append workers failed:" >&2
    cat "$OUT"/w*.err >&2
    exit 1
fi
rows=$(table scan shared.events | wc -l)
snaps=$(table snapshots shared.events | grep -c . || true)
echo "catalog_pg: 4 concurrent workers x 5 appends: $rows rows, $snaps snapshot lines"
if [ "$rows" -ne 60 ]; then
    echo "catalog_pg: expected 60 rows after 20 concurrent appends, got $rows" >&2
    exit 1
fi
echo "catalog_pg: OK"
