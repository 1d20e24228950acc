import { type Checkpoint, isIdle, type StateRecord } from '../state/index';

/** When a closer run decides whether a key has live traffic. */
export interface LiveTrafficView {
  /** The run's wall-clock time (ms). */
  readonly now: number;
  /** The pipeline watermark (stream time, ms), floored. */
  readonly wm: number;
  /**
   * Fence key of each source still writing ({@link writingSources}) → the stream time of its checkpoint: how far the
   * sources that wrote a key have read since.
   */
  readonly writing: ReadonlyMap<string, number>;
  /** The closer's own fence key: its writes set a key's stream time, but they are not traffic. */
  readonly closerFence: string;
}

/**
 * Whether a key was written within `liveWindowMs`, in wall-clock time or in stream time: such a key will likely be
 * written again soon, and the processor finalizes its due windows with that write, so a closer write would only
 * race it (a failed conditional write and a retry, for nothing).
 *
 * Both clocks are needed. Wall time alone says little when the processor lags: a slowed processor moves stream time
 * more slowly than the clock, so a key it wrote a minute ago may be seconds behind its shard, and the shard's next
 * batch writes it again. Stream time alone says little in a backfill, where stream time runs hours ahead of the
 * clock.
 *
 * A key's stream time is its state's `m`, the stream time of its last write. It is measured against the sources
 * that wrote the key and are still writing (the slowest of them: any of them may write it next). A key none of whose
 * writers is still writing (its shard went idle, stalled on a failing batch, or closed at a reshard) is not live by
 * stream time: nobody is about to write it, and the stream-time test would otherwise hold it for as long as they
 * stand still. A key the closer wrote last is judged by wall time only (its `m` is the closer's watermark).
 *
 * A live window of 0 or less makes no key live (tests that race the closer against the processor set it).
 */
export function recentlyWritten(view: LiveTrafficView, liveWindowMs: number, record: StateRecord): boolean {
  if (!(liveWindowMs > 0)) return false;
  if (view.now - (record.updatedAt ?? 0) < liveWindowMs) return true;
  const m = keyStreamTime(record);
  if (m === undefined || Number(record.applied[view.closerFence]) === m) return false;
  return progressOf(view, record) - m < liveWindowMs;
}

/**
 * The stream time the key's writers that are still writing have all reached (never behind the pipeline watermark),
 * or +∞ when none of them is still writing.
 */
function progressOf(view: LiveTrafficView, record: Pick<StateRecord, 'applied'>): number {
  let progress = Number.POSITIVE_INFINITY;
  for (const fence of Object.keys(record.applied)) {
    const time = view.writing.get(fence);
    if (time !== undefined && time < progress) progress = time;
  }
  return Math.max(progress, view.wm);
}

/**
 * The sources still writing: not idle for the watermark (a valid record within the idle timeout) and a checkpoint
 * that moved within it (a source retrying a failing batch keeps its valid-record time fresh, but its stream time
 * stands still).
 */
export function writingSources(checkpoints: readonly Checkpoint[], now: number, idleTimeoutMs: number): Checkpoint[] {
  return checkpoints.filter((c) => !isIdle(c, now, idleTimeoutMs) && now - c.updatedAt <= idleTimeoutMs);
}

/**
 * The stream time of a state item's key (`k.m`), or undefined when the item holds no readable state: such an item is
 * left to the closer's own read of it, which reports the key.
 */
export function keyStreamTime(record: Pick<StateRecord, 'stateJson'>): number | undefined {
  if (record.stateJson === undefined) return undefined;
  try {
    const m = (JSON.parse(record.stateJson) as { k?: { m?: unknown } } | null)?.k?.m;
    return typeof m === 'number' && Number.isFinite(m) ? m : undefined;
  } catch {
    return undefined;
  }
}
