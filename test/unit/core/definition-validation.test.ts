import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  count,
  DefinitionError,
  DurationError,
  definePipeline,
  formatDuration,
  hopping,
  parseDuration,
  reducer,
  session,
  sum,
  tumbling,
} from '../../../core';

const schema = z.object({ id: z.string(), user: z.string(), at: z.number(), amount: z.number() });

/** A valid definition; each test breaks one setting. */
function input(overrides: Record<string, unknown> = {}): any {
  return {
    name: 'orders',
    schema,
    key: 'user',
    time: 'at',
    windows: { perMinute: tumbling('1m', { grace: '30s' }) },
    aggregates: { events: count() },
    ...overrides,
  };
}

/** Expect a DefinitionError for `setting` whose message contains every fragment (the quoted value among them). */
function expectFails(overrides: Record<string, unknown>, setting: string, ...fragments: string[]) {
  let error: unknown;
  try {
    definePipeline(input(overrides));
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(DefinitionError);
  const { message, setting: named, name } = error as DefinitionError;
  expect(name).toBe('DefinitionError');
  expect(named).toBe(setting);
  expect(message.startsWith(`${setting}: `)).toBe(true);
  for (const fragment of fragments) expect(message).toContain(fragment);
}

describe('definePipeline validation', () => {
  it('accepts the valid base definition (so every failure below is caused by the one broken setting)', () => {
    const p = definePipeline(input());
    expect(p.windows[0]).toMatchObject({ name: 'perMinute', sizeMs: 60_000, advanceMs: 60_000, graceMs: 30_000 });
    expect(p.sliceMs).toBe(60_000);
  });

  it('fails if a hopping advance is larger than its size', () => {
    expectFails({ windows: { h: hopping('1m', '2m') } }, 'windows.h.advance', '"2m"', '"1m"', 'larger than size');
  });

  it('fails if a grace is negative', () => {
    expectFails(
      { windows: { t: tumbling('1m', { grace: '-5s' }) } },
      'windows.t.grace',
      'must not be negative',
      '"-5s"',
    );
    expectFails({ windows: { s: session('30s', { grace: -1 }) } }, 'windows.s.grace', 'must not be negative', '-1');
  });

  it('fails if a duration string cannot be parsed', () => {
    expectFails({ windows: { t: tumbling('5 minutes' as never) } }, 'windows.t.size', '"5 minutes"');
    expectFails({ windows: { t: tumbling('' as never) } }, 'windows.t.size', '""');
    expectFails({ windows: { t: tumbling('1e3ms' as never) } }, 'windows.t.size', '"1e3ms"');
    expectFails({ windows: { t: tumbling('0.5ms') } }, 'windows.t.size', '"0.5ms"', 'whole number');
    expectFails({ windows: { t: tumbling(1.5) } }, 'windows.t.size', '1.5');
    expectFails({ windows: { t: tumbling(Number.NaN) } }, 'windows.t.size', 'NaN');
    expectFails({ windows: { h: hopping('1m', 'soon' as never) } }, 'windows.h.advance', '"soon"');
    expectFails({ windows: { s: session(null as never) } }, 'windows.s.gap', 'null');
    expectFails({ settings: { maxFutureSkew: '1 hour' } }, 'settings.maxFutureSkew', '"1 hour"');
    expectFails({ settings: { retention: '-1d' } }, 'settings.retention', '"-1d"');
  });

  it('fails if a size, advance or gap is zero', () => {
    expectFails({ windows: { t: tumbling(0) } }, 'windows.t.size', 'at least 1 ms', '0');
    expectFails({ windows: { h: hopping('1m', '0s') } }, 'windows.h.advance', '"0s"');
    expectFails({ windows: { s: session('0ms') } }, 'windows.s.gap', '"0ms"');
  });

  it('fails if two names differ only by case (windows, aggregates, alerts)', () => {
    expectFails(
      { windows: { perMinute: tumbling('1m'), PerMinute: tumbling('2m') } },
      'windows.PerMinute',
      '"PerMinute"',
      '"perMinute"',
      'differ only in case',
    );
    expectFails({ aggregates: { events: count(), Events: count() } }, 'aggregates.Events', '"Events"', '"events"');
    expectFails(
      {
        alerts: {
          big: { window: 'perMinute', when: () => true },
          BIG: { window: 'perMinute', when: () => true },
        },
      },
      'alerts.BIG',
      '"BIG"',
      '"big"',
    );
  });

  it('fails if a window, aggregate or alert name is not an identifier', () => {
    expectFails({ windows: { '1m': tumbling('1m') } }, 'windows.1m', '"1m"');
    expectFails({ aggregates: { 'bad name': count() } }, 'aggregates.bad name', '"bad name"');
  });

  it('fails if an alert names an unknown window', () => {
    expectFails(
      { alerts: { bot: { window: 'perHour', when: () => true } } },
      'alerts.bot.window',
      'unknown window "perHour"',
      'perMinute',
    );
  });

  it('fails if an alert has no `when` function', () => {
    expectFails({ alerts: { bot: { window: 'perMinute', when: 'x > 1' } } }, 'alerts.bot.when', '"x > 1"');
  });

  it("fails if an aggregate's `windows` names an unknown window, or none", () => {
    expectFails(
      { aggregates: { events: count(), revenue: sum((e: any) => e.amount, { windows: ['daily' as never] }) } },
      'aggregates.revenue.windows',
      'unknown window "daily"',
    );
    expectFails({ aggregates: { events: count({ windows: [] }) } }, 'aggregates.events.windows', 'lists no window');
  });

  it('fails if a reducer init() is not JSON-serialisable: Map, NaN, a Date, a class instance', () => {
    const bad = (init: () => unknown) => ({ aggregates: { r: reducer({ init, add: (s) => s, merge: (a) => a }) } });
    expectFails(
      bad(() => new Map([['a', 1]])),
      'aggregates.r.init',
      'JSON round trip',
    );
    expectFails(
      bad(() => Number.NaN),
      'aggregates.r.init',
      'NaN',
    );
    expectFails(
      bad(() => ({ total: Number.NaN })),
      'aggregates.r.init',
      'JSON round trip',
    );
    expectFails(
      bad(() => new Date(0)),
      'aggregates.r.init',
      'JSON round trip',
    );
    expectFails(
      bad(() => ({ big: 1n })),
      'aggregates.r.init',
      'not JSON-serialisable',
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectFails(
      bad(() => cyclic),
      'aggregates.r.init',
      'not JSON-serialisable',
    );
  });

  it('fails if a reducer init() returns undefined (it cannot be stored as JSON)', () => {
    const bad = { aggregates: { r: reducer({ init: () => undefined, add: (s) => s, merge: (a) => a }) } };
    expectFails(bad, 'aggregates.r.init', 'undefined');
  });

  it('fails if an aggregate is not an aggregate', () => {
    expectFails({ aggregates: { events: 'count' } }, 'aggregates.events', '"count"');
    expectFails({ aggregates: {} }, 'aggregates', 'at least one aggregate', '{}');
  });

  it('fails if the pipeline name is not 1-40 lowercase letters, digits or dashes starting with a letter', () => {
    for (const name of ['Orders', '1orders', 'orders_v2', '', 'a'.repeat(41), 'orders!']) {
      expectFails({ name }, 'name', JSON.stringify(name).slice(0, 20));
    }
    expectFails({ name: 42 }, 'name', '42');
  });

  it('fails if the schema is missing or not a Standard Schema', () => {
    expectFails({ schema: undefined }, 'schema', 'undefined');
    expectFails({ schema: { parse: () => ({}) } }, 'schema', 'zod schema');
  });

  it('fails if key, partitionKey, id or time is neither a field name nor a function', () => {
    expectFails({ key: '' }, 'key', '""');
    expectFails({ key: 7 }, 'key', '7');
    expectFails({ partitionKey: null }, 'partitionKey', 'null');
    expectFails({ id: {} }, 'id', '{}');
    expectFails({ time: undefined }, 'time', 'undefined');
  });

  it('fails if there is no window, or a window is not tumbling/hopping/session', () => {
    expectFails({ windows: {} }, 'windows', 'at least one window');
    expectFails({ windows: { w: { kind: 'sliding', size: '1m' } } }, 'windows.w.kind', '"sliding"');
    expectFails({ windows: { w: 5 } }, 'windows.w', '5');
  });

  it('fails if a window has no aggregate', () => {
    expectFails(
      {
        windows: { perMinute: tumbling('1m'), perHour: tumbling('1h') },
        aggregates: { events: count({ windows: ['perMinute'] }) },
      },
      'windows.perHour',
      'no aggregate',
    );
  });

  it('fails if windows need too many slices (gcd of sizes and advances too small)', () => {
    expectFails(
      { windows: { perMinute: tumbling('1m'), twoDays: tumbling('2d') } },
      'windows.twoDays.size',
      '2880 slices of 60000 ms',
      'at most 1440',
    );
    expectFails({ windows: { odd: hopping('1h', '7s') } }, 'windows.odd.size', '3600 slices');
    // 1440 slices of a minute is the limit, not over it.
    expect(definePipeline(input({ windows: { a: tumbling('1m'), b: tumbling('1d') } })).sliceMs).toBe(60_000);
  });
});

describe('durations', () => {
  it('parse the documented units and format back', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration(250)).toBe(250);
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(1_500)).toBe('1500ms');
    expect(() => parseDuration('1w')).toThrow(DurationError);
    expect(() => parseDuration(Number.POSITIVE_INFINITY)).toThrow(/Infinity/);
  });
});
