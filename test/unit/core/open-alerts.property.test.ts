import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AlertEvent,
  applyRecords,
  compareResults,
  definePipeline,
  flushAll,
  hopping,
  type KeyState,
  layoutOf,
  openResults,
  type Pipeline,
  parseState,
  serializeState,
  tumbling,
  type WindowResult,
} from '../../../core';
import { streamArb, type TestEvent, TestEventSchema } from '../support/streams';

/**
 * The engine keeps per-key caches to evaluate alerts on open windows incrementally (core/engine/open-alerts.ts). They
 * are never stored, so a state read back from JSON before every record (a cold cache each time) must give exactly
 * what the warm caches give: the same alerts with the same values, floating-point sums included, the same results
 * and late entries, and the same stored state. And every alert on an open window must carry the window's values
 * as a merge of its slices gives them (openResults).
 */

interface Windows {
  readonly hop: { readonly size: number; readonly advance: number; readonly grace: number };
  readonly tumble: { readonly size: number; readonly grace: number };
}

function pipelineOf(windows: Windows, threshold: number): Pipeline {
  return definePipeline({
    name: 'open-alerts',
    schema: TestEventSchema,
    key: 'k',
    time: 't',
    windows: {
      hop: hopping(windows.hop.size, windows.hop.advance, { grace: windows.hop.grace }),
      tumble: tumbling(windows.tumble.size, { grace: windows.tumble.grace }),
    },
    aggregates: ({ count, sum, avg, min, max, distinct, first, last, lastN, reducer }) => ({
      n: count(),
      total: sum((e) => e.v),
      mean: avg((e) => e.v),
      low: min((e) => e.v),
      high: max((e) => e.v),
      kinds: distinct((e) => Math.round(e.v * 2) % 4, { max: 3 }),
      firstId: first((e) => e.id),
      lastId: last((e) => e.id),
      recent: lastN((e) => e.id, 2),
      ids: reducer({
        init: (): string[] => [],
        add: (s, e) => {
          s.push(e.id);
          return s;
        },
        merge: (a, b) => {
          for (const id of b) a.push(id);
          return a;
        },
        result: (s) => [...s].sort(),
      }),
    }),
    alerts: (rule) => ({
      // Non-monotone rules over floating-point values: they flip as events come, and fire on the first flip.
      'total-digit': rule('hop', (a) => a.n > 1 && Math.floor(Math.abs(a.total) * 1000) % 3 === 0),
      'mean-high': rule('hop', (a) => a.mean !== null && a.mean > threshold),
      'three-kinds': rule('hop', (a) => a.kinds.count >= 3 && a.recent.length === 2),
      busy: rule('tumble', (a) => a.n > 2 && a.high !== a.low),
    }),
  }) as Pipeline;
}

interface Run {
  alerts: (Omit<AlertEvent, 'index'> & { line: number })[];
  late: { line: number; window: string; start: number }[];
  results: WindowResult[];
  /** Each key's final state, as plain JSON values (property order aside: where `z` lands depends on when it moved). */
  states: Record<string, unknown>;
}

/**
 * Apply `events` in batches (one key's records per applyRecords call), the watermark being the stream time after each
 * batch. `cold`: one record per call, the state written to JSON and read back before each, and each alert on an
 * open window checked against openResults.
 */
function run(pipeline: Pipeline, events: readonly TestEvent[], batch: number, cold: boolean): Run {
  const layout = layoutOf(pipeline);
  const states = new Map<string, KeyState>();
  const out: Run = { alerts: [], late: [], results: [], states: {} };
  let streamTime = Number.NEGATIVE_INFINITY;
  for (let from = 0; from < events.length; from += batch) {
    const records = events.slice(from, from + batch).map((event, i) => {
      streamTime = Math.max(streamTime, event.t);
      return { event, time: event.t, streamTime, line: from + i + 1 };
    });
    const byKey = new Map<string, typeof records>();
    for (const r of records) byKey.set(r.event.k, [...(byKey.get(r.event.k) ?? []), r]);
    for (const [key, recs] of byKey) {
      const calls = cold ? recs.map((r, i) => ({ recs: [r], last: i === recs.length - 1 })) : [{ recs, last: true }];
      for (const call of calls) {
        const before = states.get(key);
        const state = cold && before ? parseState(serializeState(before)) : before;
        const outcome = applyRecords(layout, key, state, call.recs, call.last ? { watermark: streamTime } : {});
        states.set(key, outcome.state);
        out.results.push(...outcome.results);
        for (const l of outcome.late)
          out.late.push({ line: call.recs[l.index]!.line, window: l.window, start: l.start });
        for (const { index, ...alert } of outcome.alerts) {
          out.alerts.push({ ...alert, line: call.recs[index]!.line });
          if (!cold) continue;
          const open = openResults(layout, key, outcome.state).find(
            (r) => !r.closed && r.window === alert.window && r.start === alert.start,
          );
          // Fired on a window still open after the record: its values are the merge of its slices.
          if (open) expect(alert.values).toEqual(open.values);
        }
      }
    }
  }
  for (const [key, state] of states) {
    out.states[key] = JSON.parse(serializeState(state));
    out.results.push(...flushAll(layout, key, state));
  }
  // Compared as sets: a batch finalizes record by record, so the order results come in depends on the batching.
  out.results.sort(compareResults);
  return out;
}

/** Events with floating-point values (sums then depend on the order of additions). */
const floatStreamArb = (maxEvents: number) =>
  fc
    .tuple(streamArb({ keys: 2, maxEvents, maxStep: 3, maxLag: 30 }), fc.integer({ min: 1, max: 7 }))
    .map(([events, scale]) => events.map((e) => ({ ...e, v: e.v / scale + 0.1 })));

const windowsArb: fc.Arbitrary<Windows> = fc
  .record({
    size: fc.integer({ min: 2, max: 48 }),
    advance: fc.integer({ min: 1, max: 6 }),
    grace: fc.nat({ max: 12 }),
    tumble: fc.integer({ min: 1, max: 12 }),
    tumbleGrace: fc.nat({ max: 12 }),
  })
  .map(({ size, advance, grace, tumble, tumbleGrace }) => ({
    hop: { size, advance: Math.min(advance, size), grace },
    tumble: { size: tumble, grace: tumbleGrace },
  }));

describe('alerts on open windows: incremental caches', () => {
  it('give the same alerts, values, results and states as a cold cache rebuilt from JSON before every record', () => {
    fc.assert(
      fc.property(
        windowsArb,
        floatStreamArb(70),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: -1, max: 2, noNaN: true }),
        (windows, events, batch, threshold) => {
          const pipeline = pipelineOf(windows, threshold);
          const warm = run(pipeline, events, batch, false);
          const cold = run(pipeline, events, batch, true);
          expect(cold.alerts).toEqual(warm.alerts);
          expect(cold.late).toEqual(warm.late);
          expect(cold.results).toEqual(warm.results);
          expect(cold.states).toEqual(warm.states);
        },
      ),
      { numRuns: 80 },
    );
  }, 120_000);

  it('long hopping windows (many instances per record) over dense and sparse keys fire as with a cold cache', () => {
    // size / advance up to 60: keys with few slices take the per-record path, keys with many keep accumulators.
    const longArb = fc
      .record({ size: fc.integer({ min: 20, max: 60 }), grace: fc.nat({ max: 10 }) })
      .map(({ size, grace }): Windows => ({ hop: { size, advance: 1, grace }, tumble: { size: 5, grace: 0 } }));
    fc.assert(
      fc.property(longArb, floatStreamArb(120), fc.integer({ min: 5, max: 60 }), (windows, events, batch) => {
        const pipeline = pipelineOf(windows, 0.5);
        const warm = run(pipeline, events, batch, false);
        expect(run(pipeline, events, batch, true)).toEqual(warm);
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
