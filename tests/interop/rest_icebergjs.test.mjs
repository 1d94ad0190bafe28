// floe's Iceberg REST catalog (under /v1/ on floe up's HTTP port) driven by
// iceberg-js, a REST catalog client no one here wrote: list, create, load,
// commit with requirements and updates, a conflicting commit gets 409 and
// leaves the table unchanged, drop; and replies match the OpenAPI shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUp } from './floe_up.mjs';
import { IcebergRestCatalog } from 'iceberg-js';

const FLOE = process.env.FLOE_BIN;

test('iceberg-js against floe up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'floe-rest-'));
  const port = await freePort();
  writeFileSync(join(dir, 'floe.yaml'), `listen: 127.0.0.1:${port}\npipelines: []\n`);
  const up = spawn(FLOE, ['up', '-c', join(dir, 'floe.yaml'), '--data', join(dir, 'd'), '--kafka-listen', '127.0.0.1:0'], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitUp(base);
    const c = new IcebergRestCatalog({ baseUrl: base });
    await c.createNamespace({ namespace: ['analytics'] }, { properties: { owner: 'ops' } });
    const ns = await c.listNamespaces();
    assert.deepEqual(ns.namespaces.map((n) => n.namespace ?? n), [['analytics']]);
    const created = await c.createTable({ namespace: ['analytics'] }, {
      name: 'events',
      schema: { type: 'struct', 'schema-id': 0, fields: [
        { id: 1, name: 'id', type: 'long', required: true },
        { id: 2, name: 'ts', type: 'timestamptz', required: true },
        { id: 3, name: 'user_id', type: 'string', required: false }] },
      'partition-spec': { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'ts_day', transform: 'day' }] },
      properties: { 'write.format.default': 'parquet' },
    });
    assert.equal(created['format-version'], 2);
    const tables = await c.listTables({ namespace: ['analytics'] });
    assert.deepEqual(tables.identifiers, [{ namespace: ['analytics'], name: 'events' }]);
    const m = await c.loadTable({ namespace: ['analytics'], name: 'events' });
    assert.equal(m['partition-specs'][0].fields[0].transform, 'day');
    assert.equal(m.properties['write.format.default'], 'parquet');

    // a commit with requirements that hold
    await c.updateTable({ namespace: ['analytics'], name: 'events' }, {
      requirements: [{ type: 'assert-table-uuid', uuid: m['table-uuid'] },
                     { type: 'assert-current-schema-id', 'current-schema-id': 0 }],
      updates: [{ action: 'set-properties', updates: { team: 'web' } },
                { action: 'add-schema', schema: { type: 'struct', fields: [
                  { id: 1, name: 'id', type: 'long', required: true },
                  { id: 2, name: 'ts', type: 'timestamptz', required: true },
                  { id: 3, name: 'user_id', type: 'string', required: false },
                  { id: 4, name: 'country', type: 'string', required: false }] }, 'last-column-id': 4 },
                { action: 'set-current-schema', 'schema-id': -1 }],
    });
    const m2 = await c.loadTable({ namespace: ['analytics'], name: 'events' });
    assert.equal(m2.properties.team, 'web');
    assert.equal(m2['current-schema-id'], 1);
    assert.equal(m2['last-column-id'], 4);

    // a stale requirement: 409 CommitFailedException, nothing changes
    await assert.rejects(
      c.updateTable({ namespace: ['analytics'], name: 'events' }, {
        requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': 0 }],
        updates: [{ action: 'set-properties', updates: { team: 'lost' } }] }),
      (e) => e.status === 409);
    const m3 = await c.loadTable({ namespace: ['analytics'], name: 'events' });
    assert.equal(m3.properties.team, 'web');

    // the error model for a missing table
    const r = await fetch(`${base}/v1/namespaces/analytics/tables/nope`);
    assert.equal(r.status, 404);
    const body = await r.json();
    assert.equal(body.error.code, 404);
    assert.equal(body.error.type, 'NoSuchTableException');

    await c.dropTable({ namespace: ['analytics'], name: 'events' });
    assert.deepEqual((await c.listTables({ namespace: ['analytics'] })).identifiers, []);
  } finally {
    up.kill('SIGTERM');
    await new Promise((r) => up.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});
