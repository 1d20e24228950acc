import type { NormalizedWindow } from '../definition';
import { evaluateInstance } from './alerts';
import { firstOpenStart, holdsOpen, lastClosedStart, timedClosed, timedCloseTime } from './close-time';
import { layerSlices, pruneLayers } from './layers';
import { alignDown, firstWindowStart, type Layout } from './layout';
import { cachedSlices, evaluateOpenAlerts, noteClosed, noteSliceAdded, takeInstanceStates } from './open-alerts';
import { partialPositions } from './partial';
import type { RecordSink } from './sessions';
import { closedWindowId, firedAlerts, type KeyState, keepFiredAlerts } from './state';
import type { EngineRecord } from './types';
import { addRecord, resetFloorStart, windowStates } from './values';

/**
 * Tumbling and hopping windows ("timed"): records go to slices shared by every instance (gcd of sizes and advances),
 * so one event touches one slice; an instance is snapshotted (its slices merged) when it closes for the key, so a
 * record late for an older hopping instance but on time for a newer one counts only in the newer one.
 */

/**
 * Cached earliest close time of each live state object (not stored: recomputed once per loaded state). Kept exact:
 * a new slice lowers it, closing windows clears it.
 */
const nextCloseCache = new WeakMap<KeyState, number>();

/** Earliest close time (end + grace) of any still-open time window holding a slice of this key. */
export function nextTimedClose(layout: Layout, st: KeyState): number {
  const cached = nextCloseCache.get(st);
  if (cached !== undefined && cached > st.m) return cached;
  const next = computeNextTimedClose(layout, st);
  nextCloseCache.set(st, next);
  return next;
}

/** Earliest close time after the key's stream time of the windows (of `windows`) holding `slice` (ms). */
function sliceNextClose(
  layout: Layout,
  st: KeyState,
  slice: number,
  windows: readonly NormalizedWindow[] = layout.timedWindows,
): number {
  let next = Number.POSITIVE_INFINITY;
  for (const w of windows) {
    const start = Math.max(firstWindowStart(w, slice), firstOpenStart(w, st.m), resetFloorStart(st, w));
    if (start <= slice && timedCloseTime(w, start) < next) next = timedCloseTime(w, start);
  }
  return next;
}

/** Slice numbers of a state, ascending (the alert cache's list when it has one: do not modify). */
export function sortedSlices(st: KeyState): readonly number[] {
  const cached = cachedSlices(st);
  if (cached !== undefined) return cached;
  const slices: number[] = [];
  for (const k in st.s) slices.push(Number(k));
  return slices.sort((a, b) => a - b);
}

function computeNextTimedClose(layout: Layout, st: KeyState): number {
  // Per window, the slice with the earliest close is the oldest whose windows are not all closed (a later slice's
  // windows close no earlier), so each window looks at its oldest slices only.
  const slices = sortedSlices(st);
  let next = Number.POSITIVE_INFINITY;
  for (const w of layout.timedWindows) {
    const after = Math.max(firstOpenStart(w, st.m), resetFloorStart(st, w));
    for (const sliceNo of slices) {
      const slice = sliceNo * layout.sliceMs;
      const start = Math.max(firstWindowStart(w, slice), after);
      if (start <= slice) {
        next = Math.min(next, timedCloseTime(w, start));
        break;
      }
    }
    // Slice layers of a definition switch (./layers.ts): read by the windows that carried over only.
    if (st.o) for (const [slice] of layerSlices(st, w)) next = Math.min(next, sliceNextClose(layout, st, slice, [w]));
  }
  return next;
}

/**
 * The key's stream time moved from `from` to `to`, at or past the earliest close of its time windows: snapshot the
 * instances that closed (with the alerts fired for them), drop the slices no open instance needs, forget what the
 * caches and fired alerts held for them.
 */
export function closeTimed(layout: Layout, st: KeyState, from: number, to: number): void {
  snapshotClosing(layout, st, from, to);
  nextCloseCache.delete(st);
  noteClosed(layout, st, to);
  // A fired id names an open window holding a slice (the fired record's): it closes at or after the earliest close.
  if (st.f) pruneFired(layout, st, to);
}

/** Snapshot the instances closing in (from, to], then prune the slices no open instance needs. */
function snapshotClosing(layout: Layout, st: KeyState, from: number, to: number): void {
  const slices = sortedSlices(st);
  if (slices.length > 0 || st.o) {
    const fired = firedByWindow(layout, st);
    for (const w of layout.timedWindows) {
      // The slice times the window reads: the state's slices, and the layers of a definition switch it carried over.
      let first = slices.length > 0 ? slices[0]! * layout.sliceMs : Number.POSITIVE_INFINITY;
      let last = slices.length > 0 ? slices[slices.length - 1]! * layout.sliceMs : Number.NEGATIVE_INFINITY;
      if (st.o) {
        for (const [slice] of layerSlices(st, w)) {
          if (slice < first) first = slice;
          if (slice > last) last = slice;
        }
      }
      if (first > last) continue;
      // Windows closing in (from, to] (open at `from`, closed at `to`) that can hold a slice, oldest first.
      const lastStart = Math.min(alignDown(last, w.advanceMs), lastClosedStart(w, to));
      for (
        let start = Math.max(firstWindowStart(w, first), firstOpenStart(w, from), resetFloorStart(st, w));
        start <= lastStart;
        start += w.advanceMs
      ) {
        snapshot(layout, st, w, start, slices, fired);
      }
    }
  }
  // Drop the slices no open window needs: the oldest ones (a slice's last window closes later for a later slice).
  for (const sliceNo of slices) {
    const slice = sliceNo * layout.sliceMs;
    if (layout.timedWindows.some((w) => holdsOpen(w, slice, to))) break;
    delete st.s[sliceNo];
  }
  if (st.o) pruneLayers(layout, st, to);
}

/** Forget the alerts fired for open time windows that closed at `to` (their snapshots keep them). */
function pruneFired(layout: Layout, st: KeyState, to: number): void {
  const { pipeline } = layout;
  keepFiredAlerts(st, ({ alert, windowStart }) => {
    const w = pipeline.windows[pipeline.alerts[alert]!.windowIndex]!;
    return !timedClosed(w, windowStart, to);
  });
}

/** Alerts fired for open time windows (`st.f`), by closed-window id (`"<window>@<start>"`), ascending. */
function firedByWindow(layout: Layout, st: KeyState): Map<string, number[]> | undefined {
  if (!st.f || st.f.length === 0) return undefined;
  const fired = new Map<string, number[]>();
  for (const { alert, windowStart } of firedAlerts(st)) {
    const key = closedWindowId(layout.pipeline.alerts[alert]!.windowIndex, windowStart);
    const list = fired.get(key);
    if (list) list.push(alert);
    else fired.set(key, [alert]);
  }
  for (const list of fired.values()) list.sort((a, b) => a - b);
  return fired;
}

/**
 * Snapshot a closing time window (with the alerts already fired for it): its merged slices, taken from the alert
 * cache when it holds them (the same states, without merging every slice again).
 */
function snapshot(
  layout: Layout,
  st: KeyState,
  w: NormalizedWindow,
  start: number,
  slices: readonly number[],
  firedByClosedId: Map<string, number[]> | undefined,
): void {
  const a = takeInstanceStates(layout, st, w, start) ?? windowStates(layout, st, w, start, slices);
  if (a === undefined) return;
  const id = closedWindowId(w.index, start);
  const fired = firedByClosedId?.get(id);
  const p = partialPositions(st, w, start);
  st.c ??= {};
  st.c[id] = { w: w.index, s: start, e: start + w.sizeMs, a, ...(fired ? { f: fired } : {}), ...(p ? { p } : {}) };
}

/**
 * Apply a record to the tumbling and hopping windows: it counts in each instance holding it that is not late, in its
 * slice for the open ones (then their alerts are evaluated), in its snapshot for the ones closed for this key.
 * Returns whether it counted anywhere.
 */
export function applyTimed(
  layout: Layout,
  key: string,
  st: KeyState,
  record: EngineRecord,
  index: number,
  out: RecordSink,
): boolean {
  if (layout.timedWindows.length === 0) return false;
  let toSlice = false;
  let counted = false;
  for (const w of layout.timedWindows) {
    const placed = placeTimed(layout, key, st, w, record, index, out);
    if (placed === 'slice') toSlice = true;
    if (placed !== 'late') counted = true;
  }
  if (!toSlice) return counted;
  const sliceNo = addToSlice(layout, st, record);
  if (!layout.timedAlerts) return true;
  for (const w of layout.timedWindows) {
    if (layout.alertsByWindow[w.index]!.length > 0) evaluateOpenAlerts(layout, key, st, w, record, sliceNo, index, out);
  }
  return true;
}

/**
 * Where a record goes for window `w`, per instance holding it: late (closed at the record's source's stream time, or
 * at or before the window's reset floor), into the snapshot of an instance closed for this key by another source's
 * later stream time, or into the slice (open instances). Returns `'slice'` when some instance is open, else
 * `'closed'` when it counted in a snapshot, else `'late'`.
 */
function placeTimed(
  layout: Layout,
  key: string,
  st: KeyState,
  w: NormalizedWindow,
  record: EngineRecord,
  index: number,
  out: RecordSink,
): 'slice' | 'closed' | 'late' {
  const oldest = firstWindowStart(w, record.time);
  const floor = st.F?.[w.index];
  const openAt = (start: number) => !timedClosed(w, start, st.m) && !timedClosed(w, start, record.streamTime);
  // Every window holding the record is open (the usual case): nothing is late or closed.
  if (openAt(oldest) && (floor === undefined || oldest > floor)) return 'slice';
  let placed: 'slice' | 'closed' | 'late' = 'late';
  for (let start = oldest; start <= record.time; start += w.advanceMs) {
    if (timedClosed(w, start, record.streamTime) || (floor !== undefined && start <= floor)) {
      out.late.push({ index, window: w.name, start, end: start + w.sizeMs });
    } else if (timedClosed(w, start, st.m)) {
      addToClosed(layout, key, st, w, start, record, index, out);
      if (placed === 'late') placed = 'closed';
    } else placed = 'slice';
  }
  return placed;
}

/** Count a record in the instance of `w` at `start`, closed for this key but on time for the record's source. */
function addToClosed(
  layout: Layout,
  key: string,
  st: KeyState,
  w: NormalizedWindow,
  start: number,
  record: EngineRecord,
  index: number,
  out: RecordSink,
): void {
  const id = closedWindowId(w.index, start);
  st.c ??= {};
  const p = st.c[id] ? undefined : partialPositions(st, w, start);
  const closed = (st.c[id] ??= {
    w: w.index,
    s: start,
    e: start + w.sizeMs,
    a: w.aggregates.map((ai) => layout.pipeline.aggregates[ai]!.spec.init()),
    ...(p ? { p } : {}),
  });
  addRecord(layout, w.aggregates, closed.a, record);
  evaluateInstance(layout, { key, window: w, start: closed.s, end: closed.e, index }, closed, out);
}

/** Add a record to its slice (created when missing); returns the slice number. */
function addToSlice(layout: Layout, st: KeyState, record: EngineRecord): number {
  const sliceNo = Math.floor(record.time / layout.sliceMs);
  let slice = st.s[sliceNo];
  if (!slice) {
    slice = layout.timedAggregates.map((ai) => layout.pipeline.aggregates[ai]!.spec.init());
    st.s[sliceNo] = slice;
    const cached = nextCloseCache.get(st);
    if (cached !== undefined) {
      nextCloseCache.set(st, Math.min(cached, sliceNextClose(layout, st, sliceNo * layout.sliceMs)));
    }
    noteSliceAdded(st, sliceNo);
  }
  addRecord(layout, layout.timedAggregates, slice, record);
  return sliceNo;
}

/** Forget the cached earliest close of a state whose content was replaced (see {@link nextTimedClose}). */
export function forgetNextClose(st: KeyState): void {
  nextCloseCache.delete(st);
}
