import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { type CleanEventRow, type CleanPartitioning, cleanEventLine, cleanMetadataRow } from '../../core';
import type { BackoffOptions } from '../state/retry';
import { deliver, utf8Bytes } from './deliver';
import { SinkEntryError } from './errors';

/** One clean row to deliver, with an id unique in the batch (`source:sequence`) to report failures by. */
export interface CleanEventRecord {
  readonly id: string;
  readonly row: CleanEventRow;
}

/** Result of {@link CleanEventsSink.send}: what is still undelivered after the sink's own bounded retries. */
export interface CleanSendOutcome {
  /** Ids of the records not delivered (their source records must be retried). */
  readonly failedIds: string[];
  /** Records sent again after a partial failure or a failed call. */
  readonly retries: number;
  /** The errors behind the failures (one per destination at most), for logging. */
  readonly errors: Error[];
}

/**
 * Where the processor delivers every valid record (the clean-events output). At-least-once: a Lambda retry sends the
 * same rows again (same `sf_uid`), and the warehouse shows each `sf_uid` once. `send` never throws for a record's
 * failure: it retries (bounded, with backoff) and reports the rest in `failedIds`.
 */
export interface CleanEventsSink {
  /** For logs and errors. */
  readonly name: string;
  send(records: readonly CleanEventRecord[]): Promise<CleanSendOutcome>;
}

/** The processor's clean-events output: where valid records go, and how their rows are partitioned. */
export interface CleanEventsOutput {
  readonly sink: CleanEventsSink;
  readonly partitioning: CleanPartitioning;
}

/** Firehose limits: 500 records and 4 MiB per PutRecordBatch, 1,000 KiB per record. */
export const FIREHOSE_MAX_RECORDS = 500;
export const FIREHOSE_MAX_BATCH_BYTES = 4 * 1024 * 1024;
export const FIREHOSE_MAX_RECORD_BYTES = 1000 * 1024;

/** Options of {@link FirehoseCleanEventsSink}. */
export interface FirehoseCleanEventsSinkOptions {
  readonly client: Pick<FirehoseClient, 'send'>;
  /** The Direct PUT delivery streams every row goes to (the data lake's, and the warehouse's when there is one). */
  readonly deliveryStreamNames: readonly string[];
  /** Attempts per record and stream (first try included). @default 4 */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
}

/**
 * Clean rows into Firehose: one JSON line per record (PutRecordBatch of at most 500 records and 4 MiB, records failed
 * in `RequestResponses` retried with backoff; a call that throws was retried by the SDK and fails its rows), to every delivery stream; a row fails when any stream
 * did not take it. A row larger than Firehose's 1,000 KiB record limit (a Kinesis record may be 1 MiB) is sent with
 * its metadata only, flagged `sf_truncated`, so one record never blocks its shard and the event is still counted once.
 */
export class FirehoseCleanEventsSink implements CleanEventsSink {
  readonly name: string;
  readonly #options: FirehoseCleanEventsSinkOptions;

  constructor(options: FirehoseCleanEventsSinkOptions) {
    this.#options = options;
    this.name = `firehose:${options.deliveryStreamNames.join(',')}`;
  }

  async send(records: readonly CleanEventRecord[]): Promise<CleanSendOutcome> {
    if (records.length === 0) return { failedIds: [], retries: 0, errors: [] };
    const lines = new Map<string, Buffer>();
    for (const { id, row } of records) {
      let data = Buffer.from(`${cleanEventLine(row)}\n`, 'utf8');
      if (data.length > FIREHOSE_MAX_RECORD_BYTES) data = Buffer.from(`${cleanEventLine(cleanMetadataRow(row))}\n`);
      lines.set(id, data);
    }
    const outcomes = await Promise.all(
      this.#options.deliveryStreamNames.map((stream) =>
        deliver(
          records,
          {
            sink: `firehose:${stream}`,
            operation: 'PutRecordBatch',
            maxEntries: FIREHOSE_MAX_RECORDS,
            maxBytes: FIREHOSE_MAX_BATCH_BYTES,
            sizeOf: (r) => lines.get(r.id)!.length,
            maxAttempts: this.#options.maxAttempts,
            backoff: this.#options.backoff,
          },
          async (chunk) => {
            const out = await this.#options.client.send(
              new PutRecordBatchCommand({
                DeliveryStreamName: stream,
                Records: chunk.map((r) => ({ Data: lines.get(r.id)! })),
              }),
            );
            if (!out.FailedPutCount) return [];
            return (out.RequestResponses ?? []).flatMap((response, index) =>
              response.ErrorCode
                ? [
                    {
                      index,
                      error: new SinkEntryError(`firehose:${stream}`, response.ErrorCode, response.ErrorMessage),
                      retryable: true,
                    },
                  ]
                : [],
            );
          },
        ),
      ),
    );
    const failed = new Set<string>();
    const errors: Error[] = [];
    let retries = 0;
    for (const outcome of outcomes) {
      retries += outcome.retries;
      for (const f of outcome.failed) failed.add(f.id);
      if (outcome.failed[0]) errors.push(outcome.failed[0].error);
    }
    return { failedIds: [...failed], retries, errors };
  }
}

/** Bytes of a row's line as the Firehose sink sends it (tests, sizing). */
export const cleanLineBytes = (row: CleanEventRow): number => utf8Bytes(`${cleanEventLine(row)}\n`);
