// Exactly-once scenarios of the Kinesis processor on kinesis-mock + DynamoDB Local: every scenario's final DynamoDB
// state (plus the results finalized by its writes) must equal replay() of the same events, and the side outputs must
// hold exactly replay's rejected and late records.
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import type { KinesisStreamBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { replay } from '../../core';
import {
  createKinesisHandler,
  type InvocationSummary,
  kinesisStreamName,
  type ProcessorDeps,
} from '../../lambdas/processor/index';
import { StateStore } from '../../lambdas/state/index';
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
  shardRanges,
  silentLogger,
  tableResults,
  type WrapperControls,
} from './processor-helpers';

const clients = makeClients(inject('engineEndpoints'));
const REJECTED = 'https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-rejected';
const LATE = 'https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-late';
const fastBackoff = { baseDelayMs: 2, maxDelayMs: 10 };

const lines = clickLines({ events: 260, users: 8, seed: 11, botEvents: 105 });
let records: ShardRecord[] = [];
let expected: ReturnType<typeof replay>;
let lineRecord: Map<number, ShardRecord>;

beforeAll(async () => {
  const stream = await createStream(clients.kinesis, 'processor', 1);
  const keyOf = (line: string) => {
    try {
      return String(JSON.parse(line).userId ?? 'malformed');
    } catch {
      return 'malformed';
    }
  };
  const put = await putRecords(
    clients.kinesis,
    stream,
    lines.map((line) => ({ key: keyOf(line), data: line })),
  );
  const lineOf = new Map(put.map((p, i) => [p.sequenceNumber, i]));
  const byShard = await readBack(clients.kinesis, stream, lines.length, lineOf);
  records = [...byShard.values()][0]!;
  lineRecord = new Map(records.map((r) => [r.line, r]));
  const { ranges } = await shardRanges(clients.kinesis, stream);
  expected = replay(clickstream, lines, { shards: ranges });
  const summary = await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
  expect(summary.StreamDescriptionSummary?.OpenShardCount).toBe(1);
});
afterAll(() => clients.destroy());

/** One scenario: fresh tables, a recording/fault-injecting DynamoDB wrapper, an in-memory SQS. */
async function harness(label: string, controls: WrapperControls = {}) {
  const tables = await freshTables(clients.dynamodb, label);
  const wrapper = dynamoWrapper(clients.dynamodb, tables.stateTable, controls);
  const sqs = new MemorySqs();
  const summaries: InvocationSummary[] = [];
  const handler = (deps: Partial<ProcessorDeps> = {}) =>
    createKinesisHandler(clickstream, {
      dynamodb: wrapper.client,
      sqs: sqs.client,
      ...tables,
      rejectedQueueUrl: REJECTED,
      lateQueueUrl: LATE,
      storeOptions: { backoff: fastBackoff },
      logger: silentLogger(),
      onInvocation: (summary) => summaries.push(summary),
      ...deps,
    });
  let current = handler();
  return {
    tables,
    wrapper,
    sqs,
    summaries,
    /** A new container (cold cache). */
    coldStart(deps: Partial<ProcessorDeps> = {}) {
      current = handler(deps);
      return current;
    },
    handler: () => current,
    async invoke(batch: readonly ShardRecord[], on = current): Promise<KinesisStreamBatchResponse | Error> {
      try {
        return (await on(kinesisEvent(batch), lambdaContext())) as KinesisStreamBatchResponse;
      } catch (error) {
        return error as Error;
      }
    },
    total<K extends keyof InvocationSummary>(name: K): number {
      return summaries.reduce((sum, s) => sum + Number(s[name] ?? 0), 0);
    },
  };
}
type Harness = Awaited<ReturnType<typeof harness>>;

/** Deliver the batches in order, each until it succeeds (as Lambda does with ReportBatchItemFailures). */
async function deliverAll(h: Harness, list: ShardRecord[][]): Promise<void> {
  for (const batch of list) {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 5) throw new Error('batch did not complete in 6 attempts');
      const response = await h.invoke(pending);
      if (response instanceof Error) continue;
      const failed = response.batchItemFailures[0]?.itemIdentifier;
      pending = failed === undefined ? [] : pending.slice(pending.findIndex((r) => r.sequence === failed));
    }
  }
}

const prefixReplays = new Map<number, ReturnType<typeof replay>>();

/**
 * The final state equals replay(): results (open + finalized), rejected, late and alerts. With `upTo`, of the first
 * `upTo` lines only (the records delivered so far: one shard keeps line order).
 */
async function expectExact(h: Harness, upTo = lines.length): Promise<void> {
  let want = prefixReplays.get(upTo);
  if (!want) {
    want = replay(clickstream, lines.slice(0, upTo), { shards: 1 });
    prefixReplays.set(upTo, want);
  }
  const results = await tableResults(clients.dynamodb, h.tables.stateTable, clickstream, h.wrapper.recorded.results);
  expect(results.length).toBe(want.results.length);
  expect(results).toEqual(want.results);
  const id = (line: number) => `${lineRecord.get(line - 1)!.shardId}:${lineRecord.get(line - 1)!.sequence}`;
  expect(h.sqs.ids(REJECTED)).toEqual(want.rejected.map((r) => id(r.line)).sort());
  expect(h.sqs.ids(LATE)).toEqual([...new Set(want.late.map((l) => `${id(l.line)}:${l.window}:${l.start}`))].sort());
  const alertKey = (a: { alert: string; key: string; window: string; start: number }) =>
    `${a.alert}|${a.key}|${a.window}|${a.start}`;
  expect(h.wrapper.recorded.alerts.map(alertKey).sort()).toEqual(want.alerts.map(alertKey).sort());
}

describe('Kinesis processor on kinesis-mock + DynamoDB Local', () => {
  it('the test data exercises rejects, late records, duplicates and an alert', () => {
    expect(expected.summary.rejected).toBe(3);
    expect(expected.summary.duplicates).toBeGreaterThan(5);
    expect(expected.summary.lateEntries).toBeGreaterThan(5);
    expect(expected.alerts.length).toBeGreaterThan(0);
    expect(records.map((r) => r.line)).toEqual(lines.map((_, i) => i));
  });

  it('a clean run equals replay; producer duplicates (~5%) are dropped and counted', async () => {
    const h = await harness('clean');
    await deliverAll(h, batches(records, 100));
    await expectExact(h);
    expect(h.total('duplicates')).toBe(expected.summary.duplicates);
    expect(h.total('rejected')).toBe(expected.summary.rejected);
    expect(h.total('received')).toBe(lines.length);
    // One conditional write per touched key per batch.
    const touched = batches(records, 100).reduce(
      (n, b) => n + new Set(b.map((r) => r.lambda.kinesis.partitionKey)).size,
      0,
    );
    expect(h.total('stateWrites')).toBeLessThanOrEqual(touched);
    expect(h.total('writeUnits')).toBeGreaterThan(0);
  });

  it('the same batch delivered twice (warm, then to a cold container) changes nothing', async () => {
    const h = await harness('twice');
    for (const batch of batches(records, 100)) {
      await deliverAll(h, [batch]);
      const writes = h.wrapper.recorded.statePuts;
      await deliverAll(h, [batch]);
      h.coldStart();
      await deliverAll(h, [batch]);
      expect(h.wrapper.recorded.statePuts).toBe(writes);
    }
    await expectExact(h);
    expect(h.summaries.filter((s) => s.skipped === s.received).length).toBe(2 * batches(records, 100).length);
  });

  it('a batch that errors, is bisected and retried ends exact', async () => {
    const h = await harness('bisect', { dieAfterStatePuts: 3 });
    const [first, second, ...rest] = batches(records, 120) as [ShardRecord[], ShardRecord[], ...ShardRecord[][]];
    const crashed = await h.invoke(first);
    expect(crashed instanceof Error || crashed.batchItemFailures.length > 0).toBe(true);
    expect(h.wrapper.dead).toBe(true);
    h.wrapper.revive();
    h.wrapper.controls.dieAfterStatePuts = undefined;
    // Lambda bisects the failed batch and retries the halves in order; the first half once more (a retry).
    const half = Math.floor(first.length / 2);
    h.coldStart();
    await deliverAll(h, [first.slice(0, half), first.slice(0, half), first.slice(half), second, ...rest]);
    await expectExact(h);
  });

  it('a crash after k of n state writes, then the retry, is exact for every k', async () => {
    const [b1, b2] = batches(records, 100) as [ShardRecord[], ShardRecord[]];
    const reference = await harness('crashref');
    await deliverAll(reference, [b1]);
    const writesBefore = reference.wrapper.recorded.landed;
    await deliverAll(reference, [b2]);
    const n = reference.wrapper.recorded.landed - writesBefore; // state writes of batch 2
    expect(n).toBeGreaterThan(4);
    for (let k = 0; k <= n; k++) {
      const h = await harness(`crash${k}`);
      await deliverAll(h, [b1]);
      const before = h.wrapper.recorded.landed;
      h.wrapper.controls.dieAfterStatePuts = h.wrapper.recorded.statePuts + k;
      const crashed = await h.invoke(b2);
      expect(h.wrapper.dead, `k=${k}`).toBe(true);
      expect(crashed instanceof Error || crashed.batchItemFailures.length > 0).toBe(true);
      expect(h.wrapper.recorded.landed - before).toBe(k);
      h.wrapper.revive();
      h.wrapper.controls.dieAfterStatePuts = undefined;
      if (k % 2 === 0) h.coldStart(); // even k: a new container; odd k: the same one, with its cache
      await deliverAll(h, [b2]);
      await expectExact(h, b2[b2.length - 1]!.line + 1);
    }
  });

  it('a crash after the state writes but before the checkpoint: the retry writes nothing again', async () => {
    const h = await harness('ckpt');
    const [b1, b2, ...rest] = batches(records, 100) as [ShardRecord[], ShardRecord[], ...ShardRecord[][]];
    await deliverAll(h, [b1]);
    h.wrapper.controls.dieOnCheckpoint = true;
    const crashed = await h.invoke(b2);
    expect(h.wrapper.dead).toBe(true);
    expect(crashed instanceof Error || crashed.batchItemFailures[0]?.itemIdentifier === b2[0]!.sequence).toBe(true);
    h.wrapper.revive();
    h.wrapper.controls.dieOnCheckpoint = false;
    const landed = h.wrapper.recorded.landed;
    h.coldStart();
    await deliverAll(h, [b2]);
    expect(h.wrapper.recorded.landed).toBe(landed); // every key fenced: no state write on the retry
    await deliverAll(h, rest);
    await expectExact(h);
  });

  it('a throttled commit: the partial response names the right sequence, the retry completes', async () => {
    // No engine throttles (DynamoDB Local never does): the throttle is injected by the client wrapper.
    const h = await harness('throttle');
    const [b1, b2, ...rest] = batches(records, 100) as [ShardRecord[], ShardRecord[], ...ShardRecord[][]];
    await deliverAll(h, [b1]);
    const keyOf = (r: ShardRecord) => r.lambda.kinesis.partitionKey;
    const validKeys = b2.map(keyOf).filter((k) => k !== 'malformed');
    const key = validKeys[Math.floor(validKeys.length / 2)]!;
    h.wrapper.controls.throttleKey = key;
    const response = await h.invoke(b2);
    expect(response).not.toBeInstanceOf(Error);
    // The lowest record of the throttled key (its duplicates too: they are decided in the key's own commit).
    const failing = b2.find((r) => keyOf(r) === key)!;
    const itemIdentifier = (response as KinesisStreamBatchResponse).batchItemFailures[0]!.itemIdentifier;
    expect(itemIdentifier).toBe(failing.sequence);
    const store = new StateStore({ client: clients.dynamodb, tableName: h.tables.stateTable });
    const checkpoint = await store.getCheckpoint(
      `${kinesisStreamName(b2[0]!.lambda.eventSourceARN)}/${b2[0]!.shardId}`,
    );
    const at = b2.findIndex((r) => r.sequence === itemIdentifier);
    expect(checkpoint?.sequence).toBe(at === 0 ? b1[b1.length - 1]!.sequence : b2[at - 1]!.sequence);
    // The injected throttle stands for one the SDK's retry strategy gave up on: the store does not send it again.
    expect(h.summaries.at(-1)!.retries).toBe(0);
    h.wrapper.controls.throttleKey = undefined;
    await deliverAll(h, [b2.slice(at), ...rest]);
    await expectExact(h);
  });

  it('two concurrent invocations racing on the same keys take the conditional-check path and stay exact', async () => {
    const h = await harness('race');
    const [b1, b2, b3, ...rest] = batches(records, 100) as [
      ShardRecord[],
      ShardRecord[],
      ShardRecord[],
      ...ShardRecord[][],
    ];
    await deliverAll(h, [b1]);
    // Hold each invocation's state writes until both have read and computed: both then write the same keys.
    const arrived = new Set<string>();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const hold = (who: string) => async () => {
      arrived.add(who);
      if (arrived.size === 2) release();
      await Promise.race([gate, new Promise((resolve) => setTimeout(resolve, 3000))]);
    };
    h.wrapper.controls.beforeStatePut = hold('a');
    const a = h.coldStart();
    const other = dynamoWrapper(clients.dynamodb, h.tables.stateTable, {}, h.wrapper.recorded);
    other.controls.beforeStatePut = hold('b');
    const b = h.coldStart({ dynamodb: other.client });
    // A retry of batch 2 races a longer delivery of batches 2 and 3 from the same shard.
    const [ra, rb] = await Promise.all([h.invoke(b2, a), h.invoke([...b2, ...b3], b)]);
    h.wrapper.controls.beforeStatePut = undefined;
    expect(arrived.size).toBe(2);
    expect(h.total('conflicts')).toBeGreaterThan(0);
    for (const response of [ra, rb]) expect(response).not.toBeInstanceOf(Error);
    await deliverAll(h, [b3, ...rest]);
    await expectExact(h);
  });
});
