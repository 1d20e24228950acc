/** lib/validate.ts: the constructs' integer and duration checks, token-aware, failing with core's SettingError. */
import { Duration, Lazy, Token } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { StreamfoldError } from '../../core/errors';
import { bufferingSeconds, checkDuration, checkInteger, SettingError } from '../../lib';

describe('checkInteger', () => {
  it('returns an integer in range', () => {
    expect(checkInteger('batchSize', 500, 1, 10_000)).toBe(500);
  });

  it.each([0, 10_001, 1.5, Number.NaN])('fails if the value is %s, naming the setting and quoting it', (value) => {
    const check = () => checkInteger('batchSize', value, 1, 10_000);
    expect(check).toThrow(SettingError);
    expect(check).toThrow(`batchSize: expected an integer from 1 to 10000, got ${String(value)}`);
  });

  it('says what is expected when told', () => {
    expect(() => checkInteger('cutoff', 5, 10, Number.POSITIVE_INFINITY, 'at least 10')).toThrow(
      'cutoff: expected at least 10, got 5',
    );
  });

  it('skips an unresolved token (known at deploy time only)', () => {
    const token = Token.asNumber(Lazy.number({ produce: () => 0 }));
    expect(checkInteger('batchSize', token, 1, 10_000)).toBe(token);
  });

  it('fails with a StreamfoldError carrying the setting, the value and the code', () => {
    try {
      checkInteger('shardCount', 0, 1, 10);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(StreamfoldError);
      expect(error).toMatchObject({ setting: 'shardCount', value: 0, code: 'INVALID_SETTING' });
    }
  });
});

describe('checkDuration', () => {
  it('returns a duration in range', () => {
    const d = Duration.minutes(5);
    expect(checkDuration('closerInterval', d, 'minutes', { min: 1, max: 60, whole: true }, 'x')).toBe(d);
  });

  it('fails if out of range, quoting the amount in the unit', () => {
    expect(() => checkDuration('retention', Duration.hours(12), 'hours', { min: 24 }, 'at least 24 hours')).toThrow(
      'retention: expected at least 24 hours, got "12 hours"',
    );
  });

  it('fails if not whole when whole amounts are required', () => {
    const check = () =>
      checkDuration('closerInterval', Duration.seconds(90), 'minutes', { min: 1, max: 60, whole: true }, 'whole');
    expect(check).toThrow(SettingError);
    expect(check).toThrow('got "1.5 minutes"');
  });

  it('skips an unresolved token', () => {
    const d = Duration.seconds(Token.asNumber(Lazy.number({ produce: () => 5000 })));
    expect(checkDuration('timeout', d, 'seconds', { min: 1, max: 900 }, 'from 1 to 900 seconds')).toBe(d);
  });
});

describe('bufferingSeconds', () => {
  it('returns whole seconds from 0 to 900', () => {
    expect(bufferingSeconds('bufferingInterval', Duration.minutes(2))).toBe(120);
  });

  it('fails if over 900 seconds', () => {
    expect(() => bufferingSeconds('bufferingInterval', Duration.seconds(901))).toThrow(
      'bufferingInterval: expected a whole number of seconds from 0 to 900, got "901 seconds"',
    );
  });
});
