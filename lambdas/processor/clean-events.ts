import { type CleanEventOrigin, cleanEventRow, type Decoded } from '../../core';
import type { CleanEventRecord } from '../sinks/clean-events';
import type { ProcessContext, SourceRecord, SourceStats } from './source-batch';

/**
 * Send every valid record of a batch (decoded, not rejected; duplicates and late records too) to the clean-events
 * output, before the checkpoint can pass them. It rests on no state decision, so it runs beside the rejected side
 * output, right after decoding. Returns the lowest record whose row was not delivered (its source record is failed
 * from there, like a rejected message that could not be sent), if any.
 */
export async function sendCleanEvents(
  ctx: Pick<ProcessContext, 'clean'>,
  origin: CleanEventOrigin,
  records: readonly SourceRecord[],
  decoded: readonly Decoded[],
  rejected: readonly { pos: number }[],
  stats: SourceStats,
): Promise<{ pos: number; error: Error } | undefined> {
  if (!ctx.clean) return undefined;
  const skip = new Set(rejected.map((r) => r.pos));
  const posOf = new Map<string, number>();
  const rows: CleanEventRecord[] = [];
  for (let pos = 0; pos < records.length; pos++) {
    const d = decoded[pos]!;
    if (!d.ok || skip.has(pos)) continue;
    const record = records[pos]!;
    const id = `${origin.source}:${record.sequence}`;
    posOf.set(id, pos);
    rows.push({
      id,
      row: cleanEventRow(
        {
          ...origin,
          event: d.event,
          key: d.key,
          id: d.id,
          time: d.time,
          sequence: record.sequence,
          arrivalMs: record.arrivalMs,
        },
        ctx.clean.partitioning,
      ),
    });
  }
  if (rows.length === 0) return undefined;
  const sent = await ctx.clean.sink.send(rows);
  stats.retries += sent.retries;
  if (sent.failedIds.length === 0) return undefined;
  const pos = Math.min(...sent.failedIds.map((id) => posOf.get(id) ?? 0));
  return { pos, error: sent.errors[0] ?? new Error(`clean-events output ${ctx.clean.sink.name} failed`) };
}
