import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replay } from '../../../core';
import { clickstream } from '../../../pipelines/clickstream';
import { byLineWindowStart, containingStarts, referenceRun } from '../support/reference';
import { engineRun } from '../support/run';
import { streamArb, type TestEvent, type TimedWindowDef, testPipeline, timedWindowArb } from '../support/streams';

/**
 * Every (event, window instance containing its time) pair is either counted in that instance's result or reported
 * late, never both, and nothing else is counted or reported.
 */
function expectExactPlacement(windows: Record<string, TimedWindowDef>, events: TestEvent[]) {
  const out = engineRun(testPipeline(windows), events);
  const placed = new Set<string>();
  for (const r of out.results) for (const id of r.values.ids) placed.add(`${id}|${r.window}|${r.key}|${r.start}`);
  const late = new Set(out.late.map((l) => `e${l.line - 1}|${l.window}|${l.start}`));
  const expected = new Set<string>();
  events.forEach((e) => {
    for (const [name, def] of Object.entries(windows)) {
      for (const start of containingStarts(def.size, def.advance, e.t)) {
        const pair = `${e.id}|${name}|${start}`;
        if (late.has(pair)) late.delete(pair);
        else expected.add(`${e.id}|${name}|${e.k}|${start}`);
      }
    }
  });
  expect(late).toEqual(new Set());
  expect(placed).toEqual(expected);
}

describe('tumbling and hopping windows against a direct per-window reference', () => {
  it('puts each on-time event in exactly the windows that contain its time (one window, random size/advance/grace)', () => {
    fc.assert(
      fc.property(timedWindowArb(), streamArb({ maxEvents: 40 }), (def, events) => {
        expectExactPlacement({ w: def }, events);
      }),
      { numRuns: 200 },
    );
  });

  it('equals the reference, lateness included, for one window and one key', () => {
    fc.assert(
      fc.property(timedWindowArb(), streamArb({ maxEvents: 40 }), (def, events) => {
        const windows = { w: def };
        expect(engineRun(testPipeline(windows), events)).toEqual(referenceRun(windows, events));
      }),
      { numRuns: 200 },
    );
  });

  it('slice-based tumbling + hopping windows sharing slices equal the reference, several keys', () => {
    fc.assert(
      fc.property(
        timedWindowArb(12, 10),
        timedWindowArb(24, 20),
        timedWindowArb(24, 20),
        streamArb({ keys: 3, maxEvents: 50, maxLag: 30 }),
        (a, b, c, events) => {
          // One tumbling window always, so tumbling and hopping windows share slices (gcd of all sizes/advances).
          const windows = { tumble: { ...a, kind: 'tumbling' as const, advance: a.size }, hopA: b, hopB: c };
          expect(engineRun(testPipeline(windows), events)).toEqual(referenceRun(windows, events));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('counts a record late for an older hopping window but on time for a newer one only in the newer one', () => {
    // hopping 10 every 5, no grace: [0,10) closes at stream time 10, [5,15) at 15.
    const windows = { hop: { kind: 'hopping', size: 10, advance: 5, grace: 0 } as const };
    const events: TestEvent[] = [
      { id: 'e0', k: 'a', p: 'p', t: 1, v: 1 },
      { id: 'e1', k: 'a', p: 'p', t: 12, v: 1 },
      { id: 'e2', k: 'a', p: 'p', t: 7, v: 1 }, // late for [0,10), on time for [5,15)
    ];
    const out = engineRun(testPipeline(windows), events);
    expect(out.late).toEqual([{ line: 3, window: 'hop', start: 0, end: 10 }]);
    expect(out.results.map((r) => [r.start, r.values.ids])).toEqual([
      [-5, ['e0']],
      [0, ['e0']],
      [5, ['e1', 'e2']],
      [10, ['e1']],
    ]);
    expect(out).toEqual(referenceRun(windows, events));
  });

  it('treats a record at exactly end + grace as late (Kafka: end + grace ≤ stream time)', () => {
    const windows = { t: { kind: 'tumbling', size: 10, advance: 10, grace: 5 } as const };
    const events: TestEvent[] = [
      { id: 'e0', k: 'a', p: 'p', t: 14, v: 1 },
      { id: 'e1', k: 'a', p: 'p', t: 9, v: 1 }, // stream time 14 < 10 + 5: on time
      { id: 'e2', k: 'a', p: 'p', t: 15, v: 1 },
      { id: 'e3', k: 'a', p: 'p', t: 9, v: 1 }, // stream time 15 = 10 + 5: late
    ];
    const out = engineRun(testPipeline(windows), events);
    expect(out.late).toEqual([{ line: 4, window: 't', start: 0, end: 10 }]);
    expect(out.results.map((r) => [r.start, r.values.ids])).toEqual([
      [0, ['e1']],
      [10, ['e0', 'e2']],
    ]);
  });

  it('places events with fractional millisecond times (e.g. 9.5) in every window that contains them', () => {
    // Event times are not required to be whole milliseconds: a producer sending `time.time() * 1000` sends 9.5.
    fc.assert(
      fc.property(timedWindowArb(), streamArb({ maxEvents: 30, halfMs: true }), (def, events) => {
        const windows = { w: def };
        expect(engineRun(testPipeline(windows), events)).toEqual(referenceRun(windows, events));
      }),
      { numRuns: 200 },
    );
  });

  it('clickstream perMinute and activity5m counts equal the reference', () => {
    const minute = 60_000;
    const base = Date.UTC(2026, 10, 21, 10, 0, 0);
    const arb = fc.array(
      fc.record({ user: fc.constantFrom('u1', 'u2'), step: fc.nat({ max: 40_000 }), lag: fc.nat({ max: 9 * minute }) }),
      { minLength: 1, maxLength: 60 },
    );
    fc.assert(
      fc.property(arb, (items) => {
        let clock = base;
        const events = items.map((it, i) => {
          clock += it.step;
          const t = clock - (it.lag > 6 * minute ? it.lag : 0);
          return { id: `e${i}`, k: it.user, p: it.user, t, v: 0 };
        });
        const lines = events.map((e) =>
          JSON.stringify({ eventId: e.id, userId: e.k, type: 'click', ts: new Date(e.t).toISOString() }),
        );
        const windows = {
          perMinute: { kind: 'tumbling', size: minute, advance: minute, grace: 5 * minute },
          activity5m: { kind: 'hopping', size: 5 * minute, advance: minute, grace: 5 * minute },
        } as const;
        const ref = referenceRun(windows, events);
        const out = replayClickstream(lines);
        const got = out.results
          .filter((r) => r.window !== 'sessions')
          .map((r) => ({ window: r.window, key: r.key, start: r.start, end: r.end, n: r.values.events }));
        expect(got).toEqual(
          ref.results.map((r) => ({ window: r.window, key: r.key, start: r.start, end: r.end, n: r.values.n })),
        );
        expect(out.late.filter((l) => l.window !== 'sessions').map((l) => [l.line, l.window, l.start])).toEqual(
          ref.late.map((l) => [l.line, l.window, l.start]),
        );
      }),
      { numRuns: 100 },
    );
  });
});

function replayClickstream(lines: string[]) {
  const out = replay(clickstream, lines);
  expect(out.rejected).toEqual([]);
  return {
    results: out.results as { window: string; key: string; start: number; end: number; values: { events: number } }[],
    late: out.late.map((l) => ({ ...l, alert: undefined })).sort(byLineWindowStart),
  };
}
