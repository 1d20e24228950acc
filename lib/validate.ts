/**
 * Synth-time checks of construct props, in one place: each names the setting, quotes the bad value and says what
 * would be accepted ({@link SettingError}). A value that is an unresolved token (known only at deploy time) is not
 * checked: CloudFormation or the service refuses it then.
 */
import { type Duration, Token } from 'aws-cdk-lib';
import { SettingError } from '../core/errors';

/** A unit a duration setting is checked (and quoted) in. */
export type DurationUnit = 'seconds' | 'minutes' | 'hours' | 'days';

/** Bounds of a duration setting, in its unit. */
export interface DurationRange {
  /** Smallest accepted amount. */
  readonly min: number;
  /**
   * Largest accepted amount.
   * @default - no upper bound
   */
  readonly max?: number;
  /**
   * Only whole amounts of the unit are accepted.
   * @default false
   */
  readonly whole?: boolean;
}

/**
 * `value` when it is an integer from `min` to `max` (or an unresolved token).
 * @param expected - what the message says would be accepted. @default `an integer from <min> to <max>`
 * @throws SettingError naming `setting` and quoting `value` otherwise.
 */
export function checkInteger(
  setting: string,
  value: number,
  min: number,
  max: number,
  expected = `an integer from ${min} to ${max}`,
): number {
  if (Token.isUnresolved(value)) return value;
  if (!Number.isInteger(value) || value < min || value > max) throw new SettingError(setting, value, expected);
  return value;
}

/**
 * `value` when it is within `range`, in `unit` (or an unresolved token).
 * @throws SettingError naming `setting` and quoting the value in `unit` (e.g. `"90 seconds"`) otherwise.
 */
export function checkDuration(
  setting: string,
  value: Duration,
  unit: DurationUnit,
  range: DurationRange,
  expected: string,
): Duration {
  if (value.isUnresolved()) return value;
  const amount = inUnit(value, unit);
  const inRange = amount >= range.min && amount <= (range.max ?? Number.POSITIVE_INFINITY);
  if (!inRange || (range.whole && !Number.isInteger(amount))) {
    throw new SettingError(setting, `${amount} ${unit}`, expected);
  }
  return value;
}

/** `value` in `unit`, fractions kept. */
export function inUnit(value: Duration, unit: DurationUnit): number {
  const options = { integral: false };
  switch (unit) {
    case 'seconds':
      return value.toSeconds(options);
    case 'minutes':
      return value.toMinutes(options);
    case 'hours':
      return value.toHours(options);
    case 'days':
      return value.toDays(options);
  }
}

/**
 * A Firehose buffering interval as whole seconds (0-900).
 * @throws SettingError naming `setting` and quoting the value otherwise.
 */
export function bufferingSeconds(setting: string, interval: Duration): number {
  checkDuration(
    setting,
    interval,
    'seconds',
    { min: 0, max: 900, whole: true },
    'a whole number of seconds from 0 to 900',
  );
  return interval.toSeconds();
}
