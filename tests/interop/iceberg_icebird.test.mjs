/*
 * iceberg_icebird.test.mjs - icebird (npm, hyparam's Iceberg reader in JS,
 * which no one here wrote) reads the tables floe writes and must return
 * exactly floe's rows.
 *
 * floe creates one table per kind of partitioning (unpartitioned;
 * identity on string, boolean and decimal; day, hour, year and month;
 * bucket[N] on long, string and uuid; truncate[W] on string, int and
 * string; not identity on decimals, see TABLE_SPECS) over a schema with every Iceberg primitive (boolean, int,
 * long, float, double, decimal(9,2)/(18,6)/(38,10)/(4,0), date, time,
 * timestamp, timestamptz, string, binary, uuid, fixed[5], required
 * columns) and three appends each (three snapshots). The warehouse is
 * served by npm http-server on 127.0.0.1; fetch is wrapped to map the
 * tables' file:// locations to it.
 *
 * For the current version (version-hint.text) and for every older
 * version with a snapshot (metadataFileName vN.metadata.json: icebird's
 * time travel), icebird's rows must equal, as multisets, `floe table
 * scan` of the same snapshot (by --snapshot ID and by the metadata file
 * path), which must equal the rows appended.
 *
 * Normalisation of icebird's values (it reads Parquet with hyparquet
 * 1.19 and its default parsers, without options): timestamps and
 * timestamptz come back as JS Dates, so they are compared at millisecond
 * resolution (micros / 1000 truncated, as hyparquet does); dates as Dates
 * (days * 86400000); decimals as Number(unscaled) * 10^-scale, which the
 * floe side computes the same way; binary as UTF-8 text (hyparquet
 * decodes every BYTE_ARRAY without a logical type as UTF-8), so floe's
 * bytes are decoded the same way; uuid and fixed as bytes. Everything
 * else is exact. Full precision is checked by floe scan == rows appended,
 * and by DuckDB in iceberg_duckdb_avro.test.mjs.
 *
 * Not covered: row-level deletes. floe's C API has position deletes
 * (fl_ice_table_delete_where) but no command writes them yet, so no
 * table here has a delete file for icebird to apply.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { icebergListVersions, icebergMetadata, icebergRead } from 'icebird';
import {
  bagDiff, buildTable, floeOk, floeScanCanon, mapFetch, parseJsonExact, rowBag, startHttpServer,
  tableDir, TABLE_FIELDS, TABLE_SPECS,
} from './iceberg_util.mjs';
import { parseIceType, tmpDir } from './parquet_util.mjs';

const FIELDS = TABLE_FIELDS;
let tmp, wh, server, restoreFetch;
const stats = { requests: 0, unmapped: [] };
const tables = [];

before(async () => {
  tmp = tmpDir('floe-icebird-');
  wh = path.join(tmp, 'wh');
  for (const [k, s] of TABLE_SPECS.entries()) if (s.icebird !== false) tables.push(buildTable(wh, tmp, s.name, FIELDS, s.terms, 3, 24, 11 + k));
  server = await startHttpServer(wh);
  /* floe records locations as file:///<abs path>; the server serves wh at / */
  const from = pathToFileURL(wh).href + '/';
  restoreFetch = mapFetch({ [from]: server.url + '/' }, stats);
});

after(async () => {
  if (restoreFetch) restoreFetch();
  if (server) await server.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const dec = new TextDecoder();
const hexOf = (u8) => Buffer.from(u8).toString('hex');

/* floe's canonical text -> the text icebird's reading must give. */
function floeToIcebird(ice, v) {
  if (v === null) return null;
  const t = parseIceType(ice);
  switch (t.type) {
    case 'timestamp': case 'timestamptz': return (BigInt(v) / 1000n).toString();
    case 'decimal': {
      const unscaled = BigInt(v.replace('.', ''));
      return String(Number(unscaled) * 10 ** -t.scale);
    }
    case 'binary': return dec.decode(Buffer.from(v, 'hex'));
    case 'uuid': return v.replace(/-/g, '');
    default: return v;
  }
}

/* icebird's value -> comparable text. */
function icebirdCanon(ice, v) {
  if (v === null || v === undefined) return null;
  const t = parseIceType(ice);
  switch (t.type) {
    case 'boolean': assert.equal(typeof v, 'boolean'); return String(v);
    case 'int': assert.equal(typeof v, 'number'); return String(v);
    case 'long': assert.equal(typeof v, 'bigint'); return v.toString();
    case 'float': return Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(Math.fround(v));
    case 'double': return Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : String(v);
    case 'decimal': return String(v);
    case 'date': assert.ok(v instanceof Date, `date read as ${typeof v}`); return String(v.getTime() / 86400000);
    case 'time': return BigInt(v).toString();
    case 'timestamp': case 'timestamptz':
      assert.ok(v instanceof Date, `timestamp read as ${typeof v}`); return String(v.getTime());
    case 'string': assert.equal(typeof v, 'string'); return v;
    case 'binary': return typeof v === 'string' ? v : dec.decode(v);
    case 'uuid': case 'fixed': assert.ok(v instanceof Uint8Array, `${t.type} read as ${typeof v}`); return hexOf(v);
    default: throw new Error(`unknown type ${ice}`);
  }
}

const toIcebird = (rows) => rows.map((r) => r.map((v, c) => floeToIcebird(FIELDS[c].ice, v)));

async function readIcebird(t, metadataFileName) {
  const tableUrl = `${server.url}/${path.relative(wh, tableDir(wh, t.name)).split(path.sep).join('/')}`;
  const rows = await icebergRead({ tableUrl, metadataFileName });
  return rows.map((o) => FIELDS.map((f) => icebirdCanon(f.ice, o[f.name])));
}

describe('icebird reads floe tables', () => {
  test('the warehouse is served over HTTP with Hadoop-style version hints', async () => {
    for (const t of tables) {
      const tableUrl = `${server.url}/${path.relative(wh, tableDir(wh, t.name)).split(path.sep).join('/')}`;
      const versions = await icebergListVersions({ tableUrl });
      /* create + 3 appends = 4 metadata versions */
      assert.deepEqual(versions, ['v1', 'v2', 'v3', 'v4'], t.name);
      const meta = await icebergMetadata({ tableUrl });
      assert.equal(meta['format-version'], 2);
      assert.equal(meta.snapshots.length, 3, t.name);
    }
  });

  for (const spec of TABLE_SPECS.filter((s) => s.icebird !== false)) {
    test(`${spec.name} (${spec.terms.join(', ') || 'unpartitioned'}): current snapshot, all types`, async () => {
      const t = tables.find((x) => x.name === spec.name);
      const appended = t.batches.flatMap((b) => b.rows);
      const floeRows = floeScanCanon(wh, t.name, FIELDS);
      assert.ok(rowBag(floeRows).join('\n') === rowBag(appended).join('\n'),
        `floe scan != rows appended:\n${bagDiff(rowBag(floeRows), rowBag(appended))}`);
      const got = rowBag(await readIcebird(t));
      const want = rowBag(toIcebird(floeRows));
      assert.ok(got.join('\n') === want.join('\n'), `icebird != floe scan:\n${bagDiff(got, want)}`);
    });

    test(`${spec.name}: time travel to every older snapshot`, async () => {
      const t = tables.find((x) => x.name === spec.name);
      const dir = tableDir(wh, t.name);
      /* v2 holds snapshot 1, v3 snapshot 2 (v4 is current, checked above) */
      for (let v = 2; v <= 3; v++) {
        const metaFile = path.join(dir, 'metadata', `v${v}.metadata.json`);
        const meta = parseJsonExact(fs.readFileSync(metaFile, 'utf8'));
        const snap = meta['current-snapshot-id'].text;
        assert.equal(snap, t.batches[v - 2].snapshot, `v${v}.metadata.json current snapshot`);
        const appended = rowBag(t.batches.slice(0, v - 1).flatMap((b) => b.rows));
        const bySnap = rowBag(floeScanCanon(wh, t.name, FIELDS, ['--snapshot', snap]));
        assert.ok(bySnap.join('\n') === appended.join('\n'),
          `floe scan --snapshot ${snap} != rows of the first ${v - 1} appends:\n${bagDiff(bySnap, appended)}`);
        const byFile = floeOk(['table', 'scan', metaFile]).stdout;
        assert.equal(byFile.split('\n').filter(Boolean).length, appended.length, `floe table scan ${metaFile}`);
        const got = rowBag(await readIcebird(t, `v${v}.metadata.json`));
        const want = rowBag(toIcebird(t.batches.slice(0, v - 1).flatMap((b) => b.rows)));
        assert.ok(got.join('\n') === want.join('\n'), `icebird v${v} != floe scan --snapshot ${snap}:\n${bagDiff(got, want)}`);
      }
    });
  }

  test('every request icebird made went to the local server', () => {
    assert.ok(stats.requests > 0);
    assert.deepEqual(stats.unmapped, []);
  });
});
