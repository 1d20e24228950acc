import { FIREHOSE_KB_INCREMENT, KINESIS_ON_DEMAND_KB, KINESIS_PUT_PAYLOAD_BYTES, REQUEST_CHUNK_BYTES } from './units';

/** The services a pipeline pays for, as the meter counts them. */
export type Service =
  | 'dynamodb'
  | 'dynamodb-streams'
  | 'kinesis'
  | 'lambda'
  | 'firehose'
  | 'sqs'
  | 'sns'
  | 'eventbridge'
  | 's3';

/** Counters of one meter line (which counters exist depends on the service; see {@link CostMeter}). */
export type Counters = Record<string, number>;

/** What one part (`component`) asked of one service for one thing (`detail`: a table and item kind, a queue...). */
export interface MeterLine {
  readonly component: string;
  readonly service: Service;
  readonly detail: string;
  readonly counters: Readonly<Counters>;
}

const lineKey = (component: string, service: Service, detail: string) => `${component}\t${service}\t${detail}`;

const chunks = (bytes: number) => Math.max(1, Math.ceil(bytes / REQUEST_CHUNK_BYTES));

/**
 * Counts every billable request of a pipeline run, by component (processor, emitter, closer, producer, query...),
 * service and detail. Fed by the metered clients (./metered-dynamodb.ts, ./metered-clients.ts) and, where a local
 * stand-in replaces a service (the local warehouse for Firehose, files for SQS), by the stand-in's decorator
 * (./metered-sinks.ts). Prices are applied by ./bill.ts; the meter only counts.
 *
 * Counters per service:
 * - dynamodb: `requests`, `writeUnits`, `readUnits` (as AWS bills them), `conditionalFailures` (their units are in
 *   `writeUnits`), `missingReads` (keys read that did not exist: charged, but reported as 0 by DynamoDB Local),
 *   `items` (items written or read);
 * - dynamodb-streams: `getRecords` (requests; free when Lambda's trigger makes them), `records`;
 * - kinesis: `records`, `bytes`, `putPayloadUnits` (25 KB each), `ingestKb` (1 KB rounding: on-demand ingest),
 *   `retrievalKb` (on-demand retrieval by a standard consumer), `requests`;
 * - lambda: `invocations`, `durationMs` (as billed: each invocation rounded up to 1 ms), `gbSeconds`;
 * - firehose: `records`, `bytes`, `billedKb` (5 KB rounding per record), `requests`;
 * - sqs / sns: `requests` (billed: 64 KB chunks of each call's payload), `calls`, `messages`;
 * - eventbridge: `events` (64 KB chunks), `calls`;
 * - s3: `put`, `get`, `list`, `delete`.
 */
export class CostMeter {
  readonly #lines = new Map<string, { component: string; service: Service; detail: string; counters: Counters }>();

  /** Add to the counters of one line. */
  add(component: string, service: Service, detail: string, counts: Readonly<Counters>): void {
    const key = lineKey(component, service, detail);
    let line = this.#lines.get(key);
    if (!line) {
      line = { component, service, detail, counters: {} };
      this.#lines.set(key, line);
    }
    for (const [name, value] of Object.entries(counts)) {
      if (value === 0) continue;
      line.counters[name] = (line.counters[name] ?? 0) + value;
    }
  }

  /** A copy of every line so far. */
  lines(): MeterLine[] {
    return [...this.#lines.values()].map((l) => ({ ...l, counters: { ...l.counters } }));
  }

  /** Forget everything counted so far (e.g. at the end of a warm-up). */
  reset(): void {
    this.#lines.clear();
  }

  /** A Lambda invocation of `component` at `memoryMb` that ran `durationMs` (billed rounded up to 1 ms). */
  invocation(component: string, memoryMb: number, durationMs: number): void {
    const billedMs = Math.max(1, Math.ceil(durationMs));
    this.add(component, 'lambda', `${memoryMb} MB`, {
      invocations: 1,
      durationMs: billedMs,
      gbSeconds: ((memoryMb / 1024) * billedMs) / 1000,
    });
  }

  /** Records put into a Kinesis stream (each one's data plus partition key, in bytes). */
  kinesisPut(component: string, stream: string, recordBytes: readonly number[], requests = 1): void {
    let payloadUnits = 0;
    let kb = 0;
    let bytes = 0;
    for (const size of recordBytes) {
      payloadUnits += Math.max(1, Math.ceil(size / KINESIS_PUT_PAYLOAD_BYTES));
      kb += Math.max(1, Math.ceil(size / KINESIS_ON_DEMAND_KB));
      bytes += size;
    }
    this.add(component, 'kinesis', stream, {
      records: recordBytes.length,
      bytes,
      putPayloadUnits: payloadUnits,
      ingestKb: kb,
      requests,
    });
  }

  /** Records a standard consumer read from a Kinesis stream (on-demand retrieval charges). */
  kinesisRead(component: string, stream: string, recordBytes: readonly number[]): void {
    let kb = 0;
    for (const size of recordBytes) kb += Math.max(1, Math.ceil(size / KINESIS_ON_DEMAND_KB));
    this.add(component, 'kinesis', stream, { retrievalKb: kb });
  }

  /** Records delivered to a Firehose Direct PUT stream (each record's bytes), in `requests` calls. */
  firehosePut(component: string, stream: string, recordBytes: readonly number[], requests = 1): void {
    let billedKb = 0;
    let bytes = 0;
    for (const size of recordBytes) {
      billedKb += FIREHOSE_KB_INCREMENT * Math.max(1, Math.ceil(size / (FIREHOSE_KB_INCREMENT * 1024)));
      bytes += size;
    }
    this.add(component, 'firehose', stream, { records: recordBytes.length, bytes, billedKb, requests });
  }

  /** One SQS SendMessage(Batch) call carrying messages of these payload sizes (body plus attributes). */
  sqsCall(component: string, queue: string, messageBytes: readonly number[]): void {
    const total = messageBytes.reduce((a, b) => a + b, 0);
    this.add(component, 'sqs', queue, { calls: 1, messages: messageBytes.length, requests: chunks(total) });
  }

  /** One SNS Publish(Batch) call carrying messages of these payload sizes. */
  snsCall(component: string, topic: string, messageBytes: readonly number[]): void {
    const total = messageBytes.reduce((a, b) => a + b, 0);
    this.add(component, 'sns', topic, { calls: 1, messages: messageBytes.length, requests: chunks(total) });
  }

  /** One EventBridge PutEvents call with entries of these sizes. */
  eventBridgeCall(component: string, bus: string, entryBytes: readonly number[]): void {
    const events = entryBytes.reduce((n, size) => n + chunks(size), 0);
    this.add(component, 'eventbridge', bus, { calls: 1, events });
  }

  /** S3 requests. */
  s3(component: string, bucket: string, kind: 'put' | 'get' | 'list' | 'delete', count = 1): void {
    this.add(component, 's3', bucket, { [kind]: count });
  }
}
