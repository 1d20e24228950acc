import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyRecords,
  cloneState,
  emptyState,
  isEmptyState,
  layoutOf,
  parseState,
  StateFormatError,
  serializeState,
} from '../../../core';
import { StoredStateFormatError } from '../../../lambdas/processor/errors';
import { readStoredValue, toStoredValue } from '../../../lambdas/processor/stored-state';
import { referenceRun } from '../support/reference';
import { batchRun, engineRun, storedRoundTrip } from '../support/run';
import {
  sessionWindowArb,
  streamArb,
  type TestAlert,
  testPipeline,
  timedWindowArb,
  type WindowDef,
} from '../support/streams';

const alerts: Record<string, TestAlert> = {
  busy: { window: 'tumble', when: (a) => a.n > 2 },
  'odd-session': { window: 'sess', when: (a) => a.n >= 2 && Math.abs(a.total % 2) === 1 },
};

const windowsArb = fc.tuple(timedWindowArb(10, 10), timedWindowArb(20, 10), sessionWindowArb()).map(
  ([t, h, s]): Record<string, WindowDef> => ({
    tumble: { ...t, kind: 'tumbling', advance: t.size },
    hop: h,
    sess: s,
  }),
);

const cutsArb = fc.array(fc.nat({ max: 60 }), { maxLength: 4 });

describe('state serialization round trip', () => {
  it('applying a stream in batches with a JSON round trip of every state between them equals applying it at once', () => {
    fc.assert(
      fc.property(windowsArb, streamArb({ keys: 3, maxEvents: 60 }), cutsArb, (windows, events, cuts) => {
        const pipeline = testPipeline(windows, { alerts });
        const atOnce = batchRun(pipeline, events, { cuts: [], roundTrip: false });
        expect(batchRun(pipeline, events, { cuts, roundTrip: true })).toEqual(atOnce);
        // ...and both equal the one-line-at-a-time replay and the reference.
        expect(engineRun(pipeline, events)).toEqual(atOnce);
        expect(atOnce).toEqual(referenceRun(windows, events, { alerts }));
      }),
      { numRuns: 100 },
    );
  });

  it('holds for keys read from several sources (closed, not yet final windows are in the state)', () => {
    fc.assert(
      fc.property(
        timedWindowArb(10, 10),
        timedWindowArb(20, 10),
        streamArb({ keys: 2, partitions: 3, maxEvents: 60, maxLag: 30 }),
        cutsArb,
        (t, h, events, cuts) => {
          const windows: Record<string, WindowDef> = { tumble: { ...t, kind: 'tumbling', advance: t.size }, hop: h };
          const pipeline = testPipeline(windows, { partitionByP: true, alerts: { busy: alerts.busy! } });
          const sourceOf = (e: { p: string }) => Number(e.p.slice(1));
          const options = { sourceOf, sources: 3 };
          const atOnce = batchRun(pipeline, events, { ...options, cuts: [], roundTrip: false });
          expect(batchRun(pipeline, events, { ...options, cuts, roundTrip: true })).toEqual(atOnce);
          expect(atOnce).toEqual(referenceRun(windows, events, { sourceOf, alerts: { busy: alerts.busy! } }));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('serializeState/parseState keep −∞ stream time and reject what the engine does not write', () => {
    const empty = emptyState();
    expect(parseState(serializeState(empty))).toEqual(empty);
    expect(parseState(serializeState(empty)).m).toBe(Number.NEGATIVE_INFINITY);
    expect(isEmptyState(cloneState(empty))).toBe(true);
    for (const bad of ['', 'nope', 'null', '[]', '{"m":1}', '{"m":"x","s":{}}', '{"s":null,"m":1}']) {
      expect(() => parseState(bad), bad).toThrow(StateFormatError);
    }
  });

  it('the processor stores and reads a key state with the same codec (+∞ stream time included)', () => {
    const flushed = { m: Number.POSITIVE_INFINITY, s: {}, z: 5 };
    expect(serializeState(flushed)).toBe('{"m":"Infinity","s":{},"z":5}');
    expect(storedRoundTrip('a', flushed)).toEqual(flushed);
    expect(storedRoundTrip('a', emptyState())).toEqual(emptyState());
    const stored = readStoredValue('a', JSON.parse(JSON.stringify(toStoredValue(flushed, [], []))));
    expect(stored.k.m).toBe(Number.POSITIVE_INFINITY);
    expect(() => readStoredValue('a', { k: { m: 'x', s: {} } })).toThrow(StoredStateFormatError);
  });

  it('a state after some records survives cloneState and keeps producing the same outcome', () => {
    const windows: Record<string, WindowDef> = {
      tumble: { kind: 'tumbling', size: 10, advance: 10, grace: 5 },
      sess: { kind: 'session', gap: 5, grace: 5 },
    };
    const layout = layoutOf(testPipeline(windows));
    const record = (t: number, streamTime = t) => ({
      event: { id: `e${t}`, k: 'a', p: 'p', t, v: 1 },
      time: t,
      streamTime,
    });
    const first = applyRecords(layout, 'a', undefined, [record(1), record(12), record(3, 12)]);
    const copy = cloneState(first.state);
    expect(copy).toEqual(first.state);
    const next = [record(14), record(30)];
    const a = applyRecords(layout, 'a', first.state, next, { watermark: 30 });
    const b = applyRecords(layout, 'a', copy, next, { watermark: 30 });
    expect(b).toEqual(a);
    // Session [1,1] closed at stream time 12 (1 + 5 + 5 < 12), so 3 started a new session [3,3].
    expect(a.results.map((r) => [r.window, r.start, (r.values as { n: number }).n])).toEqual([
      ['sess', 1, 1],
      ['sess', 3, 1],
      ['tumble', 0, 2],
      ['sess', 12, 2],
      ['tumble', 10, 2],
    ]);
  });
});
