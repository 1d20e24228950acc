import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  compareLocks,
  count,
  type DefinitionLock,
  definePipeline,
  distinct,
  formatLock,
  formatReport,
  hopping,
  layoutOf,
  lockOf,
  max,
  type Pipeline,
  parseDescriptor,
  parseLock,
  StateFormatError,
  session,
  sum,
  tumbling,
} from '../../../core';
import { lockForPipeline } from '../../../lib/definition-check';
import { build, changesOf, defArb } from './definitions';

const Order = z.object({
  id: z.string(),
  user: z.string(),
  ts: z.number(),
  amount: z.number(),
  page: z.string().optional(),
});

/** The definitions of the unit tests: a base, and a copy with one thing changed. */
function orders(
  change: {
    windows?: Record<string, unknown>;
    aggregates?: Record<string, unknown>;
    alerts?: Record<string, unknown>;
    resets?: Record<string, unknown>;
    key?: string;
    time?: string;
    id?: string;
    schema?: z.ZodType;
  } = {},
): Pipeline {
  return definePipeline({
    name: 'orders',
    schema: (change.schema ?? Order) as typeof Order,
    id: (change.id ?? 'id') as 'id',
    key: (change.key ?? 'user') as 'user',
    time: (change.time ?? 'ts') as 'ts',
    windows: (change.windows ?? {
      perMinute: tumbling('1m', { grace: '1m' }),
      recent: hopping('5m', '1m'),
      visits: session('30s'),
    }) as never,
    aggregates: (change.aggregates ?? {
      events: count(),
      revenue: sum((e: z.infer<typeof Order>) => e.amount),
      pages: distinct((e: z.infer<typeof Order>) => e.page ?? '', { max: 10, windows: ['recent'] }),
    }) as never,
    alerts: (change.alerts ?? {
      busy: { window: 'perMinute', when: (a: { events: number }) => a.events > 10 },
    }) as never,
    ...(change.resets ? { resets: change.resets as never } : {}),
  }) as Pipeline;
}

const base = orders();
const check = (next: Pipeline, accept: string[] = []) =>
  compareLocks(lockForPipeline(base), lockForPipeline(next), { accept });
const only = (report: ReturnType<typeof check>, subject: string) => report.changes.filter((c) => c.subject === subject);

describe('streamfold check: each incompatible change is refused, with its way out', () => {
  const windows = { perMinute: tumbling('1m', { grace: '1m' }), recent: hopping('5m', '1m'), visits: session('30s') };
  it.each([
    [
      'window size',
      { windows: { ...windows, perMinute: tumbling('2m', { grace: '1m' }) } },
      'windows.perMinute',
      /size 1m → 2m/,
    ],
    ['window advance', { windows: { ...windows, recent: hopping('5m', '5m') } }, 'windows.recent', /advance 1m → 5m/],
    ['window gap', { windows: { ...windows, visits: session('1m') } }, 'windows.visits', /gap 30s → 1m/],
    [
      'window grace',
      { windows: { ...windows, perMinute: tumbling('1m', { grace: '2m' }) } },
      'windows.perMinute',
      /grace 1m → 2m/,
    ],
    [
      'window kind',
      { windows: { ...windows, perMinute: hopping('1m', '1m', { grace: '1m' }) } },
      'windows.perMinute',
      /kind tumbling → hopping/,
    ],
  ])('%s', (_, change, subject, what) => {
    const report = check(orders(change));
    const [c] = only(report, subject);
    expect(c).toMatchObject({ class: 'incompatible' });
    expect(c!.what).toMatch(what);
    expect(c!.wayOut).toMatch(new RegExp(`resets: \\{ windows: \\{ ${subject.split('.')[1]}: 1 \\} \\}`));
    expect(report.incompatible).toBe(1);
    expect(formatReport(report)).toMatch(/1 incompatible change$/m);
  });

  const aggregates = {
    events: count(),
    revenue: sum((e: z.infer<typeof Order>) => e.amount),
    pages: distinct((e: z.infer<typeof Order>) => e.page ?? '', { max: 10, windows: ['recent'] }),
  };
  it.each([
    [
      'aggregate kind',
      { ...aggregates, revenue: max((e: z.infer<typeof Order>) => e.amount) },
      'aggregates.revenue',
      /kind sum → max/,
      false,
    ],
    [
      'aggregate option',
      { ...aggregates, pages: distinct((e: z.infer<typeof Order>) => e.page ?? '', { max: 20, windows: ['recent'] }) },
      'aggregates.pages',
      /options max 10 → max 20/,
      false,
    ],
    [
      'extractor source',
      { ...aggregates, revenue: sum((e: z.infer<typeof Order>) => e.amount * 100) },
      'aggregates.revenue',
      /field changed \(function source\)/,
      true,
    ],
    [
      'filter added',
      { ...aggregates, events: count({ filter: (e: z.infer<typeof Order>) => e.amount > 0 }) },
      'aggregates.events',
      /filter added/,
      true,
    ],
  ])('%s', (_, aggs, subject, what, acceptable) => {
    const next = orders({ aggregates: aggs });
    const [c] = only(check(next), subject);
    expect(c).toMatchObject({ class: 'incompatible' });
    expect(c!.what).toMatch(what);
    expect(c!.wayOut).toMatch(/resets: \{ aggregates: \{ \w+: 1 \} \}/);
    expect(Boolean(c!.acceptable)).toBe(acceptable);
    // Accepting: only what the running pipeline cannot see (a function's source) can be accepted.
    expect(check(next, [subject]).incompatible).toBe(acceptable ? 0 : 1);
  });

  it.each([
    ['key', { key: 'id' }, /user → id/],
    ['time', { time: 'amount' }, /ts → amount/],
  ])('field: %s (acceptable)', (field, change, what) => {
    const [c] = only(check(orders(change)), `fields.${field}`);
    expect(c).toMatchObject({ class: 'incompatible', acceptable: true });
    expect(c!.what).toMatch(what);
    expect(
      check(orders(change), [`fields.${field}`]).changes.find((x) => x.subject === `fields.${field}`),
    ).toMatchObject({ accepted: true });
  });

  it('event schema narrowed (BACKWARD): a field made required, a type changed', () => {
    const narrowed = Order.extend({ page: z.string(), amount: z.string() });
    const [c] = only(check(orders({ schema: narrowed })), 'schema');
    expect(c).toMatchObject({ class: 'incompatible', acceptable: true });
    expect(c!.what).toMatch(/\$\.page: required by the reader/);
    expect(c!.what).toMatch(/\$\.amount: type number is no longer accepted/);
  });
});

describe('streamfold check: declared and compatible changes', () => {
  it('a declared reset carries the change with partial windows (window and aggregate)', () => {
    const next = orders({
      windows: { perMinute: tumbling('2m', { grace: '1m' }), recent: hopping('5m', '1m'), visits: session('30s') },
      aggregates: {
        events: count(),
        revenue: max((e: z.infer<typeof Order>) => e.amount),
        pages: distinct((e: z.infer<typeof Order>) => e.page ?? '', { max: 10, windows: ['recent'] }),
      },
      resets: { windows: { perMinute: 1 }, aggregates: { revenue: 1 } },
    });
    const report = check(next);
    expect(report.incompatible).toBe(0);
    expect(only(report, 'windows.perMinute')[0]!.what).toMatch(
      /^reset \(declared, generation 1; size 1m → 2m, reset generation 0 → 1\)/,
    );
    expect(only(report, 'aggregates.revenue')[0]).toMatchObject({ class: 'partial' });
    // Leaving the generation in place: the next check sees no change; lowering it is a change again.
    expect(compareLocks(lockForPipeline(next), lockForPipeline(next)).changes).toEqual([]);
    const lowered = orders({
      windows: { perMinute: tumbling('2m', { grace: '1m' }), recent: hopping('5m', '1m'), visits: session('30s') },
    });
    expect(only(compareLocks(lockForPipeline(next), lockForPipeline(lowered)), 'windows.perMinute')[0]).toMatchObject({
      class: 'incompatible',
    });
  });

  it('a rename is a removal and an addition', () => {
    const next = orders({
      windows: { perMinuteV2: tumbling('2m', { grace: '1m' }), recent: hopping('5m', '1m'), visits: session('30s') },
      alerts: {},
    });
    const report = check(next);
    expect(report.incompatible).toBe(0);
    expect(only(report, 'windows.perMinute')[0]).toMatchObject({
      class: 'compatible',
      what: expect.stringMatching(/^removed/),
    });
    expect(only(report, 'windows.perMinuteV2')[0]).toMatchObject({
      class: 'partial',
      what: expect.stringMatching(/^added \(tumbling 2m, grace 1m\)/),
    });
  });

  it('a window removed in one deploy and re-added with another meaning under its name later is refused', () => {
    const windowsWithout = { recent: hopping('5m', '1m'), visits: session('30s') };
    const removed = orders({ windows: windowsWithout, alerts: {} });
    // Deploy 1 removes perMinute (compatible); the lock written then keeps the old layout in its history.
    const lockAfterRemoval = lockForPipeline(removed, { previous: lockForPipeline(base) });
    expect(compareLocks(lockForPipeline(base), lockAfterRemoval).incompatible).toBe(0);
    // Deploy 2 adds perMinute again as a 2-minute window: its instance starting at 10:00 would take the result id
    // the 1-minute instance starting at 10:00 emitted.
    const reAdded = orders({
      windows: { ...windowsWithout, perMinute: tumbling('2m', { grace: '1m' }) },
      alerts: {},
    });
    const report = compareLocks(lockAfterRemoval, lockForPipeline(reAdded, { previous: lockAfterRemoval }));
    expect(report.incompatible).toBe(1);
    expect(only(report, 'windows.perMinute')[0]).toMatchObject({
      class: 'incompatible',
      what: expect.stringMatching(/removed window of another meaning \(tumbling 1m, grace 1m, layout [\w-]{8}\)/),
      wayOut: expect.stringMatching(/new name/),
    });
    // The same meaning again is an addition like any other.
    const same = orders({ windows: { ...windowsWithout, perMinute: tumbling('1m', { grace: '1m' }) }, alerts: {} });
    const again = compareLocks(lockAfterRemoval, lockForPipeline(same, { previous: lockAfterRemoval }));
    expect(again.incompatible).toBe(0);
  });

  it('alerts: added, changed, removed, moved are compatible (evaluated from the switch)', () => {
    const report = check(
      orders({
        alerts: {
          busy: { window: 'perMinute', when: (a: { events: number }) => a.events > 20 },
          whale: { window: 'recent', when: (a: { revenue: number }) => a.revenue > 1000 },
        },
      }),
    );
    expect(report.changes.map((c) => [c.subject, c.class])).toEqual([
      ['alerts.busy', 'compatible'],
      ['alerts.whale', 'compatible'],
    ]);
    expect(report.changes[0]!.what).toMatch(/condition changed/);
  });

  it('schema widened with an optional field is BACKWARD compatible and says so', () => {
    const report = check(orders({ schema: Order.extend({ referrer: z.string().optional() }) }));
    expect(report.changes).toEqual([
      { subject: 'schema', class: 'compatible', what: 'fields added: referrer (optional): BACKWARD compatible' },
    ]);
  });

  it('a non-zod Standard Schema is recorded as not comparable', () => {
    const plain = { '~standard': { version: 1, vendor: 'handmade', validate: (v: unknown) => ({ value: v }) } };
    const lock = lockOf(orders({ schema: plain as never }));
    expect(lock.schema.jsonSchema).toBeNull();
    expect(lock.schema.note).toMatch(/handmade.*cannot be compared/);
    expect(only(check(orders({ schema: plain as never })), 'schema')[0]).toMatchObject({
      class: 'compatible',
      what: expect.stringMatching(/^not compared/),
    });
  });

  it('reordering windows and aggregates changes the layout, not the meaning: no change to report', () => {
    const reordered = orders({
      windows: { visits: session('30s'), recent: hopping('5m', '1m'), perMinute: tumbling('1m', { grace: '1m' }) },
      aggregates: {
        pages: distinct((e: z.infer<typeof Order>) => e.page ?? '', { max: 10, windows: ['recent'] }),
        revenue: sum((e: z.infer<typeof Order>) => e.amount),
        events: count(),
      },
    });
    const report = check(reordered);
    expect(report.changes).toEqual([]);
    expect(report.from).not.toBe(report.to);
  });
});

describe('streamfold check: classification (property)', () => {
  it('every generated change gets its class; incompatible exactly when it is undeclared and structural', () => {
    fc.assert(
      fc.property(
        defArb().chain((def) => fc.tuple(fc.constant(def), fc.constantFrom(...changesOf(def)))),
        ([def, change]) => {
          const report = compareLocks(lockOf(build(def)), lockOf(build(change.next)));
          if (change.subject === '') {
            expect(report.changes, change.name).toEqual([]);
            return;
          }
          const classes = report.changes.filter((c) => c.subject === change.subject).map((c) => c.class);
          expect(classes, change.name).toContain(change.expected);
          expect(report.incompatible > 0, change.name).toBe(change.expected === 'incompatible');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('lock files', () => {
  it('round trip: parseLock(formatLock(lock)) is the lock; layouts are kept as history, newest first', () => {
    const first = lockForPipeline(base);
    const second = lockForPipeline(orders({ aggregates: { events: count() } }), { previous: first });
    const parsed = parseLock(formatLock(second));
    expect(parsed).toEqual(second);
    expect(parsed.layouts.map((d) => d.fingerprint)).toEqual([second.layout, first.layout]);
    expect(parsed.layouts[1]).toEqual(layoutOf(base).descriptor);
  });

  it('refuses what is not a lock, and a descriptor whose fingerprint does not match its content', () => {
    expect(() => parseLock('{')).toThrow(StateFormatError);
    expect(() => parseLock('{"streamfold":2}')).toThrow(/no "streamfold": 1/);
    const lock = JSON.parse(formatLock(lockForPipeline(base))) as DefinitionLock;
    const tampered = { ...lock.layouts[0]!, aggregates: [...lock.layouts[0]!.aggregates].reverse() };
    expect(() => parseDescriptor(tampered)).toThrow(/fingerprint mismatch/);
    expect(() => parseLock(JSON.stringify({ ...lock, layouts: [tampered] }))).toThrow(/fingerprint mismatch/);
    expect(() => parseLock(JSON.stringify({ ...lock, schema: { ...lock.schema, compatibility: 'SIDEWAYS' } }))).toThrow(
      /schema.compatibility "SIDEWAYS"/,
    );
  });

  it('the committed reference lock matches pipelines/clickstream.ts', async () => {
    const { readFileSync } = await import('node:fs');
    const { clickstream } = await import('../../../pipelines/clickstream');
    const lock = parseLock(readFileSync(new URL('../../../pipelines/clickstream.lock.json', import.meta.url), 'utf8'));
    expect(compareLocks(lock, lockForPipeline(clickstream, { previous: lock })).changes).toEqual([]);
    expect(lock.layout).toBe(layoutOf(clickstream).fingerprint);
  });
});
