// dashboard.js - seed 001's dashboard: one line chart per city of
// weather_agg's 1-minute average temperature and a stats bar. Updates
// arrive by server-sent events (GET /api/weather/stream: the whole reply
// first, then after each commit the points since 2 min before the newest
// sent); without EventSource, with an API key (EventSource cannot send
// one) or when the stream fails, the page polls instead: every 1 s
// GET /api/weather/latest?since=<newest time shown - 2 min>. Either way
// points replace those of the same time (a window's average changes
// until it closes) and extend the rest.
'use strict';
(() => {
  const POLL_MS = 1000; // the seed polls every 2 s; the issue asks 2 s or faster
  const state = { data: {}, cities: [], charts: {}, since: null, changedAt: 0, transport: null };
  window.floeDashboard = state; // for tests and the curious: the points and the uPlots
  const $ = (id) => document.getElementById(id);

  function notice(text) { const n = $('notice'); n.textContent = text; n.hidden = !text; }

  function merge(reply) {
    for (const c of reply.cities) if (!state.data[c]) state.data[c] = [];
    state.cities = Object.keys(state.data).sort();
    for (const [city, pts] of Object.entries(reply.data)) {
      const have = state.data[city] || (state.data[city] = []);
      for (const p of pts) {
        const i = have.findIndex((q) => q.time === p.time);
        if (i < 0) have.push(p);
        else if (have[i].temperature !== p.temperature) have[i] = p;
        else continue;
        state.changedAt = Date.now(); // the stats bar's "last update"
      }
      have.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
      const last = have[have.length - 1];
      if (last && (!state.since || last.time > state.since)) state.since = last.time;
    }
  }

  function card(city) {
    const d = document.createElement('div');
    d.className = 'card';
    d.dataset.city = city;
    d.innerHTML = '<h3><span class="name"></span><span class="now"></span></h3><div class="plot"></div>';
    d.querySelector('.name').textContent = city;
    $('charts').appendChild(d);
    return d;
  }

  function draw() {
    let n = 0, sum = 0, cnt = 0;
    for (const city of state.cities) {
      const pts = state.data[city];
      n += pts.length;
      for (const p of pts) if (p.temperature !== null) { sum += p.temperature; cnt++; }
      const lp = pts[pts.length - 1];
      let ch = state.charts[city];
      if (!ch) ch = state.charts[city] = { el: card(city), plot: null };
      ch.el.querySelector('.now').textContent = lp && lp.temperature !== null ? lp.temperature.toFixed(2) + ' °F' : '';
      ch.el.dataset.lastTime = lp ? lp.time : '';
      ch.el.dataset.lastTemperature = lp ? String(lp.temperature) : '';
      ch.el.dataset.points = String(pts.length);
      const data = [pts.map((p) => Date.parse(p.time) / 1000), pts.map((p) => p.temperature)];
      if (!floeCharts.ok) continue;
      if (ch.plot) ch.plot.setData(data);
      else ch.plot = floeCharts.line(ch.el.querySelector('.plot'), { names: [city], data, time: true, height: 180 });
    }
    $('s-cities').textContent = state.cities.length;
    $('s-points').textContent = n;
    $('s-avg').textContent = cnt ? (sum / cnt).toFixed(2) + ' °F' : '-';
    $('s-last').textContent = state.changedAt ? new Date(state.changedAt).toLocaleTimeString() : '-';
    document.body.dataset.updated = String(Date.now());
  }

  function stream() {
    state.transport = 'stream';
    const es = new EventSource('/api/weather/stream');
    let got = false;
    es.addEventListener('weather', (e) => {
      got = true;
      merge(JSON.parse(e.data));
      draw();
      notice(floeCharts.ok ? '' : 'This floe was built without uPlot (web/node_modules was absent): no charts, values only.');
    });
    es.addEventListener('error', (e) => {
      if (e.data) { notice('Cannot read /api/weather: ' + e.data); return; } // the server's error event
      if (got && es.readyState !== EventSource.CLOSED) return; // reconnecting by itself
      es.close(); // refused (a key is wanted) or not served: poll instead
      poll();
    });
  }

  async function poll() {
    state.transport = 'poll';
    try {
      // two minutes before the newest point: windows of other cities or
      // partitions that were still open then may have changed since
      const since = state.since && new Date(Date.parse(state.since) - 120000).toISOString();
      const url = since ? '/api/weather/latest?since=' + encodeURIComponent(since) : '/api/weather';
      merge(await floeCharts.json(url));
      draw();
      notice(floeCharts.ok ? '' : 'This floe was built without uPlot (web/node_modules was absent): no charts, values only.');
    } catch (e) {
      notice('Cannot read /api/weather: ' + e.message);
    }
    setTimeout(poll, POLL_MS);
  }
  if (window.EventSource && !sessionStorage.getItem('floe.apiKey')) stream();
  else poll();
})();
