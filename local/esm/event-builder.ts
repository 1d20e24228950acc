import { randomUUID } from 'node:crypto';
import type { _Record } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/** A record read from a shard, with its Lambda form prebuilt and its serialized size known. */
export interface PolledRecord {
  shardId: string;
  sequenceNumber: string;
  /** The sequence number as a number, for ordering (they are decimal strings of up to 129 digits). */
  seq: bigint;
  partitionKey: string;
  /** ApproximateArrivalTimestamp in ms since the epoch. */
  arrivalMs: number;
  /** The record exactly as Lambda puts it in `event.Records`. */
  lambdaRecord: KinesisStreamRecord;
  /** UTF-8 bytes of `JSON.stringify(lambdaRecord)`. */
  sizeBytes: number;
}

/** What every record of one mapping shares. */
export interface RecordSource {
  streamArn: string;
  region: string;
  invokeIdentityArn: string;
}

/** Bytes of `{"Records":[]}`: the event envelope around the records. */
export const EVENT_ENVELOPE_BYTES = Buffer.byteLength(JSON.stringify({ Records: [] }));

/** Turn a GetRecords record into the record Lambda builds: base64 data, arrival time in seconds, `shardId:seq` id. */
export function toPolledRecord(record: _Record, shardId: string, source: RecordSource): PolledRecord {
  const sequenceNumber = record.SequenceNumber ?? '0';
  const arrivalMs = record.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
  const lambdaRecord: KinesisStreamRecord = {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey ?? '',
      sequenceNumber,
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: arrivalMs / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: source.invokeIdentityArn,
    awsRegion: source.region,
    eventSourceARN: source.streamArn,
  };
  return {
    shardId,
    sequenceNumber,
    seq: BigInt(sequenceNumber),
    partitionKey: record.PartitionKey ?? '',
    arrivalMs,
    lambdaRecord,
    sizeBytes: Buffer.byteLength(JSON.stringify(lambdaRecord)),
  };
}

/** Serialized size of the event holding these records (envelope, records, and the commas between them). */
export function eventSize(records: readonly PolledRecord[]): number {
  let size = EVENT_ENVELOPE_BYTES + Math.max(0, records.length - 1);
  for (const record of records) size += record.sizeBytes;
  return size;
}

/** The invocation event: `{ Records: [...] }` in shard order. */
export function buildEvent(records: readonly PolledRecord[]): KinesisStreamEvent {
  return { Records: records.map((r) => r.lambdaRecord) };
}

/** A Lambda context for one invocation (`getRemainingTimeInMillis` counts down from the function timeout). */
export function buildContext(functionName: string, region: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const awsRequestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn(functionName, region),
    memoryLimitInMB: '1024',
    awsRequestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${awsRequestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The local function's ARN (account 000000000000, like kinesis-mock's default account). */
export function functionArn(functionName: string, region: string): string {
  return `arn:aws:lambda:${region}:000000000000:function:${functionName}`;
}
