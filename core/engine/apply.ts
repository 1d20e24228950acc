import { StateFormatError } from '../errors';
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
import { dueTime, floorFinalBy, isClosed, resetFloorSettled, timedClosed } from './close-time';
import { layerSlices } from './layers';
import { type Layout, windowStartsFor } from './layout';
import { partialField, partialPositions, prunePartial } from './partial';
import { applySession, closeSessions } from './sessions';
import { SizeGuard } from './size-guard';
import { type ClosedWindow, emptyState, type KeyState } from './state';
import { applyTimed, closeTimed, nextTimedClose, sortedSlices } from './timed';
import type { AlertEvent, EngineRecord, LateEntry, WindowResult } from './types';
import { resetFloorStart, valuesOf, windowStates } from './values';

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

/** Stream time of this key moves to `to`: snapshot windows that close, prune slices no open window needs. */
function advance(layout: Layout, st: KeyState, to: number): void {
  const from = st.m;
  const nextClose = nextTimedClose(layout, st);
  st.m = to;
  if (to >= nextClose) closeTimed(layout, st, from, to);
  if (st.x) closeSessions(layout, st, to);
}

/** Move closed windows whose end + grace ≤ watermark to results (sessions: last + gap + grace < watermark). */
export function finalize(layout: Layout, key: string, st: KeyState, watermark: number, results: WindowResult[]): void {
  // A state finalized before `E` existed may have finalized up to what its mark allows: start `E` there.
  if (st.E === undefined && st.z !== undefined) st.E = floorsFinalBy(layout, st.z);
  if (Number.isFinite(watermark) && watermark > (st.z ?? Number.NEGATIVE_INFINITY)) st.z = watermark;
  if (st.z !== undefined) st.E ??= {};
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
    noteFinal(st, closed);
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

/** Per window index, the floor the mark `z` alone allows (see `floorFinalBy`). */
function floorsFinalBy(layout: Layout, z: number): Record<string, number> {
  const floors: Record<string, number> = {};
  for (const w of layout.pipeline.windows) floors[w.index] = floorFinalBy(w, z);
  return floors;
}

/** A window instance was finalized: it may raise the window's floor in `KeyState.E`. */
function noteFinal(st: KeyState, closed: ClosedWindow): void {
  // Result ids are window, key and start: a later instance (a session of later records) starting after every
  // emitted start repeats none of them.
  raiseFloor(st, closed.w, closed.s);
}

function raiseFloor(st: KeyState, index: number, floor: number): void {
  const floors = (st.E ??= {});
  const earlier = floors[index];
  if (earlier === undefined || floor > earlier) floors[index] = floor;
}

/** Drop the reset floors the finalized-through mark `z` covers (what they refuse is late by `z` alone). */
function pruneResetFloors(layout: Layout, st: KeyState): void {
  if (!st.F || st.z === undefined) return;
  for (const index of Object.keys(st.F)) {
    const w = layout.pipeline.windows[Number(index)];
    if (w !== undefined && !resetFloorSettled(w, st.F[index]!, st.z)) continue;
    // What the floor refuses is late by z now, under this shape; under a later reset's it may not be: the name's
    // emitted instances stay covered by E.
    raiseFloor(st, Number(index), st.F[index]!);
    delete st.F[index];
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
