/*
 * compact_sort_duckdb.test.mjs - compaction under the table's sort order
 * as other tools see it: DuckDB (which no one here wrote) reads the
 * compacted data files in their row order, and avsc the manifests.
 *
 * floe builds a table partitioned by day(ts) from 36 shuffled one-row
 * appends (cities with nulls, over two days), sets its sort order with
 * `floe table alter T sort-by 'city desc nulls last' 'id'` and compacts.
 * Each live data file's manifest entry must carry the table's
 * default-sort-order-id as sort_order_id (field 140), and DuckDB's
 * read_parquet of each file, in file_row_number order, must give its
 * rows sorted by city descending (nulls last), then id; all files
 * together the same multiset of rows as before compaction.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { describeAvro } from './avro_check.mjs';
import { floeOk, ndjson, tableDir, writeSchema } from './iceberg_util.mjs';
import { qstr, rng, tmpDir } from './parquet_util.mjs';

let tmp, wh, compactOut;
const T = 'db.readings';
const N = 36;
const local = (p) => fileURLToPath(p);
const CITIES = ['Oslo', 'Rome', null, 'Lima', 'Kyiv', 'Oslo'];

const rowOf = (id) => ({
  id,
  city: CITIES[id % CITIES.length],
  ts: `2026-01-0${1 + (id % 2)}T${String(id % 24).padStart(2, '0')}:00:00`,
});
const key = (r) => `${r.id}|${r.city}`;

before(() => {
  tmp = tmpDir('floe-compact-sort-');
  wh = path.join(tmp, 'wh');
  const schema = writeSchema(tmp, [['id', 'long', true], ['city', 'string'], ['ts', 'timestamp', true]]);
  const ft = (...a) => floeOk(['table', '--warehouse', wh, ...a]);
  ft('create', T, '--schema', schema, '--partition', 'day(ts)');
  const ids = Array.from({ length: N }, (_, i) => i + 1);
  const r = rng(7);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  const f = path.join(tmp, 'row.ndjson');
  for (const id of ids) {
    fs.writeFileSync(f, JSON.stringify(rowOf(id)) + '\n');
    ft('append', T, f);
  }
  ft('alter', T, 'sort-by', 'city desc nulls last', 'id');
  compactOut = ft('compact', T).stdout;
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/* city descending with nulls last, then id ascending */
function inOrder(a, b) {
  if (a.city !== b.city) {
    if (a.city === null) return 1;
    if (b.city === null) return -1;
    return a.city < b.city ? 1 : -1;
  }
  return a.id - b.id;
}

function currentMeta() {
  const dir = path.join(tableDir(wh, T), 'metadata');
  const v = fs.readFileSync(path.join(dir, 'version-hint.text'), 'utf8').trim();
  return JSON.parse(fs.readFileSync(path.join(dir, `v${v}.metadata.json`), 'utf8')
    .replace(/("(?:current-)?snapshot-id"|"parent-snapshot-id"):\s*(\d+)/g, '$1:"$2"'));
}

test('floe compacted each day under the sort order', () => {
  assert.match(compactOut, /sorted by the table's sort order 1/);
  assert.match(compactOut, new RegExp(`compacted ${N} data and 0 delete files into 2 files in 2 groups`));
  const meta = currentMeta();
  assert.equal(meta['default-sort-order-id'], 1);
  const order = meta['sort-orders'].find((o) => o['order-id'] === 1);
  assert.deepEqual(order.fields.map((f) => [f.transform, f['source-id'], f.direction, f['null-order']]),
    [['identity', 2, 'desc', 'nulls-last'], ['identity', 1, 'asc', 'nulls-first']]);
});

test('DuckDB reads every compacted file in the sort order, sort_order_id in the manifests', async () => {
  const meta = currentMeta();
  const cur = meta.snapshots.find((s) => s['snapshot-id'] === meta['current-snapshot-id']);
  const data = [];
  for (const mf of (await describeAvro(local(cur['manifest-list']))).records)
    for (const e of (await describeAvro(local(mf.manifest_path))).records) {
      if (e.status === 2) continue;
      assert.equal(e.data_file.content, 0);
      assert.equal(Number(e.data_file.sort_order_id), 1, `${e.data_file.file_path} has no sort_order_id 1`);
      data.push(local(e.data_file.file_path));
    }
  assert.equal(data.length, 2);
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const all = [];
  for (const f of data) {
    const rows = (await con.runAndReadAll(
      `SELECT id, city FROM read_parquet(${qstr(f)}, file_row_number = true) ORDER BY file_row_number`))
      .getRows().map(([id, city]) => ({ id: Number(id), city }));
    assert.ok(rows.length > 10, `${f}: ${rows.length} rows`);
    const want = rows.slice().sort(inOrder);
    assert.deepEqual(rows.map(key), want.map(key), `${f} is not in the sort order`);
    all.push(...rows);
  }
  con.closeSync?.();
  const scanned = ndjson(floeOk(['table', '--warehouse', wh, 'scan', T]).stdout)
    .map((r) => `${r.id.text}|${r.city}`).sort();
  assert.deepEqual(all.map(key).sort(), scanned);
  assert.deepEqual(scanned, Array.from({ length: N }, (_, i) => key(rowOf(i + 1))).sort());
});
