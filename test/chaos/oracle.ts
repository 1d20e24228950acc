import {
  type AlertEvent,
  applyRecords,
  cloneState,
  closeUpTo,
  compareResults,
  decodeBase64Record,
  emptyState,
  flushAll,
  type KeyState,
  layoutOf,
  nextCloseTime,
  type Pipeline,
  stateTooLargeReason,
  type WindowResult,
} from '../../core';
import { lateId, rejectedId } from '../../lambdas/side-output/index';
import { compareSequence } from '../../lambdas/state/index';

/** What one record must end as: exactly one of these. */
export type Fate = 'applied' | 'duplicate' | 'late' | 'rejected' | 'failed' | 'skipped';

/** One record as the oracle sees it: what was sent, and where it sits in the processor's sources. */
export interface OracleRecord {
  /** Position in send order. */
  readonly index: number;
  /** The record data as the event carries it (base64, or null for an MSK record without value). */
  readonly data: string | null;
  readonly partitionKey: string | undefined;
  readonly arrivalMs: number;
  /** The source whose stream time the record moves (its identity; an MSK topic re-created keeps its identity). */
  readonly source: string;
  /** The source in side-output ids, alerts and duplicates: shard id or topic-partition, `#epoch` after a restart. */
  readonly messageSource: string;
  readonly sequence: string;
  /** The fence key the processor commits it under (`fenceKey` of its identity, `#epoch` after a restart). */
  readonly fence: string;
  /** Never reaches the processor (named on the failure destination). */
  readonly failed: boolean;
  /** Skipped by the processor as already applied: an offset restart it cannot prove (MSK CreateTime). */
  readonly skipped: boolean;
}

/** A closer run in idle mode at a barrier: before the record at `at`, every due key is closed up to the watermark. */
export interface OracleBarrier {
  readonly at: number;
  /**
   * The closer's watermark given the largest stream time over the sources at that point (−∞ when none):
   * undefined when the closer cannot run (no stream time yet).
   */
  readonly watermark: (maxStreamTime: number) => number | undefined;
}

/**
 * A state write of the closer in active mode that landed: key `key` finalized through `watermark`, conditioned on the
 * item whose applied marks (fence key -> last sequence) were `applied`. Commits of one key are serialized by the item
 * version, so the write sits between two of the processor's commits of the key: after the key's records `applied`
 * covers, before the others.
 */
export interface OracleClose {
  readonly key: string;
  /** Version of the item the write created (orders the closes of one key). */
  readonly version: number;
  readonly watermark: number;
  /** Idle runs before the active run started: it ran after barrier `phase - 1` and before barrier `phase`. */
  readonly phase: number;
  readonly applied: Readonly<Record<string, string>>;
}

/** What the oracle did for an active closer write: how many windows became final where it placed the write. */
export interface CloseReport {
  readonly key: string;
  readonly version: number;
  readonly windows: number;
}

/** An active closer write fits nowhere in its key's record order (the processor applied the key out of order). */
export class ClosePlacementError extends Error {
  override readonly name = 'ClosePlacementError';
}

/** What the oracle saw at a barrier. */
export interface BarrierReport {
  readonly at: number;
  readonly maxStreamTime: number;
  readonly watermark: number | undefined;
  /** Keys the closer finalized something for, and how many windows. */
  readonly keys: number;
  readonly windows: number;
}

/** Options of {@link oracle}. */
export interface OracleOptions {
  /**
   * ParallelizationFactor > 1: stream time per key (each key's events on their own), and a record whose partition key
   * is not its aggregation key is rejected (`partition-key-mismatch`).
   */
  readonly lanes?: boolean;
  readonly barriers?: readonly OracleBarrier[];
  /** The closer's writes in active mode, each placed in its key's record order (see {@link OracleClose}). */
  readonly closes?: readonly OracleClose[];
}

/** Expected outputs of a schedule, computed from the sent records alone. */
export interface OracleOutput {
  /** Every window result (final and open, flushed at end of input), sorted like replay() sorts them. */
  readonly results: WindowResult[];
  /** Alerts as `alert|key|window|start`, sorted. */
  readonly alerts: string[];
  /**
   * Rejected side-output messages: `[id, reason]`, sorted by id. Two records with the same id would be one message
   * to a consumer that drops repeats by id: the list keeps both.
   */
  readonly rejected: [string, string][];
  /** Ids of the late side-output messages (`source:sequence:window:start`), sorted (a repeat: two records, one id). */
  readonly lateIds: string[];
  /** Records dropped as duplicates, as `source:sequence`, sorted. */
  readonly duplicateIds: string[];
  /** Records skipped unreported by any output (index in send order). */
  readonly skipped: number[];
  /** How many records end as each fate; sums to the number of records. */
  readonly fates: Record<Fate, number>;
  /** Stream time of every source at the end (sources with a valid record only). */
  readonly streamTimes: Map<string, number>;
  readonly barriers: BarrierReport[];
  /** The active closer writes, sorted by key and version, with the windows each made final in the oracle. */
  readonly closes: CloseReport[];
  /** Keys whose state reached the bound (a `state-too-large` rejection). */
  readonly tooLargeKeys: number;
}

/** The comparable form of an alert. */
export const alertKey = (a: { alert: string; key: string; window: string; start: number }): string =>
  `${a.alert}|${a.key}|${a.window}|${a.start}`;

/** The reason code of a rejection (`code: detail`). */
export const reasonCode = (reason: string): string => reason.slice(0, reason.indexOf(':') >>> 0);

/**
 * The oracle: the replay loop of `replay()` (core/replay.ts) over the records in send order, with the processor's
 * view of each record: its data decoded exactly as the processor decodes it (base64, arrival time for the future
 * skew), its source's stream time (or, with lanes, the key's own), and the closer's idle runs at the barriers
 * (`closeUpTo` of every key due by the watermark, as the closer does). Records on the failure destination never reach
 * the processor; records it skips as already applied reach no output. Side-output ids, alerts and duplicates are
 * named by the record's source and sequence, as the processor names them. The closer's writes in active mode (beside
 * the processors) are placed in their key's record order by the applied marks they were conditioned on, and in the
 * barriers' order by the phase they ran in: each closes its key up to its watermark there.
 *
 * Throws when an active closer write cannot be placed (it covers a record that comes after a record it does not
 * cover, or a barrier that came after it): the processor applied a key's records out of order.
 *
 * Only for pipelines partitioned by their aggregation key (the processor's watermark is then its source's stream time).
 */
export function oracle(
  pipeline: Pipeline,
  records: readonly OracleRecord[],
  options: OracleOptions = {},
): OracleOutput {
  if (!pipeline.partitionedByKey)
    throw new Error(`the oracle models pipelines partitioned by key; ${pipeline.name} is not`);
  const layout = layoutOf(pipeline);
  const lanes = options.lanes ?? false;
  const limit = pipeline.settings.maxStateBytes;
  const sourceTime = new Map<string, number>();
  const states = new Map<string, KeyState>();
  const results: WindowResult[] = [];
  const alerts: AlertEvent[] = [];
  const rejected: [string, string][] = [];
  const late: string[] = [];
  const duplicates: string[] = [];
  const skipped: number[] = [];
  const tooLarge = new Set<string>();
  const fates: Record<Fate, number> = { applied: 0, duplicate: 0, late: 0, rejected: 0, failed: 0, skipped: 0 };
  const barriers = [...(options.barriers ?? [])].sort((a, b) => a.at - b.at);
  const reports: BarrierReport[] = [];
  let next = 0;
  // The active closer writes not placed yet, per key in version order, and the last one placed.
  const pending = new Map<string, OracleClose[]>();
  for (const c of [...(options.closes ?? [])].sort((a, b) => a.version - b.version)) {
    pending.set(c.key, [...(pending.get(c.key) ?? []), c]);
  }
  const placed = new Map<string, OracleClose>();
  const closeReports: CloseReport[] = [];
  const covers = (c: OracleClose, r: OracleRecord) => {
    const sequence = c.applied[r.fence];
    return sequence !== undefined && compareSequence(r.sequence, sequence) <= 0;
  };
  const place = (c: OracleClose) => {
    if (c.phase > next) {
      throw new ClosePlacementError(
        `the oracle cannot place the active closer write of ${c.key} (version ${c.version}, after barrier ${c.phase - 1}): the key has a record it does not cover before that barrier`,
      );
    }
    // As the closer: on the current state, written only when something becomes final.
    const state = states.get(c.key);
    let windows = 0;
    if (state && nextCloseTime(layout, state) <= c.watermark) {
      const copy = cloneState(state);
      const closed = closeUpTo(layout, c.key, copy, c.watermark);
      if (closed.length > 0) {
        states.set(c.key, copy);
        results.push(...closed);
        windows = closed.length;
      }
    }
    closeReports.push({ key: c.key, version: c.version, windows });
    placed.set(c.key, c);
  };
  /** Place the leading pending writes of `key` that `before` says come first. */
  const placeWhile = (key: string, before: (c: OracleClose) => boolean) => {
    const queue = pending.get(key);
    while (queue && queue.length > 0 && before(queue[0]!)) place(queue.shift()!);
  };
  const barriersBefore = (index: number) => {
    for (; next < barriers.length && barriers[next]!.at <= index; next++) {
      // The active runs of the phases up to this barrier came before it.
      for (const key of pending.keys()) placeWhile(key, (c) => c.phase <= next);
      const barrier = barriers[next]!;
      const maxStreamTime = Math.max(Number.NEGATIVE_INFINITY, ...sourceTime.values());
      const watermark = barrier.watermark(maxStreamTime);
      let keys = 0;
      let windows = 0;
      if (watermark !== undefined && Number.isFinite(watermark) && watermark >= 0) {
        // The closer: keys whose next close time is due by the watermark, closed on a copy; written (and so
        // finalized through the watermark) only when something became final.
        for (const [key, state] of states) {
          if (nextCloseTime(layout, state) > watermark) continue;
          const copy = cloneState(state);
          const closed = closeUpTo(layout, key, copy, watermark);
          if (closed.length === 0) continue;
          states.set(key, copy);
          results.push(...closed);
          keys++;
          windows += closed.length;
        }
      }
      reports.push({ at: barrier.at, maxStreamTime, watermark, keys, windows });
    }
  };
  for (const r of records) {
    barriersBefore(r.index);
    if (r.failed) {
      fates.failed++;
      continue;
    }
    if (r.skipped) {
      fates.skipped++;
      skipped.push(r.index);
      continue;
    }
    const decoded = decodeBase64Record(pipeline, r.data, r.arrivalMs);
    const reject = (reason: string) => {
      rejected.push([rejectedId(r.messageSource, r.sequence), reason]);
      fates.rejected++;
    };
    if (!decoded.ok) {
      reject(decoded.reason);
      continue;
    }
    if (lanes && r.partitionKey !== undefined && r.partitionKey !== decoded.key) {
      reject(
        `partition-key-mismatch: partition key ${JSON.stringify(r.partitionKey)}, key ${JSON.stringify(decoded.key)}`,
      );
      continue;
    }
    // The key's active closer writes that this record's commit came after, then this record.
    placeWhile(decoded.key, (c) => !covers(c, r));
    const last = placed.get(decoded.key);
    if (last && covers(last, r)) {
      throw new ClosePlacementError(
        `the oracle cannot place the active closer write of ${decoded.key} (version ${last.version}): it covers record ${r.index} (${r.messageSource}:${r.sequence}), which comes after a record it does not cover`,
      );
    }
    const state = states.get(decoded.key) ?? emptyState();
    // Every valid record moves its source's stream time (duplicates too); with lanes the key's own stream time.
    const sourceNow = Math.max(sourceTime.get(r.source) ?? Number.NEGATIVE_INFINITY, decoded.time);
    sourceTime.set(r.source, sourceNow);
    const streamTime = lanes ? Math.max(state.m, decoded.time) : sourceNow;
    const outcome = applyRecords(
      layout,
      decoded.key,
      state,
      [
        {
          event: decoded.event,
          time: decoded.time,
          streamTime,
          bytes: Math.floor(((r.data?.length ?? 0) * 3) / 4), // as the processor estimates a record's size
          ...(decoded.id !== undefined ? { id: decoded.id } : {}),
        },
      ],
      { watermark: streamTime, maxStateBytes: limit },
    );
    states.set(decoded.key, outcome.state);
    if (outcome.duplicates.length > 0) {
      duplicates.push(`${r.messageSource}:${r.sequence}`);
      fates.duplicate++;
    } else if (outcome.tooLarge.length > 0) {
      tooLarge.add(decoded.key);
      reject(stateTooLargeReason(decoded.key, limit));
    } else if (outcome.applied > 0) fates.applied++;
    else fates.late++;
    for (const l of outcome.late) late.push(lateId(r.messageSource, r.sequence, l.window, l.start));
    alerts.push(...outcome.alerts);
    results.push(...outcome.results);
  }
  barriersBefore(Number.POSITIVE_INFINITY);
  for (const key of pending.keys()) placeWhile(key, () => true);
  for (const [key, state] of states) results.push(...flushAll(layout, key, state));
  results.sort(compareResults);
  return {
    results,
    alerts: alerts.map(alertKey).sort(),
    rejected: rejected.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    lateIds: late.sort(),
    duplicateIds: duplicates.sort(),
    skipped,
    fates,
    streamTimes: sourceTime,
    barriers: reports,
    closes: closeReports.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.version - b.version)),
    tooLargeKeys: tooLarge.size,
  };
}
