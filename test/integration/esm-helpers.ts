import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamEvent } from 'aws-lambda';

/** A unique stream name per call (tests share one kinesis-mock). */
export function streamName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
}

/** Wait until the stream is ACTIVE (after create or reshard). */
export async function waitActive(kinesis: KinesisClient, name: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

/** Create a stream with `shards` shards and wait until it is ACTIVE; returns its name. */
export async function createStream(kinesis: KinesisClient, prefix: string, shards = 1): Promise<string> {
  const name = streamName(prefix);
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitActive(kinesis, name);
  return name;
}

/** Put records (in request order, ≤ 500 a request); returns their sequence numbers and shards in the same order. */
export async function putRecords(
  kinesis: KinesisClient,
  name: string,
  records: { key: string; data: string | Uint8Array }[],
): Promise<{ sequenceNumber: string; shardId: string }[]> {
  const out: { sequenceNumber: string; shardId: string }[] = [];
  for (let i = 0; i < records.length; i += 500) {
    const chunk = records.slice(i, i + 500);
    const result = await kinesis.send(
      new PutRecordsCommand({
        StreamName: name,
        Records: chunk.map((r) => ({
          PartitionKey: r.key,
          Data: typeof r.data === 'string' ? Buffer.from(r.data) : r.data,
        })),
      }),
    );
    if (result.FailedRecordCount) throw new Error(`${result.FailedRecordCount} records failed`);
    for (const r of result.Records ?? [])
      out.push({ sequenceNumber: r.SequenceNumber ?? '', shardId: r.ShardId ?? '' });
  }
  return out;
}

/** One invocation as the test handler saw it. */
export interface Call {
  event: KinesisStreamEvent;
  context: Context;
  /** Decoded data of each record. */
  data: string[];
  seqs: string[];
  keys: string[];
  /** Shard of each record (from eventID). */
  shards: string[];
  /** Invocations in flight when this one started (itself included). */
  concurrent: number;
  /** Keys in other in-flight invocations when this one started. */
  overlappingKeys: string[];
}

/** A handler that records every invocation; `behaviour` decides what it returns or throws. */
export function recordingHandler(
  behaviour?: (call: Call, index: number) => unknown,
  options: { delayMs?: number } = {},
) {
  const calls: Call[] = [];
  const inFlightKeys = new Set<Set<string>>();
  let inFlight = 0;
  let maxInFlight = 0;
  const handler = async (event: KinesisStreamEvent, context: Context) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const keys = event.Records.map((r) => r.kinesis.partitionKey);
    const mine = new Set(keys);
    const overlappingKeys = [...inFlightKeys].flatMap((set) => keys.filter((k) => set.has(k)));
    inFlightKeys.add(mine);
    const call: Call = {
      event,
      context,
      data: event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').toString()),
      seqs: event.Records.map((r) => r.kinesis.sequenceNumber),
      keys,
      shards: event.Records.map((r) => r.eventID.split(':')[0] ?? ''),
      concurrent: inFlight,
      overlappingKeys,
    };
    const index = calls.length;
    calls.push(call);
    try {
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      return await behaviour?.(call, index);
    } finally {
      inFlight--;
      inFlightKeys.delete(mine);
    }
  };
  return {
    handler,
    calls,
    get maxInFlight() {
      return maxInFlight;
    },
    /** Data of every record handed over, in invocation order. */
    allData: () => calls.flatMap((c) => c.data),
  };
}

/** `n` records r0..r{n-1} with partition keys from `keyOf`. */
export function records(n: number, keyOf: (i: number) => string = () => 'k'): { key: string; data: string }[] {
  return Array.from({ length: n }, (_, i) => ({ key: keyOf(i), data: `r${i}` }));
}
