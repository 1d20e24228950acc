import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { BackoffOptions } from '../state/retry';
import { deliver, utf8Bytes } from './deliver';
import { MessageTooLargeError, SinkEntryError } from './errors';
import type { EmitMessage, MessageKind } from './messages';
import type { Sink, SinkOutcome } from './sink';

/** Firehose limits: 500 records and 4 MiB per PutRecordBatch, 1,000 KiB per record. */
const MAX_RECORDS = 500;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const MAX_RECORD_BYTES = 1000 * 1024;

/**
 * The warehouse row of a message (one JSON line): `window_start`/`window_end` instead of `start`/`end` (reserved
 * words in SQL), `values` nested (the Glue table reads it as a JSON string), `partial` (the aggregates a definition
 * change left partial) only when there are some. Columns of the `aggregates` Glue table.
 */
export function warehouseRow(message: EmitMessage): Record<string, unknown> {
  const { kind, id, pipeline, window, key, start, end, values } = message;
  return {
    id,
    kind,
    pipeline,
    window,
    key,
    window_start: start,
    window_end: end,
    values,
    ...(message.kind === 'alert' ? { alert: message.alert } : {}),
    ...(message.kind === 'result' && message.partial ? { partial: message.partial } : {}),
  };
}

/** Options of {@link FirehoseSink}. */
export interface FirehoseSinkOptions {
  readonly client: Pick<FirehoseClient, 'send'>;
  readonly deliveryStreamName: string;
  /** @default 'firehose' */
  readonly name?: string;
  /** @default ['result'] */
  readonly kinds?: readonly MessageKind[];
  /** @default 4 */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
}

/**
 * Final window results into the warehouse through Firehose (PutRecordBatch of newline-delimited JSON rows, see
 * {@link warehouseRow}); records failed in `RequestResponses` (FailedPutCount > 0) are retried one by one.
 */
export class FirehoseSink implements Sink {
  readonly name: string;
  readonly kinds: readonly MessageKind[];
  readonly #options: FirehoseSinkOptions;

  constructor(options: FirehoseSinkOptions) {
    this.#options = options;
    this.name = options.name ?? 'firehose';
    this.kinds = options.kinds ?? ['result'];
  }

  async send(messages: readonly EmitMessage[]): Promise<SinkOutcome> {
    const lines = new Map(messages.map((m) => [m.id, `${JSON.stringify(warehouseRow(m))}\n`]));
    const tooLarge = messages.filter((m) => utf8Bytes(lines.get(m.id)!) > MAX_RECORD_BYTES);
    const outcome = await deliver(
      messages.filter((m) => !tooLarge.includes(m)),
      {
        sink: this.name,
        operation: 'PutRecordBatch',
        maxEntries: MAX_RECORDS,
        maxBytes: MAX_BATCH_BYTES,
        sizeOf: (m) => utf8Bytes(lines.get(m.id)!),
        maxAttempts: this.#options.maxAttempts,
        backoff: this.#options.backoff,
      },
      async (chunk) => {
        const out = await this.#options.client.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: this.#options.deliveryStreamName,
            Records: chunk.map((m) => ({ Data: Buffer.from(lines.get(m.id)!, 'utf8') })),
          }),
        );
        if (!out.FailedPutCount) return [];
        return (out.RequestResponses ?? []).flatMap((response, index) =>
          response.ErrorCode
            ? [
                {
                  index,
                  error: new SinkEntryError(this.name, response.ErrorCode, response.ErrorMessage),
                  retryable: true,
                },
              ]
            : [],
        );
      },
    );
    return {
      failed: [
        ...outcome.failed,
        ...tooLarge.map((m) => ({
          id: m.id,
          permanent: true,
          error: new MessageTooLargeError(this.name, m.id, utf8Bytes(lines.get(m.id)!), MAX_RECORD_BYTES),
        })),
      ],
      retries: outcome.retries,
      requests: outcome.requests,
    };
  }
}
