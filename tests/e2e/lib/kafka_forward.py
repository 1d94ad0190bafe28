#!/usr/bin/env python3
"""kafka_forward.py - tests/e2e/kafka_log.sh's client of floe's Kafka port
under `log: {kafka: ...}`, through confluent-kafka (librdkafka).

usage: kafka_forward.py produce FRONT CLUSTER TOPIC COUNT [FIRST [PAUSE_FILE DONE_FILE]]
       kafka_forward.py missing FRONT TOPIC

produce: COUNT records (key k<i>, value {"id": "p<i>", "n": i}, header
h = v<i>, partition i % 3) to floe's Kafka port FRONT with an idempotent
producer (acks=all, lz4 batches); every delivery must succeed. Then the
records are read back from the external CLUSTER itself (not through
floe) at the offsets FRONT acknowledged: each must be there with its key,
value and header, and the acknowledged offsets must be distinct. Prints
"forwarded N records". With FIRST, the keys start at k<FIRST>; with
PAUSE_FILE and DONE_FILE, the producer sends the first half, creates
PAUSE_FILE, waits for DONE_FILE (floe is restarted meanwhile) and sends
the second half with the same producer (same producer id: its sequence
goes on across floe's restart).
missing: one record to a topic the cluster lacks must be refused (a
delivery error), not stored anywhere.
"""
import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition


def produce(front, cluster, topic, count, first=0, pause=None, done_file=None):
    p = Producer({"bootstrap.servers": front, "enable.idempotence": True, "acks": "all",
                  "compression.type": "lz4", "linger.ms": 5})
    acked, failed = {}, []

    def done(err, msg):
        if err is not None:
            failed.append(str(err))
        else:
            acked[msg.key().decode()] = (msg.partition(), msg.offset())

    import os
    import time
    for i in range(first, first + count):
        if pause and i == first + count // 2:
            left = p.flush(30)
            if left:
                sys.exit("produce: %d not delivered before the restart" % left)
            open(pause, "w").close()
            deadline = time.time() + 60
            while not os.path.exists(done_file) and time.time() < deadline:
                time.sleep(0.1)
        p.produce(topic, key="k%d" % i, value=json.dumps({"id": "p%d" % i, "n": i}),
                  headers=[("h", b"v%d" % i)], partition=i % 3, on_delivery=done)
        if i % 100 == 99:
            p.poll(0)
    left = p.flush(60)
    if failed or left or len(acked) != count:
        sys.exit("produce: %d failed (%s), %d not delivered, %d acked" % (len(failed), failed[:3], left, len(acked)))
    if len(set(acked.values())) != count:
        sys.exit("produce: acknowledged offsets repeat")
    # read the cluster at the acknowledged offsets
    c = Consumer({"bootstrap.servers": cluster, "group.id": "kf-check", "enable.auto.commit": False})
    want = {}
    for key, (part, off) in acked.items():
        want[(part, off)] = key
    firsts = {}
    for (part, off) in want:
        firsts[part] = min(off, firsts.get(part, off))
    c.assign([TopicPartition(topic, part, off) for part, off in firsts.items()])
    seen = 0
    deadline = time.time() + 30
    while seen < count and time.time() < deadline:
        for m in c.consume(500, 1.0):
            if m.error():
                continue
            key = want.get((m.partition(), m.offset()))
            if key is None:
                continue
            i = int(key[1:])
            if (m.key().decode() != key or json.loads(m.value()) != {"id": "p%d" % i, "n": i}
                    or m.headers() != [("h", b"v%d" % i)]):
                sys.exit("cluster %d/%d: got key %r value %r headers %r for %s"
                         % (m.partition(), m.offset(), m.key(), m.value(), m.headers(), key))
            seen += 1
    c.close()
    if seen != count:
        sys.exit("the cluster holds %d of the %d acknowledged records" % (seen, count))
    print("forwarded %d records" % count)


def missing(front, topic):
    p = Producer({"bootstrap.servers": front, "enable.idempotence": True,
                  "message.timeout.ms": 4000, "topic.metadata.propagation.max.ms": 1000})
    errs = []
    p.produce(topic, value=b"x", on_delivery=lambda err, msg: errs.append(err))
    p.flush(10)
    if len(errs) != 1 or errs[0] is None:
        sys.exit("a record to %s was not refused: %s" % (topic, errs))
    print("refused: %s" % errs[0])


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        produce(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
                int(sys.argv[6]) if len(sys.argv) > 6 else 0, *sys.argv[7:9])
    else:
        missing(sys.argv[2], sys.argv[3])
