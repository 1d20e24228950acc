// What the widened fault-injection sweep (issue 10) found, each taken apart to a small named scenario through the
// real processor handlers against DynamoDB Local. Each scenario states the rule the sweep's oracle holds the processor
// to (the replay loop with the processor's view of each record) and fails while the processor breaks it; the sweep
// seeds that found it are in the titles (`npm run test:chaos -- --seed S --schedules 1`).
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent, MSKEvent } from 'aws-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type Pipeline, replay, stateTooLargeReason } from '../../core';
import { runCloser } from '../../lambdas/closer/index';
import { createKinesisHandler, createMskHandler } from '../../lambdas/processor/index';
import { SqsSideOutput } from '../../lambdas/side-output/index';
import { ensureStateTables, fenceKey, StateStore } from '../../lambdas/state/index';
import { makeClients } from '../../local/aws-clients';
import { toPolledRecord } from '../../local/esm/index';
import { type ActiveWrite, activeWriteRecorder } from '../chaos/closer-runs';
import { emptyLanded, landingRecorder, sdkError } from '../chaos/fault-layer';
import { oracle } from '../chaos/oracle';
import { clickstreamCappedNoDedupe, clickstreamLean } from '../chaos/pipelines';
import { delegateStore } from '../chaos/sabotage';
import { lambdaContext, MemorySqs, silentLogger, tableResults } from './processor-helpers';

type DynamoSend = Pick<DynamoDBClient, 'send'>;

const clients = makeClients(inject('engineEndpoints'));
afterAll(() => clients.destroy());

const REJECTED = 'https://sqs.us-east-1.amazonaws.com/000000000000/findings-rejected';
const LATE = 'https://sqs.us-east-1.amazonaws.com/000000000000/findings-late';
const STREAM = 'findings';
const MINUTE = 60_000;

/** A clickstream line. */
const event = (id: string, user: string, time: number) =>
  JSON.stringify({ eventId: id, userId: user, type: 'view', ts: new Date(time).toISOString(), page: `/product/${id}` });

/** A processor over a fresh state table, with what its state writes carried (`r`, `o`, `u`) and the SQS messages. */
async function processor(
  pipeline: Pipeline,
  options: {
    kind?: 'kinesis' | 'msk';
    /** Checkpoint writes of these sources fail once each (the container dies after its commits). */
    failCheckpointOnce?: readonly string[];
    /**
     * State writes of this key fail with a throttle this many times, then land. Injected above the SDK's retry: each one
     * is a write the SDK gave up on (a hot partition).
     */
    throttle?: { key: string; times: number };
  } = {},
) {
  const stateTable = `findings-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
  await ensureStateTables(clients.dynamodb, { stateTable }, { stream: false });
  const landed = emptyLanded();
  const sqs = new MemorySqs();
  const recorder = landingRecorder(clients.dynamodb, stateTable, landed, 'processor');
  let throttles = options.throttle?.times ?? 0;
  const store = new StateStore({
    client: {
      send: ((command: { constructor: { name: string }; input: any }) => {
        const isThrottled =
          command.constructor.name === 'PutItemCommand' && command.input.Item?.pk?.S === options.throttle?.key;
        if (isThrottled && throttles-- > 0) return Promise.reject(sdkError('ProvisionedThroughputExceededException'));
        return recorder.send(command as never);
      }) as typeof recorder.send,
    },
    tableName: stateTable,
    backoff: { baseDelayMs: 1, maxDelayMs: 4 },
  });
  const failing = new Set(options.failCheckpointOnce ?? []);
  const deps = {
    store: {
      ...delegateStore(store),
      putCheckpoint: (id: string, next: Parameters<StateStore['putCheckpoint']>[1]) => {
        if (failing.delete(id)) return Promise.reject(new Error('the container died before its checkpoint'));
        return store.putCheckpoint(id, next);
      },
    },
    rejected: new SqsSideOutput({ client: sqs.client, queueUrl: REJECTED }),
    late: new SqsSideOutput({ client: sqs.client, queueUrl: LATE }),
    logger: silentLogger(),
  };
  const handler = options.kind === 'msk' ? createMskHandler(pipeline, deps) : createKinesisHandler(pipeline, deps);
  return {
    stateTable,
    landed,
    sqs,
    /**
     * The closer on the same table in active mode (real clock; every key a candidate, as after a quiet minute); `wrap`
     * puts a client in front of its DynamoDB calls.
     */
    closeActive: (wrap: (client: DynamoSend) => DynamoSend = (c) => c) =>
      runCloser({
        pipeline,
        client: clients.dynamodb,
        tableName: stateTable,
        store: new StateStore({
          client: wrap(landingRecorder(clients.dynamodb, stateTable, landed, 'closer')),
          tableName: stateTable,
        }),
        liveWindowMs: 0,
      }),
    /**
     * The closer on the same table, its clock set so that its (idle) watermark is `watermark`; `wrap` puts a client
     * in front of its DynamoDB calls.
     */
    close: async (watermark: number, wrap: (client: DynamoSend) => DynamoSend = (c) => c) => {
      const client = wrap(landingRecorder(clients.dynamodb, stateTable, landed, 'closer'));
      const store = new StateStore({ client, tableName: stateTable });
      const checkpoints = await store.listCheckpoints();
      const maxStreamTime = Math.max(...checkpoints.map((c) => c.streamTime));
      const lastValid = Math.max(...checkpoints.map((c) => c.lastValidAt ?? c.updatedAt));
      return runCloser({
        pipeline,
        client,
        tableName: stateTable,
        store,
        now: () => lastValid + (watermark - maxStreamTime),
      });
    },
    invoke: (e: KinesisStreamEvent | MSKEvent) =>
      (handler as (e: unknown, c: unknown) => Promise<{ batchItemFailures: unknown[] }>)(e, lambdaContext()),
    results: () => tableResults(clients.dynamodb, stateTable, pipeline, landed.results),
    /** State-too-large rejections the state writes decided. */
    tooLarge: () => landed.outbox.filter((m) => m.kind === 'rejected' && m.reason.startsWith('state-too-large')).length,
    dispose: () => clients.dynamodb.send(new DeleteTableCommand({ TableName: stateTable })).catch(() => undefined),
  };
}

/** A Kinesis event of `lines` on `shard` (sequence numbers from `first`), arriving now. */
function kinesisEvent(lines: readonly string[], shard: number, first = 0): KinesisStreamEvent {
  const shardId = `shardId-${String(shard).padStart(12, '0')}`;
  const source = {
    streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${STREAM}`,
    region: 'us-east-1',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/findings',
  };
  return {
    Records: lines.map(
      (line, i) =>
        toPolledRecord(
          {
            SequenceNumber: String(49_650_000_000_000_000_000n + BigInt(first + i) * 1000n),
            Data: Buffer.from(line),
            PartitionKey: JSON.parse(line).userId,
            ApproximateArrivalTimestamp: new Date(),
          },
          shardId,
          source,
        ).lambdaRecord,
    ),
  };
}

describe('what the widened chaos sweep found', () => {
  it('a hot key whose dedupe claims move to claim items meets the state bound where replay does (seeds 20, 76, 204, 244)', async () => {
    // clickstreamLean: the clickstream pipeline with a 3,000-byte state bound. One key, 320 events in two minutes: its
    // claims (11 characters per id) outgrow the item, and the processor moves the oldest to claim items. Replay keeps
    // them in the state it measures, the processor measures the state without them: the bound then refuses records
    // in replay that the processor counts. The bound must not depend on where claims are stored.
    const start = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;
    const lines = Array.from({ length: 320 }, (_, i) => event(`hot-${i}`, 'hot', start + i * 400));
    const want = replay(clickstreamLean, lines);
    const p = await processor(clickstreamLean);
    try {
      for (let i = 0; i < lines.length; i += 40) await p.invoke(kinesisEvent(lines.slice(i, i + 40), 0, i));
      expect(await p.results()).toEqual(want.results);
      expect(p.tooLarge()).toBe(want.rejected.length);
    } finally {
      await p.dispose();
    }
  });

  it('the state bound refuses the same records whatever the batching, also when windows close inside a batch (seeds 36, 44, 108, 132, 212, 276)', async () => {
    // clickstreamCapped without dedupe (4,000-byte bound, the last 60 pages of every 5-minute window). Twenty events of
    // key u, then one event of another key 20 minutes later on the same shard (the shard's stream time jumps), then
    // five more events of u: late for every window. Replay finalizes u's closed windows after each record; the
    // processor, given the five in one batch, keeps the closed windows' snapshots in the state until the batch's
    // watermark and measures them against the bound: it refuses late records as state-too-large.
    const start = Math.floor(Date.now() / MINUTE) * MINUTE - 40 * MINUTE;
    const lines = [
      ...Array.from({ length: 20 }, (_, i) => event(`a${i}`, 'u', start + i * 2000)),
      event('jump', 'w', start + 20 * MINUTE),
      ...Array.from({ length: 5 }, (_, i) => event(`b${i}`, 'u', start + 40_000 + i * 1000)),
    ];
    const want = replay(clickstreamCappedNoDedupe, lines);
    const p = await processor(clickstreamCappedNoDedupe);
    try {
      await p.invoke(kinesisEvent(lines, 0));
      const tooLarge = want.rejected.filter((r) => r.reason === stateTooLargeReason('u', 4_000)).length;
      expect(p.tooLarge()).toBe(tooLarge);
      expect(await p.results()).toEqual(want.results);
    } finally {
      await p.dispose();
    }
  });

  it("after a reshard a key's records on the child shard meet the child's stream time, not the parent's batch end (seeds 92, 177, 209, 283)", async () => {
    // Parent shard 0: two events of u, then (same batch) one event of w 20 minutes later. Child shard 1 (after the
    // reshard, u's hash range): two more events of u in u's first minute. Stream time is per shard: for the child
    // they are on time (the oracle: every event of u counts in its minute). The processor finalized u at the parent's
    // batch end (w's time), ahead of u's own records, so the child's events of u are late.
    const start = Math.floor(Date.now() / MINUTE) * MINUTE - 40 * MINUTE;
    const parent = [event('p1', 'u', start), event('p2', 'u', start + 10_000), event('pw', 'w', start + 20 * MINUTE)];
    const child = [event('c1', 'u', start + 30_000), event('c2', 'u', start + 40_000)];
    const records = [...parent.map((line) => ({ line, shard: 0 })), ...child.map((line) => ({ line, shard: 1 }))];
    const want = oracle(
      clickstreamLean,
      records.map(({ line, shard }, index) => ({
        index,
        data: Buffer.from(line).toString('base64'),
        partitionKey: JSON.parse(line).userId,
        arrivalMs: Date.now(),
        source: `${STREAM}/shardId-${String(shard).padStart(12, '0')}`,
        messageSource: `shardId-${String(shard).padStart(12, '0')}`,
        sequence: String(index),
        fence: fenceKey(`${STREAM}/shardId-${String(shard).padStart(12, '0')}`),
        failed: false,
        skipped: false,
      })),
    );
    expect(want.results.find((r) => r.window === 'perMinute' && r.key === 'u')?.values.events).toBe(4);
    const p = await processor(clickstreamLean);
    try {
      await p.invoke(kinesisEvent(parent, 0));
      await p.invoke(kinesisEvent(child, 1));
      expect(await p.results()).toEqual(want.results);
      expect(p.sqs.ids(LATE)).toEqual([]);
    } finally {
      await p.dispose();
    }
  });

  it('side-output ids stay distinct when the app reads the same topic from another cluster (seed 111)', async () => {
    // The app is pointed at another MSK cluster with the same topic: offsets start at 0 again. Each cluster is its own
    // source (its own checkpoint), but messages are named `topic-partition:offset`: a rejected record of the new
    // cluster gets the id of an old one, and a consumer that drops repeats by id (as the README says to) loses it.
    const p = await processor(clickstreamLean, { kind: 'msk' });
    const mskEvent = (cluster: string, line: string): MSKEvent => ({
      eventSource: 'aws:kafka',
      eventSourceArn: `arn:aws:kafka:us-east-1:000000000000:cluster/findings/${cluster}`,
      bootstrapServers: 'b-1.findings:9098',
      records: {
        'clicks-0': [
          {
            topic: 'clicks',
            partition: 0,
            offset: 0,
            timestamp: Date.now(),
            timestampType: 'LOG_APPEND_TIME',
            key: Buffer.from('u').toString('base64'),
            value: Buffer.from(line).toString('base64'),
            headers: [],
          },
        ],
      },
    });
    try {
      await p.invoke(mskEvent('11111111-aaaa', 'not json (old cluster)'));
      await p.invoke(mskEvent('22222222-bbbb', '{"broken": (new cluster)'));
      const messages = p.sqs.queues.get(REJECTED) ?? [];
      expect(messages).toHaveLength(2);
      expect(new Set(messages.map((m) => m.id)).size).toBe(2);
    } finally {
      await p.dispose();
    }
  });

  it('a closer run keeps the due listing of keys that close after its watermark in the same minute (seed 71)', async () => {
    // One batch lists keys a and b in the same due minute: a closes at 10:04:30.001 (its session: last event + 30 s
    // gap + 5 min grace), b at 10:04:50.001. A closer at 10:04:40 finalizes a and, settling the minute's item, deletes
    // b's listing although b was not due: when traffic stops, no closer run ever finalizes b.
    const ten = Math.floor(Date.now() / (60 * MINUTE)) * 60 * MINUTE - 3 * 60 * MINUTE; // "10:00", three hours ago
    const lines = [event('a1', 'a', ten - MINUTE), event('b1', 'b', ten - MINUTE + 20_000)];
    const p = await processor(clickstreamLean);
    try {
      await p.invoke(kinesisEvent(lines, 0));
      const first = await p.close(ten + 4 * MINUTE + 40_000);
      expect(first.watermark.mode).toBe('idle');
      expect(first.closed).toBe(1);
      // Traffic has stopped: the next runs finalize everything of b (its minute, its session, its 5-minute windows).
      await p.close(ten + 20 * MINUTE);
      const finalB = p.landed.results.filter((r) => r.key === 'b');
      expect(finalB.map((r) => r.window).sort()).toEqual([
        'activity5m',
        'activity5m',
        'activity5m',
        'activity5m',
        'activity5m',
        'perMinute',
        'sessions',
      ]);
    } finally {
      await p.dispose();
    }
  });

  it('the closer in active mode does not finalize a key on the stream time of other shards while its own shard has no checkpoint', async () => {
    // Shard 1 commits key u (its first batch) and dies before its checkpoint; shard 0 moves on to 20 minutes later and
    // checkpoints. The closer (active mode: every source with a checkpoint is active) takes shard 0's stream time as the
    // watermark and finalizes u through it. Shard 1's next event of u, in u's first minute, is on time for shard 1
    // (stream time is per shard: the oracle counts it), but u is finalized: it is late. (The same happens to keys that
    // move to a child shard after a reshard, before the child's first checkpoint. With the default live window the
    // key must be quiet for the idle timeout first; here the live window is 0, as after a quiet minute.)
    const start = Math.floor(Date.now() / MINUTE) * MINUTE - 60 * MINUTE;
    const first = event('u1', 'u', start);
    const second = event('u2', 'u', start + 20_000);
    const other = [
      event('x1', 'x', start),
      event('x2', 'x', start + 10 * MINUTE),
      event('x3', 'x', start + 20 * MINUTE),
    ];
    const p = await processor(clickstreamLean, { failCheckpointOnce: [`${STREAM}/shardId-000000000001`] });
    try {
      const failed = await p.invoke(kinesisEvent([first], 1));
      expect(failed.batchItemFailures).toHaveLength(1);
      await p.invoke(kinesisEvent(other, 0));
      const run = await p.closeActive();
      expect(run.watermark.mode).toBe('active');
      // Lambda retries shard 1's batch (fenced: nothing new), then delivers the next one.
      await p.invoke(kinesisEvent([first], 1));
      await p.invoke(kinesisEvent([second], 1, 1));
      const minute = (await p.results()).find((r) => r.window === 'perMinute' && r.key === 'u');
      expect(minute?.values.events).toBe(2);
      expect(p.sqs.ids(LATE)).toEqual([]);
    } finally {
      await p.dispose();
    }
  });

  it("the oracle places an active closer run in its key's record order: a later idle run leaves the key's finalized-through mark alone (seed 747)", async () => {
    // Shard 0: u at T, x at T+20m. The closer in active mode (watermark T+20m) finalizes every window of u: u has
    // nothing open, u's finalized-through mark is T+20m. x at T+30m; then an idle run at T+38m finalizes x's windows,
    // not u's (nothing due). u at T+25m10s: stream time T+30m, its windows close at T+30m40s and later, after u's
    // mark: on time. An oracle without the active run has u's windows still open at the idle run, finalizes them
    // there (mark T+38m) and calls the record late: the active run must be placed where it ran, after u's first
    // record and before the idle run.
    const t = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * 60 * MINUTE;
    const lines = [
      event('u1', 'u', t),
      event('x1', 'x', t + 20 * MINUTE),
      event('x2', 'x', t + 30 * MINUTE),
      event('u2', 'u', t + 25 * MINUTE + 10_000),
    ];
    const writes: ActiveWrite[] = [];
    const p = await processor(clickstreamLean);
    try {
      await p.invoke(kinesisEvent(lines.slice(0, 2), 0));
      const active = await p.closeActive((c) => activeWriteRecorder(c, p.stateTable, () => 0, writes));
      expect(active.watermark.mode).toBe('active');
      expect(writes.map((w) => [w.key, w.watermark])).toEqual([['u', t + 20 * MINUTE]]);
      await p.invoke(kinesisEvent(lines.slice(2, 3), 0, 2));
      const idle = await p.close(t + 38 * MINUTE);
      expect([idle.watermark.mode, idle.closed]).toEqual(['idle', 1]);
      await p.invoke(kinesisEvent(lines.slice(3), 0, 3));
      const records = lines.map((line, index) => ({
        index,
        data: Buffer.from(line).toString('base64'),
        partitionKey: JSON.parse(line).userId,
        arrivalMs: Date.now(),
        source: `${STREAM}/shardId-000000000000`,
        messageSource: 'shardId-000000000000',
        sequence: String(49_650_000_000_000_000_000n + BigInt(index) * 1000n),
        fence: fenceKey(`${STREAM}/shardId-000000000000`),
        failed: false,
        skipped: false,
      }));
      const barriers = [{ at: 3, watermark: () => Math.floor(idle.watermark.watermark) }];
      const want = oracle(clickstreamLean, records, { barriers, closes: writes });
      expect(want.closes).toEqual(writes.map(({ key, version, windows }) => ({ key, version, windows })));
      expect(want.lateIds).toEqual([]);
      expect(await p.results()).toEqual(want.results);
      expect(p.sqs.ids(LATE)).toEqual([]);
      // Without the active run the oracle finalizes u at the idle run: u's second record is late there.
      expect(oracle(clickstreamLean, records, { barriers }).lateIds).not.toEqual([]);
    } finally {
      await p.dispose();
    }
  });

  it("a retry of a batch's tail keeps the due listing of the keys its first attempt committed (seeds 608, 880)", async () => {
    // One batch: key a, then key k, at the same time (their next close times share a due minute). k's write is
    // throttled past the SDK's retries: a commits, the batch answers a partial failure at k, and the due listing of
    // a is written under the batch's name (its last sequence). Lambda retries the tail (k alone): same last sequence,
    // same name, and its listing (k) overwrites a's. When traffic stops, no closer run finalizes a.
    const start = Math.floor(Date.now() / (60 * MINUTE)) * 60 * MINUTE - 3 * 60 * MINUTE;
    const lines = [event('a1', 'a', start), event('k1', 'k', start)];
    const p = await processor(clickstreamLean, { throttle: { key: 'k', times: 1 } });
    try {
      const first = await p.invoke(kinesisEvent(lines, 0));
      expect(first.batchItemFailures).toHaveLength(1);
      const retry = kinesisEvent(lines, 0).Records.slice(1);
      expect((await p.invoke({ Records: retry })).batchItemFailures).toEqual([]);
      await p.close(start + 30 * MINUTE);
      const finalA = p.landed.results.filter((r) => r.key === 'a').map((r) => r.window);
      expect(finalA.sort()).toEqual([
        'activity5m',
        'activity5m',
        'activity5m',
        'activity5m',
        'activity5m',
        'perMinute',
        'sessions',
      ]);
    } finally {
      await p.dispose();
    }
  });

  it('a closer write whose outcome the closer never saw stays listed as due (seed 971)', async () => {
    // Key a at 10:00:00. A closer at 10:06:30 finalizes a's minute, session and first 5-minute window; its write lands
    // and the closer dies before it sees the answer (and before re-listing a under its new next close, 10:07). The
    // next run finds a settled by a later write and deletes the due item that listed it: a's remaining four 5-minute
    // windows are never finalized.
    const ten = Math.floor(Date.now() / (60 * MINUTE)) * 60 * MINUTE - 3 * 60 * MINUTE;
    const p = await processor(clickstreamLean);
    try {
      await p.invoke(kinesisEvent([event('a1', 'a', ten)], 0));
      let dead = false;
      const dieAfterStateWrite = (client: DynamoSend): DynamoSend => ({
        send: (async (command: { constructor: { name: string }; input: any }) => {
          if (dead) throw sdkError('ProcessCrashed');
          const out = await client.send(command as never);
          if (command.constructor.name === 'PutItemCommand' && command.input.Item?.sk?.S === 'state') {
            dead = true;
            throw sdkError('ProcessCrashed');
          }
          return out;
        }) as DynamoSend['send'],
      });
      await p.close(ten + 6 * MINUTE + 30_000, dieAfterStateWrite).catch(() => undefined);
      expect(dead).toBe(true);
      await p.close(ten + 6 * MINUTE + 30_000);
      await p.close(ten + 30 * MINUTE);
      const finalA = p.landed.results.filter((r) => r.key === 'a').map((r) => r.window);
      expect(finalA.sort()).toEqual([
        'activity5m',
        'activity5m',
        'activity5m',
        'activity5m',
        'activity5m',
        'perMinute',
        'sessions',
      ]);
    } finally {
      await p.dispose();
    }
  });
});
