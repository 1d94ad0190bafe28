#!/usr/bin/python3
"""pages_scrape.py URL OUT [ONCE] - what a Prometheus and open pages ask
floe each second (bench/pages_cost.sh): GET /metrics, the dashboard's
GET /api/weather (a reload) and /api/weather/latest?since=<newest point
- 2 min> (its poll), the console's GET /api/topics and GET /status, and
the two page documents /dashboard/weather and /console (assets load once
per page and are cached by a browser, so they are left out), on one
keep-alive connection. Until killed (or ONCE cycles, back to back); on
SIGTERM or at the end writes to OUT the cycles, requests, bytes, the
slowest reply and any non-200."""
import calendar, http.client, json, signal, sys, time, urllib.parse

url, out = sys.argv[1], sys.argv[2]
once = int(sys.argv[3]) if len(sys.argv) > 3 else 0
stats = {"cycles": 0, "requests": 0, "bytes": 0, "slowest_ms": 0.0, "bad": {}}


def done(*_):
    with open(out, "w") as f:
        f.write("scraper: %d cycles, %d requests, %d bytes, slowest %.1f ms, non-200 %s\n" % (
            stats["cycles"], stats["requests"], stats["bytes"], stats["slowest_ms"],
            stats["bad"] or "none"))
    sys.exit(0)


signal.signal(signal.SIGTERM, done)
host, port = urllib.parse.urlsplit(url).netloc.split(":")
conn = http.client.HTTPConnection(host, int(port), timeout=10)


def get(path):
    global conn
    t0 = time.monotonic()
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        body, code = r.read(), r.status
    except (http.client.HTTPException, OSError):
        conn.close()
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        body, code = b"", 0
    stats["requests"] += 1
    stats["bytes"] += len(body)
    stats["slowest_ms"] = max(stats["slowest_ms"], (time.monotonic() - t0) * 1000)
    if code != 200:
        key = path.split("?")[0]
        stats["bad"][key] = stats["bad"].get(key, 0) + 1
    return body


since = None
while True:
    t0 = time.monotonic()
    get("/metrics")
    get("/api/topics")
    get("/status")
    if since:
        get("/api/weather/latest?since=" + urllib.parse.quote(since))
    try:
        r = json.loads(get("/api/weather") or b"{}")
        times = [p["time"] for pts in r.get("data", {}).values() for p in pts]
    except ValueError:
        times = []
    if times:  # as the page: two minutes before the newest point
        newest = calendar.timegm(time.strptime(max(times)[:19], "%Y-%m-%dT%H:%M:%S"))
        since = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(newest - 120))
    get("/dashboard/weather")
    get("/console")
    stats["cycles"] += 1
    if once:
        if stats["cycles"] >= once:
            done()
        continue
    time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
