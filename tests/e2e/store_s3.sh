#!/usr/bin/env bash
# e2e: floe's S3 store against servers no one here wrote, on loopback:
# s3rver (npm, S3 semantics: objects, ranges, pages, multipart, vhost)
# and lib/sigv4_check.py (Debian's botocore recomputes every signature).
# Runs tests/unit/test_store_s3 (built beside FLOE_BIN) with their
# endpoints, then requires that every request the checker saw got
# "200 MATCH" except the one deliberately signed with a wrong secret.
# Free ports, bounded in time, both servers stopped on any exit.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
SRC=${FLOE_SRC:?FLOE_SRC must point at the source tree}
BIN=$(dirname "$FLOE")/test_store_s3
S3RVER=$SRC/tests/interop/node_modules/s3rver/bin/s3rver.js
CHECK=$SRC/tests/e2e/lib/sigv4_check.py
[ -x "$BIN" ] || { echo "store_s3: $BIN not built" >&2; exit 1; }
if [ ! -f "$S3RVER" ] || ! /usr/bin/python3 -c 'import botocore' 2>/dev/null; then
    echo "store_s3: SKIP (needs s3rver in tests/interop and python3-botocore; run scripts/install-deps)"
    [ -z "${CI:-}" ] || exit 1 # CI installs them: a skip there would hide a broken set-up
    exit 0
fi

T=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_port() { # port, name
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "store_s3: $2 did not listen on $1" >&2
    return 1
}

S3PORT=$(free_port)
SIGPORT=$(free_port)
SECRET="floe-e2e-$RANDOM$RANDOM"
mkdir -p "$T/s3"
# s3rver 3.7's continuation tokens use DES, which Node 20 keeps in the legacy provider
node --openssl-legacy-provider "$S3RVER" -d "$T/s3" -a 127.0.0.1 -p "$S3PORT" \
    --configure-bucket warehouse >"$T/s3rver.log" 2>&1 &
pids+=($!)
/usr/bin/python3 "$CHECK" "$SIGPORT" "$SECRET" >"$T/sigv4.log" 2>&1 &
pids+=($!)
wait_port "$S3PORT" s3rver
wait_port "$SIGPORT" sigv4_check

rc=0
FLOE_S3_ENDPOINT="http://127.0.0.1:$S3PORT" FLOE_SIGV4_ENDPOINT="http://127.0.0.1:$SIGPORT" \
FLOE_SIGV4_SECRET="$SECRET" timeout 300 "$BIN" >"$T/test.log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] || grep -q SKIPPED "$T/test.log"; then
    cat "$T/test.log"
    echo "--- s3rver log (tail)"; tail -n 30 "$T/s3rver.log"
    echo "FAIL: test_store_s3 exited $rc or skipped tests" >&2
    exit 1
fi

checked=$(grep -c . "$T/sigv4.log" || true)
bad=$(grep -v ' 200 MATCH$' "$T/sigv4.log" | grep -v 'deliberately-wrong-secret' || true)
wrong=$(grep -c 'deliberately-wrong-secret 403 MISMATCH' "$T/sigv4.log" || true)
if [ -n "$bad" ] || [ "$checked" -lt 20 ] || [ "$wrong" -ne 1 ]; then
    echo "FAIL: SigV4 checker: $checked requests, wrong-secret 403s: $wrong; not matching:" >&2
    echo "$bad" >&2
    exit 1
fi
echo "store_s3: test_store_s3 passed; botocore matched all $((checked - 1)) signed requests (and refused the wrong secret)"
