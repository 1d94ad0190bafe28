#!/usr/bin/env python3
# ingest_read.py - an independent reader of floe's log for the ingest
# end-to-end tests: walks LOGDIR/topics/TOPIC/<partition>/*.log, parses
# Kafka record batches v2 (checking magic and CRC-32C) and prints one
# NDJSON line per record: {"partition","offset","key","value"} (key and
# value as text, null when null). Also `murmur2 KEY N`: the partition
# Kafka's default partitioner picks for KEY among N.
#   ingest_read.py LOGDIR TOPIC        every record
#   ingest_read.py murmur2 KEY N
import json, os, struct, sys

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

def varint(buf, i):
    shift = 0
    v = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return (v >> 1) ^ -(v & 1), i

def records(path):
    data = open(path, "rb").read()
    i = 0
    while i + 12 <= len(data):
        base, blen = struct.unpack_from(">qi", data, i)
        if blen <= 0 or i + 12 + blen > len(data):
            break  # preallocated or torn tail: the log truncates it at recovery
        batch = data[i:i + 12 + blen]
        magic = batch[16]
        crc = struct.unpack_from(">I", batch, 17)[0]
        if magic != 2 or crc32c(batch[21:]) != crc:
            raise SystemExit("%s: bad batch at byte %d" % (path, i))
        attrs = struct.unpack_from(">h", batch, 21)[0]
        if attrs & 7:
            raise SystemExit("%s: compressed batch (not expected from ingest)" % path)
        n = struct.unpack_from(">i", batch, 57)[0]
        j = 61
        for _ in range(n):
            ln, j = varint(batch, j)
            end = j + ln
            j += 1  # attributes
            _, j = varint(batch, j)  # timestamp delta
            od, j = varint(batch, j)
            kl, j = varint(batch, j)
            key = None if kl < 0 else batch[j:j + kl].decode("utf-8", "replace")
            j += max(kl, 0)
            vl, j = varint(batch, j)
            val = None if vl < 0 else batch[j:j + vl].decode("utf-8", "replace")
            j = end
            yield base + od, key, val
        i += 12 + blen

def murmur2(data):
    m = 0x5BD1E995
    h = (0x9747B28C ^ len(data)) & 0xFFFFFFFF
    n4 = len(data) // 4
    for k4 in range(n4):
        k = struct.unpack_from("<I", data, k4 * 4)[0]
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    rest = data[n4 * 4:]
    if len(rest) == 3:
        h ^= rest[2] << 16
    if len(rest) >= 2:
        h ^= rest[1] << 8
    if len(rest) >= 1:
        h ^= rest[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h

def main():
    if sys.argv[1] == "murmur2":
        print((murmur2(sys.argv[2].encode()) & 0x7FFFFFFF) % int(sys.argv[3]))
        return
    tdir = os.path.join(sys.argv[1], "topics", sys.argv[2])
    if not os.path.isdir(tdir):
        return
    out = sys.stdout
    for p in sorted(int(d) for d in os.listdir(tdir) if d.isdigit()):
        pdir = os.path.join(tdir, str(p))
        for seg in sorted(f for f in os.listdir(pdir) if f.endswith(".log")):
            for off, key, val in records(os.path.join(pdir, seg)):
                out.write(json.dumps({"partition": p, "offset": off, "key": key, "value": val}) + "\n")

main()
