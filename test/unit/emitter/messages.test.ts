import { describe, expect, it } from 'vitest';
import { EMISSION_ENV, EMISSION_METRICS } from '../../../lambdas/emitter/env';
import { resultSortKey } from '../../../lambdas/emitter/result-items';
import { alertId, chunk, resultId, timestreamRecord } from '../../../lambdas/sinks/index';
import { EMISSION_ENV_NAMES, SINK_DELIVERY_FAILURES_METRIC } from '../../../lib/emission';

describe('emitted message ids', () => {
  it('are deterministic and differ by every part', () => {
    const a = alertId('clickstream', 'potential-bot', 'perMinute', 'u1', 60_000);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
    expect(alertId('clickstream', 'potential-bot', 'perMinute', 'u1', 60_000)).toBe(a);
    expect(alertId('clickstream', 'potential-bot', 'perMinute', 'u1', 120_000)).not.toBe(a);
    expect(alertId('clickstream', 'potential-bot', 'perMinute', 'u2', 60_000)).not.toBe(a);
    expect(resultId('clickstream', 'perMinute', 'u1', 60_000)).not.toBe(a);
    expect(resultId('clickstream', 'perMinute', 'u1', 60_000)).not.toBe(resultId('other', 'perMinute', 'u1', 60_000));
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

describe('names shared with the CDK construct', () => {
  it('lib/emission.ts mirrors the runtime constants', () => {
    expect(EMISSION_ENV_NAMES).toEqual(EMISSION_ENV);
    expect(SINK_DELIVERY_FAILURES_METRIC).toBe(EMISSION_METRICS.deliveryFailures);
  });
});
