#!/usr/bin/env python3
"""kafka_frames.py PORT - malformed and edge-case Kafka frames against
floe's Kafka server, written byte by byte (kafka_wire.py, no client
library): each check prints "ok NAME" or "FAIL NAME: why"; the exit
status is the number of failures. The server must answer with the
protocol's error code or close the one connection, and keep serving the
next."""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafka_wire  # noqa: E402
from kafka_wire import (batch, check, closed, conn, frame, header, produce,  # noqa: E402
                        produce_code, produce_offset, reply)

kafka_wire.PORT = int(sys.argv[1])

# 1. unknown API key: UNSUPPORTED_VERSION, connection stays
s = conn()
s.sendall(frame(header(999, 0, 1)))
r = reply(s)
check("unknown api key answered", r is not None and struct.unpack(">ih", r[:6]) == (1, 35), repr(r))
# 2. ApiVersions at a version it does not know: v0 fallback with error 35 and the list
s.sendall(frame(header(18, 99, 2)))
r = reply(s)
ok = r is not None and struct.unpack(">ih", r[:6]) == (2, 35) and struct.unpack(">i", r[6:10])[0] > 3
check("ApiVersions v99 gets the v0 fallback", ok, repr(r))
# 3. Metadata v0 after that on the same connection
s.sendall(frame(header(3, 0, 3) + struct.pack(">i", 0)))
r = reply(s)
check("the connection still serves", r is not None and struct.unpack(">i", r[:4])[0] == 3)
s.close()

# 4. a frame over max_request_bytes: closed, no crash
s = conn()
s.sendall(struct.pack(">i", 2000000000))
check("oversized frame closes the connection", closed(s))
s.close()
# 5. a negative length
s = conn()
s.sendall(struct.pack(">i", -5))
check("negative frame length closes the connection", closed(s))
s.close()
# 6. a frame too short for a header
s = conn()
s.sendall(frame(b"\x00\x03"))
check("frame shorter than a header closes the connection", closed(s))
s.close()
# 7. a truncated body (the array count says more than there is)
s = conn()
s.sendall(frame(header(3, 1, 4) + struct.pack(">i", 1000)))
check("truncated Metadata body closes the connection", closed(s))
s.close()
# 8. a bad varint in a flexible request (Metadata v9: compact array count)
s = conn()
s.sendall(frame(header(3, 9, 5) + b"\x00" + b"\xff" * 6))
check("bad varint closes the connection", closed(s))
s.close()
# 9. a truncated frame (size says 100, 10 bytes come, then the socket closes its write side)
s = conn()
s.sendall(struct.pack(">i", 100) + b"\x00" * 10)
s.shutdown(socket.SHUT_WR)
check("truncated frame: connection ends", closed(s))
s.close()

# 10. a produce with a bad CRC: CORRUPT_MESSAGE, nothing appended
s = conn()
s.sendall(produce("frames", batch([b"good"])))
r = reply(s)
check("good produce", r is not None and produce_code(r) == 0, repr(r))
s.sendall(produce("frames", batch([b"bad"], bad_crc=True)))
r = reply(s)
check("bad CRC gets CORRUPT_MESSAGE", r is not None and produce_code(r) == 2, repr(r))
# 11. a batch cut short inside the records field
b = batch([b"cut"])
s.sendall(produce("frames", b[:-3]))
r = reply(s)
check("cut batch gets CORRUPT_MESSAGE", r is not None and produce_code(r) == 2, repr(r))
# 12. acks 5: INVALID_REQUIRED_ACKS
s.sendall(produce("frames", batch([b"x"]), acks=5))
r = reply(s)
check("acks 5 gets INVALID_REQUIRED_ACKS", r is not None and produce_code(r) == 21, repr(r))
# 13. a record over the topic's max append bytes: MESSAGE_TOO_LARGE
s.sendall(produce("frames", batch([b"y" * (9 << 20)])))
r = reply(s)
check("a 9 MiB record gets MESSAGE_TOO_LARGE", r is not None and produce_code(r) == 10, repr(r))
# 14. a good one after all that, and acks 0 gets no reply
s.sendall(produce("frames", batch([b"after"]), acks=0))
s.sendall(produce("frames", batch([b"last"])))
r = reply(s)
check("acks 0 unanswered, next answered", r is not None and struct.unpack(">i", r[:4])[0] == 7 and produce_code(r) == 0, repr(r))
s.close()

# 15. idempotence: InitProducerId, a retried batch keeps its offset, a gap is refused
s = conn()
s.sendall(frame(header(22, 0, 8) + struct.pack(">hi", -1, 60000)))
r = reply(s)
code, pid, epoch = struct.unpack(">hqh", r[8:20])
check("InitProducerId gives an id", code == 0 and pid > 0 and epoch == 0, repr(r))
s.sendall(produce("idem", batch([b"a", b"b"], pid=pid, epoch=0, seq=0)))
first = reply(s)
s.sendall(produce("idem", batch([b"a", b"b"], pid=pid, epoch=0, seq=0)))
again = reply(s)
check("a retried batch gets its first offset", produce_code(again) == 0 and
      produce_offset(again) == produce_offset(first), repr((first, again)))
s.sendall(produce("idem", batch([b"c"], pid=pid, epoch=0, seq=2)))
nxt = reply(s)
check("the next sequence is appended after it", produce_code(nxt) == 0 and
      produce_offset(nxt) == produce_offset(first) + 2, repr(nxt))
s.sendall(produce("idem", batch([b"e"], pid=pid, epoch=0, seq=5)))
r = reply(s)
check("a gap gets OUT_OF_ORDER_SEQUENCE_NUMBER", produce_code(r) == 45, repr(r))
s.sendall(frame(header(22, 0, 9) + b"\x00\x03txn" + struct.pack(">i", 60000)))
r = reply(s)
check("a transactional id is refused", struct.unpack(">h", r[8:10])[0] == 53, repr(r))
s.close()

# 16. JoinGroup v0: a member alone forms the group; one with no common protocol is refused


def join_v0(s, corr, proto):
    body = struct.pack(">h", 2) + b"gp" + struct.pack(">i", 10000) + struct.pack(">h", 0)
    body += struct.pack(">h", 8) + b"consumer" + struct.pack(">i", 1)
    body += struct.pack(">h", len(proto)) + proto + struct.pack(">i", 0)
    s.sendall(frame(header(11, 0, corr) + body))
    r = reply(s)
    return struct.unpack(">h", r[4:6])[0] if r else None


s = conn()
check("JoinGroup alone", join_v0(s, 10, b"range") == 0)
check("JoinGroup with no common protocol gets INCONSISTENT_GROUP_PROTOCOL", join_v0(s, 11, b"other") == 23)
s.close()
sys.exit(kafka_wire.fails)
