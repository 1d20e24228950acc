import type { Layout } from '../engine/layout';
import type { KeyState, SliceLayer } from '../engine/state';
import type { LayoutDescriptor } from './descriptor';
import type { Plan } from './translate-plan';

/**
 * The time slices and slice layers of `state` (written under `from`) laid out for `to`, into `out` (see
 * `translateState`). Tumbling and hopping windows share slices: when a time window is new (or reset), the stored
 * slices become a layer only the windows that carried over read; when all carry over, each old slice merges into the
 * new slice holding it.
 */
export function translateSlices(plan: Plan, from: LayoutDescriptor, to: Layout, state: KeyState, out: KeyState): void {
  const timed = timedStates(plan, to);
  const carriedTimed = to.timedWindows.filter((w) => plan.windowFrom[w.index]! >= 0).map((w) => w.index);
  const layers = carriedLayers(plan, state, carriedTimed, timed.realign);
  const slices = Object.entries(state.s);
  if (from.sliceMs !== null && to.sliceMs !== 0 && slices.length > 0) {
    if (carriedTimed.length < to.timedWindows.length) {
      // A new (or reset) time window: the slices become a layer only the windows that carried over read, so the new
      // one counts the events after the switch (see core/engine/layers.ts).
      if (carriedTimed.length > 0) {
        layers.push({
          ms: from.sliceMs,
          w: carriedTimed,
          s: Object.fromEntries(slices.map(([k, v]) => [k, timed.realign(v)])),
        });
      }
    } else {
      mergeSlices(plan, from.sliceMs, to, slices, timed, out);
    }
  }
  if (layers.length > 0) out.o = layers;
}

/** How a slice's states (aligned with the timed aggregates of `from`) are realigned by name for `to`. */
interface TimedStates {
  /** For each timed aggregate of `to`: its position among the timed aggregates of `from`, or -1. */
  readonly source: readonly number[];
  readonly realign: (states: readonly unknown[]) => unknown[];
}

function timedStates(plan: Plan, to: Layout): TimedStates {
  const source = to.timedAggregates.map((b) => {
    const a = plan.carriedAggregate(b);
    return a < 0 ? -1 : plan.fromTimed.indexOf(a);
  });
  const realign = (states: readonly unknown[]) =>
    to.timedAggregates.map((b, j) => (source[j]! >= 0 ? states[source[j]!] : plan.init(b)));
  return { source, realign };
}

/** The stored layers read by windows that carried over, realigned; layers no such window reads are dropped. */
function carriedLayers(
  plan: Plan,
  state: KeyState,
  carriedTimed: readonly number[],
  realign: TimedStates['realign'],
): SliceLayer[] {
  return (state.o ?? []).flatMap((layer) => {
    const w = layer.w.flatMap((a) => {
      const b = plan.windowTo.get(a);
      return b !== undefined && carriedTimed.includes(b) ? [b] : [];
    });
    const s = Object.fromEntries(Object.entries(layer.s).map(([k, states]) => [k, realign(states)]));
    return w.length > 0 ? [{ ms: layer.ms, w, s }] : [];
  });
}

/**
 * Every time window carried over: their sizes and advances are multiples of both slice sizes, and the new one is a
 * multiple of the old (the gcd of fewer windows): each old slice merges into the new slice holding it.
 */
function mergeSlices(
  plan: Plan,
  fromSliceMs: number,
  to: Layout,
  slices: readonly [string, unknown[]][],
  timed: TimedStates,
  out: KeyState,
): void {
  for (const [slice, states] of slices) {
    const at = Math.floor((Number(slice) * fromSliceMs) / to.sliceMs);
    const values = timed.realign(states);
    const existing = out.s[at];
    if (!existing) out.s[at] = values;
    else {
      for (let j = 0; j < values.length; j++) {
        if (timed.source[j]! >= 0) existing[j] = plan.merge(to.timedAggregates[j]!, existing[j], values[j]);
      }
    }
  }
}
