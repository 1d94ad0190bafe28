# lib/pg_up.bash - sourced by the e2e scripts that need a real PostgreSQL
# 15: fails (does not skip) when its binaries are missing
# (scripts/install-deps installs postgresql), picks a free loopback PGPORT
# and a data directory PGD (owned by postgres when running as root:
# initdb refuses root), and defines pg_up_start (initdb on the first call,
# then start), pg_up_stop (fast shutdown), psql_ (psql as postgres on
# PGPORT, stopping on the first error) and pg_up_cleanup (immediate stop,
# remove PGD) for the caller's EXIT trap. PG_UP_OPTS (e.g. "-c
# wal_level=logical") adds server options.
# (Not named *.sh: ctest runs every tests/e2e/*.sh as a test.)
PGBIN=${FLOE_PG_BIN:-/usr/lib/postgresql/15/bin}
pg_up_who=$(basename "$0" .sh)
for b in initdb pg_ctl psql; do
    if [ ! -x "$PGBIN/$b" ]; then
        echo "$pg_up_who: $PGBIN/$b missing: install PostgreSQL 15 (scripts/install-deps installs postgresql)" >&2
        exit 1
    fi
done
# initdb refuses to run as root: run the server tools as postgres then.
AS=()
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "$pg_up_who: no postgres user (install postgresql)" >&2; exit 1; }
    AS=(runuser -u postgres --)
fi
PGD=$(mktemp -d)
PGLOG=$(mktemp)
[ ${#AS[@]} -gt 0 ] && chown postgres:postgres "$PGD"
chmod 700 "$PGD"
pg_up_inited=0 pg_up_running=0
PGPORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
pg_up_start() {
    if [ "$pg_up_inited" = 0 ]; then
        timeout 60 "${AS[@]}" "$PGBIN/initdb" -D "$PGD" -U postgres -A trust --no-sync >"$PGLOG" 2>&1 || {
            echo "$pg_up_who: initdb failed" >&2; cat "$PGLOG" >&2; return 1; }
        pg_up_inited=1
    fi
    pg_up_running=1
    timeout 60 "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGD" -l "$PGD/server.log" -w -t 30 \
        -o "-p $PGPORT -c listen_addresses=127.0.0.1 -k $PGD -c fsync=off ${PG_UP_OPTS:-}" start >/dev/null || {
        echo "$pg_up_who: server did not start" >&2; tail -n 30 "$PGD/server.log" >&2; return 1; }
}
pg_up_stop() { "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGD" -m fast -w -t 30 stop >/dev/null; pg_up_running=0; }
psql_() { timeout 30 "${AS[@]}" "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -q -v ON_ERROR_STOP=1 "$@"; }
pg_up_cleanup() {
    if [ "$pg_up_running" = 1 ]; then
        "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGD" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PGD" "$PGLOG"
}
