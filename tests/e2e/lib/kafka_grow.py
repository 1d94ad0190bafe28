#!/usr/bin/python3
"""kafka_grow.py BOOTSTRAP TOPIC STEP - confluent-kafka (librdkafka)
against a topic that grows with CreatePartitions (kafka_partitions.sh):
  before N    an idempotent keyed producer (acks=all) sends ids 0..N-1
  grow COUNT  AdminClient.create_partitions: a validate-only request
              changes nothing, a smaller count and a wrong replica
              assignment are refused, then the topic grows to COUNT and
              list_topics shows it
  after A B   a new producer sends ids A..B-1; they must use partitions
              that did not exist before
  group N     a consumer group member subscribed before the grow (fast
              metadata refresh) reads all N ids once, including the new
              partitions'; prints "assigned K" at each assignment
Produce steps print one line per delivery report: "id partition offset"."""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewPartitions

boot, topic, step = sys.argv[1], sys.argv[2], sys.argv[3]


def produce(lo, hi):
    p = Producer({"bootstrap.servers": boot, "acks": "all", "enable.idempotence": True})
    reports = []

    def dr(err, msg):
        if err is None:
            reports.append((int(msg.key().decode()[1:]), msg.partition(), msg.offset()))

    for i in range(lo, hi):
        p.produce(topic, key="k%d" % i, value=json.dumps({"id": i, "k": "k%d" % i}),
                  on_delivery=dr)
        p.poll(0)
    left = p.flush(30)
    for r in sorted(reports):
        print("%d %d %d" % r)
    return left == 0 and len(reports) == hi - lo


def fails(fut, code):
    try:
        fut.result(10)
    except KafkaException as e:
        return e.args[0].code() == code
    return False


if step == "before":
    sys.exit(0 if produce(0, int(sys.argv[4])) else 1)
elif step == "after":
    sys.exit(0 if produce(int(sys.argv[4]), int(sys.argv[5])) else 1)
elif step == "grow":
    count = int(sys.argv[4])
    a = AdminClient({"bootstrap.servers": boot})
    n0 = len(a.list_topics(topic, timeout=10).topics[topic].partitions)
    ok = True
    a.create_partitions([NewPartitions(topic, count)], validate_only=True)[topic].result(10)
    ok &= len(a.list_topics(topic, timeout=10).topics[topic].partitions) == n0
    # INVALID_PARTITIONS (37): never fewer
    ok &= fails(a.create_partitions([NewPartitions(topic, n0 - 1)])[topic], 37)
    # INVALID_REPLICA_ASSIGNMENT (39): one broker, id 1
    ok &= fails(a.create_partitions(
        [NewPartitions(topic, count, [[7]] * (count - n0))])[topic], 39)
    a.create_partitions([NewPartitions(topic, count)])[topic].result(10)
    n1 = len(a.list_topics(topic, timeout=10).topics[topic].partitions)
    ok &= n1 == count
    print("grow %s %d -> %d" % ("ok" if ok else "FAILED", n0, n1))
    sys.exit(0 if ok else 1)
elif step == "group":
    want = int(sys.argv[4])
    c = Consumer({"bootstrap.servers": boot, "group.id": "g-grow", "auto.offset.reset": "earliest",
                  "topic.metadata.refresh.interval.ms": 500, "enable.auto.commit": True})
    sizes = []

    def on_assign(consumer, partitions):
        sizes.append(len(partitions))
        print("assigned %d" % len(partitions), flush=True)

    c.subscribe([topic], on_assign=on_assign)
    seen, dups, parts = set(), 0, set()
    deadline = time.time() + 40
    while len(seen) < want and time.time() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        i = json.loads(m.value())["id"]
        dups += i in seen
        seen.add(i)
        parts.add(m.partition())
    c.close()
    print("group %d dups %d partitions %d assignments %s"
          % (len(seen), dups, len(parts), ",".join(map(str, sizes))))
