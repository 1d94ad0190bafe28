#!/usr/bin/python3
"""kafka_confluent.py BOOTSTRAP STEP - confluent-kafka (librdkafka), a
client no one here wrote, against floe's Kafka server. Steps:
  produce   seed 004's shape keyed by customer_id, acks=all, idempotent, 4 partitions;
            prints each delivery report as "partition offset key"
  consume   a group reads the topic from the beginning, commits, checks
            watermarks and offsets_for_times; prints "count N"
  group     a group of 3 consumers over 4 partitions: the third leaves
            half way (a rebalance); every record is read exactly once
            (synchronous commit after each); prints "group ok N"
  admin     AdminClient: create (and refuse) topics, describe configs,
            list groups, delete; prints "admin ok"
  resume    the consume step's group again after new records: only what
            came after its commit; prints "resume N"
Exit status 0 when every check of the step held."""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

BOOT, STEP = sys.argv[1], sys.argv[2]
TOPIC = "ratings_kafka"


def consumer(group, **extra):
    conf = {"bootstrap.servers": BOOT, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500}
    conf.update(extra)
    return Consumer(conf)


def produce(n, start=0):
    p = Producer({"bootstrap.servers": BOOT, "acks": "all", "linger.ms": 5,
                  "enable.idempotence": True})
    reports = []

    def dr(err, msg):
        if err is None:
            reports.append((msg.partition(), msg.offset(), msg.key().decode()))
        else:
            print("delivery failed:", err, file=sys.stderr)

    for i in range(start, start + n):
        rating = {"customer_id": "c%d" % (i % 13), "product_id": "p%d" % i, "rating": i % 5 + 1,
                  "timestamp": "2026-01-08T14:%02d:00Z" % (i % 60)}
        p.produce(TOPIC, key=rating["customer_id"], value=json.dumps(rating), on_delivery=dr)
        p.poll(0)
    left = p.flush(30)
    return reports, left


if STEP == "produce":
    reports, left = produce(200)
    for r in reports:
        print(*r)
    sys.exit(0 if left == 0 and len(reports) == 200 else 1)

if STEP == "consume":
    c = consumer("g-resume")
    c.subscribe([TOPIC])
    seen, deadline = {}, time.time() + 30
    while len(seen) < 200 and time.time() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            continue
        seen[(m.partition(), m.offset())] = m.key().decode()
    c.commit(asynchronous=False)
    ok = len(seen) == 200
    lo, hi = c.get_watermark_offsets(TopicPartition(TOPIC, 0), timeout=10)
    ok &= lo == 0 and hi == sum(1 for (p, _) in seen if p == 0)
    # offsets for a time: 0 from before everything, -1 after everything
    early = c.offsets_for_times([TopicPartition(TOPIC, 0, 1000)], timeout=10)[0].offset
    late = c.offsets_for_times([TopicPartition(TOPIC, 0, 4102444800000)], timeout=10)[0].offset
    ok &= early == 0 and late == -1
    committed = c.committed([TopicPartition(TOPIC, p) for p in range(4)], timeout=10)
    ok &= sum(tp.offset for tp in committed if tp.offset >= 0) == 200
    c.close()
    print("count", len(seen), "watermarks", lo, hi, "times", early, late)
    sys.exit(0 if ok else 1)

if STEP == "group":
    produce(300, 1000)
    cs = [consumer("g-three") for _ in range(3)]
    for c in cs:
        c.subscribe([TOPIC])
    got, dup, deadline = {}, 0, time.time() + 90
    left_at = None
    alive = list(cs)
    total = 500  # the first step's 200 and these 300
    while len(got) < total and time.time() < deadline:
        for c in list(alive):
            m = c.poll(0.1)
            if m is None or m.error():
                continue
            k = (m.partition(), m.offset())
            if k in got:
                dup += 1
            got[k] = 1
            c.commit(message=m, asynchronous=False)
            if left_at is None and len(got) >= total // 2:
                left_at = len(got)
                gone = alive.pop()  # one member leaves: the others rebalance
                gone.close()
                break
    for c in alive:
        c.close()
    print("group", "ok" if len(got) == total and dup == 0 else "bad", len(got), "dups", dup,
          "left at", left_at)
    sys.exit(0 if len(got) == total and dup == 0 and left_at else 1)

if STEP == "admin":
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

    def outcome(futures):
        out = {}
        for t, f in futures.items():
            try:
                f.result()
                out[t] = "ok"
            except Exception as e:  # the KafkaError's name
                out[t] = e.args[0].name()
        return out

    a = AdminClient({"bootstrap.servers": BOOT})
    made = outcome(a.create_topics([NewTopic("adm1", 3, 1, config={"retention.ms": "3600000"}),
                                    NewTopic("adm2", 2, 3),
                                    NewTopic("adm3", 1, 1, config={"no.such": "1"})]))
    again = outcome(a.create_topics([NewTopic("adm1", 3, 1)]))
    parts = len(a.list_topics(timeout=10).topics["adm1"].partitions)
    res = a.describe_configs([ConfigResource("topic", "adm1")])
    conf = {k: v.value for k, v in list(res.values())[0].result().items()}
    groups = sorted(g.id for g in a.list_groups(timeout=10))
    gone = outcome(a.delete_topics(["adm1", "nope"]))
    left = "adm1" in a.list_topics(timeout=10).topics
    ok = (made == {"adm1": "ok", "adm2": "INVALID_REPLICATION_FACTOR", "adm3": "INVALID_CONFIG"}
          and again == {"adm1": "TOPIC_ALREADY_EXISTS"} and parts == 3
          and conf.get("retention.ms") == "3600000" and "g-resume" in groups
          and gone == {"adm1": "ok", "nope": "UNKNOWN_TOPIC_OR_PART"} and not left)
    print("admin", "ok" if ok else "bad", made, again, parts, conf, groups, gone, left)
    sys.exit(0 if ok else 1)

if STEP == "resume":
    produce(50, 5000)
    c = consumer("g-resume")
    c.subscribe([TOPIC])
    seen, deadline = set(), time.time() + 20
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is None or m.error():
            if len(seen) >= 350 and m is None:
                break
            continue
        seen.add(json.loads(m.value())["product_id"])
    c.close()
    # the group committed the first 200: it gets the group step's 300 and these 50
    ok = seen == {"p%d" % i for i in list(range(1000, 1300)) + list(range(5000, 5050))}
    print("resume", len(seen))
    sys.exit(0 if ok else 1)
sys.exit(2)
