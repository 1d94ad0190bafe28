/*
 * pq_writer_matrix.mjs - checks the Parquet writer's test matrix with
 * readers no one here wrote: DuckDB compares every value of every file
 * with the same generator written in SQL (tests/unit/test_pq_writer.c,
 * gen_row), and hyparquet walks every OffsetIndex and ColumnIndex (page
 * offsets, sizes, first rows, null counts) and reads the rows again.
 *
 *   mkdir -p /tmp/pqw && FLOE_PQ_OUT=/tmp/pqw build/test_pq_writer
 *   rm /tmp/pqw/empty.parquet; node tests/interop/pq_writer_matrix.mjs /tmp/pqw
 *
 * Not a *.test.mjs: it needs the files the unit test leaves behind.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { parquetMetadata, readColumnIndex, readOffsetIndex, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';
import { DuckDBInstance } from '@duckdb/node-api';
const dir = process.argv[2];
const inst = await DuckDBInstance.create();
const con = await inst.connect();
const run = async (q) => (await con.runAndReadAll(q)).getRowObjectsJson();
await run(`CREATE MACRO decstr(u, s) AS CASE WHEN u IS NULL THEN NULL ELSE
  (CASE WHEN u < 0 THEN '-' ELSE '' END) || (abs(u) // (10::HUGEINT ** s)::HUGEINT)::VARCHAR ||
  CASE WHEN s > 0 THEN '.' || lpad((abs(u) % (10::HUGEINT ** s)::HUGEINT)::VARCHAR, s, '0') ELSE '' END END`);
await run(`CREATE TABLE e AS SELECT i::BIGINT AS id, (i%3=0) AS b,
 CASE WHEN i%7=0 THEN NULL WHEN i%11=1 THEN -2147483648 WHEN i%11=2 THEN 2147483647 ELSE i*37-50000 END::INTEGER AS n_int,
 CASE WHEN i%13=0 THEN NULL WHEN i%13=1 THEN (-9223372036854775807::BIGINT - 1) WHEN i%13=2 THEN 9223372036854775807::BIGINT ELSE i*1000003-500000000 END::BIGINT AS l,
 CASE WHEN i%5=0 THEN NULL WHEN i%17=1 THEN 'nan'::FLOAT WHEN i%17=2 THEN '-0.0'::FLOAT WHEN i%17=3 THEN 'inf'::FLOAT ELSE ((i%100)*0.25-10)::FLOAT END AS f,
 CASE WHEN i%6=0 THEN NULL WHEN i%19=1 THEN 'nan'::DOUBLE WHEN i%19=2 THEN '-0.0'::DOUBLE WHEN i%19=3 THEN '-inf'::DOUBLE WHEN i%19=4 THEN 1e308 ELSE i*0.5-100 END::DOUBLE AS d,
 decstr(CASE WHEN i%8=0 THEN NULL ELSE ((i::HUGEINT*104729) % 1999999999 - 999999999) END, 2) AS dec9,
 decstr(CASE WHEN i%10=1 THEN -999999999999999999::HUGEINT WHEN i%10=2 THEN 999999999999999999::HUGEINT ELSE i::HUGEINT*1000000007-7 END, 3) AS dec18,
 decstr(CASE WHEN i%9=0 THEN NULL WHEN i%23=1 THEN -99999999999999999999999999999999999999::HUGEINT WHEN i%23=2 THEN 99999999999999999999999999999999999999::HUGEINT
   ELSE (i::HUGEINT*10000000000000000000000000::HUGEINT + i*7) * (CASE WHEN i%2=1 THEN 1 ELSE -1 END) END, 10) AS dec38,
 decstr(CASE WHEN i%4=1 THEN NULL ELSE i::HUGEINT*1000000000000007 * (CASE WHEN i%2=1 THEN 1 ELSE -1 END) END, 0) AS dec20,
 CASE WHEN i%4=0 THEN NULL ELSE i*37-20000 END AS dt_days,
 (i::BIGINT*1000003) % 86400000000 AS tm_us,
 CASE WHEN i%10=5 THEN NULL ELSE i::BIGINT*25200000000 - 1000000000000000 END AS ts_us,
 i::BIGINT*1000 - 5000000 AS tstz_us,
 CASE WHEN i%10=3 THEN NULL WHEN i%9=0 THEN '' WHEN i%50=7 THEN repeat('é',40)||i::VARCHAR ELSE 'city_'||(i%10)::VARCHAR END AS s,
 CASE WHEN i%12=11 THEN NULL ELSE left(printf('%02X%02XFF00', i%256, (i//256)%256), 2*(i%5)::INT) END AS bin_hex,
 CASE WHEN i%15=0 THEN NULL ELSE printf('%016x', i)||'0123456789abcdef' END AS u_hex,
 printf('%02X00FF%02X01', i%256, i%7) AS fx_hex
 FROM range(3000) r(i)`);
const conds = {
  b: 't.b = e.b', n_int: 't.n_int IS NOT DISTINCT FROM e.n_int', l: 't.l IS NOT DISTINCT FROM e.l',
  f: 't.f::VARCHAR IS NOT DISTINCT FROM e.f::VARCHAR', d: 't.d::VARCHAR IS NOT DISTINCT FROM e.d::VARCHAR',
  dec9: 't.dec9::VARCHAR IS NOT DISTINCT FROM e.dec9', dec18: 't.dec18::VARCHAR = e.dec18',
  dec38: 't.dec38::VARCHAR IS NOT DISTINCT FROM e.dec38', dec20: 't.dec20::VARCHAR IS NOT DISTINCT FROM e.dec20',
  dt: "datediff('day', DATE '1970-01-01', t.dt) IS NOT DISTINCT FROM e.dt_days",
  tm: "t.tm = TIME '00:00:00' + to_microseconds(e.tm_us)",
  ts: 'epoch_us(t.ts) IS NOT DISTINCT FROM e.ts_us', tstz: 'epoch_us(t.tstz) = e.tstz_us',
  s: 't.s IS NOT DISTINCT FROM e.s', bin: 'hex(t.bin) IS NOT DISTINCT FROM e.bin_hex',
  u: "replace(t.u::VARCHAR, '-', '') IS NOT DISTINCT FROM e.u_hex", fx: 'hex(t.fx) = e.fx_hex',
};
const sel = Object.entries(conds).map(([k, c]) => `count(*) FILTER (WHERE (${c}) IS NOT TRUE) AS "${k}"`).join(', ');
let bad = 0;
for (const f of readdirSync(dir).filter((x) => x.endsWith('.parquet')).sort()) {
  const p = `${dir}/${f}`;
  try {
    const [r] = await run(`SELECT count(*) AS n, count(DISTINCT t.id) AS nd, ${sel} FROM read_parquet('${p}') t JOIN e ON t.id = e.id`);
    const [tot] = await run(`SELECT count(*) AS n FROM read_parquet('${p}')`);
    const wrong = Object.entries(r).filter(([k, v]) => !['n', 'nd'].includes(k) && v !== '0' && v !== 0);
    const ok = String(r.n) === '3000' && String(r.nd) === '3000' && String(tot.n) === '3000' && wrong.length === 0;
    if (!ok) bad++;
    console.log(ok ? 'OK  ' : 'BAD ', f, ok ? '' : JSON.stringify(r));
  } catch (e) { bad++; console.log('ERR ', f, e.message.split('\n')[0]); }
}
console.log(bad ? `${bad} files wrong` : 'duckdb: all files read back exactly');
let failed = bad;
bad = 0;
for (const f of readdirSync(dir).filter((x) => x.endsWith('.parquet')).sort()) {
  const buf = readFileSync(`${dir}/${f}`);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const md = parquetMetadata(ab);
  const errs = [];
  md.row_groups.forEach((rg, g) => rg.columns.forEach((cc, c) => {
    const m = cc.meta_data;
    const leaf = md.schema[c + 1];
    const oi = readOffsetIndex({ view: new DataView(ab, Number(cc.offset_index_offset), cc.offset_index_length), offset: 0 });
    let row = 0n;
    oi.page_locations.forEach((loc, i) => {
      const reader = { view: new DataView(ab, Number(loc.offset)), offset: 0 };
      const h = deserializeTCompactProtocol(reader);
      if (i === 0 && loc.offset !== m.data_page_offset) errs.push(`rg${g} ${leaf.name}: first page offset`);
      if (reader.offset + h.field_3 !== loc.compressed_page_size) errs.push(`rg${g} ${leaf.name} page ${i}: size`);
      if (BigInt(loc.first_row_index) !== row) errs.push(`rg${g} ${leaf.name} page ${i}: first row ${loc.first_row_index} != ${row}`);
      const nv = (h.field_5 || h.field_8).field_1;
      row += BigInt(nv);
    });
    if (row !== BigInt(rg.num_rows)) errs.push(`rg${g} ${leaf.name}: rows ${row} != ${rg.num_rows}`);
    if (cc.column_index_offset !== undefined) {
      const ci = readColumnIndex({ view: new DataView(ab, Number(cc.column_index_offset), cc.column_index_length), offset: 0 }, leaf);
      const n = oi.page_locations.length;
      if (ci.null_pages.length !== n || ci.min_values.length !== n || ci.null_counts.length !== n) errs.push(`rg${g} ${leaf.name}: ci lengths`);
      const nulls = ci.null_counts.reduce((a, b) => a + BigInt(b), 0n);
      if (nulls !== BigInt(m.statistics.null_count)) errs.push(`rg${g} ${leaf.name}: ci nulls ${nulls} vs ${m.statistics.null_count}`);
    } else if (!['f', 'd'].includes(leaf.name)) errs.push(`rg${g} ${leaf.name}: no column index`);
  }));
  let rows;
  try {
    rows = await parquetReadObjects({ file: ab, compressors });
    if (rows.length !== 3000) errs.push(`read ${rows.length} rows`);
    for (const [i, r] of rows.entries()) {
      if (Number(r.id) !== i) { errs.push(`row ${i} id ${r.id}`); break; }
      const s = i % 10 === 3 ? null : i % 9 === 0 ? '' : i % 50 === 7 ? 'é'.repeat(40) + i : 'city_' + (i % 10);
      if (r.s !== s) { errs.push(`row ${i} s ${r.s}`); break; }
      const l = i % 13 === 0 ? null : i % 13 === 1 ? -9223372036854775808n : i % 13 === 2 ? 9223372036854775807n : BigInt(i * 1000003 - 500000000);
      if (r.l !== l) { errs.push(`row ${i} l ${r.l}`); break; }
    }
  } catch (e) { errs.push('hyparquet read: ' + e.message); }
  if (errs.length) bad++;
  console.log(errs.length ? 'BAD ' : 'OK  ', f, errs.slice(0, 4).join('; '));
}
console.log(bad ? `${bad} files wrong` : 'hyparquet: page indexes consistent, all files read');
process.exit(failed + bad ? 1 : 0);
