/*
 * compact_icebird.test.mjs - another engine's view of a compacted table:
 * icebird (not floe) reads every snapshot, and DuckDB the data files the
 * current manifests list, with the same rows as floe.
 *
 * floe builds a table partitioned by city from 40 one-row appends over 2
 * cities and a row-level delete (a position delete file), then `floe
 * table compact`: one replace snapshot per partition, the delete applied
 * and its file removed. icebird must read the current snapshot and every
 * older one exactly as `floe table scan --snapshot ID` does; DuckDB's
 * read_parquet over the live data files the manifests (read with avsc)
 * list must give the same count and sum as before compaction.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { icebergMetadata } from 'icebird';
import { describeAvro } from './avro_check.mjs';
import { bagDiff, floeOk, icebirdSnapshotRows, JNum, ndjson, serveWarehouse, writeSchema } from './iceberg_util.mjs';
import { qstr, tmpDir } from './parquet_util.mjs';

let tmp, wh, server, compactOut;
const T = 'db.events';
const local = (p) => fileURLToPath(p);

before(async () => {
  tmp = tmpDir('floe-compact-');
  wh = path.join(tmp, 'wh');
  const schema = writeSchema(tmp, [['id', 'long', true], ['city', 'string']]);
  const ft = (...a) => floeOk(['table', '--warehouse', wh, ...a]);
  ft('create', T, '--schema', schema, '--partition', 'city');
  const f = path.join(tmp, 'rows.ndjson');
  for (let id = 1; id <= 40; id++) {
    fs.writeFileSync(f, JSON.stringify({ id, city: id % 2 ? 'Rome' : 'Oslo' }) + '\n');
    ft('append', T, f);
  }
  ft('delete', T, '--where', 'id = 5');
  compactOut = ft('compact', T).stdout;
  server = await serveWarehouse(wh);
});

after(async () => {
  if (server) await server.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const tuple = (r) => `${r.id instanceof JNum ? r.id.text : String(r.id)}|${r.city}`;
const sorted = (a) => a.slice().sort();

test('floe compacted into one replace snapshot per partition', () => {
  assert.match(compactOut, /compacted 40 data and 1 delete files into 2 files in 2 groups/);
});

test('icebird reads the compacted table and every older snapshot as floe does', async () => {
  const tableUrl = `${server.url}/db/events`;
  const meta = await icebergMetadata({ tableUrl });
  const snaps = ndjson(floeOk(['table', '--warehouse', wh, 'snapshots', T]).stdout);
  assert.equal(snaps.length, 43); /* 40 appends, a delete, 2 replaces */
  let current;
  for (const s of snaps) {
    const id = s.snapshot_id instanceof JNum ? s.snapshot_id.text : String(s.snapshot_id);
    const floeRows = sorted(ndjson(floeOk(['table', '--warehouse', wh, 'scan', T, '--snapshot', id]).stdout).map(tuple));
    const ice = sorted((await icebirdSnapshotRows(tableUrl, meta, s.manifest_list)).map((r) => `${r.id}|${r.city}`));
    assert.equal(ice.join('\n'), floeRows.join('\n'), `snapshot ${id}: icebird != floe:\n${bagDiff(ice, floeRows)}`);
    current = floeRows;
  }
  assert.equal(current.length, 39);
  assert.ok(!current.includes('5|Rome'));
});

test('DuckDB reads the data files the manifests list: the same rows', async () => {
  const meta = JSON.parse(fs.readFileSync(path.join(wh, 'db/events/metadata',
    `v${fs.readFileSync(path.join(wh, 'db/events/metadata/version-hint.text'), 'utf8').trim()}.metadata.json`), 'utf8')
    .replace(/("(?:current-)?snapshot-id"|"parent-snapshot-id"):\s*(\d+)/g, '$1:"$2"'));
  const cur = meta.snapshots.find((s) => s['snapshot-id'] === meta['current-snapshot-id']);
  const data = [], deletes = [];
  for (const mf of (await describeAvro(local(cur['manifest-list']))).records)
    for (const e of (await describeAvro(local(mf.manifest_path))).records)
      if (e.status !== 2) (e.data_file.content === 0 ? data : deletes).push(local(e.data_file.file_path));
  assert.equal(data.length, 2);
  assert.equal(deletes.length, 0);
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const rows = (await con.runAndReadAll(
    `SELECT count(*), sum(id), count(DISTINCT city) FROM read_parquet([${data.map(qstr).join(', ')}])`)).getRows();
  assert.equal(Number(rows[0][0]), 39);
  assert.equal(Number(rows[0][1]), (40 * 41) / 2 - 5);
  assert.equal(Number(rows[0][2]), 2);
  con.closeSync?.();
});
