#!/usr/bin/env python3
# seed_flask_server.py - the seed's logging server (001_72a7d6c3220aceab.txt:
# "Flask server with /log endpoint", flask + confluent-kafka), rebuilt from
# Debian's python3-flask and python3-confluent-kafka as the peer of
# bench/ingest.sh. GET /log?city=..&temperature=.. produces
# {"city","temperature","ts"} to the 'weather' topic and answers the
# seed's JSON; GET /health answers {"status": "healthy"}.
#
# We have no Kafka broker: as issue 4 states, the producer is pointed at
# an address where nothing listens and its local queue is sized for the
# whole run, so librdkafka queues every message in memory (as it does
# while a broker is away) and produce() never blocks or fails. That is
# the seed's server doing all its own work except the network send, a
# generous peer.
#   seed_flask_server.py PORT
import datetime
import json
import sys

from confluent_kafka import Producer
from flask import Flask, jsonify, request

app = Flask(__name__)
producer = Producer({
    "bootstrap.servers": "127.0.0.1:1",        # nothing listens: messages stay queued
    "queue.buffering.max.messages": 10000000,  # sized for the whole run
    "queue.buffering.max.kbytes": 2097151,
    "message.timeout.ms": 3600000,
    "log_level": 0,
})


@app.route("/log", methods=["GET"])
def log():
    city = request.args.get("city")
    temperature = request.args.get("temperature")
    if not city or not temperature:
        return jsonify({"status": "error", "message": "city and temperature are required"}), 400
    data = {
        "city": city,
        "temperature": temperature,
        "ts": datetime.datetime.utcnow().strftime("%Y-%m-%d-%H"),
    }
    producer.produce("weather", json.dumps(data).encode("utf-8"))
    producer.poll(0)
    return jsonify({"status": "success", "message": "Weather data logged", "data": data})


@app.route("/health", methods=["GET"])
def health():
    return jsonify({"status": "healthy"})


if __name__ == "__main__":
    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log on the hot path
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
