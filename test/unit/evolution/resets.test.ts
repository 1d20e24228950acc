import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { count, DefinitionError, definePipeline, layoutOf, sum, tumbling } from '../../../core';

const base = {
  name: 'resets',
  schema: z.object({ id: z.string(), k: z.string(), t: z.number(), v: z.number() }),
  key: 'k' as const,
  time: 't' as const,
  windows: { w: tumbling('1m'), x: tumbling('5m') },
  aggregates: { n: count(), total: sum((e: { v: number }) => e.v) },
};

describe('resets (declared reset generations)', () => {
  it('changes the fingerprint of exactly the window or aggregate it names', () => {
    const plain = layoutOf(definePipeline(base)).descriptor;
    const reset = layoutOf(
      definePipeline({ ...base, resets: { windows: { w: 1 }, aggregates: { total: 2 } } }),
    ).descriptor;
    expect(
      reset.windows.map((w) => w.fingerprint === plain.windows.find((p) => p.name === w.name)!.fingerprint),
    ).toEqual([false, true]);
    expect(
      reset.aggregates.map((a) => [
        a.name,
        a.reset,
        a.fingerprint !== plain.aggregates.find((p) => p.name === a.name)!.fingerprint,
      ]),
    ).toEqual([
      ['n', 0, false],
      ['total', 2, true],
    ]);
    expect(reset.fingerprint).not.toBe(plain.fingerprint);
  });

  it.each([
    [{ windows: { nope: 1 } }, 'resets.windows.nope', /unknown window "nope"; defined: w, x/],
    [{ aggregates: { n: 0 } }, 'resets.aggregates.n', /expected a reset generation .* got 0/],
    [{ aggregates: { n: 1.5 } }, 'resets.aggregates.n', /got 1.5/],
    [{ windows: [] }, 'resets.windows', /expected an object of reset generations by name/],
    [{ alerts: {} }, 'resets.alerts', /expected 'windows' or 'aggregates'/],
    ['all', 'resets', /expected \{ windows\?: \{\.\.\.\}, aggregates\?: \{\.\.\.\} \}, got "all"/],
  ])('fails if %o', (resets, setting, message) => {
    const define = () => definePipeline({ ...base, resets: resets as never });
    expect(define).toThrow(DefinitionError);
    expect(define).toThrow(message);
    try {
      define();
    } catch (error) {
      expect((error as DefinitionError).setting).toBe(setting);
    }
  });
});
