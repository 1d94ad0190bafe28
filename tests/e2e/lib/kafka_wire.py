"""kafka_wire.py - Kafka frames written byte by byte (no client library)
for the e2e tests that talk to floe's Kafka server directly
(kafka_frames.py, kafka_retry.py): request headers, record batches v2
with CRC-32C and producer fields, Produce v3 requests and their replies,
and check() counting failures. Set PORT before conn()."""
import socket
import struct

PORT = None
fails = 0


def check(name, cond, why=""):
    global fails
    if cond:
        print("ok", name)
    else:
        fails += 1
        print("FAIL %s: %s" % (name, why))


def conn():
    return socket.create_connection(("127.0.0.1", PORT), timeout=5)


def recv_n(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            return None
        b += c
    return b


def reply(s):
    h = recv_n(s, 4)
    if h is None:
        return None
    return recv_n(s, struct.unpack(">i", h)[0])


def closed(s):
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return True


def frame(body):
    return struct.pack(">i", len(body)) + body


def header(key, ver, corr, client=b"t"):
    return struct.pack(">hhih", key, ver, corr, len(client)) + client


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def zigzag(v):
    v = (v << 1) ^ (v >> 63)
    out = b""
    while v >= 0x80:
        out += bytes([(v & 0x7F) | 0x80])
        v >>= 7
    return out + bytes([v])


def batch(values, bad_crc=False, pid=-1, epoch=-1, seq=-1):
    recs = b""
    for i, v in enumerate(values):
        body = b"\x00" + zigzag(0) + zigzag(i) + zigzag(-1) + zigzag(len(v)) + v + zigzag(0)
        recs += zigzag(len(body)) + body
    after_crc = struct.pack(">hiqqqhii", 0, len(values) - 1, 1000, 1000, pid, epoch, seq,
                            len(values)) + recs
    crc = crc32c(after_crc) ^ (1 if bad_crc else 0)
    rest = struct.pack(">ibI", 0, 2, crc) + after_crc
    return struct.pack(">qi", 0, len(rest)) + rest


def produce(topic, records, ver=3, acks=-1):
    t = topic.encode()
    body = struct.pack(">hhi", -1, acks, 5000)  # null transactional id, acks, timeout
    body += struct.pack(">i", 1) + struct.pack(">h", len(t)) + t
    body += struct.pack(">i", 1) + struct.pack(">i", 0) + struct.pack(">i", len(records)) + records
    return frame(header(0, ver, 7) + body)


def produce_code(r):
    # v3 reply: corr, [topic: name, [partition: index, error, base offset, ...]]
    n = struct.unpack(">h", r[8:10])[0]
    pos = 10 + n + 4 + 4
    return struct.unpack(">h", r[pos:pos + 2])[0]


def produce_offset(r):
    n = struct.unpack(">h", r[8:10])[0]
    pos = 10 + n + 4 + 4 + 2
    return struct.unpack(">q", r[pos:pos + 8])[0]


