import { setTimeout as sleep } from 'node:timers/promises';
import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { EMITTER_MAPPING_DEFAULTS } from '../../core/function-defaults';
import { LOCAL_REGION } from '../aws-clients';
import {
  type Batch,
  type FailureCondition,
  type InvocationOutcome,
  interpretResponse,
  nextStep,
  type RetrySettings,
  splitExpired,
} from '../esm/index';
import { buildStreamFailureRecord, type DynamoDbStreamFailureRecord } from './stream-failure';

/** A DynamoDB stream record as the poller tracks it: where it is, when it arrived, and its Lambda form. */
export interface StreamRecord {
  shardId: string;
  sequenceNumber: string;
  arrivalMs: number;
  lambdaRecord: DynamoDBRecord;
}

/** The emitter mapping's settings (Lambda's names), defaults from `EMITTER_MAPPING_DEFAULTS`. */
export interface StreamMappingSettings extends RetrySettings {
  batchSize: number;
  /** -1: never too old. */
  maximumRecordAgeInSeconds: number;
}

/** What the deployed emitter mapping does (lib/emission.ts), in the local poller's names. */
export const EMITTER_MAPPING: StreamMappingSettings = {
  batchSize: EMITTER_MAPPING_DEFAULTS.batchSize,
  maximumRetryAttempts: EMITTER_MAPPING_DEFAULTS.retryAttempts,
  maximumRecordAgeInSeconds: EMITTER_MAPPING_DEFAULTS.maxRecordAgeHours * 3600,
  bisectBatchOnFunctionError: EMITTER_MAPPING_DEFAULTS.bisectBatchOnError,
  reportBatchItemFailures: EMITTER_MAPPING_DEFAULTS.reportBatchItemFailures,
};

/** What the poller has done so far. */
export interface StreamPollerCounters {
  /** Invocations of the function, and those that did not succeed (function error, partial or invalid response). */
  invocations: number;
  failures: number;
  /** Batches retried (each consumed a retry), and batches split in two. */
  retries: number;
  bisects: number;
  /** Iterators renewed (trimmed or expired). */
  iteratorResets: number;
  /** Records given up on (retries exhausted or too old), and the failure records sent for them. */
  discarded: number;
  failureRecords: number;
}

/** Fresh {@link StreamPollerCounters}. */
export function emptyPollerCounters(): StreamPollerCounters {
  return { invocations: 0, failures: 0, retries: 0, bisects: 0, iteratorResets: 0, discarded: 0, failureRecords: 0 };
}

/** Options of {@link StreamPoller}. */
export interface StreamPollerOptions {
  streams: Pick<DynamoDBStreamsClient, 'send'>;
  streamArn: string;
  /** Named in the failure records. */
  functionArn: string;
  /** The function: a thrown error is a function error; the response is read for `batchItemFailures`. */
  invoke(event: DynamoDBStreamEvent): Promise<unknown>;
  /** The on-failure destination: receives the metadata of every batch given up on. */
  onFailure(record: DynamoDbStreamFailureRecord): Promise<void>;
  /** Settings on top of {@link EMITTER_MAPPING}. */
  mapping?: Partial<StreamMappingSettings>;
  /** Wait between polls that found nothing. @default 1000 */
  pollIntervalMs?: number;
  /** Wait before retry n (0-based). @default min(2000, 200 × 2ⁿ) ms */
  retryDelayMs?(retry: number): number;
  /** Clock of the record age and the failure records. @default Date.now */
  now?(): number;
  /** An error that is retried (shown once per kind by the caller). */
  warn(part: string, error: unknown): void;
  /** A line for the user. */
  log(line: string): void;
}

/** Per shard: the iterator to read next (undefined: get one) and the last sequence number handed over. */
interface ShardPosition {
  iterator: string | undefined;
  lastSequence: string | undefined;
}

/** A DynamoDB stream record in the shape Lambda delivers it (seconds for the creation time). */
export function lambdaRecord(record: _Record, streamArn: string): DynamoDBRecord {
  const d = record.dynamodb;
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? LOCAL_REGION,
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: d?.ApproximateCreationDateTime
        ? Math.floor(d.ApproximateCreationDateTime.getTime() / 1000)
        : undefined,
      Keys: d?.Keys as never,
      NewImage: d?.NewImage as never,
      OldImage: d?.OldImage as never,
      SequenceNumber: d?.SequenceNumber,
      SizeBytes: d?.SizeBytes,
      StreamViewType: d?.StreamViewType as never,
    },
  };
}

/**
 * Polls a DynamoDB stream and invokes a function with Lambda's event shape by the deployed emitter mapping's rules
 * (see `nextStep`): batches of `batchSize`, a partial failure retried from the lowest reported record, a function
 * error bisected, at most `maximumRetryAttempts` retries, records older than `maximumRecordAgeInSeconds` skipped; what
 * is given up on goes to `onFailure` as the metadata Lambda sends to the on-failure destination, and the shard moves on.
 */
export class StreamPoller {
  readonly counters: StreamPollerCounters = emptyPollerCounters();
  /** Polls in a row that found nothing (2: everything written so far was handed over). */
  emptyPolls = 0;
  readonly #settings: StreamMappingSettings;
  readonly #shards = new Map<string, ShardPosition>();
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(private readonly options: StreamPollerOptions) {
    this.#settings = { ...EMITTER_MAPPING, ...options.mapping };
  }

  /** Start polling. */
  start(): void {
    this.#running = true;
    this.#loop ??= this.#run();
  }

  /** Stop after the invocation in flight; a batch not done is read again by the next poller. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  /** Poll once: every shard, every record read handed over (or given up on). Resolves with the records read. */
  async #pollOnce(): Promise<number> {
    await this.#discoverShards();
    let found = 0;
    for (const [shardId, shard] of this.#shards) {
      if (!this.#running) break;
      const records = await this.#read(shardId, shard);
      found += records.length;
      if (await this.#deliver(records)) shard.lastSequence = records.at(-1)?.sequenceNumber ?? shard.lastSequence;
    }
    return found;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let found = 0;
      try {
        found = await this.#pollOnce();
      } catch (error) {
        this.options.warn('emitter', error);
      }
      this.emptyPolls = found === 0 ? this.emptyPolls + 1 : 0;
      if (found === 0) await sleep(this.options.pollIntervalMs ?? 1000);
    }
  }

  async #discoverShards(): Promise<void> {
    const { streams, streamArn } = this.options;
    const description = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of description.StreamDescription?.Shards ?? []) {
      if (shard.ShardId && !this.#shards.has(shard.ShardId)) {
        this.#shards.set(shard.ShardId, { iterator: undefined, lastSequence: undefined });
      }
    }
  }

  async #iteratorFor(shardId: string, lastSequence: string | undefined): Promise<string | undefined> {
    const out = await this.options.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.options.streamArn,
        ShardId: shardId,
        ...(lastSequence
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: lastSequence }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return out.ShardIterator;
  }

  /** The next records of a shard (none when it has no iterator, or it had to be renewed). */
  async #read(shardId: string, shard: ShardPosition): Promise<StreamRecord[]> {
    shard.iterator ??= await this.#iteratorFor(shardId, shard.lastSequence);
    if (!shard.iterator) return [];
    let out: GetRecordsCommandOutput;
    try {
      out = await this.options.streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 1000 }));
    } catch (error) {
      // DynamoDB Local hands out TRIM_HORIZON iterators of an empty shard that later read as trimmed, and iterators
      // expire after 15 minutes: get a fresh one from the last record handed over.
      const name = (error as Error).name;
      if (name !== 'TrimmedDataAccessException' && name !== 'ExpiredIteratorException') throw error;
      this.counters.iteratorResets++;
      shard.iterator = undefined;
      return [];
    }
    shard.iterator = out.NextShardIterator;
    return (out.Records ?? []).map((r) => ({
      shardId,
      sequenceNumber: r.dynamodb?.SequenceNumber ?? '0',
      arrivalMs: r.dynamodb?.ApproximateCreationDateTime?.getTime() ?? Date.now(),
      lambdaRecord: lambdaRecord(r, this.options.streamArn),
    }));
  }

  /** Hand records over in batches; true when every one succeeded or was given up on (false: stopped before). */
  async #deliver(records: StreamRecord[]): Promise<boolean> {
    for (let at = 0; at < records.length; at += this.#settings.batchSize) {
      const queue: Batch<StreamRecord>[] = [
        { records: records.slice(at, at + this.#settings.batchSize), retries: 0, invocations: 0 },
      ];
      for (let batch = queue.shift(); batch; batch = queue.shift()) {
        if (!this.#running) return false;
        queue.unshift(...(await this.#process(batch)));
      }
    }
    return true;
  }

  /** One invocation of a batch; resolves with the batches to run before anything else (a retry, or two halves). */
  async #process(input: Batch<StreamRecord>): Promise<Batch<StreamRecord>[]> {
    const now = this.options.now?.() ?? Date.now();
    const [expired, fresh] = splitExpired(input.records, now, this.#settings.maximumRecordAgeInSeconds);
    if (expired.length > 0) await this.#discard(expired, 'RecordAgeExceeded', input);
    if (fresh.length === 0) return [];
    const batch: Batch<StreamRecord> = { ...input, records: fresh, invocations: input.invocations + 1 };
    const outcome = await this.#invoke(fresh);
    batch.functionError = outcome.kind === 'function-error';
    const step = nextStep(batch, outcome, this.#settings);
    switch (step.kind) {
      case 'done':
        return [];
      case 'retry':
        this.counters.retries++;
        await sleep(this.options.retryDelayMs?.(batch.retries) ?? Math.min(2000, 200 * 2 ** batch.retries));
        return [step.batch];
      case 'bisect':
        this.counters.bisects++;
        return step.halves;
      case 'discard':
        await this.#discard(step.batch.records, step.condition, step.batch);
        return [];
    }
  }

  async #invoke(records: StreamRecord[]): Promise<InvocationOutcome> {
    this.counters.invocations++;
    let outcome: InvocationOutcome;
    try {
      const response = await this.options.invoke({ Records: records.map((r) => r.lambdaRecord) });
      outcome = interpretResponse(response, records, this.#settings.reportBatchItemFailures);
    } catch (error) {
      this.options.warn('emitter', error);
      outcome = { kind: 'function-error', error };
    }
    if (outcome.kind !== 'success') this.counters.failures++;
    return outcome;
  }

  /** Send the metadata of records given up on to the failure destination; retried until it takes it or a stop. */
  async #discard(records: StreamRecord[], condition: FailureCondition, batch: Batch<StreamRecord>): Promise<void> {
    const failure = buildStreamFailureRecord({
      records,
      condition,
      invokeCount: batch.invocations,
      functionArn: this.options.functionArn,
      streamArn: this.options.streamArn,
      functionError: batch.functionError ?? false,
      nowMs: this.options.now?.() ?? Date.now(),
    });
    this.counters.discarded += records.length;
    this.options.log(
      `[emitter] ${records.length} stream record(s) of ${records[0]?.shardId} given up (${condition} after ` +
        `${batch.invocations} invocation(s)): their range goes to the failure output`,
    );
    for (;;) {
      try {
        await this.options.onFailure(failure);
        this.counters.failureRecords++;
        return;
      } catch (error) {
        this.options.warn('emitter failure output', error);
        if (!this.#running) {
          this.options.log(`[emitter] failure record not written (stopping): ${JSON.stringify(failure)}`);
          return;
        }
        await sleep(1000);
      }
    }
  }
}
