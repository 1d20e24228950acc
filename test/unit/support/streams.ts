/**
 * Record factories for the engine's property tests: small test events, fast-check arbitraries of out-of-order
 * streams, and the pipelines (zod schema, numeric event time) the properties replay them through.
 */
import fc from 'fast-check';
import { z } from 'zod';
import {
  count,
  definePipeline,
  hopping,
  type Pipeline,
  reducer,
  session,
  sum,
  tumbling,
  type WindowSpec,
} from '../../../core';

/** The event of the test pipelines: id (dedupe), key `k`, partition key `p`, event time `t` (ms), value `v`. */
export interface TestEvent {
  readonly id: string;
  readonly k: string;
  readonly p: string;
  readonly t: number;
  readonly v: number;
}

/** zod schema of {@link TestEvent}. */
export const TestEventSchema = z.object({
  id: z.string().min(1),
  k: z.string().min(1),
  p: z.string().min(1),
  t: z.number(),
  v: z.number(),
});

/** A tumbling or hopping window of a test pipeline, durations in ms (tumbling: advance = size). */
export interface TimedWindowDef {
  readonly kind: 'tumbling' | 'hopping';
  readonly size: number;
  readonly advance: number;
  readonly grace: number;
}

/** A session window of a test pipeline, durations in ms. */
export interface SessionWindowDef {
  readonly kind: 'session';
  readonly gap: number;
  readonly grace: number;
}

/** Any window of a test pipeline. */
export type WindowDef = TimedWindowDef | SessionWindowDef;

/** The values every test pipeline computes, per window: count, sum of `v`, and the sorted ids of the events in it. */
export interface TestValues {
  readonly n: number;
  readonly total: number;
  readonly ids: string[];
}

/** Alert rule of a test pipeline (the engine's `when` over {@link TestValues}). */
export interface TestAlert {
  readonly window: string;
  readonly when: (values: TestValues) => boolean;
}

/** Options of {@link testPipeline}. */
export interface TestPipelineOptions {
  /** Route events to shards by `p` instead of the key `k` (then one key is read from several shards). */
  readonly partitionByP?: boolean;
  readonly alerts?: Record<string, TestAlert>;
}

/** The values {@link testPipeline} computes over a list of events (what the references compare against). */
export function valuesOf(events: readonly TestEvent[]): TestValues {
  return {
    n: events.length,
    total: events.reduce((s, e) => s + e.v, 0),
    ids: events.map((e) => e.id).sort(),
  };
}

function windowSpec(def: WindowDef): WindowSpec {
  if (def.kind === 'session') return session(def.gap, { grace: def.grace });
  if (def.kind === 'tumbling') return tumbling(def.size, { grace: def.grace });
  return hopping(def.size, def.advance, { grace: def.grace });
}

/**
 * A pipeline over {@link TestEvent} with the given windows and the aggregates `n` (count), `total` (sum of `v`) and
 * `ids` (a custom reducer collecting event ids, so a mismatch shows exactly which events landed where).
 */
export function testPipeline(windows: Record<string, WindowDef>, options: TestPipelineOptions = {}): Pipeline {
  const specs: Record<string, WindowSpec> = {};
  for (const [name, def] of Object.entries(windows)) specs[name] = windowSpec(def);
  return definePipeline({
    name: 'prop-test',
    schema: TestEventSchema,
    id: 'id',
    key: 'k',
    ...(options.partitionByP ? { partitionKey: 'p' } : {}),
    time: 't',
    windows: specs,
    aggregates: {
      n: count(),
      total: sum((e: TestEvent) => e.v),
      ids: reducer<TestEvent, string[], string[]>({
        init: () => [],
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
    },
    alerts: options.alerts as never,
  }) as Pipeline;
}

/** JSON lines of events, as `replay` reads them. */
export function toLines(events: readonly TestEvent[]): string[] {
  return events.map((e) => JSON.stringify(e));
}

/** Options of {@link streamArb}. */
export interface StreamOptions {
  /** Number of distinct keys (`k0`...). @default 1 */
  readonly keys?: number;
  /** Number of distinct partition keys `p` (used when a pipeline partitions by `p`). @default 1 */
  readonly partitions?: number;
  /** @default 40 */
  readonly maxEvents?: number;
  /** Largest step of the underlying clock between two events (ms). @default 6 */
  readonly maxStep?: number;
  /** Largest delay of an event behind the clock (out-of-order; beyond the grace it is late). @default 25 */
  readonly maxLag?: number;
  /** Event times in half milliseconds (fractional times such as 9.5). @default false */
  readonly halfMs?: boolean;
}

/**
 * Out-of-order streams: a clock moves forward by random steps and each event lags it by a random delay, so most
 * events are a little out of order and some are far behind (late). Ids `e0`, `e1`... follow file order.
 */
export function streamArb(options: StreamOptions = {}): fc.Arbitrary<TestEvent[]> {
  const { keys = 1, partitions = 1, maxEvents = 40, maxStep = 6, maxLag = 25, halfMs = false } = options;
  const item = fc.record({
    k: fc.nat({ max: keys - 1 }),
    p: fc.nat({ max: partitions - 1 }),
    step: fc.nat({ max: maxStep }),
    lag: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat({ max: maxLag }) }),
    half: halfMs ? fc.boolean() : fc.constant(false),
    v: fc.integer({ min: -20, max: 20 }),
  });
  return fc.array(item, { minLength: 1, maxLength: maxEvents }).map((items) => {
    let clock = 0;
    return items.map((it, i) => {
      clock += it.step;
      return {
        id: `e${i}`,
        k: `k${it.k}`,
        p: `p${it.p}`,
        t: Math.max(0, clock - it.lag) + (it.half ? 0.5 : 0),
        v: it.v,
      };
    });
  });
}

/** A tumbling window (size 1..maxSize) or a hopping window (advance ≤ size, dividing it or not), grace 0..maxGrace. */
export function timedWindowArb(maxSize = 20, maxGrace = 15): fc.Arbitrary<TimedWindowDef> {
  const grace = fc.oneof(fc.constant(0), fc.nat({ max: maxGrace }));
  const tumblingArb = fc
    .record({ size: fc.integer({ min: 1, max: maxSize }), grace })
    .map(({ size, grace }): TimedWindowDef => ({ kind: 'tumbling', size, advance: size, grace }));
  const hoppingArb = fc
    .record({ size: fc.integer({ min: 1, max: maxSize }), ratio: fc.double({ min: 0, max: 1, noNaN: true }), grace })
    .map(({ size, ratio, grace }): TimedWindowDef => {
      const advance = Math.min(size, Math.max(1, Math.round(ratio * size)));
      return { kind: 'hopping', size, advance, grace };
    });
  return fc.oneof(tumblingArb, hoppingArb);
}

/** A session window: gap 1..maxGap, grace 0..maxGrace. */
export function sessionWindowArb(maxGap = 12, maxGrace = 15): fc.Arbitrary<SessionWindowDef> {
  return fc.record({
    kind: fc.constant('session' as const),
    gap: fc.integer({ min: 1, max: maxGap }),
    grace: fc.oneof(fc.constant(0), fc.nat({ max: maxGrace })),
  });
}
