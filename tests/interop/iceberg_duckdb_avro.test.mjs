/*
 * iceberg_duckdb_avro.test.mjs - the pieces of floe's Iceberg tables read
 * by tools no one here wrote:
 *
 *  - DuckDB (@duckdb/node-api) reads every data file `floe table files`
 *    lists; the union of their rows equals `floe table scan` value by
 *    value at full precision (append-only tables, no deletes); each
 *    file's record_count and file_size_in_bytes are true; and every row
 *    of a file maps to the file's partition tuple under the spec's
 *    transforms, computed here independently (Java's arithmetic for
 *    truncate, Murmur3 x86 32 checked against the spec's vectors for
 *    bucket).
 *  - python3-avro (Debian, via avro_dump.py) and avsc (npm) read every
 *    manifest list and manifest and see every field-id format 2 assigns
 *    (apache/iceberg format/spec.md: manifest_file 500..519 with 508 the
 *    partitions element; manifest_entry 0,1,3,4,2; data_file 134,100..104,
 *    108,109,110,137,125,128,131,132,135,140 with map key/value ids
 *    117..130,138,139 and list element ids 133,136; the partition struct
 *    carries the spec's partition field ids) and the metadata keys
 *    (manifests: schema, schema-id, partition-spec, partition-spec-id,
 *    format-version, content; lists: snapshot-id, parent-snapshot-id,
 *    sequence-number, format-version); the entries name exactly the files
 *    `floe table files` prints.
 *  - DuckDB's read_json reads each metadata file and finds every field
 *    format 2 requires, with 64-bit snapshot ids exact.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { describeAvro } from './avro_check.mjs';
import {
  bagDiff, buildTable, floe, floeOk, floeScanCanon, ndjson, parseJsonExact, rowBag, tableDir,
  TABLE_FIELDS, TABLE_SPECS, JNum,
} from './iceberg_util.mjs';
import { civilFromDays, duckCanonRows, duckRows, qstr, tmpDir } from './parquet_util.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FIELDS = TABLE_FIELDS;
let tmp, wh, inst, con;
const tables = [];

before(async () => {
  tmp = tmpDir('floe-iceduck-');
  wh = path.join(tmp, 'wh');
  for (const [k, s] of TABLE_SPECS.entries()) tables.push({ ...buildTable(wh, tmp, s.name, FIELDS, s.terms, 3, 24, 31 + k), terms: s.terms });
  inst = await DuckDBInstance.create(':memory:');
  con = await inst.connect();
});

after(() => {
  if (con) con.closeSync?.();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/* A recorded file:// location as a local path. The rest of the URI is the
 * name on disk as it is: a partition value's %XX escape is part of the
 * file name, as Iceberg Java (Hadoop Path) writes it. */
const fromUri = (u) => { assert.ok(u.startsWith('file:///'), u); return u.slice('file://'.length); };
const filesOf = (name, extra = []) => ndjson(floeOk(['table', '--warehouse', wh, 'files', name, ...extra]).stdout);
const metaOf = (name) => {
  const d = JSON.parse(floeOk(['table', '--warehouse', wh, 'describe', name]).stdout);
  return { describe: d, path: fromUri(d.metadata_location) };
};

/* ---- the spec's transforms, written from format/spec.md ---- */

function murmur3(bytes) {
  let h = 0;
  const n = bytes.length, nb = n & ~3;
  const mix = (k) => { k = Math.imul(k, 0xcc9e2d51); k = (k << 15) | (k >>> 17); return Math.imul(k, 0x1b873593); };
  for (let i = 0; i < nb; i += 4) {
    h ^= mix(bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (n & 3) {
    case 3: k ^= bytes[nb + 2] << 16; // fallthrough
    case 2: k ^= bytes[nb + 1] << 8; // fallthrough
    case 1: k ^= bytes[nb]; h ^= mix(k);
  }
  h ^= n; h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return h | 0;
}
const longBytes = (v) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt.asIntN(64, BigInt(v))); return b; };
function decimalBytes(text) {
  let v = BigInt(text.replace('.', ''));
  const out = [];
  for (;;) { /* minimal two's complement, big-endian */
    out.unshift(Number(BigInt.asUintN(8, v)));
    const rest = v >> 8n;
    if ((rest === 0n && (out[0] & 0x80) === 0) || (rest === -1n && (out[0] & 0x80) !== 0)) break;
    v = rest;
  }
  return Buffer.from(out);
}
function hashOf(type, v) {
  switch (type.replace(/\(.*|\[.*/, '')) {
    case 'int': case 'long': case 'date': case 'time': case 'timestamp': case 'timestamptz': return murmur3(longBytes(v));
    case 'string': return murmur3(Buffer.from(v, 'utf8'));
    case 'uuid': return murmur3(Buffer.from(v.replace(/-/g, ''), 'hex'));
    case 'binary': case 'fixed': return murmur3(Buffer.from(v, 'hex'));
    case 'decimal': return murmur3(decimalBytes(v));
    default: throw new Error(`no hash for ${type}`);
  }
}
const floorDiv = (a, b) => { const q = a / b; return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q; };
const civil = (days) => civilFromDays(Number(days)).split('-').map(Number);

/* Partition value (as `floe table files` prints it) of canonical value v. */
function transform(term, type, v) {
  if (v === null) return null;
  let m;
  if ((m = /^bucket\((\d+),/.exec(term))) return String((hashOf(type, v) & 0x7fffffff) % Number(m[1]));
  if ((m = /^truncate\((\d+),/.exec(term))) {
    const w = BigInt(m[1]);
    if (type === 'string') return Array.from(v).slice(0, Number(w)).join('');
    const x = BigInt(v);
    const r = x - (((x % w) + w) % w);
    /* Java int/long arithmetic wraps */
    return String(type === 'int' ? BigInt.asIntN(32, r) : BigInt.asIntN(64, r));
  }
  if (/^(day|hour|year|month)\(/.test(term)) {
    const days = type === 'date' ? BigInt(v) : floorDiv(BigInt(v), 86400000000n);
    if (term.startsWith('day(')) return civilFromDays(Number(days));
    if (term.startsWith('hour(')) return String(floorDiv(BigInt(v), 3600000000n));
    if (term.startsWith('year(')) return String(civil(days)[0] - 1970);
    const [y, mo] = civil(days);
    return String((y - 1970) * 12 + mo - 1);
  }
  if (type.startsWith('decimal')) return decNorm(v);
  return v; /* identity */
}
/* A decimal's text ("-1.50", python's "0E-10") as its unscaled value and scale-free text. */
function decNorm(text) {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:E([+-]?\d+))?$/i.exec(text);
  if (!m) return text;
  let digits = (m[2] || '') + (m[3] || '');
  let exp = (m[4] ? Number(m[4]) : 0) - (m[3] || '').length;
  let n = BigInt(digits || '0');
  while (n !== 0n && n % 10n === 0n) { n /= 10n; exp++; }
  if (n === 0n) exp = 0;
  return `${m[1] && n !== 0n ? '-' : ''}${n}e${exp}`;
}
const sourceOf = (term) => { const m = /\(\s*(?:\d+\s*,\s*)?(\w+)\s*\)$/.exec(term); return m ? m[1] : term; };
const pvalText = (p) => (p === null || p === undefined ? null : typeof p === 'boolean' ? String(p) : p);

/* file_path -> partition tuple (array in spec order) of the current
 * snapshot, as python3-avro reads floe's manifests. */
function manifestPartitions(name) {
  const meta = JSON.parse(fs.readFileSync(metaOf(name).path, 'utf8'));
  const snap = meta.snapshots.find((s) => String(s['snapshot-id']) === String(meta['current-snapshot-id']));
  const [list] = pyDump([fromUri(snap['manifest-list'])]);
  const out = new Map();
  for (const m of pyDump(list.records.map((r) => fromUri(r.manifest_path))))
    for (const e of m.records) out.set(e.data_file.file_path, Object.values(e.data_file.partition));
  return out;
}

describe('DuckDB reads every data file of floe tables', () => {
  test('Murmur3 x86 32 of this test matches the spec vectors', () => {
    assert.equal(hashOf('int', '34'), 2017239379);
    assert.equal(hashOf('long', '34'), 2017239379);
    assert.equal(hashOf('decimal(4, 2)', '14.20'), -500754589);
    assert.equal(hashOf('string', 'iceberg'), 1210000089);
    assert.equal(hashOf('uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7'), 1488055340);
    assert.equal(hashOf('binary', '00010203'), -188683207);
    assert.equal(hashOf('date', '17486'), -653330422);
  });

  for (const spec of TABLE_SPECS) {
    test(`${spec.name} (${spec.terms.join(', ') || 'unpartitioned'}): files = scan, partitions right`, async () => {
      const files = filesOf(spec.name);
      assert.ok(files.length > 0);
      const parts = manifestPartitions(spec.name);
      const union = [];
      const problems = [];
      for (const f of files) {
        assert.equal(f.content.text, '0');
        assert.equal(f.file_format, 'PARQUET');
        const p = fromUri(f.file_path);
        assert.equal(fs.statSync(p).size, Number(f.file_size_in_bytes.text), `${p} size`);
        const rows = await duckCanonRows(con, p, FIELDS);
        assert.equal(rows.length, Number(f.record_count.text), `${p} record_count`);
        union.push(...rows);
        spec.terms.forEach((term, k) => {
          const c = FIELDS.findIndex((x) => x.name === sourceOf(term));
          let want = pvalText(parts.get(f.file_path)[k]);
          if (want !== null && FIELDS[c].ice.startsWith('decimal') && !/\(/.test(term)) want = decNorm(want);
          for (const row of rows) {
            const got = transform(term, FIELDS[c].ice, row[c]);
            if (got !== want && problems.length < 5)
              problems.push(`${term} of ${FIELDS[c].name}=${row[c]}: spec gives ${got}, manifest has ${want} (${path.relative(wh, p)})`);
          }
        });
      }
      const scan = rowBag(floeScanCanon(wh, spec.name, FIELDS));
      assert.ok(rowBag(union).join('\n') === scan.join('\n'), `DuckDB union != floe scan:\n${bagDiff(rowBag(union), scan)}`);
      assert.deepEqual(problems, []);
    });
  }

  test('a truncate partition of the type minimum wraps as Java does (repro)', () => {
    /* truncate(10, i) with i = -2147483648: Java's int arithmetic gives
     * -2147483648 - 2 = 2147483646; the file path and the manifest must
     * hold the same value */
    const t = tables.find((x) => x.name === 'ice.trunc');
    const files = filesOf(t.name).filter((f) => f.partition[1] instanceof JNum && /i_trunc=-?\d+/.test(f.file_path));
    const bad = files.filter((f) => !f.file_path.includes(`/i_trunc=${f.partition[1].text}/`));
    assert.deepEqual(bad.map((f) => `${f.file_path} vs manifest ${f.partition[1].text}`), []);
  });

  test('truncate(100, l) of a long column holding -9223372036854775808 appends cleanly (repro)', () => {
    const dir = path.join(tmp, 'min');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 's.json'), JSON.stringify({ type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'l', required: false, type: 'long' }] }));
    fs.writeFileSync(path.join(dir, 'r.ndjson'), '{"l":-9223372036854775808}\n');
    floeOk(['table', '--warehouse', path.join(dir, 'wh'), 'create', 'x.t', '--schema', path.join(dir, 's.json'), '--partition', 'truncate(100, l)']);
    const r = floe(['table', '--warehouse', path.join(dir, 'wh'), 'append', 'x.t', path.join(dir, 'r.ndjson')]);
    assert.equal(r.status, 0, `append exited ${r.status}: ${r.stderr.slice(0, 400)}`);
  });

  test('floe table files prints a decimal partition value as the manifest holds it (repro)', () => {
    /* the manifest (python3-avro) holds dec9 = 9999999.99; floe table files printed 0 */
    const parts = manifestPartitions('ice.decident');
    const bad = [];
    for (const f of filesOf('ice.decident')) {
      const want = parts.get(f.file_path).map((x) => (x === null ? null : decNorm(x)));
      const got = f.partition.map((x) => (x === null ? null : decNorm(x instanceof JNum ? x.text : String(x))));
      if (JSON.stringify(got) !== JSON.stringify(want) && bad.length < 3) bad.push(`${JSON.stringify(f.partition.map((x) => x?.text ?? x))} vs manifest ${JSON.stringify(want)}`);
    }
    assert.deepEqual(bad, []);
  });
});

/* ---- Avro: manifest lists and manifests ---- */

const LIST_IDS = [500, 501, 502, 517, 515, 516, 503, 504, 505, 506, 512, 513, 514, 507, 509, 518, 510, 511, 519];
const ENTRY_IDS = [0, 1, 3, 4, 2];
const DATA_FILE_IDS = [134, 100, 101, 102, 103, 104, 108, 109, 110, 137, 125, 128, 131, 132, 135, 140,
  117, 118, 119, 120, 121, 122, 126, 127, 129, 130, 138, 139];
const MANIFEST_KEYS = ['schema', 'schema-id', 'partition-spec', 'partition-spec-id', 'format-version', 'content'];
const LIST_KEYS = ['snapshot-id', 'parent-snapshot-id', 'sequence-number', 'format-version'];

function pyDump(files) {
  const r = spawnSync('/usr/bin/python3', [path.join(HERE, 'avro_dump.py'), ...files], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `avro_dump.py: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const missing = (have, want) => want.filter((id) => !have.includes(id));

describe('python3-avro and avsc read floe manifests', () => {
  for (const spec of TABLE_SPECS) {
    test(`${spec.name}: every field-id and metadata key, entries = floe table files`, async () => {
      const { path: mp } = metaOf(spec.name);
      const meta = parseJsonExact(fs.readFileSync(mp, 'utf8'));
      const pspec = JSON.parse(fs.readFileSync(mp, 'utf8'))['partition-specs'][0];
      const schema = JSON.parse(fs.readFileSync(mp, 'utf8')).schemas[0];
      assert.equal(meta.snapshots.length, 3);
      for (const [si, snap] of meta.snapshots.entries()) {
        const listPath = fromUri(snap['manifest-list']);
        const [list] = pyDump([listPath]);
        assert.deepEqual(missing(list.ids['field-id'], LIST_IDS), [], 'manifest list field ids');
        assert.deepEqual(list.ids['element-id'], [508]);
        assert.deepEqual(missing(Object.keys(list.meta), LIST_KEYS), []);
        assert.equal(list.meta['snapshot-id'], snap['snapshot-id'].text);
        assert.equal(list.meta['parent-snapshot-id'], si ? meta.snapshots[si - 1]['snapshot-id'].text : 'null');
        assert.equal(list.meta['sequence-number'], snap['sequence-number'].text);
        assert.equal(list.meta['format-version'], '2');
        const avsc = await describeAvro(listPath);
        assert.deepEqual(missing(avsc.ids['field-id'], LIST_IDS), [], 'avsc: manifest list field ids');
        assert.deepEqual(missing(Object.keys(avsc.meta), LIST_KEYS), []);
        assert.equal(avsc.count, list.records.length);

        const manifests = pyDump(list.records.map((r) => fromUri(r.manifest_path)));
        const paths = [];
        for (const [mi, m] of manifests.entries()) {
          const rec = list.records[mi];
          assert.equal(fs.statSync(m.path).size, Number(rec.manifest_length), 'manifest_length');
          const want = [...ENTRY_IDS, ...DATA_FILE_IDS, ...pspec.fields.map((f) => f['field-id'])];
          assert.deepEqual(missing(m.ids['field-id'], want), [], `${m.path} field ids`);
          assert.deepEqual(missing(m.ids['element-id'], [133, 136]), []);
          assert.deepEqual(missing(Object.keys(m.meta), MANIFEST_KEYS), []);
          assert.deepEqual(JSON.parse(m.meta.schema).fields, schema.fields);
          assert.equal(m.meta['schema-id'], String(schema['schema-id']));
          assert.deepEqual(JSON.parse(m.meta['partition-spec']), pspec.fields);
          assert.equal(m.meta['partition-spec-id'], String(pspec['spec-id']));
          assert.equal(m.meta['format-version'], '2');
          assert.equal(m.meta.content, 'data');
          const av = await describeAvro(m.path);
          assert.deepEqual(missing(av.ids['field-id'], want), [], `avsc: ${m.path} field ids`);
          assert.deepEqual(missing(Object.keys(av.meta), MANIFEST_KEYS), []);
          assert.equal(av.count, m.records.length);
          const added = m.records.filter((e) => e.status === '1');
          assert.equal(String(added.length), rec.added_files_count);
          assert.equal(String(added.reduce((s, e) => s + Number(e.data_file.record_count), 0)), rec.added_rows_count);
          for (const e of m.records) if (e.status !== '2') paths.push(e.data_file.file_path);
        }
        const floeFiles = filesOf(spec.name, ['--snapshot', snap['snapshot-id'].text]).map((f) => f.file_path);
        assert.deepEqual(paths.sort(), floeFiles.sort(), `snapshot ${si + 1}: manifest entries vs floe table files`);
      }
    });
  }
});

/* ---- table metadata JSON through DuckDB ---- */

const V2_REQUIRED = ['format-version', 'table-uuid', 'location', 'last-sequence-number', 'last-updated-ms',
  'last-column-id', 'schemas', 'current-schema-id', 'partition-specs', 'default-spec-id', 'last-partition-id',
  'sort-orders', 'default-sort-order-id'];
const V2_SHOULD = ['properties', 'current-snapshot-id', 'snapshots', 'snapshot-log', 'metadata-log', 'refs'];
const SNAP_REQUIRED = ['snapshot-id', 'sequence-number', 'timestamp-ms', 'manifest-list', 'summary'];

describe('DuckDB read_json reads floe table metadata', () => {
  for (const spec of TABLE_SPECS) {
    test(`${spec.name}: every version has the fields format 2 requires`, async () => {
      const { describe: d } = metaOf(spec.name);
      const dir = path.join(tableDir(wh, spec.name), 'metadata');
      for (let v = 1; v <= 4; v++) {
        const file = path.join(dir, `v${v}.metadata.json`);
        const reader = await con.runAndReadAll(`select * from read_json(${qstr(file)}, maximum_object_size = 67108864)`);
        const cols = reader.columnNames();
        assert.deepEqual(missing(cols, [...V2_REQUIRED, ...V2_SHOULD.filter((k) => v > 1 || k !== 'current-snapshot-id')]), [], `v${v}`);
        const [row] = reader.getRowObjects();
        assert.equal(Number(row['format-version']), 2);
        assert.equal(String(row['last-sequence-number']), String(v - 1));
        if (v === 4) {
          assert.equal(String(row['current-snapshot-id']), d.current_snapshot_id === null ? 'null' : JSON.stringify(d.current_snapshot_id).replace(/"/g, '') && floeOk(['table', '--warehouse', wh, 'describe', spec.name]).stdout.match(/"current_snapshot_id":(-?\d+)/)[1]);
          const snaps = await duckRows(con, `select s."snapshot-id"::varchar, s."sequence-number", s."manifest-list", s."summary".operation
            from (select unnest(snapshots) s from read_json(${qstr(file)}, maximum_object_size = 67108864))`);
          assert.equal(snaps.length, 3);
          const refs = await duckRows(con, `select refs.main."snapshot-id"::varchar, refs.main.type from read_json(${qstr(file)}, maximum_object_size = 67108864)`);
          assert.deepEqual(refs[0], [String(row['current-snapshot-id']), 'branch']);
          for (const s of snaps) assert.equal(s[3], 'append');
          const keys = await duckRows(con, `select json_keys(s) from (select unnest(snapshots::json[]) s from read_json(${qstr(file)}, maximum_object_size = 67108864))`);
          for (const [k] of keys) assert.deepEqual(missing(k.items ?? k, SNAP_REQUIRED), []);
        }
      }
    });
  }
});
