import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePipeline, reducer, replay, session, tumbling } from '../../../core';
import { referenceRun } from '../support/reference';
import { engineRun } from '../support/run';
import {
  sessionWindowArb,
  streamArb,
  type TestAlert,
  type TestEvent,
  testPipeline,
  timedWindowArb,
  toLines,
} from '../support/streams';

const alerts: Record<string, TestAlert> = {
  // Monotone: once true, stays true as events are added.
  busy: { window: 'tumble', when: (a) => a.n > 2 },
  'busy-session': { window: 'sess', when: (a) => a.n > 2 },
  // Non-monotone: values of v are positive and negative, so these flip between true and false.
  'odd-total': { window: 'hop', when: (a) => a.n >= 2 && Math.abs(a.total % 2) === 1 },
  'high-session': { window: 'sess', when: (a) => a.total > 5 },
};

describe('alerts', () => {
  it('fire once per (window, key, rule), on the first false → true transition, like the reference', () => {
    fc.assert(
      fc.property(
        timedWindowArb(10, 10),
        timedWindowArb(20, 10),
        sessionWindowArb(),
        streamArb({ keys: 2, maxEvents: 50 }),
        (t, h, s, events) => {
          const windows = { tumble: { ...t, kind: 'tumbling' as const, advance: t.size }, hop: h, sess: s };
          const out = engineRun(testPipeline(windows, { alerts }), events);
          const ref = referenceRun(windows, events, { alerts });
          expect(out.alerts).toEqual(ref.alerts);
          const timedIds = out.alerts.filter((a) => a.window !== 'sess').map((a) => `${a.alert}|${a.key}|${a.start}`);
          expect(new Set(timedIds).size).toBe(timedIds.length);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a non-monotone rule that turns true, false, then true again fires once', () => {
    const windows = { tumble: { kind: 'tumbling', size: 100, advance: 100, grace: 0 } as const };
    const rule = { odd: { window: 'tumble', when: (a: { total: number }) => Math.abs(a.total % 2) === 1 } };
    const events: TestEvent[] = [1, 1, 1, 1].map((v, i) => ({ id: `e${i}`, k: 'a', p: 'p', t: i, v }));
    const out = engineRun(testPipeline(windows, { alerts: rule as never }), events);
    // totals 1 (true), 2 (false), 3 (true), 4 (false): fires at line 1 only.
    expect(out.alerts).toEqual([{ alert: 'odd', window: 'tumble', key: 'a', start: 0, end: 100, line: 1 }]);
  });

  it('a monotone count rule fires on the event that crosses the threshold, per window instance and key', () => {
    const windows = { tumble: { kind: 'tumbling', size: 10, advance: 10, grace: 0 } as const };
    const rule = { busy: { window: 'tumble', when: (a: { n: number }) => a.n > 2 } };
    const times = [0, 1, 2, 3, 11, 12, 13];
    const events: TestEvent[] = times.map((t, i) => ({ id: `e${i}`, k: i === 3 ? 'b' : 'a', p: 'p', t, v: 0 }));
    const out = engineRun(testPipeline(windows, { alerts: rule as never }), events);
    expect(out.alerts.map((a) => [a.key, a.start, a.line])).toEqual([
      ['a', 0, 3],
      ['a', 10, 7],
    ]);
  });

  it('report the values at the moment the alert fired, not later ones', () => {
    // A custom reducer without `result` returns its state; `add` mutates it (allowed: the caller owns the state).
    const p = definePipeline({
      name: 'alias',
      schema: z.object({ k: z.string(), t: z.number() }),
      key: 'k',
      time: 't',
      windows: { tumble: tumbling(10), sess: session(100) },
      aggregates: {
        seen: reducer({
          init: () => ({ n: 0 }),
          add: (s: { n: number }) => {
            s.n += 1;
            return s;
          },
          merge: (a, b) => {
            a.n += b.n;
            return a;
          },
        }),
      },
      alerts: {
        twoInTumble: { window: 'tumble', when: (a) => a.seen.n >= 2 },
        twoInSession: { window: 'sess', when: (a) => a.seen.n >= 2 },
      },
    });
    const lines = toLines([0, 1, 2, 3, 4].map((t) => ({ id: `e${t}`, k: 'a', p: 'p', t, v: 0 })));
    const out = replay(p, lines);
    const fired = out.alerts
      .map((a) => [a.alert, a.line, a.values])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(fired).toEqual([
      ['twoInSession', 2, { seen: { n: 2 } }],
      ['twoInTumble', 2, { seen: { n: 2 } }],
    ]);
  });
});
