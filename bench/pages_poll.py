#!/usr/bin/python3
"""pages_poll.py URL PAGES OUT - what PAGES open browsers ask floe each
second (bench/pages.sh): the dashboard's GET /api/weather/latest?since=,
a reload of GET /api/weather, GET /status (the console's pipelines tab),
and the pages with every asset. Until killed; on SIGTERM writes to OUT
the requests made, the bytes read, the slowest reply, and any non-200.
With BASELINE=1 every request is GET /health instead: what the same
number of HTTP requests costs floe whatever they ask."""
import calendar, http.client, json, os, signal, sys, time, urllib.parse

url, pages, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
BASELINE = os.environ.get("BASELINE") == "1"
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

# one keep-alive connection per page, as a browser keeps one
host, port = urllib.parse.urlsplit(url).netloc.split(":")
conns = [http.client.HTTPConnection(host, int(port), timeout=10) for _ in range(pages)]


def get(path, page=0):
    if BASELINE:  # the same number of requests, all GET /health
        path = "/health"
    t0 = time.monotonic()
    c = conns[page]
    try:
        c.request("GET", path)
        r = c.getresponse()
        body, code = r.read(), r.status
    except (http.client.HTTPException, OSError):
        c.close()
        body, code = b"", 0
    stats["requests"] += 1
    stats["bytes"] += len(body)
    stats["slowest_ms"] = max(stats["slowest_ms"], (time.monotonic() - t0) * 1000)
    if code != 200:
        stats["bad"][path] = stats["bad"].get(path, 0) + 1
    return body


while True:
    t0 = time.monotonic()
    for page in range(pages):
        if since:
            get("/api/weather/latest?since=" + urllib.parse.quote(since), page)
        r = json.loads(get("/api/weather", page) or b'{"data":{}}')
        if BASELINE:
            r = {"data": {}}
        times = [p["time"] for pts in r["data"].values() for p in pts]
        # as the page: two minutes before the newest point
        newest = calendar.timegm(time.strptime(max(times)[:19], "%Y-%m-%dT%H:%M:%S")) if times else None
        since = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(newest - 120)) if times else None
        get("/status", page)
        for a in ASSETS:
            get(a, page)
    time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
