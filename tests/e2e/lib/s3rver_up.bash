# lib/s3rver_up.bash - sourced by the e2e scripts that need an S3 server:
# s3rver_up_start DIR starts s3rver (npm, in tests/interop) on a free
# loopback port with the bucket `warehouse`, objects under DIR, its log
# in DIR.log, and exports the standard AWS_* variables (credentials,
# region, endpoint) that floe reads; s3rver_up_stop stops it (call it
# from the EXIT trap). The caller checks S3RVER exists first (SKIP).
# (Not named *.sh: ctest runs every tests/e2e/*.sh as a test.)
S3RVER=${FLOE_SRC:?FLOE_SRC must point at the source tree}/tests/interop/node_modules/s3rver/bin/s3rver.js
s3rver_pid=
s3rver_up_start() { # dir
    local port
    port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    mkdir -p "$1"
    node --openssl-legacy-provider "$S3RVER" -d "$1" -a 127.0.0.1 -p "$port" --configure-bucket warehouse \
        >"$1.log" 2>&1 &
    s3rver_pid=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
    export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
}
s3rver_up_stop() {
    [ -n "$s3rver_pid" ] || return 0
    kill "$s3rver_pid" 2>/dev/null || true
    wait "$s3rver_pid" 2>/dev/null || true
    s3rver_pid=
}
