/*
 * iceberg_nested.test.mjs - a floe table with struct, list and map
 * columns (a Debezium-style envelope, a geo struct, tags, a string-keyed
 * and an int-keyed map, a list of lists, a list of structs; nulls and
 * empties at every level), written from NDJSON by `floe table append`
 * (and by `floe parquet write --page-version 2` for v2 pages), read back
 * by tools no one here wrote:
 *
 * - DuckDB's read_parquet on every data file: the same values (to_json),
 *   and parquet_schema() shows the standard 3-level LIST/MAP layout with
 *   the Iceberg field ids on every element, key and value;
 * - icebird (hyparquet) reading the table over HTTP: the same rows;
 * - floe itself: `floe sql` shows the same values as JSON text.
 *
 * Values are compared as canonical JSON (object keys sorted, numbers as
 * their decimal text, 64-bit integers exact).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { icebergRead } from 'icebird';
import { floeOk, mapFetch, startHttpServer, tableDir } from './iceberg_util.mjs';
import { tmpDir } from './parquet_util.mjs';

const SCHEMA = {
  type: 'struct', 'schema-id': 0, fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'geo', required: false, type: { type: 'struct', fields: [
      { id: 5, name: 'lat', required: true, type: 'double' },
      { id: 6, name: 'lon', required: false, type: 'double' }] } },
    { id: 3, name: 'tags', required: false, type: { type: 'list', 'element-id': 7, element: 'string', 'element-required': false } },
    { id: 4, name: 'attrs', required: false, type: { type: 'map', 'key-id': 8, key: 'string', 'value-id': 9, value: 'long', 'value-required': false } },
    { id: 10, name: 'matrix', required: false, type: { type: 'list', 'element-id': 11, element: {
      type: 'list', 'element-id': 12, element: 'int', 'element-required': true }, 'element-required': false } },
    { id: 13, name: 'after', required: false, type: { type: 'struct', fields: [
      { id: 14, name: 'name', required: false, type: 'string' },
      { id: 16, name: 'items', required: false, type: { type: 'list', 'element-id': 17, element: { type: 'struct', fields: [
        { id: 18, name: 'sku', required: true, type: 'string' },
        { id: 19, name: 'qty', required: false, type: 'int' }] }, 'element-required': true } }] } },
    { id: 20, name: 'imap', required: false, type: { type: 'map', 'key-id': 21, key: 'int', 'value-id': 22, value: 'string', 'value-required': false } },
  ],
};

/* rows as appended; `want` is the value every reader must show (absent keys are null) */
const ROWS = [
  { id: 1, geo: { lat: 52.5, lon: 13.25 }, tags: ['a', 'b'], attrs: { x: 1, y: null }, matrix: [[1, 2], [], null, [3]],
    after: { name: 'n1', items: [{ sku: 's1', qty: 2 }, { sku: 's2' }] }, imap: [{ key: 1, value: 'one' }, { key: 2 }], op: 'c', source: { db: 'shop' } },
  { id: 2, geo: null, tags: [], attrs: {}, matrix: [], after: { items: [] }, imap: { 3: 'three' } },
  { id: 3 },
  { id: 4, geo: { lat: -1.5 }, tags: [null, 'c'], after: { name: null, items: null } },
  { id: 9007199254740993, tags: ['é', 'quote"d'], attrs: { k: -9007199254740993 } },
];
const WANT = [
  { id: 1, geo: { lat: 52.5, lon: 13.25 }, tags: ['a', 'b'], attrs: { x: 1, y: null }, matrix: [[1, 2], [], null, [3]],
    after: { name: 'n1', items: [{ sku: 's1', qty: 2 }, { sku: 's2', qty: null }] }, imap: [{ key: 1, value: 'one' }, { key: 2, value: null }] },
  { id: 2, geo: null, tags: [], attrs: {}, matrix: [], after: { name: null, items: [] }, imap: [{ key: 3, value: 'three' }] },
  { id: 3, geo: null, tags: null, attrs: null, matrix: null, after: null, imap: null },
  { id: 4, geo: { lat: -1.5, lon: null }, tags: [null, 'c'], attrs: null, matrix: null, after: { name: null, items: null }, imap: null },
  { id: '9007199254740993', geo: null, tags: ['é', 'quote"d'], attrs: { k: '-9007199254740993' }, matrix: null, after: null, imap: null },
];
const MAPS = new Set(['attrs', 'imap']);

/* A value in canonical form: maps as sorted [key, value] pairs, objects
 * with sorted keys, integers beyond 2^53 as decimal strings. */
function canon(v, isMap = false) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (isMap) {
    let pairs;
    if (v instanceof Map) pairs = [...v.entries()];
    else if (Array.isArray(v)) pairs = v.map((e) => [e.key, e.value]);
    else pairs = Object.entries(v);
    return pairs.map(([k, x]) => [canonKey(k), canon(x)]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  }
  if (Array.isArray(v)) return v.map((x) => canon(x));
  if (typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) o[k] = canon(v[k]);
    return o;
  }
  return v;
}
const canonKey = (k) => (typeof k === 'bigint' ? Number(k) : /^-?\d+$/.test(String(k)) && typeof k !== 'string' ? Number(k) : k);

function canonRow(o) {
  const r = {};
  for (const f of SCHEMA.fields) r[f.name] = canon(o[f.name], MAPS.has(f.name));
  if (typeof r.id === 'number' && !Number.isSafeInteger(r.id)) r.id = String(r.id);
  return r;
}

/* imap keys are ints: DuckDB's to_json prints them as object keys (text) */
function fixIntKeys(r) {
  if (r.imap) r.imap = r.imap.map(([k, v]) => [Number(k), v]).sort((a, b) => a[0] - b[0]);
  return r;
}

const wantRows = WANT.map((o) => fixIntKeys(canonRow(o)));
const byId = (a, b) => String(a.id).localeCompare(String(b.id));

/* JSON.parse keeping integers beyond 2^53 exact (as strings) */
function parseBig(text) {
  return JSON.parse(text.replace(/([:\[,])(-?\d{16,})(?=[,\]}])/g, '$1"$2"'));
}

let tmp, wh, server, restore;
const TABLES = ['db.nested'];
let v2file;

before(async () => {
  tmp = tmpDir('floe-nested-');
  wh = path.join(tmp, 'wh');
  const schemaFile = path.join(tmp, 'schema.json');
  fs.writeFileSync(schemaFile, JSON.stringify(SCHEMA));
  const input = path.join(tmp, 'rows.ndjson');
  fs.writeFileSync(input, ROWS.map((r) => JSON.stringify(r).replaceAll('9007199254740992', '9007199254740993')).join('\n') + '\n');
  for (const t of TABLES) {
    floeOk(['table', '--warehouse', wh, 'create', t, '--schema', schemaFile]);
    floeOk(['table', '--warehouse', wh, 'append', t, input]);
  }
  v2file = path.join(tmp, 'v2.parquet');
  floeOk(['parquet', 'write', '--schema', schemaFile, '--page-version', '2', '--codec', 'snappy', input, v2file]);
  server = await startHttpServer(wh);
  restore = mapFetch({ [pathToFileURL(wh).href + '/']: server.url + '/' });
});

after(async () => {
  if (restore) restore();
  if (server) await server.stop();
  if (tmp && !process.env.FLOE_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
});

function dataFiles(t) {
  const dir = path.join(tableDir(wh, t), 'data');
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.endsWith('.parquet')) out.push(path.join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

async function duckCheck(file) {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const r = await con.runAndReadAll(`select to_json(t)::varchar from read_parquet('${file}') t`);
  const got = r.getRows().map(([j]) => fixIntKeys(canonRow(parseBig(j)))).sort(byId);
  assert.deepEqual(got, [...wantRows].sort(byId));
  const s = await con.runAndReadAll(`select name, field_id, repetition_type, converted_type from parquet_schema('${file}')`);
  const schema = s.getRows().map((x) => x.map((v) => (v === null ? '' : String(v))).join(':')).join(' ');
  assert.match(schema, /tags:3:OPTIONAL:LIST list::REPEATED: element:7:OPTIONAL:UTF8/);
  assert.match(schema, /attrs:4:OPTIONAL:MAP key_value::REPEATED: key:8:REQUIRED:UTF8 value:9:OPTIONAL:INT_64/);
  assert.match(schema, /matrix:10:OPTIONAL:LIST list::REPEATED: element:11:OPTIONAL:LIST list::REPEATED: element:12:REQUIRED:INT_32/);
  assert.match(schema, /items:16:OPTIONAL:LIST list::REPEATED: element:17:REQUIRED: sku:18:REQUIRED:UTF8 qty:19:OPTIONAL:INT_32/);
  con.closeSync?.();
}

describe('nested columns written by floe', () => {
  for (const t of TABLES) {
    test(`${t}: DuckDB reads the values and the field ids`, async () => {
      const files = dataFiles(t);
      assert.equal(files.length, 1);
      await duckCheck(files[0]);
    });

    test(`${t}: icebird reads the same rows`, async () => {

      const tableUrl = `${server.url}/${path.relative(wh, tableDir(wh, t)).split(path.sep).join('/')}`;
      const meta = fs.readdirSync(path.join(tableDir(wh, t), 'metadata')).filter((f) => f.endsWith('.metadata.json')).sort();
      const rows = await icebergRead({ tableUrl, metadataFileName: meta[meta.length - 1] });
      const got = rows.map((o) => fixIntKeys(canonRow(o))).sort(byId);
      assert.deepEqual(got, [...wantRows].sort(byId));
    });

    test(`${t}: floe sql shows the same values as JSON`, () => {
      const r = floeOk(['sql', '--warehouse', wh, '--format', 'ndjson', `select * from ${t}`]);
      const got = r.stdout.split('\n').filter((l) => l).map((l) => fixIntKeys(canonRow(parseBig(l)))).sort(byId);
      assert.deepEqual(got, [...wantRows].sort(byId));
    });
  }

  test('floe parquet write --page-version 2: DuckDB and floe read the same values', async () => {
    await duckCheck(v2file);
    const r = floeOk(['parquet', 'cat', v2file]);
    const got = r.stdout.split('\n').filter((l) => l).map((l) => fixIntKeys(canonRow(parseBig(l)))).sort(byId);
    assert.deepEqual(got, [...wantRows].sort(byId));
  });
});
