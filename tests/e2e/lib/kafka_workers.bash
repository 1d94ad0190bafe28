# lib/kafka_workers.bash - sourced (after floe_up.bash) by the e2e
# scripts that run several floe workers on an external Kafka cluster:
# kafka_cluster_start TOPIC PARTITIONS starts the cluster (floe's own
# Kafka port in a `floe up` with pipelines: [] and just that topic) and
# sets BOOT; start_worker I [CONFIG] starts worker I (`floe up -c CONFIG`,
# default $T/worker.yaml, data $T/wI, log $T/wI.log) on a free port and
# waits for /health, recording its pid and port in wpid[I] and wport[I];
# workers_kill kills every worker still recorded (for the EXIT trap);
# workers_catalog DB starts PostgreSQL (lib/pg_up.bash, sourced first),
# creates database DB and sets CAT to its URI.
# (Not named *.sh: ctest runs every tests/e2e/*.sh as a test.)
declare -A wpid wport
kafka_cluster_start() { # topic partitions
    printf 'auto_create_topics: false\ntopics:\n  - {name: %s, partitions: %d}\npipelines: []\n' \
        "$1" "$2" >"$T/broker.yaml"
    floe_up_start -c "$T/broker.yaml"
    local kp
    kp=$(kport)
    [ -n "$kp" ] || { echo "no kafka port" >&2; cat "$T/up.log" >&2; return 1; }
    BOOT=127.0.0.1:$kp
}
start_worker() { # i [config]
    local i=$1 conf=${2:-$T/worker.yaml}
    wport[$i]=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    "$FLOE" up -c "$conf" --data "$T/w$i" --listen "127.0.0.1:${wport[$i]}" \
        --kafka-listen 127.0.0.1:0 >>"$T/w$i.log" 2>&1 &
    wpid[$i]=$!
    for _ in $(seq 150); do curl -fs "http://127.0.0.1:${wport[$i]}/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "worker $i did not start" >&2; tail -n 20 "$T/w$i.log" >&2; return 1
}
workers_kill() {
    for i in "${!wpid[@]}"; do kill -9 "${wpid[$i]}" 2>/dev/null || true; done
}
workers_catalog() { # db
    pg_up_start
    psql_ -c "CREATE DATABASE $1" postgres >/dev/null
    CAT="postgresql://postgres@127.0.0.1:$PGPORT/$1"
}
