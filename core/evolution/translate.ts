import type { Layout } from '../engine/layout';
import type { ClosedWindow, KeyState, PartialMark, SessionState } from '../engine/state';
import { type LayoutDescriptor, timedAggregatesOf } from './descriptor';

/**
 * Translate a key's state written under layout `from` into layout `to`, by name (never by position):
 *
 * - an aggregate with the same name and fingerprint carries over, in every window that had it;
 * - an aggregate new to a window (added, applied to one more window, or reset) starts from `init()`: instances of
 *   that window that start at or before the switch report it `partial`;
 * - a window with the same name and fingerprint carries over (open sessions, closed windows, fired alerts); a new or
 *   reset window starts empty and all its aggregates are partial in instances that start at or before the switch
 *   (sessions: within one gap after it);
 * - removed windows, aggregates and alerts are dropped; an alert keeps its fired marks only when its window carries
 *   over (a new or changed alert is evaluated from the switch);
 * - tumbling and hopping windows share slices: when a time window is new (or reset), the stored slices become a layer
 *   only the windows that carried over read (so a new window counts only the events after the switch); when all carry
 *   over and the slice size grows (a window removed), each old slice merges into the new slice holding it.
 *
 * The switch time is the stream time of the first record the new definition applies to the key (its source's stream
 * time including that record; never below the key's own stream time), or the key's stream time when a closer
 * translates it: at least the time of every event applied before, so every instance that may miss one is flagged.
 * Stream time, the finalized-through mark and the dedupe claims carry over as they are. Pure and deterministic: the
 * processor and replay translate the same state before the same record to the same result.
 */
export function translateState(
  from: LayoutDescriptor,
  to: Layout,
  state: KeyState,
  switchTime: number = state.m,
): KeyState {
  if (state.l === to.fingerprint) return state;
  const out: KeyState = { m: state.m, s: {}, l: to.fingerprint };
  if (state.z !== undefined) out.z = state.z;
  if (state.d !== undefined) out.d = state.d;
  if (state.D !== undefined) out.D = state.D;
  if (!Number.isFinite(state.m)) return out; // nothing was ever applied: no window holds anything
  const m0 = Math.max(state.m, switchTime);
  const plan = new Plan(from, to);

  // Slices: states aligned with the timed aggregates of `from`, realigned by name for `to`.
  const source = to.timedAggregates.map((b) => {
    const a = plan.carriedAggregate(b);
    return a < 0 ? -1 : plan.fromTimed.indexOf(a);
  });
  const realign = (states: readonly unknown[]) =>
    to.timedAggregates.map((b, j) => (source[j]! >= 0 ? states[source[j]!] : plan.init(b)));
  const carriedTimed = to.timedWindows.filter((w) => plan.windowFrom[w.index]! >= 0).map((w) => w.index);
  const layers = (state.o ?? []).flatMap((layer) => {
    const w = layer.w.flatMap((a) => {
      const b = plan.windowTo.get(a);
      return b !== undefined && carriedTimed.includes(b) ? [b] : [];
    });
    const s = Object.fromEntries(Object.entries(layer.s).map(([k, states]) => [k, realign(states)]));
    return w.length > 0 ? [{ ms: layer.ms, w, s }] : [];
  });
  const slices = Object.entries(state.s);
  if (from.sliceMs !== null && to.sliceMs !== 0 && slices.length > 0) {
    if (carriedTimed.length < to.timedWindows.length) {
      // A new (or reset) time window: the slices become a layer only the windows that carried over read, so the new
      // one counts the events after the switch (see core/engine/layers.ts).
      if (carriedTimed.length > 0) {
        layers.push({
          ms: from.sliceMs,
          w: carriedTimed,
          s: Object.fromEntries(slices.map(([k, v]) => [k, realign(v)])),
        });
      }
    } else {
      // Every time window carried over: their sizes and advances are multiples of both slice sizes, and the new one
      // is a multiple of the old (the gcd of fewer windows): each old slice merges into the new slice holding it.
      for (const [slice, states] of slices) {
        const at = Math.floor((Number(slice) * from.sliceMs) / to.sliceMs);
        const values = realign(states);
        const existing = out.s[at];
        if (!existing) out.s[at] = values;
        else {
          for (let j = 0; j < values.length; j++) {
            if (source[j]! >= 0) existing[j] = plan.merge(to.timedAggregates[j]!, existing[j], values[j]);
          }
        }
      }
    }
  }
  if (layers.length > 0) out.o = layers;

  // Sessions and closed windows of windows that carry over.
  for (const [index, sessions] of Object.entries(state.x ?? {})) {
    const b = plan.windowTo.get(Number(index));
    if (b === undefined || sessions.length === 0) continue;
    out.x ??= {};
    out.x[b] = sessions.map((s): SessionState => {
      const f = plan.alerts(s.f);
      return { s: s.s, l: s.l, a: plan.realign(Number(index), b, s.a), ...(f ? { f } : {}) };
    });
  }
  for (const closed of Object.values(state.c ?? {})) {
    const b = plan.windowTo.get(closed.w);
    if (b === undefined) continue;
    const f = plan.alerts(closed.f);
    const p = union(plan.positions(closed.w, b, closed.p), plan.added(closed.w, b));
    const moved: ClosedWindow = {
      w: b,
      s: closed.s,
      e: closed.e,
      a: plan.realign(closed.w, b, closed.a),
      ...(f ? { f } : {}),
      ...(p ? { p } : {}),
    };
    out.c ??= {};
    out.c[`${b}@${closed.s}`] = moved;
  }

  // Alerts fired for open time windows: `<alert>@<start>`.
  const fired = (state.f ?? []).flatMap((id) => {
    const [alert, start] = id.split('@');
    const b = plan.alertTo.get(Number(alert));
    return b === undefined ? [] : [`${b}@${start}`];
  });
  if (fired.length > 0) out.f = fired;

  // Partial marks: the old ones of windows that carry over, and this switch's.
  const marks: Record<string, PartialMark[]> = {};
  for (const [index, list] of Object.entries(state.P ?? {})) {
    const b = plan.windowTo.get(Number(index));
    if (b === undefined) continue;
    for (const [t, positions] of list) {
      if (!positions) (marks[b] ??= []).push([t]);
      else {
        const mapped = plan.positions(Number(index), b, positions);
        if (mapped) (marks[b] ??= []).push([t, mapped]);
      }
    }
  }
  to.pipeline.windows.forEach((_, b) => {
    const a = plan.windowFrom[b]!;
    if (a < 0) (marks[b] ??= []).push([m0]);
    else {
      const added = plan.added(a, b);
      if (added) (marks[b] ??= []).push([m0, added]);
    }
  });
  if (Object.keys(marks).length > 0) out.P = marks;

  // Reset floors: a window whose name was there with another meaning (a declared reset, or a change that reached the
  // processor unchecked) never reopens an instance the old meaning may have finalized (its result id was emitted):
  // every old instance starting at or before the floor was final by the finalized-through mark z.
  const floors: Record<string, number> = {};
  for (const [index, t] of Object.entries(state.F ?? {})) {
    const b = plan.windowTo.get(Number(index));
    if (b !== undefined) floors[b] = t;
  }
  if (state.z !== undefined && Number.isFinite(state.z)) {
    to.descriptor.windows.forEach((w, b) => {
      if (plan.windowFrom[b]! >= 0) return;
      const a = from.windows.findIndex((x) => x.name === w.name);
      if (a < 0) return;
      const old = from.windows[a]!;
      // A timed instance was final when start + size + grace ≤ z (start ≤ z − span); a session only when
      // end + gap + grace < z (strictly, so its start < z − span: times are whole milliseconds).
      const floor =
        old.kind === 'session' ? state.z! - (old.gapMs + old.graceMs) - 1 : state.z! - (old.sizeMs + old.graceMs);
      floors[b] = Math.max(floor, state.F?.[a] ?? Number.NEGATIVE_INFINITY);
    });
  }
  if (Object.keys(floors).length > 0) out.F = floors;
  return out;
}

/** Name-to-name maps between two layouts. */
class Plan {
  readonly fromTimed: number[];
  /** For each window of `to`: the index of the same window in `from` when it carries over, else -1. */
  readonly windowFrom: number[];
  /** Window index in `from` -> index in `to`, for windows that carry over. */
  readonly windowTo = new Map<number, number>();
  /** Alert index in `from` -> index in `to`, for alerts whose window carries over under the same name. */
  readonly alertTo = new Map<number, number>();
  readonly #from: LayoutDescriptor;
  readonly #to: Layout;
  readonly #aggregateFrom: number[];

  constructor(from: LayoutDescriptor, to: Layout) {
    this.#from = from;
    this.#to = to;
    this.fromTimed = timedAggregatesOf(from);
    const target = to.descriptor;
    this.#aggregateFrom = target.aggregates.map((a) =>
      from.aggregates.findIndex((x) => x.name === a.name && x.fingerprint === a.fingerprint),
    );
    this.windowFrom = target.windows.map((w) =>
      from.windows.findIndex((x) => x.name === w.name && x.fingerprint === w.fingerprint),
    );
    this.windowFrom.forEach((a, b) => {
      if (a >= 0) this.windowTo.set(a, b);
    });
    from.alerts.forEach((alert, a) => {
      const b = target.alerts.findIndex((x) => x.name === alert.name);
      if (b >= 0 && this.windowTo.get(alert.window) === target.alerts[b]!.window) this.alertTo.set(a, b);
    });
  }

  /** The aggregate of `from` that aggregate `b` of `to` carries over from, or -1. */
  carriedAggregate(b: number): number {
    return this.#aggregateFrom[b]!;
  }

  init(b: number): unknown {
    return this.#to.pipeline.aggregates[b]!.spec.init();
  }

  merge(b: number, x: unknown, y: unknown): unknown {
    return this.#to.pipeline.aggregates[b]!.spec.merge(x, y);
  }

  /** Window `wa`'s stored array (from) laid out for window `wb` (to): carried aggregates by name, the rest init. */
  realign(wa: number, wb: number, states: readonly unknown[]): unknown[] {
    const fromAggregates = this.#from.windows[wa]!.aggregates;
    return this.#to.pipeline.windows[wb]!.aggregates.map((b) => {
      const a = this.carriedAggregate(b);
      const at = a < 0 ? -1 : fromAggregates.indexOf(a);
      return at < 0 ? this.init(b) : states[at];
    });
  }

  /** Positions of window `wb` (to) whose aggregates do not carry over from window `wa` (from); undefined if none. */
  added(wa: number, wb: number): number[] | undefined {
    const fromAggregates = this.#from.windows[wa]!.aggregates;
    const out = this.#to.pipeline.windows[wb]!.aggregates.flatMap((b, j) => {
      const a = this.carriedAggregate(b);
      return a >= 0 && fromAggregates.includes(a) ? [] : [j];
    });
    return out.length > 0 ? out : undefined;
  }

  /** Positions in window `wa` (from) as positions in window `wb` (to); those that do not carry over are dropped. */
  positions(wa: number, wb: number, positions: readonly number[] | undefined): number[] | undefined {
    if (!positions) return undefined;
    const fromAggregates = this.#from.windows[wa]!.aggregates;
    const toAggregates = this.#to.pipeline.windows[wb]!.aggregates;
    const out = positions.flatMap((p) => {
      const a = fromAggregates[p];
      const j = toAggregates.findIndex((b) => this.carriedAggregate(b) === a);
      return a === undefined || j < 0 ? [] : [j];
    });
    return out.length > 0 ? [...new Set(out)].sort((x, y) => x - y) : undefined;
  }

  /** Alert indexes (from) as indexes (to); undefined when none carries over. */
  alerts(fired: readonly number[] | undefined): number[] | undefined {
    if (!fired) return undefined;
    const out = fired.flatMap((a) => {
      const b = this.alertTo.get(a);
      return b === undefined ? [] : [b];
    });
    return out.length > 0 ? out.sort((x, y) => x - y) : undefined;
  }
}

function union(a: number[] | undefined, b: number[] | undefined): number[] | undefined {
  if (!a) return b;
  if (!b) return a;
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

/** Where the descriptor of a layout fingerprint comes from (the registry, a lock file, the layouts at hand). */
export type DescriptorLookup = (fingerprint: string) => LayoutDescriptor | undefined;

/** What {@link stateUnder} gives: the state readable under the layout, or the fingerprint whose descriptor is needed. */
export type StateUnder = { readonly state: KeyState } | { readonly missing: string };

/**
 * A stored state as `layout` reads it: as it is when written under `layout` (or before fingerprints existed),
 * translated by name when written under another layout whose descriptor `lookup` knows (at `switchTime`, see
 * {@link translateState}); otherwise the fingerprint to look up (the caller fetches it and asks again).
 */
export function stateUnder(layout: Layout, state: KeyState, lookup: DescriptorLookup, switchTime?: number): StateUnder {
  if (state.l === undefined || state.l === layout.fingerprint) return { state };
  const from = lookup(state.l);
  if (!from) return { missing: state.l };
  return { state: translateState(from, layout, state, switchTime) };
}
