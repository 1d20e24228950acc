import type { NormalizedWindow } from '../definition';
import { startAfter } from './close-time';
import { layerSlicesIn } from './layers';
import type { Layout } from './layout';
import type { KeyState } from './state';
import type { EngineRecord } from './types';

/** First position in ascending `values` whose value is ≥ `x`. */
export function lowerBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The smallest start of `w` not below its reset floor (`KeyState.F`, left when a definition switch reset the window):
 * instances starting at or before the floor are late. −∞ when there is none.
 */
export function resetFloorStart(st: KeyState, w: NormalizedWindow): number {
  const floor = st.F?.[w.index];
  return floor === undefined ? Number.NEGATIVE_INFINITY : startAfter(w, floor);
}

/**
 * Merge the slices of one time window in slice order, from `init()`, then the slice layers of a definition switch
 * the window reads (./layers.ts); undefined when it holds no slice.
 * @param slices - the state's slice numbers, ascending
 * @param skip - per aggregate of the window, true to leave it at `init()`
 */
export function windowStates(
  layout: Layout,
  st: KeyState,
  w: NormalizedWindow,
  start: number,
  slices: readonly number[],
  skip?: readonly boolean[],
): unknown[] | undefined {
  const specs = layout.windowSpecs[w.index]!;
  const positions = layout.slicePositions[w.index]!;
  const endSlice = (start + w.sizeMs) / layout.sliceMs;
  let acc: unknown[] | undefined;
  for (let i = lowerBound(slices, start / layout.sliceMs); i < slices.length && slices[i]! < endSlice; i++) {
    const slice = st.s[slices[i]!]!;
    acc ??= specs.map((spec) => spec.init());
    for (let j = 0; j < positions.length; j++) {
      if (skip === undefined || !skip[j]) acc[j] = specs[j]!.merge(acc[j], slice[positions[j]!]);
    }
  }
  if (st.o) {
    for (const slice of layerSlicesIn(st, w, start, start + w.sizeMs)) {
      acc ??= specs.map((spec) => spec.init());
      for (let j = 0; j < positions.length; j++) {
        if (skip === undefined || !skip[j]) acc[j] = specs[j]!.merge(acc[j], slice[positions[j]!]);
      }
    }
  }
  return acc;
}

/** The results of a window's aggregates from their states, by aggregate name. */
export function valuesOf(layout: Layout, w: NormalizedWindow, states: readonly unknown[]): Record<string, unknown> {
  const specs = layout.windowSpecs[w.index]!;
  const names = layout.windowAggregateNames[w.index]!;
  const values: Record<string, unknown> = {};
  for (let j = 0; j < specs.length; j++) values[names[j]!] = specs[j]!.result(states[j]);
  return values;
}

/** Values of an open time window of one slice, read from the slice directly (no merge, no copy). */
export function sliceValues(layout: Layout, st: KeyState, w: NormalizedWindow, start: number): Record<string, unknown> {
  const slice = st.s[start / layout.sliceMs]!;
  const specs = layout.windowSpecs[w.index]!;
  const names = layout.windowAggregateNames[w.index]!;
  const positions = layout.slicePositions[w.index]!;
  const values: Record<string, unknown> = {};
  for (let j = 0; j < specs.length; j++) values[names[j]!] = specs[j]!.result(slice[positions[j]!]);
  return values;
}

/** Add a record to the states of `aggregateIndexes` (each aggregate's filter decides whether it counts it). */
export function addRecord(
  layout: Layout,
  aggregateIndexes: readonly number[],
  states: unknown[],
  record: EngineRecord,
): void {
  const { aggregates } = layout.pipeline;
  for (let j = 0; j < aggregateIndexes.length; j++) {
    const spec = aggregates[aggregateIndexes[j]!]!.spec;
    if (spec.filter && !spec.filter(record.event)) continue;
    states[j] = spec.add(states[j], record.event, record.time);
  }
}
