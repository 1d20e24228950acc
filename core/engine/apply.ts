import type { NormalizedWindow } from '../definition';
import { StateFormatError } from '../errors';
import { evaluateInstance } from './alerts';
import {
  addClaim,
  claimBucket,
  claimHash,
  claimsForgotten,
  claimsFull,
  isClaimed,
  pruneClaims,
  type SpilledClaims,
} from './claims';
import {
  dueTime,
  firstOpenStart,
  holdsOpen,
  isClosed,
  lastClosedStart,
  resetFloorSettled,
  timedClosed,
  timedCloseTime,
} from './close-time';
import { layerSlices, pruneLayers } from './layers';
import { alignDown, firstWindowStart, type Layout, windowStartsFor } from './layout';
import { cachedSlices, evaluateOpenAlerts, noteClosed, noteSliceAdded, takeInstanceStates } from './open-alerts';
import { partialField, partialPositions, prunePartial } from './partial';
import { applySession, closeSessions, type RecordSink } from './sessions';
import {
  closedWindowId,
  emptyState,
  firedAlerts,
  type KeyState,
  keepFiredAlerts,
  parseState,
  serializeState,
} from './state';
import type { AlertEvent, EngineRecord, LateEntry, WindowResult } from './types';
import { addRecord, resetFloorStart, valuesOf, windowStates } from './values';

/** What {@link applyRecords} produced for one key. */
export interface ApplyOutcome {
  readonly state: KeyState;
  readonly late: LateEntry[];
  readonly alerts: AlertEvent[];
  /** Windows that became final (closed for every source, per the watermark). */
  readonly results: WindowResult[];
  /** Records counted in at least one window. */
  readonly applied: number;
  /** Positions of records dropped as duplicates (their id was claimed for this key and not forgotten). */
  readonly duplicates: number[];
  /** Positions of records refused because the key's state could not grow further (`state-too-large`). */
  readonly tooLarge: number[];
}

/** Options of {@link applyRecords}. */
export interface ApplyOptions {
  /**
   * Pipeline watermark after these records: closed windows whose end + grace ≤ watermark are final and leave the
   * state as results. When every key is read from one source (aggregation key = partition key) pass the source's
   * stream time. Windows that close at or before it are closed first, then final.
   * @default - no window becomes final
   */
  readonly watermark?: number;
  /** Claims of the buckets the state lists as spilled (`KeyState.D`) that the records' times fall in. */
  readonly spilledClaims?: SpilledClaims;
  /**
   * Largest state (UTF-8 bytes of its JSON) a record may leave behind: a record that would make the key's state larger
   * is refused (`tooLarge`) and leaves no trace, so one hot key never blocks its source.
   * @default - no limit
   */
  readonly maxStateBytes?: number;
}

/**
 * A state is only ever read under the layout it was written with (core/evolution translates it first): reading it
 * by position under another would take one aggregate's state for another's. Stamps states that carry no layout yet.
 * @throws StateFormatError when the state was written under another layout.
 */
function stampLayout(layout: Layout, st: KeyState): void {
  checkLayout(layout, st);
  st.l = layout.fingerprint;
}

/** @throws StateFormatError when the state was written under another layout than `layout`. */
function checkLayout(layout: Layout, st: KeyState): void {
  if (st.l !== undefined && st.l !== layout.fingerprint) {
    throw new StateFormatError(
      `state written under layout ${st.l} read under layout ${layout.fingerprint}: translate it first (translateState)`,
    );
  }
}

/**
 * Apply one key's records, in source order, to its state. Pure and deterministic: the same state and records give
 * the same outcome, which is what makes fenced retries exact. The state passed in is modified and returned.
 *
 * Semantics (Kafka Streams): a record is late for window W when W.end + grace ≤ its source's stream time including
 * the record. Tumbling and hopping windows share slices (gcd of sizes and advances), so one event touches one slice;
 * a window is snapshotted when it closes, so a record late for an older hopping window but on time for a newer one
 * counts only in the newer one.
 */
export function applyRecords(
  layout: Layout,
  key: string,
  state: KeyState | undefined,
  records: readonly EngineRecord[],
  options: ApplyOptions = {},
): ApplyOutcome {
  const run = new KeyRun(layout, key, state ?? emptyState(), records, options);
  for (let i = 0; i < records.length; i++) run.step(i, records[i]!);
  return run.finish();
}

/** A dedupe claim of a record: its claim bucket and the hash of its id (./claims.ts). */
type Claim = { bucket: number; hash: string };

/** One {@link applyRecords} call: the key's state, what it produced so far, and the record-by-record steps. */
class KeyRun {
  readonly #out = {
    late: [] as LateEntry[],
    alerts: [] as AlertEvent[],
    results: [] as WindowResult[],
    applied: 0,
    duplicates: [] as number[],
    tooLarge: [] as number[],
  };
  readonly #guard: SizeGuard | undefined;
  /**
   * Windows become final record by record (as in replay, one record a line), never past the stream time of a record
   * still to come in this call: the state then never carries snapshots an earlier point had already finalized.
   */
  readonly #finalAt: number[] | undefined;

  constructor(
    readonly layout: Layout,
    readonly key: string,
    readonly st: KeyState,
    records: readonly EngineRecord[],
    readonly options: ApplyOptions,
  ) {
    stampLayout(layout, st);
    this.#guard = options.maxStateBytes === undefined ? undefined : new SizeGuard(layout, st, options.maxStateBytes);
    this.#finalAt = finalizationPoints(records, options.watermark);
  }

  /**
   * Record `i`: the key's stream time moves to the record's, windows final by then leave the state, then a duplicate
   * is dropped, a record whose claim bucket is full is refused, and any other is applied.
   */
  step(i: number, given: EngineRecord): void {
    const { st } = this;
    // A record is late for what the key finalized already, whatever its own source's stream time.
    const record = st.z !== undefined && st.z > given.streamTime ? { ...given, streamTime: st.z } : given;
    this.#advance(record.streamTime);
    this.#finalizeBefore(i);
    const claim =
      record.id === undefined ? undefined : { bucket: claimBucket(record.time), hash: claimHash(record.id) };
    if (claim && this.#isDuplicate(claim, record.streamTime)) {
      this.#out.duplicates.push(i);
      this.#finalizeAfter(i);
      return;
    }
    if (claim && claimsFull(st, claim.bucket)) {
      this.#out.tooLarge.push(i);
      return;
    }
    this.#apply(i, record, claim);
    this.#finalizeAfter(i);
  }

  /** The outcome, after closing and finalizing up to the watermark. */
  finish(): ApplyOutcome {
    const { layout, key, st, options } = this;
    if (options.watermark !== undefined) this.#out.results.push(...closeUpTo(layout, key, st, options.watermark));
    return { state: st, ...this.#out };
  }

  /** The key's stream time moves to `streamTime` (when later): windows close. */
  #advance(streamTime: number): void {
    if (streamTime <= this.st.m) return;
    this.#measuringClosed(() => advance(this.layout, this.st, streamTime));
  }

  /**
   * Windows final by a record's point leave the state before it is applied (as if finalized by the previous record,
   * or by a closer): what the size bound measures does not depend on batching.
   */
  #finalizeBefore(i: number): void {
    if (!this.#finalAt || !this.st.c) return;
    this.#measuringClosed(() => finalize(this.layout, this.key, this.st, this.#finalAt![i]!, this.#out.results));
  }

  /** Windows final by record `i`'s point leave the state as results. */
  #finalizeAfter(i: number): void {
    if (this.#finalAt) finalize(this.layout, this.key, this.st, this.#finalAt[i]!, this.#out.results);
  }

  /** Run `change`; when it changed how many closed windows the state holds, the size guard measures again. */
  #measuringClosed(change: () => void): void {
    const closedCount = () => (this.st.c ? Object.keys(this.st.c).length : 0);
    const before = closedCount();
    change();
    if (this.#guard && closedCount() !== before) this.#guard.measure();
  }

  /** Whether the record's id was claimed for this key, and the claim is not forgotten yet. */
  #isDuplicate(claim: Claim, streamTime: number): boolean {
    return (
      isClaimed(this.st, claim.bucket, claim.hash, this.options.spilledClaims) &&
      !claimsForgotten(this.layout, claim.bucket, streamTime)
    );
  }

  /**
   * Apply a record to every window and claim its id; a record that would make the state larger than the limit is
   * rolled back and refused (`tooLarge`), leaving no trace.
   */
  #apply(i: number, record: EngineRecord, claim: Claim | undefined): void {
    const { layout, key, st } = this;
    const out = this.#out;
    const before = this.#guard?.begin(record);
    const marks = { late: out.late.length, alerts: out.alerts.length };
    let counted = applyTimed(layout, key, st, record, i, out);
    for (const w of layout.sessionWindows) counted = applySession(layout, key, st, w, record, i, out) || counted;
    if (claim && !claimsForgotten(layout, claim.bucket, record.streamTime)) addClaim(st, claim.bucket, claim.hash);
    if (this.#guard?.exceeded(before)) {
      out.late.length = marks.late;
      out.alerts.length = marks.alerts;
      out.tooLarge.push(i);
    } else if (counted) out.applied++;
  }
}

/** Where windows may be finalized after each record: min(watermark, its stream time, any later record's). */
function finalizationPoints(records: readonly EngineRecord[], watermark: number | undefined): number[] | undefined {
  if (watermark === undefined) return undefined;
  const points = new Array<number>(records.length);
  let later = Number.POSITIVE_INFINITY;
  for (let i = records.length - 1; i >= 0; i--) {
    const own = records[i]!.streamTime;
    points[i] = Math.min(watermark, own, later);
    later = Math.min(later, own);
  }
  return points;
}

/**
 * Keeps a key's state under `maxStateBytes`, record by record, without serialising it for every record: the exact size
 * is measured at the start and after windows close; each record adds an upper bound of what it can add (a few times
 * its own size per window it lands in). Only when that estimate reaches half the limit is the state serialised
 * around the record, and a record that would pass the limit is rolled back. The decision is the same whatever the
 * batching (replay's one-line batches or the processor's), because it is exact whenever it could matter.
 */
class SizeGuard {
  #estimate = 0;
  readonly #st: KeyState;
  readonly #limit: number;
  /** Upper bound of what one record adds per byte of its own and in all: the window instances it can land in. */
  readonly #instances: number;
  readonly #perInstance: number;

  constructor(layout: Layout, st: KeyState, limit: number) {
    this.#st = st;
    this.#limit = limit;
    this.#instances =
      layout.timedWindows.reduce((n, w) => n + Math.ceil(w.sizeMs / w.advanceMs), 0) + layout.sessionWindows.length;
    this.#perInstance = 64 + 32 * layout.pipeline.aggregates.length;
    this.measure();
  }

  /**
   * Measure the state exactly (after windows closed: snapshots can add up to the size of their slices). Dedupe claims
   * do not count: the storage moves a hot key's claims out of its item, and replay keeps them all.
   */
  measure(): void {
    this.#estimate = sizeWithoutClaims(this.#st);
  }

  /** Before applying `record`: the state's text when the record could bring it near the limit, else undefined. */
  begin(record: EngineRecord): string | undefined {
    const bytes = record.bytes ?? Buffer.byteLength(JSON.stringify(record.event) ?? '', 'utf8');
    this.#estimate += this.#instances * (this.#perInstance + 4 * bytes) + 64;
    if (this.#estimate <= this.#limit / 2) return undefined;
    return serializeState(this.#st);
  }

  /** After applying: true (and the state restored to `before`) when the record made it larger than the limit. */
  exceeded(before: string | undefined): boolean {
    if (before === undefined) return false;
    const after = sizeWithoutClaims(this.#st);
    if (after <= this.#limit) {
      this.#estimate = after;
      return false;
    }
    const back = parseState(before);
    for (const k of Object.keys(this.#st) as (keyof KeyState)[]) delete this.#st[k];
    Object.assign(this.#st, back);
    nextCloseCache.delete(this.#st);
    this.measure();
    return true;
  }
}

/** UTF-8 bytes of a state's JSON without its dedupe claims. */
function sizeWithoutClaims(st: KeyState): number {
  return Buffer.byteLength(serializeState(st.d || st.D ? { ...st, d: undefined, D: undefined } : st), 'utf8');
}

/**
 * Close and finalize a key's windows up to `watermark` without new records (a closer, when traffic stops): windows
 * whose end + grace ≤ watermark become results, and later records for them count as late.
 */
export function closeUpTo(layout: Layout, key: string, state: KeyState, watermark: number): WindowResult[] {
  const results: WindowResult[] = [];
  stampLayout(layout, state);
  if (watermark > state.m) advance(layout, state, watermark);
  finalize(layout, key, state, watermark, results);
  // Claims forgotten by now go (a lookup would ignore them anyway: this only keeps the item small).
  if (state.z !== undefined && (state.d || state.D)) pruneClaims(layout, state, state.z);
  return results;
}

/**
 * Cached earliest close time of each live state object (not stored: recomputed once per loaded state). Kept exact:
 * a new slice lowers it, closing windows clears it.
 */
const nextCloseCache = new WeakMap<KeyState, number>();

/** Earliest close time (end + grace) of any still-open time window holding a slice of this key. */
function nextTimedClose(layout: Layout, st: KeyState): number {
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
function sortedSlices(st: KeyState): readonly number[] {
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

/** Stream time of this key moves to `to`: snapshot windows that close, prune slices no open window needs. */
function advance(layout: Layout, st: KeyState, to: number): void {
  const from = st.m;
  const nextClose = nextTimedClose(layout, st);
  st.m = to;
  if (to >= nextClose) {
    closeTimed(layout, st, from, to);
    nextCloseCache.delete(st);
    noteClosed(layout, st, to);
    // A fired id names an open window holding a slice (the fired record's): it closes at or after nextClose.
    if (st.f) pruneFired(layout, st, to);
  }
  if (st.x) closeSessions(layout, st, to);
}

function closeTimed(layout: Layout, st: KeyState, from: number, to: number): void {
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
function applyTimed(
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

/** Move closed windows whose end + grace ≤ watermark to results (sessions: last + gap + grace < watermark). */
export function finalize(layout: Layout, key: string, st: KeyState, watermark: number, results: WindowResult[]): void {
  if (Number.isFinite(watermark) && watermark > (st.z ?? Number.NEGATIVE_INFINITY)) st.z = watermark;
  if (st.P) prunePartial(layout, st);
  if (st.F) pruneResetFloors(layout, st);
  if (!st.c) return;
  const { windows } = layout.pipeline;
  const ids = Object.keys(st.c).sort((a, b) => {
    const ca = st.c![a]!;
    const cb = st.c![b]!;
    return ca.e - cb.e || ca.w - cb.w || ca.s - cb.s;
  });
  for (const id of ids) {
    const closed = st.c[id]!;
    const w = windows[closed.w]!;
    if (!isClosed(w, closed.e, watermark)) continue;
    results.push({
      window: w.name,
      key,
      start: closed.s,
      end: closed.e,
      values: valuesOf(layout, w, closed.a),
      ...partialField(layout, w, closed.p),
    });
    delete st.c[id];
  }
  if (Object.keys(st.c).length === 0) delete st.c;
}

/** Drop the reset floors the finalized-through mark `z` covers (what they refuse is late by `z` alone). */
function pruneResetFloors(layout: Layout, st: KeyState): void {
  if (!st.F || st.z === undefined) return;
  for (const index of Object.keys(st.F)) {
    const w = layout.pipeline.windows[Number(index)];
    if (w === undefined || resetFloorSettled(w, st.F[index]!, st.z)) delete st.F[index];
  }
  if (Object.keys(st.F).length === 0) delete st.F;
}

/**
 * Close and finalize everything (end of input in an offline replay): every open window becomes a result.
 */
export function flushAll(layout: Layout, key: string, st: KeyState): WindowResult[] {
  const results: WindowResult[] = [];
  stampLayout(layout, st);
  advance(layout, st, Number.POSITIVE_INFINITY);
  finalize(layout, key, st, Number.POSITIVE_INFINITY, results);
  return results;
}

/**
 * Earliest time at which something this key holds closes (a time window's end + grace, a session's last event +
 * gap + grace, a closed window's finality); +Infinity when it holds nothing. A closer queries keys by it.
 */
export function nextCloseTime(layout: Layout, st: KeyState): number {
  checkLayout(layout, st);
  let next = nextTimedClose(layout, st);
  for (const w of layout.sessionWindows) {
    for (const s of st.x?.[w.index] ?? []) next = Math.min(next, dueTime(w, s.l));
  }
  for (const closed of Object.values(st.c ?? {})) {
    const w = layout.pipeline.windows[closed.w]!;
    next = Math.min(next, dueTime(w, closed.e));
  }
  return next;
}

/**
 * Current (not final) values of every window this key holds: open time windows (from slices), open sessions, and
 * closed windows waiting for the watermark. For state queries; the state is not modified.
 */
export function openResults(layout: Layout, key: string, st: KeyState): (WindowResult & { closed: boolean })[] {
  checkLayout(layout, st);
  const out: (WindowResult & { closed: boolean })[] = [];
  const slices = sortedSlices(st);
  for (const w of layout.timedWindows) {
    const starts = new Set<number>();
    const times = [...slices.map((k) => k * layout.sliceMs), ...[...layerSlices(st, w)].map(([t]) => t)];
    const floor = resetFloorStart(st, w);
    for (const time of times) {
      for (const start of windowStartsFor(w, time)) {
        if (!timedClosed(w, start, st.m) && start >= floor) starts.add(start);
      }
    }
    for (const start of [...starts].sort((a, b) => a - b)) {
      const states = windowStates(layout, st, w, start, slices);
      if (states) {
        out.push({
          window: w.name,
          key,
          start,
          end: start + w.sizeMs,
          values: valuesOf(layout, w, states),
          ...partialField(layout, w, partialPositions(st, w, start)),
          closed: false,
        });
      }
    }
  }
  for (const w of layout.sessionWindows) {
    for (const s of st.x?.[w.index] ?? []) {
      out.push({
        window: w.name,
        key,
        start: s.s,
        end: s.l,
        values: valuesOf(layout, w, s.a),
        ...partialField(layout, w, partialPositions(st, w, s.s)),
        closed: false,
      });
    }
  }
  for (const closed of Object.values(st.c ?? {})) {
    const w = layout.pipeline.windows[closed.w]!;
    out.push({
      window: w.name,
      key,
      start: closed.s,
      end: closed.e,
      values: valuesOf(layout, w, closed.a),
      ...partialField(layout, w, closed.p),
      closed: true,
    });
  }
  return out;
}
