/*
 * pq_nested_duckdb.mjs - DuckDB beside bench/pq_nested: reads the file
 * pq_nested --out wrote, every nested column materialized (an aggregate
 * over each struct member, list and map), with SET threads = 1 then 2, and
 * prints one JSON line of seconds. DuckDB comes from
 * tests/interop/node_modules (npm install there).
 *   node bench/pq_nested_duckdb.mjs FILE
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'tests', 'interop', 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const file = process.argv[2];
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
const out = { file };
for (const threads of [1, 2]) {
  await con.run(`SET threads = ${threads}`);
  const t0 = process.hrtime.bigint();
  const r = await con.runAndReadAll(`select count(*), sum(geo.lat), sum(len(tags)), sum(cardinality(attrs)),
    count(to_json(t)) from read_parquet('${file}') t`);
  const t1 = process.hrtime.bigint();
  const t2 = process.hrtime.bigint();
  await con.runAndReadAll(`select sum(id) from read_parquet('${file}')`);
  const t3 = process.hrtime.bigint();
  out[`read_all_s_threads${threads}`] = Number(t1 - t0) / 1e9;
  out[`read_id_s_threads${threads}`] = Number(t3 - t2) / 1e9;
  out.rows = Number(r.getRows()[0][0]);
}
console.log(JSON.stringify(out));
