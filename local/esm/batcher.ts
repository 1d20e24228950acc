import { MAX_PAYLOAD_BYTES } from './config';
import { EVENT_ENVELOPE_BYTES, type PolledRecord } from './event-builder';

/**
 * How many records from the head of `queue` fit in one invocation: at most `batchSize`, and the serialized event
 * stays within `maxBytes`. Always at least one record when the queue is not empty (a Kinesis record is at most 1 MiB,
 * ~1.4 MB in base64, so one record always fits in 6 MB).
 */
export function fittingCount(queue: readonly PolledRecord[], batchSize: number, maxBytes = MAX_PAYLOAD_BYTES): number {
  let size = EVENT_ENVELOPE_BYTES;
  let count = 0;
  for (const record of queue) {
    if (count >= batchSize) break;
    const next = size + record.sizeBytes + (count > 0 ? 1 : 0);
    if (count > 0 && next > maxBytes) break;
    size = next;
    count++;
  }
  return count;
}

/** True when the head of the queue already makes a full batch (by count or by payload size). */
export function isFullBatch(queue: readonly PolledRecord[], batchSize: number, maxBytes = MAX_PAYLOAD_BYTES): boolean {
  if (queue.length === 0) return false;
  return queue.length >= batchSize || fittingCount(queue, batchSize, maxBytes) < queue.length;
}

/** Remove and return the next batch from the head of the queue. */
export function takeBatch(queue: PolledRecord[], batchSize: number, maxBytes = MAX_PAYLOAD_BYTES): PolledRecord[] {
  return queue.splice(0, fittingCount(queue, batchSize, maxBytes));
}
