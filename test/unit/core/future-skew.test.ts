// Issue 11, hole 5: one event inside the allowed future skew must not make on-time events of other keys late, and the
// offline replay applies the same future rule as the processor. Each test ran red before the fix.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  applyRecords,
  arrivalField,
  count,
  DefinitionError,
  decodeText,
  definePipeline,
  emptyState,
  type KeyState,
  layoutOf,
  replay,
  session,
  tumbling,
} from '../../../core';
import { clickstream } from '../../../pipelines/clickstream';

const T = Date.UTC(2026, 0, 1, 10);
const MIN = 60_000;
const click = (id: string, user: string, at: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ eventId: id, userId: user, type: 'click', ts: new Date(at).toISOString(), ...extra });
const codeOf = (reason: string) => reason.slice(0, reason.indexOf(':'));

const base = {
  name: 'skewed',
  schema: z.object({ k: z.string(), t: z.number() }),
  key: 'k' as const,
  time: 't' as const,
  aggregates: { n: count() },
};

describe('settings.maxFutureSkew is at most the smallest grace', () => {
  it('defaults to the smallest grace of the windows', () => {
    expect(clickstream.settings.maxFutureSkewMs).toBe(5 * MIN);
    const p = definePipeline({
      ...base,
      windows: { a: tumbling('1m', { grace: '5m' }), b: session('30s', { grace: '30s' }) },
    });
    expect(p.settings.maxFutureSkewMs).toBe(30_000);
    expect(definePipeline({ ...base, windows: { a: tumbling('1m') } }).settings.maxFutureSkewMs).toBe(0);
  });

  it('takes an explicit value up to the smallest grace', () => {
    const p = definePipeline({
      ...base,
      windows: { a: tumbling('1m', { grace: '5m' }) },
      settings: { maxFutureSkew: '2m' },
    });
    expect(p.settings.maxFutureSkewMs).toBe(2 * MIN);
  });

  it('fails if it is larger than the smallest grace, naming the setting and quoting both values', () => {
    const define = () =>
      definePipeline({
        ...base,
        windows: { a: tumbling('1m', { grace: '5m' }), b: tumbling('1m', { grace: '2m' }) },
        settings: { maxFutureSkew: '1h' },
      });
    expect(define).toThrow(DefinitionError);
    expect(define).toThrow(/^settings\.maxFutureSkew: "1h" .*smallest grace.*"2m".*windows\.b\.grace/);
  });
});

describe('one event 59 minutes ahead of its arrival (the reference pipeline, grace 5m)', () => {
  // 100 on-time events of 100 users, arriving as they happen; one event of another user 59 minutes ahead in between.
  const onTime = Array.from({ length: 100 }, (_, i) => ({
    line: click(`e${i}`, `u${i}`, T + i * 1000),
    arrival: T + i * 1000,
  }));
  const ahead = { line: click('bot-1', 'bot', T + 59 * MIN + 10_000), arrival: T + 10_000 };
  const records = [...onTime.slice(0, 11), ahead, ...onTime.slice(11)];

  it('is rejected as future-time and makes none of the 100 on-time events late (decode with arrival, applyRecords)', () => {
    const layout = layoutOf(clickstream);
    const states = new Map<string, KeyState>();
    let streamTime = Number.NEGATIVE_INFINITY;
    const rejected: string[] = [];
    let late = 0;
    let applied = 0;
    for (const r of records) {
      const d = decodeText(clickstream, r.line, r.arrival);
      if (!d.ok) {
        rejected.push(codeOf(d.reason));
        continue;
      }
      streamTime = Math.max(streamTime, d.time);
      const out = applyRecords(
        layout,
        d.key,
        states.get(d.key) ?? emptyState(),
        [{ event: d.event, time: d.time, streamTime }],
        { watermark: streamTime },
      );
      states.set(d.key, out.state);
      late += out.late.length;
      applied += out.applied;
    }
    expect(rejected).toEqual(['future-time']);
    expect(late).toBe(0);
    expect(applied).toBe(100);
  });

  it('and the same through replay() with the arrival times given', () => {
    const arrivals = records.map((r) => r.arrival);
    const out = replay(
      clickstream,
      records.map((r) => r.line),
      { arrivalTime: (_value, line) => arrivals[line - 1] },
    );
    expect(out.rejected.map((r) => ({ line: r.line, code: codeOf(r.reason) }))).toEqual([
      { line: 12, code: 'future-time' },
    ]);
    expect(out.late).toEqual([]);
    expect(out.summary.applied).toBe(100);
  });

  it('an event ahead by less than the smallest grace is applied and makes no on-time event late', () => {
    const near = { line: click('near-1', 'near', T + 14_000 + 4 * MIN), arrival: T + 14_000 };
    const lines = [...onTime.slice(0, 15), near, ...onTime.slice(15)];
    const arrivals = lines.map((l) => l.arrival);
    const out = replay(
      clickstream,
      lines.map((l) => l.line),
      { arrivalTime: (_value, line) => arrivals[line - 1] },
    );
    expect(out.rejected).toEqual([]);
    expect(out.late).toEqual([]);
    expect(out.summary.applied).toBe(101);
  });
});

describe('replay without arrival times: lines are judged against a time by which they had all arrived', () => {
  const steady = (n: number, from: number, prefix = 'e') =>
    Array.from({ length: n }, (_, i) => click(`${prefix}${i}`, `u${i % 7}`, from + i * 2000));

  it('rejects one line dated 2199 instead of making every later line late', () => {
    const lines = [...steady(50, T), click('far', 'u1', Date.UTC(2199, 0, 1)), ...steady(50, T + 100_000, 'f')];
    const out = replay(clickstream, lines, { arrivedBy: Date.UTC(2026, 11, 1) });
    expect(out.rejected.map((r) => ({ line: r.line, code: codeOf(r.reason) }))).toEqual([
      { line: 51, code: 'future-time' },
    ]);
    expect(out.rejected[0]!.reason).toMatch(/by when every line had arrived/);
    expect(out.late).toEqual([]);
    expect(out.summary.applied).toBe(100);
  });

  it('rejects only what the processor rejects too, whatever the arrival times below the bound', () => {
    const records = fc.array(
      fc.record({
        ahead: fc.integer({ min: -30 * MIN, max: 3 * 60 * MIN }),
        delay: fc.integer({ min: 0, max: 60 * MIN }),
      }),
      { minLength: 1, maxLength: 40 },
    );
    fc.assert(
      fc.property(records, fc.integer({ min: 0, max: 2 * 60 * MIN }), (recs, slack) => {
        // Record i arrives at T + i s + delay; its event time is `ahead` after its arrival; the bound is after all.
        const arrivals = recs.map((r, i) => T + i * 1000 + r.delay);
        const lines = recs.map((r, i) => click(`p${i}`, `u${i % 5}`, arrivals[i]! + r.ahead));
        const exact = replay(clickstream, lines, { arrivalTime: (_v, line) => arrivals[line - 1] });
        const bounded = replay(clickstream, lines, { arrivedBy: Math.max(...arrivals) + slack });
        const exactFuture = new Set(exact.rejected.map((r) => r.line));
        for (const r of bounded.rejected) expect(exactFuture.has(r.line)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('applies out-of-order and sparse traffic as before (no guess from event times)', () => {
    const lines = [...steady(20, T), ...steady(20, T + 8 * 60 * MIN, 'm'), click('old', 'u1', T - 60 * MIN)];
    const out = replay(clickstream, lines, { arrivedBy: T + 9 * 60 * MIN });
    expect(out.rejected).toEqual([]);
    expect(out.summary.valid).toBe(41);
  });

  it('without a bound or arrival times, core replay() has no future check (it has no clock)', () => {
    const out = replay(clickstream, [click('far', 'u1', Date.UTC(2199, 0, 1))]);
    expect(out.rejected).toEqual([]);
  });

  it('uses the arrival time a line carries when told where (arrivalField), the processor rule exactly', () => {
    const arrived = (id: string, at: number, arrival: string | number | undefined) =>
      click(id, 'u1', at, arrival === undefined ? {} : { arrivedAt: arrival });
    const out = replay(
      clickstream,
      [
        arrived('a', T, new Date(T).toISOString()),
        arrived('b', T + 6 * MIN, T), // 6 min ahead of its arrival: future-time
        arrived('c', T + 4 * MIN, T), // 4 min ahead: applied
        arrived('d', T + 1000, 'not a time'), // no usable arrival time, no bound: no future check
      ],
      { arrivalTime: arrivalField('arrivedAt') },
    );
    expect(out.rejected.map((r) => ({ line: r.line, code: codeOf(r.reason) }))).toEqual([
      { line: 2, code: 'future-time' },
    ]);
    expect(out.rejected[0]!.reason).toMatch(/after arrival/);
    expect(out.summary.applied).toBe(3);
  });

  it('a line without a usable arrival field falls back to arrivedBy', () => {
    const out = replay(
      clickstream,
      [click('x', 'u1', T + 30 * MIN), click('y', 'u1', T + 30 * MIN, { arrivedAt: T + 29 * MIN })],
      {
        arrivalTime: arrivalField('arrivedAt'),
        arrivedBy: T,
      },
    );
    expect(out.rejected.map((r) => ({ line: r.line, code: codeOf(r.reason) }))).toEqual([
      { line: 1, code: 'future-time' },
    ]);
  });
});
