import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { BackoffOptions } from '../state/retry';
import { deliver, utf8Bytes } from './deliver';
import { SinkEntryError } from './errors';
import type { EmitMessage, MessageKind } from './messages';
import type { Sink, SinkOutcome } from './sink';

/** Options of {@link EventBridgeSink}. */
export interface EventBridgeSinkOptions {
  readonly client: Pick<EventBridgeClient, 'send'>;
  readonly eventBusName: string;
  /** Event `source`. @default 'streamfold.<pipeline>' (set per message) */
  readonly source?: string;
  /** @default 'eventbridge' */
  readonly name?: string;
  /** @default ['alert'] */
  readonly kinds?: readonly MessageKind[];
  /** @default 4 */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
}

/** Detail types of the events (match them in rules). */
export const DETAIL_TYPES = { alert: 'streamfold alert', result: 'streamfold window result' } as const;

/**
 * Messages as EventBridge events (PutEvents, 10 per call, 256 KiB per call): source `streamfold.<pipeline>`, detail
 * type {@link DETAIL_TYPES}, the message as detail (its `id` lets targets drop a resend). Entry errors are retried.
 */
export class EventBridgeSink implements Sink {
  readonly name: string;
  readonly kinds: readonly MessageKind[];
  readonly #options: EventBridgeSinkOptions;

  constructor(options: EventBridgeSinkOptions) {
    this.#options = options;
    this.name = options.name ?? 'eventbridge';
    this.kinds = options.kinds ?? ['alert'];
  }

  send(messages: readonly EmitMessage[]): Promise<SinkOutcome> {
    return deliver(
      messages,
      {
        sink: this.name,
        operation: 'PutEvents',
        maxEntries: 10,
        maxBytes: 256 * 1024,
        sizeOf: (m) => utf8Bytes(JSON.stringify(m)) + 100,
        maxAttempts: this.#options.maxAttempts,
        backoff: this.#options.backoff,
      },
      async (chunk) => {
        const out = await this.#options.client.send(
          new PutEventsCommand({
            Entries: chunk.map((m) => ({
              EventBusName: this.#options.eventBusName,
              Source: this.#options.source ?? `streamfold.${m.pipeline}`,
              DetailType: DETAIL_TYPES[m.kind],
              Detail: JSON.stringify(m),
            })),
          }),
        );
        if (!out.FailedEntryCount) return [];
        return (out.Entries ?? []).flatMap((entry, index) =>
          entry.ErrorCode
            ? [{ index, error: new SinkEntryError(this.name, entry.ErrorCode, entry.ErrorMessage), retryable: true }]
            : [],
        );
      },
    );
  }
}
