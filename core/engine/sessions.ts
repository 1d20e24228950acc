import type { NormalizedWindow } from '../definition';
import { type AlertSink, evaluateInstance } from './alerts';
import { sessionClosed } from './close-time';
import type { Layout } from './layout';
import { partialPositions, unionPositions } from './partial';
import { closedWindowId, type KeyState, type SessionState } from './state';
import type { EngineRecord, LateEntry } from './types';
import { addRecord } from './values';

/**
 * Session windows (Kafka Streams semantics; the merging window assigner of Flink): events of a key closer than `gap`
 * (inclusive) share a session, and an event within gap of several sessions bridges them into one. A record is late on
 * its own time: when time + gap + grace < its source's stream time (./close-time.ts). A closed session is final for
 * this key and is never reopened: a later on-time event within `gap` of it starts a new session.
 */

/** Where applying a record reports late (record, window) pairs and fired alerts. */
export interface RecordSink extends AlertSink {
  readonly late: LateEntry[];
}

/** Apply one record to session window `w` of a key; returns whether it counted (false: late). */
export function applySession(
  layout: Layout,
  key: string,
  st: KeyState,
  w: NormalizedWindow,
  record: EngineRecord,
  index: number,
  out: RecordSink,
): boolean {
  st.x ??= {};
  const sessions = (st.x[w.index] ??= []);
  if (lateForSession(st, w, record)) {
    out.late.push({ index, window: w.name, start: record.time, end: record.time });
    return false;
  }
  const session = assignSession(layout, st, w, sessions, record.time);
  addRecord(layout, w.aggregates, session.a, record);
  evaluateInstance(layout, { key, window: w, start: session.s, end: session.l, index }, session, out);
  return true;
}

/**
 * Late on the record's own time (stricter than Kafka's merged-session rule): an old record never reaches back into a
 * live session, so what is late stays late, and a dedupe claim can be forgotten for good (./claims.ts). Records at or
 * before the window's reset floor are late too.
 */
function lateForSession(st: KeyState, w: NormalizedWindow, record: EngineRecord): boolean {
  const floor = st.F?.[w.index];
  return sessionClosed(w, record.time, record.streamTime) || (floor !== undefined && record.time <= floor);
}

/** Whether an event at `t` joins session `s`: within gap of it (s.start − gap ≤ t ≤ s.last + gap). */
function joins(w: NormalizedWindow, s: SessionState, t: number): boolean {
  return s.s - w.gapMs <= t && t <= s.l + w.gapMs;
}

/**
 * The session an event at `t` lands in: a new one (inserted in start order) when it joins none, else the first it
 * joins, into which every other session it joins is merged; the session then spans them all and `t`.
 */
function assignSession(
  layout: Layout,
  st: KeyState,
  w: NormalizedWindow,
  sessions: SessionState[],
  t: number,
): SessionState {
  let first = -1;
  let overlaps = 0;
  let start = t;
  let last = t;
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i]!;
    if (!joins(w, s, t)) continue;
    if (first < 0) first = i;
    overlaps++;
    if (s.s < start) start = s.s;
    if (s.l > last) last = s.l;
  }
  if (overlaps === 0) {
    const created: SessionState = { s: start, l: last, a: w.aggregates.map((ai) => initState(layout, ai)) };
    let at = sessions.length;
    while (at > 0 && sessions[at - 1]!.s > start) at--;
    sessions.splice(at, 0, created);
    return created;
  }
  const merged = sessions[first]!;
  if (overlaps > 1) st.x![w.index] = mergeBridged(layout, w, sessions, first, t);
  merged.s = start;
  merged.l = last;
  return merged;
}

/** The event at `t` bridges sessions: merge every other one it joins into the first; returns the sessions kept. */
function mergeBridged(
  layout: Layout,
  w: NormalizedWindow,
  sessions: readonly SessionState[],
  first: number,
  t: number,
): SessionState[] {
  const merged = sessions[first]!;
  const kept: SessionState[] = [];
  for (let i = 0; i < sessions.length; i++) {
    const other = sessions[i]!;
    if (i === first || !joins(w, other, t)) {
      kept.push(other);
      continue;
    }
    mergeStates(layout, w, merged.a, other.a);
    if (other.f) merged.f = unionFired(merged.f, other.f);
  }
  return kept;
}

/** Close the sessions of every session window whose last event + gap + grace is before stream time `to`. */
export function closeSessions(layout: Layout, st: KeyState, to: number): void {
  for (const w of layout.sessionWindows) {
    const sessions = st.x?.[w.index];
    if (!sessions || sessions.length === 0) continue;
    if (!sessions.some((s) => sessionClosed(w, s.l, to))) continue;
    const open: SessionState[] = [];
    for (const s of sessions) {
      if (sessionClosed(w, s.l, to)) closeSession(layout, st, w, s);
      else open.push(s);
    }
    st.x![w.index] = open;
  }
}

/** Move a closed session to the key's closed windows (`c`), merging it with one of the same start closed before. */
function closeSession(layout: Layout, st: KeyState, w: NormalizedWindow, s: SessionState): void {
  st.c ??= {};
  const id = closedWindowId(w.index, s.s);
  const earlier = st.c[id];
  const p = partialPositions(st, w, s.s);
  if (!earlier) {
    st.c[id] = { w: w.index, s: s.s, e: s.l, a: s.a, ...(s.f ? { f: s.f } : {}), ...(p ? { p } : {}) };
    return;
  }
  // A session with the same start closed before (records from a slower source): they are one session.
  mergeStates(layout, w, earlier.a, s.a);
  earlier.e = Math.max(earlier.e, s.l);
  if (s.f) earlier.f = unionFired(earlier.f, s.f);
  const union = unionPositions(earlier.p, p);
  if (union) earlier.p = union;
}

/** Merge the aggregate states `from` into `into` (both aligned with the window's aggregates). */
function mergeStates(layout: Layout, w: NormalizedWindow, into: unknown[], from: readonly unknown[]): void {
  for (let j = 0; j < w.aggregates.length; j++) {
    into[j] = layout.pipeline.aggregates[w.aggregates[j]!]!.spec.merge(into[j], from[j]);
  }
}

/** Union of two lists of fired alert indexes, ascending. */
function unionFired(a: readonly number[] | undefined, b: readonly number[]): number[] {
  return [...new Set([...(a ?? []), ...b])].sort((x, y) => x - y);
}

function initState(layout: Layout, aggregate: number): unknown {
  return layout.pipeline.aggregates[aggregate]!.spec.init();
}
