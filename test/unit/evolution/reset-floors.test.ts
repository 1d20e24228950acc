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
    // Through 30: w's [0, 10) was final (0 + 10 + 5 ≤ 30) and emitted; the session [2, 3] too (3 + 6 + 4 < 30). Result
    // ids are window, key and start: the floors are the starts.
    const st = stateAfter([2, 3], 30);
    expect(st.E).toEqual({ 0: 0, 1: 2 });
    expect(translateState(a.descriptor, b, st, 30).F).toEqual({ 0: 0, 1: 2 });
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
    // At 50, [30, 40) and the session [25, 31] (31 joined it: within the gap of 6) are emitted: E rises to their starts.
    expect(later(next, 50).E).toEqual({ 0: 30, 1: 25 });
  });

  it('keep covering what a window emitted when it is reset twice and the first floor was pruned in between (found by review)', () => {
    const one = (size: number, grace: number, reset?: number) =>
      layoutOf(
        definePipeline({
          ...base,
          windows: { w: tumbling(size, { grace }) },
          ...(reset ? { resets: { windows: { w: reset } } } : {}),
        }),
      );
    const [v1, v2, v3] = [one(10, 0), one(1, 0, 1), one(10, 100, 2)];
    const rec = (t: number, streamTime: number) => ({ event: { id: `r${t}`, k: 'k', t }, time: t, streamTime });
    // v1 emits [0, 10) through 10.
    const first = applyRecords(v1, 'k', undefined, [rec(5, 5), rec(7, 7), rec(10, 10)], { watermark: 10 });
    expect(first.results.map((r) => r.start)).toEqual([0]);
    // v2 (1 ms windows) prunes the floor of 0 at once: it is late by z under v2's shape.
    const second = applyRecords(v2, 'k', translateState(v1.descriptor, v2, first.state, 10), [rec(3, 10)], {
      watermark: 10,
    });
    expect(second.state.F).toBeUndefined();
    // v3's grace of 100 makes 6 on time by z; [0, 10) was emitted by v1 all the same.
    const third = applyRecords(v3, 'k', translateState(v2.descriptor, v3, second.state, 10), [rec(6, 10)], {
      watermark: 200,
    });
    expect(third.results.filter((r) => r.start === 0)).toEqual([]);
    expect(third.late.map((l) => [l.window, l.start])).toEqual([['w', 0]]);
  });

  it('of a state written before E existed cover only the windows it had (found by review)', () => {
    const withV = (grace: number, reset?: number) =>
      layoutOf(
        definePipeline({
          ...base,
          windows: { w: tumbling(10, { grace: 5 }), s: session(6, { grace: 4 }), v: tumbling(10, { grace }) },
          ...(reset ? { resets: { windows: { v: reset } } } : {}),
        }),
      );
    const [c, d] = [withV(5), withV(50, 1)];
    const legacy = stateAfter([25], 30);
    delete legacy.E;
    const translated = translateState(a.descriptor, c, legacy, 31);
    expect(translated.E).toEqual({ 0: 15, 1: 19 });
    const next = applyRecords(c, 'k', translated, [{ event: { id: 'e31', k: 'k', t: 31 }, time: 31, streamTime: 31 }], {
      watermark: 31,
    }).state;
    // v was added after z = 30 was set: it finalized nothing, so its reset refuses nothing.
    expect(next.E).toEqual({ 0: 15, 1: 19 });
    expect(translateState(c.descriptor, d, next, 31).F).toBeUndefined();
  });
});
