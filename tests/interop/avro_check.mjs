// avro_check.mjs - reads an Avro container file with avsc (npm, pinned in
// package.json), an Avro implementation floe did not write, for
// tests/unit/test_avro.c and avro_python.test.mjs.
//
//   node avro_check.mjs FILE
//
// prints one JSON object: codec, metadata, every field-id / element-id /
// key-id / value-id of the header's writer schema, the record count and
// the records. Longs are read as BigInt (plain numbers would refuse
// snapshot ids above 2^53) and printed as exact JSON integers; bytes as hex.
import avro from 'avsc';

const longType = avro.types.LongType.__with({
  fromBuffer: (buf) => buf.readBigInt64LE(),
  toBuffer: (n) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n) => typeof n === 'bigint',
  compare: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
});

function collectIds(schema, ids, seen) {
  if (Array.isArray(schema)) {
    for (const b of schema) collectIds(b, ids, seen);
    return;
  }
  if (schema === null || typeof schema !== 'object') return;
  if (schema.type === 'record') {
    if (seen.has(schema.name)) return;
    seen.add(schema.name);
    for (const f of schema.fields) {
      if (f['field-id'] !== undefined) ids['field-id'].push(f['field-id']);
      collectIds(f.type, ids, seen);
    }
  } else if (schema.type === 'array') {
    if (schema['element-id'] !== undefined) ids['element-id'].push(schema['element-id']);
    collectIds(schema.items, ids, seen);
  } else if (schema.type === 'map') {
    for (const k of ['key-id', 'value-id']) if (schema[k] !== undefined) ids[k].push(schema[k]);
    collectIds(schema.values, ids, seen);
  } else if (typeof schema.type === 'object') {
    collectIds(schema.type, ids, seen);
  }
}

export function describeAvro(path) {
  return new Promise((resolve, reject) => {
    const ids = { 'field-id': [], 'element-id': [], 'key-id': [], 'value-id': [] };
    let out = null;
    const records = [];
    avro
      .createFileDecoder(path, {
        parseHook: (schema) => {
          collectIds(schema, ids, new Set());
          return avro.Type.forSchema(schema, {
            typeHook: (s) => (s === 'long' || (s && s.type === 'long') ? longType : undefined),
          });
        },
      })
      .on('metadata', (type, codec, header) => {
        const meta = {};
        for (const [k, v] of Object.entries(header.meta)) meta[k] = v.toString('utf8');
        out = { reader: 'avsc', codec, meta, ids };
      })
      .on('data', (rec) => records.push(rec))
      .on('error', reject)
      .on('end', () => {
        out.count = records.length;
        out.records = records;
        resolve(out);
      });
  });
}

// JSON with BigInt as exact integers and Buffers as hex.
export function toJson(obj) {
  const s = JSON.stringify(obj, function (k, v) {
    if (typeof v === 'bigint') return `__BIGINT__${v}__`;
    if (v && v.type === 'Buffer' && Array.isArray(v.data)) return Buffer.from(v.data).toString('hex');
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    return v;
  });
  return s.replace(/"__BIGINT__(-?\d+)__"/g, '$1');
}

if (process.argv[1] && process.argv[1].endsWith('avro_check.mjs')) {
  describeAvro(process.argv[2]).then(
    (o) => process.stdout.write(toJson(o) + '\n'),
    (e) => {
      process.stderr.write(`avsc: ${e.message}\n`);
      process.exit(1);
    }
  );
}
