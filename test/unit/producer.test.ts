import { describe, expect, it } from 'vitest';
import {
  createProducer,
  type Entry,
  fullJitterDelay,
  MAX_RECORD_BYTES,
  MAX_REQUEST_BYTES,
  PartitionKeyError,
  ProducerClosedError,
  ProducerDeliveryError,
  RecordTooLargeError,
  takeRequest,
  toEntry,
} from '../../local/producer/index';

/** A client that must never be called: these tests stop before any request. */
const unreachable = {
  send: async () => {
    throw new Error('no request expected');
  },
};

function entries(count: number, size: number): Entry<number>[] {
  return Array.from({ length: count }, (_, i) => ({
    event: i,
    data: new Uint8Array(size - 1),
    partitionKey: 'k',
    size,
  }));
}

describe('producer limits', () => {
  it('rejects a record whose data plus partition key exceeds 1 MiB, naming its size', () => {
    const data = new Uint8Array(MAX_RECORD_BYTES - 3);
    expect(toEntry(1, 'abc', data).size).toBe(MAX_RECORD_BYTES);
    expect(() => toEntry(1, 'abcd', data)).toThrow(RecordTooLargeError);
    expect(() => toEntry(1, 'abcd', data)).toThrow(/is 1048577 bytes .* at most 1048576 bytes/);
  });

  it('rejects partition keys that are empty, longer than 256 characters, or not strings', () => {
    expect(() => toEntry(1, '', 'x')).toThrow(PartitionKeyError);
    expect(() => toEntry(1, 'k'.repeat(257), 'x')).toThrow(PartitionKeyError);
    expect(() => toEntry(1, undefined, 'x')).toThrow(/Partition key undefined is invalid/);
    expect(toEntry(1, 'é'.repeat(256), 'x').partitionKey).toHaveLength(256);
  });

  it('takes at most 500 records per request', () => {
    const buffer = entries(1200, 10);
    expect(takeRequest(buffer)).toHaveLength(500);
    expect(takeRequest(buffer)).toHaveLength(500);
    expect(takeRequest(buffer)).toHaveLength(200);
    expect(buffer).toHaveLength(0);
  });

  it('takes at most 5 MiB per request, data and keys counted', () => {
    const buffer = entries(12, 512 * 1024);
    const first = takeRequest(buffer);
    expect(first).toHaveLength(10);
    expect(first.reduce((n, e) => n + e.size, 0)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(takeRequest(buffer)).toHaveLength(2);
  });

  it('send() rejects an oversized record before any request, and after close() refuses new sends', async () => {
    const producer = createProducer<string>({ client: unreachable, streamName: 's', partitionKey: () => 'k' });
    await expect(producer.send('x'.repeat(MAX_RECORD_BYTES))).rejects.toThrow(RecordTooLargeError);
    await producer.close();
    await expect(producer.send('small')).rejects.toThrow(ProducerClosedError);
    expect(producer.counters()).toMatchObject({ requests: 0, sent: 0 });
  });
});

describe('producer backoff', () => {
  it('draws full-jitter delays between 0 and min(max, base × 2^attempt)', () => {
    expect(fullJitterDelay(0, 100, 5000, () => 0.999)).toBe(99);
    expect(fullJitterDelay(3, 100, 5000, () => 0.5)).toBe(400);
    expect(fullJitterDelay(10, 100, 5000, () => 0.999)).toBe(4995);
    expect(fullJitterDelay(4, 100, 5000, () => 0)).toBe(0);
  });

  it("fails the records of a request that throws at once: the client's own retry strategy already resent it", async () => {
    // No engine throttles on demand: this client stands for an SDK client whose retries (3 sends) ran out.
    let requests = 0;
    const exhausted = {
      send: async () => {
        requests++;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' });
      },
    };
    const failed: string[] = [];
    const producer = createProducer<{ userId: string }>({
      client: exhausted,
      streamName: 's',
      partitionKey: (e) => e.userId,
      baseDelayMs: 1,
      onRecordFailed: (f) => failed.push(`${f.partitionKey}:${f.errorCode}`),
    });
    await producer.sendMany([{ userId: 'u1' }, { userId: 'u2' }]);
    await expect(producer.flush()).rejects.toThrow(ProducerDeliveryError);
    expect(requests).toBe(1);
    expect(failed).toEqual(['u1:ProvisionedThroughputExceededException', 'u2:ProvisionedThroughputExceededException']);
    expect(producer.counters()).toMatchObject({ sent: 0, failed: 2, retried: 0, requests: 1 });
  });
});
