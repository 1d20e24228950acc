import { StateFormatError } from '../errors';

/** A session: start, last event time, aggregate states (aligned with the window's aggregates), alerts fired. */
export interface SessionState {
  /** Start (earliest event time). */
  s: number;
  /** Last event time (the session's end). */
  l: number;
  /** Aggregate states, aligned with the window's `aggregates`. */
  a: unknown[];
  /** Indexes of alerts already fired for this session. */
  f?: number[];
}

/** A window closed for this key but not yet final (another source may still add to it). */
export interface ClosedWindow {
  /** Window index. */
  w: number;
  /** Start and end (ms). */
  s: number;
  e: number;
  /** Aggregate states, aligned with the window's `aggregates`. */
  a: unknown[];
  /** Indexes of alerts already fired for this window instance. */
  f?: number[];
  /**
   * Positions (in the window's aggregates) of aggregates whose state may miss events applied before a definition
   * switch: reported as the result's `partial` (see ./partial.ts).
   */
  p?: number[];
}

/** Slices written under an earlier definition, read only by the windows that carried over (see ./layers.ts). */
export interface SliceLayer {
  /** Slice size of the layer (ms). */
  ms: number;
  /** Indexes of the windows that read it. */
  w: number[];
  /** Slice number (start / ms) → aggregate states aligned with the layout's timedAggregates. */
  s: Record<string, unknown[]>;
}

/**
 * A definition switch seen by this key's state (see ./partial.ts): `[t]` — every aggregate of the window is partial
 * in the instances that start at or before `t` (sessions: `t + gap`); `[t, positions]` — only those aggregates.
 * `t` is the key's stream time when the state was first read under the new definition.
 */
export type PartialMark = [number] | [number, number[]];

/**
 * Window state of one key: what the processor stores in one DynamoDB item. Kept small: DynamoDB charges a write
 * unit per KB written.
 */
export interface KeyState {
  /** Largest stream time seen by this key (windows that end + grace at or before it are closed). */
  m: number;
  /**
   * Open slices: slice number (start / sliceMs: small integers, cheap object keys) → aggregate states aligned with
   * the layout's timedAggregates.
   */
  s: Record<string, unknown[]>;
  /** Alerts fired for open time windows: `"<alert>@<windowStart>"`. */
  f?: string[];
  /** Open sessions per session window index. */
  x?: Record<string, SessionState[]>;
  /** Closed, not yet final windows: `"<window>@<start>"` → snapshot. */
  c?: Record<string, ClosedWindow>;
  /**
   * Watermark through which this key's windows are final (results emitted). A record is late for a window that
   * closes at or before it, whatever its own source's stream time: a window is never finalized twice, also when
   * a closer finalized it while its source was idle.
   */
  z?: number;
  /**
   * Dedupe claims held in the item: claim bucket (event time / 1 min) → the 11-character hashes of the ids claimed
   * there, concatenated (see ./claims.ts). Forgotten buckets are pruned when the key's windows become final.
   */
  d?: Record<string, string>;
  /**
   * Claim buckets whose hashes the storage moved out of the item (a hot key's claims outgrow it) → how many it moved:
   * their claims are read from where the storage keeps them and given to `applyRecords` (`spilledClaims`).
   */
  D?: Record<string, number>;
  /**
   * Fingerprint of the layout (definition) this state was written under (core/evolution): a state is read by another
   * layout only after it is translated by name. Absent in states written before fingerprints existed (read as the
   * current layout's).
   */
  l?: string;
  /** Partial marks per window index, left by definition switches (pruned when their windows are final). */
  P?: Record<string, PartialMark[]>;
  /** Slice layers left by definition switches that added windows (see ./layers.ts). */
  o?: SliceLayer[];
  /**
   * Reset floors per window index, left by a definition switch that reset a window (same name, another meaning):
   * instances starting at or before the floor (sessions: records at or before it) are late, so the window never
   * reopens an instance its earlier meaning may have finalized (a result id is emitted once). Pruned once the
   * finalized-through mark `z` makes them late anyway.
   */
  F?: Record<string, number>;
  /**
   * Per window index: the reset floor this key's finalized results call for (see `F`): the largest start of an
   * instance or session it finalized (result ids are window, key and start), raised to a reset floor when that one is
   * pruned (so a window reset twice still covers what its first meaning emitted). A switch that resets the window
   * takes it as the floor, so the window never reopens an instance whose result was emitted, and refuses nothing
   * else. `{}` once the key was finalized: a state without it (written before it existed) gets the floor the
   * finalized-through mark `z` allows.
   */
  E?: Record<string, number>;
}

/** An alert fired for an open tumbling or hopping window instance (see `KeyState.f`). */
export interface FiredAlert {
  /** Index of the alert. */
  readonly alert: number;
  /** Start of the window instance (ms). */
  readonly windowStart: number;
}

/** The alerts fired for open time windows, as values (`KeyState.f` persists each as `"<alert>@<windowStart>"`). */
export function firedAlerts(state: KeyState): FiredAlert[] {
  return (state.f ?? []).map((id) => {
    const at = id.indexOf('@');
    return { alert: Number(id.slice(0, at)), windowStart: Number(id.slice(at + 1)) };
  });
}

/** Record an alert fired for an open time window. */
export function addFiredAlert(state: KeyState, fired: FiredAlert): void {
  (state.f ??= []).push(`${fired.alert}@${fired.windowStart}`);
}

/** Keep the fired alerts of open time windows that `keep` accepts (the field goes when none is left). */
export function keepFiredAlerts(state: KeyState, keep: (fired: FiredAlert) => boolean): void {
  if (!state.f) return;
  const ids = state.f;
  const kept = firedAlerts(state).flatMap((fired, i) => (keep(fired) ? [ids[i]!] : []));
  if (kept.length > 0) state.f = kept;
  else delete state.f;
}

/** Key of a closed window in `KeyState.c`: `"<window>@<start>"`. */
export function closedWindowId(window: number, start: number): string {
  return `${window}@${start}`;
}

/** A fresh, empty key state. */
export function emptyState(): KeyState {
  return { m: Number.NEGATIVE_INFINITY, s: {} };
}

/** True when the state holds no window (no open slices, sessions or closed windows); claims do not count. */
export function isEmptyState(state: KeyState): boolean {
  return (
    Object.keys(state.s).length === 0 &&
    (!state.o || state.o.length === 0) &&
    (!state.x || Object.values(state.x).every((v) => v.length === 0)) &&
    (!state.c || Object.keys(state.c).length === 0)
  );
}

/**
 * A key state ready for `JSON.stringify`: the one encoding of the stored state (the processor's item, replay, tests).
 * JSON itself writes stream time −∞ as null; +∞ (a flushed state) is written as "Infinity".
 */
export type KeyStateJson = Omit<KeyState, 'm'> & { m: number | 'Infinity' };

/** The JSON form of a key state (the state itself unless its stream time is +∞). */
export function keyStateToJson(state: KeyState): KeyStateJson {
  return state.m === Number.POSITIVE_INFINITY ? { ...state, m: 'Infinity' } : state;
}

/**
 * Read a key state from parsed JSON (as {@link keyStateToJson} wrote it): stream time null is −∞, "Infinity" +∞. The
 * value is taken over (modified in place), not copied.
 * @throws StateFormatError when it is not a key state.
 */
export function keyStateFromJson(value: unknown): KeyState {
  const state = value as Omit<KeyState, 'm'> & { m: number | null | string };
  if (!state || typeof state !== 'object' || typeof state.s !== 'object' || state.s === null) {
    throw new StateFormatError(`the state has no slices object: ${JSON.stringify(value)?.slice(0, 80)}`);
  }
  if (state.m === null) state.m = Number.NEGATIVE_INFINITY;
  if (state.m === 'Infinity') state.m = Number.POSITIVE_INFINITY;
  if (typeof state.m !== 'number') {
    throw new StateFormatError(`the state's stream time ${JSON.stringify(state.m)} is not a number`);
  }
  return state as KeyState;
}

/** Serialise a key state to JSON text ({@link keyStateToJson}). */
export function serializeState(state: KeyState): string {
  return JSON.stringify(keyStateToJson(state));
}

/** Parse a key state written by {@link serializeState}; throws {@link StateFormatError} on anything else. */
export function parseState(text: string): KeyState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateFormatError(`state is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return keyStateFromJson(value);
}

/** Deep copy (state is plain JSON). */
export function cloneState(state: KeyState): KeyState {
  return parseState(serializeState(state));
}
