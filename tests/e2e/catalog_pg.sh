#!/usr/bin/env bash
# e2e: the SQL catalog on a real PostgreSQL 15. Starts a throwaway server
# on a free loopback port (initdb into a temp dir owned by postgres, as
# ../shared/interop/README.md shows), creates a database, runs
# tests/unit/test_catalog_pg (built beside FLOE_BIN) with FLOE_PG_URI set,
# then has four floe processes append to one table through the catalog
# at once (every row and snapshot must arrive), and stops the server on
# any exit. Fails (does not skip) when the
# PostgreSQL binaries are missing: scripts/install-deps installs them.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
BIN=$(dirname "$FLOE")/test_catalog_pg
PGBIN=${FLOE_PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$BIN" ] || { echo "catalog_pg: $BIN not built" >&2; exit 1; }
for b in initdb pg_ctl psql; do
    if [ ! -x "$PGBIN/$b" ]; then
        echo "catalog_pg: $PGBIN/$b missing: install PostgreSQL 15 (scripts/install-deps installs postgresql)" >&2
        exit 1
    fi
done

# initdb refuses to run as root: run the server tools as postgres then.
AS=()
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "catalog_pg: no postgres user (install postgresql)" >&2; exit 1; }
    AS=(runuser -u postgres --)
fi

PGD=$(mktemp -d)
OUT=$(mktemp -d) # logs the test writes; PGD belongs to postgres
[ ${#AS[@]} -gt 0 ] && chown postgres:postgres "$PGD"
chmod 700 "$PGD"
started=0
cleanup() {
    if [ "$started" = 1 ]; then
        "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGD" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PGD" "$OUT"
}
trap cleanup EXIT

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')

timeout 60 "${AS[@]}" "$PGBIN/initdb" -D "$PGD" -U postgres -A trust --no-sync >"$OUT/initdb.log" 2>&1 || {
    echo "catalog_pg: initdb failed" >&2; cat "$OUT/initdb.log" >&2; exit 1; }
started=1
timeout 60 "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGD" -l "$PGD/server.log" -w -t 30 \
    -o "-p $PORT -c listen_addresses=127.0.0.1 -k $PGD -c fsync=off" start >/dev/null || {
    echo "catalog_pg: server did not start" >&2; tail -n 30 "$PGD/server.log" >&2; exit 1; }
timeout 30 "${AS[@]}" "$PGBIN/psql" -h "$PGD" -p "$PORT" -U postgres -q -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE floe_catalog" postgres

rc=0
FLOE_PG_URI="postgresql://postgres@127.0.0.1:$PORT/floe_catalog" timeout 120 "$BIN" >"$OUT/test.log" 2>&1 || rc=$?
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
URI="postgresql://postgres@127.0.0.1:$PORT/floe_catalog"
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
