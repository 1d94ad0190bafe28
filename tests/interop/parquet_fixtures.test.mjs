/*
 * parquet_fixtures.test.mjs - floe reads apache/parquet-testing's files the
 * way DuckDB does, and refuses its bad files without crashing.
 *
 * data/: every flat file (no group or repeated field, by DuckDB's
 * parquet_schema) must be read by `floe parquet cat` with exactly the
 * values DuckDB's read_parquet gives, column by column, compared as
 * canonical texts of the Iceberg type floe maps each column to. Files
 * with nested columns must read as DuckDB reads them too: floe's JSON text
 * of each nested value against DuckDB's to_json (maps compared as sets of
 * key/value pairs, numbers by value), and their flat top-level columns
 * alone with --columns; the two that DuckDB cannot read or floe refuses
 * on purpose are listed in NESTED_REFUSED.
 * The files floe does not read, or reads differently on purpose, are
 * listed below with the reason; the lists are checked against the
 * directory so a new file or a newly supported feature is noticed.
 * bad_data/: every file is refused with exit code 1 and a message, never
 * a crash or a sanitizer report. Truncated and bit-flipped copies of good
 * files are refused or read, never a crash.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import {
  FLOE_FIXTURES, canonDuck, canonFloe, crashed, decimalText, diffRows, duckObjects, duckRows, floatCanon, floe,
  floeCat, floeIcebergSchema, JNum, parseIceType, parseJsonExact, qid, qstr, rng, tmpDir,
} from './parquet_util.mjs';

const DATA = path.join(FLOE_FIXTURES, 'parquet-testing', 'data');
const BAD = path.join(FLOE_FIXTURES, 'parquet-testing', 'bad_data');

/* Files with nested (group or repeated) columns. */
const NESTED = {
  'datapage_v2.snappy.parquet': 'column e is a LIST',
  'incorrect_map_schema.parquet': 'my_map is a MAP',
  'large_string_map.brotli.parquet': 'arr is a MAP (and BROTLI, which floe does not decode)',
  'list_columns.parquet': 'LIST columns',
  'map_no_value.parquet': 'a MAP without value (DuckDB refuses it too)',
  'nested_lists.snappy.parquet': 'nested LISTs',
  'nested_maps.snappy.parquet': 'nested MAPs',
  'nested_structs.rust.parquet': 'structs',
  'nonnullable.impala.parquet': 'LIST, MAP and struct columns',
  'null_list.parquet': 'a LIST column',
  'nullable.impala.parquet': 'LIST, MAP and struct columns',
  'nulls.snappy.parquet': 'a struct column',
  'old_list_structure.parquet': 'a legacy 2-level LIST',
  'repeated_no_annotation.parquet': 'a repeated group',
  'repeated_primitive_no_list.parquet': 'repeated primitive columns',
};

/* Nested files floe refuses (all or one column), with the pattern the error must match. */
const NESTED_REFUSED = {
  'large_string_map.brotli.parquet': /BROTLI/,
  'map_no_value.parquet': /my_map_no_v.*MAP without exactly a key and a value/,
};

/* A value of Iceberg type t (floe's schema JSON) as comparable text: maps
 * as sorted [key text, value] pairs, numbers by value. */
function nestedCanon(t, v) {
  if (v === null || v === undefined) return null;
  if (typeof t === 'string') {
    if (v instanceof JNum) {
      const n = Number(v.text);
      return Number.isSafeInteger(n) || !/^-?\d+$/.test(v.text) ? String(n) : v.text;
    }
    if (typeof v === 'object') return JSON.stringify(v);
    /* timestamps: the same instant, whatever the spelling (T or space, zone, fraction) */
    const m = (t === 'timestamp' || t === 'timestamptz') &&
      /^(-?\d+-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d+))?/.exec(String(v));
    if (m) return `${m[1]} ${m[2]}.${(m[3] || '').padEnd(6, '0')}`;
    return String(v);
  }
  switch (t.type) {
    case 'struct': {
      const o = {};
      for (const f of t.fields) o[f.name] = nestedCanon(f.type, v[f.name]);
      return o;
    }
    case 'list': return v.map((x) => nestedCanon(t.element, x));
    case 'map': {
      const pairs = Array.isArray(v) ? v.map((e) => [e.key, e.value]) : Object.entries(v);
      return pairs.map(([k, x]) => [String(k instanceof JNum ? Number(k.text) : k), nestedCanon(t.value, x)])
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    }
    default: throw new Error(`unknown type ${JSON.stringify(t)}`);
  }
}

/* Rows of the nested columns: floe's against DuckDB's; differences as text. */
async function compareNested(file) {
  const schema = floeIcebergSchema(file);
  const cols = schema.fields.filter((f) => typeof f.type !== 'string');
  const got = floeCat(file);
  const sel = cols.map((f) => `to_json(${qid(f.name)})::varchar`).join(', ');
  const want = (await duckRows(con, `select ${sel} from read_parquet(${qstr(file)})`))
    .map((r) => r.map((x) => (x === null ? null : parseJsonExact(String(x)))));
  const out = [];
  if (got.length !== want.length) out.push(`rows: floe ${got.length}, DuckDB ${want.length}`);
  for (let i = 0; i < Math.min(got.length, want.length) && out.length < 10; i++) {
    for (const [c, f] of cols.entries()) {
      const a = JSON.stringify(nestedCanon(f.type, got[i][f.name]));
      const b = JSON.stringify(nestedCanon(f.type, want[i][c]));
      if (a !== b) out.push(`row ${i} ${f.name}:\n  floe   ${a}\n  duckdb ${b}`);
    }
  }
  return { out, ncols: cols.length };
}

/*
 * Flat files with a feature floe does not read, each with the reason and
 * the pattern its error must match. (Any crash still fails.)
 */
const UNSUPPORTED_FLAT = {};

/*
 * Float16 (FIXED_LEN_BYTE_ARRAY(2) annotated FLOAT16) has no Iceberg type:
 * floe reads it as fixed[2] bytes while DuckDB and hyparquet decode it.
 * Such columns are compared as numbers: floe's two bytes decoded as IEEE
 * binary16 against the oracle's float (every NaN payload counts as NaN).
 */

/* Files whose page CRCs are wrong on purpose: a reader may check them (and refuse) or not. */
const CORRUPT_CRC = new Set(['datapage_v1-corrupt-checksum.parquet', 'rle-dict-uncompressed-corrupt-checksum.parquet']);

/*
 * Files malformed on purpose that DuckDB reads anyway: floe may read them
 * (then exactly as DuckDB) or refuse them with exit 1 and a message.
 */
const MALFORMED = {
  'nation.dict-malformed.parquet': 'from Impala\'s tests of a malformed dictionary; its pages run past the column chunk',
};

/*
 * Files DuckDB 1.5 cannot read; hyparquet is the oracle instead.
 */
const HYPARQUET_ORACLE = {
  'hadoop_lz4_compressed.parquet': 'DuckDB does not read the deprecated LZ4 (Hadoop framing) codec',
  'hadoop_lz4_compressed_larger.parquet': 'DuckDB does not read the deprecated LZ4 (Hadoop framing) codec',
  'non_hadoop_lz4_compressed.parquet': 'DuckDB does not read the deprecated LZ4 codec',
  'byte_stream_split_extended.gzip.parquet': 'DuckDB reads BYTE_STREAM_SPLIT only for FLOAT and DOUBLE',
};

/*
 * Files where DuckDB is wrong and the file's own documentation is the
 * oracle: int96_from_spark.md lists the microseconds Spark wrote; DuckDB
 * goes through 64-bit nanoseconds and wraps the last one.
 */
const DOCUMENTED = {
  'int96_from_spark.parquet': {
    a: ['1704141296123456', '1704070800000000', '253402225200000000', '1735599600000000', null, '9089380393200000000'],
  },
};

/* bad_data/ files that are valid Parquet: they crashed some reader, floe must read them as DuckDB does. */
const BAD_BUT_VALID = {
  'ARROW-GH-43605.parquet': 'a one-entry dictionary whose index bit width is 0 (valid; it crashed arrow-go\'s AVX2 unpacker)',
};

let inst, con, scratch;
before(async () => {
  inst = await DuckDBInstance.create(':memory:');
  con = await inst.connect();
  await con.run("SET TimeZone = 'UTC'");
  scratch = tmpDir('floe-pq-fixtures-');
});
after(() => { if (scratch) fs.rmSync(scratch, { recursive: true, force: true }); });

/* DuckDB's view of a file: is it nested, and its top-level columns with DuckDB types. */
async function duckShape(file) {
  const s = await duckObjects(con, `select name, type, num_children, repetition_type from parquet_schema(${qstr(file)})`);
  /* Walk the flattened tree to find top-level elements. */
  const top = [];
  let nested = false;
  let i = 1;
  const skip = (idx) => { /* returns index after subtree */
    const n = Number(s[idx].num_children ?? 0);
    let j = idx + 1;
    for (let k = 0; k < n; k++) j = skip(j);
    return j;
  };
  while (i < s.length) {
    const isGroup = Number(s[i].num_children ?? 0) > 0 || s[i].type === null;
    const repeated = s[i].repetition_type === 'REPEATED';
    if (isGroup || repeated) nested = true;
    top.push({ name: s[i].name, flat: !isGroup && !repeated });
    i = skip(i);
  }
  return { nested, top };
}

async function duckTypes(file) {
  const d = await duckObjects(con, `describe select * from read_parquet(${qstr(file)})`);
  return Object.fromEntries(d.map((x) => [x.column_name, x.column_type]));
}

/* IEEE binary16, little-endian hex -> JS number. */
function halfFromHex(h) {
  const bits = parseInt(h.slice(2, 4) + h.slice(0, 2), 16);
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f, m = bits & 0x3ff;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  if (e === 0) return sign * m * 2 ** -24;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

const isHalf = (ice, oracleType) => parseIceType(ice).type === 'fixed' && parseIceType(ice).length === 2 && oracleType === 'FLOAT';

/*
 * The DuckDB expression giving the canonical text of a column floe reads
 * as Iceberg type `ice`, given DuckDB's own type for it.
 */
function oracleExpr(ice, duckType, name) {
  const t = parseIceType(ice);
  const c = qid(name);
  if (t.type === 'string' && duckType === 'BLOB') return `decode(${c})`;
  if ((t.type === 'binary' || t.type === 'fixed') && duckType === 'VARCHAR') return `lower(hex(encode(${c})))`;
  if ((t.type === 'binary' || t.type === 'fixed') && duckType === 'FLOAT') return `cast(${c} as float)`; /* Float16 */
  if (t.type === 'timestamp' || t.type === 'timestamptz') {
    /* floe floors nanoseconds to microseconds */
    if (/TIMESTAMP_NS/.test(duckType)) return `cast(floor(epoch_ns(${c}) / 1000)::bigint as varchar)`;
    return `cast(epoch_us(${c}) as varchar)`;
  }
  if (t.type === 'time') return `cast(${c} as varchar)`;
  if (t.type === 'date') return `cast(datediff('day', date '1970-01-01', ${c}) as varchar)`;
  if (t.type === 'binary' || t.type === 'fixed') return `lower(hex(${c}))`;
  if (t.type === 'float') return `cast(${c} as float)`;
  if (t.type === 'double') return `cast(${c} as double)`;
  return `cast(${c} as varchar)`;
}

function oracleCanon(ice, duckType, v) {
  if (v === null) return null;
  if (isHalf(ice, duckType)) return floatCanon(v, false);
  return canonDuck(ice, v);
}

/* floe's value -> canonical text, Float16 columns decoded. */
function floeCanon(ice, oracleType, v) {
  if (isHalf(ice, oracleType) && typeof v === 'string') return floatCanon(halfFromHex(v), false);
  return canonFloe(ice, v);
}

function beBytesToBigInt(bytes) {
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  if (bytes.length && bytes[0] & 0x80) x -= 1n << BigInt(8 * bytes.length);
  return x;
}

/*
 * hyparquet's reading of a file as canonical texts of floe's Iceberg types:
 * decimals with the annotation removed (exact unscaled integers), dates as
 * days, timestamps as microseconds (nanoseconds floored), bytes raw.
 * Returns {rows, oracleTypes} where oracleTypes marks Float16 columns 'FLOAT'.
 */
async function hyparquetCanon(file, fields) {
  const b = fs.readFileSync(file);
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  const md = structuredClone(parquetMetadata(ab));
  const byName = Object.fromEntries(md.schema.slice(1).map((el) => [el.name, el]));
  const oracleTypes = {};
  for (const el of md.schema) {
    if (el.logical_type?.type === 'FLOAT16') oracleTypes[el.name] = 'FLOAT';
    if (el.converted_type === 'DECIMAL' || el.logical_type?.type === 'DECIMAL') { delete el.converted_type; delete el.logical_type; }
  }
  const floorDiv = (a, d) => (a >= 0n ? a / d : -((-a + d - 1n) / d));
  const rows = await parquetReadObjects({
    file: ab, metadata: md, compressors, utf8: false,
    parsers: {
      timestampFromMicroseconds: (us) => ({ us: BigInt(us) }),
      timestampFromMilliseconds: (ms) => ({ us: BigInt(ms) * 1000n }),
      timestampFromNanoseconds: (ns) => ({ us: floorDiv(BigInt(ns), 1000n) }),
      dateFromDays: (d) => ({ days: d }),
    },
  });
  const canon = (f, v) => {
    if (v === null || v === undefined) return null;
    const t = parseIceType(f.ice);
    if (oracleTypes[f.name] === 'FLOAT') return floatCanon(v, false);
    switch (t.type) {
      case 'boolean': return String(v);
      case 'int': case 'long': return BigInt(v).toString();
      case 'float': return floatCanon(v, true);
      case 'double': return floatCanon(v, false);
      case 'decimal': return decimalText(v instanceof Uint8Array ? beBytesToBigInt(v) : BigInt(v), t.scale);
      case 'date': return String(v.days);
      case 'timestamp': case 'timestamptz': return v.us.toString();
      case 'string': return typeof v === 'string' ? v : Buffer.from(v).toString('utf8');
      case 'binary': case 'fixed': return Buffer.from(v).toString('hex');
      default: throw new Error(`hyparquet oracle: no conversion for ${f.ice} (column ${f.name}, element ${JSON.stringify(byName[f.name])})`);
    }
  };
  return { rows: rows.map((o) => fields.map((f) => canon(f, o[f.name]))), oracleTypes };
}

/*
 * Compares floe's reading of `file` (all columns, or `names`) with DuckDB's.
 * Returns the list of differences.
 */
async function compareWithDuckDB(file, names) {
  const ice = floeIcebergSchema(file);
  let fields = ice.fields.map((f) => ({ name: f.name, ice: f.type }));
  if (names) fields = names.map((n) => fields.find((f) => f.name === n));
  const types = await duckTypes(file);
  for (const f of fields) assert.ok(f.name in types, `floe column ${f.name} is not a DuckDB column (${Object.keys(types)})`);
  const exprs = fields.map((f) => oracleExpr(f.ice, types[f.name], f.name)).join(', ');
  const raw = await duckRows(con, `select ${exprs} from read_parquet(${qstr(file)}, file_row_number = true) order by file_row_number`);
  const want = raw.map((row) => row.map((v, c) => oracleCanon(fields[c].ice, types[fields[c].name], v)));
  const rows = floeCat(file, names ? ['--columns', names.join(',')] : []);
  const got = rows.map((o) => fields.map((f) => floeCanon(f.ice, types[f.name], o[f.name])));
  return diffRows(fields.map((f) => `${f.name} (${f.ice}; DuckDB ${types[f.name]})`), got, want);
}

/* The same with hyparquet, or with documented values, as the oracle. */
async function compareWithOther(file, documented) {
  const ice = floeIcebergSchema(file);
  const fields = ice.fields.map((f) => ({ name: f.name, ice: f.type }));
  let want, oracleTypes = {};
  if (documented) {
    const n = Object.values(documented)[0].length;
    want = Array.from({ length: n }, (_, r) => fields.map((f) => documented[f.name][r]));
  } else {
    ({ rows: want, oracleTypes } = await hyparquetCanon(file, fields));
  }
  const got = floeCat(file).map((o) => fields.map((f) => floeCanon(f.ice, oracleTypes[f.name], o[f.name])));
  return { diff: diffRows(fields.map((f) => `${f.name} (${f.ice})`), got, want), got, fields };
}

const dataFiles = fs.readdirSync(DATA).filter((f) => f.endsWith('.parquet')).sort();

describe('parquet-testing data/', () => {
  test('the known lists match the directory', async () => {
    const nested = [];
    for (const f of dataFiles) {
      let shape;
      try { shape = await duckShape(path.join(DATA, f)); } catch { shape = { nested: true }; }
      if (shape.nested) nested.push(f);
    }
    assert.deepEqual(nested.sort(), Object.keys(NESTED).sort(), 'files with nested columns (by DuckDB) vs NESTED');
    for (const f of [...Object.keys(UNSUPPORTED_FLAT), ...CORRUPT_CRC, ...Object.keys(MALFORMED),
      ...Object.keys(HYPARQUET_ORACLE), ...Object.keys(DOCUMENTED)]) {
      assert.ok(dataFiles.includes(f), `${f} is listed but not in ${DATA}`);
    }
  });

  for (const f of dataFiles) {
    const file = path.join(DATA, f);
    if (NESTED[f]) {
      test(`${f}: nested columns read as DuckDB reads them (${NESTED[f]}), flat columns alone too`, async () => {
        const r = floe(['parquet', 'cat', file]);
        assert.ok(!crashed(r), `crashed: ${r.status} ${r.signal}\n${r.stderr}`);
        if (NESTED_REFUSED[f]) {
          assert.equal(r.status, 1, `exit code ${r.status}, stderr: ${r.stderr}`);
          assert.match(r.stderr, NESTED_REFUSED[f], r.stderr);
        } else {
          assert.equal(r.status, 0, `exit code ${r.status}, stderr: ${r.stderr}`);
          const { out, ncols } = await compareNested(file);
          assert.ok(ncols > 0, 'no nested column found');
          assert.deepEqual(out, [], `${f}: floe differs from DuckDB:\n${out.join('\n')}`);
        }
        let shape;
        try { shape = await duckShape(file); } catch { return; /* DuckDB cannot read it either */ }
        const flat = shape.top.filter((c) => c.flat).map((c) => c.name);
        if (flat.length === 0) return;
        const d = await compareWithDuckDB(file, flat);
        assert.deepEqual(d, [], `${f} --columns ${flat}: floe differs from DuckDB:\n${d.join('\n')}`);
      });
      continue;
    }
    if (UNSUPPORTED_FLAT[f]) {
      const [why, re] = UNSUPPORTED_FLAT[f];
      test(`${f}: refused as unsupported (${why})`, () => {
        const r = floe(['parquet', 'cat', file]);
        assert.ok(!crashed(r), `crashed: ${r.status} ${r.signal}\n${r.stderr}`);
        assert.equal(r.status, 1, `exit code ${r.status}, stderr: ${r.stderr}`);
        assert.match(r.stderr, re, r.stderr);
      });
      continue;
    }
    if (HYPARQUET_ORACLE[f] || DOCUMENTED[f]) {
      const why = HYPARQUET_ORACLE[f] ? `hyparquet as oracle: ${HYPARQUET_ORACLE[f]}` : 'values documented beside the file';
      test(`${f}: floe reads the right values (${why})`, async () => {
        const { diff, got, fields } = await compareWithOther(file, DOCUMENTED[f]);
        assert.deepEqual(diff, [], `${f}: floe differs:\n${diff.join('\n')}`);
        /* byte_stream_split_extended holds each column twice, PLAIN and BYTE_STREAM_SPLIT */
        for (const [c, fl] of fields.entries()) {
          const twin = fields.findIndex((x) => x.name === fl.name.replace(/_plain$/, '_byte_stream_split'));
          if (!fl.name.endsWith('_plain') || twin < 0) continue;
          assert.deepEqual(got.map((r) => r[twin]), got.map((r) => r[c]), `${fields[twin].name} differs from ${fl.name}`);
        }
      });
      continue;
    }
    test(`${f}: floe reads what DuckDB reads`, async () => {
      if (MALFORMED[f]) {
        const r = floe(['parquet', 'cat', file]);
        assert.ok(!crashed(r), `crashed: ${r.status} ${r.signal}\n${r.stderr}`);
        if (r.status !== 0) {
          assert.equal(r.status, 1, r.stderr);
          assert.match(r.stderr, /floe parquet: \S/, r.stderr);
          return;
        }
      }
      if (CORRUPT_CRC.has(f)) {
        const r = floe(['parquet', 'cat', file]);
        assert.ok(!crashed(r), `crashed: ${r.status} ${r.signal}\n${r.stderr}`);
        if (r.status !== 0) {
          assert.equal(r.status, 1, r.stderr);
          assert.match(r.stderr, /crc|checksum/i, `a refusal must name the checksum: ${r.stderr}`);
          return;
        }
      }
      const d = await compareWithDuckDB(file);
      assert.deepEqual(d, [], `${f}: floe differs from DuckDB:\n${d.join('\n')}`);
      /* meta and schema work on every file floe reads */
      for (const sub of ['meta', 'schema']) {
        const r = floe(['parquet', sub, file]);
        assert.ok(!crashed(r) && r.status === 0, `floe parquet ${sub} ${f}: ${r.status} ${r.stderr}`);
      }
      const meta = JSON.parse(floe(['parquet', 'meta', file]).stdout);
      const fm = await duckObjects(con, `select num_rows, num_row_groups from parquet_file_metadata(${qstr(file)})`);
      assert.equal(String(meta.num_rows), fm[0].num_rows, 'floe parquet meta num_rows');
    });
  }

  test('encrypted files are refused with a clear message', () => {
    const enc = fs.readdirSync(DATA).filter((f) => f.endsWith('.parquet.encrypted')).sort();
    assert.ok(enc.length > 0);
    const problems = [];
    for (const f of enc) {
      const r = floe(['parquet', 'cat', path.join(DATA, f)]);
      if (crashed(r)) problems.push(`${f}: crashed ${r.status} ${r.signal} ${r.stderr.slice(0, 300)}`);
      else if (r.status !== 1) problems.push(`${f}: exit ${r.status}`);
      else if (!/encrypt|unsupported/i.test(r.stderr)) problems.push(`${f}: message does not say encrypted/unsupported: ${r.stderr.trim()}`);
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });
});

describe('parquet-testing bad_data/', () => {
  const bad = fs.readdirSync(BAD).filter((f) => f.endsWith('.parquet')).sort();
  for (const f of bad) {
    if (BAD_BUT_VALID[f]) {
      test(`${f} is read as DuckDB reads it (${BAD_BUT_VALID[f]})`, async () => {
        const d = await compareWithDuckDB(path.join(BAD, f));
        assert.deepEqual(d, [], d.join('\n'));
      });
      continue;
    }
    test(`${f} is refused cleanly`, () => {
      const file = path.join(BAD, f);
      const r = floe(['parquet', 'cat', file]);
      assert.ok(!crashed(r), `crashed: ${r.status} ${r.signal}\n${r.stderr}`);
      assert.equal(r.status, 1, `exit code ${r.status} (a bad file must be refused), stdout ${r.stdout.slice(0, 200)}, stderr ${r.stderr}`);
      assert.match(r.stderr, /floe parquet: \S/, `a message is expected: ${r.stderr}`);
      for (const sub of ['meta', 'schema']) {
        const m = floe(['parquet', sub, file]);
        assert.ok(!crashed(m), `floe parquet ${sub} crashed: ${m.status} ${m.signal}\n${m.stderr}`);
        assert.ok(m.status === 0 || m.status === 1, `floe parquet ${sub}: exit ${m.status}`);
      }
    });
  }
});

describe('damaged copies of good files', () => {
  const SOURCES = ['alltypes_plain.snappy.parquet', 'delta_byte_array.parquet', 'rle-dict-snappy-checksum.parquet',
    'datapage_v2_empty_datapage.snappy.parquet', 'lz4_raw_compressed_larger.parquet'];
  for (const src of SOURCES) {
    test(`${src}: truncated and bit-flipped copies never crash`, () => {
      const bytes = fs.readFileSync(path.join(DATA, src));
      const r = rng(bytes.length);
      const problems = [];
      const tryOne = (label, buf, mustFail) => {
        const p = path.join(scratch, `${src}.${label}`);
        fs.writeFileSync(p, buf);
        const res = floe(['parquet', 'cat', p]);
        if (crashed(res)) problems.push(`${label}: crashed ${res.status} ${res.signal} ${res.stderr.slice(0, 800)}`);
        else if (res.status !== 0 && res.status !== 1) problems.push(`${label}: exit ${res.status}`);
        else if (mustFail && res.status !== 1) problems.push(`${label}: a truncated file was read`);
        else if (res.status === 1 && !res.stderr.trim()) problems.push(`${label}: refused without a message`);
        fs.rmSync(p);
      };
      for (const cut of [0, 3, 4, 8, 12, bytes.length - 1, bytes.length - 4, bytes.length - 8, bytes.length - 9,
        Math.floor(bytes.length / 2), bytes.length - 20]) {
        if (cut >= 0 && cut < bytes.length) tryOne(`cut${cut}`, bytes.subarray(0, cut), true);
      }
      for (let k = 0; k < 24; k++) {
        const b = Buffer.from(bytes);
        const n = 1 + Math.floor(r() * 4);
        /* half the flips land in the footer, where every byte drives the parse */
        const footerLen = b.readUInt32LE(b.length - 8);
        for (let j = 0; j < n; j++) {
          const lo = k % 2 ? Math.max(4, b.length - 8 - footerLen) : 4;
          const at = lo + Math.floor(r() * (b.length - 8 - lo));
          b[at] ^= 1 << Math.floor(r() * 8);
        }
        tryOne(`flip${k}`, b, false);
      }
      assert.deepEqual(problems, [], problems.join('\n'));
    });
  }
});
