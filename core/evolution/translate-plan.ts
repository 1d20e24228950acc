import type { Layout } from '../engine/layout';
import { type LayoutDescriptor, timedAggregatesOf } from './descriptor';

/** Name-to-name maps between two layouts (what `translateState` carries over). */
export class Plan {
  /** The timed aggregates of `from` (the order of its slices' states). */
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

  /** A fresh state of aggregate `b` of `to`. */
  init(b: number): unknown {
    return this.#to.pipeline.aggregates[b]!.spec.init();
  }

  /** Two states of aggregate `b` of `to` merged. */
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

/** Sorted union of two position lists; undefined when both are. */
export function union(a: number[] | undefined, b: number[] | undefined): number[] | undefined {
  if (!a) return b;
  if (!b) return a;
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}
