import type { EmitMessage, MessageKind } from './messages';

/** One message a sink could not deliver. */
export interface SinkFailure {
  readonly id: string;
  readonly error: Error;
  /**
   * The sink will never take this message as it is (too large, or refused as the sender's fault): sending it again
   * cannot help. Such a message is kept with the spilled ones for an operator, and does not stop a re-delivery.
   */
  readonly permanent?: boolean;
}

/** Result of {@link Sink.send}: what is still undelivered after the sink's own bounded retries. */
export interface SinkOutcome {
  /** Messages not delivered (the emitter reports their stream records as batch item failures). */
  readonly failed: SinkFailure[];
  /** Messages sent again after a partial failure or a failed call. */
  readonly retries: number;
  /**
   * Service calls made (PublishBatch, PutRecordBatch, ...; failed ones included), for cost metering.
   * @default - one per `send` call
   */
  readonly requests?: number;
}

/**
 * A destination of emitted messages. `send` never throws for a message's failure: it retries partial failures
 * (bounded, with backoff) and reports the rest in `failed`. Every message carries its deterministic `id`, so a
 * consumer can drop the rare resend: final results are delivered at least once (a results sink must be idempotent by
 * id, or read through a view that keeps one row per id), alerts exactly once per sink by the emitter's delivery markers.
 */
export interface Sink {
  /**
   * Stable name (letters, digits, `_`, `.`, `-`): part of the alert delivery markers' keys (renaming a sink makes the
   * emitter send again) and of the spill keys (`undelivered/<name>/...`).
   */
  readonly name: string;
  /** The kinds of message it takes. */
  readonly kinds: readonly MessageKind[];
  send(messages: readonly EmitMessage[]): Promise<SinkOutcome>;
}
