// charts.js - what the dashboard and the console share: fetching JSON,
// and line or bar charts drawn with uPlot (embedded in the binary; when a
// build had no uPlot, `floeCharts.ok` is false and pages say so).
'use strict';
const floeCharts = (() => {
  const ok = typeof uPlot !== 'undefined';
  const COLORS = ['#60a5fa', '#f472b6', '#34d399', '#fbbf24', '#a78bfa', '#f87171', '#22d3ee',
    '#fb923c', '#a3e635', '#e879f9'];

  // With auth: on, the data routes want a read key: a 401 shows an inline
  // "API key" field (one for every fetch waiting); the key is kept in
  // sessionStorage (gone with the tab) and sent as X-API-Key, never in a URL.
  const KEY = 'floe.apiKey';
  let asking = null;
  function askKey(refused) {
    if (asking) return asking;
    asking = new Promise((resolve) => {
      const f = document.createElement('form');
      f.id = 'key-form';
      f.className = 'keyform';
      f.innerHTML = '<label>API key <input id="api-key" type="password" autocomplete="off"></label>' +
        '<button type="submit">Use key</button><span class="err"></span>';
      f.querySelector('.err').textContent = refused ? ' That key was refused.' : ' This floe asks for a read key.';
      f.addEventListener('submit', (e) => {
        e.preventDefault();
        const k = f.querySelector('input').value.trim();
        if (!k) return;
        sessionStorage.setItem(KEY, k);
        f.remove();
        asking = null;
        resolve();
      });
      (document.querySelector('main') || document.body).prepend(f);
      f.querySelector('input').focus();
    });
    return asking;
  }

  async function json(url, opts) {
    for (;;) {
      const key = sessionStorage.getItem(KEY);
      const o = Object.assign({}, opts);
      if (key) o.headers = Object.assign({}, opts && opts.headers, { 'X-API-Key': key });
      const r = await fetch(url, o);
      if (r.status === 401) {
        if (key && sessionStorage.getItem(KEY) !== key) continue; // a newer key came meanwhile
        sessionStorage.removeItem(KEY);
        await askKey(!!key);
        continue;
      }
      const body = await r.json();
      if (!r.ok) throw new Error((body && body.message) || ('HTTP ' + r.status));
      return body;
    }
  }

  const axis = { stroke: '#94a3b8', grid: { stroke: 'rgba(148,163,184,.15)' },
    ticks: { stroke: 'rgba(148,163,184,.3)' } };

  // A line chart over x (seconds since the epoch when time, else numbers
  // or category indexes) and one or more series; returns the uPlot.
  function line(el, opts) {
    const series = [{}].concat(opts.names.map((n, i) => ({
      label: n, stroke: COLORS[i % COLORS.length], width: 2,
      points: { show: true, size: 5 },
      paths: opts.bars ? uPlot.paths.bars({ size: [0.6, 80] }) : undefined,
      fill: opts.bars ? COLORS[i % COLORS.length] + '99' : undefined,
    })));
    // one point (a new table's first window) would make uPlot span years
    const range = (u, min, max) => (min === max ? [min - (opts.time ? 300 : 1), max + (opts.time ? 60 : 1)] : [min, max]);
    const x = { time: !!opts.time, range: opts.bars ? undefined : range };
    // bars grow from zero
    const y = opts.bars ? { range: (u, min, max) => [Math.min(0, min), Math.max(0, max) * 1.05 || 1] } : {};
    const axes = [Object.assign({}, axis), Object.assign({}, axis)];
    if (opts.labels) axes[0].values = (u, vals) => vals.map((v) => opts.labels[v] ?? '');
    return new uPlot({ width: opts.width || el.clientWidth || 400, height: opts.height || 200,
      series, scales: { x, y }, axes, legend: { show: opts.names.length > 1 } }, opts.data, el);
  }

  return { ok, json, line, COLORS };
})();
