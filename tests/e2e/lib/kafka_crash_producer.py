#!/usr/bin/python3
"""kafka_crash_producer.py BOOTSTRAP OUT STOPFILE - an idempotent
confluent-kafka producer (acks=all) that sends records 0, 1, 2, ... keyed
k0..k3 to topic "crash" until STOPFILE exists, riding out floe being
killed and restarted under it (librdkafka retries; idempotence keeps the
retries from doubling records). Each delivery report goes to OUT as
"value partition offset" (flushed at once). Exits 0 when every record
sent was delivered."""
import os
import sys
import time

from confluent_kafka import Producer

boot, out_path, stop = sys.argv[1], sys.argv[2], sys.argv[3]
out = open(out_path, "w", buffering=1)
failed = []


def dr(err, msg):
    if err is None:
        out.write("%s %d %d\n" % (msg.value().decode(), msg.partition(), msg.offset()))
    else:
        failed.append(str(err))


p = Producer({"bootstrap.servers": boot, "acks": "all", "enable.idempotence": True,
              "linger.ms": 2, "message.timeout.ms": 120000, "reconnect.backoff.max.ms": 200,
              "retry.backoff.ms": 50})
i = 0
while not os.path.exists(stop):
    try:
        p.produce("crash", key="k%d" % (i % 4), value=str(i), on_delivery=dr)
        i += 1
    except BufferError:
        p.poll(0.05)
        continue
    p.poll(0)
    if i % 50 == 0:
        time.sleep(0.01)
left = p.flush(120)
print("sent", i, "undelivered", left, "failed", len(failed), failed[:3])
sys.exit(0 if left == 0 and not failed else 1)
