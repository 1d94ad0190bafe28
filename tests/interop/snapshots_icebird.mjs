/*
 * snapshots_icebird.mjs - every snapshot of a table floe wrote, read by
 * icebird (hyparam's Iceberg reader, which no one here wrote), must give
 * the rows floe's own scan gives for that snapshot.
 *
 * usage: node snapshots_icebird.mjs DATA_DIR [NS.]TABLE:COL[,COL...] ...
 * (env FLOE_BIN; NS default "default"). Used by tests/e2e/up_exactly_once.sh
 * and tests/e2e/cdc_pg.sh on the data directory of a stopped `floe up`.
 *
 * For each table: the snapshots listed by `floe sql "t$snapshots"`
 * must be those of the table's current metadata file; for each snapshot
 * icebird reads the table as of it (the current metadata with
 * current-snapshot-id set to the snapshot: icebird then follows that
 * snapshot's manifest list, applying its position deletes) over HTTP
 * (npm http-server on the warehouse), and the multiset of COLs' values
 * it returns must equal that of `floe sql "SELECT COLs FROM t(ID)"`.
 * A snapshot without any data manifest (an offsets-only commit before
 * the first row) is one icebird refuses to read ("No data manifest
 * files found"); that is accepted only when floe reads 0 rows from it.
 * Prints one line per table; exits 1 on the first difference.
 */
import fs from 'node:fs';
import path from 'node:path';
import { icebergMetadata, icebergRead } from 'icebird';
import { bagDiff, floeOk, JNum, parseJsonExact, serveWarehouse } from './iceberg_util.mjs';

const [data, ...specs] = process.argv.slice(2);
if (!data || !specs.length) {
  console.error('usage: node snapshots_icebird.mjs DATA_DIR TABLE:COL[,COL...] ...');
  process.exit(2);
}
const wh = path.join(data, 'warehouse');
const sql = (q) => floeOk(['sql', '--data', data, '--format', 'ndjson', q]).stdout
  .split('\n').filter((l) => l.length).map(parseJsonExact);
const bag = (vals) => vals.map((v) => String(v)).sort();

const server = await serveWarehouse(wh);
let failed = false;
try {
  for (const spec of specs) {
    const [table, colList] = spec.split(':');
    const cols = colList.split(',');
    const tuple = (r) => cols.map((c) => (r[c] instanceof JNum ? r[c].text : String(r[c]))).join('|');
    const [ns, name] = table.includes('.') ? table.split('.', 2) : ['default', table];
    const tableUrl = `${server.url}/${ns}/${name}`;
    const meta = await icebergMetadata({ tableUrl });
    /* icebird parses the metadata with JSON.parse: 64-bit snapshot ids are
     * rounded, so a snapshot is matched by its manifest list */
    const snaps = sql(`SELECT CAST(snapshot_id AS TEXT) AS id, manifest_list FROM "${table}$snapshots"`);
    const lists = meta.snapshots.map((s) => s['manifest-list']);
    if (bag(snaps.map((s) => s.manifest_list)).join() !== bag(lists).join())
      throw new Error(`${table}: floe lists snapshots ${snaps.map((s) => s.id)} but the metadata has others`);
    let rows = 0, empty = 0;
    for (const { id, manifest_list: list } of snaps) {
      const want = bag(sql(`SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM "${table}"(${id})`).map(tuple));
      const snap = meta.snapshots.find((s) => s['manifest-list'] === list);
      const asOf = { ...meta, 'current-snapshot-id': snap['snapshot-id'], snapshots: [snap] };
      let got;
      try {
        got = bag((await icebergRead({ tableUrl, metadata: asOf }))
          .map(tuple));
      } catch (e) {
        if (!/No data manifest files found/.test(e.message) || want.length) throw new Error(`${table} snapshot ${id}: icebird: ${e.message}`);
        got = [];
        empty++;
      }
      if (got.join('\n') !== want.join('\n')) {
        console.error(`FAIL: ${table} snapshot ${id}: icebird != floe:\n${bagDiff(got, want)}`);
        failed = true;
      }
      rows += want.length;
    }
    console.log(`${table}: ${snaps.length} snapshots read by icebird (${empty} offsets-only), ${rows} rows in all, each as floe reads it`);
  }
} finally {
  await server.stop();
}
process.exit(failed ? 1 : 0);
