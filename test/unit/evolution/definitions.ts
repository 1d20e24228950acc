/**
 * Definitions that change, for the evolution tests: a small definition language (windows, aggregates with their
 * windows, alerts, resets) built into pipelines over the property tests' events, and fast-check arbitraries of a
 * definition and of one change to it with the class the lock check must give it.
 */
import fc from 'fast-check';
import type { WindowSpec } from '../../../core';
import { count, definePipeline, hopping, max, type Pipeline, reducer, session, sum, tumbling } from '../../../core';
import { type TestEvent, TestEventSchema, type WindowDef } from '../support/streams';

/** What an aggregate of a test definition computes. */
export type AggregateKind = 'count' | 'sum' | 'max' | 'ids';

/** A test definition. Object key order is definition order (what positions in stored state follow). */
export interface Def {
  readonly windows: Readonly<Record<string, WindowDef>>;
  readonly aggregates: Readonly<Record<string, { readonly kind: AggregateKind; readonly windows?: readonly string[] }>>;
  /** Alert: fires when aggregate `of` of the window is above `over` (`atLeast`: at or above). */
  readonly alerts?: Readonly<
    Record<string, { readonly window: string; readonly of: string; readonly over: number; readonly atLeast?: boolean }>
  >;
  readonly resets?: { readonly windows?: Record<string, number>; readonly aggregates?: Record<string, number> };
}

function windowSpec(def: WindowDef): WindowSpec {
  if (def.kind === 'session') return session(def.gap, { grace: def.grace });
  if (def.kind === 'tumbling') return tumbling(def.size, { grace: def.grace });
  return hopping(def.size, def.advance, { grace: def.grace });
}

function aggregate(kind: AggregateKind, windows: readonly string[] | undefined) {
  const options = windows ? { windows } : {};
  switch (kind) {
    case 'count':
      return count(options);
    case 'sum':
      return sum((e: TestEvent) => e.v, options);
    case 'max':
      return max((e: TestEvent) => e.v, options);
    case 'ids':
      return reducer<TestEvent, string[], string[], string>({
        ...options,
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
      });
  }
}

/** The pipeline of a test definition (name `evolving`, key `k`, time `t`, dedupe id `id`). */
export function build(def: Def): Pipeline {
  const windows: Record<string, WindowSpec> = {};
  for (const [name, w] of Object.entries(def.windows)) windows[name] = windowSpec(w);
  const aggregates: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(def.aggregates)) aggregates[name] = aggregate(a.kind, a.windows);
  const alerts: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(def.alerts ?? {})) {
    const { of, over } = a;
    // Two sources: the lock file sees a change of the condition's code (not of a captured value).
    const when = a.atLeast
      ? (values: Record<string, unknown>) => Number(values[of] ?? 0) >= over
      : (values: Record<string, unknown>) => Number(values[of] ?? 0) > over;
    alerts[name] = { window: a.window, when };
  }
  return definePipeline({
    name: 'evolving',
    schema: TestEventSchema,
    id: 'id',
    key: 'k',
    time: 't',
    windows,
    aggregates: aggregates as never,
    alerts: alerts as never,
    ...(def.resets ? { resets: def.resets as never } : {}),
  }) as Pipeline;
}

/** Names of the aggregates computed for window `w` of a definition. */
export function aggregatesOf(def: Def, w: string): string[] {
  return Object.entries(def.aggregates)
    .filter(([, a]) => !a.windows || a.windows.includes(w))
    .map(([name]) => name);
}

const WINDOW_POOL: Readonly<Record<string, WindowDef>> = {
  tumble10: { kind: 'tumbling', size: 10, advance: 10, grace: 5 },
  hop20: { kind: 'hopping', size: 20, advance: 10, grace: 3 },
  tumble30: { kind: 'tumbling', size: 30, advance: 30, grace: 0 },
  tumble5: { kind: 'tumbling', size: 5, advance: 5, grace: 4 },
  sess: { kind: 'session', gap: 6, grace: 4 },
};
const AGGREGATE_POOL: readonly [string, AggregateKind][] = [
  ['n', 'count'],
  ['total', 'sum'],
  ['hi', 'max'],
  ['ids', 'ids'],
];

/** A definition: 1-3 windows of a pool (`tumble5` refines the slices of the others), 1-4 aggregates. */
export function defArb(): fc.Arbitrary<Def> {
  return fc
    .record({
      windows: fc.shuffledSubarray(['tumble10', 'hop20', 'tumble30', 'sess'], { minLength: 1, maxLength: 3 }),
      aggregates: fc.shuffledSubarray([...AGGREGATE_POOL], { minLength: 1, maxLength: 4 }),
      restrict: fc.boolean(),
      alert: fc.boolean(),
    })
    .map(({ windows, aggregates, restrict, alert }) => {
      const ws = Object.fromEntries(windows.map((w) => [w, WINDOW_POOL[w]!]));
      // The first aggregate applies to every window (so each window has one); the others maybe to the first only.
      const as = Object.fromEntries(
        aggregates.map(([name, kind], i) => [
          name,
          i > 0 && restrict && windows.length > 1 ? { kind, windows: [windows[0]!] } : { kind },
        ]),
      );
      const first = aggregates[0]![0];
      return {
        windows: ws,
        aggregates: as,
        ...(alert ? { alerts: { busy: { window: windows[0]!, of: first, over: 3 } } } : {}),
      } as Def;
    });
}

/** A change to a definition, with the class `streamfold check` must give its subject. */
export interface Change {
  readonly name: string;
  readonly next: Def;
  readonly subject: string;
  /** The class of the change of `subject` ('' for a change the check reports nothing for). */
  readonly expected: 'compatible' | 'partial' | 'incompatible';
}

/** The changes that apply to `def` (each a pure function of it). */
export function changesOf(def: Def): Change[] {
  const windows = Object.keys(def.windows);
  const aggregates = Object.keys(def.aggregates);
  const out: Change[] = [];
  const missingAggregate = AGGREGATE_POOL.find(([n]) => !aggregates.includes(n));
  if (missingAggregate) {
    const [name, kind] = missingAggregate;
    for (const at of ['first', 'last'] as const) {
      const entries = Object.entries(def.aggregates);
      const added = at === 'first' ? [[name, { kind }], ...entries] : [...entries, [name, { kind }]];
      out.push({
        name: `add aggregate ${name} ${at}`,
        next: { ...def, aggregates: Object.fromEntries(added) },
        subject: `aggregates.${name}`,
        expected: 'partial',
      });
    }
  }
  const removable = aggregates.filter(
    (a) => a !== aggregates[0] && !Object.values(def.alerts ?? {}).some((x) => x.of === a),
  );
  if (removable.length > 0) {
    const gone = removable[0]!;
    out.push({
      name: `remove aggregate ${gone}`,
      next: { ...def, aggregates: Object.fromEntries(Object.entries(def.aggregates).filter(([n]) => n !== gone)) },
      subject: `aggregates.${gone}`,
      expected: 'compatible',
    });
  }
  if (aggregates.length > 1) {
    out.push({
      name: 'reorder aggregates',
      next: { ...def, aggregates: Object.fromEntries(Object.entries(def.aggregates).reverse()) },
      subject: '',
      expected: 'compatible',
    });
  }
  const restricted = Object.entries(def.aggregates).find(([, a]) => a.windows !== undefined);
  if (restricted) {
    const [name, a] = restricted;
    out.push({
      name: `apply ${name} to every window`,
      next: { ...def, aggregates: { ...def.aggregates, [name]: { kind: a.kind } } },
      subject: `aggregates.${name}`,
      expected: 'partial',
    });
  }
  const newWindow = ['tumble5', 'tumble30', 'hop20', 'sess', 'tumble10'].find((w) => !windows.includes(w))!;
  out.push({
    name: `add window ${newWindow}`,
    next: { ...def, windows: { ...def.windows, [newWindow]: WINDOW_POOL[newWindow]! } },
    subject: `windows.${newWindow}`,
    expected: 'partial',
  });
  const alertWindow = windows[0]!;
  const restrictedTo = (w: string) =>
    Object.entries(def.aggregates).find(([, a]) => !a.windows || a.windows.includes(w))![0];
  if (windows.length > 1) {
    const gone = windows[windows.length - 1]!;
    if (!Object.values(def.alerts ?? {}).some((a) => a.window === gone)) {
      const aggs = Object.fromEntries(
        Object.entries(def.aggregates).map(([n, a]) => [
          n,
          a.windows ? { kind: a.kind, windows: a.windows.filter((w) => w !== gone) } : a,
        ]),
      );
      if (Object.values(aggs).every((a) => !a.windows || a.windows.length > 0)) {
        out.push({
          name: `remove window ${gone}`,
          next: {
            ...def,
            windows: Object.fromEntries(Object.entries(def.windows).filter(([n]) => n !== gone)),
            aggregates: aggs,
          },
          subject: `windows.${gone}`,
          expected: 'compatible',
        });
      }
    }
  }
  out.push({
    name: 'add alert',
    next: { ...def, alerts: { ...def.alerts, spike: { window: alertWindow, of: restrictedTo(alertWindow), over: 1 } } },
    subject: 'alerts.spike',
    expected: 'compatible',
  });
  if (def.alerts?.busy) {
    out.push({
      name: 'change alert condition',
      next: { ...def, alerts: { busy: { ...def.alerts.busy, atLeast: true } } },
      subject: 'alerts.busy',
      expected: 'compatible',
    });
  }
  // Incompatible: a window's grace, size or gap under the same name; an aggregate's kind under the same name.
  const w0 = windows[0]!;
  const d0 = def.windows[w0]!;
  const changedWindow: WindowDef = d0.kind === 'session' ? { ...d0, gap: d0.gap + 1 } : { ...d0, grace: d0.grace + 2 };
  out.push({
    name: `change ${d0.kind === 'session' ? 'gap' : 'grace'} of ${w0}`,
    next: { ...def, windows: { ...def.windows, [w0]: changedWindow } },
    subject: `windows.${w0}`,
    expected: 'incompatible',
  });
  out.push({
    name: `change ${d0.kind === 'session' ? 'gap' : 'grace'} of ${w0}, declared`,
    next: { ...def, windows: { ...def.windows, [w0]: changedWindow }, resets: { windows: { [w0]: 1 } } },
    subject: `windows.${w0}`,
    expected: 'partial',
  });
  const a0 = aggregates[aggregates.length - 1]!;
  const kind0 = def.aggregates[a0]!.kind;
  const otherKind: AggregateKind = kind0 === 'sum' ? 'max' : 'sum';
  out.push({
    name: `change kind of ${a0}`,
    next: { ...def, aggregates: { ...def.aggregates, [a0]: { ...def.aggregates[a0]!, kind: otherKind } } },
    subject: `aggregates.${a0}`,
    expected: 'incompatible',
  });
  out.push({
    name: `change kind of ${a0}, declared`,
    next: {
      ...def,
      aggregates: { ...def.aggregates, [a0]: { ...def.aggregates[a0]!, kind: otherKind } },
      resets: { aggregates: { [a0]: 1 } },
    },
    subject: `aggregates.${a0}`,
    expected: 'partial',
  });
  return out;
}
