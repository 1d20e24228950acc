import {
  CLEAN_EVENTS_PREFIX,
  type CleanEventRow,
  cleanEventLine,
  cleanMetadataRow,
  cleanPartitionPath,
} from '../../core';
import {
  type CleanEventRecord,
  type CleanEventsSink,
  type CleanSendOutcome,
  FIREHOSE_MAX_RECORD_BYTES,
} from '../../lambdas/sinks/clean-events';
import { ObjectBuffers, type ObjectBuffersOptions } from './object-buffers';

/** Options of {@link LocalCleanEventsSink}. */
export interface LocalCleanEventsSinkOptions extends ObjectBuffersOptions {
  /** Receives object write errors (the rows stay buffered and are written on the next tick). */
  readonly onError?: (error: unknown) => void;
}

/** What a {@link LocalCleanEventsSink} has done. */
export interface LocalCleanCounters {
  /** Rows accepted by `send` (redeliveries included: the `events` view shows each `sf_uid` once). */
  received: number;
  /** Rows written into `clean/` objects. */
  delivered: number;
  /** Objects written. */
  objects: number;
  /** Rows buffered now. */
  buffered: number;
}

/**
 * The local stand-in for the clean-events Firehose (lib/clean-event-delivery.ts): the processor's clean rows, as the
 * same JSON lines (the same 1,000 KiB record limit), buffered per partition like the delivery stream and written as
 * gzip JSON-lines objects under `clean/event_type=/dt=/hour=/` (event time). Like a PutRecordBatch that succeeded,
 * `send` only buffers: call `tick()` every second or so and `flush()` at the end.
 */
export class LocalCleanEventsSink implements CleanEventsSink {
  readonly name: string;
  readonly #buffers: ObjectBuffers;
  readonly #onError: ((error: unknown) => void) | undefined;
  #received = 0;

  constructor(options: LocalCleanEventsSinkOptions) {
    this.name = `local:${options.deliveryStreamName}`;
    this.#buffers = new ObjectBuffers(options);
    this.#onError = options.onError;
  }

  async send(records: readonly CleanEventRecord[]): Promise<CleanSendOutcome> {
    for (const { row } of records) {
      this.#received++;
      const path = `${CLEAN_EVENTS_PREFIX}${cleanPartitionPath(row)}`;
      this.#buffers.add(path, lineOf(row), row.sf_arrival_time, () => path, 'delivered');
    }
    // A failed write keeps the rows buffered (Firehose retries its S3 delivery): the put itself succeeded.
    await this.#buffers.flush(false).catch((error) => this.#onError?.(error));
    return { failedIds: [], retries: 0, errors: [] };
  }

  /** Write the partitions whose buffering interval has passed. */
  async tick(): Promise<void> {
    await this.#buffers.flush(false);
  }

  /** Write whatever is buffered now (end of a run). */
  async flush(): Promise<void> {
    await this.#buffers.flush(true);
  }

  /** A snapshot of the counters. */
  counters(): LocalCleanCounters {
    return {
      received: this.#received,
      delivered: this.#buffers.written('delivered'),
      objects: this.#buffers.objects(),
      buffered: this.#buffers.buffered(),
    };
  }
}

function lineOf(row: CleanEventRow): string {
  const line = cleanEventLine(row);
  return Buffer.byteLength(line) + 1 > FIREHOSE_MAX_RECORD_BYTES ? cleanEventLine(cleanMetadataRow(row)) : line;
}
