/*
 * duckdb_write.mjs - the peer of bench/pq_write.c: the same rows written
 * to Parquet by DuckDB's COPY TO, timed the same way.
 *
 * Builds an in-memory table of --rows rows (id BIGINT, city VARCHAR of the
 * same 10 values, temperature DOUBLE random in [-20, 40), ts TIMESTAMP
 * increasing by 1 ms from 2024-01-01), then times only
 * COPY t TO 'out' (FORMAT parquet, COMPRESSION codec) with SET threads=N,
 * and prints one JSON line in pq_write's shape: rows, seconds, file size,
 * row groups, and this node process's peak RSS
 * (process.resourceUsage().maxRSS) before and after the COPY.
 *
 * usage: node bench/duckdb_write.mjs [--rows N] [--codec zstd|snappy]
 *                                    [--threads N] [--out PATH]
 * DuckDB comes from tests/interop/node_modules (npm install there).
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'tests', 'interop', 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const args = { rows: 10000000, codec: 'zstd', threads: 1, out: '/tmp/duckdb-bench.parquet' };
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args) || i + 1 >= process.argv.length) {
    console.error('usage: node bench/duckdb_write.mjs [--rows N] [--codec C] [--threads N] [--out PATH]');
    process.exit(2);
  }
  args[k] = typeof args[k] === 'number' ? Number(process.argv[++i]) : process.argv[++i];
}

const CITIES = ['Amsterdam', 'Berlin', 'Copenhagen', 'Dublin', 'Edinburgh', 'Frankfurt', 'Geneva', 'Helsinki',
  'Istanbul', 'Jakarta'];
const q = (s) => "'" + s.replace(/'/g, "''") + "'";

const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run(`SET threads = ${args.threads}`);
const genStart = process.hrtime.bigint();
await con.run(`CREATE TABLE t AS SELECT range::BIGINT AS id,
  ([${CITIES.map(q).join(', ')}])[range % 10 + 1] AS city,
  random() * 60 - 20 AS temperature,
  make_timestamp(1704067200000000 + range * 1000) AS ts
  FROM range(${args.rows})`);
const genSeconds = Number(process.hrtime.bigint() - genStart) / 1e9;
fs.rmSync(args.out, { force: true });
const rssBefore = process.resourceUsage().maxRSS;
const start = process.hrtime.bigint();
await con.run(`COPY t TO ${q(args.out)} (FORMAT parquet, COMPRESSION ${args.codec})`);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const rssAfter = process.resourceUsage().maxRSS;
const rg = (await con.runAndReadAll(`SELECT num_row_groups FROM parquet_file_metadata(${q(args.out)})`)).getRows()[0][0];
console.log(JSON.stringify({
  tool: 'duckdb', codec: args.codec, threads: args.threads, rows: args.rows, seconds: Number(seconds.toFixed(3)),
  file_bytes: fs.statSync(args.out).size, row_groups: Number(rg),
  peak_rss_mib: Number((rssAfter / 1024).toFixed(1)), peak_rss_before_write_mib: Number((rssBefore / 1024).toFixed(1)),
  write_added_peak_mib: Number(((rssAfter - rssBefore) / 1024).toFixed(1)),
  generate_seconds: Number(genSeconds.toFixed(3)), path: args.out,
}));
