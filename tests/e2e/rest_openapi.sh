#!/usr/bin/env bash
# e2e: the Iceberg REST catalog against the OpenAPI document's examples
# and schemas (rest_openapi.py), on two floe up servers: one open, one
# with FLOE_REST_TOKEN set (bearer token, 401 without it).
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
floe_up_start
PORT2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
FLOE_REST_TOKEN=s3cret "$FLOE" up --data "$T/d2" --listen "127.0.0.1:$PORT2" --kafka-listen 127.0.0.1:0 >>"$T/up2.log" 2>&1 &
pid2=$!
trap 'kill -9 $pid2 2>/dev/null || true; floe_up_cleanup' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT2/health" >/dev/null 2>&1 && break; sleep 0.1; done
# Debian's python3 with python3-yaml and python3-jsonschema (scripts/install-deps)
/usr/bin/python3 "$(dirname "$0")/rest_openapi.py" "$URL" "http://127.0.0.1:$PORT2" s3cret
