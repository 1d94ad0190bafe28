/*
 * iceberg_merge.test.mjs - a table whose manifests floe merged on commit
 * (commit.manifest.min-count-to-merge = 3, five appends: the third and
 * the fifth merge) read by readers no one here wrote:
 *
 *  - avsc reads the current manifest list (one data manifest: added 1,
 *    existing 4, sequence number 5, min sequence number 1) and the merged
 *    manifest: the fifth append's entry ADDED with inherited (null)
 *    sequence numbers, the four older entries EXISTING with the snapshot
 *    id and the sequence numbers of the commit that added them;
 *  - DuckDB reads the data files the merged manifest lists: the exact
 *    row count of all five appends;
 *  - icebird reads the current table and every older version (before
 *    and after each merge) with exact row counts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { icebergRead } from 'icebird';
import { describeAvro } from './avro_check.mjs';
import { floeOk, parseJsonExact, serveWarehouse, tableDir, writeSchema } from './iceberg_util.mjs';
import { qstr, tmpDir } from './parquet_util.mjs';

const ROWS = 7; /* rows per append, each append a day of its own */
const APPENDS = 5;
let tmp, wh, dir, server;
const snaps = []; /* snapshot id (text) of append i */

before(async () => {
  tmp = tmpDir('floe-merge-');
  wh = path.join(tmp, 'wh');
  const schema = writeSchema(tmp, [['city', 'string'], ['temperature', 'double'], ['ts', 'timestamp']]);
  floeOk(['table', '--warehouse', wh, 'create', 'm.weather', '--schema', schema, '--partition', 'day(ts)',
    '--property', 'commit.manifest.min-count-to-merge=3']);
  for (let a = 0; a < APPENDS; a++) {
    const f = path.join(tmp, `${a}.ndjson`);
    const lines = [];
    for (let r = 0; r < ROWS; r++)
      lines.push(JSON.stringify({ city: `c${r}`, temperature: a * 10 + r, ts: `2024-03-0${a + 1}T0${r}:00:00` }));
    fs.writeFileSync(f, lines.join('\n') + '\n');
    const out = floeOk(['table', '--warehouse', wh, 'append', 'm.weather', f]).stdout;
    snaps.push(/in snapshot (-?\d+)/.exec(out)[1]);
  }
  dir = tableDir(wh, 'm.weather');
  server = await serveWarehouse(wh);
});

after(async () => {
  if (server) await server.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const local = (uri) => fileURLToPath(uri);
const metaOf = (v) => parseJsonExact(fs.readFileSync(path.join(dir, 'metadata', `v${v}.metadata.json`), 'utf8'));

describe('readers of a table with merged manifests', () => {
  test('avsc: the merged manifest keeps snapshot ids and sequence numbers', async () => {
    const meta = metaOf(APPENDS + 1);
    const cur = meta.snapshots.find((s) => s['snapshot-id'].text === meta['current-snapshot-id'].text);
    assert.equal(cur['snapshot-id'].text, snaps[APPENDS - 1]);
    const list = await describeAvro(local(cur['manifest-list']));
    assert.equal(list.count, 1, 'one manifest after the merge');
    const mf = list.records[0];
    assert.equal(mf.added_files_count, 1);
    assert.equal(mf.existing_files_count, APPENDS - 1);
    assert.equal(mf.deleted_files_count, 0);
    assert.equal(mf.added_rows_count, BigInt(ROWS));
    assert.equal(mf.existing_rows_count, BigInt(ROWS * (APPENDS - 1)));
    assert.equal(mf.sequence_number, BigInt(APPENDS));
    assert.equal(mf.min_sequence_number, 1n);
    assert.equal(String(mf.added_snapshot_id), snaps[APPENDS - 1]);
    const m = await describeAvro(local(mf.manifest_path));
    assert.equal(m.meta.content, 'data');
    assert.equal(m.count, APPENDS);
    for (const e of m.records) {
      const a = snaps.indexOf(String(e.snapshot_id));
      assert.ok(a >= 0, `entry of an unknown snapshot ${e.snapshot_id}`);
      if (a === APPENDS - 1) {
        assert.equal(e.status, 1, 'this commit\'s file stays ADDED');
        assert.equal(e.sequence_number, null, 'and inherits its sequence number');
      } else {
        assert.equal(e.status, 0, 'older files become EXISTING');
        assert.equal(e.sequence_number, BigInt(a + 1), 'with the sequence number that added them');
        assert.equal(e.file_sequence_number, BigInt(a + 1));
      }
      assert.equal(e.data_file.record_count, BigInt(ROWS));
    }
  });

  test('DuckDB reads the files of the merged manifest: exact row count', async () => {
    const meta = metaOf(APPENDS + 1);
    const cur = meta.snapshots.find((s) => s['snapshot-id'].text === meta['current-snapshot-id'].text);
    const list = await describeAvro(local(cur['manifest-list']));
    const files = [];
    for (const mf of list.records)
      for (const e of (await describeAvro(local(mf.manifest_path))).records)
        if (e.status !== 2) files.push(local(e.data_file.file_path));
    assert.equal(files.length, APPENDS);
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    const rows = (await con.runAndReadAll(
      `SELECT count(*), sum(temperature) FROM read_parquet([${files.map(qstr).join(', ')}])`)).getRows();
    assert.equal(Number(rows[0][0]), ROWS * APPENDS);
    let sum = 0;
    for (let a = 0; a < APPENDS; a++) for (let r = 0; r < ROWS; r++) sum += a * 10 + r;
    assert.equal(Number(rows[0][1]), sum);
    con.closeSync?.();
  });

  test('icebird reads every version, before and after each merge: exact row counts', async () => {
    const tableUrl = `${server.url}/m/weather`;
    for (let v = 2; v <= APPENDS + 1; v++) {
      const rows = await icebergRead({ tableUrl, metadataFileName: `v${v}.metadata.json` });
      assert.equal(rows.length, ROWS * (v - 1), `v${v}.metadata.json`);
    }
    const scan = floeOk(['table', '--warehouse', wh, 'scan', 'm.weather']).stdout.split('\n').filter(Boolean);
    assert.equal(scan.length, ROWS * APPENDS);
  });
});
