// floe's pages in a real browser: Debian's headless chromium driven by
// puppeteer-core. The weather dashboard loads without console errors and
// draws 10 city charts whose last points equal weather_agg's newest row
// per city as `floe sql` reads it; a new reading shows within 3 s (by
// server-sent events; with auth on, by polling: EventSource sends no key); the
// console's tabs load, and its SQL box draws a bar chart for a GROUP BY.
// With auth: on, the dashboard first shows an API key field; a read key
// typed there (kept in sessionStorage, sent as X-API-Key) draws the charts.
// Screenshots go to <build dir>/artifacts/pages/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { freePort, waitUp } from './floe_up.mjs';
import puppeteer from 'puppeteer-core';

const FLOE = process.env.FLOE_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CITIES = ['San Francisco', 'New York', 'Los Angeles', 'Chicago', 'Houston', 'Phoenix',
  'Seattle', 'Denver', 'Miami', 'Boston'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// weather_agg's newest point per city through `floe sql`: {city: [isoMs, temperature]}
function newestBySql(dir) {
  const out = execFileSync(FLOE, ['sql', '--warehouse', 'file://' + join(dir, 'd', 'warehouse'),
    '--catalog', 'sqlite://' + join(dir, 'd', 'catalog.db'), '--format', 'ndjson',
    "SELECT city, strftime('%Y-%m-%dT%H:%M:%fZ', window_start) AS t, avg_temperature FROM weather_agg w " +
    'WHERE window_start = (SELECT max(window_start) FROM weather_agg WHERE city = w.city) ORDER BY city'],
  { encoding: 'utf8' });
  const rows = out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return Object.fromEntries(rows.map((r) => [r.city, [r.t, r.avg_temperature]]));
}

// What the page's charts hold: each city's uPlot's last x and y.
const chartsLast = (page) => page.evaluate(() => {
  const out = {};
  for (const [city, ch] of Object.entries(window.floeDashboard.charts)) {
    const d = ch.plot.data, n = d[0].length;
    out[city] = [new Date(d[0][n - 1] * 1000).toISOString(), d[1][n - 1]];
  }
  return out;
});

// floe sql prints 15 significant digits, the API 17: equal to 1e-12.
function assertSamePoints(got, want) {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
  for (const [city, [t, v]] of Object.entries(want)) {
    assert.equal(got[city][0], t, city);
    assert.ok(Math.abs(got[city][1] - v) <= 1e-12 * Math.max(1, Math.abs(v)), `${city}: ${got[city][1]} vs ${v}`);
  }
}

async function until(what, fn, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}

// Closes the browser, stops floe up and removes its directory.
async function stop(browser, up, dir) {
  if (browser) await browser.close();
  up.kill('SIGTERM');
  await new Promise((r) => up.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

test('dashboard and console in headless chromium', { skip: !existsSync(CHROMIUM) && 'no chromium' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'floe-pages-'));
  const shots = join(dirname(FLOE), 'artifacts', 'pages');
  mkdirSync(shots, { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const up = spawn(FLOE, ['up', '--data', join(dir, 'd'), '--listen', `127.0.0.1:${port}`,
    '--kafka-listen', '127.0.0.1:0'], { stdio: 'ignore' });
  let browser;
  try {
    await waitUp(base);
    for (let i = 0; i < 2; i++)
      for (const [k, c] of CITIES.entries())
        assert.equal((await fetch(`${base}/log?city=${encodeURIComponent(c)}&temperature=${50 + k + i * 3}.5`)).status, 200);
    // a record the pipelines refuse (no city): the console's dead letters show why
    assert.equal((await fetch(`${base}/topics/weather`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ temperature: '5', ts: '2026-01-08-14' }) })).status, 200);
    await until('10 cities in /api/weather', async () => {
      const r = await (await fetch(base + '/api/weather')).json();
      return r.cities.length === 10 && Object.values(r.data).every((p) => p.length > 0);
    }, 15000);

    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--window-size=1280,1000'] });
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1000 });
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    // leaving the dashboard aborts its open event stream: not a failure
    page.on('requestfailed', (r) => {
      if (!(r.url().endsWith('/api/weather/stream') && r.failure().errorText === 'net::ERR_ABORTED'))
        errors.push('request failed: ' + r.url());
    });
    page.on('response', (r) => { if (r.status() >= 400) errors.push(r.status() + ' ' + r.url()); });

    // / is the dashboard when the weather scenario runs
    await page.goto(base + '/', { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelectorAll('.card canvas').length === 10, { timeout: 15000 });
    assert.equal(await page.$eval('h1', (h) => h.textContent), 'Real-time weather analytics');
    await page.goto(base + '/dashboard/weather', { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelectorAll('.card canvas').length === 10, { timeout: 15000 });
    assert.equal(await page.$$eval('.card canvas', (c) => c.length), 10);
    assert.equal(await page.$eval('#s-cities', (e) => e.textContent), '10');
    assert.notEqual(await page.$eval('#s-last', (e) => e.textContent), '-');
    // updates come by server-sent events (no key needed here)
    assert.equal(await page.evaluate(() => window.floeDashboard.transport), 'stream');

    // the charts' last points are weather_agg's newest rows (after a quiet second)
    await sleep(2500);
    const want = newestBySql(dir);
    assert.equal(Object.keys(want).length, 10);
    assertSamePoints(await chartsLast(page), want);
    await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });

    // a new reading shows within 3 s
    const before = (await chartsLast(page)).Denver[1];
    const t0 = Date.now();
    assert.equal((await fetch(`${base}/log?city=Denver&temperature=1000`)).status, 200);
    await until('the new Denver reading on the page', async () => (await chartsLast(page)).Denver[1] !== before, 3000);
    const shownMs = Date.now() - t0;
    assert.ok(shownMs <= 3000, `shown after ${shownMs} ms`);
    await sleep(1500);
    assertSamePoints({ Denver: (await chartsLast(page)).Denver }, { Denver: newestBySql(dir).Denver });
    await page.screenshot({ path: join(shots, 'dashboard-new-reading.png'), fullPage: true });

    // the console's tabs
    for (const tab of ['pipelines', 'topics', 'dlq', 'tables']) {
      await page.goto(`${base}/console#${tab}`, { waitUntil: 'load' });
      await page.waitForFunction((t) => document.body.dataset.loaded === t, { timeout: 15000 }, tab);
      await page.screenshot({ path: join(shots, `console-${tab}.png`), fullPage: true });
    }
    await page.goto(`${base}/console#pipelines`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.dataset.loaded === 'pipelines', { timeout: 15000 });
    const pipeText = await page.$eval('#pipelines', (e) => e.textContent);
    assert.match(pipeText, /weather_agg/);
    await page.goto(`${base}/console#topics`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.dataset.loaded === 'topics', { timeout: 15000 });
    assert.match(await page.$eval('#topics', (e) => e.textContent), /weather/);
    await page.goto(`${base}/console#dlq`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.dataset.loaded === 'dlq', { timeout: 15000 });
    assert.equal(await page.$eval('#dlq-topic', (s) => s.value), 'weather.dlq');
    assert.match(await page.$eval('#dlq', (e) => e.textContent), /required/);
    await page.goto(`${base}/console#tables`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.dataset.loaded === 'tables', { timeout: 15000 });
    assert.match(await page.$eval('#tables', (e) => e.textContent), /default\.weather_agg/);

    // the SQL box: a GROUP BY draws a bar chart and a table
    await page.goto(`${base}/console#sql`, { waitUntil: 'load' });
    await page.$eval('#sql-text', (t) => { t.value = 'SELECT city, count(*) AS readings FROM weather GROUP BY city ORDER BY city'; });
    await page.click('#sql-run');
    await page.waitForFunction(() => document.querySelector('#sql-chart').dataset.kind === 'bar' &&
      document.querySelector('#sql-chart canvas'), { timeout: 15000 });
    assert.equal(await page.$$eval('#sql-table tr', (r) => r.length), 11);
    await page.screenshot({ path: join(shots, 'console-sql-bar.png'), fullPage: true });
    // a time column first draws lines
    await page.$eval('#sql-text', (t) => { t.value = 'SELECT window_start, avg(avg_temperature) FROM weather_agg GROUP BY window_start'; });
    await page.click('#sql-run');
    await page.waitForFunction(() => document.querySelector('#sql-chart').dataset.kind === 'line', { timeout: 15000 });
    await page.screenshot({ path: join(shots, 'console-sql-line.png'), fullPage: true });

    assert.deepEqual(errors, []);
  } finally {
    await stop(browser, up, dir);
  }
});

test('with auth: the dashboard asks for a key, then draws', { skip: !existsSync(CHROMIUM) && 'no chromium' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'floe-pages-auth-'));
  const rk = 'read-' + process.pid + '-' + Date.now(), wk = 'write-' + process.pid + '-' + Date.now();
  const hash = (k) => execFileSync(FLOE, ['auth', 'hash'], { input: k, encoding: 'utf8' }).trim();
  writeFileSync(join(dir, 'floe.yaml'), `auth:\n  keys:\n    - {name: reader, hash: "${hash(rk)}", role: read}\n` +
    `    - {name: writer, hash: "${hash(wk)}", role: write}\n`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const up = spawn(FLOE, ['up', '--data', join(dir, 'd'), '--listen', `127.0.0.1:${port}`,
    '--kafka-listen', '127.0.0.1:0', '-c', join(dir, 'floe.yaml')], { stdio: 'ignore' });
  let browser;
  try {
    await waitUp(base);
    for (const [k, c] of CITIES.entries())
      assert.equal((await fetch(`${base}/log?city=${encodeURIComponent(c)}&temperature=${50 + k}.5`,
        { headers: { 'X-API-Key': wk } })).status, 200);
    assert.equal((await fetch(base + '/api/weather')).status, 401);
    await until('10 cities in /api/weather', async () => {
      const r = await (await fetch(base + '/api/weather', { headers: { 'X-API-Key': rk } })).json();
      return r.cities.length === 10 && Object.values(r.data).every((p) => p.length > 0);
    }, 15000);

    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'] });
    const page = await browser.newPage();
    const errors = [], urls = [];
    let dialogs = 0;
    page.on('dialog', (d) => { dialogs++; d.dismiss(); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => urls.push(r.url()));
    page.on('response', (r) => { if (r.status() >= 400 && r.status() !== 401) errors.push(r.status() + ' ' + r.url()); });
    await page.goto(base + '/dashboard/weather', { waitUntil: 'load' });
    await page.waitForSelector('#key-form #api-key', { timeout: 15000 });
    assert.equal(await page.$$eval('.card canvas', (c) => c.length), 0);
    await page.type('#api-key', rk);
    await page.click('#key-form button');
    await page.waitForFunction(() => document.querySelectorAll('.card canvas').length === 10, { timeout: 15000 });
    assert.equal(await page.$('#key-form'), null);
    // EventSource cannot send the key: the page fell back to polling
    assert.equal(await page.evaluate(() => window.floeDashboard.transport), 'poll');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('floe.apiKey')), rk);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    // the key stays for the tab: the console reads /status without asking again
    await page.goto(`${base}/console#pipelines`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.dataset.loaded === 'pipelines', { timeout: 15000 });
    assert.equal(await page.$('#key-form'), null);
    assert.equal(dialogs, 0);
    assert.ok(urls.every((u) => !u.includes(rk)), 'no key in a URL');
    assert.deepEqual(errors, []);
  } finally {
    await stop(browser, up, dir);
  }
});
