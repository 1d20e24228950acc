import { DurationError, quote } from './errors';

/**
 * A duration: milliseconds as a number, or a string such as `'500ms'`, `'30s'`, `'1m'`, `'5m'`, `'1h'`, `'1d'`.
 *
 * @example
 * parseDuration('5m') // 300000
 */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parse a {@link Duration} into whole milliseconds; throws {@link DurationError} naming the value. */
export function parseDuration(value: Duration | string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || !Number.isInteger(value)) {
      throw new DurationError(`expected a whole number of milliseconds, got ${quote(value)}`);
    }
    return value;
  }
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(String(value));
  if (!match) {
    throw new DurationError(`expected a duration like '30s', '1m', '5m', '1h' or milliseconds, got ${quote(value)}`);
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (!Number.isInteger(ms)) throw new DurationError(`duration ${quote(value)} is not a whole number of milliseconds`);
  return ms;
}

/** Format milliseconds back into the shortest exact duration string (`300000` → `'5m'`). */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
    ['s', UNIT_MS.s],
  ] as const) {
    if (ms !== 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
