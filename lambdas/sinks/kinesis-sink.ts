import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { BackoffOptions } from '../state/retry';
import { deliver, utf8Bytes } from './deliver';
import { SinkEntryError } from './errors';
import type { EmitMessage, MessageKind } from './messages';
import type { Sink, SinkOutcome } from './sink';

/** Options of {@link KinesisSink}. */
export interface KinesisSinkOptions {
  readonly client: Pick<KinesisClient, 'send'>;
  readonly streamName: string;
  /** @default 'kinesis' */
  readonly name?: string;
  /** @default ['alert'] */
  readonly kinds?: readonly MessageKind[];
  /** @default 4 */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
}

/**
 * Messages into a Kinesis stream (an alerts stream for downstream consumers): PutRecords (500 records, 5 MiB per
 * call), partition key = aggregation key (per-key order), JSON data; records failed per `FailedRecordCount` are
 * retried.
 */
export class KinesisSink implements Sink {
  readonly name: string;
  readonly kinds: readonly MessageKind[];
  readonly #options: KinesisSinkOptions;

  constructor(options: KinesisSinkOptions) {
    this.#options = options;
    this.name = options.name ?? 'kinesis';
    this.kinds = options.kinds ?? ['alert'];
  }

  send(messages: readonly EmitMessage[]): Promise<SinkOutcome> {
    return deliver(
      messages,
      {
        sink: this.name,
        operation: 'PutRecords',
        maxEntries: 500,
        maxBytes: 5 * 1024 * 1024,
        sizeOf: (m) => utf8Bytes(JSON.stringify(m)) + utf8Bytes(m.key),
        maxAttempts: this.#options.maxAttempts,
        backoff: this.#options.backoff,
      },
      async (chunk) => {
        const out = await this.#options.client.send(
          new PutRecordsCommand({
            StreamName: this.#options.streamName,
            Records: chunk.map((m) => ({
              PartitionKey: m.key.slice(0, 256) || '-',
              Data: Buffer.from(JSON.stringify(m), 'utf8'),
            })),
          }),
        );
        if (!out.FailedRecordCount) return [];
        return (out.Records ?? []).flatMap((record, index) =>
          record.ErrorCode
            ? [{ index, error: new SinkEntryError(this.name, record.ErrorCode, record.ErrorMessage), retryable: true }]
            : [],
        );
      },
    );
  }
}
