import { setTimeout as sleep } from 'node:timers/promises';
import { PutRecordsCommand, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { fullJitterDelay, isRetryableError } from './backoff';
import { defaultSerialize, type Entry, takeRequest, toEntry } from './entries';
import { ProducerClosedError, ProducerDeliveryError } from './errors';
import { MAX_RECORDS_PER_REQUEST, MAX_REQUEST_BYTES } from './limits';

/** The part of a Kinesis client the producer uses: an SDK v3 `KinesisClient` fits. */
export interface PutRecordsClient {
  send(command: any): Promise<any>;
}

/** A record given up on after every retry. */
export interface FailedRecord<E> {
  event: E;
  partitionKey: string;
  errorCode: string;
  errorMessage: string;
}

/** Options of {@link createProducer}. */
export interface ProducerOptions<E> {
  /** Kinesis client (SDK v3 `KinesisClient`; for kinesis-mock give it `requestHandler: new NodeHttpHandler()`). */
  client: PutRecordsClient;
  /** Stream to write to. */
  streamName: string;
  /** Partition key of an event (1 to 256 characters); records of one key stay on one shard, in order. */
  partitionKey: (event: E) => string;
  /**
   * Bytes of an event.
   * @default strings and Uint8Arrays as they are, anything else `JSON.stringify`
   */
  serialize?: (event: E) => Uint8Array | string;
  /**
   * PutRecords requests in flight at once. With more than one, a retried record can land after later records of
   * the same key; use 1 for strict per-key order.
   * @default 4
   */
  maxInFlight?: number;
  /**
   * Retries of a failed entry (per-entry `ErrorCode`) or of a whole request that failed with a retryable error,
   * before the record counts as failed.
   * @default 8
   */
  maxRetries?: number;
  /** First backoff cap, doubled on each retry (full jitter: a random delay from 0 to the cap). @default 100 */
  baseDelayMs?: number;
  /** Largest backoff cap. @default 5000 */
  maxDelayMs?: number;
  /** How long a partly filled request may wait for more records before it is sent. @default 50 */
  lingerMs?: number;
  /** Records buffered before `send` waits (backpressure). @default 10000 */
  maxBufferedRecords?: number;
  /** Random source for jitter, in [0, 1). @default Math.random */
  random?: () => number;
  /** Called for each record given up on (it is also counted, and `flush()` rejects). */
  onRecordFailed?: (failure: FailedRecord<E>) => void;
}

/** What the producer has done so far. */
export interface ProducerCounters {
  /** Records Kinesis accepted. */
  sent: number;
  /** Record sends repeated after an entry or request failure. */
  retried: number;
  /** Records given up on. */
  failed: number;
  /** Data plus partition key bytes of accepted records. */
  bytes: number;
  /** PutRecords requests made (retries included). */
  requests: number;
  /** Records waiting in the buffer now. */
  buffered: number;
  /** Requests in flight now. */
  inFlight: number;
}

/** A batching Kinesis producer. */
export interface Producer<E> {
  /** Buffer one event; waits while the buffer is full. Rejects with RecordTooLargeError / PartitionKeyError at once. */
  send(event: E): Promise<void>;
  /** `send` each event in order. */
  sendMany(events: Iterable<E> | AsyncIterable<E>): Promise<void>;
  /** Send everything buffered and wait for it; rejects with ProducerDeliveryError if records failed since the last flush. */
  flush(): Promise<ProducerCounters>;
  /** `flush()`, then refuse further sends. */
  close(): Promise<ProducerCounters>;
  /** A snapshot of the counters. */
  counters(): ProducerCounters;
}

/**
 * Create a producer: PutRecords batching (≤ 500 records and ≤ 5 MiB per request), partition key from a function,
 * retry of only the failed entries of a partially failed request with exponential backoff and full jitter, bounded
 * requests in flight and a bounded buffer (backpressure), and counters.
 */
export function createProducer<E>(options: ProducerOptions<E>): Producer<E> {
  const maxInFlight = options.maxInFlight ?? 4;
  const maxRetries = options.maxRetries ?? 8;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 5000;
  const lingerMs = options.lingerMs ?? 50;
  const maxBuffered = options.maxBufferedRecords ?? 10_000;
  const random = options.random ?? Math.random;
  const serialize = options.serialize ?? (defaultSerialize as (event: E) => Uint8Array | string);

  const buffer: Entry<E>[] = [];
  const counts = { sent: 0, retried: 0, failed: 0, bytes: 0, requests: 0 };
  let bufferedBytes = 0;
  let inFlight = 0;
  let oldestAt = 0;
  let flushing = 0;
  let closed = false;
  let lingerTimer: NodeJS.Timeout | undefined;
  let failures: FailedRecord<E>[] = [];
  let waiters: Array<() => void> = [];

  /** The buffer already fills a request: 500 records, or more than 5 MiB (only possible below 500 records). */
  const isFull = () => buffer.length >= MAX_RECORDS_PER_REQUEST || bufferedBytes > MAX_REQUEST_BYTES;

  const wakeAll = () => {
    const current = waiters;
    waiters = [];
    for (const wake of current) wake();
  };
  const waitForChange = () => new Promise<void>((resolve) => waiters.push(resolve));

  const fail = (entries: Entry<E>[], errorCode: string, errorMessage: string) => {
    for (const entry of entries) {
      const failure = { event: entry.event, partitionKey: entry.partitionKey, errorCode, errorMessage };
      counts.failed++;
      failures.push(failure);
      options.onRecordFailed?.(failure);
    }
  };

  const put = async (first: Entry<E>[]) => {
    let entries = first;
    for (let attempt = 0; ; attempt++) {
      let output: PutRecordsCommandOutput;
      counts.requests++;
      try {
        output = await options.client.send(
          new PutRecordsCommand({
            StreamName: options.streamName,
            Records: entries.map((e) => ({ Data: e.data, PartitionKey: e.partitionKey })),
          }),
        );
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        const message = error instanceof Error ? error.message : String(error);
        if (!isRetryableError(error) || attempt >= maxRetries) return fail(entries, name, message);
        counts.retried += entries.length;
        await sleep(fullJitterDelay(attempt, baseDelayMs, maxDelayMs, random));
        continue;
      }
      const failed: Entry<E>[] = [];
      let firstCode = '';
      let firstMessage = '';
      entries.forEach((entry, i) => {
        const result = output.Records?.[i];
        if (result?.ErrorCode) {
          if (failed.length === 0) [firstCode, firstMessage] = [result.ErrorCode, result.ErrorMessage ?? ''];
          failed.push(entry);
        } else {
          counts.sent++;
          counts.bytes += entry.size;
        }
      });
      if (failed.length === 0) return;
      if (attempt >= maxRetries) return fail(failed, firstCode, firstMessage);
      counts.retried += failed.length;
      entries = failed;
      await sleep(fullJitterDelay(attempt, baseDelayMs, maxDelayMs, random));
    }
  };

  const pump = () => {
    while (inFlight < maxInFlight && buffer.length > 0) {
      const waited = Date.now() - oldestAt;
      if (flushing === 0 && !isFull() && waited < lingerMs) {
        lingerTimer ??= setTimeout(() => {
          lingerTimer = undefined;
          pump();
        }, lingerMs - waited);
        return;
      }
      const request = takeRequest(buffer);
      for (const entry of request) bufferedBytes -= entry.size;
      oldestAt = Date.now();
      inFlight++;
      void put(request).finally(() => {
        inFlight--;
        pump();
        wakeAll();
      });
      wakeAll();
    }
  };

  const snapshot = (): ProducerCounters => ({ ...counts, buffered: buffer.length, inFlight });

  const send = async (event: E) => {
    if (closed) throw new ProducerClosedError(options.streamName);
    const entry = toEntry(event, options.partitionKey(event), serialize(event));
    while (buffer.length >= maxBuffered) {
      pump();
      await waitForChange();
    }
    if (buffer.length === 0) oldestAt = Date.now();
    buffer.push(entry);
    bufferedBytes += entry.size;
    if (isFull() || lingerTimer === undefined) pump();
  };

  const flush = async () => {
    flushing++;
    try {
      while (buffer.length > 0 || inFlight > 0) {
        pump();
        await waitForChange();
      }
    } finally {
      flushing--;
    }
    const failed = failures;
    failures = [];
    const first = failed[0];
    if (first !== undefined) throw new ProducerDeliveryError(failed.length, first.errorCode, first.errorMessage);
    return snapshot();
  };

  return {
    send,
    async sendMany(events) {
      for await (const event of events) await send(event);
    },
    flush,
    async close() {
      try {
        return await flush();
      } finally {
        closed = true;
        if (lingerTimer !== undefined) clearTimeout(lingerTimer);
      }
    },
    counters: snapshot,
  };
}
