import { describe, expect, it } from 'vitest';
import { BILL_WORKLOAD, billWorkloadFromEnv } from '../../../bench/bill';

describe('cost bench workload', () => {
  it('takes longer runs from BENCH_COST_EVENTS / BENCH_COST_WARMUP', () => {
    expect(billWorkloadFromEnv({})).toEqual(BILL_WORKLOAD);
    expect(billWorkloadFromEnv({ BENCH_COST_EVENTS: '50000', BENCH_COST_WARMUP: '9000' })).toMatchObject({
      events: 50_000,
      warmupEvents: 9000,
      baselineSampleEvents: BILL_WORKLOAD.baselineSampleEvents,
    });
    expect(billWorkloadFromEnv({ BENCH_COST_BATCH: '3000' })).toEqual({ ...BILL_WORKLOAD, batchSize: 3000 });
    expect(BILL_WORKLOAD.dedupe).toBe(true);
    expect(billWorkloadFromEnv({ BENCH_COST_DEDUPE: 'off' })).toEqual({ ...BILL_WORKLOAD, dedupe: false });
    expect(billWorkloadFromEnv({ BENCH_COST_DEDUPE: 'on' }).dedupe).toBe(true);
    // The baselines never sample more events than the run has.
    expect(billWorkloadFromEnv({ BENCH_COST_EVENTS: '100' }).baselineSampleEvents).toBe(100);
  });

  it('refuses a bad setting, naming it and quoting the value', () => {
    expect(() => billWorkloadFromEnv({ BENCH_COST_EVENTS: '1e3.5' })).toThrow(
      'BENCH_COST_EVENTS must be a positive integer, got "1e3.5"',
    );
    expect(() => billWorkloadFromEnv({ BENCH_COST_WARMUP: '0' })).toThrow('BENCH_COST_WARMUP');
    expect(() => billWorkloadFromEnv({ BENCH_COST_BATCH: '-100' })).toThrow(
      'BENCH_COST_BATCH must be a positive integer, got "-100"',
    );
    expect(() => billWorkloadFromEnv({ BENCH_COST_DEDUPE: 'false' })).toThrow(
      'BENCH_COST_DEDUPE must be on or off, got "false"',
    );
  });
});
