/*
 * parquet_duckdb.test.mjs - floe's Parquet writer and reader against DuckDB.
 *
 * (a) floe writes every Iceberg type (with nulls and extremes) under every
 *     encoding request x codec x data page version; DuckDB's read_parquet
 *     must return exactly the values written, parquet_schema() must show
 *     the field ids and the types the Iceberg spec prescribes, and
 *     parquet_metadata() must report the requested codec and encodings and
 *     statistics that agree with the data of each row group. Some cases
 *     use small pages and row groups.
 * (b) DuckDB writes files (every codec, small row groups, Parquet v2 pages
 *     with DELTA encodings, field ids) and `floe parquet cat` must return
 *     what DuckDB reads.
 * (c) A record that does not fit the schema fails `floe parquet write`
 *     with exit 1, a message naming the line and the field, and no file.
 *
 * Values are compared as canonical texts (parquet_util.mjs), type by type.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata } from 'hyparquet';
import {
  ALL_FIELDS, crashed, diffRows, duckCanonRows, duckObjects, floe, floeCanonRows, floeIcebergSchema,
  icebergSchemaJson, makeRows, parseIceType, qstr, sqlLiteral, tmpDir,
  dateTextToDays as dateDays, timeTextToMicros as timeMicros, tsTextToMicros as tsMicros,
} from './parquet_util.mjs';

const CODECS = ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4_raw'];
const ENCODINGS = ['plain', 'dict', 'delta', 'auto'];
const PAGE_VERSIONS = ['1', '2'];
const KNOWN_ENCODINGS = new Set(['PLAIN', 'PLAIN_DICTIONARY', 'RLE', 'BIT_PACKED', 'DELTA_BINARY_PACKED',
  'DELTA_LENGTH_BYTE_ARRAY', 'DELTA_BYTE_ARRAY', 'RLE_DICTIONARY', 'BYTE_STREAM_SPLIT']);

let dir, inst, con;
before(async () => {
  dir = tmpDir('floe-pq-duckdb-');
  inst = await DuckDBInstance.create(':memory:');
  con = await inst.connect();
  await con.run("SET TimeZone = 'UTC'");
});
after(() => {
  con?.closeSync?.();
  if (dir && !process.env.FLOE_KEEP) fs.rmSync(dir, { recursive: true, force: true });
});

/* floe parquet write; returns the output path. Fails the test on error. */
function floeWrite(name, fields, ndjson, args) {
  const schema = path.join(dir, `${name}.schema.json`);
  const input = path.join(dir, `${name}.ndjson`);
  const out = path.join(dir, `${name}.parquet`);
  fs.writeFileSync(schema, icebergSchemaJson(fields));
  fs.writeFileSync(input, ndjson);
  const r = floe(['parquet', 'write', '--schema', schema, ...args, input, out]);
  assert.ok(!crashed(r), `floe parquet write ${args.join(' ')} crashed: ${r.status} ${r.signal}\n${r.stderr}`);
  assert.equal(r.status, 0, `floe parquet write ${args.join(' ')} failed: ${r.stderr}`);
  assert.ok(fs.existsSync(out), 'no output file');
  return out;
}

/* ---- statistics: DuckDB's stats texts back to comparable keys ---- */

function scaled(text, scale) {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`bad decimal ${text}`);
  const frac = (m[3] || '').padEnd(scale, '0');
  if (frac.length !== scale) throw new Error(`decimal ${text} has more than ${scale} fraction digits`);
  return (m[1] ? -1n : 1n) * BigInt(m[2] + frac);
}

function unescapeBlob(s) {
  const out = [];
  for (let k = 0; k < s.length;) {
    if (s[k] === '\\' && s[k + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(k + 2, k + 4))) {
      out.push(parseInt(s.slice(k + 2, k + 4), 16)); k += 4;
    } else {
      out.push(...Buffer.from(String.fromCodePoint(s.codePointAt(k)), 'utf8'));
      k += s.codePointAt(k) > 0xffff ? 2 : 1;
    }
  }
  return Buffer.from(out);
}

/* Comparable key of a canonical value (from makeRows) and of a DuckDB stats text. */
function keyOfCanon(ice, v) {
  const t = parseIceType(ice);
  switch (t.type) {
    case 'boolean': return v === 'true' ? 1n : 0n;
    case 'int': case 'long': case 'date': case 'time': case 'timestamp': case 'timestamptz': return BigInt(v);
    case 'decimal': return scaled(v, t.scale);
    case 'float': case 'double': return v === '-0' ? -0 : Number(v);
    case 'string': return Buffer.from(v, 'utf8');
    case 'binary': case 'fixed': return Buffer.from(v, 'hex');
    case 'uuid': return Buffer.from(v.replace(/-/g, ''), 'hex');
    default: throw new Error(ice);
  }
}

function keyOfStat(ice, s) {
  const t = parseIceType(ice);
  const day = (d) => {
    const m = /^(\d{4,})-(\d\d)-(\d\d)$/.exec(d);
    if (!m) throw new Error(`bad date stat ${d}`);
    return m;
  };
  switch (t.type) {
    case 'boolean': return s === 'true' ? 1n : 0n;
    case 'int': case 'long': return BigInt(s);
    case 'decimal': return scaled(s, t.scale);
    case 'float': return s === '-0.0' ? -0 : Math.fround(Number(s));
    case 'double': return s === '-0.0' ? -0 : Number(s);
    case 'date': day(s); return BigInt(dateDays(s));
    case 'time': return timeMicros(s);
    case 'timestamp': case 'timestamptz': return tsMicros(s.replace(/\+00(:00)?$/, ''));
    case 'string': return Buffer.from(s, 'utf8');
    case 'binary': case 'fixed': return unescapeBlob(s);
    case 'uuid': return Buffer.from(s.replace(/-/g, ''), 'hex');
    default: throw new Error(ice);
  }
}

function cmpKey(a, b) {
  if (Buffer.isBuffer(a)) return Buffer.compare(a, b);
  return a < b ? -1 : a > b ? 1 : 0;
}

const showKey = (k) => (Buffer.isBuffer(k) ? `0x${k.toString('hex')}` : Object.is(k, -0) ? '-0' : String(k));

/*
 * Checks each column chunk's statistics against the rows of its row group:
 * null_count exact; min/max equal to the actual extremes (NaN excluded;
 * zero written as -0.0 for a min and +0.0 for a max, as parquet-format's
 * TypeDefinedOrder notes ask); byte arrays may be truncated, but then
 * min is a prefix of the true min, max is above the true max, and the
 * exactness flag (when written) is false. An all-null chunk has no min/max.
 * DuckDB does not show float statistics that hold an infinity, so float
 * and double bounds are read from the footer with hyparquet (exact binary32
 * and binary64 values); where DuckDB shows them too, both must agree.
 */
async function checkStats(file, fields, rows) {
  const fileBytes = fs.readFileSync(file);
  const hy = parquetMetadata(fileBytes.buffer.slice(fileBytes.byteOffset, fileBytes.byteOffset + fileBytes.byteLength));
  const md = await duckObjects(con, `select row_group_id, row_group_num_rows, column_id, path_in_schema, stats_min_value,
    stats_max_value, stats_null_count, min_is_exact, max_is_exact from parquet_metadata(${qstr(file)})
    order by row_group_id, column_id`);
  const rgStart = new Map();
  let start = 0;
  for (const m of md) {
    if (!rgStart.has(m.row_group_id)) { rgStart.set(m.row_group_id, start); start += Number(m.row_group_num_rows); }
  }
  assert.equal(start, rows.length, 'row groups do not add up to the rows written');
  const problems = [];
  for (const m of md) {
    const c = fields.findIndex((f) => f.name === m.path_in_schema);
    assert.ok(c >= 0, `unexpected column ${m.path_in_schema}`);
    const f = fields[c];
    const t = parseIceType(f.ice);
    const s = rgStart.get(m.row_group_id);
    const vals = rows.slice(s, s + Number(m.row_group_num_rows)).map((r) => r[c]);
    const where = `row group ${m.row_group_id} column ${f.name} (${f.ice})`;
    const nulls = vals.filter((v) => v === null).length;
    if (m.stats_null_count === null || Number(m.stats_null_count) !== nulls) {
      problems.push(`${where}: null_count ${m.stats_null_count}, data has ${nulls}`);
    }
    const keys = vals.filter((v) => v !== null && v !== 'NaN').map((v) => keyOfCanon(f.ice, v));
    if (keys.length === 0) {
      if (nulls === vals.length && (m.stats_min_value !== null || m.stats_max_value !== null)) {
        problems.push(`${where}: all null but min ${m.stats_min_value} max ${m.stats_max_value}`);
      }
      continue;
    }
    let lo = keys[0], hi = keys[0];
    for (const k of keys) {
      if (cmpKey(k, lo) < 0) lo = k;
      if (cmpKey(k, hi) > 0) hi = k;
    }
    if (t.type === 'float' || t.type === 'double') {
      const st = hy.row_groups[Number(m.row_group_id)].columns[c].meta_data.statistics ?? {};
      const fmin = st.min_value, fmax = st.max_value;
      if (typeof fmin !== 'number' || typeof fmax !== 'number') {
        problems.push(`${where}: no min_value/max_value statistics (data min ${showKey(lo)} max ${showKey(hi)})`);
        continue;
      }
      if (m.stats_min_value !== null && !Object.is(keyOfStat(f.ice, m.stats_min_value), fmin)) problems.push(`${where}: DuckDB min ${m.stats_min_value}, footer ${showKey(fmin)}`);
      if (m.stats_max_value !== null && !Object.is(keyOfStat(f.ice, m.stats_max_value), fmax)) problems.push(`${where}: DuckDB max ${m.stats_max_value}, footer ${showKey(fmax)}`);
      m.stats_min_value = Object.is(fmin, -0) ? '-0.0' : String(fmin);
      m.stats_max_value = Object.is(fmax, -0) ? '-0.0' : String(fmax);
    }
    if (m.stats_min_value === null || m.stats_max_value === null) {
      problems.push(`${where}: no min/max statistics (data min ${showKey(lo)} max ${showKey(hi)})`);
      continue;
    }
    let smin, smax;
    try {
      smin = keyOfStat(f.ice, m.stats_min_value);
      smax = keyOfStat(f.ice, m.stats_max_value);
    } catch (e) {
      problems.push(`${where}: cannot read stats ${JSON.stringify(m.stats_min_value)} / ${JSON.stringify(m.stats_max_value)}: ${e.message}`);
      continue;
    }
    if (Number.isNaN(smin) || Number.isNaN(smax)) {
      problems.push(`${where}: NaN in min/max statistics`);
      continue;
    }
    const bytes = ['string', 'binary'].includes(t.type);
    if (bytes && cmpKey(smin, lo) !== 0) {
      const ok = cmpKey(smin, lo) < 0 && smin.length < lo.length && lo.subarray(0, smin.length).equals(smin);
      if (!ok) problems.push(`${where}: min ${showKey(smin)} is neither ${showKey(lo)} nor a prefix of it`);
      if (m.min_is_exact === true) problems.push(`${where}: truncated min flagged exact`);
    } else if (cmpKey(smin, lo) !== 0) {
      problems.push(`${where}: min ${showKey(smin)}, data min ${showKey(lo)}`);
    }
    if (bytes && cmpKey(smax, hi) !== 0) {
      const ok = cmpKey(smax, hi) > 0 && smax.length < hi.length;
      if (!ok) problems.push(`${where}: max ${showKey(smax)} is neither ${showKey(hi)} nor a shorter upper bound`);
      if (m.max_is_exact === true) problems.push(`${where}: truncated max flagged exact`);
    } else if (cmpKey(smax, hi) !== 0) {
      problems.push(`${where}: max ${showKey(smax)}, data max ${showKey(hi)}`);
    }
    if (typeof lo === 'number' && lo === 0 && !Object.is(smin, -0)) problems.push(`${where}: zero min should be written as -0.0, is ${showKey(smin)}`);
    if (typeof hi === 'number' && hi === 0 && !Object.is(smax, 0)) problems.push(`${where}: zero max should be written as +0.0, is ${showKey(smax)}`);
  }
  assert.deepEqual(problems, [], `statistics of ${path.basename(file)} disagree with the data:\n${problems.slice(0, 20).join('\n')}`);
}

/* parquet_schema(): field ids, physical and logical types, repetition. */
async function checkSchema(file, fields) {
  const rows = await duckObjects(con, `select name, type, type_length, repetition_type, field_id, duckdb_type,
    converted_type, logical_type from parquet_schema(${qstr(file)})`);
  const leaves = rows.slice(1);
  assert.equal(leaves.length, fields.length, 'column count');
  for (let c = 0; c < fields.length; c++) {
    const f = fields[c], s = leaves[c];
    const where = `column ${f.name} (${f.ice})`;
    assert.equal(s.name, f.name, `${where}: name`);
    assert.equal(s.field_id, String(f.id), `${where}: field_id`);
    assert.equal(s.type, f.phys, `${where}: physical type`);
    assert.equal(s.duckdb_type, f.duck, `${where}: DuckDB type (logical type ${s.logical_type}, converted ${s.converted_type})`);
    assert.equal(s.repetition_type, f.required ? 'REQUIRED' : 'OPTIONAL', `${where}: repetition`);
    if (f.len) assert.equal(s.type_length, String(f.len), `${where}: type_length`);
    if (/time/.test(f.ice)) {
      assert.match(`${s.logical_type} ${s.converted_type}`, /MICROS/, `${where}: unit must be microseconds`);
      if (f.ice !== 'time') {
        const utc = f.ice === 'timestamptz' ? 1 : 0;
        assert.match(String(s.logical_type), new RegExp(`isAdjustedToUTC=${utc}`), `${where}: isAdjustedToUTC`);
      } else {
        assert.match(String(s.logical_type), /isAdjustedToUTC=0/, `${where}: time is not adjusted to UTC`);
      }
    }
    if (f.ice === 'string') assert.match(`${s.logical_type} ${s.converted_type}`, /StringType|UTF8/, `${where}: UTF8 annotation`);
  }
  const fm = await duckObjects(con, `select column_orders from parquet_file_metadata(${qstr(file)})`);
  const orders = fm[0].column_orders;
  assert.ok(Array.isArray(orders) && orders.length === fields.length,
    `column_orders should list a TypeDefinedOrder per column so readers trust min/max (got ${JSON.stringify(orders)})`);
}

/* The codec and the encodings parquet_metadata() reports for each column chunk. */
async function checkEncodings(file, fields, encoding, codec) {
  const md = await duckObjects(con, `select row_group_id, path_in_schema, type, compression, encodings,
    dictionary_page_offset, num_values, stats_null_count from parquet_metadata(${qstr(file)})`);
  const problems = [];
  for (const m of md) {
    const where = `row group ${m.row_group_id} column ${m.path_in_schema} (${m.type})`;
    if (m.compression !== codec.toUpperCase()) problems.push(`${where}: codec ${m.compression}, asked ${codec}`);
    const encs = m.encodings.split(',').map((e) => e.trim()).filter(Boolean);
    const has = (e) => encs.includes(e);
    const unknown = encs.filter((e) => !KNOWN_ENCODINGS.has(e));
    if (unknown.length) problems.push(`${where}: unknown encodings ${unknown}`);
    const dict = has('RLE_DICTIONARY') || has('PLAIN_DICTIONARY');
    if (dict !== (m.dictionary_page_offset !== null)) problems.push(`${where}: encodings ${encs} but dictionary_page_offset ${m.dictionary_page_offset}`);
    const delta = has('DELTA_BINARY_PACKED') || has('DELTA_LENGTH_BYTE_ARRAY') || has('DELTA_BYTE_ARRAY');
    /* a chunk whose values are all null encodes no value: no dictionary or delta to ask for */
    const allNull = m.stats_null_count !== null && Number(m.stats_null_count) === Number(m.num_values);
    if (allNull && (encoding === 'dict' || encoding === 'delta')) {
      if (dict || delta) problems.push(`${where}: all-null chunk with value encodings ${encs}`);
      continue;
    }
    if (encoding === 'plain') {
      if (dict || delta || has('BYTE_STREAM_SPLIT')) problems.push(`${where}: asked plain, got ${encs}`);
      if (m.type !== 'BOOLEAN' && !has('PLAIN')) problems.push(`${where}: asked plain, PLAIN missing from ${encs}`);
    } else if (encoding === 'dict') {
      if (m.type !== 'BOOLEAN' && !dict) problems.push(`${where}: asked dict, got ${encs}`);
      if (delta) problems.push(`${where}: asked dict, got ${encs}`);
    } else if (encoding === 'delta') {
      if (dict) problems.push(`${where}: asked delta, got a dictionary ${encs}`);
      if ((m.type === 'INT32' || m.type === 'INT64') && !has('DELTA_BINARY_PACKED')) problems.push(`${where}: asked delta, got ${encs}`);
      /* writer.h: delta mode is DELTA_BINARY_PACKED for INT32/INT64 and PLAIN for the other types */
      if (m.type !== 'INT32' && m.type !== 'INT64' && !has('PLAIN') && !has('DELTA_LENGTH_BYTE_ARRAY') && !has('DELTA_BYTE_ARRAY')) problems.push(`${where}: asked delta, got ${encs}`);
    }
  }
  assert.deepEqual(problems, [], `encodings/codecs of ${path.basename(file)}:\n${problems.slice(0, 20).join('\n')}`);
}

async function checkValues(file, fields, rows) {
  const got = await duckCanonRows(con, file, fields);
  const d = diffRows(fields.map((f) => f.name), got, rows);
  assert.deepEqual(d, [], `DuckDB reads ${path.basename(file)} differently from what floe was given:\n${d.join('\n')}`);
}

function checkFloeReadsBack(file, fields, rows) {
  const got = floeCanonRows(file, fields);
  const d = diffRows(fields.map((f) => f.name), got, rows);
  assert.deepEqual(d, [], `floe parquet cat reads its own ${path.basename(file)} differently:\n${d.join('\n')}`);
}

/* ---------------- (a) floe writes, DuckDB reads ---------------- */

describe('floe writes, DuckDB reads', () => {
  const data = makeRows(ALL_FIELDS, 400, 42);

  for (const enc of ENCODINGS) {
    for (const codec of CODECS) {
      for (const pv of PAGE_VERSIONS) {
        test(`all types, encoding ${enc}, codec ${codec}, page v${pv}`, async () => {
          const name = `w-${enc}-${codec}-v${pv}`;
          const file = floeWrite(name, ALL_FIELDS, data.ndjson,
            ['--codec', codec, '--page-version', pv, '--encoding', enc]);
          await checkValues(file, ALL_FIELDS, data.rows);
          await checkSchema(file, ALL_FIELDS);
          await checkEncodings(file, ALL_FIELDS, enc, codec);
          await checkStats(file, ALL_FIELDS, data.rows);
          checkFloeReadsBack(file, ALL_FIELDS, data.rows);
        });
      }
    }
  }

  /* Several pages and row groups: small page and row group sizes. */
  const big = makeRows(ALL_FIELDS, 3000, 7);
  const SIZED = [
    ['dict', 'zstd', '2', '1024', '65536'],
    ['delta', 'snappy', '1', '512', '32768'],
    ['plain', 'gzip', '2', '2048', '100000'],
    ['auto', 'lz4_raw', '1', '700', '50000'],
    ['auto', 'uncompressed', '2', '4096', '131072'],
  ];
  for (const [enc, codec, pv, page, rg] of SIZED) {
    test(`3000 rows, encoding ${enc}, codec ${codec}, page v${pv}, page size ${page}, row group size ${rg}`, async () => {
      const name = `sized-${enc}-${codec}-v${pv}`;
      const file = floeWrite(name, ALL_FIELDS, big.ndjson, ['--codec', codec, '--page-version', pv, '--encoding', enc,
        '--page-size', page, '--row-group-size', rg]);
      const fm = await duckObjects(con, `select num_rows, num_row_groups from parquet_file_metadata(${qstr(file)})`);
      assert.equal(fm[0].num_rows, '3000');
      await checkValues(file, ALL_FIELDS, big.rows);
      await checkSchema(file, ALL_FIELDS);
      await checkEncodings(file, ALL_FIELDS, enc, codec);
      await checkStats(file, ALL_FIELDS, big.rows);
      checkFloeReadsBack(file, ALL_FIELDS, big.rows);
      /* Filtered reads (row group and page pruning with the page index) keep every matching row. */
      const cnt = await duckObjects(con, `select count(*) as n, sum(req_l) as s from read_parquet(${qstr(file)})
        where req_l between 1234 and 1733`);
      assert.equal(cnt[0].n, '500');
      assert.equal(cnt[0].s, String(((1234 + 1733) * 500) / 2));
      const cities = await duckObjects(con, `select count(*) as n from read_parquet(${qstr(file)}) where lowcard = 'Graz'`);
      assert.equal(Number(cities[0].n), big.rows.filter((r) => r[20] === 'Graz').length);
      const fromTo = await duckObjects(con, `select count(*) as n from read_parquet(${qstr(file)}) where dt >= date '2000-01-01'`);
      assert.equal(Number(fromTo[0].n), big.rows.filter((r) => r[9] !== null && Number(r[9]) >= 10957).length);
      /* last, so that the checks above run even when this fails */
      const bytes = fs.statSync(file).size;
      assert.ok(Number(fm[0].num_row_groups) > 1,
        `--row-group-size ${rg}: expected several row groups in a ${bytes}-byte file, got ${fm[0].num_row_groups}`);
    });
  }

  test('140000 rows in several row groups, page index, filtered reads', async () => {
    /* The writer checks row group size every 65536 rows, so this many rows
     * make several row groups even when smaller sizes are not honoured. */
    const fields = [ALL_FIELDS[17], ALL_FIELDS[20], ALL_FIELDS[4], ALL_FIELDS[11], ALL_FIELDS[13]];
    const d = makeRows(fields, 140000, 23);
    const file = floeWrite('many', fields, d.ndjson, ['--row-group-size', '65536', '--page-size', '8192', '--codec', 'zstd']);
    const fm = await duckObjects(con, `select num_rows, num_row_groups from parquet_file_metadata(${qstr(file)})`);
    assert.equal(fm[0].num_rows, '140000');
    assert.ok(Number(fm[0].num_row_groups) >= 3, `expected at least 3 row groups, got ${fm[0].num_row_groups}`);
    await checkValues(file, fields, d.rows);
    await checkStats(file, fields, d.rows);
    await checkSchema(file, fields);
    const cnt = await duckObjects(con, `select count(*) as n, sum(req_l) as s from read_parquet(${qstr(file)})
      where req_l >= 70000 and req_l < 70100`);
    assert.equal(cnt[0].n, '100');
    assert.equal(cnt[0].s, String((70000 + 70099) * 50));
  });

  test('key/value metadata and an empty file', async () => {
    const file = floeWrite('kv', ALL_FIELDS, data.ndjson, ['--kv', 'floe.test=yes', '--kv', 'other=a=b']);
    const kv = await duckObjects(con, `select decode(key) as k, decode(value) as v from parquet_kv_metadata(${qstr(file)})`);
    const map = Object.fromEntries(kv.map((x) => [x.k, x.v]));
    assert.equal(map['floe.test'], 'yes', JSON.stringify(kv));
    assert.equal(map.other, 'a=b', JSON.stringify(kv));
    const empty = floeWrite('empty', ALL_FIELDS, '', []);
    const n = await duckObjects(con, `select count(*) as n from read_parquet(${qstr(empty)})`);
    assert.equal(n[0].n, '0');
    await checkSchema(empty, ALL_FIELDS);
  });

  test('dictionary larger than --dict-max falls back and stays readable', async () => {
    const fields = [ALL_FIELDS[13], ALL_FIELDS[2], ALL_FIELDS[17]];
    const d = makeRows(fields, 2000, 3);
    const file = floeWrite('dictmax', fields, d.ndjson, ['--encoding', 'dict', '--dict-max', '1024']);
    await checkValues(file, fields, d.rows);
    await checkStats(file, fields, d.rows);
    checkFloeReadsBack(file, fields, d.rows);
  });
});

/* ---------------- (b) DuckDB writes, floe reads ---------------- */

describe('DuckDB writes, floe reads', () => {
  /* fixed[L] has no DuckDB type (DuckDB writes BLOB as BYTE_ARRAY); the rest are all here. */
  const fields = ALL_FIELDS.filter((f) => f.ice !== 'fixed[5]');
  const data = makeRows(fields, 1000, 99);
  let tableReady = false;

  async function ensureTable() {
    if (tableReady) return;
    await con.run(`create or replace table src (${fields.map((f) => `"${f.name}" ${f.duck}${f.required ? ' NOT NULL' : ''}`).join(', ')})`);
    for (let s = 0; s < data.rows.length; s += 200) {
      const values = data.rows.slice(s, s + 200)
        .map((row) => `(${row.map((v, c) => sqlLiteral(fields[c].ice, v)).join(', ')})`).join(',\n');
      await con.run(`insert into src values ${values}`);
    }
    /* The table holds exactly the rows (the literals are right). */
    const back = (await duckObjects(con, 'select count(*) as n from src'))[0].n;
    assert.equal(back, String(data.rows.length));
    tableReady = true;
  }

  const fieldIds = `{${fields.map((f) => `${f.name}: ${f.id}`).join(', ')}}`;
  const CASES = [];
  for (const codec of CODECS) CASES.push([codec, '']);
  CASES.push(['zstd', ', ROW_GROUP_SIZE 100']);
  CASES.push(['snappy', ', ROW_GROUP_SIZE 128, PARQUET_VERSION V2']);
  CASES.push(['uncompressed', ', PARQUET_VERSION V2']);
  CASES.push(['gzip', ', PARQUET_VERSION V2, ROW_GROUP_SIZE 300']);
  CASES.push(['lz4_raw', ', PARQUET_VERSION V2']);

  for (const [codec, extra] of CASES) {
    test(`COPY TO (COMPRESSION ${codec}${extra})`, async () => {
      await ensureTable();
      const file = path.join(dir, `duck-${codec}-${extra.replace(/[^A-Za-z0-9]+/g, '_')}.parquet`);
      await con.run(`COPY (select * from src) TO ${qstr(file)} (FORMAT parquet, COMPRESSION ${codec}, FIELD_IDS ${fieldIds}${extra})`);
      const md = await duckObjects(con, `select distinct compression from parquet_metadata(${qstr(file)})`);
      assert.deepEqual(md.map((x) => x.compression), [codec.toUpperCase()], 'DuckDB used another codec');
      /* floe's schema: the field ids and Iceberg types DuckDB wrote. */
      const ice = floeIcebergSchema(file);
      assert.deepEqual(ice.fields.map((f) => [f.id, f.name, f.type]), fields.map((f) => [f.id, f.name, f.ice]),
        'floe parquet schema of a DuckDB file');
      const oracle = await duckCanonRows(con, file, fields);
      const d0 = diffRows(fields.map((f) => f.name), oracle, data.rows);
      assert.deepEqual(d0, [], `DuckDB's own file differs from its table:\n${d0.join('\n')}`);
      const got = floeCanonRows(file, fields);
      const d = diffRows(fields.map((f) => f.name), got, oracle);
      assert.deepEqual(d, [], `floe parquet cat of a DuckDB file (${codec}${extra}):\n${d.join('\n')}`);
      /* Projection and limit. */
      const proj = floeCanonRows(file, [fields[13], fields[2]], ['--columns', 's,l', '--limit', '150']);
      assert.deepEqual(proj, oracle.slice(0, 150).map((r) => [r[13], r[2]]), 'floe parquet cat --columns s,l --limit 150');
    });
  }

  /* The same V2 file without column i, so that DuckDB's DELTA_LENGTH_BYTE_ARRAY, BYTE_STREAM_SPLIT and
   * DELTA_BINARY_PACKED pages of the other columns are checked even while column i is refused. */
  test('COPY TO (PARQUET_VERSION V2), every column but the INT32 one, with --columns', async () => {
    await ensureTable();
    const file = path.join(dir, 'duck-v2-projected.parquet');
    await con.run(`COPY (select * from src) TO ${qstr(file)} (FORMAT parquet, FIELD_IDS ${fieldIds}, PARQUET_VERSION V2)`);
    const sub = fields.filter((f) => f.name !== 'i');
    const oracle = await duckCanonRows(con, file, sub);
    const got = floeCanonRows(file, sub, ['--columns', sub.map((f) => f.name).join(',')]);
    const d = diffRows(sub.map((f) => f.name), got, oracle);
    assert.deepEqual(d, [], d.join('\n'));
  });
});

/* ---------------- (c) bad records ---------------- */

describe('records that do not fit the schema', () => {
  const fields = [
    { id: 1, name: 'id', ice: 'long', required: true },
    { id: 2, name: 'n', ice: 'int' },
    { id: 3, name: 'amount', ice: 'decimal(9, 2)' },
    { id: 4, name: 'day', ice: 'date' },
    { id: 5, name: 'tag', ice: 'fixed[4]' },
    { id: 6, name: 'who', ice: 'uuid' },
    { id: 7, name: 'at', ice: 'timestamp' },
    { id: 8, name: 'ok', ice: 'boolean' },
  ];
  const good = '{"id":1,"n":2,"amount":"3.50","day":"2024-02-29","tag":"00112233","who":"12345678-1234-1234-1234-123456789abc","at":"2024-01-01T00:00:00.000000","ok":true}';
  const BAD = [
    ['a string for a long', '{"id":"seven"}', 'id'],
    ['a missing required field', '{"n":1}', 'id'],
    ['a null required field', '{"id":null}', 'id'],
    ['int overflow', '{"id":1,"n":2147483648}', 'n'],
    ['a fractional int', '{"id":1,"n":1.5}', 'n'],
    ['decimal with too many digits', '{"id":1,"amount":"12345678.90"}', 'amount'],
    ['decimal with too many fraction digits', '{"id":1,"amount":"1.234"}', 'amount'],
    ['an impossible date', '{"id":1,"day":"2023-02-29"}', 'day'],
    ['fixed of the wrong length', '{"id":1,"tag":"0011"}', 'tag'],
    ['fixed that is not hex', '{"id":1,"tag":"zz112233"}', 'tag'],
    ['a malformed uuid', '{"id":1,"who":"12345678-1234-1234-1234-123456789ab"}', 'who'],
    ['a malformed timestamp', '{"id":1,"at":"2024-01-01 25:00:00"}', 'at'],
    ['a number for a boolean', '{"id":1,"ok":1}', 'ok'],
  ];
  for (const [what, line, field] of BAD) {
    test(`${what} fails with line and field`, () => {
      const d = tmpDir('floe-pq-bad-');
      try {
        const schema = path.join(d, 's.json');
        const input = path.join(d, 'in.ndjson');
        const out = path.join(d, 'out.parquet');
        fs.writeFileSync(schema, icebergSchemaJson(fields));
        /* two good lines, a blank one, then the bad one on line 4 */
        fs.writeFileSync(input, `${good}\n${good}\n\n${line}\n${good}\n`);
        const r = floe(['parquet', 'write', '--schema', schema, input, out]);
        assert.ok(!crashed(r), `crashed: ${r.status} ${r.signal} ${r.stderr}`);
        assert.equal(r.status, 1, `exit code for ${what}: ${r.status}, stderr: ${r.stderr}`);
        assert.match(r.stderr, /line 4\b/, `message should name line 4: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`\\b${field}\\b`), `message should name field ${field}: ${r.stderr}`);
        assert.deepEqual(fs.readdirSync(d).sort(), ['in.ndjson', 's.json'], 'no output (or temporary) file may be left');
      } finally {
        fs.rmSync(d, { recursive: true, force: true });
      }
    });
  }

  test('invalid JSON fails with the line', () => {
    const d = tmpDir('floe-pq-bad-');
    try {
      const schema = path.join(d, 's.json');
      const input = path.join(d, 'in.ndjson');
      fs.writeFileSync(schema, icebergSchemaJson(fields));
      fs.writeFileSync(input, `${good}\n{"id": 2,\n`);
      const r = floe(['parquet', 'write', '--schema', schema, input, path.join(d, 'out.parquet')]);
      assert.ok(!crashed(r), r.stderr);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /line 2\b/, r.stderr);
      assert.deepEqual(fs.readdirSync(d).sort(), ['in.ndjson', 's.json']);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
