/*
 * iceberg_dv_roaring.test.mjs - the deletion vectors floe writes on a
 * format 3 table, checked with code no one here wrote: avsc (npm) reads
 * the manifests, and `roaring` (npm, CRoaring's own Node port) decodes
 * the 32-bit bitmaps inside the deletion-vector-v1 blob. The Puffin
 * footer, the blob framing (big-endian length, magic, CRC-32) and the
 * 64-bit bucket framing are parsed here from the spec
 * (apache/iceberg format/puffin-spec.md), not with floe's code.
 *
 * floe creates a table with --property format-version=3, appends 20 rows
 * (ids 0..19, one data file, id i at position i), deletes id < 5, then
 * id = 10: the second delete merges the first vector, and its snapshot
 * removes it. Checked: one live vector with positions {0..4, 10};
 * record_count its cardinality; content_offset/content_size_in_bytes
 * equal the footer's offset/length; referenced_data_file the data file;
 * v3 manifests and manifest list; row lineage in the metadata; and
 * `floe table scan` returns the other 14 rows.
 *
 * Not here: DuckDB reading the whole table, since its iceberg extension
 * cannot be installed offline (it downloads from extensions.duckdb.org), and icebird
 * 0.3.1, whose README lists v3 and deletion vectors as unsupported.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import roaring from 'roaring';
import { describeAvro } from './avro_check.mjs';
import { floeOk, tableDir } from './iceberg_util.mjs';
import { tmpDir } from './parquet_util.mjs';

const { RoaringBitmap32 } = roaring;
let tmp, wh, dir;

/* CRC-32 (IEEE, as zlib and java.util.zip.CRC32), bitwise, independent of floe */
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

const local = (loc) => fileURLToPath(loc.startsWith('file:') ? loc : `file://${loc}`);

function currentMetadata() {
  const v = fs.readFileSync(path.join(dir, 'metadata', 'version-hint.text'), 'utf8').trim();
  return JSON.parse(fs.readFileSync(path.join(dir, 'metadata', `v${v}.metadata.json`), 'utf8'));
}

async function liveEntries(meta) {
  const snap = meta.snapshots.find((s) => s['snapshot-id'] === meta['current-snapshot-id']);
  const list = await describeAvro(local(snap['manifest-list']));
  const out = [];
  for (const mf of list.records) {
    const m = await describeAvro(local(mf.manifest_path));
    for (const e of m.records) if (e.status !== 2) out.push({ mf, meta: m.meta, e });
  }
  return { list, entries: out };
}

before(() => {
  tmp = tmpDir('floe-dv-');
  wh = path.join(tmp, 'wh');
  fs.writeFileSync(path.join(tmp, 's.json'), JSON.stringify({
    type: 'struct', 'schema-id': 0, fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'name', required: false, type: 'string' }],
  }));
  floeOk(['table', '--warehouse', wh, 'create', 'db.t', '--schema', path.join(tmp, 's.json'),
    '--property', 'format-version=3']);
  const rows = [];
  for (let i = 0; i < 20; i++) rows.push(JSON.stringify({ id: i, name: `n${i}` }));
  fs.writeFileSync(path.join(tmp, 'rows.ndjson'), rows.join('\n') + '\n');
  floeOk(['table', '--warehouse', wh, 'append', 'db.t', path.join(tmp, 'rows.ndjson')]);
  let r = floeOk(['table', '--warehouse', wh, 'delete', 'db.t', '--where', 'id < 5']);
  assert.match(r.stdout, /deleted 5 rows .*deletion vectors/);
  r = floeOk(['table', '--warehouse', wh, 'delete', 'db.t', '--where', 'id = 10']);
  assert.match(r.stdout, /deleted 1 rows/);
  dir = tableDir(wh, 'db.t');
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('format 3 metadata with row lineage', () => {
  const meta = currentMetadata();
  assert.equal(meta['format-version'], 3);
  assert.equal(meta['next-row-id'], 20);
  const first = meta.snapshots[0];
  assert.equal(first['first-row-id'], 0);
  assert.equal(first['added-rows'], 20);
  assert.equal(meta.properties['format-version'], undefined);
});

test('one live deletion vector, decoded by roaring (npm), holds positions 0..4 and 10', async () => {
  const meta = currentMetadata();
  const { list, entries } = await liveEntries(meta);
  assert.equal(list.meta['format-version'], '3');
  assert.ok(list.ids['field-id'].includes(520), 'manifest list has first_row_id (520)');
  const data = entries.filter((x) => x.e.data_file.content === 0);
  const dvs = entries.filter((x) => x.e.data_file.content === 1);
  assert.equal(data.length, 1);
  assert.equal(dvs.length, 1, 'the first vector was removed when the second replaced it');
  assert.equal(data[0].mf.first_row_id, 0n);
  const df = dvs[0].e.data_file;
  assert.equal(dvs[0].meta['format-version'], '3');
  assert.equal(df.file_format, 'PUFFIN');
  assert.equal(df.referenced_data_file, data[0].e.data_file.file_path);
  assert.equal(df.record_count, 6n);

  /* the Puffin file: magic at both ends, footer JSON, the blob where the manifest says */
  const file = fs.readFileSync(local(df.file_path));
  assert.equal(BigInt(file.length), df.file_size_in_bytes);
  assert.equal(file.subarray(0, 4).toString('latin1'), 'PFA1');
  assert.equal(file.subarray(file.length - 4).toString('latin1'), 'PFA1');
  const psize = file.readInt32LE(file.length - 12);
  assert.equal(file.readInt32LE(file.length - 8), 0, 'footer not compressed');
  const footer = JSON.parse(file.subarray(file.length - 12 - psize, file.length - 12).toString());
  assert.equal(file.subarray(file.length - 16 - psize, file.length - 12 - psize).toString('latin1'),
    'PFA1');
  assert.equal(footer.blobs.length, 1);
  const blob = footer.blobs[0];
  assert.equal(blob.type, 'deletion-vector-v1');
  assert.equal(BigInt(blob.offset), df.content_offset);
  assert.equal(BigInt(blob.length), df.content_size_in_bytes);
  assert.equal(blob['snapshot-id'], -1);
  assert.equal(blob['sequence-number'], -1);
  assert.equal(blob.properties['referenced-data-file'], df.referenced_data_file);
  assert.equal(blob.properties.cardinality, '6');
  assert.equal(blob['compression-codec'], undefined);

  /* the blob: length (BE) of magic + vector, magic, vector, CRC-32 (BE) */
  const b = file.subarray(blob.offset, blob.offset + blob.length);
  const vlen = b.readUInt32BE(0);
  assert.equal(vlen + 8, b.length);
  assert.deepEqual([...b.subarray(4, 8)], [0xd1, 0xd3, 0x39, 0x64]);
  assert.equal(b.readUInt32BE(4 + vlen), crc32(b.subarray(4, 4 + vlen)));
  /* portable 64-bit Roaring: bucket count (LE 8), then key (LE 4) + 32-bit bitmap */
  const vec = b.subarray(8, 4 + vlen);
  assert.equal(vec.readBigUInt64LE(0), 1n);
  assert.equal(vec.readUInt32LE(8), 0);
  const bm = RoaringBitmap32.deserialize(vec.subarray(12), 'portable');
  assert.deepEqual(bm.toArray(), [0, 1, 2, 3, 4, 10]);
  /* and the bytes are the portable serialization roaring itself makes of that set */
  const again = new RoaringBitmap32([0, 1, 2, 3, 4, 10]);
  again.runOptimize();
  assert.deepEqual(Buffer.from(again.serialize('portable')), Buffer.from(vec.subarray(12)));
});

test('row lineage: each row\'s _row_id is its file\'s first_row_id (0) + position (= id)', () => {
  const r = floeOk(['table', '--warehouse', wh, 'scan', 'db.t', '--row-lineage']);
  const rows = r.stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l));
  assert.equal(rows.length, 14);
  for (const o of rows) {
    assert.equal(o._row_id, o.id);
    assert.equal(o._last_updated_sequence_number, 1);
  }
});

test('floe table scan skips the deleted rows', () => {
  const r = floeOk(['table', '--warehouse', wh, 'scan', 'db.t']);
  const ids = r.stdout.split('\n').filter((l) => l).map((l) => JSON.parse(l).id)
    .sort((a, b) => a - b);
  assert.deepEqual(ids, [5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
});
