import {
  type AlertEvent,
  type KeyState,
  type KeyStateJson,
  keyStateFromJson,
  keyStateToJson,
  StateFormatError,
  type WindowResult,
} from '../../core';
import { StoredStateFormatError } from './errors';
import type { OutboxEntry } from './outbox';

/** An alert as stored: the engine's alert with the record that fired it instead of its batch position. */
export type StoredAlert = Omit<AlertEvent, 'index'> & {
  /** Source (shard id or topic-partition) and sequence of the record that made the rule true. */
  readonly source: string;
  readonly sequence: string;
};

/**
 * The value the processor stores for one key (the StateStore's opaque JSON, attribute `s` of the state item):
 *
 * ```ts
 * { k: KeyState,        // the engine state (stream time −∞ is written as null)
 *   r?: WindowResult[], // windows that became final IN THIS WRITE (absent when none)
 *   a?: StoredAlert[],  // alerts fired IN THIS WRITE (absent when none)
 *   o?: OutboxEntry[],  // side outputs decided IN THIS WRITE: late records (with their windows), state-too-large
 *   u?: string[] }            // records dropped as duplicates IN THIS WRITE (`source:sequence`), for audit
 * ```
 *
 * `r`, `a` and `o` only hold what this write produced: the next write replaces them. The DynamoDB stream's NEW image of
 * each write therefore carries every final result, alert and side-output message exactly once, for the emitter; a
 * reader of the table alone sees the open state in `k` (turn it into results with `flushAll`).
 */
export interface StoredKeyState {
  k: KeyState;
  r?: WindowResult[];
  a?: StoredAlert[];
  o?: OutboxEntry[];
  u?: string[];
}

/** A stored value as written: {@link StoredKeyState} with the state in its JSON form (core's `keyStateToJson`). */
export type StoredKeyStateJson = Omit<StoredKeyState, 'k'> & { k: KeyStateJson };

/** The stored value for a key: the state plus what this write finalized, fired and sent aside (empty lists omitted). */
export function toStoredValue(
  k: KeyState,
  results: readonly WindowResult[],
  alerts: readonly StoredAlert[],
  outbox: readonly OutboxEntry[] = [],
  duplicates: readonly string[] = [],
): StoredKeyStateJson {
  return {
    k: keyStateToJson(k),
    ...(results.length ? { r: [...results] } : {}),
    ...(alerts.length ? { a: [...alerts] } : {}),
    ...(outbox.length ? { o: [...outbox] } : {}),
    ...(duplicates.length ? { u: [...duplicates] } : {}),
  };
}

/**
 * Read a stored value (as the StateStore hands it: parsed JSON, a fresh copy that may be mutated); its state is read
 * by core's `keyStateFromJson`, the codec `parseState` runs.
 * @throws StoredStateFormatError when it is not `{ k: KeyState, ... }`.
 */
export function readStoredValue(key: string, value: unknown): StoredKeyState {
  const stored = value as { k?: unknown } | null;
  if (!stored || typeof stored !== 'object' || !stored.k || typeof stored.k !== 'object') {
    throw new StoredStateFormatError(key, `no "k" object in ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  try {
    keyStateFromJson(stored.k);
  } catch (error) {
    if (error instanceof StateFormatError) throw new StoredStateFormatError(key, error.message, { cause: error });
    throw error;
  }
  return stored as StoredKeyState;
}
