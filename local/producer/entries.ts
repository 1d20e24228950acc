import { PartitionKeyError, RecordTooLargeError } from './errors';
import { MAX_PARTITION_KEY_CHARS, MAX_RECORD_BYTES, MAX_RECORDS_PER_REQUEST, MAX_REQUEST_BYTES } from './limits';

/** A record waiting to be written: the event it came from, its bytes and key, and its size for the limits. */
export interface Entry<E> {
  event: E;
  data: Uint8Array;
  partitionKey: string;
  /** Data plus partition key, in bytes (what the 1 MiB and 5 MiB limits count). */
  size: number;
}

const encoder = new TextEncoder();

/** Default serializer: strings and bytes are sent as they are, anything else as JSON. */
export function defaultSerialize(event: unknown): Uint8Array | string {
  if (typeof event === 'string' || event instanceof Uint8Array) return event;
  return JSON.stringify(event);
}

/**
 * Build an entry, checking the Kinesis limits: a partition key of 1 to 256 characters ({@link PartitionKeyError}) and
 * data plus key of at most 1 MiB ({@link RecordTooLargeError}).
 */
export function toEntry<E>(event: E, key: unknown, payload: Uint8Array | string): Entry<E> {
  const keyChars = typeof key === 'string' ? [...key].length : 0;
  if (typeof key !== 'string' || keyChars < 1 || keyChars > MAX_PARTITION_KEY_CHARS) throw new PartitionKeyError(key);
  const data = typeof payload === 'string' ? encoder.encode(payload) : payload;
  const size = data.byteLength + Buffer.byteLength(key, 'utf8');
  if (size > MAX_RECORD_BYTES) throw new RecordTooLargeError(size, MAX_RECORD_BYTES, key);
  return { event, data, partitionKey: key, size };
}

/** Remove and return the next PutRecords request's entries: at most 500 records and 5 MiB, at least one. */
export function takeRequest<E>(buffer: Entry<E>[]): Entry<E>[] {
  let bytes = 0;
  let count = 0;
  for (const entry of buffer) {
    if (count >= MAX_RECORDS_PER_REQUEST || (count > 0 && bytes + entry.size > MAX_REQUEST_BYTES)) break;
    bytes += entry.size;
    count++;
  }
  return buffer.splice(0, count);
}
