import { describe, expect, it } from 'vitest';
import { pipelineWatermark } from '../../../lambdas/state/watermark';

const cp = (sourceId: string, streamTime: number, updatedAt: number, lastValidAt: number | undefined = updatedAt) => ({
  sourceId,
  sequence: '1',
  streamTime,
  updatedAt,
  epoch: 0,
  ...(lastValidAt !== undefined ? { lastValidAt } : {}),
});

describe('pipelineWatermark', () => {
  it('is the minimum stream time of the sources that are not idle', () => {
    const w = pipelineWatermark(
      [cp('a', 5_000, 100_000), cp('b', 3_000, 95_000), cp('c', 1_000, 10_000)],
      100_000,
      60_000,
    );
    expect(w).toEqual({ watermark: 3_000, mode: 'active', activeSources: ['a', 'b'], idleSources: ['c'] });
  });

  it('advances with wall-clock time since the last checkpoint when every source is idle', () => {
    const w = pipelineWatermark([cp('a', 5_000, 20_000), cp('b', 9_000, 30_000)], 200_000, 60_000);
    expect(w.mode).toBe('idle');
    expect(w.watermark).toBe(9_000 + (200_000 - 30_000));
  });

  // Issue 10, hole 7: one malformed record a minute kept a shard "active" with stream time −∞, holding the pipeline
  // watermark at −∞ so that nothing finalized when traffic stopped.
  it('does not let a source that only ever received invalid records hold the watermark back', () => {
    const garbageOnly = cp('g', -1, 99_000, undefined);
    const w = pipelineWatermark([cp('a', 5_000, 99_000), garbageOnly], 100_000, 60_000);
    expect(w).toMatchObject({ watermark: 5_000, mode: 'active', idleSources: ['g'] });
  });

  it('judges idleness on the last valid record, not on the last checkpoint write', () => {
    // Source b still gets a malformed record every few seconds (its checkpoint moves), but no valid one since 20 s.
    const w = pipelineWatermark([cp('a', 5_000, 99_000), cp('b', 1_000, 99_500, 20_000)], 100_000, 60_000);
    expect(w).toMatchObject({ watermark: 5_000, activeSources: ['a'], idleSources: ['b'] });
  });

  it('reads a negative stored stream time as none yet, and has no watermark without checkpoints', () => {
    expect(pipelineWatermark([cp('a', -1, 100)], 100, 60_000).watermark).toBe(Number.NEGATIVE_INFINITY);
    expect(pipelineWatermark([], 100, 60_000)).toMatchObject({ mode: 'none', watermark: Number.NEGATIVE_INFINITY });
  });
});
