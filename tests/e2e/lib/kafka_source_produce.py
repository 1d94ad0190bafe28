#!/usr/bin/env python3
"""kafka_source_produce.py - the producer and checker of
tests/e2e/kafka_source.sh, through confluent-kafka (librdkafka).

usage: kafka_source_produce.py produce BOOTSTRAP TOPIC FIRST COUNT SECONDS
       kafka_source_produce.py committed BOOTSTRAP TOPIC GROUP

produce: COUNT records {"id": "r<i>", "n": i} for i in FIRST..FIRST+COUNT-1,
keyed by i (spread over the partitions), acks=all, spread over about
SECONDS; exits 1 when any delivery failed (no record is sent twice: the
producer does not retry, so the table must hold each exactly once).
committed: prints the sum over the topic's partitions of the group's
committed offsets (what Kafka's tools show the lag against).
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition


def produce(boot, topic, first, count, seconds):
    p = Producer({"bootstrap.servers": boot, "acks": "all", "linger.ms": 5,
                  "compression.type": "lz4", "message.send.max.retries": 0,
                  "enable.idempotence": False})
    failed = []

    def done(err, msg):
        if err is not None:
            failed.append(str(err))

    chunks = max(1, int(seconds * 10))
    per = (count + chunks - 1) // chunks
    i = first
    end = first + count
    while i < end:
        for j in range(i, min(i + per, end)):
            while True:
                try:
                    p.produce(topic, key=str(j), value=json.dumps({"id": "r%d" % j, "n": j}),
                              on_delivery=done)
                    break
                except BufferError:  # the local queue is full: let deliveries drain it
                    p.poll(0.05)
        i = min(i + per, end)
        p.poll(0)
        if seconds > 0:
            time.sleep(0.1)
    left = p.flush(30)
    if failed or left:
        print("produce: %d failed (%s), %d not delivered" % (len(failed), failed[:3], left),
              file=sys.stderr)
        sys.exit(1)


def committed(boot, topic, group):
    c = Consumer({"bootstrap.servers": boot, "group.id": group, "enable.auto.commit": False})
    md = c.list_topics(topic, timeout=10)
    parts = [TopicPartition(topic, p) for p in md.topics[topic].partitions]
    offs = c.committed(parts, timeout=10)
    print(sum(max(tp.offset, 0) for tp in offs))
    c.close()


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        produce(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]))
    else:
        committed(sys.argv[2], sys.argv[3], sys.argv[4])
