import type { Duration } from './duration';

/** Options common to every window. */
export interface WindowOptions {
  /**
   * How long after the window's end out-of-order events are still accepted (event time).
   * A record is late for window W when W.end + grace ≤ the shard's stream time including that record.
   * @default - 0 (no grace: a window closes as soon as stream time reaches its end)
   */
  readonly grace?: Duration;
}

/** A fixed-size, non-overlapping window aligned to the UTC epoch. Built with {@link tumbling}. */
export interface TumblingWindowSpec {
  readonly kind: 'tumbling';
  readonly size: Duration;
  readonly grace?: Duration;
}

/** A fixed-size window that starts every `advance`, aligned to the UTC epoch. Built with {@link hopping}. */
export interface HoppingWindowSpec {
  readonly kind: 'hopping';
  readonly size: Duration;
  readonly advance: Duration;
  readonly grace?: Duration;
}

/** A per-key window of activity that closes after `gap` without events. Built with {@link session}. */
export interface SessionWindowSpec {
  readonly kind: 'session';
  readonly gap: Duration;
  readonly grace?: Duration;
}

/** Any window specification. */
export type WindowSpec = TumblingWindowSpec | HoppingWindowSpec | SessionWindowSpec;

/**
 * Tumbling window: `[k·size, (k+1)·size)` in event time.
 *
 * @example
 * windows: { perMinute: tumbling('1m', { grace: '5m' }) }
 */
export function tumbling(size: Duration, options: WindowOptions = {}): TumblingWindowSpec {
  return { kind: 'tumbling', size, grace: options.grace };
}

/**
 * Hopping window: windows of `size` starting every `advance` (`advance` ≤ `size`); each event is in
 * `size / advance` windows. Stored as shared slices, so overlap does not multiply writes.
 *
 * @example
 * windows: { activity5m: hopping('5m', '1m', { grace: '5m' }) }
 */
export function hopping(size: Duration, advance: Duration, options: WindowOptions = {}): HoppingWindowSpec {
  return { kind: 'hopping', size, advance, grace: options.grace };
}

/**
 * Session window: events of one key closer than `gap` (inclusive) belong to one session; a new event that
 * bridges two sessions merges them.
 *
 * @example
 * windows: { sessions: session('30s', { grace: '5m' }) }
 */
export function session(gap: Duration, options: WindowOptions = {}): SessionWindowSpec {
  return { kind: 'session', gap, grace: options.grace };
}
