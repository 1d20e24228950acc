// Issue 10: one named regression test per hole an outside review found in the exactly-once processor. Each runs the
// real handlers (and closer) against DynamoDB Local and compares with what the rule says. All of them failed on the
// processor before the fix (the closing note says how each failed); the chaos sweep now produces each fault too.
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord, MSKRecord } from 'aws-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { definePipeline, lastN, type Pipeline, replay, tumbling, type WindowResult } from '../../core';
import { runCloser } from '../../lambdas/closer/index';
import {
  createKinesisHandler,
  createMskHandler,
  type InvocationSummary,
  type MskBatchResponse,
  type ProcessorDeps,
} from '../../lambdas/processor/index';
import type { SideOutputMessage } from '../../lambdas/side-output/index';
import { StateStore } from '../../lambdas/state/index';
import { makeClients } from '../../local/aws-clients';
import { clickstream } from '../../pipelines/clickstream';
import {
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

const REJECTED = 'https://sqs.us-east-1.amazonaws.com/000000000000/rejected';
const LATE = 'https://sqs.us-east-1.amazonaws.com/000000000000/late';
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/holes';
const MINUTE = 60_000;
const minuteFloor = (t: number) => Math.floor(t / MINUTE) * MINUTE;

let eventCounter = 0;
const click = (user: string, time: number, id = `e${++eventCounter}`, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ eventId: id, userId: user, type: 'click', ts: new Date(time).toISOString(), ...extra });

/** Kinesis records of one shard (sequences from `first`), arrival `arrivalMs`, partition key = user id unless given. */
function kinesisRecords(
  lines: readonly string[],
  options: { first: number; shard?: string; arrivalMs?: number; partitionKeys?: readonly string[] },
): KinesisStreamRecord[] {
  const shard = options.shard ?? 'shardId-000000000000';
  return lines.map((line, i) => {
    let user = 'x';
    try {
      user = String(JSON.parse(line).userId ?? 'x');
    } catch {}
    const sequence = String(49_600_000_000_000_000_000n + BigInt(options.first + i));
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: options.partitionKeys?.[i] ?? user,
        sequenceNumber: sequence,
        data: Buffer.from(line).toString('base64'),
        approximateArrivalTimestamp: (options.arrivalMs ?? Date.now()) / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shard}:${sequence}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/processor',
      awsRegion: 'us-east-1',
      eventSourceARN: STREAM_ARN,
    } as KinesisStreamRecord;
  });
}

const sequenceOf = (r: KinesisStreamRecord) => r.kinesis.sequenceNumber;

/** One scenario's tables, recorded writes, side outputs, and handler instances ("containers"). */
async function scenario(label: string, pipeline: Pipeline = clickstream) {
  const tables = await freshTables(clients.dynamodb, label);
  const recorded = { results: [] as WindowResult[], alerts: [], statePuts: 0, landed: 0 };
  const sqs = new MemorySqs();
  const summaries: InvocationSummary[] = [];
  const container = (deps: ProcessorDeps = {}) => {
    const wrapper = dynamoWrapper(clients.dynamodb, tables.stateTable, {}, recorded);
    const handler = createKinesisHandler(pipeline, {
      dynamodb: wrapper.client,
      sqs: sqs.client,
      ...tables,
      rejectedQueueUrl: REJECTED,
      lateQueueUrl: LATE,
      storeOptions: { backoff: { baseDelayMs: 2, maxDelayMs: 10 } },
      logger: silentLogger(),
      onInvocation: (summary) => summaries.push(summary),
      ...deps,
    });
    return {
      wrapper,
      invoke: async (records: readonly KinesisStreamRecord[]) =>
        (await handler({ Records: [...records] } as KinesisStreamEvent, lambdaContext())) as KinesisStreamBatchResponse,
    };
  };
  /** Every side-output message id decided: what the writes carried (the emitter delivers it) and what was sent. */
  const sideOutputIds = (kind: 'late' | 'rejected') => {
    const carried = ((recorded as { outbox?: SideOutputMessage[] }).outbox ?? []).filter((m) => m.kind === kind);
    return [...new Set([...carried.map((m) => m.id), ...sqs.ids(kind === 'late' ? LATE : REJECTED)])].sort();
  };
  const results = () => tableResults(clients.dynamodb, tables.stateTable, pipeline, recorded.results);
  const store = () => new StateStore({ client: clients.dynamodb, tableName: tables.stateTable });
  /** Run the closer once; its writes are recorded like the processors' (their `r` goes to the emitter too). */
  const close = (options: { now?: () => number; parallelizationFactor?: number } = {}) => {
    const client = dynamoWrapper(clients.dynamodb, tables.stateTable, {}, recorded).client;
    return runCloser({
      pipeline,
      client,
      tableName: tables.stateTable,
      store: new StateStore({ client, tableName: tables.stateTable, now: options.now }),
      ...options,
    });
  };
  return { tables, recorded, sqs, summaries, container, sideOutputIds, results, store, close };
}

const count = (results: readonly WindowResult[], window: string, key: string, start: number) =>
  results.find((r) => r.window === window && r.key === key && r.start === start)?.values.events;

describe('exactly-once under production conditions (issue 10 holes)', () => {
  it('hole 1, backfill: three-day-old events in four batches give the same final results as replay', async () => {
    const s = await scenario('backfill');
    const t0 = minuteFloor(Date.now() - 3 * 86_400_000);
    const lines = [
      ...Array.from({ length: 30 }, (_, i) => click('u1', t0 + i * 1000)),
      ...Array.from({ length: 3 }, (_, i) => click('u1', t0 + 12 * MINUTE + i * 1000)),
    ];
    const p = s.container();
    const records = kinesisRecords(lines, { first: 1 });
    for (const batch of [records.slice(0, 10), records.slice(10, 20), records.slice(20, 30), records.slice(30)]) {
      expect((await p.invoke(batch)).batchItemFailures).toEqual([]);
    }
    const expected = replay(clickstream, lines);
    expect(count(expected.results, 'perMinute', 'u1', t0)).toBe(30);
    expect(await s.results()).toEqual(expected.results);
    // The minute is final 12 minutes later (1 m + 5 m grace): its result was emitted by a state write.
    expect(count(s.recorded.results, 'perMinute', 'u1', t0)).toBe(30);
  });

  it('hole 2, closer against a warm processor: a record found late after the conflict is never lost', async () => {
    const s = await scenario('closer-race');
    const t0 = minuteFloor(Date.now() - 3_600_000);
    const p = s.container();
    const b1 = kinesisRecords([click('u1', t0), click('u1', t0 + 1000)], { first: 1 });
    expect((await p.invoke(b1)).batchItemFailures).toEqual([]); // p now holds u1 in its cache
    // Traffic stops; the closer (idle mode, half an hour later) finalizes u1's windows, writing u1 again.
    const closed = await s.close({ now: () => Date.now() + 30 * MINUTE });
    expect(closed.closed).toBe(1);
    // The warm processor's next batch holds an event for a window the closer made final; the late queue is down.
    s.sqs.failEntry = (m) => m.kind === 'late';
    const b2 = kinesisRecords([click('u1', t0 + 5000)], { first: 3 });
    expect((await p.invoke(b2)).batchItemFailures).toEqual([]);
    const lateIds = s.sideOutputIds('late');
    expect(lateIds.length).toBeGreaterThan(0);
    expect(lateIds.every((id) => id.startsWith(`shardId-000000000000:${sequenceOf(b2[0]!)}:`))).toBe(true);
    // ... and it is in no window.
    expect(count(await s.results(), 'perMinute', 'u1', t0)).toBe(2);
  });

  it('hole 3, checkpoints cached per container: a shard moving between warm containers judges lateness right', async () => {
    const s = await scenario('containers');
    const t0 = minuteFloor(Date.now() - 3_600_000);
    const a = s.container();
    const b = s.container();
    const lines = [click('u1', t0), click('u2', t0), click('u2', t0 + 20 * MINUTE), click('u1', t0 + 10_000)];
    const records = kinesisRecords(lines, { first: 1 });
    expect((await a.invoke(records.slice(0, 2))).batchItemFailures).toEqual([]);
    expect((await b.invoke(records.slice(2, 3))).batchItemFailures).toEqual([]); // stream time +20 min
    expect((await a.invoke(records.slice(3))).batchItemFailures).toEqual([]); // back on container a
    const expected = replay(clickstream, lines);
    expect(expected.summary.lateEvents).toBe(1);
    expect(await s.results()).toEqual(expected.results);
    expect(s.sideOutputIds('late')).toEqual(
      [
        ...new Set(
          expected.late.map((l) => `shardId-000000000000:${sequenceOf(records[l.line - 1]!)}:${l.window}:${l.start}`),
        ),
      ].sort(),
    );
    // The stored stream time never moved backwards.
    const checkpoints = await s.store().listCheckpoints();
    expect(checkpoints).toHaveLength(1);
    expect(checkpoints[0]!.streamTime).toBe(t0 + 20 * MINUTE);
  });

  it('hole 4a, ParallelizationFactor > 1 with another partition key: such records are rejected, none dropped', async () => {
    const s = await scenario('lanes-pk');
    const t0 = minuteFloor(Date.now() - 3_600_000);
    const p = s.container({ parallelizationFactor: 2 });
    const lines = [1, 2, 3, 4].map((i) => click('u1', t0 + i * 1000));
    const records = kinesisRecords(lines, { first: 1, partitionKeys: ['sess-a', 'sess-b', 'sess-a', 'sess-b'] });
    // Two lanes of one shard: the session-b lane commits first.
    expect((await p.invoke([records[1]!, records[3]!])).batchItemFailures).toEqual([]);
    expect((await p.invoke([records[0]!, records[2]!])).batchItemFailures).toEqual([]);
    const applied = count(await s.results(), 'perMinute', 'u1', t0) ?? 0;
    const rejected = s.sqs.queues.get(REJECTED) ?? [];
    expect(Number(applied) + new Set(rejected.map((m) => m.id)).size).toBe(4);
    expect(rejected.every((m) => m.kind === 'rejected' && m.reason.startsWith('partition-key-mismatch:'))).toBe(true);
  });

  it("hole 4b, ParallelizationFactor > 1: the closer never finalizes a key on another lane's stream time", async () => {
    const s = await scenario('lanes-closer');
    const t0 = minuteFloor(Date.now() - 3_600_000);
    const p = s.container({ parallelizationFactor: 2 });
    const [slow, fast, slowNext] = kinesisRecords(
      [click('u1', t0 + 10_000), click('u2', t0 + 20 * MINUTE), click('u1', t0 + 20_000)],
      { first: 1 },
    );
    expect((await p.invoke([slow!])).batchItemFailures).toEqual([]);
    expect((await p.invoke([fast!])).batchItemFailures).toEqual([]);
    await s.close({ parallelizationFactor: 2 });
    expect((await p.invoke([slowNext!])).batchItemFailures).toEqual([]);
    expect(s.sideOutputIds('late')).toEqual([]);
    expect(count(await s.results(), 'perMinute', 'u1', t0)).toBe(2);
  });

  it('hole 5a, a key whose state outgrows its item never blocks its shard: records that cannot fit are rejected', async () => {
    const pipeline = definePipeline({
      name: 'hot',
      schema: clickstream.schema,
      key: 'userId',
      time: 'ts',
      windows: { perHour: tumbling('1h', { grace: '5m' }) },
      aggregates: { pages: lastN((e: { page?: string }) => e.page ?? '', 500) },
    });
    const s = await scenario('hot-key', pipeline);
    const t0 = minuteFloor(Date.now() - 3_600_000);
    const page = 'p'.repeat(1000);
    const lines = Array.from({ length: 400 }, (_, i) =>
      click(i % 4 === 3 ? `cold-${i}` : 'hot', t0 + i * 1000, `h${i}`, { page: `${i}:${page}` }),
    );
    const p = s.container();
    const records = kinesisRecords(lines, { first: 1 });
    for (let i = 0; i < records.length; i += 100) {
      expect((await p.invoke(records.slice(i, i + 100))).batchItemFailures).toEqual([]);
    }
    const expected = replay(pipeline, lines);
    expect(expected.rejected.filter((r) => r.reason.startsWith('state-too-large:')).length).toBeGreaterThan(0);
    expect(await s.results()).toEqual(expected.results);
    expect(s.sideOutputIds('rejected')).toEqual(
      expected.rejected.map((r) => `shardId-000000000000:${sequenceOf(records[r.line - 1]!)}`).sort(),
    );
    expect(s.summaries.every((summary) => summary.failures.length === 0)).toBe(true);
  });

  it('hole 5b, a dedupe claim never outlives a record that was not applied: the resend of a discarded record counts', async () => {
    const s = await scenario('claims');
    const t0 = minuteFloor(Date.now() - 3_600_000);
    const p = s.container();
    const original = click('u1', t0, 'only-once');
    const [b1a, b1b] = kinesisRecords([original, click('u2', t0)], { first: 1 });
    // u1's writes keep throttling (injected: DynamoDB Local never throttles) until Lambda gives up on the batch.
    p.wrapper.controls.throttleKey = 'u1';
    expect((await p.invoke([b1a!, b1b!])).batchItemFailures).toEqual([{ itemIdentifier: sequenceOf(b1a!) }]);
    // Its retries make no progress at all (u2 is done): the invocation fails as a whole, as Lambda then sees it.
    for (let attempt = 0; attempt < 2; attempt++) await expect(p.invoke([b1a!, b1b!])).rejects.toThrow();
    p.wrapper.controls.throttleKey = undefined;
    // Lambda discards the range (failure destination) and moves on; the producer resends the event.
    const [resend] = kinesisRecords([original], { first: 3 });
    expect((await p.invoke([resend!])).batchItemFailures).toEqual([]);
    expect(count(await s.results(), 'perMinute', 'u1', t0)).toBe(1);
  });

  it('hole 6, a source whose sequence restarts: records below the checkpoint are counted, never skipped in silence', async () => {
    const tables = await freshTables(clients.dynamodb, 'msk-reset');
    const wrapper = dynamoWrapper(clients.dynamodb, tables.stateTable);
    const summaries: InvocationSummary[] = [];
    const handler = createMskHandler(clickstream, {
      dynamodb: wrapper.client,
      sqs: new MemorySqs().client,
      ...tables,
      rejectedQueueUrl: REJECTED,
      lateQueueUrl: LATE,
      logger: silentLogger(),
      onInvocation: (summary) => summaries.push(summary),
    });
    const t0 = minuteFloor(Date.now() - 3_600_000);
    const at = (records: MSKRecord[], timestamp: number, type: 'LOG_APPEND_TIME' | 'CREATE_TIME') =>
      records.map((r) => ({ ...r, timestamp, timestampType: type }) as MSKRecord);
    const first = Array.from({ length: 10 }, (_, i) => mskRecord('clicks', 0, i, 'u1', click('u1', t0 + i * 1000)));
    const invoke = async (records: MSKRecord[]) =>
      (await handler(mskEvent(records), lambdaContext())) as MskBatchResponse;
    expect((await invoke(at(first, Date.now() - 600_000, 'LOG_APPEND_TIME'))).batchItemFailures).toEqual([]);
    // The topic is re-created: offsets start at 0 again, with new events appended later.
    const again = at(
      Array.from({ length: 5 }, (_, i) => mskRecord('clicks', 0, i, 'u2', click('u2', t0 + i * 1000))),
      Date.now(),
      'LOG_APPEND_TIME',
    );
    expect((await invoke(again)).batchItemFailures).toEqual([]);
    expect(summaries.at(-1)!.sourceResets).toBe(1);
    const results = await tableResults(clients.dynamodb, tables.stateTable, clickstream, wrapper.recorded.results);
    expect(count(results, 'perMinute', 'u1', t0)).toBe(10);
    expect(count(results, 'perMinute', 'u2', t0)).toBe(5);
    // A redelivery of the new records (same offsets, same append times) is under the new epoch's checkpoint.
    expect((await invoke(again)).batchItemFailures).toEqual([]);
    expect(summaries.at(-1)!.skipped).toBe(5);
    // With producer timestamps (CreateTime) a restart cannot be proven: the records are skipped, but reported.
    const third = Array.from({ length: 3 }, (_, i) => mskRecord('clicks', 0, i, 'u3', click('u3', t0 + i * 1000)));
    expect((await invoke(at(third, Date.now() + 60_000, 'CREATE_TIME'))).batchItemFailures).toEqual([]);
    expect(summaries.at(-1)!.suspectedResets).toBe(3);
  });

  it('hole 7, a shard that only receives garbage does not hold the watermark: windows finalize when traffic stops', async () => {
    const s = await scenario('garbage');
    const t0 = minuteFloor(Date.now() - 3_600_000);
    const now = Date.now();
    const a = s.container();
    const records = kinesisRecords([click('u1', t0), click('u1', t0 + 1000)], { first: 1 });
    expect((await a.invoke(records)).batchItemFailures).toEqual([]);
    // Ten minutes later shard B still receives one malformed record a minute (its checkpoint keeps moving).
    const b = s.container({ now: () => now + 10 * MINUTE - 5000 });
    const garbage = kinesisRecords(['{not json'], { first: 1, shard: 'shardId-000000000001' });
    expect((await b.invoke(garbage)).batchItemFailures).toEqual([]);
    const closed = await s.close({ now: () => now + 10 * MINUTE });
    expect(closed.windows).toBeGreaterThan(0);
    expect(count(s.recorded.results, 'perMinute', 'u1', t0)).toBe(2);
  });
});
