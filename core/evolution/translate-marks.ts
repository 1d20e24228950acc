import type { Layout } from '../engine/layout';
import type { KeyState, PartialMark } from '../engine/state';
import type { LayoutDescriptor } from './descriptor';
import type { Plan } from './translate-plan';

/**
 * Partial marks after a switch at `m0` (see `translateState`): the old ones of windows that carry over, and this
 * switch's (a new or reset window: every aggregate; a carried window: the aggregates new to it).
 */
export function partialMarks(plan: Plan, to: Layout, state: KeyState, m0: number): Record<string, PartialMark[]> {
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
  return marks;
}

/**
 * Reset floors: a window whose name was there with another meaning (a declared reset, or a change that reached the
 * processor unchecked) never reopens an instance the old meaning may have finalized (its result id was emitted):
 * every old instance starting at or before the floor was final by the finalized-through mark z.
 */
export function resetFloors(plan: Plan, from: LayoutDescriptor, to: Layout, state: KeyState): Record<string, number> {
  const floors: Record<string, number> = {};
  for (const [index, t] of Object.entries(state.F ?? {})) {
    const b = plan.windowTo.get(Number(index));
    if (b !== undefined) floors[b] = t;
  }
  const z = state.z;
  if (z === undefined || !Number.isFinite(z)) return floors;
  to.descriptor.windows.forEach((w, b) => {
    if (plan.windowFrom[b]! >= 0) return;
    const a = from.windows.findIndex((x) => x.name === w.name);
    if (a < 0) return;
    const old = from.windows[a]!;
    // A timed instance was final when start + size + grace ≤ z (start ≤ z − span); a session only when
    // end + gap + grace < z (strictly, so its start < z − span: times are whole milliseconds).
    const floor = old.kind === 'session' ? z - (old.gapMs + old.graceMs) - 1 : z - (old.sizeMs + old.graceMs);
    floors[b] = Math.max(floor, state.F?.[a] ?? Number.NEGATIVE_INFINITY);
  });
  return floors;
}
