import { InvalidArgumentError } from 'commander';
import { parseIsoTime } from '../../core';

/** Commander argument parser for a positive integer (`--shards 4`); a bad value is a usage error (exit code 2). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Commander argument parser for an integer (`--seed -3`). */
export function integer(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected an integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Commander argument parser for a strict ISO-8601 time (`--arrived-by 2026-01-01T00:00:00Z`), as epoch ms. */
export function isoTime(value: string): number {
  const ms = parseIsoTime(value.trim());
  if (!Number.isFinite(ms)) {
    throw new InvalidArgumentError(
      `expected an ISO-8601 date or date-time with Z or an offset (2026-01-01T00:00:00Z), got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}
