import { createHmac } from 'node:crypto';

/** What a sink delivers: an alert (a rule turned true) or a final window result. */
export type MessageKind = 'alert' | 'result';

/** An alert, once per window, key and rule. Deterministic: a resend is byte-identical and carries the same `id`. */
export interface AlertMessage {
  readonly kind: 'alert';
  /** Deterministic id, not guessable from outside: keyed hash of pipeline, rule, window, key and start ({@link alertId}). */
  readonly id: string;
  readonly pipeline: string;
  readonly alert: string;
  readonly description?: string;
  readonly window: string;
  readonly key: string;
  /** Window start and end, epoch ms (a session's end is its last event time). */
  readonly start: number;
  readonly end: number;
  /** The window's aggregate values when the rule turned true. */
  readonly values: Record<string, unknown>;
  /** The source record that made the rule true. */
  readonly firedBy?: { readonly source: string; readonly sequence: string };
}

/** A final window result, once per window, key and start. */
export interface ResultMessage {
  readonly kind: 'result';
  /** Deterministic id, not guessable from outside: keyed hash of pipeline, window, key and start ({@link resultId}). */
  readonly id: string;
  readonly pipeline: string;
  readonly window: string;
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly values: Record<string, unknown>;
  /**
   * Aggregates whose value may miss events applied before a definition change (README "Changing a pipeline");
   * absent when every value is complete.
   */
  readonly partial?: readonly string[];
}

/** Any emitted message. */
export type EmitMessage = AlertMessage | ResultMessage;

/** Shortest id key accepted (the pipeline's key is 32 bytes: see `loadIdKey` in lambdas/emitter). */
const MIN_ID_KEY_BYTES = 16;

const digest = (idKey: Uint8Array, parts: readonly (string | number)[]) => {
  if (!(idKey instanceof Uint8Array) || idKey.length < MIN_ID_KEY_BYTES) {
    throw new TypeError(`id key: expected at least ${MIN_ID_KEY_BYTES} bytes, got ${String(idKey?.length)}`);
  }
  return createHmac('sha256', idKey).update(JSON.stringify(parts)).digest('hex').slice(0, 32);
};

/**
 * Alert id (32 hex chars): HMAC-SHA256 under the pipeline's id key of pipeline, rule, window, key and start. The same
 * window, key and rule always give the same id (sinks and consumers drop a resend by it); without the key nobody can
 * compute it (a producer cannot aim at an internal item named after it).
 */
export function alertId(
  idKey: Uint8Array,
  pipeline: string,
  alert: string,
  window: string,
  key: string,
  start: number,
): string {
  return digest(idKey, [pipeline, 'alert', alert, window, key, start]);
}

/** Result id (32 hex chars): like {@link alertId}, of pipeline, window, key and start. */
export function resultId(idKey: Uint8Array, pipeline: string, window: string, key: string, start: number): string {
  return digest(idKey, [pipeline, 'result', window, key, start]);
}
