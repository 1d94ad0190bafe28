/*
 * maint_live_icebird.test.mjs - compaction and expiry again and again
 * beside live pipelines, as another engine sees the tables (issue 11,
 * "Correctness beside live pipelines").
 *
 * `floe up` runs the exactly-once test's pipelines at commit_interval_ms
 * 100 (tests/e2e/exactly_produce.py: xo_events appended, xo_accounts
 * upserted by uuid with position deletes, xo_ratings through map steps),
 * its own maintenance off. In ROUNDS rounds the test runs `floe table
 * compact` and then `floe table expire --older-than TS --retain-last 1`
 * (TS the middle commit time of the snapshots last read, so that about
 * half of them go) from the shell, against the same warehouse and SQLite
 * catalog, on both xo_events and xo_accounts. Each step runs while a producer burst is
 * being committed (the producer starts shortly before the step and goes
 * on after it). Before the first step and after each one, once the
 * pipelines have caught up, icebird (hyparam's Iceberg reader, not
 * floe) reads every retained snapshot of both tables over HTTP; every
 * snapshot retained across a step must read exactly the same multiset of
 * rows after it as before. At the end, floe stopped, exactly_check.py
 * holds: every acknowledged record once in its table, one row per uuid
 * with the last acknowledged value, dead letters as they should be.
 * The two tables merge manifests from 4 on (commit.manifest.min-count-
 * to-merge): icebird reads every manifest of a snapshot, and at 10
 * commits a second the default of 100 makes each read grow round by
 * round (about 4 minutes for the run instead of under one).
 * Env: FLOE_BIN, FLOE_SRC; ROUNDS (default 5); VERBOSE=1 prints each
 * step's time and the snapshots retained; KEEP=1 keeps the folder.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { icebergMetadata } from 'icebird';
import { bagDiff, floeOk, icebirdSnapshotRows, serveWarehouse } from './iceberg_util.mjs';
import { FLOE_BIN, tmpDir } from './parquet_util.mjs';

const SRC = process.env.FLOE_SRC || path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const E2E = path.join(SRC, 'tests', 'e2e');
const ROUNDS = Number(process.env.ROUNDS || 5);
const BURST_S = 1; /* each producer burst */
const LEAD_MS = 300; /* the burst's head start on the step */

/* table -> the columns whose values make a row's text */
const TABLES = {
  xo_events: ['id', 'n', 'status', '_kafka_partition', '_kafka_offset'],
  xo_accounts: ['uuid', 'rid', 'balance', 'status', '_kafka_partition', '_kafka_offset'],
};

const YAML = `topics:
  - {name: xo_events, partitions: 3, sync: always}
  - {name: xo_accounts, partitions: 2, sync: always}
  - {name: xo_ratings, partitions: 1, sync: always}
maintenance: {enabled: false}
tables:
  - name: xo_events
    schema:
      - {name: id, type: string}
      - {name: n, type: long}
      - {name: status, type: string}
      - {name: _kafka_partition, type: int}
      - {name: _kafka_offset, type: long}
    partition: ['bucket(2, id)']
    properties: {commit.manifest.min-count-to-merge: '4'}
  - name: xo_accounts
    schema:
      - {name: uuid, type: string, required: true}
      - {name: rid, type: string}
      - {name: balance, type: long}
      - {name: status, type: string}
      - {name: _kafka_partition, type: int}
      - {name: _kafka_offset, type: long}
    identifier: [uuid]
    properties: {commit.manifest.min-count-to-merge: '4'}
  - name: xo_ratings
    schema:
      - {name: id, type: string}
      - {name: customer_id, type: int}
      - {name: rating_value, type: float}
      - {name: timestamp, type: timestamp}
      - {name: processed_timestamp, type: timestamptz}
      - {name: src_topic, type: string}
      - {name: src_offset, type: long}
    partition: [day(timestamp)]
pipelines:
  - {name: events, topic: xo_events, table: default.xo_events, commit_interval_ms: 100,
     required: [id, n], allowed: {status: [ok, warn]}}
  - {name: accounts, topic: xo_accounts, table: default.xo_accounts, commit_interval_ms: 100,
     allowed: {status: [active, closed]}}
  - name: ratings
    topic: xo_ratings
    table: default.xo_ratings
    commit_interval_ms: 100
    required: [id, customer_id]
    map:
      - rename: {from: rid, to: id}
      - cast: rating_value
      - cast: timestamp
      - derive: {column: processed_timestamp, from: now}
      - derive: {column: src_topic, from: topic}
      - derive: {column: src_offset, from: offset}
`;

let tmp, data, wh, acks, port, up, upExit, server;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
  });
}

async function status() {
  const r = await fetch(`http://127.0.0.1:${port}/status`);
  if (!r.ok) throw new Error(`GET /status: ${r.status}`);
  return r.json();
}

/* until every pipeline has committed all the log holds */
async function caughtUp() {
  for (let i = 0; i < 240; i++) {
    const p = (await status()).pipelines;
    if (p.length === 3 && p.every((x) => x.lag === 0)) return;
    await sleep(250);
  }
  throw new Error('the pipelines did not catch up in 60 s');
}

/* exactly_produce.py for `seconds`, appending what floe acknowledged to acks */
function produce(round, seconds) {
  const child = spawn('python3', [path.join(E2E, 'exactly_produce.py'), String(port), round, acks, String(seconds)],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => (code === 0 && !err ? resolve() : reject(new Error(`producer ${round} exited ${code}: ${err}`))));
  });
}

const tableCli = (...a) => floeOk(['table', '--warehouse', `file://${wh}`, '--catalog', `sqlite://${data}/catalog.db`, ...a]);

before(async () => {
  tmp = tmpDir('floe-maint-live-');
  data = path.join(tmp, 'd');
  wh = path.join(data, 'warehouse');
  acks = path.join(tmp, 'acks');
  fs.writeFileSync(acks, '');
  fs.writeFileSync(path.join(tmp, 'xo.yaml'), YAML);
  port = await freePort();
  const log = fs.openSync(path.join(tmp, 'up.log'), 'a');
  up = spawn(FLOE_BIN, ['up', '-c', path.join(tmp, 'xo.yaml'), '--data', data, '--listen', `127.0.0.1:${port}`, '--kafka-listen', '127.0.0.1:0'],
    { stdio: ['ignore', log, log] });
  upExit = new Promise((resolve) => up.on('exit', (code, signal) => resolve({ code, signal })));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break;
    } catch { /* not listening yet */ }
    if (i > 100) throw new Error(`floe up did not start:\n${fs.readFileSync(path.join(tmp, 'up.log'), 'utf8')}`);
    await sleep(100);
  }
  server = await serveWarehouse(wh);
});

after(async () => {
  if (server) await server.stop();
  if (up && up.exitCode === null && up.signalCode === null) {
    up.kill('SIGKILL');
    await upExit;
  }
  if (tmp && !process.env.KEEP) fs.rmSync(tmp, { recursive: true, force: true });
});

/* Every snapshot of table the current metadata retains, read by icebird:
 * Map manifest list -> {rows (sorted row texts), ts, op}. */
async function readRetained(table) {
  const tableUrl = `${server.url}/default/${table}`;
  const meta = await icebergMetadata({ tableUrl });
  const cols = TABLES[table];
  const out = new Map();
  for (const s of meta.snapshots) {
    const rows = (await icebirdSnapshotRows(tableUrl, meta, s['manifest-list']))
      .map((r) => cols.map((c) => String(r[c])).join('|')).sort();
    out.set(s['manifest-list'], { rows, ts: s['timestamp-ms'], op: s.summary?.operation });
  }
  return out;
}

/* The middle commit time of the snapshots read: expiring what is older
 * than it leaves about half of them retained across the step. */
function median(snapMap) {
  const ts = [...snapMap.values()].map((s) => s.ts).sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

/* Compares the snapshots retained across a step; returns how many. */
function sameRows(table, step, beforeSnaps, afterSnaps) {
  let n = 0;
  for (const [list, a] of afterSnaps) {
    const b = beforeSnaps.get(list);
    if (!b) continue;
    assert.equal(a.rows.join('\n'), b.rows.join('\n'),
      `${table}: after ${step}, snapshot ${path.basename(list)} reads other rows:\n${bagDiff(a.rows, b.rows)}`);
    n++;
  }
  return n;
}

test('compaction and expiry again and again beside live pipelines: every retained snapshot reads the same through icebird', async () => {
  await produce('m', 1); /* snapshots to start from */
  await caughtUp();
  let snaps = {};
  for (const t of Object.keys(TABLES)) snaps[t] = await readRetained(t);
  const tally = { compared: 0, read: 0, compacted: 0, expired: 0, during: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    for (const step of ['compact', 'expire']) {
      const burst = produce(`m${round}${step[0]}`, BURST_S);
      await sleep(LEAD_MS);
      const t0 = Date.now();
      for (const t of Object.keys(TABLES)) {
        const out = step === 'compact'
          ? tableCli('compact', `default.${t}`).stdout
          : tableCli('expire', `default.${t}`, '--older-than', String(median(snaps[t])), '--retain-last', '1').stdout;
        const c = /compacted (\d+) data/.exec(out), e = /expired (\d+) snapshots/.exec(out);
        if (c) tally.compacted += Number(c[1]);
        if (e) tally.expired += Number(e[1]);
        assert.ok(c || e || /nothing to compact/.test(out), `${step} ${t}: ${out}`);
      }
      const t1 = Date.now();
      await burst;
      await caughtUp();
      const next = {};
      for (const t of Object.keys(TABLES)) {
        next[t] = await readRetained(t);
        const n = sameRows(t, `${step} in round ${round}`, snaps[t], next[t]);
        assert.ok(n > 0, `${t}: no snapshot retained across ${step} in round ${round}`);
        tally.compared += n;
        tally.read += next[t].size;
        /* pipeline commits that landed while the step ran */
        for (const s of next[t].values())
          if (s.ts >= t0 && s.ts <= t1 && s.op !== 'replace') tally.during++;
      }
      if (process.env.VERBOSE)
        console.log(`round ${round} ${step}: step ${t1 - t0} ms, then ${Date.now() - t1} ms; retained`,
          Object.fromEntries(Object.entries(next).map(([t, m]) => [t, m.size])));
      snaps = next;
    }
  }
  console.log(`maint_live: ${ROUNDS} rounds: ${tally.read} snapshots read by icebird, ${tally.compared} compared across a step, `
    + `${tally.compacted} files compacted, ${tally.expired} snapshots expired, ${tally.during} pipeline commits during the steps`);
  assert.ok(tally.compacted > 0, 'compaction rewrote nothing');
  assert.ok(tally.expired > 0, 'expiry removed nothing');
  assert.ok(tally.during > 0, 'no pipeline commit landed while maintenance ran');
});

test('every acknowledged record once, one row per key with the last value (exactly_check.py)', async () => {
  await caughtUp();
  up.kill('SIGTERM');
  const { code } = await upExit;
  assert.equal(code, 0, fs.readFileSync(path.join(tmp, 'up.log'), 'utf8').slice(-3000));
  const log = fs.readFileSync(path.join(tmp, 'up.log'), 'utf8');
  assert.ok(!/ERROR: AddressSanitizer|runtime error:/.test(log), 'sanitizer report in floe up\'s log');
  const r = spawnSync('python3', [path.join(E2E, 'exactly_check.py'), FLOE_BIN, data, acks], { encoding: 'utf8' });
  assert.equal(r.status, 0, `exactly_check.py:\n${r.stdout}\n${r.stderr}`);
  console.log(r.stdout.trim());
});
