import type { Layout } from '../engine/layout';
import type { KeyState } from '../engine/state';
import type { LayoutDescriptor } from './descriptor';
import { finalFloors, partialMarks, resetFloors } from './translate-marks';
import { Plan } from './translate-plan';
import { translateSlices } from './translate-slices';
import { translateWindows } from './translate-windows';

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
  const plan = new Plan(from, to);
  translateSlices(plan, from, to, state, out);
  translateWindows(plan, state, out);
  const marks = partialMarks(plan, to, state, Math.max(state.m, switchTime));
  if (Object.keys(marks).length > 0) out.P = marks;
  const floors = resetFloors(plan, from, to, state);
  if (Object.keys(floors).length > 0) out.F = floors;
  const finals = finalFloors(plan, from, state);
  if (finals !== undefined) out.E = finals;
  return out;
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
