import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resultSortKey } from '../../../lambdas/emitter/result-items';
import { alertId, chunk, resultId, timestreamRecord } from '../../../lambdas/sinks/index';

const KEY = new Uint8Array(32).fill(1);
const OTHER_KEY = new Uint8Array(32).fill(2);

describe('emitted message ids', () => {
  it('are deterministic under one id key and differ by every part', () => {
    const a = alertId(KEY, 'clickstream', 'potential-bot', 'perMinute', 'u1', 60_000);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(alertId(KEY, 'clickstream', 'potential-bot', 'perMinute', 'u1', 60_000)).toBe(a);
    expect(alertId(KEY, 'clickstream', 'potential-bot', 'perMinute', 'u1', 120_000)).not.toBe(a);
    expect(alertId(KEY, 'clickstream', 'potential-bot', 'perMinute', 'u2', 60_000)).not.toBe(a);
    expect(resultId(KEY, 'clickstream', 'perMinute', 'u1', 60_000)).not.toBe(a);
    expect(resultId(KEY, 'clickstream', 'perMinute', 'u1', 60_000)).not.toBe(
      resultId(KEY, 'other', 'perMinute', 'u1', 60_000),
    );
  });

  it('are keyed hashes: another key gives other ids, and the plain hash of the parts is not the id', () => {
    const parts = ['clickstream', 'alert', 'potential-bot', 'perMinute', 'u1', 60_000] as const;
    const a = alertId(KEY, 'clickstream', 'potential-bot', 'perMinute', 'u1', 60_000);
    expect(alertId(OTHER_KEY, 'clickstream', 'potential-bot', 'perMinute', 'u1', 60_000)).not.toBe(a);
    expect(a).not.toBe(createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32));
    expect(resultId(OTHER_KEY, 'clickstream', 'perMinute', 'u1', 60_000)).not.toBe(
      resultId(KEY, 'clickstream', 'perMinute', 'u1', 60_000),
    );
  });

  it('refuse a missing or short id key', () => {
    expect(() => resultId(new Uint8Array(8), 'clickstream', 'perMinute', 'u1', 0)).toThrow(/at least 16 bytes, got 8/);
    expect(() => alertId(undefined as never, 'clickstream', 'a', 'perMinute', 'u1', 0)).toThrow(/id key/);
  });

  it('result sort keys order by start within a window', () => {
    expect(resultSortKey('perMinute', 60_000) < resultSortKey('perMinute', 600_000)).toBe(true);
    expect(resultSortKey('perMinute', 1_700_000_000_000)).toBe('r#perMinute#0001700000000000');
  });

  it('chunks by entries and bytes, a large item alone', () => {
    expect(chunk([1, 2, 3, 4, 5], 2, 100, () => 1)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([5, 50, 60, 5], 10, 100, (n) => n)).toEqual([
      [5, 50],
      [60, 5],
    ]);
    expect(chunk([500, 1], 10, 100, (n) => n)).toEqual([[500], [1]]);
  });

  it('a Timestream record is multi-measure, versioned, timed at the window start', () => {
    const record = timestreamRecord({
      kind: 'result',
      id: 'x',
      pipeline: 'p',
      window: 'w',
      key: 'k',
      start: 60_000,
      end: 120_000,
      values: { events: 3, types: ['a'], none: null, ok: true },
    });
    expect(record).toMatchObject({ Time: '60000', TimeUnit: 'MILLISECONDS', MeasureValueType: 'MULTI', Version: 1 });
    expect(record.MeasureValues).toEqual([
      { Name: 'window_end', Value: '120000', Type: 'BIGINT' },
      { Name: 'events', Value: '3', Type: 'DOUBLE' },
      { Name: 'types', Value: '["a"]', Type: 'VARCHAR' },
      { Name: 'ok', Value: 'true', Type: 'BOOLEAN' },
    ]);
  });
});
