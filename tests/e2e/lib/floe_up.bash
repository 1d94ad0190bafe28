# lib/floe_up.bash - sourced by the e2e scripts that run `floe up`: a temp
# dir T, a free loopback PORT and URL, the W warehouse/catalog arguments
# for `floe table`, check() counting passes and failures, floe_up_start
# (starts `floe up` with any extra arguments and waits for /health; its
# Kafka server on KAFKA_LISTEN, default any free port), kport (the Kafka
# port floe up printed), sql and wait_sql (a query through `floe sql`
# as CSV; waiting up to 30 s for an expected answer), and a cleanup that
# kills a still-running floe and removes T on exit.
# (Not named *.sh: ctest runs every tests/e2e/*.sh as a test.)
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
T=$(mktemp -d)
pid=
floe_up_cleanup() {
    if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap floe_up_cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
URL=http://127.0.0.1:$PORT
W=(--warehouse "file://$T/d/warehouse" --catalog "sqlite://$T/d/catalog.db")
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
floe_up_start() {
    "$FLOE" up --data "$T/d" --listen "127.0.0.1:$PORT" --kafka-listen "${KAFKA_LISTEN:-127.0.0.1:0}" "$@" >>"$T/up.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -fs "$URL/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "floe up did not start" >&2
    cat "$T/up.log" >&2
    return 1
}
kport() { sed -n 's/^floe up: kafka on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$T/up.log" | tail -1; }
sql() { "$FLOE" sql "${W[@]}" --format csv --no-header "$1" 2>/dev/null; }
wait_status() { # url pattern: `floe status` at url shows pattern (grep -i) within 20 s
    for _ in $(seq 80); do
        "$FLOE" status --url "$1" 2>/dev/null | grep -ci "$2" >/dev/null && return 0
        sleep 0.25
    done
    "$FLOE" status --url "$1" >&2; return 1
}
wait_sql() { # query expected
    for _ in $(seq 120); do [ "$(sql "$1")" = "$2" ] && return 0; sleep 0.25; done
    echo "  last: $(sql "$1") (want $2)" >&2; return 1
}
