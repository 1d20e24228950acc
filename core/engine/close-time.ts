import type { NormalizedWindow } from '../definition';
import { alignDown } from './layout';

/**
 * When a window instance closes, per window kind: the one place the engine compares a close time with a stream time
 * (docs/architecture.md §2.5; Kafka Streams semantics).
 *
 * Every instance has an `end`: a tumbling or hopping instance ends at start + size, a session at its last event time.
 * Its close time is end + grace (sessions: last event + gap + grace). The kinds differ in the comparison:
 * - tumbling and hopping ("timed") instances close AT their close time: closed at stream time t when close time ≤ t;
 * - sessions close AFTER it: closed when close time < t. A session's gap is inclusive (an event exactly `gap` after the
 *   last one joins it), so at t = last + gap + grace an on-time event can still extend it.
 *
 * A record is late for an instance closed at its source's stream time including the record; a closed instance is final
 * (a result) when it is closed at the watermark.
 */

/** Stream time at which the instance of `w` ending at `end` closes (see {@link isClosed} for the comparison). */
export function closeTime(w: NormalizedWindow, end: number): number {
  return w.kind === 'session' ? end + w.gapMs + w.graceMs : end + w.graceMs;
}

/**
 * Whether the instance of `w` ending at `end` (a session: its last event time) is closed at stream time `time`:
 * timed windows when end + grace ≤ time, sessions when last + gap + grace < time.
 */
export function isClosed(w: NormalizedWindow, end: number, time: number): boolean {
  return w.kind === 'session' ? sessionClosed(w, end, time) : closeTime(w, end) <= time;
}

/**
 * The earliest whole-millisecond stream time at which the instance of `w` ending at `end` is closed (what a closer
 * waits for): a timed window's close time, a session's close time + 1 ms.
 */
export function dueTime(w: NormalizedWindow, end: number): number {
  return w.kind === 'session' ? closeTime(w, end) + 1 : closeTime(w, end);
}

// Tumbling and hopping windows, by instance start.

/** The smallest window start of `w` (a multiple of its advance) strictly after `time` (−∞ for −∞). */
export function startAfter(w: NormalizedWindow, time: number): number {
  return (Math.floor(time / w.advanceMs) + 1) * w.advanceMs;
}

/** Close time of the tumbling or hopping instance of `w` starting at `start`: start + size + grace. */
export function timedCloseTime(w: NormalizedWindow, start: number): number {
  return start + w.sizeMs + w.graceMs;
}

/** Whether the tumbling or hopping instance of `w` starting at `start` is closed at stream time `time`. */
export function timedClosed(w: NormalizedWindow, start: number, time: number): boolean {
  return timedCloseTime(w, start) <= time;
}

/** Start of the oldest instance of `w` (tumbling or hopping) still open at stream time `time`. */
export function firstOpenStart(w: NormalizedWindow, time: number): number {
  return startAfter(w, time - w.sizeMs - w.graceMs);
}

/** Start of the newest instance of `w` (tumbling or hopping) closed at stream time `time`. */
export function lastClosedStart(w: NormalizedWindow, time: number): number {
  return alignDown(time - w.sizeMs - w.graceMs, w.advanceMs);
}

/**
 * Whether some instance of `w` (tumbling or hopping) holding `time` is still open at stream time `streamTime`: the
 * newest one holding it (the last to close) is.
 */
export function holdsOpen(w: NormalizedWindow, time: number, streamTime: number): boolean {
  return !timedClosed(w, alignDown(time, w.advanceMs), streamTime);
}

// Sessions, by last event time.

/** Whether a session of `w` whose last event is at `last` is closed at stream time `time` (last + gap + grace < time). */
export function sessionClosed(w: NormalizedWindow, last: number, time: number): boolean {
  return closeTime(w, last) < time;
}

/**
 * Whether every session of `w` whose last event is before `end` (exclusive) is closed at stream time `time`: for
 * times before `end`, last + gap + grace < time holds when end + gap + grace ≤ time.
 */
export function sessionsBeforeClosed(w: NormalizedWindow, end: number, time: number): boolean {
  return closeTime(w, end) <= time;
}

/**
 * Whether a reset floor (`KeyState.F`) of `w` is settled by the finalized-through mark `z`: what it refuses is late by
 * `z` alone. Both kinds compare strictly here (floor + size or gap + grace < z): for timed windows this keeps a floor
 * one millisecond longer than needed, which is harmless (a floor only refuses what is late anyway).
 */
export function resetFloorSettled(w: NormalizedWindow, floor: number, z: number): boolean {
  return w.kind === 'session' ? sessionClosed(w, floor, z) : timedCloseTime(w, floor) < z;
}

/**
 * The floor (`KeyState.F` semantics) the finalized-through mark `z` alone allows for a window of this shape: a timed
 * instance was final when start + size + grace ≤ z (start ≤ z − span); a session when end + gap + grace < z (strictly,
 * so its end < z − span: times are whole milliseconds). What a key may have finalized when it does not keep
 * `KeyState.E`.
 */
export function floorFinalBy(w: Pick<NormalizedWindow, 'kind' | 'sizeMs' | 'gapMs' | 'graceMs'>, z: number): number {
  return w.kind === 'session' ? z - (w.gapMs + w.graceMs) - 1 : z - (w.sizeMs + w.graceMs);
}
