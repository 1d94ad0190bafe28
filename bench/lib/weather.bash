# bench/lib/weather.bash - what the maintenance benchmarks share: a free
# loopback port, and floe up's configuration for seed 001's weather
# pipeline (examples/weather.yaml's table and map steps) with a given
# maintenance block and commit interval.

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

weather_yaml() { # file, maintenance block (flow style), commit_interval_ms
    cat > "$1" <<YAML
topics:
  - {name: weather, partitions: 1, sync: always}
maintenance: $2
tables:
  - namespace: default
    name: weather
    schema:
      - {name: city, type: string, required: true}
      - {name: temperature, type: double}
      - {name: ts, type: timestamptz, required: true}
      - {name: processed_timestamp, type: timestamptz}
    partition: [hour(ts)]
pipelines:
  - name: weather
    topic: weather
    table: default.weather
    commit_interval_ms: $3
    map:
      - cast: temperature
      - derive: {column: ts, from: hour(ts)}
      - derive: {column: processed_timestamp, from: now}
YAML
}
