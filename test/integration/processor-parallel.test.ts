// ParallelizationFactor > 1: Lambda runs several batches of one shard at once, ordered per partition key only. The
// processor then tracks stream time per key and skips nothing by checkpoint (a per-shard checkpoint could skip
// another lane's uncommitted records). The state must stay exact under concurrent lanes, redeliveries and a cold
// start: it must equal a replay of each key's events on their own (the key's stream time).
import type { KinesisStreamBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { partitionHash, replay, type WindowResult } from '../../core';
import { createKinesisHandler, type ProcessorDeps } from '../../lambdas/processor/index';
import { makeClients } from '../../local/aws-clients';
import { clickstream } from '../../pipelines/clickstream';
import { createStream, putRecords } from './esm-helpers';
import {
  batches,
  clickLines,
  dynamoWrapper,
  freshTables,
  kinesisEvent,
  lambdaContext,
  MemorySqs,
  readBack,
  type ShardRecord,
  silentLogger,
  tableResults,
} from './processor-helpers';

const clients = makeClients(inject('engineEndpoints'));
const REJECTED = 'https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-rejected';
const LATE = 'https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-late';
const LANES = 3;

const lines = clickLines({ events: 240, users: 9, seed: 23, botEvents: 0 });
const keyOf = (line: string) => {
  try {
    return String(JSON.parse(line).userId ?? 'malformed');
  } catch {
    return 'malformed';
  }
};
let records: ShardRecord[] = [];

beforeAll(async () => {
  const stream = await createStream(clients.kinesis, 'parallel', 1);
  const put = await putRecords(
    clients.kinesis,
    stream,
    lines.map((line) => ({ key: keyOf(line), data: line })),
  );
  const lineOf = new Map(put.map((p, i) => [p.sequenceNumber, i]));
  records = [...(await readBack(clients.kinesis, stream, lines.length, lineOf)).values()][0]!;
});
afterAll(() => clients.destroy());

/** Per-key reference: each key's events replayed alone (its own stream time), results merged. */
function perKeyReference() {
  const byKey = new Map<string, string[]>();
  for (const line of lines) {
    const key = keyOf(line);
    const list = byKey.get(key);
    if (list) list.push(line);
    else byKey.set(key, [line]);
  }
  const results: WindowResult[] = [];
  let rejected = 0;
  for (const keyLines of byKey.values()) {
    const out = replay(clickstream, keyLines, { shards: 1 });
    results.push(...out.results);
    rejected += out.rejected.length;
  }
  return { results, rejected };
}

async function deliverLane(
  handler: ReturnType<typeof createKinesisHandler>,
  lane: readonly ShardRecord[],
  size: number,
): Promise<void> {
  for (const batch of batches([...lane], size)) {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 5) throw new Error('batch did not complete in 6 attempts');
      const response = (await handler(kinesisEvent(pending), lambdaContext())) as KinesisStreamBatchResponse;
      const failed = response.batchItemFailures[0]?.itemIdentifier;
      pending = failed === undefined ? [] : pending.slice(pending.findIndex((r) => r.sequence === failed));
    }
  }
}

describe('processor with ParallelizationFactor > 1', () => {
  it('stays exact with concurrent lanes of one shard, redeliveries and a cold start (stream time per key)', async () => {
    const tables = await freshTables(clients.dynamodb, 'parallel');
    const wrapper = dynamoWrapper(clients.dynamodb, tables.stateTable, {});
    const sqs = new MemorySqs();
    const make = () =>
      createKinesisHandler(clickstream, {
        dynamodb: wrapper.client,
        sqs: sqs.client,
        ...tables,
        rejectedQueueUrl: REJECTED,
        lateQueueUrl: LATE,
        parallelizationFactor: LANES,
        storeOptions: { backoff: { baseDelayMs: 2, maxDelayMs: 10 } },
        logger: silentLogger(),
      } satisfies Partial<ProcessorDeps>);
    // Lanes by partition key hash, as Lambda splits a shard for ParallelizationFactor > 1.
    const lanes = Array.from({ length: LANES }, () => [] as ShardRecord[]);
    for (const r of records) lanes[Number(partitionHash(r.lambda.kinesis.partitionKey) % BigInt(LANES))]!.push(r);
    expect(lanes.filter((l) => l.length > 0).length).toBeGreaterThan(1);

    const warm = make();
    await Promise.all(lanes.map((lane, i) => deliverLane(warm, lane, 7 + i * 5)));
    // Lambda redelivers a lane from its start (e.g. after a timeout) to a new container: nothing changes.
    await deliverLane(make(), lanes[0]!, 11);
    await Promise.all(lanes.map((lane) => deliverLane(warm, lane.slice(Math.floor(lane.length / 2)), 13)));

    const want = perKeyReference();
    const results = await tableResults(clients.dynamodb, tables.stateTable, clickstream, wrapper.recorded.results);
    const sort = (list: WindowResult[]) =>
      [...list].sort((a, b) =>
        `${a.window}|${a.key}|${a.start}`.localeCompare(`${b.window}|${b.key}|${b.start}`, 'en'),
      );
    expect(results.length).toBe(want.results.length);
    expect(sort(results)).toEqual(sort(want.results));
    expect(sqs.ids(REJECTED).length).toBe(want.rejected);
  });
});
