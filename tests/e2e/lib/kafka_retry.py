#!/usr/bin/env python3
"""kafka_retry.py PORT STATE send|retry - an idempotent producer's retry
across a restart of floe, byte by byte (kafka_wire.py). "send" gets a
producer id (InitProducerId), produces a batch of three records with
sequence 0 and writes the id and the offset floe gave to STATE. "retry",
run after floe restarted, sends the very same batch again: it must be
acknowledged with the same offset (floe rebuilt the producer's state
from the log's batch headers) and the next sequence must follow it, not
a second copy. Exit status: the number of failed checks."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafka_wire  # noqa: E402
from kafka_wire import batch, check, conn, frame, header, produce, produce_code, produce_offset, reply  # noqa: E402,E501

kafka_wire.PORT = int(sys.argv[1])
state, step = sys.argv[2], sys.argv[3]
s = conn()
if step == "send":
    s.sendall(frame(header(22, 0, 1) + struct.pack(">hi", -1, 60000)))
    r = reply(s)
    code, pid = struct.unpack(">hq", r[8:18])
    s.sendall(produce("retry", batch([b"r0", b"r1", b"r2"], pid=pid, epoch=0, seq=0)))
    r = reply(s)
    check("first send", produce_code(r) == 0, repr(r))
    open(state, "w").write("%d %d\n" % (pid, produce_offset(r)))
else:
    pid, offset = map(int, open(state).read().split())
    s.sendall(produce("retry", batch([b"r0", b"r1", b"r2"], pid=pid, epoch=0, seq=0)))
    r = reply(s)
    check("the retry after a restart gets the first offset", produce_code(r) == 0 and
          produce_offset(r) == offset, repr((r, offset)))
    s.sendall(produce("retry", batch([b"r3"], pid=pid, epoch=0, seq=3)))
    r = reply(s)
    check("the next sequence follows it", produce_code(r) == 0 and
          produce_offset(r) == offset + 3, repr(r))
s.close()
sys.exit(kafka_wire.fails)
