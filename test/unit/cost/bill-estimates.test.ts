import { describe, expect, it } from 'vitest';
import { managedFlinkEstimate, nativeTumblingEstimate } from '../../../bench/bill-estimates';
import { HOURS_PER_MONTH, type MeterLine, PRICES, priceOf, summarizeBill } from '../../../local/cost/index';

const lines: MeterLine[] = [
  { component: 'producer', service: 'kinesis', detail: 'events', counters: { records: 1000, ingestKb: 1000 } },
  { component: 'processor', service: 'kinesis', detail: 'events', counters: { retrievalKb: 1000 } },
  { component: 'processor', service: 'lambda', detail: '1024 MB', counters: { invocations: 2, gbSeconds: 0.2 } },
  { component: 'processor', service: 'dynamodb', detail: 'state', counters: { writeUnits: 600, readUnits: 100 } },
  { component: 'emitter', service: 'lambda', detail: '512 MB', counters: { invocations: 10, gbSeconds: 0.5 } },
  { component: 'emitter', service: 'firehose', detail: 'results', counters: { billedKb: 500 } },
  { component: 'closer', service: 'dynamodb', detail: 'state', counters: { writeUnits: 300 } },
];

describe('nativeTumblingEstimate', () => {
  const estimate = nativeTumblingEstimate(
    { lines, events: 1000, windowSeconds: 60, memoryMb: 1024, finalInvocationMs: 5 },
    () => 2,
  );

  it('keeps the processor and the sinks and drops DynamoDB, the emitter and the closer', () => {
    const kept = lines.filter(
      (l) => l.service !== 'dynamodb' && !(l.service === 'lambda' && l.component !== 'processor'),
    );
    expect(estimate.usdPerMillionEvents).toBeCloseTo(summarizeBill(kept, 1000).usdPerMillionEvents, 3);
    expect(estimate.usdPerMillionEvents).toBeLessThan(summarizeBill(lines, 1000).usdPerMillionEvents);
  });

  it('adds one final invocation per shard per window to the month', () => {
    const perEvent = (estimate.usdPerMillionEvents * 2000 * 3600 * HOURS_PER_MONTH) / 1e6;
    const finals = 2 * 60 * HOURS_PER_MONTH;
    const expected =
      perEvent +
      priceOf(PRICES.kinesisOnDemandStreamHour, HOURS_PER_MONTH) +
      priceOf(PRICES.lambdaRequest, finals) +
      priceOf(PRICES.lambdaArmGbSecond, (finals * 5 * 1024) / 1024 / 1000);
    expect(estimate.usdPerMonth.at2000PerSecond).toBeCloseTo(expected, 0);
    expect(estimate.cannot).toMatch(/at least once/);
  });
});

describe('managedFlinkEstimate', () => {
  const estimate = managedFlinkEstimate({ lines, events: 1000, eventsPerSecondPerKpu: 5000 });

  it('sizes KPUs from the rate, plus the orchestration KPU', () => {
    expect(estimate.kpus).toEqual({ at2000PerSecond: 2, at50000PerSecond: 11 });
  });

  it('bills every KPU for the whole month with its running storage', () => {
    const streamAndSinks = summarizeBill(
      lines.filter((l) => l.service === 'kinesis' || l.service === 'firehose'),
      1000,
    );
    const events = 50_000 * 3600 * HOURS_PER_MONTH;
    const expected =
      (streamAndSinks.usdPerMillionEvents * events) / 1e6 +
      priceOf(PRICES.kinesisOnDemandStreamHour, HOURS_PER_MONTH) +
      priceOf(PRICES.flinkKpuHour, 11 * HOURS_PER_MONTH) +
      11 * 50 * 0.1;
    expect(estimate.usdPerMonth.at50000PerSecond).toBeCloseTo(expected, 0);
    expect(estimate.formula).toContain('5000 events/s per KPU');
  });
});
