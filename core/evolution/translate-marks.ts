import { floorFinalBy } from '../engine/close-time';
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
    const floor = finalThrough(from.windows[a]!, a, state, z);
    const earlier = state.F?.[a];
    if (floor === undefined && earlier === undefined) return;
    floors[b] = Math.max(floor ?? Number.NEGATIVE_INFINITY, earlier ?? Number.NEGATIVE_INFINITY);
  });
  return floors;
}

/**
 * Through when the old window `old` (index `a`) may have finalized instances of this key: exactly, from the floors
 * the state keeps (`KeyState.E`; undefined: none was finalized), else from the finalized-through mark `z`.
 */
function finalThrough(old: LayoutDescriptor['windows'][number], a: number, state: KeyState, z: number) {
  return state.E !== undefined ? state.E[a] : floorFinalBy(old, z);
}

/**
 * `KeyState.E` of the windows that carry over, by their new index (kept, even empty, when the state had it). A state
 * finalized before `E` existed gets, for those windows, what its mark `z` allowed under their old shape; a window new
 * to the state gets nothing (it finalized nothing).
 */
export function finalFloors(plan: Plan, from: LayoutDescriptor, state: KeyState): Record<string, number> | undefined {
  const { E, z } = state;
  if (E === undefined && z === undefined) return undefined;
  const floors: Record<string, number> = {};
  for (const [a, b] of plan.windowTo) {
    const floor = E !== undefined ? E[a] : floorFinalBy(from.windows[a]!, z!);
    if (floor !== undefined) floors[b] = floor;
  }
  return floors;
}
