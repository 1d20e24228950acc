import type { NormalizedWindow } from '../definition';
import { holdsOpen } from './close-time';
import type { Layout } from './layout';
import type { KeyState } from './state';

/**
 * Slice layers: the slices a key held when a definition switch added (or reset) a tumbling or hopping window. They
 * move out of `s` into a layer read only by the windows that carried over (core/evolution/translate.ts), so a new
 * window counts the events applied after the switch — the same whatever the processor's batches were — and the
 * old windows still see all their events. A layer keeps its own slice size; it is pruned like `s` and dropped when
 * its windows no longer need it.
 */

/** Whether window `w` reads any layer of this state. */
export function readsLayers(st: KeyState, w: NormalizedWindow): boolean {
  return st.o?.some((layer) => layer.w.includes(w.index)) ?? false;
}

/** The layer slices window `w` reads, as [slice start time, states] (states aligned with the timed aggregates). */
export function* layerSlices(st: KeyState, w: NormalizedWindow): Generator<[number, unknown[]]> {
  for (const layer of st.o ?? []) {
    if (!layer.w.includes(w.index)) continue;
    for (const key in layer.s) yield [Number(key) * layer.ms, layer.s[key]!];
  }
}

/** The layer slices window `w` reads within [from, to) (its instance), as states. */
export function* layerSlicesIn(st: KeyState, w: NormalizedWindow, from: number, to: number): Generator<unknown[]> {
  for (const layer of st.o ?? []) {
    if (!layer.w.includes(w.index)) continue;
    for (let t = from; t < to; t += layer.ms) {
      const slice = layer.s[t / layer.ms];
      if (slice) yield slice;
    }
  }
}

/** Drop layer slices none of their windows needs at stream time `to` (as `s` is pruned), and emptied layers. */
export function pruneLayers(layout: Layout, st: KeyState, to: number): void {
  if (!st.o) return;
  for (const layer of st.o) {
    const windows = layer.w.map((i) => layout.pipeline.windows[i]!);
    for (const key of Object.keys(layer.s)) {
      const slice = Number(key) * layer.ms;
      if (!windows.some((w) => holdsOpen(w, slice, to))) delete layer.s[key];
    }
  }
  st.o = st.o.filter((layer) => Object.keys(layer.s).length > 0);
  if (st.o.length === 0) delete st.o;
}
