/*
 * iceberg_util.mjs - shared helpers of the Iceberg table interop tests.
 *
 * The tests build tables with `floe table`, then read them with tools
 * no one here wrote (icebird, DuckDB, python3-avro, avsc) and compare
 * value by value with `floe table scan`. Values are brought to the
 * canonical texts of parquet_util.mjs (canonFloe); rows are compared as
 * multisets (sorted canonical rows), since a scan's row order follows
 * the order of files in the manifests, which no reader must keep.
 *
 * Also here: a static HTTP server (npm http-server) on 127.0.0.1 for
 * readers that only speak HTTP, and a fetch wrapper that maps a table's
 * recorded file:// location to that server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { icebergRead } from 'icebird';
import {
  ALL_FIELDS, canonFloe, crashed, floe, FLOE_FIXTURES, icebergSchemaJson, makeRows, parseJsonExact, JNum,
} from './parquet_util.mjs';

export { ALL_FIELDS, canonFloe, crashed, floe, FLOE_FIXTURES, makeRows, parseJsonExact, JNum };

const HERE = path.dirname(fileURLToPath(import.meta.url));

/* Runs floe and throws (with stderr) unless it exited 0 without a sanitizer report. */
export function floeOk(args, opts) {
  const r = floe(args, opts);
  if (r.status !== 0 || crashed(r))
    throw new Error(`floe ${args.join(' ')} exited ${r.status} (signal ${r.signal}):\n${r.stderr}`);
  return r;
}

/* NDJSON lines -> objects with exact numbers. */
export function ndjson(text) {
  return text.split('\n').filter((l) => l.length).map(parseJsonExact);
}

/* `floe table scan` rows as canonical-text arrays for fields [{name, ice}]. */
export function floeScanCanon(wh, table, fields, extra = []) {
  const r = floeOk(['table', '--warehouse', wh, 'scan', table, ...extra]);
  return ndjson(r.stdout).map((o) => fields.map((f) => canonFloe(f.ice, o[f.name])));
}

/* A multiset of rows as a sorted list of JSON texts. */
export function rowBag(rows) {
  return rows.map((r) => JSON.stringify(r)).sort();
}

/* First differences between two bags, for a readable failure. */
export function bagDiff(got, want, max = 8) {
  const g = new Map(), w = new Map();
  for (const x of got) g.set(x, (g.get(x) || 0) + 1);
  for (const x of want) w.set(x, (w.get(x) || 0) + 1);
  const out = [`rows: got ${got.length}, want ${want.length}`];
  for (const [k, n] of g) if ((w.get(k) || 0) < n && out.length < max) out.push(`extra   ${k}`);
  for (const [k, n] of w) if ((g.get(k) || 0) < n && out.length < max * 2) out.push(`missing ${k}`);
  return out.join('\n');
}

/*
 * Creates table NS.NAME in warehouse wh with `fields` and partition terms,
 * then appends `appends` batches of `rows` rows (a different seed each).
 * Returns {name, fields, batches: [{rows (canonical), snapshot}], versions}.
 */
export function buildTable(wh, tmp, name, fields, terms, appends = 3, rows = 24, seed = 1) {
  const schemaFile = path.join(tmp, `${name}.schema.json`);
  fs.writeFileSync(schemaFile, icebergSchemaJson(fields));
  const parts = terms.flatMap((t) => ['--partition', t]);
  floeOk(['table', '--warehouse', wh, 'create', name, '--schema', schemaFile, ...parts]);
  const batches = [];
  for (let a = 0; a < appends; a++) {
    const { ndjson: text, rows: canon } = makeRows(fields, rows, seed * 100 + a);
    const f = path.join(tmp, `${name}.${a}.ndjson`);
    fs.writeFileSync(f, text);
    const r = floeOk(['table', '--warehouse', wh, 'append', name, f]);
    const m = /in snapshot (-?\d+)/.exec(r.stdout);
    if (!m) throw new Error(`floe table append printed no snapshot: ${r.stdout}`);
    batches.push({ rows: canon, snapshot: m[1] });
  }
  return { name, fields, batches };
}

/* The table folder of NS.NAME in a local warehouse. */
export function tableDir(wh, name) {
  const dot = name.lastIndexOf('.');
  return path.join(wh, ...name.slice(0, dot).split('.'), name.slice(dot + 1));
}

/*
 * Starts npm http-server on 127.0.0.1 serving root, on a port it finds
 * free itself (-p 0). Resolves to {url, stop}; stop() kills the server
 * and waits for it.
 */
export function startHttpServer(root) {
  const bin = path.join(HERE, 'node_modules', 'http-server', 'bin', 'http-server');
  const child = spawn(process.execPath, [bin, root, '-a', '127.0.0.1', '-p', '0', '-c-1'], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, 2000).unref();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => { stop(); reject(new Error(`http-server did not start: ${out}`)); }, 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        resolve({ url: `http://127.0.0.1:${m[1]}`, stop });
      }
    });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`http-server exited ${code}: ${out}`)); });
  });
}

/*
 * Serves warehouse wh (a local folder) with startHttpServer and maps the
 * file:// URLs recorded under it to the server (mapFetch), as every
 * icebird test needs. Resolves to {url, stop}; stop() restores fetch and
 * stops the server (safe to call on a half-started one).
 */
export async function serveWarehouse(wh) {
  const server = await startHttpServer(wh);
  const restore = mapFetch({ [pathToFileURL(wh).href + '/']: server.url + '/' });
  return { url: server.url, stop: async () => { restore(); await server.stop(); } };
}

/*
 * Writes a table schema file into dir (as `floe table create --schema`
 * takes it): fields are [name, type, required?], ids 1, 2, ... in order.
 * Returns its path.
 */
export function writeSchema(dir, fields, file = 'schema.json') {
  const p = path.join(dir, file);
  fs.writeFileSync(p, JSON.stringify({
    type: 'struct', 'schema-id': 0,
    fields: fields.map(([name, type, required], i) => ({ id: i + 1, name, required: !!required, type })),
  }));
  return p;
}

/*
 * The rows icebird reads from the snapshot of metadata `meta` (as
 * icebergMetadata returned it) whose manifest list is `list`: the
 * metadata with current-snapshot-id set to that snapshot, which icebird
 * then follows. Snapshots are matched by manifest list because icebird
 * parses the metadata with JSON.parse, which rounds 64-bit ids. A
 * snapshot without any data manifest (an offsets-only commit before the
 * first row) is one icebird refuses ("No data manifest files found"):
 * it reads as no rows.
 */
export async function icebirdSnapshotRows(tableUrl, meta, list) {
  const snap = meta.snapshots.find((s) => s['manifest-list'] === list);
  if (!snap) throw new Error(`no snapshot with manifest list ${list} in the metadata icebird read`);
  const asOf = { ...meta, 'current-snapshot-id': snap['snapshot-id'], snapshots: [snap] };
  try {
    return await icebergRead({ tableUrl, metadata: asOf });
  } catch (e) {
    if (/No data manifest files found/.test(e.message)) return [];
    throw e;
  }
}

/*
 * Wraps globalThis.fetch so that URLs starting with a key of `map` go to
 * its value instead (icebird resolves manifest and data file paths as the
 * exact strings recorded in the table). Returns a function that restores
 * fetch. Each mapped request is counted in stats.requests.
 */
export function mapFetch(map, stats = { requests: 0, unmapped: [] }) {
  const orig = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    let url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    for (const [from, to] of Object.entries(map)) {
      if (url.startsWith(from)) {
        /* the recorded path is the file's name as it is on disk ('%' in a
         * partition value's escape is a literal '%'): escape it for HTTP */
        url = to + url.slice(from.length).split('/').map(encodeURIComponent).join('/');
        stats.requests++;
        return orig(url, init);
      }
    }
    if (!Object.values(map).some((to) => url.startsWith(to))) stats.unmapped.push(url);
    return orig(input, init);
  };
  return () => { globalThis.fetch = orig; };
}

/*
 * The all-types field list of the table tests: every Iceberg primitive
 * of parquet_util's ALL_FIELDS (boolean ... fixed, required ones too).
 */
export const TABLE_FIELDS = ALL_FIELDS;

/* Tables of the interop tests: one per kind of partition transform. */
export const TABLE_SPECS = [
  { name: 'ice.unpart', terms: [] },
  { name: 'ice.ident', terms: ['lowcard', 'b'] },
  { name: 'ice.day', terms: ['day(ts)', 'day(dt)'] },
  { name: 'ice.hour', terms: ['hour(tstz)'] },
  { name: 'ice.bucket', terms: ['bucket(16, l)', 'bucket(8, s)', 'bucket(4, u)'] },
  { name: 'ice.trunc', terms: ['truncate(4, s)', 'truncate(10, i)', 'truncate(3, req_s)'] },
  { name: 'ice.mixed', terms: ['year(ts)', 'month(dt)', 'bucket(3, req_l)', 'truncate(5, req_l)'] },
  /* icebird 0.3.1's Avro reader has no `fixed` type ("unsupported type:
   * fixed"), and a decimal partition value is an Avro fixed: read by the
   * DuckDB/Avro test only */
  { name: 'ice.decident', terms: ['dec9', 'dec38'], icebird: false },
];
