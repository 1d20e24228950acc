import { createHash } from 'node:crypto';

/**
 * The lane (0 to `lanes - 1`) a partition key goes to with ParallelizationFactor = `lanes`: the MD5 of the key (the
 * hash Kinesis uses to pick a shard) modulo the lane count. The same key always maps to the same lane, so records of
 * one key stay in order with one batch in flight.
 */
export function laneFor(partitionKey: string, lanes: number): number {
  if (lanes <= 1) return 0;
  const digest = createHash('md5').update(partitionKey, 'utf8').digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(lanes));
}
