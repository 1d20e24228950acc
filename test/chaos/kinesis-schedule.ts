// The schedule family that goes through the real parts end to end: the producer's lines go into kinesis-mock with
// PutRecords, the real EventSourceMapping (local/esm) polls the shards and invokes the processor handler with its
// retry/bisect/partial-failure rules, and the handler's clients go through the same fault layer as the in-process
// sweep. Kept small: kinesis-mock moves a few hundred records a second on this machine.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { EventSourceMapping, toPolledRecord } from '../../local/esm/index';
import { createStream, putRecords } from '../integration/esm-helpers';
import { shardRanges } from '../integration/processor-helpers';
import { emptyDeliveryStats } from './driver';
import { ChaosRunError } from './errors';
import { createHarness, type ScheduleReport, verify } from './run-schedule';
import { type Schedule, scheduleFor } from './schedule';
import { type LogRecord, partitionKeyOf, type ShardLog, scheduleLines } from './shard-log';

/** Options of {@link runKinesisSchedule}. */
export interface KinesisScheduleOptions {
  readonly shards?: number;
  readonly batchSize?: number;
  /** Give up draining after this long. @default 120000 */
  readonly drainTimeoutMs?: number;
}

/**
 * Run the schedule of `seed` (as the `faults` family: dedupe on, infinite retries) through kinesis-mock and the
 * EventSourceMapping, then check it against the oracle like every other schedule.
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
    maxRetries: -1,
    poisonCount: 0,
    shards: options.shards ?? 2,
    batchSize: options.batchSize ?? 25,
    bisectOnError: true,
  };
  const lines = scheduleLines(schedule);
  const stream = await createStream(kinesis, `chaos-${seed}`, schedule.shards);
  const put = await putRecords(
    kinesis,
    stream,
    lines.map(({ line }) => ({ key: partitionKeyOf(line), data: line })),
  );
  const { ranges } = await shardRanges(kinesis, stream);
  const source = {
    streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`,
    region: 'us-east-1',
    invokeIdentityArn: 'x',
  };
  const records: LogRecord[] = put.map((p, index) => ({
    index,
    line: lines[index]!.line,
    shardId: p.shardId,
    sequence: p.sequenceNumber,
    resent: lines[index]!.resent,
    polled: toPolledRecord(
      {
        SequenceNumber: p.sequenceNumber,
        Data: Buffer.from(lines[index]!.line),
        PartitionKey: partitionKeyOf(lines[index]!.line),
      },
      p.shardId,
      source,
    ),
  }));
  const byShard = new Map<string, LogRecord[]>();
  for (const r of records) byShard.set(r.shardId, [...(byShard.get(r.shardId) ?? []), r]);
  const log: ShardLog = { ranges, shardIds: [...byShard.keys()].sort(), records, byShard, streamArn: source.streamArn };

  const h = await createHarness(dynamodb, schedule);
  const stats = emptyDeliveryStats();
  /** Invocations per first record of a batch: faults stop after `faultyInvocationsPerBatch` (liveness). */
  const attempts = new Map<string, number>();
  const handlers = new Map<string, ReturnType<typeof h.newHandler>>();
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
    handler: async (event, context) => {
      const first = event.Records[0]!;
      const shardId = first.eventID.slice(0, first.eventID.lastIndexOf(':'));
      const n = (attempts.get(first.eventID) ?? 0) + 1;
      attempts.set(first.eventID, n);
      // One container per shard, replaced after a crash (cold cache).
      let handler = handlers.get(shardId);
      if (!handler) {
        handler = h.newHandler();
        handlers.set(shardId, handler);
      }
      handler.begin(++invocations, n <= schedule.faultyInvocationsPerBatch);
      stats.invocations++;
      let response: unknown;
      try {
        response = await handler.invoke(event, context);
      } finally {
        // A crashed container is replaced (whether the handler returned or threw): the next one starts cold.
        if (handler.crashed) {
          stats.crashes++;
          stats.restarts++;
          handlers.delete(shardId);
        }
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
