import type { StateRecord } from '../state/index';

/** When a closer run decides whether a key has live traffic. */
export interface LiveTrafficView {
  /** The run's wall-clock time (ms). */
  readonly now: number;
  /** The pipeline watermark (stream time, ms), floored. */
  readonly wm: number;
  /**
   * Fence key of a source ({@link fenceKey} of its checkpoint identity) → the stream time of its checkpoint: how far
   * the sources that wrote a key have read since.
   */
  readonly sourceTimes: ReadonlyMap<string, number>;
}

/**
 * Whether a key was written within `liveWindowMs`, in wall-clock time or in stream time: such a key will likely be
 * written again soon, and the processor finalizes its due windows with that write, so a closer write would only
 * race it (a failed conditional write and a retry, for nothing).
 *
 * Both clocks are needed. Wall time alone says little when the processor lags: a slowed processor moves stream time
 * more slowly than the clock, so a key it wrote a minute ago may be seconds behind its shard, and the shard's next
 * batch writes it again. Stream time alone says little in a backfill, where stream time runs hours ahead of the
 * clock. A key's stream time is its state's `m` (the stream time of its last write); it is measured against the
 * progress of the sources that wrote it (the furthest of their checkpoints' stream times), not against the pipeline
 * watermark, which a lagging shard holds back while the key's own shard moves on.
 *
 * A live window of 0 or less makes no key live (tests that race the closer against the processor set it).
 */
export function recentlyWritten(view: LiveTrafficView, liveWindowMs: number, record: StateRecord): boolean {
  if (!(liveWindowMs > 0)) return false;
  if (view.now - (record.updatedAt ?? 0) < liveWindowMs) return true;
  const m = keyStreamTime(record);
  return m !== undefined && progressOf(view, record) - m < liveWindowMs;
}

/**
 * The stream time the sources that wrote a key have reached, never behind the pipeline watermark (a key whose source
 * went idle is judged by the others' progress, as the watermark is).
 */
function progressOf(view: LiveTrafficView, record: Pick<StateRecord, 'applied'>): number {
  let progress = Number.NEGATIVE_INFINITY;
  for (const fence of Object.keys(record.applied)) {
    const time = view.sourceTimes.get(fence);
    if (time !== undefined && time > progress) progress = time;
  }
  return Number.isFinite(progress) ? Math.max(progress, view.wm) : view.wm;
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
