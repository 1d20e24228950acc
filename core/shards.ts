import { createHash } from 'node:crypto';

/** An inclusive hash key range of a Kinesis shard (decimal strings, as ListShards returns them). */
export interface HashKeyRange {
  readonly startingHashKey: string;
  readonly endingHashKey: string;
}

/** The 128-bit Kinesis hash of a partition key (MD5, big-endian), as Kinesis routes records. */
export function partitionHash(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

const SPACE = 1n << 128n;

/** Hash ranges of `n` equal shards, as CreateStream makes them. */
export function evenHashRanges(n: number): HashKeyRange[] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`shard count must be a positive integer, got ${n}`);
  const step = SPACE / BigInt(n);
  return Array.from({ length: n }, (_, i) => ({
    startingHashKey: String(step * BigInt(i)),
    endingHashKey: String(i === n - 1 ? SPACE - 1n : step * BigInt(i + 1) - 1n),
  }));
}

/** A function from partition key to shard index for the given ranges. */
export function shardRouter(ranges: readonly HashKeyRange[]): (partitionKey: string) => number {
  const bounds = ranges.map((r) => [BigInt(r.startingHashKey), BigInt(r.endingHashKey)] as const);
  return (partitionKey) => {
    const h = partitionHash(partitionKey);
    const i = bounds.findIndex(([lo, hi]) => h >= lo && h <= hi);
    return Math.max(i, 0);
  };
}
