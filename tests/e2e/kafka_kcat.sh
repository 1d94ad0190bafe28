#!/usr/bin/env bash
# e2e: floe speaks Kafka to kcat (librdkafka), a client no one here
# wrote: -L metadata, produce and consume with keys, headers and chosen
# partitions, consume in a group (-G) with commits, every compression codec (stored as sent, decoded by floe's
# own readers: floe sql's topic.NAME), records sent over HTTP fetched
# over Kafka, records produced over Kafka committed by the weather
# pipeline into its Iceberg table, offsets by time, and malformed frames
# (lib/kafka_frames.py) answered with error codes or a closed connection
# while the server keeps serving.
set -euo pipefail
. "$(dirname "$0")/lib/floe_up.bash"
command -v kcat >/dev/null || { echo "kafka_kcat: kcat is not installed (scripts/install-deps)" >&2; exit 1; }
cat >"$T/floe.yaml" <<'YAML'
kafka: {partitions: 4}
YAML
"$FLOE" topic --log-dir "$T/d/log" create keyed --partitions 4 >/dev/null
floe_up_start -c "$T/floe.yaml"
KPORT=$(sed -n 's/^floe up: kafka on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$T/up.log")
check "floe up names its Kafka port" '[ -n "$KPORT" ]'
K=(kcat -b "127.0.0.1:$KPORT" -X socket.timeout.ms=10000)
q() { "$FLOE" sql --data "$T/d" --format csv --no-header "$@"; }

"${K[@]}" -L >"$T/meta"
check "metadata: one broker at the advertised address" 'grep -q "broker 1 at 127.0.0.1:$KPORT" "$T/meta"'
check "metadata: topics with their partitions" 'grep -q "topic \"keyed\" with 4 partitions" "$T/meta" && grep -q "topic \"weather\" with 1 partitions" "$T/meta"'

# keyed records: the client's partitioner (murmur2, as Java's) picks the partition
for i in $(seq 1 40); do echo "cust$((i % 7)):{\"n\":$i}"; done |
    "${K[@]}" -P -t keyed -K: -X topic.partitioner=murmur2_random
"${K[@]}" -C -t keyed -e -q -f '%k %p %o\n' >"$T/keyed"
check "40 keyed records back" '[ "$(wc -l <"$T/keyed")" = 40 ]'
check "each key in murmur2(key) % 4, as the client chose" 'python3 - "$T/keyed" <<'"'"'PY'"'"'
import sys
def murmur2(d):
    m, r = 0x5bd1e995, 24
    h = (0x9747b28c ^ len(d)) & 0xffffffff
    n = len(d) // 4
    for i in range(n):
        k = int.from_bytes(d[4*i:4*i+4], "little")
        k = (k * m) & 0xffffffff; k ^= k >> r; k = (k * m) & 0xffffffff
        h = (h * m) & 0xffffffff; h ^= k
    t = d[4*n:]
    if len(t) >= 3: h ^= t[2] << 16
    if len(t) >= 2: h ^= t[1] << 8
    if len(t) >= 1: h ^= t[0]; h = (h * m) & 0xffffffff
    h ^= h >> 13; h = (h * m) & 0xffffffff; h ^= h >> 15
    return h
bad = [l for l in open(sys.argv[1]) if (murmur2(l.split()[0].encode()) & 0x7fffffff) % 4 != int(l.split()[1])]
sys.exit(1 if bad else 0)
PY'
check "offsets per partition from 0, no gaps" '[ "$(q "SELECT count(*) = max(offset) + 1 FROM topic.keyed GROUP BY partition" | sort -u)" = 1 ]'
check "floe sql sees the Kafka records" '[ "$(q "SELECT count(*) FROM topic.keyed")" = 40 ]'

# headers and an explicit partition
echo "with-headers" | "${K[@]}" -P -t keyed -p 2 -H trace=abc -H n=1
"${K[@]}" -C -t keyed -p 2 -o -1 -e -q -f '%h|%s\n' >"$T/hdr"
check "headers round-trip" '[ "$(cat "$T/hdr")" = "trace=abc,n=1|with-headers" ]'

# a consumer group (kcat -G: librdkafka's balanced consumer) reads all 41,
# commits on close, and the group's next reader starts after the commit
"${K[@]}" -G kgroup -o beginning -e -q -f '%p %o\n' keyed >"$T/group1" 2>/dev/null || true
check "kcat -G reads the topic in a group" '[ "$(wc -l <"$T/group1")" = 41 ]'
echo "after-commit" | "${K[@]}" -P -t keyed -p 1
"${K[@]}" -G kgroup -e -q -f '%s\n' keyed >"$T/group2" 2>/dev/null || true # (-o would override the commit)
check "the group resumes from its committed offsets" '[ "$(cat "$T/group2")" = after-commit ]'

# every codec: stored compressed, fetched back, decoded by floe sql
for c in gzip snappy lz4 zstd; do
    seq 1 500 | sed "s/^/$c record number /" | "${K[@]}" -P -t "z_$c" -z "$c" -X linger.ms=50
    "${K[@]}" -C -t "z_$c" -e -q -f '%s\n' >"$T/z_$c"
    check "$c: 500 records back over Kafka" '[ "$(sort -u "$T/z_$c" | wc -l)" = 500 ] && [ "$(wc -l <"$T/z_$c")" = 500 ]'
    check "$c: floe sql decodes the stored batches" '[ "$(q "SELECT count(DISTINCT value) FROM topic.z_$c")" = 500 ]'
done
check "batches were stored compressed" 'python3 - "$T/d/log" <<'"'"'PY'"'"'
import glob, struct, sys
codecs = set()
for f in glob.glob(sys.argv[1] + "/topics/z_*/*/*.log"):
    b = open(f, "rb").read(); pos = 0
    while pos + 61 <= len(b):
        n = struct.unpack(">i", b[pos+8:pos+12])[0]
        codecs.add(struct.unpack(">h", b[pos+21:pos+23])[0] & 7); pos += 12 + n
sys.exit(0 if {1, 2, 3, 4} <= codecs else 1)  # a lone first record may go uncompressed
PY'

# HTTP in, Kafka out
curl -fs -H 'Content-Type: application/vnd.kafka.json.v2+json' \
    -d '{"records":[{"key":"h1","value":{"via":"http"}}]}' "$URL/topics/fromhttp" >/dev/null
check "a record sent over HTTP is fetched over Kafka" '[ "$("${K[@]}" -C -t fromhttp -e -q -f "%k %s")" = "h1 {\"via\":\"http\"}" ]'

# Kafka in, the weather pipeline commits it to default.weather
for i in $(seq 1 25); do echo "{\"city\":\"kafka$((i % 3))\",\"temperature\":$i.5,\"ts\":\"2026-01-08T14:00:00Z\"}"; done |
    "${K[@]}" -P -t weather -X acks=all
rows() { "$FLOE" table "${W[@]}" scan default.weather 2>/dev/null | grep -c kafka || true; }
ok=0
for _ in $(seq 80); do [ "$(rows)" = 25 ] && ok=1 && break; sleep 0.25; done
check "records produced over Kafka land in the Iceberg table" '[ $ok = 1 ]'

# offsets by time (ListOffsets)
"${K[@]}" -Q -t z_gzip:0:1000 >"$T/q0" 2>&1 || true
check "offset of a time before everything is 0" 'grep -q "offset 0$" "$T/q0" || { cat "$T/q0" >&2; false; }'
check "a time after everything has no offset" '"${K[@]}" -Q -t z_gzip:0:4102444800000 | grep -q "offset -1"'

# malformed frames (each answered or its connection closed), then still serving
python3 "$(dirname "$0")/lib/kafka_frames.py" "$KPORT" >"$T/frames" 2>&1 || true
grep -v "^ok" "$T/frames" >&2 || true
check "malformed frames: all handled" '! grep -q FAIL "$T/frames" && [ "$(grep -c "^ok" "$T/frames")" -ge 22 ]'
check "still alive and serving" 'kill -0 $pid && "${K[@]}" -L >/dev/null'
check "framing errors were logged" 'grep -q "closing the connection" "$T/up.log"'

# a taken port: floe up refuses to start, naming the address
set +e
"$FLOE" up --data "$T/d2" --listen 127.0.0.1:0 --kafka-listen "127.0.0.1:$KPORT" >"$T/taken" 2>&1
st=$?
set -e
check "a taken Kafka port stops floe up with a clear error" '[ $st != 0 ] && grep -q "cannot listen on 127.0.0.1:$KPORT" "$T/taken"'

echo "kafka_kcat: $pass passed, $fail failed"
[ "$fail" = 0 ]
