// The schedule family that goes through the real parts end to end: the producer's lines go into kinesis-mock with
// PutRecords, the real EventSourceMapping (local/esm) polls the shards and invokes the processor handler with its
// retry/bisect/partial-failure rules, and the handler's clients go through the same fault layer as the in-process
// sweep. Kept small: kinesis-mock moves a few hundred records a second on this machine.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { EventSourceMapping, toPolledRecord } from '../../local/esm/index';
import { createStream, putRecords } from '../integration/esm-helpers';
import { shardRanges } from '../integration/processor-helpers';
import { emptyDeliveryStats } from './driver';
import { ChaosRunError } from './errors';
import { createHarness, type ScheduleReport, verify } from './run-schedule';
import { type Schedule, scheduleFor } from './schedule';
import { type Lane, type LogRecord, type ShardLog, scheduleSends } from './shard-log';

/** Options of {@link runKinesisSchedule}. */
export interface KinesisScheduleOptions {
  readonly shards?: number;
  readonly batchSize?: number;
  /** Give up draining after this long. @default 120000 */
  readonly drainTimeoutMs?: number;
}

/**
 * Run the schedule of `seed` (as the `faults` family: dedupe on, infinite retries, its warm containers and event-time
 * profile) through kinesis-mock and the EventSourceMapping, then check it against the oracle like every other
 * schedule.
 */
export async function runKinesisSchedule(
  dynamodb: Pick<DynamoDBClient, 'send'>,
  kinesis: KinesisClient,
  seed: number,
  options: KinesisScheduleOptions = {},
): Promise<ScheduleReport> {
  const started = Date.now();
  const base = scheduleFor(seed);
  const schedule: Schedule = {
    ...base,
    family: 'faults',
    pipeline: 'clickstream',
    source: 'kinesis',
    maxRetries: -1,
    poisonCount: 0,
    shards: options.shards ?? 2,
    batchSize: options.batchSize ?? 25,
    bisectOnError: true,
    outliers: { ahead: false, behind: false },
    hostile: 0,
    lanes: 1,
    foreignKeyShare: 0,
    reshard: undefined,
    reset: undefined,
    garbage: undefined,
    closer: { activeShare: 0, liveWindowMs: undefined, barriers: [] },
  };
  const sends = scheduleSends(schedule);
  const stream = await createStream(kinesis, `chaos-${seed}`, schedule.shards);
  const arrivalMs = Date.now();
  const put = await putRecords(
    kinesis,
    stream,
    sends.map((s) => ({ key: s.partitionKey, data: s.line })),
  );
  const { ranges } = await shardRanges(kinesis, stream);
  const source = {
    streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`,
    region: 'us-east-1',
    invokeIdentityArn: 'x',
  };
  const records: LogRecord[] = put.map((p, index) => ({
    index,
    line: sends[index]!.line,
    data: sends[index]!.data,
    partitionKey: sends[index]!.partitionKey,
    kind: sends[index]!.kind,
    resent: sends[index]!.kind === 'resend',
    shardId: p.shardId,
    identity: `${stream}/${p.shardId}`,
    generation: 0,
    lane: p.shardId,
    sequence: p.sequenceNumber,
    arrivalMs,
    polled: toPolledRecord(
      {
        SequenceNumber: p.sequenceNumber,
        Data: Buffer.from(sends[index]!.line),
        PartitionKey: sends[index]!.partitionKey,
      },
      p.shardId,
      source,
    ),
  }));
  const byShard = new Map<string, LogRecord[]>();
  for (const r of records) byShard.set(r.shardId, [...(byShard.get(r.shardId) ?? []), r]);
  const lanes: Lane[] = [...byShard].map(([id, list]) => ({ id, records: list, parents: [] }));
  const log: ShardLog = {
    ranges,
    shardIds: [...byShard.keys()].sort(),
    records,
    byShard,
    lanes,
    streamArn: source.streamArn,
    clusterArns: [],
  };

  const h = await createHarness(dynamodb, schedule, log);
  const stats = emptyDeliveryStats();
  /** Invocations per first record of a batch: faults stop after `faultyInvocationsPerBatch` (liveness). */
  const attempts = new Map<string, number>();
  let invocations = 0;
  const esm = new EventSourceMapping({
    client: kinesis,
    streamName: stream,
    startingPosition: 'TRIM_HORIZON',
    batchSize: schedule.batchSize,
    bisectBatchOnFunctionError: true,
    reportBatchItemFailures: true,
    pollIntervalMs: 100,
    onFailure: h.destination,
    handler: async (event: KinesisStreamEvent, context) => {
      const first = event.Records[0]!;
      const shardId = first.eventID.slice(0, first.eventID.lastIndexOf(':'));
      const n = (attempts.get(first.eventID) ?? 0) + 1;
      attempts.set(first.eventID, n);
      // Any free warm container of the pool (its own caches); a crashed one is replaced (cold cache).
      const invocation = ++invocations;
      const lease = h.pool.acquire(`${shardId}|${invocation}`, shardId);
      const handler = lease.handler;
      handler.begin(invocation, n <= schedule.faultyInvocationsPerBatch);
      stats.invocations++;
      let response: unknown;
      try {
        response = await handler.invoke(event, context);
      } finally {
        if (handler.crashed) {
          stats.crashes++;
          stats.restarts++;
        }
        h.pool.release(lease, handler.crashed);
      }
      if (handler.crashed) throw new Error('the process crashed');
      return response;
    },
  });
  try {
    await esm.start();
    try {
      await esm.drain({ timeoutMs: options.drainTimeoutMs ?? 120_000 });
    } catch (error) {
      throw new ChaosRunError(seed, `the event source mapping did not drain: ${(error as Error).message}`, {
        cause: error,
      });
    }
    await esm.stop();
    const counters = esm.counters();
    stats.functionErrors = counters.functionErrors;
    stats.partial = counters.partialFailures;
    stats.bisects = counters.bisects;
    stats.retries = counters.retries;
    stats.discarded = counters.recordsDiscarded;
    return await verify(dynamodb, schedule, log, new Set(), h, stats, started);
  } finally {
    await esm.stop();
    await h.dispose();
  }
}
