import type { EmitMessage, MessageKind } from './messages';

/** One message a sink could not deliver. */
export interface SinkFailure {
  readonly id: string;
  readonly error: Error;
}

/** Result of {@link Sink.send}: what is still undelivered after the sink's own bounded retries. */
export interface SinkOutcome {
  /** Messages not delivered (the emitter reports their stream records as batch item failures). */
  readonly failed: SinkFailure[];
  /** Messages sent again after a partial failure or a failed call. */
  readonly retries: number;
}

/**
 * A destination of emitted messages. `send` never throws for a message's failure: it retries partial failures
 * (bounded, with backoff) and reports the rest in `failed`. Every message carries its deterministic `id`, so a
 * consumer can drop the rare resend (see the emitter's delivery markers).
 */
export interface Sink {
  /** Stable name: part of the delivery markers' keys (renaming a sink makes the emitter send again). */
  readonly name: string;
  /** The kinds of message it takes. */
  readonly kinds: readonly MessageKind[];
  send(messages: readonly EmitMessage[]): Promise<SinkOutcome>;
}
