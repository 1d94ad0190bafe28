/*
 * parquet_util.mjs - shared helpers of the Parquet interop tests.
 *
 * The tests compare values that went through floe with values read by
 * tools no one here wrote (DuckDB, hyparquet). Both sides are brought to
 * one canonical text per Iceberg type so that a comparison is exact:
 *   boolean "true"/"false"; int, long: decimal integer text;
 *   float, double: JS shortest round-trip text of the exact value
 *     (float rounded to binary32), "-0" for negative zero, "NaN",
 *     "Infinity", "-Infinity";
 *   decimal: the decimal text with exactly `scale` fraction digits;
 *   date: days since 1970-01-01; time: microseconds since midnight;
 *   timestamp, timestamptz: microseconds since the epoch;
 *   string: the string; binary, fixed: lowercase hex; uuid: lowercase text.
 * null stays null.
 *
 * floe prints NDJSON whose 64-bit integers do not survive JSON.parse, so
 * parseJsonExact() keeps every number as its source text.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FLOE_BIN = process.env.FLOE_BIN;
/* Test data other tools wrote, vendored in the repository (tests/fixtures/README.md). */
export const FLOE_FIXTURES = process.env.FLOE_FIXTURES
  || path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/* A number kept as its JSON source text. */
export class JNum {
  constructor(text) { this.text = text; }
}

/* JSON.parse that keeps numbers as JNum (exact 64-bit integers, exact floats). */
export function parseJsonExact(text) {
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i++; };
  const fail = (why) => { throw new Error(`bad JSON at ${i}: ${why}: ${text.slice(0, 200)}`); };
  function value() {
    ws();
    const c = text[i];
    if (c === '{') {
      i++; const o = {}; ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) {
        ws(); if (text[i] !== '"') fail('expected key');
        const k = str(); ws();
        if (text[i++] !== ':') fail('expected :');
        o[k] = value(); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return o; }
        fail('expected , or }');
      }
    }
    if (c === '[') {
      i++; const a = []; ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) {
        a.push(value()); ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return a; }
        fail('expected , or ]');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('unexpected character');
    i += m[0].length;
    return new JNum(m[0]);
  }
  function str() {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') { if (text[i] === '\\') i++; i++; }
    if (i >= text.length) fail('unterminated string');
    i++;
    return JSON.parse(text.slice(start, i));
  }
  const v = value(); ws();
  if (i !== text.length) fail('trailing text');
  return v;
}

/* Days from civil (proleptic Gregorian), Howard Hinnant's algorithm; exact for any year. */
export function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/* "HH:MM:SS[.f{1,9}]" -> BigInt microseconds (nanosecond digits beyond 6 must be 0). */
export function timeTextToMicros(s) {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/.exec(s);
  if (!m) throw new Error(`bad time text ${JSON.stringify(s)}`);
  const frac = (m[4] || '').padEnd(9, '0');
  if (!/^0*$/.test(frac.slice(6))) throw new Error(`time ${s} has sub-microsecond digits`);
  return (BigInt(m[1]) * 3600n + BigInt(m[2]) * 60n + BigInt(m[3])) * 1000000n + BigInt(frac.slice(0, 6));
}

/* "YYYY-MM-DD" -> days since epoch (number). */
export function dateTextToDays(s) {
  const m = /^(-?\d{4,})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) throw new Error(`bad date text ${JSON.stringify(s)}`);
  return daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
}

/* ISO timestamp "YYYY-MM-DDTHH:MM:SS[.ffffff][Z|+00:00|±HH:MM]" -> BigInt micros since epoch. */
export function tsTextToMicros(s) {
  const m = /^(-?\d{4,}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:\d{2})?$/.exec(s);
  if (!m) throw new Error(`bad timestamp text ${JSON.stringify(s)}`);
  let us = BigInt(dateTextToDays(m[1])) * 86400000000n + timeTextToMicros(m[2]);
  if (m[3] && m[3] !== 'Z') {
    const sign = m[3][0] === '-' ? -1n : 1n;
    const off = (BigInt(m[3].slice(1, 3)) * 60n + BigInt(m[3].slice(4, 6))) * 60000000n;
    us -= sign * off;
  }
  return us;
}

export function floatCanon(x, single) {
  if (typeof x !== 'number') throw new Error(`not a number: ${x}`);
  if (single) x = Math.fround(x);
  if (Number.isNaN(x)) return 'NaN';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

/* Parses an Iceberg type string: {type, precision, scale, length}. */
export function parseIceType(t) {
  let m;
  if ((m = /^decimal\((\d+),\s*(\d+)\)$/.exec(t))) return { type: 'decimal', precision: +m[1], scale: +m[2] };
  if ((m = /^fixed\[(\d+)\]$/.exec(t))) return { type: 'fixed', length: +m[1] };
  return { type: t };
}

/* Canonical text of one value from floe's NDJSON (parsed with parseJsonExact). */
export function canonFloe(ice, v) {
  if (v === null || v === undefined) return null;
  const t = typeof ice === 'string' ? parseIceType(ice) : ice;
  const need = (cond, what) => { if (!cond) throw new Error(`floe printed ${JSON.stringify(v)} for a ${t.type}: ${what}`); };
  switch (t.type) {
    case 'boolean': need(typeof v === 'boolean', 'not a boolean'); return String(v);
    case 'int': case 'long':
      need(v instanceof JNum && /^-?\d+$/.test(v.text), 'not an integer'); return BigInt(v.text).toString();
    case 'float': case 'double':
      if (typeof v === 'string') {
        need(['NaN', 'Infinity', '-Infinity'].includes(v), 'unknown float string');
        return v;
      }
      need(v instanceof JNum, 'not a number');
      return floatCanon(Number(v.text), t.type === 'float');
    case 'decimal': {
      need(typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v), 'not a decimal string');
      const frac = v.includes('.') ? v.split('.')[1].length : 0;
      need(frac === t.scale, `wants ${t.scale} fraction digits`);
      return v;
    }
    case 'date': need(typeof v === 'string', 'not a string'); return String(dateTextToDays(v));
    case 'time': need(typeof v === 'string', 'not a string'); return timeTextToMicros(v).toString();
    case 'timestamp':
      need(typeof v === 'string' && !/(Z|[+-]\d\d:\d\d)$/.test(v), 'timestamp without zone must have no offset');
      return tsTextToMicros(v).toString();
    case 'timestamptz':
      need(typeof v === 'string' && /(Z|[+-]\d\d:\d\d)$/.test(v), 'timestamptz must have an offset');
      return tsTextToMicros(v).toString();
    case 'string': need(typeof v === 'string', 'not a string'); return v;
    case 'binary': case 'fixed':
      need(typeof v === 'string' && /^([0-9a-fA-F]{2})*$/.test(v), 'not hex');
      if (t.type === 'fixed') need(v.length === 2 * t.length, `wants ${t.length} bytes`);
      return v.toLowerCase();
    case 'uuid':
      need(typeof v === 'string' && /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(v), 'not uuid text');
      return v.toLowerCase();
    default: throw new Error(`unknown Iceberg type ${t.type}`);
  }
}

/* Quotes an identifier for DuckDB SQL. */
export const qid = (name) => '"' + name.replace(/"/g, '""') + '"';
/* Quotes a string literal for DuckDB SQL. */
export const qstr = (s) => "'" + s.replace(/'/g, "''") + "'";

/*
 * The DuckDB expression that yields the canonical text of column `name`
 * read as Iceberg type `ice` (see canonDuck for the JS half).
 */
export function duckExpr(ice, name) {
  const t = typeof ice === 'string' ? parseIceType(ice) : ice;
  const c = qid(name);
  switch (t.type) {
    case 'boolean': case 'int': case 'long': case 'decimal': case 'string': case 'uuid':
      return `cast(${c} as varchar)`;
    case 'float': return `cast(${c} as float)`;
    case 'double': return `cast(${c} as double)`;
    case 'date': return `cast(datediff('day', date '1970-01-01', ${c}) as varchar)`;
    case 'time': return `cast(${c} as varchar)`;
    case 'timestamp': case 'timestamptz': return `cast(epoch_us(${c}) as varchar)`;
    case 'binary': case 'fixed': return `lower(hex(${c}))`;
    default: throw new Error(`unknown Iceberg type ${t.type}`);
  }
}

/* JS half of duckExpr: a value of getRows() -> canonical text. */
export function canonDuck(ice, v) {
  if (v === null || v === undefined) return null;
  const t = typeof ice === 'string' ? parseIceType(ice) : ice;
  switch (t.type) {
    case 'float': return floatCanon(v, true);
    case 'double': return floatCanon(v, false);
    case 'time': return timeTextToMicros(v).toString();
    case 'uuid': return String(v).toLowerCase();
    default: return String(v);
  }
}

/* Runs floe; returns {status, signal, stdout, stderr}. */
export function floe(args, opts = {}) {
  const r = spawnSync(FLOE_BIN, args, {
    encoding: 'utf8', maxBuffer: 1 << 30, timeout: opts.timeout ?? 120000, input: opts.input,
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=99', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1:exitcode=98' },
  });
  if (r.error) throw r.error;
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/* True when a floe run crashed or a sanitizer spoke, rather than failing cleanly. */
export function crashed(r) {
  return r.signal !== null || r.status === null || r.status >= 128 || r.status === 99 || r.status === 98 ||
    /AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:/.test(r.stderr);
}

/* Runs `floe parquet cat` and returns the rows parsed exactly; throws with stderr on failure. */
export function floeCat(file, extra = []) {
  const r = floe(['parquet', 'cat', ...extra, file]);
  if (r.status !== 0) throw new Error(`floe parquet cat ${file} exited ${r.status} (signal ${r.signal}): ${r.stderr}`);
  if (crashed(r)) throw new Error(`floe parquet cat ${file}: sanitizer report: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.length).map(parseJsonExact);
}

/* floe's Iceberg schema of a Parquet file (from `floe parquet schema`). */
export function floeIcebergSchema(file) {
  const r = floe(['parquet', 'schema', file]);
  if (r.status !== 0 || crashed(r)) throw new Error(`floe parquet schema ${file} exited ${r.status}: ${r.stderr}`);
  const at = r.stdout.indexOf('iceberg schema:');
  if (at < 0) throw new Error(`no "iceberg schema:" in floe parquet schema output: ${r.stdout}`);
  return JSON.parse(r.stdout.slice(at + 'iceberg schema:'.length));
}

export function tmpDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/* Converts a DuckDB value (getRows) to something JSON can print, for messages. */
export function show(v) {
  return JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? x.toString() + 'n' : x));
}

/*
 * Compares two row lists of canonical texts column by column; returns a list
 * of at most `max` human-readable differences (empty = equal).
 */
export function diffRows(names, got, want, max = 10) {
  const out = [];
  if (got.length !== want.length) out.push(`row count: floe ${got.length}, oracle ${want.length}`);
  const n = Math.min(got.length, want.length);
  for (let r = 0; r < n && out.length < max; r++) {
    for (let c = 0; c < names.length && out.length < max; c++) {
      if (got[r][c] !== want[r][c]) out.push(`row ${r} column ${names[c]}: floe ${show(got[r][c])}, oracle ${show(want[r][c])}`);
    }
  }
  return out;
}

/* ---- test data: every Iceberg type with nulls and extremes ---- */

/* Deterministic PRNG (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/* Civil date from days since epoch: "YYYY-MM-DD" (years 0..9999). */
export function civilFromDays(z) {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  let y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  if (m <= 2) y++;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function microsToTimeText(us) {
  us = BigInt(us);
  const p2 = (x) => String(x).padStart(2, '0');
  const s = us / 1000000n, f = us % 1000000n;
  return `${p2(s / 3600n)}:${p2((s / 60n) % 60n)}:${p2(s % 60n)}.${String(f).padStart(6, '0')}`;
}

export function microsToTsText(us) {
  us = BigInt(us);
  let days = us / 86400000000n;
  let rem = us % 86400000000n;
  if (rem < 0n) { rem += 86400000000n; days -= 1n; }
  return `${civilFromDays(Number(days))}T${microsToTimeText(rem)}`;
}

export function decimalText(unscaled, scale) {
  const neg = unscaled < 0n;
  let s = (neg ? -unscaled : unscaled).toString();
  if (scale > 0) {
    s = s.padStart(scale + 1, '0');
    s = s.slice(0, s.length - scale) + '.' + s.slice(s.length - scale);
  }
  return (neg ? '-' : '') + s;
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const uuidText = (h) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;

/*
 * The all-types schema of the writer tests. `ice` is the Iceberg type,
 * `duck` the DuckDB type floe's Parquet column must read as, `phys` the
 * Parquet physical type the Iceberg spec (Appendix "Parquet") prescribes.
 */
export const ALL_FIELDS = [
  { id: 1, name: 'b', ice: 'boolean', duck: 'BOOLEAN', phys: 'BOOLEAN' },
  { id: 2, name: 'i', ice: 'int', duck: 'INTEGER', phys: 'INT32' },
  { id: 3, name: 'l', ice: 'long', duck: 'BIGINT', phys: 'INT64' },
  { id: 4, name: 'f', ice: 'float', duck: 'FLOAT', phys: 'FLOAT' },
  { id: 5, name: 'd', ice: 'double', duck: 'DOUBLE', phys: 'DOUBLE' },
  { id: 6, name: 'dec9', ice: 'decimal(9, 2)', duck: 'DECIMAL(9,2)', phys: 'INT32' },
  { id: 7, name: 'dec18', ice: 'decimal(18, 6)', duck: 'DECIMAL(18,6)', phys: 'INT64' },
  { id: 8, name: 'dec38', ice: 'decimal(38, 10)', duck: 'DECIMAL(38,10)', phys: 'FIXED_LEN_BYTE_ARRAY', len: 16 },
  { id: 9, name: 'dec4', ice: 'decimal(4, 0)', duck: 'DECIMAL(4,0)', phys: 'INT32' },
  { id: 10, name: 'dt', ice: 'date', duck: 'DATE', phys: 'INT32' },
  { id: 11, name: 'tm', ice: 'time', duck: 'TIME', phys: 'INT64' },
  { id: 12, name: 'ts', ice: 'timestamp', duck: 'TIMESTAMP', phys: 'INT64' },
  { id: 13, name: 'tstz', ice: 'timestamptz', duck: 'TIMESTAMP WITH TIME ZONE', phys: 'INT64' },
  { id: 14, name: 's', ice: 'string', duck: 'VARCHAR', phys: 'BYTE_ARRAY' },
  { id: 15, name: 'bin', ice: 'binary', duck: 'BLOB', phys: 'BYTE_ARRAY' },
  { id: 16, name: 'u', ice: 'uuid', duck: 'UUID', phys: 'FIXED_LEN_BYTE_ARRAY', len: 16 },
  { id: 17, name: 'fx', ice: 'fixed[5]', duck: 'BLOB', phys: 'FIXED_LEN_BYTE_ARRAY', len: 5 },
  { id: 18, name: 'req_l', ice: 'long', duck: 'BIGINT', phys: 'INT64', required: true },
  { id: 19, name: 'req_s', ice: 'string', duck: 'VARCHAR', phys: 'BYTE_ARRAY', required: true },
  { id: 20, name: 'sparse', ice: 'long', duck: 'BIGINT', phys: 'INT64' },
  { id: 21, name: 'lowcard', ice: 'string', duck: 'VARCHAR', phys: 'BYTE_ARRAY' },
];

export function icebergSchemaJson(fields) {
  return JSON.stringify({
    type: 'struct', 'schema-id': 0,
    fields: fields.map((f) => ({ id: f.id, name: f.name, required: !!f.required, type: f.ice })),
  });
}

/* Extremes per type: [ndjson text, canonical text]. */
const F32_MAX = 3.4028234663852886e38;
const EXTREMES = {
  boolean: [['true', 'true'], ['false', 'false']],
  int: [['-2147483648', '-2147483648'], ['2147483647', '2147483647'], ['0', '0'], ['-1', '-1']],
  long: [['-9223372036854775808', '-9223372036854775808'], ['9223372036854775807', '9223372036854775807'],
    ['0', '0'], ['-1', '-1'], ['9007199254740993', '9007199254740993']],
  float: [['"NaN"', 'NaN'], ['"Infinity"', 'Infinity'], ['"-Infinity"', '-Infinity'], ['-0.0', '-0'], ['0.0', '0'],
    [String(F32_MAX), floatCanon(F32_MAX, true)], ['1.401298464324817e-45', floatCanon(1.401298464324817e-45, true)],
    ['0.1', floatCanon(0.1, true)], ['-3.4028234663852886e38', floatCanon(-F32_MAX, true)]],
  double: [['"NaN"', 'NaN'], ['"Infinity"', 'Infinity'], ['"-Infinity"', '-Infinity'], ['-0.0', '-0'], ['0.0', '0'],
    ['1.7976931348623157e308', '1.7976931348623157e+308'], ['5e-324', '5e-324'], ['0.1', '0.1'],
    ['-1.7976931348623157e308', '-1.7976931348623157e+308']],
  'decimal(9, 2)': ['9999999.99', '-9999999.99', '0.00', '0.01', '-0.01'].map((x) => [`"${x}"`, x]),
  'decimal(18, 6)': ['999999999999.999999', '-999999999999.999999', '0.000000', '0.000001'].map((x) => [`"${x}"`, x]),
  'decimal(38, 10)': ['9999999999999999999999999999.9999999999', '-9999999999999999999999999999.9999999999',
    '0.0000000000', '0.0000000001', '-0.0000000001', '18446744073709551616.0000000000'].map((x) => [`"${x}"`, x]),
  'decimal(4, 0)': ['9999', '-9999', '0'].map((x) => [`"${x}"`, x]),
  date: ['0001-01-01', '9999-12-31', '1969-12-31', '1970-01-01', '1600-02-29', '2000-02-29']
    .map((x) => [`"${x}"`, String(dateTextToDays(x))]),
  time: ['00:00:00.000000', '23:59:59.999999', '12:00:00.000001'].map((x) => [`"${x}"`, timeTextToMicros(x).toString()]),
  timestamp: ['0001-01-01T00:00:00.000000', '9999-12-31T23:59:59.999999', '1969-12-31T23:59:59.999999',
    '1970-01-01T00:00:00.000000', '1582-10-04T12:34:56.789012']
    .map((x) => [`"${x}"`, tsTextToMicros(x).toString()])
    /* epoch numbers: the unit told by the magnitude (< 1e11 s, < 1e14 ms, < 1e17 us, else ns) */
    .concat([['-1', '-1000000'], ['1767780000000', '1767780000000000'], ['1700000000123456', '1700000000123456'],
      ['1767780000000001999', '1767780000000001']]),
  timestamptz: ['0001-01-01T00:00:00.000000+00:00', '9999-12-31T23:59:59.999999+00:00', '1969-12-31T23:59:59.999999+00:00',
    '1900-01-01T00:00:00.000001+00:00'].map((x) => [`"${x}"`, tsTextToMicros(x).toString()]),
  string: ['', 'a', 'z'.repeat(100), 'héllo wörld ✓ 日本語 🎉', 'é'.repeat(40), '\n\t"\\ quote', ' ', 'A'.repeat(65),
    '\u{10FFFF}\u{10FFFF}'].map((x) => [JSON.stringify(x), x]),
  binary: ['', '00', 'ff'.repeat(100), '00ff10', '7f'.repeat(70)].map((x) => [`"${x}"`, x]),
  uuid: ['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
    '7fffffff-ffff-ffff-8000-000000000000'].map((x) => [`"${x}"`, x]),
  'fixed[5]': ['0000000000', 'ffffffffff', '8000000001'].map((x) => [`"${x}"`, x]),
};

const CITIES = ['Amsterdam', 'Berlin', 'Cairo', 'Delhi', 'Espoo', 'Faro', 'Graz', 'Hanoi', 'Ibiza', 'Jakarta'];

function randomValue(ice, r) {
  const t = parseIceType(ice);
  const big = (digits) => {
    let s = '';
    const n = 1 + Math.floor(r() * digits);
    for (let k = 0; k < n; k++) s += Math.floor(r() * 10);
    return (r() < 0.5 ? -1n : 1n) * BigInt(s);
  };
  switch (t.type) {
    case 'boolean': { const v = r() < 0.5; return [String(v), String(v)]; }
    case 'int': { const v = Math.floor(r() * 2000000) - 1000000; return [String(v), String(v)]; }
    case 'long': { const v = big(18); return [v.toString(), v.toString()]; }
    case 'float': { const v = (r() - 0.5) * 1000; return [String(v), floatCanon(v, true)]; }
    case 'double': { const v = (r() - 0.5) * 1e6; return [String(v), floatCanon(v, false)]; }
    case 'decimal': { const v = decimalText(big(t.precision), t.scale); return [`"${v}"`, v]; }
    case 'date': { const v = Math.floor(r() * 40000) - 10000; return r() < 0.5 ? [String(v), String(v)] : [`"${civilFromDays(v)}"`, String(v)]; }
    case 'time': { const v = BigInt(Math.floor(r() * 86400e6)); return r() < 0.5 ? [v.toString(), v.toString()] : [`"${microsToTimeText(v)}"`, v.toString()]; }
    case 'timestamp': case 'timestamptz': {
      const v = BigInt(Math.floor((r() - 0.3) * 3e15));
      /* a number is read as microseconds only from 1e14 (1973) up: its magnitude tells the unit */
      if (r() < 0.5 && (v >= 100000000000000n || v <= -100000000000000n)) return [v.toString(), v.toString()];
      return [`"${microsToTsText(v)}${t.type === 'timestamptz' ? '+00:00' : ''}"`, v.toString()];
    }
    case 'string': {
      const n = Math.floor(r() * 30);
      let s = '';
      const alphabet = Array.from('abcdefghijklmnopqrstuvwxyzéß日😀');
      for (let k = 0; k < n; k++) s += alphabet[Math.floor(r() * alphabet.length)];
      return [JSON.stringify(s), s];
    }
    case 'binary': case 'fixed': case 'uuid': {
      const n = t.type === 'uuid' ? 16 : t.type === 'fixed' ? t.length : Math.floor(r() * 40);
      const b = new Uint8Array(n);
      for (let k = 0; k < n; k++) b[k] = Math.floor(r() * 256);
      const h = hex(b);
      const v = t.type === 'uuid' ? uuidText(h) : h;
      return [`"${v}"`, v];
    }
    default: throw new Error(ice);
  }
}

/*
 * nrows rows of `fields`: extremes first, then random values; optional
 * fields are null about one time in eight. Returns {ndjson, rows} where
 * rows[i][c] is the canonical text (or null) of field c.
 */
export function makeRows(fields, nrows, seed = 1) {
  const r = rng(seed);
  const lines = [];
  const rows = [];
  for (let i = 0; i < nrows; i++) {
    const parts = [];
    const row = [];
    for (const f of fields) {
      let pair;
      if (f.name === 'sparse') pair = i % 1000 === 7 ? [String(i), String(i)] : null;
      else if (f.name === 'lowcard') pair = r() < 0.1 ? null : [JSON.stringify(CITIES[i % 10]), CITIES[i % 10]];
      else if (f.name === 'req_l') pair = [String(i), String(i)];
      else if (f.name === 'req_s') pair = [JSON.stringify(`row-${i}`), `row-${i}`];
      else {
        const ex = EXTREMES[f.ice];
        if (i < ex.length) pair = ex[i];
        else if (i === ex.length && !f.required) pair = null;
        else if (!f.required && r() < 0.125) pair = null;
        else pair = randomValue(f.ice, r);
      }
      if (pair === null) {
        if ((i & 1) === 0) parts.push(`${JSON.stringify(f.name)}:null`); /* else: key missing = null */
        row.push(null);
      } else {
        parts.push(`${JSON.stringify(f.name)}:${pair[0]}`);
        row.push(pair[1]);
      }
    }
    lines.push('{' + parts.join(',') + '}');
    rows.push(row);
  }
  return { ndjson: lines.join('\n') + '\n', rows };
}

/* ---- DuckDB helpers ---- */

/* Rows of a query as arrays of JS values (BigInt for BIGINT). */
export async function duckRows(con, sql) {
  const reader = await con.runAndReadAll(sql);
  return reader.getRows();
}

export async function duckObjects(con, sql) {
  const reader = await con.runAndReadAll(sql);
  return reader.getRowObjectsJson();
}

/* DuckDB's reading of `file` as canonical texts, in file order, for fields [{name, ice}]. */
export async function duckCanonRows(con, file, fields) {
  const exprs = fields.map((f) => duckExpr(f.ice, f.name)).join(', ');
  const rows = await duckRows(con,
    `select ${exprs} from read_parquet(${qstr(file)}, file_row_number = true) order by file_row_number`);
  return rows.map((row) => row.map((v, c) => canonDuck(fields[c].ice, v)));
}

/* floe's reading of `file` as canonical texts for fields [{name, ice}]. */
export function floeCanonRows(file, fields, extra = []) {
  return floeCat(file, extra).map((obj) => fields.map((f) => canonFloe(f.ice, obj[f.name])));
}

/* A SQL literal of canonical text v as Iceberg type ice (DuckDB). */
export function sqlLiteral(ice, v) {
  if (v === null) return 'NULL';
  const t = parseIceType(ice);
  switch (t.type) {
    case 'boolean': return v;
    case 'int': return `(${v})::INTEGER`;
    case 'long': return `(${v})::BIGINT`;
    case 'float': return `'${v}'::FLOAT`;
    case 'double': return `'${v}'::DOUBLE`;
    case 'decimal': return `'${v}'::DECIMAL(${t.precision},${t.scale})`;
    case 'date': return `(date '1970-01-01' + (${v})::INTEGER)`;
    case 'time': return `(time '00:00:00' + to_microseconds((${v})::BIGINT))`;
    case 'timestamp': return `make_timestamp((${v})::BIGINT)`;
    case 'timestamptz': return `make_timestamp((${v})::BIGINT)::TIMESTAMPTZ`;
    case 'string': return qstr(v);
    case 'binary': case 'fixed': return `from_hex('${v}')`;
    case 'uuid': return `'${v}'::UUID`;
    default: throw new Error(ice);
  }
}
