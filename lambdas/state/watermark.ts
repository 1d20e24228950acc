import type { Checkpoint } from './codec';

/** The pipeline watermark and how it was found. */
export interface PipelineWatermark {
  /** Epoch ms; −∞ when no source has a stream time yet. */
  readonly watermark: number;
  /** 'active': min stream time of the non-idle sources; 'idle': every source idle, advanced by wall-clock time. */
  readonly mode: 'active' | 'idle' | 'none';
  readonly activeSources: readonly string[];
  readonly idleSources: readonly string[];
}

/** A checkpoint's stream time; negative stored values (the processor's "none yet") read as −∞. */
export const streamTimeOf = (c: Pick<Checkpoint, 'streamTime'>): number =>
  c.streamTime >= 0 ? c.streamTime : Number.NEGATIVE_INFINITY;

/**
 * Whether a source is idle at `now`: it has never held a valid record (a source that only receives garbage does not
 * hold the watermark back), or its last batch with a valid record is older than `idleTimeoutMs`.
 */
export function isIdle(c: Checkpoint, now: number, idleTimeoutMs: number): boolean {
  if (!Number.isFinite(streamTimeOf(c))) return true;
  const lastValid = c.lastValidAt ?? c.updatedAt;
  return now - lastValid > idleTimeoutMs;
}

/**
 * The pipeline watermark from the per-source checkpoints (docs/architecture.md §2.5), shared by the processor and the closer: the
 * minimum stream time over sources that are not idle ({@link isIdle}). When every source is idle, time still passes:
 * the watermark is the largest stream time plus the wall-clock time since the last valid record
 * (`max st + (now − max lastValidAt)`), so the last windows close when traffic stops. Pure.
 *
 * A record that later arrives on a source that was idle, for a window the watermark has finalized, is late (like
 * Flink's idleness): pick an idle timeout longer than the gaps a live source has.
 */
export function pipelineWatermark(
  checkpoints: readonly Checkpoint[],
  now: number,
  idleTimeoutMs: number,
): PipelineWatermark {
  const withTime = checkpoints.filter((c) => Number.isFinite(streamTimeOf(c)));
  if (withTime.length === 0) {
    return {
      watermark: Number.NEGATIVE_INFINITY,
      mode: 'none',
      activeSources: [],
      idleSources: checkpoints.map((c) => c.sourceId),
    };
  }
  const active = checkpoints.filter((c) => !isIdle(c, now, idleTimeoutMs));
  const idle = checkpoints.filter((c) => isIdle(c, now, idleTimeoutMs));
  const ids = { activeSources: active.map((c) => c.sourceId), idleSources: idle.map((c) => c.sourceId) };
  if (active.length > 0) {
    return { watermark: Math.min(...active.map(streamTimeOf)), mode: 'active', ...ids };
  }
  const maxStreamTime = Math.max(...withTime.map(streamTimeOf));
  const lastValid = Math.max(...withTime.map((c) => c.lastValidAt ?? c.updatedAt));
  return { watermark: maxStreamTime + Math.max(0, now - lastValid), mode: 'idle', ...ids };
}
