#!/usr/bin/python3
"""pages_poll.py URL PAGES OUT - what PAGES open browsers ask floe each
second (bench/pages.sh): the dashboard's GET /api/weather/latest?since=,
a reload of GET /api/weather, GET /status (the console's pipelines tab),
and the pages with every asset. Until killed; on SIGTERM writes to OUT
the requests made, the bytes read, the slowest reply, and any non-200."""
import calendar, json, signal, sys, time, urllib.parse, urllib.request

url, pages, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ASSETS = ["/dashboard/weather", "/console", "/assets/uPlot.iife.min.js", "/assets/uPlot.min.css",
          "/assets/floe.css", "/assets/charts.js", "/assets/dashboard.js", "/assets/console.js"]
stats = {"requests": 0, "bytes": 0, "slowest_ms": 0.0, "bad": {}}
since = None

def done(*_):
    with open(out, "w") as f:
        f.write("poller: %d requests, %d bytes, slowest %.1f ms, non-200 %s\n" % (
            stats["requests"], stats["bytes"], stats["slowest_ms"], stats["bad"] or "none"))
    sys.exit(0)

signal.signal(signal.SIGTERM, done)

def get(path):
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(url + path, timeout=10) as r:
            body, code = r.read(), r.status
    except urllib.error.HTTPError as e:
        body, code = e.read(), e.code
    stats["requests"] += 1
    stats["bytes"] += len(body)
    stats["slowest_ms"] = max(stats["slowest_ms"], (time.monotonic() - t0) * 1000)
    if code != 200:
        stats["bad"][path] = stats["bad"].get(path, 0) + 1
    return body

while True:
    t0 = time.monotonic()
    for _ in range(pages):
        if since:
            get("/api/weather/latest?since=" + urllib.parse.quote(since))
        r = json.loads(get("/api/weather"))
        times = [p["time"] for pts in r["data"].values() for p in pts]
        # as the page: two minutes before the newest point
        newest = calendar.timegm(time.strptime(max(times)[:19], "%Y-%m-%dT%H:%M:%S")) if times else None
        since = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(newest - 120)) if times else None
        get("/status")
        for a in ASSETS:
            get(a)
    time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
