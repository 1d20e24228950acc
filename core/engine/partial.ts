import type { NormalizedWindow } from '../definition';
import { holdsOpen, sessionClosed } from './close-time';
import type { Layout } from './layout';
import type { KeyState } from './state';

/**
 * Partial results after a definition switch (see core/evolution/translate.ts, which leaves the marks).
 *
 * A mark `[t]` on window W says: W's instances that start at or before `t` (sessions: at or before `t + gap`) may miss
 * events applied before the switch, for every aggregate; `[t, positions]` says it for those aggregates only. A window
 * instance takes its partial positions when it closes (or when it is created already closed), and its final result
 * names them in `partial`. Marks are dropped once no instance they cover can change any more.
 */

/** Positions (in `w.aggregates`) partial in the instance of `w` starting at `start`; undefined when none. */
export function partialPositions(st: KeyState, w: NormalizedWindow, start: number): number[] | undefined {
  const marks = st.P?.[w.index];
  if (!marks) return undefined;
  const reach = w.kind === 'session' ? w.gapMs : 0;
  let out: Set<number> | undefined;
  for (const [t, positions] of marks) {
    if (start > t + reach) continue;
    if (!positions) return w.aggregates.map((_, j) => j);
    for (const p of positions) (out ??= new Set()).add(p);
  }
  return out ? [...out].sort((a, b) => a - b) : undefined;
}

/** Union of two position lists (sorted); undefined when both are. */
export function unionPositions(a: number[] | undefined, b: number[] | undefined): number[] | undefined {
  if (!a) return b;
  if (!b) return a;
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}

/** The `partial` field of a result: the names of the partial aggregates (sorted), or nothing. */
export function partialField(layout: Layout, w: NormalizedWindow, positions: number[] | undefined) {
  if (!positions || positions.length === 0) return {};
  return { partial: positions.map((j) => layout.pipeline.aggregates[w.aggregates[j]!]!.name).sort() };
}

/**
 * Drop the marks no instance can still be affected by, given the key's finalized-through watermark `z`: every
 * instance a timed mark covers is final; for sessions, no open session could still reach back to the mark, and a
 * record that could start one there is late.
 */
export function prunePartial(layout: Layout, st: KeyState): void {
  if (!st.P || st.z === undefined) return;
  const z = st.z;
  for (const index of Object.keys(st.P)) {
    const w = layout.pipeline.windows[Number(index)];
    const kept = w ? st.P[index]!.filter(([t]) => !settled(st, w, t, z)) : [];
    if (kept.length > 0) st.P[index] = kept;
    else delete st.P[index];
  }
  if (Object.keys(st.P).length === 0) delete st.P;
}

function settled(st: KeyState, w: NormalizedWindow, t: number, z: number): boolean {
  if (w.kind !== 'session') return !holdsOpen(w, t, z);
  // A record at or before t + gap (it could start a session the mark covers) is late.
  if (!sessionClosed(w, t + w.gapMs, z)) return false;
  return !(st.x?.[w.index] ?? []).some((s) => s.s <= t + 2 * w.gapMs);
}
