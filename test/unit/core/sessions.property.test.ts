import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceRun } from '../support/reference';
import { engineRun } from '../support/run';
import {
  type SessionWindowDef,
  sessionWindowArb,
  streamArb,
  type TestEvent,
  testPipeline,
  timedWindowArb,
} from '../support/streams';

const ev = (i: number, t: number, k = 'a'): TestEvent => ({ id: `e${i}`, k, p: 'p', t, v: 1 });

describe('session windows against a direct incremental reference', () => {
  it('merge, close and drop late records like the reference (one key)', () => {
    fc.assert(
      fc.property(sessionWindowArb(), streamArb({ maxEvents: 40, maxStep: 8 }), (def, events) => {
        const windows = { s: def };
        expect(engineRun(testPipeline(windows), events)).toEqual(referenceRun(windows, events));
      }),
      { numRuns: 200 },
    );
  });

  it('equal the reference with several keys and a tumbling window beside them', () => {
    fc.assert(
      fc.property(
        sessionWindowArb(),
        timedWindowArb(),
        streamArb({ keys: 3, maxEvents: 50, maxStep: 8 }),
        (s, t, events) => {
          const windows = { sess: s, timed: t };
          expect(engineRun(testPipeline(windows), events)).toEqual(referenceRun(windows, events));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('merges events within the gap (inclusive) and bridges two sessions', () => {
    const windows = { s: { kind: 'session', gap: 10, grace: 100 } as SessionWindowDef };
    const events = [ev(0, 0), ev(1, 30), ev(2, 10), ev(3, 20), ev(4, 41)];
    const out = engineRun(testPipeline(windows), events);
    // 0 and 10 are exactly `gap` apart (merge); 20 bridges [0,10] and [30,30]; 41 is 11 after 30 (new session).
    expect(out.results.map((r) => [r.start, r.end, r.values.ids])).toEqual([
      [0, 30, ['e0', 'e1', 'e2', 'e3']],
      [41, 41, ['e4']],
    ]);
    expect(out).toEqual(referenceRun(windows, events));
  });

  it('drops a record late when its own time + gap + grace < stream time, also next to a live session', () => {
    const windows = { s: { kind: 'session', gap: 10, grace: 5 } as SessionWindowDef };
    // Stream time 100. Alone, a record at 84 is late (84 + 15 < 100) and one at 85 is on time (85 + 15 = 100).
    // A record at 80 within gap of the open session [90, 100] is late too (stricter than Kafka's merged-session rule,
    // which would let it join): an old record never reaches back into a live session, so late stays late and a
    // dedupe claim can be forgotten for good.
    const events = [
      ev(0, 100),
      ev(1, 85),
      ev(2, 84, 'b'),
      ev(3, 90, 'c'),
      ev(4, 100, 'c'),
      ev(5, 80, 'c'),
      ev(6, 80, 'd'),
    ];
    const out = engineRun(testPipeline(windows), events);
    expect(out.late).toEqual([
      { line: 3, window: 's', start: 84, end: 84 },
      { line: 6, window: 's', start: 80, end: 80 },
      { line: 7, window: 's', start: 80, end: 80 },
    ]);
    expect(out.results.map((r) => [r.key, r.start, r.end, r.values.ids])).toEqual([
      ['a', 85, 85, ['e1']],
      ['a', 100, 100, ['e0']],
      ['c', 90, 100, ['e3', 'e4']],
    ]);
    expect(out).toEqual(referenceRun(windows, events));
  });

  it('never reopens a closed session: an on-time event within gap of it starts a new one', () => {
    const windows = { s: { kind: 'session', gap: 10, grace: 0 } as SessionWindowDef };
    // [0,0] closes once stream time passes 10 (0 + 10 + 0 < 15); 8 is within the gap of 0 but is itself on time
    // only if 8 + 10 ≥ stream time, so give it a stream time of 15 from another key... same source: 8 + 10 = 18 ≥ 15.
    const events = [ev(0, 0), ev(1, 15, 'b'), ev(2, 8)];
    const out = engineRun(testPipeline(windows), events);
    expect(out.late).toEqual([]);
    expect(out.results.filter((r) => r.key === 'a').map((r) => [r.start, r.end, r.values.ids])).toEqual([
      [0, 0, ['e0']],
      [8, 8, ['e2']],
    ]);
    expect(out).toEqual(referenceRun(windows, events));
  });
});
