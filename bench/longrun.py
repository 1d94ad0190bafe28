#!/usr/bin/env python3
"""bench/longrun.py - the load and the measurements of bench/longrun.sh.

  longrun.py drive URL DATA_DIR SAMPLES K COMMITS MAX_SECS
      POSTs seed 001's weather readings to URL/topics/weather, 30 readings
      per simulated second, the simulated clock running K times the wall
      clock (ts is the reading's simulated UTC hour, "YYYY-MM-DD-HH", from
      2026-01-08 00:00); every 5 s appends a sample (wall time, floe's
      VmRSS, GET /status, the table's metadata/ folder) to SAMPLES as a
      JSON line; stops once the pipeline has made COMMITS commits, or after
      MAX_SECS (0: no cap); then waits for the pipeline to catch up (lag 0)
      and writes one last sample.
  longrun.py report SAMPLES_ON SAMPLES_OFF FINAL.json
      prints the Markdown tables of docs/BENCHMARKS.md's "Long run".
"""
import http.client
import json
import os
import random
import sys
import threading
import time

CITIES = ["New York", "Los Angeles", "Chicago", "Houston", "Phoenix",
          "Philadelphia", "San Antonio", "San Diego", "Dallas", "Boston"]
SIM0 = 1767830400  # 2026-01-08T00:00:00Z
# RESUME runs continue a kept table: its readings start this many
# simulated seconds later (the hours after the ones the table holds).
SIM_OFFSET = int(os.environ.get("SIM_OFFSET", "0"))
PER_SIM_SECOND = 30


def get_status(host, port):
    c = http.client.HTTPConnection(host, port, timeout=30)
    c.request("GET", "/status")
    r = c.getresponse()
    body = r.read()
    c.close()
    return json.loads(body)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def meta_dir(data_dir):
    d = os.path.join(data_dir, "warehouse", "default", "weather", "metadata")
    n = nbytes = 0
    newest, newest_t = 0, 0.0
    with os.scandir(d) as it:
        for e in it:
            try:
                st = e.stat()
            except FileNotFoundError:
                continue  # deleted by retention meanwhile
            n += 1
            nbytes += st.st_size
            if e.name.endswith(".metadata.json") and st.st_mtime >= newest_t:
                newest, newest_t = st.st_size, st.st_mtime
    return n, nbytes, newest


def drive(url, data_dir, samples, k, commits, max_secs, pid):
    host, port = url.split("//", 1)[1].split(":")
    port = int(port)
    stop = threading.Event()
    sent = [0]
    errors = [0]

    def producer():
        conn = http.client.HTTPConnection(host, port, timeout=60)
        rnd = random.Random(1)
        t0 = time.time()
        sim_done = 0  # simulated seconds whose readings were sent
        while not stop.is_set():
            sim_now = int((time.time() - t0) * k)
            if sim_now <= sim_done:
                time.sleep(0.02)
                continue
            recs = []
            for s in range(sim_done, sim_now):
                hour = time.strftime("%Y-%m-%d-%H", time.gmtime(SIM0 + SIM_OFFSET + s))
                for i in range(PER_SIM_SECOND):
                    recs.append({"city": CITIES[(s * PER_SIM_SECOND + i) % 10],
                                 "temperature": "%.1f" % rnd.uniform(20, 100), "ts": hour})
            body = json.dumps(recs)
            try:
                conn.request("POST", "/topics/weather", body,
                             {"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    errors[0] += 1
                    continue
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
                continue
            sent[0] += len(recs)
            sim_done = sim_now

    th = threading.Thread(target=producer, daemon=True)
    th.start()
    t0 = time.time()
    out = open(samples, "w")

    def sample(phase):
        st = get_status(host, port)
        n, nbytes, newest = meta_dir(data_dir)
        p = st["pipelines"][0]
        tb = next((t for t in st["tables"] if t["table"] == "default.weather"), {})
        rec = {"t": round(time.time() - t0, 1), "phase": phase, "rss_kib": rss_kib(pid),
               "sent": sent[0], "post_errors": errors[0], "commits": p["commits"],
               "lag": p["lag"], "snapshots": p["snapshots"], "files": p["files"],
               "conflicts": p["commit_conflicts"], "hist": p["commit_ms_hist"],
               "meta_files": n, "meta_bytes": nbytes, "newest_metadata": newest,
               "maint_runs": tb.get("runs"), "compacted_total": tb.get("compacted_total"),
               "expired_total": tb.get("expired_total"), "deleted_total": tb.get("deleted_total"),
               "maint_errors": tb.get("errors"), "maint_result": tb.get("result")}
        out.write(json.dumps(rec) + "\n")
        out.flush()
        return rec

    while True:
        time.sleep(5)
        rec = sample("load")
        print("t=%6.0fs commits=%6d lag=%6d snaps=%5d files=%5d meta=%5d/%9d newest=%8d rss=%6d"
              % (rec["t"], rec["commits"], rec["lag"], rec["snapshots"], rec["files"],
                 rec["meta_files"], rec["meta_bytes"], rec["newest_metadata"], rec["rss_kib"]),
              flush=True)
        if rec["commits"] >= commits or (max_secs and rec["t"] >= max_secs):
            break
    stop.set()
    th.join()
    # catch up: the pipeline drains the log
    while True:
        time.sleep(2)
        rec = sample("drain")
        if rec["lag"] == 0:
            break
    out.close()


def hist_delta(a, b):
    """b - a, as {ms: commits}"""
    d = {ms: n for ms, n in b}
    for ms, n in a:
        d[ms] = d.get(ms, 0) - n
    return {ms: n for ms, n in d.items() if n > 0}


def quantile(h, q):
    total = sum(h.values())
    seen = 0
    for ms in sorted(h):
        seen += h[ms]
        if seen >= q * total:
            return ms
    return 0


def hour_p99(rows, hour_commits):
    load = [r for r in rows if r["phase"] == "load"]
    first = next((r for r in load if r["commits"] >= hour_commits), load[-1])
    end = load[-1]
    start_last = [r for r in load if r["commits"] <= end["commits"] - hour_commits]
    base = start_last[-1] if start_last else load[0]
    h1 = hist_delta([], first["hist"])
    hl = hist_delta(base["hist"], end["hist"])
    return (quantile(h1, 0.5), quantile(h1, 0.99), sum(h1.values()),
            quantile(hl, 0.5), quantile(hl, 0.99), sum(hl.values()))


def report(on_path, off_path, final_path):
    runs = {}
    for name, path in (("on", on_path), ("off", off_path)):
        try:
            with open(path) as f:
                runs[name] = [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            runs[name] = []
    with open(final_path) as f:
        final = json.load(f)
    hour = final["hour_commits"]
    names = [n for n in ("on", "off") if runs[n]]  # MODES=on or off runs one
    print("| |" + "".join(" maintenance %s |" % n for n in names))
    print("|---|" + "---|" * len(names))

    def row(label, fn):
        print("| %s |%s" % (label, "".join(" %s |" % fn(n) for n in names)))

    def rss_median(name, lo, hi):
        # RSS is a sawtooth (maintenance's transient reads): one sample is
        # a random point on it, the median of a minute's samples is not.
        rs = sorted(r["rss_kib"] for r in runs[name] if lo <= r["t"] < hi)
        return rs[len(rs) // 2] if rs else 0

    def last(name):
        return runs[name][-1]

    def at(name, secs):
        rs = [r for r in runs[name] if r["t"] >= secs]
        return rs[0] if rs else runs[name][-1]

    row("wall time of the load (s)", lambda n: "%.0f" % [r for r in runs[n] if r["phase"] == "load"][-1]["t"])
    row("commits (= simulated seconds)", lambda n: "{:,}".format(last(n)["commits"]))
    row("readings sent", lambda n: "{:,}".format(last(n)["sent"]))
    row("snapshots kept", lambda n: "{:,}".format(last(n)["snapshots"]))
    row("newest metadata.json", lambda n: "{:,.1f} KB".format(last(n)["newest_metadata"] / 1000))
    row("metadata/ folder", lambda n: "{:,} files, {:,.1f} MB".format(
        last(n)["meta_files"], last(n)["meta_bytes"] / 1e6))
    for key, label in (("data_files", "live data files"), ("max_files_per_partition", "most data files in one partition"),
                       ("partitions", "partitions (hours)"), ("manifests", "manifests in the current snapshot"),
                       ("manifest_max_hours", "hours one manifest spans, at most"),
                       ("rows", "rows"), ("warehouse_bytes", "table folder bytes"),
                       ("compacted_bytes", "compacted copy: data bytes"),
                       ("count_ms", "`floe sql` COUNT(*), median of 5 (ms)"),
                       ("agg_ms", "full-scan aggregate, median of 5 (ms)"),
                       ("copy_count_ms", "same on the compacted copy: COUNT(*) (ms)"),
                       ("copy_agg_ms", "same on the compacted copy: aggregate (ms)")):
        row(label, lambda n, key=key: "{:,}".format(final[n][key]) if isinstance(final[n].get(key), int) else str(final[n].get(key, "-")))
    for name in names:
        p = hour_p99(runs[name], hour)
        final[name]["p"] = p
    row("commit p50 / p99, first simulated hour (ms)", lambda n: "%d / %d (%d commits)" % final[n]["p"][0:3])
    row("commit p50 / p99, last simulated hour (ms)", lambda n: "%d / %d (%d commits)" % final[n]["p"][3:6])
    row("commit retries (conflicts)", lambda n: "{:,}".format(last(n)["conflicts"]))
    row("RSS after the first minute (KiB)", lambda n: "{:,}".format(at(n, 60)["rss_kib"]))
    row("RSS at the end, and highest after the first minute (KiB)", lambda n: "{:,} / {:,}".format(
        last(n)["rss_kib"], max(r["rss_kib"] for r in runs[n] if r["t"] >= 60)))
    row("RSS median of the second minute / of the last minute (KiB)", lambda n: "{:,} / {:,}".format(
        rss_median(n, 60, 120), rss_median(n, last(n)["t"] - 60, last(n)["t"] + 1)))
    row("maintenance runs; data files compacted; snapshots expired; files deleted",
        lambda n: "%s; %s; %s; %s" % (last(n)["maint_runs"], last(n)["compacted_total"],
                                      last(n)["expired_total"], last(n)["deleted_total"]))
    print()
    print("Over time (every ~10 simulated minutes' worth of samples, maintenance on):")
    print()
    print("| t (s) | commits | snapshots | newest metadata.json (KB) | metadata/ files | live data files | RSS (KiB) |")
    print("|---|---|---|---|---|---|---|")
    rows = runs["on"] or runs["off"]
    step = max(1, len(rows) // 12)
    for r in rows[::step] + [rows[-1]]:
        print("| %.0f | %s | %s | %.1f | %s | %s | %s |" % (r["t"], "{:,}".format(r["commits"]),
              r["snapshots"], r["newest_metadata"] / 1000, r["meta_files"], r["files"], "{:,}".format(r["rss_kib"])))


if __name__ == "__main__":
    if sys.argv[1] == "drive":
        drive(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), int(sys.argv[6]),
              float(sys.argv[7]), int(sys.argv[8]))
    elif sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit("usage: longrun.py drive|report ...")
