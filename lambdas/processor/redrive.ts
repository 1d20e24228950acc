import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import type { MSKEvent } from 'aws-lambda';
import { StreamfoldError } from '../../core/errors';
import { compareSequence } from '../state/index';
import { kinesisStreamName } from './kinesis-handler';
import { mskBatches } from './msk-handler';
import { processSource, RedriveTooOldError } from './process-source';
import type { ProcessorRuntime } from './runtime';
import { emptyStats, type SourceBatch, type SourceRecord, type SourceStats } from './source-batch';

/** The part of an on-failure destination record of a Kinesis source that names the discarded range. */
export interface KinesisBatchInfo {
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly streamArn: string;
  readonly batchSize?: number;
}

/**
 * An on-failure destination record as Lambda writes it: for Kinesis the range (`KinesisBatchInfo`, the records stay in
 * the stream); for a Kafka source with an S3 destination the whole invocation (`payload`).
 */
export interface FailureRecord {
  readonly KinesisBatchInfo?: KinesisBatchInfo;
  readonly payload?: MSKEvent | { readonly records?: MSKEvent['records'] };
  readonly requestContext?: { readonly requestId?: string; readonly condition?: string };
}

/** What re-driving one failure record did. */
export interface RedriveReport {
  /** `shard:first-last` or `topic-partition:first-last`. */
  readonly range: string;
  readonly records: number;
  readonly stats: SourceStats;
  /** Records that may have been applied before the discard and cannot be proven either way (not counted again). */
  readonly undecidable: readonly string[];
  /** Set when part of the range could not be processed (re-run the command: a re-drive is idempotent). */
  readonly error?: string;
}

/** A re-drive could not read the range it names. */
export class RedriveRangeError extends StreamfoldError {
  override readonly name = 'RedriveRangeError';
  readonly code = 'REDRIVE_RANGE';
  constructor(range: string, why: string, options?: { cause?: unknown }) {
    super(`cannot re-drive ${range}: ${why}`, options);
  }
}

const MAX_PASSES = 5;

/**
 * Re-drive one failure record (docs/architecture.md §2.1: a range discarded after its retries): read the discarded records again
 * (from the stream for Kinesis, from the record itself for a Kafka S3 destination) and process them with the
 * processor's re-drive mode — the checkpoint skip is bypassed, fencing keeps what was applied exact. Idempotent: a
 * second run of the same record changes nothing. Infrastructure failures are retried (a few passes), then reported.
 */
export async function redriveFailure(
  runtime: ProcessorRuntime,
  failure: FailureRecord,
  clients: { readonly kinesis?: Pick<KinesisClient, 'send'> },
): Promise<RedriveReport[]> {
  if (failure.KinesisBatchInfo) {
    const info = failure.KinesisBatchInfo;
    if (!clients.kinesis) throw new RedriveRangeError(rangeName(info), 'no Kinesis client');
    const records = await readKinesisRange(clients.kinesis, info);
    const streamName = kinesisStreamName(info.streamArn);
    const batch: SourceBatch = {
      sourceId: info.shardId,
      identity: `${streamName}/${info.shardId}`,
      arrivalOrdered: true,
      records,
    };
    return [await redriveBatch(runtime, batch, `${info.startSequenceNumber}-${info.endSequenceNumber}`)];
  }
  const payload = failure.payload;
  if (payload?.records) {
    const event = { eventSource: 'aws:kafka', eventSourceArn: '', ...payload } as MSKEvent;
    const reports: RedriveReport[] = [];
    for (const batch of mskBatches(event)) {
      const first = batch.records[0]?.sequence ?? '0';
      const last = batch.records[batch.records.length - 1]?.sequence ?? first;
      reports.push(await redriveBatch(runtime, batch, `${first}-${last}`));
    }
    return reports;
  }
  throw new RedriveRangeError(
    failure.requestContext?.requestId ?? 'a failure record',
    'it names no Kinesis range (KinesisBatchInfo) and carries no Kafka payload (use an S3 on-failure destination for MSK)',
  );
}

async function redriveBatch(runtime: ProcessorRuntime, batch: SourceBatch, range: string): Promise<RedriveReport> {
  const name = `${batch.sourceId}:${range}`;
  const total = emptyStats(batch.records.length);
  const undecidable = new Set<string>();
  let error: string | undefined;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const outcome = await processSource(runtime.context, batch, {
      redrive: { range, onUndecidable: (r) => undecidable.add(`${batch.sourceId}:${r.sequence}`) },
    });
    for (const k of Object.keys(total) as (keyof SourceStats)[]) {
      if (k !== 'received' && k !== 'maxEventTime') total[k] += outcome.stats[k];
    }
    if (!outcome.failedAt) {
      error = undefined;
      break;
    }
    error = `${outcome.error?.name ?? 'Error'}: ${outcome.error?.message ?? 'unknown'}`;
    if (outcome.error instanceof RedriveTooOldError) break;
  }
  total.undecidable = undecidable.size;
  runtime.context.store.takeUsage();
  return { range: name, records: batch.records.length, stats: total, undecidable: [...undecidable].sort(), error };
}

const rangeName = (info: KinesisBatchInfo) => `${info.shardId}:${info.startSequenceNumber}-${info.endSequenceNumber}`;

/** The records of a shard from `startSequenceNumber` to `endSequenceNumber` (GetShardIterator, then GetRecords). */
export async function readKinesisRange(
  kinesis: Pick<KinesisClient, 'send'>,
  info: KinesisBatchInfo,
): Promise<SourceRecord[]> {
  const streamName = kinesisStreamName(info.streamArn);
  let iterator: string | undefined;
  try {
    const out = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: info.shardId,
        ShardIteratorType: 'AT_SEQUENCE_NUMBER',
        StartingSequenceNumber: info.startSequenceNumber,
      }),
    );
    iterator = out.ShardIterator;
  } catch (error) {
    throw new RedriveRangeError(
      rangeName(info),
      `the stream no longer holds it (retention passed?): ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const records: SourceRecord[] = [];
  for (let calls = 0; iterator && calls < 10_000; calls++) {
    const out: GetRecordsCommandOutput = await kinesis.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }),
    );
    for (const r of out.Records ?? []) {
      if (compareSequence(r.SequenceNumber!, info.endSequenceNumber) > 0) return records;
      records.push({
        sequence: r.SequenceNumber!,
        data: r.Data ? Buffer.from(r.Data).toString('base64') : '',
        arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? 0,
        ...(r.PartitionKey !== undefined ? { partitionKey: r.PartitionKey } : {}),
      });
    }
    if ((out.Records ?? []).length === 0 && (out.MillisBehindLatest ?? 0) === 0) break;
    iterator = out.NextShardIterator;
  }
  const last = records[records.length - 1];
  if (!last || compareSequence(last.sequence, info.endSequenceNumber) < 0) {
    throw new RedriveRangeError(
      rangeName(info),
      `the stream returned the range only up to ${last?.sequence ?? 'none'}`,
    );
  }
  return records;
}
