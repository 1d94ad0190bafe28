#!/usr/bin/python3
"""kafka_seed_producer.py BOOTSTRAP SCENARIO N - the seeds' producers in
their own shape, over the Kafka protocol with confluent-kafka (an
idempotent producer, acks=all):
  ratings  seed 004: {customer_id, branch_id, employee_id, treatment_id,
           rating_value, comment, timestamp} to nail_salon_ratings, keyed
           by customer_id
  iot      seed 002: device readings to iot, keyed by device_id
  clicks   seed 002: {event_id, user_id, url, referrer, ua, ts} to
           clickstream, keyed by user_id
Prints each delivery report as "key partition offset"; exit 0 when all
N were delivered."""
import json
import random
import sys

from confluent_kafka import Producer

boot, scenario, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = Producer({"bootstrap.servers": boot, "acks": "all", "enable.idempotence": True})
reports = []


def dr(err, msg):
    if err is None:
        reports.append("%s %d %d" % (msg.key().decode(), msg.partition(), msg.offset()))


rng = random.Random(4)
for i in range(n):
    if scenario == "ratings":
        cid = rng.randint(1, 40)
        ev = {"customer_id": cid, "branch_id": rng.randint(1, 5), "employee_id": rng.randint(1, 20),
              "treatment_id": rng.randint(1, 8), "rating_value": rng.randint(1, 5) * 1.0,
              "comment": "fine", "timestamp": "2025-01-15T10:%02d:00" % (i % 60)}
        topic, key = "nail_salon_ratings", str(cid)
    elif scenario == "clicks":
        uid = "u%d" % rng.randint(1, 30)
        ev = {"event_id": "e%05d" % i, "user_id": uid, "url": "/p/%d" % (i % 7),
              "referrer": "https://example.org/", "ua": "Mozilla/5.0",
              "ts": "2026-01-0%dT10:%02d:00Z" % (7 + i % 2, i % 60)}
        topic, key = "clickstream", uid
    else:
        dev = "dev-%d" % rng.randint(1, 12)
        ev = {"device_id": dev, "site": "s%d" % (i % 3), "temp_c": 20.5, "humidity": 40.0,
              "battery": 0.9, "signal_strength": -60, "ts": "2026-01-07T10:%02d:00Z" % (i % 60)}
        topic, key = "iot", dev
    p.produce(topic, key=key, value=json.dumps(ev), on_delivery=dr)
    p.poll(0)
left = p.flush(30)
print("\n".join(reports))
sys.exit(0 if left == 0 and len(reports) == n else 1)
