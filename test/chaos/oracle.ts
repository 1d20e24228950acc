import { type HashKeyRange, type Pipeline, replay, type WindowResult } from '../../core';
import { lateId, rejectedId } from '../../lambdas/side-output/index';
import type { LogRecord } from './shard-log';

/** What one record must end as: exactly one of these. */
export type Fate = 'applied' | 'duplicate' | 'late' | 'rejected' | 'failed';

/** Expected outputs of a schedule, computed from the generated records alone. */
export interface OracleOutput {
  /** Every window result (final and open, flushed at end of input), sorted like replay() sorts them. */
  readonly results: WindowResult[];
  /** Alerts as `alert|key|window|start`, sorted. */
  readonly alerts: string[];
  /** Ids of the rejected side-output messages (`shard:sequence`), sorted. */
  readonly rejectedIds: string[];
  /** Ids of the late side-output messages (`shard:sequence:window:start`), sorted. */
  readonly lateIds: string[];
  /** Sequence numbers (per shard) of records dropped as duplicates, as `shard:sequence`, sorted. */
  readonly duplicateIds: string[];
  /** Sequence numbers of records on the failure destination, as `shard:sequence`, sorted. */
  readonly failedIds: string[];
  /** How many records end as each fate; sums to the number of records. */
  readonly fates: Record<Fate, number>;
}

/** The comparable form of an alert. */
export const alertKey = (a: { alert: string; key: string; window: string; start: number }): string =>
  `${a.alert}|${a.key}|${a.window}|${a.start}`;

/**
 * The oracle: `replay()` over the records in send order with the stream's shard routing, leaving out the records the
 * schedule sends to the failure destination (they never reach the processor). Side-output ids are derived from each
 * record's shard and sequence, as the processor derives them.
 */
export function oracle(
  pipeline: Pipeline,
  records: readonly LogRecord[],
  ranges: readonly HashKeyRange[],
  failed: ReadonlySet<string>,
): OracleOutput {
  const id = (r: LogRecord) => `${r.shardId}:${r.sequence}`;
  const kept = records.filter((r) => !failed.has(id(r)));
  const out = replay(
    pipeline,
    kept.map((r) => r.line),
    { shards: ranges },
  );
  const at = (line: number) => kept[line - 1]!;
  const { summary } = out;
  const fates: Record<Fate, number> = {
    applied: summary.applied,
    duplicate: summary.duplicates,
    late: summary.lateEvents,
    rejected: summary.rejected,
    failed: records.length - kept.length,
  };
  return {
    results: out.results,
    alerts: out.alerts.map(alertKey).sort(),
    rejectedIds: out.rejected.map((r) => rejectedId(at(r.line).shardId, at(r.line).sequence)).sort(),
    lateIds: [
      ...new Set(out.late.map((l) => lateId(at(l.line).shardId, at(l.line).sequence, l.window, l.start))),
    ].sort(),
    duplicateIds: out.duplicates.map((d) => id(at(d.line))).sort(),
    failedIds: records
      .filter((r) => failed.has(id(r)))
      .map(id)
      .sort(),
    fates,
  };
}
