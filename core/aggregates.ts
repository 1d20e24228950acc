import { DefinitionError, quote } from './errors';

/**
 * Mergeable aggregates. Every aggregate is a commutative monoid over JSON-serialisable state:
 * `merge` is associative and commutative with `init()` as identity, and folding a batch then merging equals adding
 * events one by one. That law is what lets the processor merge a whole batch in memory and write each key once.
 *
 * `add` and `merge` may mutate and return their first argument (the caller owns it); they never mutate the second.
 */

/** Options every built-in aggregate accepts. */
export interface AggregateOptions<E, W extends string> {
  /**
   * Names of the windows this aggregate is computed for.
   * @default - every window of the pipeline
   */
  readonly windows?: readonly W[];
  /**
   * Only events for which this returns true are added.
   * @default - every valid event
   */
  readonly filter?: (event: E) => boolean;
}

/**
 * A mergeable aggregate over events `E` with state `S` and result `R`, applied to windows `W`
 * (`never` = all windows).
 */
export interface AggregateSpec<E, S, R, W extends string = never> {
  readonly kind: string;
  readonly windows?: readonly W[];
  readonly filter?: (event: E) => boolean;
  /**
   * What the aggregate means beyond its kind, for definition fingerprints and the lock file (core/evolution):
   * structural options that change how its state reads (`distinct` max, `lastN` n) and the user functions whose
   * source the lock file records (extractor, filter, a reducer's functions).
   * @default - the kind alone
   */
  readonly meaning?: AggregateMeaning;
  /** The identity state (must survive a JSON round trip). */
  readonly init: () => S;
  /** Add one event with its event time (ms). */
  readonly add: (state: S, event: E, time: number) => S;
  /** Merge `b` into `a`. */
  readonly merge: (a: S, b: S) => S;
  /** The window result from the state. */
  readonly result: (state: S) => R;
  /**
   * True when adding and merging give the same state (up to JSON) whatever the order and grouping of the events:
   * the engine may then keep an open window's value by adding each event to it, instead of merging its slices again.
   * Not true of floating-point sums, nor of reducers unless they say so.
   * @default false
   */
  readonly orderFree?: boolean;
}

/** See {@link AggregateSpec.meaning}. */
export interface AggregateMeaning {
  /** Options that change how the aggregate's stored state reads (part of its state fingerprint). */
  readonly options?: Readonly<Record<string, string | number | boolean>>;
  /** The user's functions by role (`field`, `filter`, `init`, `add`...): the lock file records their source. */
  readonly functions?: Readonly<Record<string, ((...args: never[]) => unknown) | undefined>>;
}

/** Any aggregate (used in constraints). */
export type AnyAggregate<E = any> = AggregateSpec<E, any, any, string>;

/**
 * The constraint aggregates are checked against in a definition. It names only the event type, so that it gives
 * callbacks their event type without widening the aggregate's own state, result and window types.
 */
export interface AggregateOf<E> {
  readonly add: (state: never, event: E, time: number) => unknown;
}

/** The result type of an aggregate. */
export type ResultOf<A> = A extends AggregateSpec<any, any, infer R, any> ? R : never;

/** Result of {@link distinct}. */
export interface DistinctResult<V> {
  /** Number of distinct values (equals `max` once overflowed: a lower bound). */
  readonly count: number;
  /** True when more than `max` distinct values were seen; `values` then holds the `max` smallest. */
  readonly overflowed: boolean;
  /** The distinct values, sorted. */
  readonly values: V[];
}

type Primitive = string | number | boolean;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function opts<E, W extends string>(o: AggregateOptions<E, W> | undefined) {
  return { windows: o?.windows, filter: o?.filter };
}

/** The {@link AggregateMeaning} of a built-in aggregate: its extractor, its filter, and structural options. */
function meaning(
  o: AggregateOptions<any, string> | undefined,
  field?: (...args: never[]) => unknown,
  options?: Record<string, number>,
): AggregateMeaning {
  return { ...(options ? { options } : {}), functions: { field, filter: o?.filter } };
}

/**
 * Number of events.
 * @example aggregates: { events: count() }
 */
export function count<E = any, const W extends string = never>(
  options?: AggregateOptions<E, W>,
): AggregateSpec<E, number, number, W> {
  return {
    kind: 'count',
    ...opts(options),
    meaning: meaning(options),
    orderFree: true,
    init: () => 0,
    add: (s) => s + 1,
    merge: (a, b) => a + b,
    result: (s) => s,
  };
}

/**
 * Sum of a numeric field (non-finite values are ignored).
 * @example aggregates: { revenue: sum((e) => e.amount, { filter: (e) => e.type === 'purchase' }) }
 */
export function sum<E = any, const W extends string = never>(
  field: (event: E, time: number) => number,
  options?: AggregateOptions<E, W>,
): AggregateSpec<E, number, number, W> {
  return {
    kind: 'sum',
    ...opts(options),
    meaning: meaning(options, field),
    init: () => 0,
    add: (s, e, t) => {
      const v = field(e, t);
      return Number.isFinite(v) ? s + v : s;
    },
    merge: (a, b) => a + b,
    result: (s) => s,
  };
}

function extreme<E, W extends string>(
  kind: 'min' | 'max',
  field: (event: E, time: number) => number,
  options: AggregateOptions<E, W> | undefined,
): AggregateSpec<E, number | null, number | null, W> {
  const pick = kind === 'min' ? Math.min : Math.max;
  const merge = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : pick(a, b));
  return {
    kind,
    ...opts(options),
    meaning: meaning(options, field),
    orderFree: true,
    init: () => null,
    add: (s, e, t) => {
      const v = field(e, t);
      return Number.isFinite(v) ? merge(s, v) : s;
    },
    merge,
    result: (s) => s,
  };
}

/** Smallest value of a numeric field, or null when no event had a finite value. */
export function min<E = any, const W extends string = never>(
  field: (event: E, time: number) => number,
  options?: AggregateOptions<E, W>,
): AggregateSpec<E, number | null, number | null, W> {
  return extreme('min', field, options);
}

/** Largest value of a numeric field, or null when no event had a finite value. */
export function max<E = any, const W extends string = never>(
  field: (event: E, time: number) => number,
  options?: AggregateOptions<E, W>,
): AggregateSpec<E, number | null, number | null, W> {
  return extreme('max', field, options);
}

/** Mean of a numeric field, or null when no event had a finite value. State is `[sum, count]`. */
export function avg<E = any, const W extends string = never>(
  field: (event: E, time: number) => number,
  options?: AggregateOptions<E, W>,
): AggregateSpec<E, [number, number], number | null, W> {
  return {
    kind: 'avg',
    ...opts(options),
    meaning: meaning(options, field),
    init: () => [0, 0],
    add: (s, e, t) => {
      const v = field(e, t);
      if (Number.isFinite(v)) {
        s[0] += v;
        s[1] += 1;
      }
      return s;
    },
    merge: (a, b) => {
      a[0] += b[0];
      a[1] += b[1];
      return a;
    },
    result: (s) => (s[1] === 0 ? null : s[0] / s[1]),
  };
}

/** Total order over primitives: by type name, then value. */
export function comparePrimitive(a: Primitive, b: Primitive): number {
  const ta = typeof a;
  const tb = typeof b;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Insert into a sorted array if absent (binary search); returns false when already present. */
function insertSorted(values: Primitive[], v: Primitive): boolean {
  const n = values.length;
  // Fast path: a value past the largest (ascending ids, times) is appended without a search.
  if (n === 0 || comparePrimitive(values[n - 1]!, v) < 0) {
    values.push(v);
    return true;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = comparePrimitive(values[mid]!, v);
    if (c === 0) return false;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  values.splice(lo, 0, v);
  return true;
}

/**
 * Union of two sorted, duplicate-free arrays in one pass, keeping the `bound` smallest values; `overflowed` when the
 * union holds more than `bound`.
 */
function unionSorted(a: Primitive[], b: Primitive[], bound: number): { values: Primitive[]; overflowed: boolean } {
  const values: Primitive[] = [];
  let i = 0;
  let j = 0;
  while ((i < a.length || j < b.length) && values.length < bound) {
    if (j >= b.length) values.push(a[i++]!);
    else if (i >= a.length) values.push(b[j++]!);
    else {
      const c = comparePrimitive(a[i]!, b[j]!);
      if (c < 0) values.push(a[i++]!);
      else if (c > 0) values.push(b[j++]!);
      else {
        values.push(a[i++]!);
        j++;
      }
    }
  }
  // Whatever is left is larger than every kept value (equal values are consumed together): it did not fit.
  return { values, overflowed: i < a.length || j < b.length };
}

/** State of {@link distinct}: the sorted distinct values (at most `max`) and the overflow flag. */
export interface DistinctState<V> {
  v: V[];
  o: boolean;
}

/**
 * Distinct values of a field, exact up to `max` (default 100); beyond that the result is flagged `overflowed` and
 * keeps the `max` smallest values, so state stays bounded and merging stays exact-or-flagged.
 * @example aggregates: { types: distinct((e) => e.type, { max: 16 }) }
 */
export function distinct<E = any, V extends Primitive = Primitive, const W extends string = never>(
  field: (event: E, time: number) => V,
  options?: AggregateOptions<E, W> & { readonly max?: number },
): AggregateSpec<E, DistinctState<V>, DistinctResult<V>, W> {
  const bound = options?.max ?? 100;
  if (!Number.isInteger(bound) || bound < 1) {
    throw new DefinitionError('distinct.max', `must be a positive whole number, got ${quote(bound)}`);
  }
  const addValue = (s: DistinctState<V>, v: V) => {
    if (insertSorted(s.v, v) && s.v.length > bound) {
      s.v.pop();
      s.o = true;
    }
    return s;
  };
  return {
    kind: 'distinct',
    ...opts(options),
    meaning: meaning(options, field, { max: bound }),
    orderFree: true,
    init: () => ({ v: [], o: false }),
    add: (s, e, t) => {
      const v = field(e, t);
      if (v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v))) return s;
      // −0 is stored as 0 (JSON writes it so): the kept value never depends on which came first.
      return addValue(s, (v === 0 ? 0 : v) as V);
    },
    // O(n + m): one pass over both sorted arrays (b is never mutated; a's array is replaced).
    merge: (a, b) => {
      if (b.v.length > 0) {
        if (a.v.length === 0 && b.v.length <= bound) a.v = b.v.slice();
        else {
          const union = unionSorted(a.v, b.v, bound);
          a.v = union.values as V[];
          if (union.overflowed) a.o = true;
        }
      }
      a.o = a.o || b.o;
      return a;
    },
    result: (s) => ({ count: s.v.length, overflowed: s.o, values: s.v.slice() }),
  };
}

/** Compare two timed values: by time, then by their JSON text (a deterministic tie-break). */
function compareTimed(a: [number, Json], b: [number, Json]): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  if (a[1] === b[1]) return 0;
  if (typeof a[1] === typeof b[1] && (typeof a[1] === 'string' || typeof a[1] === 'number')) {
    return a[1] < (b[1] as string | number) ? -1 : 1;
  }
  const ja = JSON.stringify(a[1]);
  const jb = JSON.stringify(b[1]);
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

function edge<E, T extends Json, W extends string>(
  kind: 'first' | 'last',
  field: (event: E, time: number) => T,
  options: AggregateOptions<E, W> | undefined,
): AggregateSpec<E, [number, T] | null, T | null, W> {
  const sign = kind === 'first' ? 1 : -1;
  const merge = (a: [number, T] | null, b: [number, T] | null) =>
    a === null ? b : b === null ? a : sign * compareTimed(a, b) <= 0 ? a : b;
  return {
    kind,
    ...opts(options),
    meaning: meaning(options, field),
    orderFree: true,
    init: () => null,
    add: (s, e, t) => {
      const v = field(e, t);
      if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return s;
      // Allocate a new pair only when the event wins (the common case keeps the current edge).
      if (s !== null && (sign > 0 ? t > s[0] : t < s[0])) return s;
      return merge(s, [t, v]);
    },
    merge,
    result: (s) => (s === null ? null : s[1]),
  };
}

/**
 * The field's value at the earliest event time (ties broken deterministically).
 * @example aggregates: { firstSeen: first((e) => e.ts) }
 */
export function first<E = any, T extends Json = Json, const W extends string = never>(
  field: (event: E, time: number) => T,
  options?: AggregateOptions<E, W>,
): AggregateSpec<E, [number, T] | null, T | null, W> {
  return edge('first', field, options);
}

/** The field's value at the latest event time (ties broken deterministically). */
export function last<E = any, T extends Json = Json, const W extends string = never>(
  field: (event: E, time: number) => T,
  options?: AggregateOptions<E, W>,
): AggregateSpec<E, [number, T] | null, T | null, W> {
  return edge('last', field, options);
}

/**
 * The field's values at the `n` latest event times, oldest first.
 * @example aggregates: { recentPages: lastN((e) => e.page ?? null, 5) }
 */
export function lastN<E = any, T extends Json = Json, const W extends string = never>(
  field: (event: E, time: number) => T,
  n: number,
  options?: AggregateOptions<E, W>,
): AggregateSpec<E, [number, T][], T[], W> & { readonly n: number } {
  if (!Number.isInteger(n) || n < 1)
    throw new DefinitionError('lastN.n', `must be a positive whole number, got ${quote(n)}`);
  const keep = (s: [number, T][]) => (s.length > n ? s.slice(s.length - n) : s);
  return {
    kind: 'lastN',
    n,
    ...opts(options),
    meaning: meaning(options, field, { n }),
    orderFree: true,
    init: () => [],
    add: (s, e, t) => {
      const v = field(e, t);
      if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return s;
      if (s.length >= n && t < s[0]![0]) return s;
      s.push([t, v]);
      s.sort(compareTimed);
      return keep(s);
    },
    merge: (a, b) => keep(a.concat(b).sort(compareTimed)),
    result: (s) => s.map((x) => x[1]),
  };
}

/** A custom mergeable reducer; see {@link reducer}. */
export interface ReducerOptions<E, S, R, W extends string> extends AggregateOptions<E, W> {
  /** Identity state; must be JSON-serialisable. */
  readonly init: () => S;
  /** Add one event (may mutate and return `state`). */
  readonly add: (state: S, event: E, time: number) => S;
  /** Merge `b` into `a`; must be associative and commutative with `init()` as identity. */
  readonly merge: (a: S, b: S) => S;
  /**
   * Window result from state.
   * @default - the state itself
   */
  readonly result?: (state: S) => R;
}

/**
 * A custom aggregate.
 * @example
 * aggregates: {
 *   bytes: reducer({ init: () => 0, add: (s, e) => s + e.size, merge: (a, b) => a + b }),
 * }
 */
export function reducer<E = any, S = unknown, R = S, const W extends string = never>(
  options: ReducerOptions<E, S, R, W>,
): AggregateSpec<E, S, R, W> {
  return {
    kind: 'reducer',
    ...opts(options),
    meaning: {
      functions: {
        init: options.init,
        add: options.add,
        merge: options.merge,
        result: options.result,
        filter: options.filter,
      },
    },
    init: options.init,
    add: options.add,
    merge: options.merge,
    result: options.result ?? ((s: S) => s as unknown as R),
  };
}

/**
 * The aggregate builders with the event type and window names fixed; passed to the `aggregates` function of a
 * definition so callbacks get the event type and `windows` lists are checked against the defined windows.
 */
export interface AggregateBuilders<E, WN extends string> {
  count<const W extends WN = never>(options?: AggregateOptions<E, W>): AggregateSpec<E, number, number, W>;
  sum<const W extends WN = never>(
    field: (event: E, time: number) => number,
    options?: AggregateOptions<E, W>,
  ): AggregateSpec<E, number, number, W>;
  min<const W extends WN = never>(
    field: (event: E, time: number) => number,
    options?: AggregateOptions<E, W>,
  ): AggregateSpec<E, number | null, number | null, W>;
  max<const W extends WN = never>(
    field: (event: E, time: number) => number,
    options?: AggregateOptions<E, W>,
  ): AggregateSpec<E, number | null, number | null, W>;
  avg<const W extends WN = never>(
    field: (event: E, time: number) => number,
    options?: AggregateOptions<E, W>,
  ): AggregateSpec<E, [number, number], number | null, W>;
  distinct<V extends Primitive, const W extends WN = never>(
    field: (event: E, time: number) => V,
    options?: AggregateOptions<E, W> & { readonly max?: number },
  ): AggregateSpec<E, DistinctState<V>, DistinctResult<V>, W>;
  first<T extends Json, const W extends WN = never>(
    field: (event: E, time: number) => T,
    options?: AggregateOptions<E, W>,
  ): AggregateSpec<E, [number, T] | null, T | null, W>;
  last<T extends Json, const W extends WN = never>(
    field: (event: E, time: number) => T,
    options?: AggregateOptions<E, W>,
  ): AggregateSpec<E, [number, T] | null, T | null, W>;
  lastN<T extends Json, const W extends WN = never>(
    field: (event: E, time: number) => T,
    n: number,
    options?: AggregateOptions<E, W>,
  ): AggregateSpec<E, [number, T][], T[], W>;
  reducer<S, R = S, const W extends WN = never>(options: ReducerOptions<E, S, R, W>): AggregateSpec<E, S, R, W>;
}

/** The runtime builders (the same functions as the named exports). */
export const aggregateBuilders: AggregateBuilders<any, string> = {
  count,
  sum,
  min,
  max,
  avg,
  distinct,
  first,
  last,
  lastN,
  reducer,
};
