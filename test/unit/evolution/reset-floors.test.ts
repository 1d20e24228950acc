import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  applyRecords,
  count,
  definePipeline,
  type KeyState,
  layoutOf,
  session,
  translateState,
  tumbling,
} from '../../../core';

const schema = z.object({ id: z.string(), k: z.string(), t: z.number() });
const base = { name: 'floors', schema, key: 'k' as const, time: 't' as const, aggregates: { n: count() } };
const A = definePipeline({ ...base, windows: { w: tumbling(10, { grace: 5 }), s: session(6, { grace: 4 }) } });
const B = definePipeline({
  ...base,
  windows: { w: tumbling(10, { grace: 7 }), s: session(7, { grace: 4 }) },
  resets: { windows: { w: 1, s: 1 } },
});
const a = layoutOf(A);
const b = layoutOf(B);

/** A key's state after records at `times`, applied at once with the watermark given. */
function stateAfter(times: readonly number[], watermark: number): KeyState {
  const records = times.map((t, i) => ({ event: { id: `e${i}`, k: 'k', t }, time: t, streamTime: t }));
  return applyRecords(a, 'k', undefined, records, { watermark }).state;
}

describe('reset floors (a reset window never reopens an instance whose result was emitted)', () => {
  it('come from the instances the key finalized (KeyState.E), not from how far it was finalized', () => {
    // Through 30: w's [0, 10) was final (0 + 10 + 5 ≤ 30) and emitted; the session [2, 3] too (3 + 6 + 4 < 30).
    const st = stateAfter([2, 3], 30);
    expect(st.E).toEqual({ 0: 0, 1: 3 });
    expect(translateState(a.descriptor, b, st, 30).F).toEqual({ 0: 0, 1: 3 });
    // Finalized through 30 with nothing emitted: nothing to refuse, wherever z stands.
    const quiet = stateAfter([25], 30);
    expect(quiet.E).toEqual({});
    expect(translateState(a.descriptor, b, quiet, 30).F).toBeUndefined();
  });

  it('fall back to what the mark z allows for a state written before E existed, and E starts there', () => {
    const legacy = stateAfter([25], 30);
    delete legacy.E;
    // z = 30: timed instances starting at or before 30 − 15, sessions ending at or before 30 − 10 − 1 may be final.
    expect(translateState(a.descriptor, b, legacy, 30).F).toEqual({ 0: 15, 1: 19 });
    // Finalized again at 31, emitting nothing: E starts from what z = 30 allowed, so the floors stay.
    const later = (st: KeyState, t: number) =>
      applyRecords(a, 'k', st, [{ event: { id: `e${t}`, k: 'k', t }, time: t, streamTime: t }], { watermark: t }).state;
    const next = later(legacy, 31);
    expect(next.E).toEqual({ 0: 15, 1: 19 });
    expect(translateState(a.descriptor, b, next, 31).F).toEqual({ 0: 15, 1: 19 });
    // At 50, [30, 40) and the session [25, 31] (31 joined it: within the gap of 6) are emitted: E rises to them.
    expect(later(next, 50).E).toEqual({ 0: 30, 1: 31 });
  });
});
