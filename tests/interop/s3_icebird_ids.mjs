/*
 * s3_icebird_ids.mjs - icebird (hyparam's Iceberg reader, which no one
 * here wrote) reads the current snapshot of a table floe wrote on S3
 * (s3rver), and the table must hold the ids PREFIX0..PREFIX(N-1) each
 * exactly once, and one row per (_kafka_partition, _kafka_offset).
 *
 * usage: node s3_icebird_ids.mjs ENDPOINT METADATA_URI N [PREFIX]
 * ENDPOINT is the S3 endpoint (http://127.0.0.1:PORT, path-style);
 * METADATA_URI the table's s3://bucket/key...metadata.json (what the
 * catalog points at). icebird turns the s3:// paths of the table's
 * metadata, manifests and data files into https://BUCKET.s3.amazonaws.com
 * URLs; those are fetched from ENDPOINT/BUCKET/... instead (s3rver
 * serves unsigned GETs), the only change to how icebird reads.
 * Used by tests/e2e/kafka_source_s3.sh. Prints a summary; exits 1 on
 * any difference.
 */
import { icebergMetadata, icebergRead } from 'icebird';

const [endpoint, metaUri, nText, prefix = 'r'] = process.argv.slice(2);
if (!endpoint || !metaUri || !nText) {
  console.error('usage: node s3_icebird_ids.mjs ENDPOINT METADATA_URI N [PREFIX]');
  process.exit(2);
}
const realFetch = globalThis.fetch;
const aws = /^https:\/\/([^./]+)\.s3\.amazonaws\.com\//;
globalThis.fetch = (url, init) => {
  const u = typeof url === 'string' ? url : url.url ?? String(url);
  const m = aws.exec(u);
  return realFetch(m ? `${endpoint}/${m[1]}/${u.slice(m[0].length)}` : url, init);
};
const m = /^s3:\/\/(.+)\/metadata\/([^/]+)$/.exec(metaUri);
if (!m) {
  console.error(`not an s3:// metadata file: ${metaUri}`);
  process.exit(2);
}
const tableUrl = `s3://${m[1]}`;
const metadata = await icebergMetadata({ tableUrl, metadataFileName: m[2] });
const rows = await icebergRead({ tableUrl, metadata });
const n = Number(nText);
const seen = new Map();
const at = new Set();
let bad = 0;
for (const r of rows) {
  seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
  at.add(`${r._kafka_partition}/${r._kafka_offset}`);
}
const dups = [...seen].filter(([, c]) => c > 1);
const missing = [];
for (let i = 0; i < n; i++) if (!seen.has(`${prefix}${i}`)) missing.push(`${prefix}${i}`);
const extra = [...seen.keys()].filter((id) => !(id.startsWith(prefix) && Number(id.slice(prefix.length)) < n));
if (dups.length) { console.error(`icebird: ${dups.length} ids more than once, e.g. ${dups.slice(0, 3)}`); bad++; }
if (missing.length) { console.error(`icebird: ${missing.length} ids missing, e.g. ${missing.slice(0, 3)}`); bad++; }
if (extra.length) { console.error(`icebird: ${extra.length} unexpected ids, e.g. ${extra.slice(0, 3)}`); bad++; }
if (at.size !== rows.length) { console.error(`icebird: ${rows.length} rows but ${at.size} distinct (partition, offset)`); bad++; }
console.log(`icebird: ${rows.length} rows in snapshot ${metadata['current-snapshot-id']}, ${seen.size} distinct ids`);
process.exit(bad ? 1 : 0);
