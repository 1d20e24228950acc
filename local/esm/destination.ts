import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PolledRecord } from './event-builder';

/** Why records were discarded: retries used up, or records older than MaximumRecordAgeInSeconds. */
export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/**
 * The metadata record Lambda sends to an on-failure destination for a Kinesis source
 * (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html). It points at the discarded
 * records (shard and sequence range) but does not contain them.
 */
export interface KinesisFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: FailureCondition;
    approximateInvokeCount: number;
  };
  responseContext: {
    statusCode: number;
    executedVersion: string;
    functionError?: string;
  };
  version: '1.0';
  /** ISO-8601 time the record was sent. */
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    /** ISO-8601 with milliseconds. */
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

/** Where failure records go (`DestinationConfig.OnFailure`): an SQS queue, SNS topic or S3 bucket on AWS. */
export interface FailureDestination<T = KinesisFailureRecord> {
  send(record: T): Promise<void>;
}

/** Inputs for {@link buildFailureRecord}. */
export interface FailureRecordInput {
  records: readonly Pick<PolledRecord, 'shardId' | 'sequenceNumber' | 'arrivalMs'>[];
  condition: FailureCondition;
  invokeCount: number;
  functionArn: string;
  streamArn: string;
  /** True when the last invocation threw (Lambda then reports `functionError: 'Unhandled'`). */
  functionError: boolean;
  nowMs: number;
}

/** Build the metadata record for a discarded run of records (non-empty, in shard order). */
export function buildFailureRecord(input: FailureRecordInput): KinesisFailureRecord {
  const first = input.records[0];
  const last = input.records[input.records.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('buildFailureRecord needs at least one record');
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.invokeCount,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      ...(input.functionError ? { functionError: 'Unhandled' } : {}),
    },
    version: '1.0',
    timestamp: new Date(input.nowMs).toISOString(),
    KinesisBatchInfo: {
      shardId: first.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
      approximateArrivalOfLastRecord: new Date(last.arrivalMs).toISOString(),
      batchSize: input.records.length,
      streamArn: input.streamArn,
    },
  };
}

/** An in-memory destination (a local "queue"): read `records` after the run. */
export interface MemoryDestination extends FailureDestination {
  readonly records: KinesisFailureRecord[];
}

/** A destination that keeps failure records in memory. */
export function memoryDestination(): MemoryDestination {
  const records: KinesisFailureRecord[] = [];
  return {
    records,
    send: async (record) => {
      records.push(record);
    },
  };
}

/** A destination that appends each failure record as one JSON line to `path` (parent folders are created). */
export function jsonlFileDestination<T = KinesisFailureRecord>(path: string): FailureDestination<T> {
  let ready: Promise<unknown> | undefined;
  return {
    send: async (record) => {
      ready ??= mkdir(dirname(path), { recursive: true });
      await ready;
      await appendFile(path, `${JSON.stringify(record)}\n`, 'utf8');
    },
  };
}
