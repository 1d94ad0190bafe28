/*
 * parquet_hyparquet.test.mjs - a second opinion on floe's Parquet files:
 * hyparquet (a JavaScript reader no one here wrote) reads them.
 *
 * For every codec hyparquet-compressors decodes, floe writes the all-types
 * file; hyparquet's metadata must show each column's field id and
 * annotations, its rows must equal what floe was given, and the page
 * structure must hold up when walked page by page with hyparquet's own
 * page header parser: dictionary page first, page encodings listed in the
 * column chunk, value counts adding up, CRCs (when written) right, and the
 * page index (OffsetIndex, ColumnIndex) pointing at the real pages with
 * per-page null counts and min/max that bound the page's values.
 *
 * Decimals are read with their DECIMAL annotation removed from the
 * metadata so hyparquet returns the exact unscaled integers (it would
 * otherwise turn them into doubles); timestamps and dates go through
 * parsers that keep microseconds and days.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parquetMetadata, parquetReadObjects, readColumnIndex, readOffsetIndex } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetHeader } from './node_modules/hyparquet/src/column.js';
import {
  ALL_FIELDS, crashed, decimalText, diffRows, floatCanon, floe, icebergSchemaJson, makeRows, parseIceType, tmpDir,
} from './parquet_util.mjs';

let dir;
before(() => { dir = tmpDir('floe-pq-hyparquet-'); });
after(() => { if (dir && !process.env.FLOE_KEEP) fs.rmSync(dir, { recursive: true, force: true }); });

function floeWrite(name, fields, ndjson, args) {
  const schema = path.join(dir, `${name}.schema.json`);
  const input = path.join(dir, `${name}.ndjson`);
  const out = path.join(dir, `${name}.parquet`);
  fs.writeFileSync(schema, icebergSchemaJson(fields));
  fs.writeFileSync(input, ndjson);
  const r = floe(['parquet', 'write', '--schema', schema, ...args, input, out]);
  assert.ok(!crashed(r), `floe parquet write crashed: ${r.status} ${r.signal}\n${r.stderr}`);
  assert.equal(r.status, 0, `floe parquet write ${args.join(' ')}: ${r.stderr}`);
  const b = fs.readFileSync(out);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) | 0; /* Thrift i32 */
}

const PARSERS = {
  timestampFromMicroseconds: (us) => ({ us: BigInt(us) }),
  timestampFromMilliseconds: (ms) => ({ us: BigInt(ms) * 1000n }),
  timestampFromNanoseconds: (ns) => ({ us: BigInt(ns) / 1000n }),
  dateFromDays: (d) => ({ days: d }),
};

function beBytesToBigInt(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (bytes.length && bytes[0] & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return v;
}

const hexOf = (u8) => Buffer.from(u8).toString('hex');

/* hyparquet's value of field f -> canonical text (see parquet_util.mjs). */
function canonHy(f, v) {
  if (v === null || v === undefined) return null;
  const t = parseIceType(f.ice);
  switch (t.type) {
    case 'boolean': return String(v);
    case 'int': case 'long': return BigInt(v).toString();
    case 'float': return floatCanon(v, true);
    case 'double': return floatCanon(v, false);
    case 'decimal': return decimalText(v instanceof Uint8Array ? beBytesToBigInt(v) : BigInt(v), t.scale);
    case 'date': return String(v.days);
    case 'time': return BigInt(v).toString();
    case 'timestamp': case 'timestamptz': return v.us.toString();
    case 'string': return typeof v === 'string' ? v : Buffer.from(v).toString('utf8');
    case 'binary': case 'fixed': return hexOf(v);
    case 'uuid': {
      if (typeof v === 'string') return v.toLowerCase();
      const h = hexOf(v);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    default: throw new Error(f.ice);
  }
}

/* Reads every row with hyparquet, decimals exact. */
async function hyRows(ab, fields) {
  const md = parquetMetadata(ab);
  const raw = structuredClone(md);
  for (const el of raw.schema) {
    if (el.converted_type === 'DECIMAL') { delete el.converted_type; delete el.logical_type; }
  }
  const rows = await parquetReadObjects({ file: ab, metadata: raw, compressors, utf8: false, parsers: PARSERS });
  return rows.map((o) => fields.map((f) => canonHy(f, o[f.name])));
}

function checkSchema(ab, fields) {
  const md = parquetMetadata(ab);
  const leaves = md.schema.slice(1);
  assert.equal(leaves.length, fields.length);
  for (let c = 0; c < fields.length; c++) {
    const f = fields[c], el = leaves[c];
    assert.equal(el.name, f.name);
    assert.equal(el.field_id, f.id, `field_id of ${f.name}`);
    assert.equal(el.type, f.phys, `physical type of ${f.name}`);
    assert.equal(el.repetition_type, f.required ? 'REQUIRED' : 'OPTIONAL', `repetition of ${f.name}`);
    const t = parseIceType(f.ice);
    const lt = el.logical_type?.type;
    const want = { string: 'STRING', uuid: 'UUID', date: 'DATE', time: 'TIME', timestamp: 'TIMESTAMP', timestamptz: 'TIMESTAMP', decimal: 'DECIMAL' }[t.type];
    if (want) assert.equal(lt, want, `logical type of ${f.name}: ${JSON.stringify(el.logical_type)}`);
    if (t.type === 'decimal') {
      assert.equal(el.precision, t.precision, `precision of ${f.name}`);
      assert.equal(el.scale, t.scale, `scale of ${f.name}`);
    }
    if (t.type === 'timestamp' || t.type === 'timestamptz') {
      assert.equal(el.logical_type.isAdjustedToUTC, t.type === 'timestamptz', `isAdjustedToUTC of ${f.name}`);
      assert.equal(el.logical_type.unit, 'MICROS', `unit of ${f.name}`);
    }
  }
  return md;
}

/* Unsigned byte order for byte arrays; numeric for the rest (as the ColumnIndex values come from hyparquet). */
function statKey(f, v) {
  const t = parseIceType(f.ice);
  if (v === undefined || v === null) return null;
  switch (t.type) {
    case 'string': return typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
    case 'binary': case 'fixed': return Buffer.from(v);
    case 'uuid': return typeof v === 'string' ? Buffer.from(v.replace(/-/g, ''), 'hex') : Buffer.from(v);
    case 'boolean': return v ? 1 : 0;
    case 'date': return BigInt(v.days ?? v);
    case 'timestamp': case 'timestamptz': return v.us ?? BigInt(v);
    case 'float': case 'double': return v;
    default: return v instanceof Uint8Array ? beBytesToBigInt(v) : BigInt(v);
  }
}
function rowKey(f, canon) {
  const t = parseIceType(f.ice);
  switch (t.type) {
    case 'string': return Buffer.from(canon, 'utf8');
    case 'binary': case 'fixed': return Buffer.from(canon, 'hex');
    case 'uuid': return Buffer.from(canon.replace(/-/g, ''), 'hex');
    case 'boolean': return canon === 'true' ? 1 : 0;
    case 'float': case 'double': return canon === '-0' ? -0 : Number(canon);
    case 'decimal': return BigInt(canon.replace('.', ''));
    default: return BigInt(canon);
  }
}
const cmp = (a, b) => (Buffer.isBuffer(a) ? Buffer.compare(a, b) : a < b ? -1 : a > b ? 1 : 0);

/*
 * Walks every page of every column chunk and checks the page index.
 * Returns the number of data pages seen.
 */
function checkPages(ab, md, fields, rows, { pageIndex }) {
  const view = new DataView(ab);
  const problems = [];
  let dataPages = 0;
  let rowBase = 0;
  for (const [g, rg] of md.row_groups.entries()) {
    for (const [c, chunk] of rg.columns.entries()) {
      const f = fields[c];
      const cm = chunk.meta_data;
      const where = `row group ${g} column ${f.name}`;
      const start = Number(cm.dictionary_page_offset ?? cm.data_page_offset);
      if (cm.dictionary_page_offset !== undefined && Number(cm.dictionary_page_offset) > Number(cm.data_page_offset)) {
        problems.push(`${where}: dictionary page after the first data page`);
      }
      const end = start + Number(cm.total_compressed_size);
      const reader = { view, offset: start };
      let values = 0, first = true;
      const pages = [];
      let uncompressed = 0;
      while (reader.offset < end) {
        const at = reader.offset;
        const h = parquetHeader(reader);
        const headerLen = reader.offset - at;
        uncompressed += headerLen + h.uncompressed_page_size;
        const body = new Uint8Array(ab, reader.offset, h.compressed_page_size);
        if (h.crc !== undefined && h.crc !== crc32(body)) problems.push(`${where}: page at ${at} has a wrong CRC`);
        if (h.type === 'DICTIONARY_PAGE') {
          if (!first) problems.push(`${where}: dictionary page is not first`);
          if (!cm.encodings.includes(h.dictionary_page_header.encoding)) problems.push(`${where}: dictionary encoding ${h.dictionary_page_header.encoding} not in ${cm.encodings}`);
        } else if (h.type === 'DATA_PAGE' || h.type === 'DATA_PAGE_V2') {
          const dh = h.data_page_header ?? h.data_page_header_v2;
          if (!cm.encodings.includes(dh.encoding)) problems.push(`${where}: page encoding ${dh.encoding} not in ${cm.encodings}`);
          values += dh.num_values;
          if (h.data_page_header_v2 && h.data_page_header_v2.num_rows !== dh.num_values) problems.push(`${where}: v2 page num_rows ${h.data_page_header_v2.num_rows} != num_values ${dh.num_values} in a flat column`);
          pages.push({ offset: at, size: headerLen + h.compressed_page_size, rows: dh.num_values });
          dataPages++;
        } else {
          problems.push(`${where}: unexpected page type ${h.type}`);
        }
        first = false;
        reader.offset += h.compressed_page_size;
      }
      if (reader.offset !== end) problems.push(`${where}: pages end at ${reader.offset}, chunk at ${end}`);
      if (BigInt(values) !== BigInt(cm.num_values)) problems.push(`${where}: pages hold ${values} values, chunk says ${cm.num_values}`);
      if (BigInt(uncompressed) !== BigInt(cm.total_uncompressed_size)) problems.push(`${where}: total_uncompressed_size ${cm.total_uncompressed_size}, pages add up to ${uncompressed}`);
      if (pages.length && BigInt(pages[0].offset) !== BigInt(cm.data_page_offset)) problems.push(`${where}: data_page_offset ${cm.data_page_offset}, first data page at ${pages[0].offset}`);

      if (!pageIndex) {
        if (chunk.offset_index_offset !== undefined || chunk.column_index_offset !== undefined) problems.push(`${where}: page index written with --no-page-index`);
        continue;
      }
      if (chunk.offset_index_offset === undefined || chunk.column_index_offset === undefined) {
        problems.push(`${where}: no page index`);
        continue;
      }
      const oi = readOffsetIndex({ view, offset: Number(chunk.offset_index_offset) });
      const locs = oi.page_locations;
      if (locs.length !== pages.length) { problems.push(`${where}: offset index has ${locs.length} pages, file has ${pages.length}`); continue; }
      let rowAt = 0;
      for (const [p, loc] of locs.entries()) {
        if (BigInt(loc.offset) !== BigInt(pages[p].offset)) problems.push(`${where}: page ${p} offset ${loc.offset}, real ${pages[p].offset}`);
        if (loc.compressed_page_size !== pages[p].size) problems.push(`${where}: page ${p} size ${loc.compressed_page_size}, real ${pages[p].size} (header included)`);
        if (BigInt(loc.first_row_index) !== BigInt(rowAt)) problems.push(`${where}: page ${p} first_row_index ${loc.first_row_index}, real ${rowAt}`);
        rowAt += pages[p].rows;
      }
      /* raw bounds: no decimal-to-double, byte arrays as bytes */
      const el = { ...md.schema[c + 1] };
      if (el.converted_type === 'DECIMAL') { delete el.converted_type; delete el.logical_type; }
      const ci = readColumnIndex({ view, offset: Number(chunk.column_index_offset) }, el,
        { ...PARSERS, stringFromBytes: (b) => b });
      if (ci.null_pages.length !== pages.length) { problems.push(`${where}: column index has ${ci.null_pages.length} pages`); continue; }
      let ascending = true, descending = true, prevMin = null, prevMax = null;
      for (let p = 0; p < pages.length; p++) {
        const s = rowBase + Number(locs[p].first_row_index);
        const vals = rows.slice(s, s + pages[p].rows).map((r) => r[c]);
        const nulls = vals.filter((v) => v === null).length;
        if (ci.null_counts && BigInt(ci.null_counts[p]) !== BigInt(nulls)) problems.push(`${where}: page ${p} null_count ${ci.null_counts[p]}, real ${nulls}`);
        if (ci.null_pages[p] !== (nulls === vals.length)) problems.push(`${where}: page ${p} null_pages ${ci.null_pages[p]}, ${nulls}/${vals.length} null`);
        const keys = vals.filter((v) => v !== null && v !== 'NaN').map((v) => rowKey(f, v));
        if (ci.null_pages[p] || keys.length === 0) continue;
        const lo = statKey(f, ci.min_values[p]), hi = statKey(f, ci.max_values[p]);
        if (lo === null || hi === null) { problems.push(`${where}: page ${p} has no min/max`); continue; }
        for (const k of keys) {
          if (cmp(k, lo) < 0 || cmp(k, hi) > 0) { problems.push(`${where}: page ${p} value ${k} outside [${lo}, ${hi}]`); break; }
        }
        if (prevMin !== null) {
          if (cmp(lo, prevMin) < 0 || cmp(hi, prevMax) < 0) ascending = false;
          if (cmp(lo, prevMin) > 0 || cmp(hi, prevMax) > 0) descending = false;
        }
        prevMin = lo; prevMax = hi;
      }
      if (ci.boundary_order === 'ASCENDING' && !ascending) problems.push(`${where}: boundary_order ASCENDING but pages are not`);
      if (ci.boundary_order === 'DESCENDING' && !descending) problems.push(`${where}: boundary_order DESCENDING but pages are not`);
    }
    rowBase += Number(rg.num_rows);
  }
  assert.deepEqual(problems, [], problems.slice(0, 30).join('\n'));
  return dataPages;
}

describe('hyparquet reads floe files', () => {
  const data = makeRows(ALL_FIELDS, 2000, 5);
  for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4_raw']) {
    for (const pv of ['1', '2']) {
      test(`all types, ${codec}, page v${pv}, small pages and row groups`, async () => {
        const ab = floeWrite(`hy-${codec}-${pv}`, ALL_FIELDS, data.ndjson,
          ['--codec', codec, '--page-version', pv, '--page-size', '2048', '--row-group-size', '100000']);
        const md = checkSchema(ab, ALL_FIELDS);
        assert.equal(Number(md.num_rows), data.rows.length);
        for (const rg of md.row_groups) {
          for (const ch of rg.columns) assert.equal(ch.meta_data.codec, codec.toUpperCase());
        }
        const got = await hyRows(ab, ALL_FIELDS);
        const d = diffRows(ALL_FIELDS.map((f) => f.name), got, data.rows);
        assert.deepEqual(d, [], `hyparquet reads floe's ${codec} v${pv} file differently:\n${d.join('\n')}`);
        const pages = checkPages(ab, md, ALL_FIELDS, data.rows, { pageIndex: true });
        assert.ok(pages > md.row_groups.length * ALL_FIELDS.length, 'expected several pages per column chunk');
        /* last, so that the checks above run even when this fails */
        assert.ok(md.row_groups.length > 1,
          `--row-group-size 100000: expected several row groups in a ${ab.byteLength}-byte file, got ${md.row_groups.length}`);
      });
    }
  }

  for (const enc of ['plain', 'dict', 'delta', 'auto']) {
    test(`encoding ${enc}: pages and page index`, async () => {
      const ab = floeWrite(`hy-enc-${enc}`, ALL_FIELDS, data.ndjson, ['--encoding', enc, '--page-size', '1024']);
      const md = checkSchema(ab, ALL_FIELDS);
      const got = await hyRows(ab, ALL_FIELDS);
      const d = diffRows(ALL_FIELDS.map((f) => f.name), got, data.rows);
      assert.deepEqual(d, [], d.join('\n'));
      checkPages(ab, md, ALL_FIELDS, data.rows, { pageIndex: true });
    });
  }

  test('140000 rows in several row groups: page index of every row group', async () => {
    /* The writer checks row group size every 65536 rows, so this many rows
     * make several row groups even when smaller sizes are not honoured. */
    const fields = [ALL_FIELDS[17], ALL_FIELDS[20], ALL_FIELDS[4], ALL_FIELDS[11]];
    const d = makeRows(fields, 140000, 21);
    const ab = floeWrite('hy-many', fields, d.ndjson, ['--row-group-size', '65536', '--page-size', '8192', '--codec', 'snappy']);
    const md = checkSchema(ab, fields);
    assert.ok(md.row_groups.length >= 3, `expected at least 3 row groups, got ${md.row_groups.length}`);
    checkPages(ab, md, fields, d.rows, { pageIndex: true });
    const got = await hyRows(ab, fields);
    const diff = diffRows(fields.map((f) => f.name), got, d.rows);
    assert.deepEqual(diff, [], diff.join('\n'));
  });

  test('--no-page-index leaves the page index out', async () => {
    const ab = floeWrite('hy-nopi', ALL_FIELDS, data.ndjson, ['--no-page-index', '--page-size', '4096']);
    const md = checkSchema(ab, ALL_FIELDS);
    checkPages(ab, md, ALL_FIELDS, data.rows, { pageIndex: false });
    const got = await hyRows(ab, ALL_FIELDS);
    assert.deepEqual(diffRows(ALL_FIELDS.map((f) => f.name), got, data.rows), []);
  });

  test('sorted column gets an ASCENDING page index', async () => {
    const fields = [ALL_FIELDS[17], ALL_FIELDS[18]];
    const d = makeRows(fields, 5000, 11);
    const ab = floeWrite('hy-sorted', fields, d.ndjson, ['--page-size', '1024', '--encoding', 'plain']);
    const md = checkSchema(ab, fields);
    checkPages(ab, md, fields, d.rows, { pageIndex: true });
    const chunk = md.row_groups[0].columns[0];
    const ci = readColumnIndex({ view: new DataView(ab), offset: Number(chunk.column_index_offset) }, md.schema[1]);
    assert.ok(ci.null_pages.length > 1, 'several pages');
    assert.equal(ci.boundary_order, 'ASCENDING', 'req_l rises row by row');
  });
});
