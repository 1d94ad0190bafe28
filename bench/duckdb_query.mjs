/*
 * duckdb_query.mjs - two jobs for bench/sql_query.sh, with DuckDB as the
 * peer of `floe sql`:
 *   gen OUT.parquet ROWS DAYS [FILES]: writes ROWS weather rows (city
 *     VARCHAR of 10 values, temperature DOUBLE random in [-20, 40), ts
 *     TIMESTAMP spread evenly over DAYS days from 2024-01-01) for `floe
 *     table append`; with FILES > 1 as FILES files OUT without .parquet + .0.parquet ... .<FILES-1>.parquet
 *     of consecutive rows (FILES = DAYS: a file a day, an append a day);
 *   query 'GLOB' REPEAT SQL...: runs each query REPEAT times over
 *     read_parquet(GLOB) (the Iceberg table's own data files) as the view
 *     weather, and prints one JSON line per query with every run's
 *     seconds and the first run's result.
 * DuckDB comes from tests/interop/node_modules; threads = 1 unless
 * DUCKDB_THREADS says (floe sql runs on one thread).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'tests', 'interop', 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');
const q = (s) => "'" + s.replace(/'/g, "''") + "'";
const CITIES = ['Amsterdam', 'Berlin', 'Copenhagen', 'Dublin', 'Edinburgh', 'Frankfurt', 'Geneva', 'Helsinki',
  'Istanbul', 'Jakarta'];

const [cmd, ...rest] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run(`SET threads = ${Number(process.env.DUCKDB_THREADS || 1)}`);
if (cmd === 'gen') {
  const [out, rows, days, files] = [rest[0], Number(rest[1]), Number(rest[2]), Number(rest[3] || 1)];
  const step = Math.floor((days * 86400e6) / rows); /* microseconds between rows */
  const per = Math.ceil(rows / files);
  for (let f = 0; f < files; f++) {
    const lo = f * per, hi = Math.min(rows, lo + per);
    await con.run(`COPY (SELECT ([${CITIES.map(q).join(', ')}])[(hash(range) % 10)::INT + 1] AS city,
        random() * 60 - 20 AS temperature,
        make_timestamp(1704067200000000 + range * ${step}) AS ts
      FROM range(${lo}, ${hi})) TO ${q(files > 1 ? out.replace(/\.parquet$/, '') + '.' + f + '.parquet' : out)} (FORMAT parquet, COMPRESSION zstd)`);
  }
} else if (cmd === 'query') {
  const [glob, repeat, ...sqls] = rest;
  await con.run(`CREATE VIEW weather AS SELECT * FROM read_parquet(${q(glob)})`);
  for (const sql of sqls) {
    const secs = [];
    let result;
    for (let i = 0; i < Number(repeat); i++) {
      const t0 = process.hrtime.bigint();
      const rows = (await con.runAndReadAll(sql)).getRows();
      secs.push(Number(process.hrtime.bigint() - t0) / 1e9);
      if (i === 0) result = rows.length === 1 ? rows[0].map(String) : rows.length;
    }
    console.log(JSON.stringify({ tool: 'duckdb', sql, seconds: secs, result }));
  }
} else {
  console.error('usage: node bench/duckdb_query.mjs gen OUT ROWS DAYS | query GLOB REPEAT SQL...');
  process.exit(2);
}
