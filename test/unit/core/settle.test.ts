import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { allSettledOrThrow } from '../../../core/settle';

describe('allSettledOrThrow', () => {
  it('resolves with every value in input order', async () => {
    expect(await allSettledOrThrow([sleep(20).then(() => 'a'), Promise.resolve('b')])).toEqual(['a', 'b']);
  });

  it('rejects with the first rejection in input order, and only once every promise has settled', async () => {
    let slowDone = false;
    const slow = sleep(40).then(() => {
      slowDone = true;
    });
    const early = Promise.reject(new Error('first'));
    const late = sleep(10).then(() => Promise.reject(new Error('second')));
    await expect(allSettledOrThrow([slow, early, late])).rejects.toThrow('first');
    expect(slowDone).toBe(true);
  });
});
