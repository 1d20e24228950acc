import { evenHashRanges, type HashKeyRange, shardRouter } from '../../core';
import { type PolledRecord, toPolledRecord } from '../../local/esm/index';
import { generate, mulberry32 } from '../../local/generator/index';
import type { Schedule } from './schedule';

/** One record of the in-memory stream: the line sent, where it went, and its place in the global send order. */
export interface LogRecord {
  /** Position in send order over all shards (the oracle replays records in this order). */
  readonly index: number;
  readonly line: string;
  readonly shardId: string;
  readonly sequence: string;
  /** True for a producer resend (the same line sent again as a new record). */
  readonly resent: boolean;
  readonly polled: PolledRecord;
}

/** An in-memory Kinesis stream: shards with hash key ranges and records with Kinesis-sized sequence numbers. */
export interface ShardLog {
  readonly ranges: HashKeyRange[];
  readonly shardIds: string[];
  /** Every record in send order. */
  readonly records: LogRecord[];
  /** Records of each shard, in sequence order. */
  readonly byShard: Map<string, LogRecord[]>;
  readonly streamArn: string;
}

const SOURCE = {
  streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/chaos',
  region: 'us-east-1',
  invokeIdentityArn: 'arn:aws:iam::000000000000:role/chaos',
};

/** The partition key a producer uses for a line: the user id, or a fixed key for lines that are not JSON objects. */
export function partitionKeyOf(line: string): string {
  try {
    const value = JSON.parse(line) as { userId?: unknown };
    return typeof value?.userId === 'string' && value.userId !== '' ? value.userId : 'unparsable';
  } catch {
    return 'unparsable';
  }
}

/** The generated lines of a schedule in send order, with the producer's resends mixed in a few records later. */
export function scheduleLines(schedule: Schedule): { line: string; resent: boolean }[] {
  const rng = mulberry32(schedule.seed ^ 0x2545f491);
  const out: { line: string; resent: boolean }[] = [];
  const later: { at: number; line: string }[] = [];
  let i = 0;
  for (const item of generate(schedule.generator)) {
    out.push({ line: item.line, resent: false });
    if (rng.next() < schedule.producerResend) later.push({ at: i + 1 + rng.int(8), line: item.line });
    for (const r of later.filter((r) => r.at === i)) out.push({ line: r.line, resent: true });
    i++;
  }
  for (const r of later.filter((r) => r.at >= i)) out.push({ line: r.line, resent: true });
  return out;
}

/**
 * Put the lines into an in-memory stream of `shards` even shards, routed by the Kinesis hash of the partition key
 * (the same routing `replay()` uses). Sequence numbers are 56-digit decimals like Kinesis's, increasing per shard.
 */
export function buildShardLog(lines: readonly { line: string; resent: boolean }[], shards: number): ShardLog {
  const ranges = evenHashRanges(shards);
  const route = shardRouter(ranges);
  const shardIds = ranges.map((_, i) => `shardId-${String(i).padStart(12, '0')}`);
  const byShard = new Map<string, LogRecord[]>(shardIds.map((id) => [id, []]));
  const base = 49_650_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;
  const arrival = Date.now();
  const records = lines.map(({ line, resent }, index): LogRecord => {
    const partitionKey = partitionKeyOf(line);
    const shardId = shardIds[route(partitionKey)]!;
    const list = byShard.get(shardId)!;
    // Gaps between sequence numbers, as Kinesis leaves them.
    const sequence = String(base + BigInt(list.length) * 1_000_003n + BigInt(index % 7));
    const polled = toPolledRecord(
      {
        SequenceNumber: sequence,
        Data: Buffer.from(line),
        PartitionKey: partitionKey,
        ApproximateArrivalTimestamp: new Date(arrival + index),
      },
      shardId,
      SOURCE,
    );
    const record = { index, line, shardId, sequence, resent, polled };
    list.push(record);
    return record;
  });
  return { ranges, shardIds, records, byShard, streamArn: SOURCE.streamArn };
}
