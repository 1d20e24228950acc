// docs/architecture.md §2.3: a late decision (and a `state-too-large` rejection) travels in the key's state write (its outbox `o`)
// and the emitter delivers it from the state table's stream: the durable path of what the processor also sends right
// after its commit. Here the processor's own sends all fail (the late queue is down while it runs), so every late
// entry replay finds must reach the queue through the emitter alone; a queue that is down for the emitter too has its
// messages spilled and re-delivered. SQS has no embedded engine: MemorySqs stands in for it (its failures are the
// injected part); the processor, the stream and the emitter are real, on DynamoDB Local.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { replay } from '../../core';
import { createEmitterHandler, redeliverSpilled } from '../../lambdas/emitter/index';
import { SqsSideOutput } from '../../lambdas/side-output/index';
import { makeClients } from '../../local/aws-clients';
import { FolderSpillStore } from '../../local/runtime/folder-spill-store';
import { clickstream } from '../../pipelines/clickstream';
import { emissionTables, processLines, streamReader } from './emitter-helpers';
import { clickLines, lambdaContext, MemorySqs, silentLogger } from './processor-helpers';

const endpoints = inject('engineEndpoints');
const clients = makeClients(endpoints);
const LATE = 'https://sqs.us-east-1.amazonaws.com/000000000000/late';
const REJECTED = 'https://sqs.us-east-1.amazonaws.com/000000000000/rejected';
const lines = clickLines({ events: 240, users: 6, seed: 23, lateShare: 0.08 });
const expected = replay(clickstream, lines, { shards: 1 });
const dir = mkdtempSync(join(tmpdir(), 'streamfold-side-outputs-'));
let tables: { stateTable: string; dedupeTable: string };
let records: DynamoDBRecord[] = [];

beforeAll(async () => {
  tables = await emissionTables(clients.dynamodb, 'side');
  const processed = await processLines(clickstream, clients.dynamodb, tables, lines, {
    batchSize: 40,
    failLate: true,
  });
  expect(processed.sqs.ids(LATE)).toEqual([]); // the processor's own sends all failed
  records = await (await streamReader(clients.dynamodb, endpoints.dynamodb, tables.stateTable)).next();
});
afterAll(() => {
  clients.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const lateIds = () =>
  [...new Set(expected.late.map((l) => `shardId-000000000000:${1000 + l.line - 1}:${l.window}:${l.start}`))].sort();

describe('the emitter delivers what state writes decided for the side outputs', () => {
  it('every late entry reaches the late queue through the emitter, also when the queue was down for a while', async () => {
    expect(expected.late.length).toBeGreaterThan(0);
    const sqs = new MemorySqs();
    let down = true;
    sqs.failEntry = () => down;
    const sideOutputs = {
      rejected: new SqsSideOutput({ client: sqs.client, queueUrl: REJECTED, maxAttempts: 2 }),
      late: new SqsSideOutput({ client: sqs.client, queueUrl: LATE, maxAttempts: 2 }),
    };
    const spill = new FolderSpillStore(dir);
    const handler = createEmitterHandler(clickstream, {
      dynamodb: clients.dynamodb,
      ...tables,
      sinks: [],
      spill,
      sideOutputs,
      logger: silentLogger(),
      backoff: { baseDelayMs: 1, maxDelayMs: 5 },
    });
    for (let i = 0; i < records.length; i += 50) {
      const response = (await handler({ Records: records.slice(i, i + 50) }, lambdaContext())) as {
        batchItemFailures: unknown[];
      };
      expect(response.batchItemFailures).toEqual([]); // spilled, not failed
    }
    expect(sqs.ids(LATE)).toEqual([]);
    down = false;
    const run = await redeliverSpilled({ sinks: [], spill, markers: undefined, sideOutputs });
    expect(run.remaining).toBe(0);
    expect(sqs.ids(LATE)).toEqual(lateIds());
  });
});
