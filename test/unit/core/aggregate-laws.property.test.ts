import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AnyAggregate, avg, count, distinct, first, last, lastN, max, min, reducer, sum } from '../../../core';

/** Events the aggregates read: a value, a category, and the event time passed to `add`. */
interface Ev {
  readonly v: number;
  readonly c: string;
  readonly t: number;
}

/**
 * Values are integers on purpose: floating-point addition is not associative ((0.1 + 0.2) + 0.3 !== 0.1 + (0.2 + 0.3)),
 * so sum and avg are only exactly associative over integers (safe integers, far from 2^53 here).
 */
const evArb: fc.Arbitrary<Ev> = fc.record({
  v: fc.integer({ min: -1000, max: 1000 }),
  c: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'),
  t: fc.integer({ min: 0, max: 50 }),
});
const batchArb = fc.array(evArb, { maxLength: 12 });

/** A custom reducer: count, sum and largest value together, merged field by field (mutating `a`). */
const stats = reducer<Ev, { n: number; s: number; hi: number | null }>({
  init: () => ({ n: 0, s: 0, hi: null }),
  add: (st, e) => {
    st.n += 1;
    st.s += e.v;
    st.hi = st.hi === null ? e.v : Math.max(st.hi, e.v);
    return st;
  },
  merge: (a, b) => {
    a.n += b.n;
    a.s += b.s;
    a.hi = a.hi === null ? b.hi : b.hi === null ? a.hi : Math.max(a.hi, b.hi);
    return a;
  },
});

const aggregates: Record<string, AnyAggregate<Ev>> = {
  count: count(),
  sum: sum((e: Ev) => e.v),
  min: min((e: Ev) => e.v),
  max: max((e: Ev) => e.v),
  avg: avg((e: Ev) => e.v),
  'distinct (max 3, overflows)': distinct((e: Ev) => e.c, { max: 3 }),
  'distinct (numbers, -0 included: stored as 0)': distinct((e: Ev) => e.v % 7),
  first: first((e: Ev) => e.c),
  last: last((e: Ev) => ({ c: e.c, v: e.v })),
  'last (mixed value types)': last((e: Ev) => (e.v % 3 === 0 ? e.c : e.v % 3 === 1 ? e.v : [e.c, e.v])),
  lastN: lastN((e: Ev) => e.v, 3),
  'lastN (objects)': lastN((e: Ev) => ({ c: e.c }), 2),
  reducer: stats,
};

/** Deep copy: `add` and `merge` may mutate their first argument, so every use gets its own copy. */
const clone = <T>(value: T): T => structuredClone(value);

function fold(spec: AnyAggregate<Ev>, events: readonly Ev[], from: unknown = spec.init()): unknown {
  let state = clone(from);
  for (const e of events) state = spec.add(state, e, e.t);
  return state;
}

const merge = (spec: AnyAggregate<Ev>, a: unknown, b: unknown) => spec.merge(clone(a), clone(b));

describe.each(Object.entries(aggregates))('aggregate laws: %s', (_name, spec) => {
  const runs = { numRuns: 200 };

  it('merge is associative', () => {
    fc.assert(
      fc.property(batchArb, batchArb, batchArb, (x, y, z) => {
        const [a, b, c] = [fold(spec, x), fold(spec, y), fold(spec, z)];
        const left = merge(spec, merge(spec, a, b), c);
        const right = merge(spec, a, merge(spec, b, c));
        expect(spec.result(left)).toEqual(spec.result(right));
        expect(left).toEqual(right);
      }),
      runs,
    );
  });

  it('merge is commutative', () => {
    fc.assert(
      fc.property(batchArb, batchArb, (x, y) => {
        const [a, b] = [fold(spec, x), fold(spec, y)];
        expect(merge(spec, a, b)).toEqual(merge(spec, b, a));
      }),
      runs,
    );
  });

  it('init() is the identity of merge', () => {
    fc.assert(
      fc.property(batchArb, (x) => {
        const a = fold(spec, x);
        expect(merge(spec, a, spec.init())).toEqual(a);
        expect(merge(spec, spec.init(), a)).toEqual(a);
      }),
      runs,
    );
  });

  it('folding a batch then merging it into a state equals adding the events one by one', () => {
    fc.assert(
      fc.property(batchArb, batchArb, (before, batch) => {
        const state = fold(spec, before);
        expect(merge(spec, state, fold(spec, batch))).toEqual(fold(spec, batch, state));
      }),
      runs,
    );
  });

  it('the order of events does not matter, and merge never mutates its second argument', () => {
    fc.assert(
      fc.property(
        batchArb.chain((x) => fc.tuple(fc.constant(x), fc.shuffledSubarray(x, { minLength: x.length }))),
        batchArb,
        ([x, shuffled], y) => {
          expect(fold(spec, shuffled)).toEqual(fold(spec, x));
          const b = fold(spec, y);
          const copy = clone(b);
          spec.merge(fold(spec, x), b);
          expect(b).toEqual(copy);
        },
      ),
      runs,
    );
  });

  it('state survives a JSON round trip unchanged (it is stored as JSON)', () => {
    fc.assert(
      fc.property(batchArb, (x) => {
        const state = fold(spec, x);
        expect(JSON.parse(JSON.stringify(state))).toEqual(state);
      }),
      runs,
    );
  });
});

describe('aggregate results', () => {
  it('compute what they say over a batch', () => {
    fc.assert(
      fc.property(batchArb, (events) => {
        const vs = events.map((e) => e.v);
        const r = (name: string) => aggregates[name]!.result(fold(aggregates[name]!, events));
        expect(r('count')).toBe(events.length);
        expect(r('sum')).toBe(vs.reduce((s, v) => s + v, 0));
        expect(r('min')).toBe(vs.length ? Math.min(...vs) : null);
        expect(r('max')).toBe(vs.length ? Math.max(...vs) : null);
        expect(r('avg')).toBe(vs.length ? vs.reduce((s, v) => s + v, 0) / vs.length : null);
        const cats = [...new Set(events.map((e) => e.c))].sort();
        expect(r('distinct (max 3, overflows)')).toEqual({
          count: Math.min(cats.length, 3),
          overflowed: cats.length > 3,
          values: cats.slice(0, 3),
        });
        const byTime = [...events].sort((a, b) => a.t - b.t);
        const earliest = byTime.filter((e) => e.t === byTime[0]?.t).map((e) => e.c);
        if (events.length === 0) expect(r('first')).toBeNull();
        else expect(earliest).toContain(r('first'));
        const lastThree = r('lastN') as number[];
        expect(lastThree.length).toBe(Math.min(3, events.length));
        expect(r('reducer')).toEqual({ n: events.length, s: r('sum'), hi: r('max') });
      }),
      { numRuns: 200 },
    );
  });

  it('ignore non-finite numbers and missing values', () => {
    const weird = [Number.NaN, Number.POSITIVE_INFINITY, 3, Number.NEGATIVE_INFINITY];
    const events = weird.map((v, i) => ({ v, c: 'a', t: i }));
    const fold2 = (spec: AnyAggregate<Ev>) => spec.result(fold(spec, events));
    expect(fold2(sum((e: Ev) => e.v))).toBe(3);
    expect(fold2(min((e: Ev) => e.v))).toBe(3);
    expect(fold2(max((e: Ev) => e.v))).toBe(3);
    expect(fold2(avg((e: Ev) => e.v))).toBe(3);
    expect(fold2(distinct((e: Ev) => e.v))).toEqual({ count: 1, overflowed: false, values: [3] });
    expect(fold2(first((e: Ev) => (e.t === 0 ? (undefined as never) : e.t)))).toBe(1);
  });
});
