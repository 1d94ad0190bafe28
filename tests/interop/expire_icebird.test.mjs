/*
 * expire_icebird.test.mjs - snapshot expiry as another engine sees it:
 * icebird (npm, hyparam's Iceberg reader, which no one here wrote) reads
 * the current snapshot and every retained snapshot with the same rows
 * before and after `floe table expire`.
 *
 * floe builds a table with history worth expiring: 10 appends, a compact
 * (a replace snapshot: the small files become one, live only in the old
 * snapshots afterwards), a row-level delete (a position delete file),
 * and 3 more appends. For every snapshot, icebird's rows (the current
 * metadata with current-snapshot-id set to that snapshot, which icebird
 * then follows) must equal `floe table scan --snapshot ID`. Then `floe
 * table expire --older-than now --retain-last 4`: the 4 newest snapshots
 * stay, and for each of them icebird must read, from the new current
 * metadata file, the same rows as before; the files only expired
 * snapshots reached (the pre-compaction data files among them) are gone
 * from disk, and what the retained snapshots name is all there.
 * Then aged strays (a data file never committed, a lost manifest, an old
 * metadata file) go with `floe table clean-orphans --older-than 1d` and
 * icebird reads every retained snapshot the same again.
 * Snapshots are matched by manifest list: icebird parses the metadata
 * with JSON.parse, which rounds 64-bit ids.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { icebergMetadata } from 'icebird';
import {
  bagDiff, floeOk, icebirdSnapshotRows, JNum, ndjson, serveWarehouse, tableDir, writeSchema,
} from './iceberg_util.mjs';
import { tmpDir } from './parquet_util.mjs';

let tmp, wh, server;
const T = 'db.events';

before(async () => {
  tmp = tmpDir('floe-expire-');
  wh = path.join(tmp, 'wh');
  const schema = writeSchema(tmp, [['id', 'long', true], ['city', 'string']]);
  const ft = (...a) => floeOk(['table', '--warehouse', wh, ...a]);
  ft('create', T, '--schema', schema);
  let id = 0;
  const append = () => {
    const f = path.join(tmp, 'rows.ndjson');
    fs.writeFileSync(f, [0, 1, 2].map(() => { id++; return JSON.stringify({ id, city: `c${id % 4}` }); }).join('\n') + '\n');
    ft('append', T, f);
  };
  for (let i = 0; i < 10; i++) append();
  ft('compact', T);
  ft('delete', T, '--where', 'id = 5');
  for (let i = 0; i < 3; i++) append();
  server = await serveWarehouse(wh);
});

after(async () => {
  if (server) await server.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const tuple = (r) => `${r.id instanceof JNum ? r.id.text : String(r.id)}|${r.city}`;
const sorted = (a) => a.slice().sort();

/* manifest list -> {id, rows by floe, rows by icebird} for every snapshot of the current metadata */
async function readAll() {
  const tableUrl = `${server.url}/db/events`;
  const meta = await icebergMetadata({ tableUrl });
  const snaps = ndjson(floeOk(['table', '--warehouse', wh, 'snapshots', T]).stdout);
  const out = new Map();
  for (const s of snaps) {
    const id = s.snapshot_id instanceof JNum ? s.snapshot_id.text : String(s.snapshot_id);
    const floeRows = sorted(ndjson(floeOk(['table', '--warehouse', wh, 'scan', T, '--snapshot', id]).stdout).map(tuple));
    const ice = sorted((await icebirdSnapshotRows(tableUrl, meta, s.manifest_list)).map((r) => `${r.id}|${r.city}`));
    assert.equal(ice.join('\n'), floeRows.join('\n'), `snapshot ${id}: icebird != floe:\n${bagDiff(ice, floeRows)}`);
    out.set(s.manifest_list, { id, rows: floeRows });
  }
  const current = meta.snapshots.find((m) => m['snapshot-id'] === meta['current-snapshot-id']);
  return { snaps: out, current: current['manifest-list'] };
}

const files = (dir) => fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, f)).isFile()) : [];

test('icebird reads every retained snapshot with the same rows before and after expiry', async () => {
  const dir = tableDir(wh, T);
  const before = await readAll();
  assert.equal(before.snaps.size, 15);
  const dataBefore = files(path.join(dir, 'data')).length;

  const r = floeOk(['table', '--warehouse', wh, 'expire', T, '--older-than', 'now', '--retain-last', '4']);
  const m = /expired (\d+) snapshots \((\d+) kept\).*?(\d+) data files, (\d+) delete files/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(Number(m[1]), 11);
  assert.equal(Number(m[2]), 4);
  assert.ok(Number(m[3]) >= 10, `the pre-compaction files go: ${r.stdout}`);

  const after = await readAll();
  assert.equal(after.snaps.size, 4);
  assert.equal(after.current, before.current);
  for (const [list, { id, rows }] of after.snaps) {
    assert.ok(before.snaps.has(list), `snapshot ${id} is new`);
    assert.deepEqual(rows, before.snaps.get(list).rows, `snapshot ${id} reads other rows after expiry`);
  }
  assert.equal(after.snaps.get(after.current).rows.length, 38); /* 39 appended, 1 deleted */
  assert.ok(files(path.join(dir, 'data')).length < dataBefore);
  /* every file a retained snapshot names is there */
  const names = floeOk(['table', '--warehouse', wh, 'files', T]).stdout;
  for (const p of names.match(/file:\/\/[^"]+/g) || []) assert.ok(fs.existsSync(fileURLToPath(p)), `${p} is gone`);
});

test('icebird reads every retained snapshot with the same rows after orphan cleanup', async () => {
  const dir = tableDir(wh, T);
  const before = await readAll();
  /* strays of a crash, ten days old, and every file of the table as old */
  const data = files(path.join(dir, 'data')).filter((f) => f.endsWith('.parquet'));
  fs.copyFileSync(path.join(dir, 'data', data[0]), path.join(dir, 'data', 'never-committed.parquet'));
  fs.writeFileSync(path.join(dir, 'metadata', '00000-00000000-0000-4000-8000-000000000000.metadata.json'), '{}');
  fs.writeFileSync(path.join(dir, 'metadata', 'lost-m0.avro'), 'x');
  const old = new Date(Date.now() - 10 * 86400e3);
  for (const f of files(dir)) fs.utimesSync(path.join(dir, f), old, old);

  const r = floeOk(['table', '--warehouse', wh, 'clean-orphans', T, '--older-than', '1d']);
  assert.match(r.stdout, /^table: deleted 3 files/, r.stdout);
  const after = await readAll();
  assert.equal(after.current, before.current);
  assert.equal(after.snaps.size, before.snaps.size);
  for (const [list, { id, rows }] of after.snaps)
    assert.deepEqual(rows, before.snaps.get(list).rows, `snapshot ${id} reads other rows after orphan cleanup`);
  const names = floeOk(['table', '--warehouse', wh, 'files', T]).stdout;
  for (const p of names.match(/file:\/\/[^"]+/g) || []) assert.ok(fs.existsSync(fileURLToPath(p)), `${p} is gone`);
});
