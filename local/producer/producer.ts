import { setTimeout as sleep } from 'node:timers/promises';
import { PutRecordsCommand, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { fullJitterDelay } from '../../core/backoff';
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
   * Retries of a failed entry (per-entry `ErrorCode`, which the SDK does not retry) before the record counts as
   * failed. A request that throws was already retried by the client (the SDK's retry strategy: throttles, 5xx,
   * timeouts); its records fail at once rather than multiply those sends.
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

/** The producer's settings with their defaults. */
function settingsOf<E>(options: ProducerOptions<E>) {
  return {
    maxInFlight: options.maxInFlight ?? 4,
    maxRetries: options.maxRetries ?? 8,
    baseDelayMs: options.baseDelayMs ?? 100,
    maxDelayMs: options.maxDelayMs ?? 5000,
    lingerMs: options.lingerMs ?? 50,
    maxBuffered: options.maxBufferedRecords ?? 10_000,
    random: options.random ?? Math.random,
    serialize: options.serialize ?? (defaultSerialize as (event: E) => Uint8Array | string),
  };
}

/** The entries a PutRecords answer reports failed, with the first error; the others are counted as sent. */
interface PutAnswer<E> {
  failed: Entry<E>[];
  errorCode: string;
  errorMessage: string;
}

/** A producer of PutRecords requests (see {@link createProducer}). */
class BufferedProducer<E> implements Producer<E> {
  readonly #options: ProducerOptions<E>;
  readonly #settings: ReturnType<typeof settingsOf<E>>;
  readonly #buffer: Entry<E>[] = [];
  readonly #counts = { sent: 0, retried: 0, failed: 0, bytes: 0, requests: 0 };
  #bufferedBytes = 0;
  #inFlight = 0;
  #oldestAt = 0;
  #flushing = 0;
  #closed = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #failures: FailedRecord<E>[] = [];
  #waiters: Array<() => void> = [];

  constructor(options: ProducerOptions<E>) {
    this.#options = options;
    this.#settings = settingsOf(options);
  }

  send = async (event: E): Promise<void> => {
    if (this.#closed) throw new ProducerClosedError(this.#options.streamName);
    const entry = toEntry(event, this.#options.partitionKey(event), this.#settings.serialize(event));
    while (this.#buffer.length >= this.#settings.maxBuffered) {
      this.#pump();
      await this.#waitForChange();
    }
    if (this.#buffer.length === 0) this.#oldestAt = Date.now();
    this.#buffer.push(entry);
    this.#bufferedBytes += entry.size;
    if (this.#isFull() || this.#lingerTimer === undefined) this.#pump();
  };

  sendMany = async (events: Iterable<E> | AsyncIterable<E>): Promise<void> => {
    for await (const event of events) await this.send(event);
  };

  flush = async (): Promise<ProducerCounters> => {
    this.#flushing++;
    try {
      while (this.#buffer.length > 0 || this.#inFlight > 0) {
        this.#pump();
        await this.#waitForChange();
      }
    } finally {
      this.#flushing--;
    }
    const failed = this.#failures;
    this.#failures = [];
    const first = failed[0];
    if (first !== undefined) throw new ProducerDeliveryError(failed.length, first.errorCode, first.errorMessage);
    return this.counters();
  };

  close = async (): Promise<ProducerCounters> => {
    try {
      return await this.flush();
    } finally {
      this.#closed = true;
      if (this.#lingerTimer !== undefined) clearTimeout(this.#lingerTimer);
    }
  };

  counters = (): ProducerCounters => ({ ...this.#counts, buffered: this.#buffer.length, inFlight: this.#inFlight });

  /** The buffer already fills a request: 500 records, or more than 5 MiB (only possible below 500 records). */
  #isFull(): boolean {
    return this.#buffer.length >= MAX_RECORDS_PER_REQUEST || this.#bufferedBytes > MAX_REQUEST_BYTES;
  }

  #wakeAll(): void {
    const current = this.#waiters;
    this.#waiters = [];
    for (const wake of current) wake();
  }

  #waitForChange(): Promise<void> {
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Send requests while there is room in flight and the buffer is full, lingered long enough, or flushing. */
  #pump(): void {
    const { maxInFlight, lingerMs } = this.#settings;
    while (this.#inFlight < maxInFlight && this.#buffer.length > 0) {
      const waited = Date.now() - this.#oldestAt;
      if (this.#flushing === 0 && !this.#isFull() && waited < lingerMs) {
        this.#lingerTimer ??= setTimeout(() => {
          this.#lingerTimer = undefined;
          this.#pump();
        }, lingerMs - waited);
        return;
      }
      const request = takeRequest(this.#buffer);
      for (const entry of request) this.#bufferedBytes -= entry.size;
      this.#oldestAt = Date.now();
      this.#inFlight++;
      void this.#put(request).finally(() => {
        this.#inFlight--;
        this.#pump();
        this.#wakeAll();
      });
      this.#wakeAll();
    }
  }

  /**
   * One request, then retries of its failed entries with backoff. A request that throws fails its entries at once:
   * the client's own retry strategy already sent it again (sending more here would multiply its attempts).
   */
  async #put(first: Entry<E>[]): Promise<void> {
    const { maxRetries, baseDelayMs, maxDelayMs, random } = this.#settings;
    let entries = first;
    for (let attempt = 0; ; attempt++) {
      let answer: PutAnswer<E>;
      try {
        answer = await this.#putOnce(entries);
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        const message = error instanceof Error ? error.message : String(error);
        return this.#fail(entries, name, message);
      }
      if (answer.failed.length === 0) return;
      if (attempt >= maxRetries) return this.#fail(answer.failed, answer.errorCode, answer.errorMessage);
      this.#counts.retried += answer.failed.length;
      entries = answer.failed;
      await sleep(fullJitterDelay(attempt, baseDelayMs, maxDelayMs, random));
    }
  }

  /** One PutRecords request: counts what Kinesis accepted, returns what it refused. */
  async #putOnce(entries: Entry<E>[]): Promise<PutAnswer<E>> {
    this.#counts.requests++;
    const output: PutRecordsCommandOutput = await this.#options.client.send(
      new PutRecordsCommand({
        StreamName: this.#options.streamName,
        Records: entries.map((e) => ({ Data: e.data, PartitionKey: e.partitionKey })),
      }),
    );
    const answer: PutAnswer<E> = { failed: [], errorCode: '', errorMessage: '' };
    entries.forEach((entry, i) => {
      const result = output.Records?.[i];
      if (result?.ErrorCode) {
        if (answer.failed.length === 0)
          [answer.errorCode, answer.errorMessage] = [result.ErrorCode, result.ErrorMessage ?? ''];
        answer.failed.push(entry);
      } else {
        this.#counts.sent++;
        this.#counts.bytes += entry.size;
      }
    });
    return answer;
  }

  #fail(entries: Entry<E>[], errorCode: string, errorMessage: string): void {
    for (const entry of entries) {
      const failure = { event: entry.event, partitionKey: entry.partitionKey, errorCode, errorMessage };
      this.#counts.failed++;
      this.#failures.push(failure);
      this.#options.onRecordFailed?.(failure);
    }
  }
}

/**
 * Create a producer: PutRecords batching (≤ 500 records and ≤ 5 MiB per request), partition key from a function,
 * retry of only the failed entries of a partially failed request with exponential backoff and full jitter, bounded
 * requests in flight and a bounded buffer (backpressure), and counters.
 */
export function createProducer<E>(options: ProducerOptions<E>): Producer<E> {
  return new BufferedProducer(options);
}
