import { describe, expect, it } from 'vitest';
import { pipelineWatermark } from '../../../lambdas/closer/watermark';

const cp = (sourceId: string, streamTime: number, updatedAt: number) => ({
  sourceId,
  sequence: '1',
  streamTime,
  updatedAt,
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

  it('reads a negative stored stream time as none yet, and has no watermark without checkpoints', () => {
    expect(pipelineWatermark([cp('a', -1, 100)], 100, 60_000).watermark).toBe(Number.NEGATIVE_INFINITY);
    expect(pipelineWatermark([], 100, 60_000)).toMatchObject({ mode: 'none', watermark: Number.NEGATIVE_INFINITY });
  });
});
