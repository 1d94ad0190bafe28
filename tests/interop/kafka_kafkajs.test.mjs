// floe's Kafka server driven by kafkajs, a Kafka client no one here
// wrote (pure JavaScript, its own protocol code, ApiVersions v2): the
// admin creates a topic of 4 partitions, an idempotent producer sends
// keyed records (kafkajs's own partitioner picks each partition and its
// reply gives base offsets), and a consumer group of two members reads
// every record exactly once, each where the producer put it; then the
// admin adds partitions (CreatePartitions) and a shrink is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUp } from './floe_up.mjs';
import { Kafka, Partitioners, logLevel } from 'kafkajs';

const FLOE = process.env.FLOE_BIN;

test('kafkajs against floe up', { timeout: 120000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'floe-kafkajs-'));
  const port = await freePort();
  const kport = await freePort();
  writeFileSync(join(dir, 'floe.yaml'), `listen: 127.0.0.1:${port}\npipelines: []\n`);
  const up = spawn(FLOE, ['up', '-c', join(dir, 'floe.yaml'), '--data', join(dir, 'd'),
    '--kafka-listen', `127.0.0.1:${kport}`], { stdio: 'ignore' });
  const kafka = new Kafka({ clientId: 'floe-test', brokers: [`127.0.0.1:${kport}`],
    logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  try {
    await waitUp(`http://127.0.0.1:${port}`);
    const admin = kafka.admin();
    await admin.connect();
    assert.equal(await admin.createTopics({ topics: [{ topic: 'js', numPartitions: 4 }] }), true);
    const meta = await admin.fetchTopicMetadata({ topics: ['js'] });
    assert.equal(meta.topics[0].partitions.length, 4);
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    // the partition kafkajs's own default partitioner chooses for a key
    const choose = Partitioners.DefaultPartitioner();
    const partitionMetadata = [0, 1, 2, 3].map((partitionId) => ({ partitionId, leader: 1 }));
    const chosen = (key) => choose({ topic: 'js', partitionMetadata, message: { key } });
    for (let b = 0; b < 10; b++) {
      const messages = [];
      for (let i = 0; i < 10; i++) {
        const n = b * 10 + i;
        messages.push({ key: `customer-${n % 7}`, value: `v${n}` });
      }
      const res = await producer.send({ topic: 'js', acks: -1, messages });
      for (const r of res) assert.equal(r.errorCode, 0);
    }
    await producer.disconnect();

    const got = new Map();
    let dups = 0;
    const consumers = [0, 1].map(() => kafka.consumer({ groupId: 'js-group', sessionTimeout: 10000,
      heartbeatInterval: 500, rebalanceTimeout: 10000 }));
    for (const c of consumers) {
      await c.connect();
      await c.subscribe({ topic: 'js', fromBeginning: true });
    }
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${got.size} of 100`)), 60000);
      for (const c of consumers) {
        c.run({
          eachMessage: async ({ partition, message }) => {
            const v = message.value.toString();
            if (got.has(v)) dups++;
            got.set(v, { partition, key: message.key.toString(), offset: Number(message.offset) });
            if (got.size === 100) { clearTimeout(timer); resolve(); }
          },
        }).catch(reject);
      }
    });
    for (const c of consumers) await c.disconnect();
    assert.equal(got.size, 100);
    assert.equal(dups, 0);
    // each key in one partition, and every partition's offsets 0..n-1
    const keyPart = new Map();
    const perPart = [[], [], [], []];
    for (const { partition, key, offset } of got.values()) {
      assert.equal(partition, chosen(key), `${key} where kafkajs's partitioner put it`);
      keyPart.set(key, partition);
      perPart[partition].push(offset);
    }
    for (const offs of perPart) {
      offs.sort((a, b) => a - b);
      offs.forEach((o, i) => assert.equal(o, i));
    }
    assert.ok(new Set(keyPart.values()).size > 1, 'keys spread over partitions');

    // CreatePartitions from kafkajs's admin (v0/v1, not flexible): 4 -> 6,
    // and fewer refused with INVALID_PARTITIONS
    const admin2 = kafka.admin();
    await admin2.connect();
    await admin2.createPartitions({ topicPartitions: [{ topic: 'js', count: 6 }] });
    const meta2 = await admin2.fetchTopicMetadata({ topics: ['js'] });
    assert.equal(meta2.topics[0].partitions.length, 6);
    await assert.rejects(
      admin2.createPartitions({ topicPartitions: [{ topic: 'js', count: 3 }] }),
      (e) => e.type === 'INVALID_PARTITIONS');
    await admin2.disconnect();
  } finally {
    up.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
