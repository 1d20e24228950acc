/**
 * Alerts on open tumbling and hopping windows, evaluated incrementally.
 *
 * A record lands in one slice, which belongs to every open instance of a hopping window that contains it
 * (size / advance of them). Evaluating an alert needs each such instance's values; merging all of the instance's
 * slices for every record costs O(slices per window) per instance, quadratic in size / advance. Instead:
 * - a key with few slices for the window ("sparse": fewer than one per {@link DENSE_RATIO} instances) keeps nothing per
 *   instance: order-free aggregates are merged once for all instances, walking from the newest instance back and
 *   adding the slices each older one adds; other aggregates merge each instance's few slices;
 * - a key with many slices ("dense") keeps, per open instance with an alert not fired yet, accumulators each record is
 *   added to, so a record costs O(instances × aggregates), and memory stays proportional to the state's slices.
 *
 * Nothing here is stored: the cache is derived from the {@link KeyState} (slices and fired ids) and rebuilt when
 * missing, such as after the state's JSON round trip, and every path gives exactly the values a merge of the
 * instance's slices in slice order gives (the engine's definition of a window's value), so the same state and
 * records give the same alerts with or without it:
 * - an order-free aggregate (AggregateSpec.orderFree: count, min, max, distinct, first, last, lastN) gives the same
 *   state whatever the order of adds and merges: its accumulator is the instance's whole state, and each record is
 *   added to it;
 * - any other aggregate (sum and avg over floating point, custom reducers) is folded in slice order: its accumulator
 *   holds the fold of the instance's slices before slice `b`, and each evaluation merges a copy of it with the
 *   slices from `b` on. `b` stays as far behind the newest slice as records have arrived out of order, so a late
 *   record rarely lands before it; when one does, the fold is redone up to its slice.
 */
import type { AnyAggregate } from '../aggregates';
import type { NormalizedWindow } from '../definition';
import { type AlertSink, evaluateAlerts, firedAmong } from './alerts';
import { firstOpenStart, timedClosed } from './close-time';
import { readsLayers } from './layers';
import { alignDown, firstWindowStart, type Layout } from './layout';
import { addFiredAlert, firedAlerts, type KeyState } from './state';
import type { EngineRecord } from './types';
import { lowerBound, resetFloorStart, sliceValues, valuesOf, windowStates } from './values';
import { valuesView } from './values-view';

/** Open-window alert state of one key. */
interface AlertCache {
  /** The slices object this cache describes (a replaced one discards the cache). */
  readonly s: KeyState['s'];
  /** Slice numbers present in `s`, ascending. */
  readonly slices: number[];
  /** Per alert index: the instances (start / advance) it fired for while open (`st.f`, plus what fired since). */
  readonly fired: readonly Set<number>[];
  /** Per window index: whether the key keeps accumulators per instance (see the module comment). */
  readonly dense: boolean[];
  /** How many slices behind the newest one records have landed so far (see the module comment). */
  depth: number;
  /** Per window index (windows with alerts): the open instances touched so far. */
  readonly open: readonly (Instances | undefined)[];
}

/** Alert state of one open time window instance. */
interface OpenInstance {
  /** start / advance. */
  readonly at: number;
  /** start (ms). */
  readonly start: number;
  /** Alerts of the window not fired yet for this instance, in alert order (the layout's list until one fires). */
  pending: readonly number[];
  /** Accumulators, per aggregate of the window (see the module comment); undefined once every alert has fired. */
  acc: unknown[] | undefined;
  /** First slice number not folded into the ordered accumulators. */
  b: number;
}

const caches = new WeakMap<KeyState, AlertCache>();

/** The state's slice numbers, ascending, when a cache holds them (do not modify). */
export function cachedSlices(st: KeyState): number[] | undefined {
  const cache = caches.get(st);
  return cache !== undefined && cache.s === st.s ? cache.slices : undefined;
}

/** A slice was created in the state. */
export function noteSliceAdded(st: KeyState, slice: number): void {
  const cache = caches.get(st);
  if (cache === undefined || cache.s !== st.s) return;
  const { slices } = cache;
  const n = slices.length;
  if (n === 0 || slices[n - 1]! < slice) slices.push(slice);
  else slices.splice(lowerBound(slices, slice), 0, slice);
}

/**
 * A key is dense for a window when it holds at least one slice per DENSE_RATIO instances that hold a record (size /
 * advance), and sparse again below half that: accumulators then take no more memory than a few times its slices.
 */
const DENSE_RATIO = 8;

/** Most slots of a ring of instances (8 bytes each, per key and window); beyond, a map. */
const MAX_RING = 512;

/**
 * The open instances of one window, by `at` (start / advance): a ring indexed by `at` modulo its length when few can
 * be open at once (they are consecutive: starts after the stream time − size − grace), else a map.
 */
class Instances {
  private readonly ring: (OpenInstance | undefined)[] | undefined;
  private readonly map: Map<number, OpenInstance> | undefined;

  constructor(w: NormalizedWindow) {
    const length = Math.ceil((w.sizeMs + w.graceMs) / w.advanceMs) + 1;
    if (length <= MAX_RING) this.ring = new Array<OpenInstance | undefined>(length).fill(undefined);
    else this.map = new Map();
  }

  get(at: number): OpenInstance | undefined {
    if (this.ring === undefined) return this.map!.get(at);
    const inst = this.ring[this.slot(at)];
    return inst !== undefined && inst.at === at ? inst : undefined;
  }

  set(inst: OpenInstance): void {
    if (this.ring === undefined) this.map!.set(inst.at, inst);
    else this.ring[this.slot(inst.at)] = inst;
  }

  delete(at: number): void {
    if (this.ring === undefined) this.map!.delete(at);
    else if (this.ring[this.slot(at)]?.at === at) this.ring[this.slot(at)] = undefined;
  }

  clear(): void {
    if (this.ring === undefined) this.map!.clear();
    else this.ring.fill(undefined);
  }

  /** Drop the instances `closed` says are closed. */
  dropClosed(closed: (at: number) => boolean): void {
    if (this.ring === undefined) {
      for (const at of this.map!.keys()) if (closed(at)) this.map!.delete(at);
      return;
    }
    for (let i = 0; i < this.ring.length; i++) {
      const inst = this.ring[i];
      if (inst !== undefined && closed(inst.at)) this.ring[i] = undefined;
    }
  }

  private slot(at: number): number {
    const n = this.ring!.length;
    // `at` is an integral double: as an int32 (any advance of a second or more, until 2038) the remainder is an
    // integer one, far cheaper than a floating-point one.
    if (at >= 0 && at <= 0x7fffffff) return (at | 0) % n;
    const i = at % n;
    return i < 0 ? i + n : i;
  }
}

function cacheOf(layout: Layout, st: KeyState): AlertCache {
  const cached = caches.get(st);
  if (cached !== undefined && cached.s === st.s) return cached;
  const slices: number[] = [];
  for (const k in st.s) slices.push(Number(k));
  slices.sort((a, b) => a - b);
  const fired = layout.pipeline.alerts.map(() => new Set<number>());
  for (const { alert, windowStart } of firedAlerts(st)) {
    const w = layout.pipeline.windows[layout.pipeline.alerts[alert]!.windowIndex]!;
    fired[alert]!.add(windowStart / w.advanceMs);
  }
  const cache: AlertCache = {
    s: st.s,
    slices,
    fired,
    dense: layout.pipeline.windows.map(() => false),
    depth: 0,
    open: layout.pipeline.windows.map((w) =>
      w.kind !== 'session' && layout.alertsByWindow[w.index]!.length > 0 ? new Instances(w) : undefined,
    ),
  };
  caches.set(st, cache);
  return cache;
}

/**
 * Windows closed at stream time `to`, and the oldest slices were pruned: drop their instances, fired ids and slice
 * numbers. Call after the closing windows were snapshotted.
 */
export function noteClosed(layout: Layout, st: KeyState, to: number): void {
  const cache = caches.get(st);
  if (cache === undefined || cache.s !== st.s) return;
  for (const w of layout.timedWindows) {
    cache.open[w.index]?.dropClosed((at) => timedClosed(w, at * w.advanceMs, to));
  }
  layout.pipeline.alerts.forEach((alert, ai) => {
    const fired = cache.fired[ai]!;
    if (fired.size === 0) return;
    const w = layout.pipeline.windows[alert.windowIndex]!;
    for (const at of fired) if (timedClosed(w, at * w.advanceMs, to)) fired.delete(at);
  });
  // Closing prunes the oldest slices.
  const { slices } = cache;
  let pruned = 0;
  while (pruned < slices.length && st.s[slices[pruned]!] === undefined) pruned++;
  if (pruned > 0) slices.splice(0, pruned);
}

/**
 * The merged states of a closing instance, from its accumulators when it has them (the caller takes them over),
 * exactly equal to merging its slices in order; undefined when the cache has none for it.
 */
export function takeInstanceStates(
  layout: Layout,
  st: KeyState,
  w: NormalizedWindow,
  start: number,
): unknown[] | undefined {
  const cache = caches.get(st);
  if (cache === undefined || cache.s !== st.s) return undefined;
  const instances = cache.open[w.index];
  const at = start / w.advanceMs;
  const inst = instances?.get(at);
  if (inst?.acc === undefined) return undefined;
  instances!.delete(at);
  if (layout.windowOrderFree[w.index]) return inst.acc;
  return currentStates(layout, st, cache, w, inst, false);
}

/**
 * Evaluate the alerts of window `w` on every open instance holding `record`, which was just added to slice
 * `sliceNo`. Instances whose end + grace is at or before the key's stream time are closed (not evaluated here).
 */
export function evaluateOpenAlerts(
  layout: Layout,
  key: string,
  st: KeyState,
  w: NormalizedWindow,
  record: EngineRecord,
  sliceNo: number,
  index: number,
  out: AlertSink,
): void {
  const closedThrough = Math.max(st.m, record.streamTime);
  const oldest = Math.max(firstWindowStart(w, record.time), firstOpenStart(w, closedThrough), resetFloorStart(st, w));
  const newest = alignDown(record.time, w.advanceMs);
  if (oldest > newest) return;
  if (st.o && readsLayers(st, w)) {
    // The window reads slice layers of a definition switch (./layers.ts): each instance merges its slices and layers
    // (no accumulators: a translated state is a new object, so none was made for it; the layers go once pruned).
    const cache = cacheOf(layout, st);
    for (let start = oldest; start <= newest; start += w.advanceMs) {
      const pending = pendingAlerts(layout, cache, w, start / w.advanceMs);
      if (pending.length === 0) continue;
      const states = windowStates(layout, st, w, start, cache.slices);
      if (states) fire(layout, key, st, w, start, pending, valuesOf(layout, w, states), index, out);
    }
    return;
  }
  if (w.sizeMs === layout.sliceMs) {
    // One slice per window: its values are the slice's (and no cache is needed until an alert has fired).
    for (let start = oldest; start <= newest; start += w.advanceMs) {
      const pending =
        st.f === undefined
          ? layout.alertsByWindow[w.index]!
          : pendingAlerts(layout, cacheOf(layout, st), w, start / w.advanceMs);
      if (pending.length > 0) fire(layout, key, st, w, start, pending, sliceValues(layout, st, w, start), index, out);
    }
    return;
  }
  const cache = cacheOf(layout, st);
  const perRecord = Math.ceil(w.sizeMs / w.advanceMs);
  const slices = cache.slices.length;
  const dense = cache.dense[w.index] ? slices * DENSE_RATIO * 2 >= perRecord : slices * DENSE_RATIO >= perRecord;
  if (dense !== cache.dense[w.index]) {
    cache.dense[w.index] = dense;
    cache.open[w.index]!.clear();
  }
  if (dense) evaluateDense(layout, key, st, cache, w, record, sliceNo, oldest, newest, index, out);
  else evaluateSparse(layout, key, st, cache, w, oldest, newest, index, out);
}

/** The window's alerts not fired yet for instance `at` (the layout's list when none has). */
function pendingAlerts(layout: Layout, cache: AlertCache, w: NormalizedWindow, at: number): readonly number[] {
  const windowAlerts = layout.alertsByWindow[w.index]!;
  for (const ai of windowAlerts) {
    if (cache.fired[ai]!.has(at)) return windowAlerts.filter((other) => !cache.fired[other]!.has(at));
  }
  return windowAlerts;
}

/** Evaluate `pending` alerts of one instance on its values; returns the alerts still pending. */
function fire(
  layout: Layout,
  key: string,
  st: KeyState,
  w: NormalizedWindow,
  start: number,
  pending: readonly number[],
  values: Record<string, unknown>,
  index: number,
  out: AlertSink,
): readonly number[] {
  const left = evaluateAlerts(layout, { key, window: w, start, end: start + w.sizeMs, index }, pending, values, out);
  if (left === pending) return left;
  const cache = caches.get(st);
  for (const alert of firedAmong(pending, left)) {
    addFiredAlert(st, { alert, windowStart: start });
    if (cache !== undefined && cache.s === st.s) cache.fired[alert]!.add(start / w.advanceMs);
  }
  return left;
}

/**
 * Sparse key: per instance, the merge of its slices, computed for this record. Order-free aggregates are merged once
 * for all instances when no slice lies past the oldest instance's end (the usual case: the record is in or near the
 * newest slice): walking from the newest instance back, each older one adds the slices between their starts.
 */
function evaluateSparse(
  layout: Layout,
  key: string,
  st: KeyState,
  cache: AlertCache,
  w: NormalizedWindow,
  oldest: number,
  newest: number,
  index: number,
  out: AlertSink,
): void {
  const { slices } = cache;
  const specs = layout.windowSpecs[w.index]!;
  const positions = layout.slicePositions[w.index]!;
  const orderFree = layout.orderFree[w.index]!;
  const count = (newest - oldest) / w.advanceMs + 1;
  const pendings: (readonly number[])[] = new Array(count);
  let anyPending = false;
  for (let i = 0; i < count; i++) {
    pendings[i] = pendingAlerts(layout, cache, w, (oldest + i * w.advanceMs) / w.advanceMs);
    if (pendings[i]!.length > 0) anyPending = true;
  }
  if (!anyPending) return;
  const walk = slices[slices.length - 1]! < (oldest + w.sizeMs) / layout.sliceMs;
  const values: (Record<string, unknown> | undefined)[] = new Array(count);
  if (walk) {
    // Walking back, an instance holds the newer one's slices plus those between their starts: instances that add none
    // hold the same slices, so the same values (made once, shared: rules do not modify them).
    const merged = specs.map((spec, j) => (orderFree[j] ? spec.init() : undefined));
    let p = slices.length - 1;
    let shared: Record<string, unknown> | undefined;
    for (let i = count - 1; i >= 0; i--) {
      const start = oldest + i * w.advanceMs;
      const startSlice = start / layout.sliceMs;
      for (; p >= 0 && slices[p]! >= startSlice; p--) {
        shared = undefined;
        const slice = st.s[slices[p]!]!;
        for (let j = 0; j < specs.length; j++) {
          if (orderFree[j]) merged[j] = specs[j]!.merge(merged[j], slice[positions[j]!]);
        }
      }
      if (pendings[i]!.length === 0) continue;
      if (shared === undefined) {
        const states = merged.slice();
        if (!layout.windowOrderFree[w.index]) {
          const ordered = windowStates(layout, st, w, start, slices, orderFree)!;
          for (let j = 0; j < specs.length; j++) if (!orderFree[j]) states[j] = ordered[j];
        }
        shared = valuesOf(layout, w, states);
      }
      values[i] = shared;
    }
  }
  for (let i = 0; i < count; i++) {
    if (pendings[i]!.length === 0) continue;
    const start = oldest + i * w.advanceMs;
    fire(
      layout,
      key,
      st,
      w,
      start,
      pendings[i]!,
      values[i] ?? valuesOf(layout, w, windowStates(layout, st, w, start, slices)!),
      index,
      out,
    );
  }
}

/** Dense key: each open instance keeps accumulators (see {@link OpenInstance}). */
function evaluateDense(
  layout: Layout,
  key: string,
  st: KeyState,
  cache: AlertCache,
  w: NormalizedWindow,
  record: EngineRecord,
  sliceNo: number,
  oldest: number,
  newest: number,
  index: number,
  out: AlertSink,
): void {
  const instances = cache.open[w.index]!;
  const specs = layout.windowSpecs[w.index]!;
  const orderFree = layout.orderFree[w.index]!;
  const allOrderFree = layout.windowOrderFree[w.index]!;
  const { event, time } = record;
  const view = valuesView(layout, w);
  const created = createInstances(layout, st, cache, w, oldest, newest);
  for (let start = oldest, i = 0; start <= newest; start += w.advanceMs, i++) {
    let inst = instances.get(start / w.advanceMs);
    if (inst === undefined) {
      inst = openInstance(layout, st, cache, w, start);
      instances.set(inst);
    } else if (inst.acc !== undefined && !created?.[i]) {
      const acc = inst.acc;
      for (let j = 0; j < acc.length; j++) {
        if (!orderFree[j]) continue;
        const spec = specs[j]!;
        if (spec.filter === undefined || spec.filter(event)) acc[j] = spec.add(acc[j], event, time);
      }
      if (!allOrderFree && sliceNo < inst.b) refold(layout, st, cache, w, inst, sliceNo);
    }
    if (inst.pending.length === 0) continue;
    view.show(allOrderFree ? inst.acc! : currentStates(layout, st, cache, w, inst, true));
    inst.pending = fire(layout, key, st, w, start, inst.pending, view.values, index, out);
    if (inst.pending.length === 0) inst.acc = undefined;
  }
}

/**
 * Create the missing instances among [oldest, newest] (this record's) in one walk from the newest back, when no slice
 * lies past the oldest one's end: each older instance's order-free states are the newer one's plus the slices
 * between their starts (a copy is kept per instance). The rest are created one by one by {@link openInstance}.
 * Returns which were created (they hold the record already), by position from `oldest`.
 */
function createInstances(
  layout: Layout,
  st: KeyState,
  cache: AlertCache,
  w: NormalizedWindow,
  oldest: number,
  newest: number,
): boolean[] | undefined {
  const instances = cache.open[w.index]!;
  const { slices } = cache;
  const count = (newest - oldest) / w.advanceMs + 1;
  // Usually every instance exists but the newest (a new slice began): one at each end is enough to tell, and an
  // instance missing in between is then opened on its own (same values, more merging).
  if (instances.get(oldest / w.advanceMs) && (count < 2 || instances.get(newest / w.advanceMs - 1))) return undefined;
  let missing = 0;
  let first = count;
  for (let i = 0; i < count; i++) {
    if (instances.get(oldest / w.advanceMs + i)) continue;
    missing++;
    if (first === count) first = i;
  }
  if (missing < 2 || slices[slices.length - 1]! >= (oldest + w.sizeMs) / layout.sliceMs) return undefined;
  const specs = layout.windowSpecs[w.index]!;
  const positions = layout.slicePositions[w.index]!;
  const orderFree = layout.orderFree[w.index]!;
  const merged = specs.map((spec, j) => (orderFree[j] ? spec.init() : undefined));
  const created = new Array<boolean>(count).fill(false);
  let p = slices.length - 1;
  // The walk stops at the oldest missing instance: the older ones exist already.
  for (let i = count - 1; i >= first; i--) {
    const start = oldest + i * w.advanceMs;
    const startSlice = start / layout.sliceMs;
    for (; p >= 0 && slices[p]! >= startSlice; p--) {
      const slice = st.s[slices[p]!]!;
      for (let j = 0; j < specs.length; j++) {
        if (orderFree[j]) merged[j] = specs[j]!.merge(merged[j], slice[positions[j]!]);
      }
    }
    const at = start / w.advanceMs;
    if (instances.get(at)) continue;
    const pending = pendingAlerts(layout, cache, w, at);
    const acc =
      pending.length === 0
        ? undefined
        : specs.map((spec, j) => (orderFree[j] ? copyState(spec, merged[j]) : spec.init()));
    instances.set({ at, start, pending, acc, b: startSlice });
    created[i] = true;
  }
  return created;
}

function openInstance(
  layout: Layout,
  st: KeyState,
  cache: AlertCache,
  w: NormalizedWindow,
  start: number,
): OpenInstance {
  const at = start / w.advanceMs;
  const pending = pendingAlerts(layout, cache, w, at);
  const startSlice = start / layout.sliceMs;
  const inst: OpenInstance = { at, start, pending, acc: undefined, b: startSlice };
  if (pending.length === 0) return inst;
  const specs = layout.windowSpecs[w.index]!;
  const positions = layout.slicePositions[w.index]!;
  const orderFree = layout.orderFree[w.index]!;
  const acc = specs.map((spec) => spec.init());
  const endSlice = startSlice + w.sizeMs / layout.sliceMs;
  const { slices } = cache;
  for (let i = lowerBound(slices, startSlice); i < slices.length && slices[i]! < endSlice; i++) {
    const slice = st.s[slices[i]!]!;
    for (let j = 0; j < positions.length; j++) {
      if (orderFree[j]) acc[j] = specs[j]!.merge(acc[j], slice[positions[j]!]);
    }
  }
  inst.acc = acc;
  return inst;
}

/** A record landed in slice `sliceNo`, already folded into the ordered accumulators: fold them again up to it. */
function refold(
  layout: Layout,
  st: KeyState,
  cache: AlertCache,
  w: NormalizedWindow,
  inst: OpenInstance,
  sliceNo: number,
): void {
  const newest = cache.slices[cache.slices.length - 1]!;
  if (newest - sliceNo > cache.depth) cache.depth = newest - sliceNo;
  const acc = inst.acc!;
  const specs = layout.windowSpecs[w.index]!;
  const orderFree = layout.orderFree[w.index]!;
  for (let j = 0; j < acc.length; j++) if (!orderFree[j]) acc[j] = specs[j]!.init();
  inst.b = inst.start / layout.sliceMs;
  foldOrdered(layout, st, cache, w, inst, sliceNo);
}

/** Fold the instance's slices in [inst.b, to) into its ordered accumulators, in slice order; then inst.b = to. */
function foldOrdered(
  layout: Layout,
  st: KeyState,
  cache: AlertCache,
  w: NormalizedWindow,
  inst: OpenInstance,
  to: number,
): void {
  const acc = inst.acc!;
  const specs = layout.windowSpecs[w.index]!;
  const positions = layout.slicePositions[w.index]!;
  const orderFree = layout.orderFree[w.index]!;
  const { slices } = cache;
  for (let i = lowerBound(slices, inst.b); i < slices.length && slices[i]! < to; i++) {
    const slice = st.s[slices[i]!]!;
    for (let j = 0; j < positions.length; j++) {
      if (!orderFree[j]) acc[j] = specs[j]!.merge(acc[j], slice[positions[j]!]);
    }
  }
  inst.b = to;
}

/**
 * The instance's states now (a window with ordered aggregates): order-free accumulators as they are, ordered ones
 * merged with the slices from `b` on, in order. With `copy`, ordered accumulators are copied first (they stay in use);
 * without, they are consumed.
 */
function currentStates(
  layout: Layout,
  st: KeyState,
  cache: AlertCache,
  w: NormalizedWindow,
  inst: OpenInstance,
  copy: boolean,
): unknown[] {
  const acc = inst.acc!;
  const { slices } = cache;
  const endSlice = (inst.start + w.sizeMs) / layout.sliceMs;
  // Keep `depth` slices unfolded behind the newest, so an out-of-order record lands in the unfolded part.
  const settled = Math.min(endSlice, slices[slices.length - 1]! - cache.depth);
  if (settled > inst.b) foldOrdered(layout, st, cache, w, inst, settled);
  const specs = layout.windowSpecs[w.index]!;
  const positions = layout.slicePositions[w.index]!;
  const orderFree = layout.orderFree[w.index]!;
  const states = acc.slice();
  const from = lowerBound(slices, inst.b);
  for (let j = 0; j < acc.length; j++) {
    if (orderFree[j]) continue;
    const spec = specs[j]!;
    let state = copy ? copyState(spec, acc[j]) : acc[j];
    for (let i = from; i < slices.length && slices[i]! < endSlice; i++) {
      state = spec.merge(state, st.s[slices[i]!]![positions[j]!]);
    }
    states[j] = state;
  }
  return states;
}

/**
 * A copy of an aggregate state that `add` and `merge` may then modify without touching the original (numbers and null
 * are values; built-in states are copied as deep as their add and merge modify them; others are cloned).
 */
function copyState(spec: AnyAggregate, state: unknown): unknown {
  if (state === null || typeof state !== 'object') return state;
  switch (spec.kind) {
    case 'avg':
    case 'lastN': // its pairs are never modified, only the list
      return (state as unknown[]).slice();
    case 'first':
    case 'last': // add and merge never modify a pair
      return state;
    case 'distinct': {
      const d = state as { v: unknown[]; o: boolean };
      return { v: d.v.slice(), o: d.o };
    }
    default:
      return structuredClone(state);
  }
}
