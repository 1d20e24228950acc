// The MSK processor on DynamoDB Local with MSK-shaped events over two topic-partitions (no Kafka engine exists here:
// the events are built as Lambda builds them, base64 key/value, offsets, headers). Final state must equal replay()
// with the same two-way split of keys.
import type { MSKRecord } from 'aws-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { evenHashRanges, replay, shardRouter } from '../../core';
import { createMskHandler, type InvocationSummary, type MskBatchResponse } from '../../lambdas/processor/index';
import { StateStore } from '../../lambdas/state/index';
import { makeClients } from '../../local/aws-clients';
import { clickstream } from '../../pipelines/clickstream';
import {
  clickLines,
  dynamoWrapper,
  freshTables,
  lambdaContext,
  MemorySqs,
  mskEvent,
  mskRecord,
  silentLogger,
  tableResults,
} from './processor-helpers';

const clients = makeClients(inject('engineEndpoints'));
afterAll(() => clients.destroy());

const TOPIC = 'clicks';
const REJECTED = 'https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-rejected';
const LATE = 'https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-late';
const lines = clickLines({ events: 200, users: 10, seed: 23 });
const route = shardRouter(evenHashRanges(2));
const expected = replay(clickstream, lines, { shards: 2 });

/** Records in line order; partition by the Kinesis hash of the key (so replay's two shards are the two partitions). */
const records: MSKRecord[] = (() => {
  const next = [1000, 5000];
  return lines.map((line) => {
    let key = 'malformed';
    try {
      key = String(JSON.parse(line).userId ?? 'malformed');
    } catch {}
    const partition = route(key);
    return mskRecord(TOPIC, partition, next[partition]!++, key, line);
  });
})();

describe('MSK processor over two topic-partitions', () => {
  it('interleaved partitions, a redelivery and a throttled key end exact; failures name topic-partition and offset', async () => {
    const tables = await freshTables(clients.dynamodb, 'msk');
    const wrapper = dynamoWrapper(clients.dynamodb, tables.stateTable);
    const sqs = new MemorySqs();
    const summaries: InvocationSummary[] = [];
    const handler = createMskHandler(clickstream, {
      dynamodb: wrapper.client,
      sqs: sqs.client,
      ...tables,
      rejectedQueueUrl: REJECTED,
      lateQueueUrl: LATE,
      storeOptions: { backoff: { baseDelayMs: 2, maxDelayMs: 10 } },
      logger: silentLogger(),
      onInvocation: (s) => summaries.push(s),
    });
    const invoke = async (batch: MSKRecord[]) => (await handler(mskEvent(batch), lambdaContext())) as MskBatchResponse;

    const b1 = records.slice(0, 80);
    const b2 = records.slice(80, 160);
    const b3 = records.slice(160);
    expect(new Set(b1.map((r) => r.partition)).size).toBe(2);

    expect((await invoke(b1)).batchItemFailures).toEqual([]);
    expect((await invoke(b1)).batchItemFailures).toEqual([]); // redelivered: everything under the checkpoints
    expect(summaries.at(-1)!.skipped).toBe(b1.length);

    // Throttle one key of partition 1 (injected: DynamoDB Local never throttles).
    const keyOf = (r: MSKRecord) => Buffer.from(r.key, 'base64').toString();
    // A key's duplicates are decided in its own commit: the key's lowest record (duplicate or not) is the resume point.
    const kept = b2.filter((r) => r.partition === 1 && keyOf(r) !== 'malformed');
    const key = keyOf(kept[Math.floor(kept.length / 2)]!);
    wrapper.controls.throttleKey = key;
    const response = await invoke(b2);
    const firstOfKey = kept.find((r) => keyOf(r) === key)!;
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: `${TOPIC}-1`, offset: firstOfKey.offset } },
    ]);
    const store = new StateStore({ client: clients.dynamodb, tableName: tables.stateTable });
    expect((await store.getCheckpoint(`abc/${TOPIC}-0`))?.sequence).toBe(
      String(b2.filter((r) => r.partition === 0).at(-1)!.offset),
    );
    expect((await store.getCheckpoint(`abc/${TOPIC}-1`))?.sequence).toBe(String(firstOfKey.offset - 1));
    wrapper.controls.throttleKey = undefined;

    // Lambda resumes partition 1 from the reported offset; partition 0 goes on with the next records.
    const resumed = b2.filter((r) => r.partition === 1 && r.offset >= firstOfKey.offset);
    expect((await invoke([...resumed, ...b3])).batchItemFailures).toEqual([]);

    const results = await tableResults(clients.dynamodb, tables.stateTable, clickstream, wrapper.recorded.results);
    expect(results).toEqual(expected.results);
    const id = (line: number) => `abc/${TOPIC}-${records[line - 1]!.partition}:${records[line - 1]!.offset}`;
    expect(sqs.ids(REJECTED)).toEqual(expected.rejected.map((r) => id(r.line)).sort());
    expect(sqs.ids(LATE)).toEqual(
      [...new Set(expected.late.map((l) => `${id(l.line)}:${l.window}:${l.start}`))].sort(),
    );
    // Counted per invocation (a retried record is counted again): the first delivery of b1 counts b1's duplicates.
    expect(summaries[0]!.duplicates).toBe(expected.duplicates.filter((d) => d.line <= b1.length).length);
    expect(summaries[0]!.duplicates).toBeGreaterThan(0);
  });
});
