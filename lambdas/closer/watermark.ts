import type { Checkpoint } from '../state/codec';

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
const streamTimeOf = (c: Checkpoint) => (c.streamTime >= 0 ? c.streamTime : Number.NEGATIVE_INFINITY);

/**
 * The pipeline watermark from the per-source checkpoints (DESIGN.md §4): the minimum stream time over sources that are
 * not idle (a source is idle when its checkpoint was last written more than `idleTimeoutMs` before `now`). When every
 * source is idle, time still passes: the watermark is the largest stream time plus the wall-clock time since the last
 * checkpoint write (`max st + (now − max ut)`), so the last windows close when traffic stops. Pure.
 *
 * A record that later arrives on a source that was idle, for a window the watermark has finalized, is late (like
 * Flink's idleness): pick an idle timeout longer than the gaps a live source has.
 */
export function pipelineWatermark(
  checkpoints: readonly Checkpoint[],
  now: number,
  idleTimeoutMs: number,
): PipelineWatermark {
  if (checkpoints.length === 0)
    return { watermark: Number.NEGATIVE_INFINITY, mode: 'none', activeSources: [], idleSources: [] };
  const active = checkpoints.filter((c) => now - c.updatedAt <= idleTimeoutMs);
  const idle = checkpoints.filter((c) => now - c.updatedAt > idleTimeoutMs);
  const ids = { activeSources: active.map((c) => c.sourceId), idleSources: idle.map((c) => c.sourceId) };
  if (active.length > 0) {
    return { watermark: Math.min(...active.map(streamTimeOf)), mode: 'active', ...ids };
  }
  const maxStreamTime = Math.max(...checkpoints.map(streamTimeOf));
  const lastUpdate = Math.max(...checkpoints.map((c) => c.updatedAt));
  return { watermark: maxStreamTime + Math.max(0, now - lastUpdate), mode: 'idle', ...ids };
}
