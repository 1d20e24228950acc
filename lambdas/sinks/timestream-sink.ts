import {
  type _Record,
  type MeasureValue,
  type RejectedRecord,
  type TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import type { BackoffOptions } from '../state/retry';
import { deliver } from './deliver';
import { SinkEntryError } from './errors';
import type { EmitMessage, MessageKind } from './messages';
import type { Sink, SinkOutcome } from './sink';

/** Timestream: 100 records per WriteRecords; a VARCHAR measure holds at most 2 KiB. */
const MAX_RECORDS = 100;
const MAX_VARCHAR = 2048;

/** Name of the multi-measure record of a window result. */
export const TIMESTREAM_MEASURE = 'window_result';

/**
 * One multi-measure record per message: dimensions `pipeline`, `window`, `key`; time = window start (ms); measures
 * = the aggregate values (numbers as DOUBLE, booleans as BOOLEAN, anything else as VARCHAR JSON, cut at 2 KiB) plus
 * `window_end` (BIGINT); Version 1, so a resend of the same record is accepted as a no-op by Timestream.
 */
export function timestreamRecord(message: EmitMessage): _Record {
  const measures: MeasureValue[] = [{ Name: 'window_end', Value: String(message.end), Type: 'BIGINT' }];
  for (const [name, value] of Object.entries(message.values)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'number') {
      if (Number.isFinite(value)) measures.push({ Name: name, Value: String(value), Type: 'DOUBLE' });
    } else if (typeof value === 'boolean') {
      measures.push({ Name: name, Value: String(value), Type: 'BOOLEAN' });
    } else {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      measures.push({ Name: name, Value: text.slice(0, MAX_VARCHAR / 4), Type: 'VARCHAR' });
    }
  }
  return {
    Dimensions: [
      { Name: 'pipeline', Value: message.pipeline },
      { Name: 'window', Value: message.window },
      { Name: 'key', Value: message.key },
    ],
    MeasureName: message.kind === 'alert' ? `alert_${message.alert}` : TIMESTREAM_MEASURE,
    MeasureValueType: 'MULTI',
    MeasureValues: measures,
    Time: String(message.start),
    TimeUnit: 'MILLISECONDS',
    Version: 1,
  };
}

/** Options of {@link TimestreamSink}. */
export interface TimestreamSinkOptions {
  readonly client: Pick<TimestreamWriteClient, 'send'>;
  readonly databaseName: string;
  readonly tableName: string;
  /** @default 'timestream' */
  readonly name?: string;
  /** @default ['result'] */
  readonly kinds?: readonly MessageKind[];
  /** @default 4 */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
}

/**
 * Final window results into Timestream for LiveAnalytics (optional; closed to new AWS customers since 2025-06-20) as
 * multi-measure records ({@link timestreamRecord}). `RejectedRecordsException`: a record rejected with an
 * `ExistingVersion` is already stored (an earlier send landed: results are deterministic) and counts as delivered;
 * other rejected records are retried (bounded), then reported failed, so the emitter retries its stream record and
 * finally parks it in the on-failure queue.
 */
export class TimestreamSink implements Sink {
  readonly name: string;
  readonly kinds: readonly MessageKind[];
  readonly #options: TimestreamSinkOptions;

  constructor(options: TimestreamSinkOptions) {
    this.#options = options;
    this.name = options.name ?? 'timestream';
    this.kinds = options.kinds ?? ['result'];
  }

  send(messages: readonly EmitMessage[]): Promise<SinkOutcome> {
    return deliver(
      messages,
      {
        sink: this.name,
        operation: 'WriteRecords',
        maxEntries: MAX_RECORDS,
        maxAttempts: this.#options.maxAttempts,
        backoff: this.#options.backoff,
      },
      async (chunk) => {
        try {
          await this.#options.client.send(
            new WriteRecordsCommand({
              DatabaseName: this.#options.databaseName,
              TableName: this.#options.tableName,
              Records: chunk.map(timestreamRecord),
            }),
          );
          return [];
        } catch (error) {
          if ((error as Error)?.name !== 'RejectedRecordsException') throw error;
          const rejected = (error as { RejectedRecords?: RejectedRecord[] }).RejectedRecords ?? [];
          return rejected.flatMap((r) =>
            r.ExistingVersion !== undefined || r.RecordIndex === undefined
              ? []
              : [
                  {
                    index: r.RecordIndex,
                    error: new SinkEntryError(this.name, 'RejectedRecord', r.Reason),
                    retryable: true,
                  },
                ],
          );
        }
      },
    );
  }
}
