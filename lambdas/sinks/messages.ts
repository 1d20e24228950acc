import { createHash } from 'node:crypto';

/** What a sink delivers: an alert (a rule turned true) or a final window result. */
export type MessageKind = 'alert' | 'result';

/** An alert, once per window, key and rule. Deterministic: a resend is byte-identical and carries the same `id`. */
export interface AlertMessage {
  readonly kind: 'alert';
  /** Deterministic id: hash of pipeline, rule, window, key and window start ({@link alertId}). */
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
  /** Deterministic id: hash of pipeline, window, key and window start ({@link resultId}). */
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

const digest = (parts: readonly (string | number)[]) =>
  createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);

/** Deterministic alert id (32 hex chars): the same window, key and rule always give the same id. */
export function alertId(pipeline: string, alert: string, window: string, key: string, start: number): string {
  return digest([pipeline, 'alert', alert, window, key, start]);
}

/** Deterministic result id (32 hex chars): the same window, key and start always give the same id. */
export function resultId(pipeline: string, window: string, key: string, start: number): string {
  return digest([pipeline, 'result', window, key, start]);
}
