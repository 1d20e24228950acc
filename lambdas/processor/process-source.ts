import {
  type ApplyOutcome,
  applyRecords,
  type Decoded,
  decodeBase64Record,
  emptyState,
  type LateEntry,
  nextCloseTime,
  stateExpiry,
} from '../../core';
import { fitData, type LateMessage, lateId, type RejectedMessage, rejectedId } from '../side-output/index';
import { type AppliedState, type CommitRequest, compareSequence, type StoredState } from '../state/index';
import {
  emptyStats,
  type ProcessContext,
  type SourceBatch,
  type SourceOutcome,
  type SourceRecord,
  type SourceStats,
} from './source-batch';
import { readStoredValue, type StoredAlert, toStoredValue } from './stored-state';

/**
 * Stream time stored in a checkpoint when the source has seen no valid event yet (DynamoDB numbers cannot be −∞).
 * Event times are never negative, so any negative stored value reads back as −∞.
 */
export const NO_STREAM_TIME = -1;

const toStored = (streamTime: number) => (Number.isFinite(streamTime) ? streamTime : NO_STREAM_TIME);
const fromStored = (streamTime: number) => (streamTime >= 0 ? streamTime : Number.NEGATIVE_INFINITY);

/** A valid record kept for windowing, with its place in the batch. */
interface KeyRecord {
  readonly pos: number;
  readonly sequence: string;
  readonly event: unknown;
  readonly time: number;
  readonly streamTime: number;
}

/** One key's computed effects: the records applied (above the fence) and the engine outcome. */
interface KeyEffects {
  readonly fresh: readonly KeyRecord[];
  readonly outcome: ApplyOutcome;
}

/**
 * Process one source's records exactly once (DESIGN.md §1–§4, §6):
 * decode → skip what the checkpoint covers → dedupe (claims) → stream time → per-key effects on the loaded state →
 * side outputs (rejected, late) BEFORE the state commit → one conditional write per touched key → checkpoint.
 *
 * Never throws for a bad record or an infrastructure failure: the outcome names the lowest record not fully done
 * (`failedAt`), and the checkpoint is left just before it, so a retry from there takes the same decisions.
 */
export async function processSource(ctx: ProcessContext, batch: SourceBatch): Promise<SourceOutcome> {
  const { sourceId } = batch;
  const stats = emptyStats(batch.records.length);
  const all = [...batch.records].sort((a, b) => compareSequence(a.sequence, b.sequence));
  let committedAny = false;
  const fail = (at: number, records: readonly SourceRecord[], error: Error | undefined): SourceOutcome => ({
    sourceId,
    failedAt: records[at],
    error,
    noProgress: at === 0 && !committedAny,
    stats,
  });
  if (all.length === 0) return { sourceId, failedAt: undefined, error: undefined, noProgress: false, stats };

  // 1–2. Checkpoint: records at or below it are fully done (not with per-key stream time: see ProcessContext).
  let checkpoint: Awaited<ReturnType<ProcessContext['store']['getCheckpoint']>>;
  try {
    checkpoint = ctx.streamTimePerKey ? undefined : await ctx.store.getCheckpoint(sourceId);
  } catch (error) {
    return fail(0, all, error as Error);
  }
  const records = checkpoint ? all.filter((r) => compareSequence(r.sequence, checkpoint!.sequence) > 0) : all;
  stats.skipped = all.length - records.length;
  if (records.length === 0) return { sourceId, failedAt: undefined, error: undefined, noProgress: false, stats };
  const startStreamTime = checkpoint ? fromStored(checkpoint.streamTime) : Number.NEGATIVE_INFINITY;

  try {
    const decoded = records.map((r) => decodeBase64Record(ctx.pipeline, r.data, r.arrivalMs));

    // 3. Dedupe: claim ids of valid records; a failed claim cuts the batch there (nothing from it on is done now).
    let cut = records.length;
    let firstError: Error | undefined;
    const duplicate = new Array<boolean>(records.length).fill(false);
    if (ctx.idempotency) {
      const positions = decoded.flatMap((d, pos) => (d.ok && d.id !== undefined ? [pos] : []));
      if (positions.length > 0) {
        const claims = await ctx.idempotency.claim(
          positions.map((pos) => ({
            id: (decoded[pos] as Extract<Decoded, { ok: true }>).id!,
            sourceId,
            sequence: records[pos]!.sequence,
          })),
          { ttlSeconds: ctx.dedupeTtlSeconds },
        );
        stats.retries += claims.totals.retries;
        claims.results.forEach((result, j) => {
          const pos = positions[j]!;
          if (result.status === 'duplicate') duplicate[pos] = true;
          else if (result.status === 'failed' && pos < cut) {
            cut = pos;
            firstError ??= result.error;
          }
        });
      }
    }

    // 4. Stream time after each record (rejected and duplicate records do not move it), then records per key.
    const streamAfter = new Array<number>(cut);
    const byKey = new Map<string, KeyRecord[]>();
    let streamTime = startStreamTime;
    for (let pos = 0; pos < cut; pos++) {
      const d = decoded[pos]!;
      if (!d.ok) stats.rejected++;
      else if (duplicate[pos]) stats.duplicates++;
      else {
        streamTime = Math.max(streamTime, d.time);
        if (d.time > stats.maxEventTime) stats.maxEventTime = d.time;
        const record: KeyRecord = { pos, sequence: records[pos]!.sequence, event: d.event, time: d.time, streamTime };
        const list = byKey.get(d.key);
        if (list) list.push(record);
        else byKey.set(d.key, [record]);
      }
      streamAfter[pos] = streamTime;
    }
    stats.keys = byKey.size;
    const watermark = await watermarkFor(ctx, sourceId, streamTime);

    const effectsOf = (key: string, recs: readonly KeyRecord[], current: StoredState): KeyEffects | undefined => {
      const done = current.applied[sourceId];
      const fresh = done === undefined ? recs : recs.filter((r) => compareSequence(r.sequence, done) > 0);
      if (fresh.length === 0) return undefined;
      const base = current.state === undefined ? emptyState() : readStoredValue(key, current.state).k;
      if (ctx.streamTimePerKey) {
        // The key's own stream time: what it had seen (fenced records included) plus these records, in order.
        let keyTime = base.m;
        const timed = fresh.map((r) => {
          keyTime = Math.max(keyTime, r.time);
          return { ...r, streamTime: keyTime };
        });
        return { fresh: timed, outcome: applyRecords(ctx.layout, key, base, timed, { watermark: keyTime }) };
      }
      return { fresh, outcome: applyRecords(ctx.layout, key, base, fresh, { watermark }) };
    };

    // Load current states (cache first), compute each key's late entries before anything is written.
    const failedKeys = new Map<string, Error>();
    const loaded = await ctx.store.load([...byKey.keys()]);
    const lateMessages: LateMessage[] = [];
    const lateKeyOf = new Map<string, string>();
    for (const [key, recs] of byKey) {
      const current = loaded.get(key);
      if (!current) {
        failedKeys.set(key, new Error(`state of key ${JSON.stringify(key)} could not be read`));
        continue;
      }
      const effects = effectsOf(key, recs, current);
      if (!effects) continue;
      for (const message of lateMessagesOf(ctx, sourceId, key, effects, records)) {
        lateMessages.push(message);
        lateKeyOf.set(message.id, key);
      }
    }

    // 5. Side outputs before the commit: a crash after the commit cannot lose them (ids make resends harmless).
    let failPoint = cut;
    const rejectedMessages: RejectedMessage[] = [];
    const rejectedPos = new Map<string, number>();
    for (let pos = 0; pos < cut; pos++) {
      const d = decoded[pos]!;
      if (d.ok) continue;
      const message = rejectedMessage(ctx, sourceId, records[pos]!, d.reason);
      rejectedMessages.push(message);
      rejectedPos.set(message.id, pos);
    }
    const [rejectedSent, lateSent] = await Promise.all([
      ctx.rejected.send(rejectedMessages),
      ctx.late.send(lateMessages),
    ]);
    stats.retries += rejectedSent.retries + lateSent.retries;
    for (const id of rejectedSent.failedIds) failPoint = Math.min(failPoint, rejectedPos.get(id) ?? 0);
    if (rejectedSent.failedIds.length > 0)
      firstError ??= rejectedSent.errors[0] ?? new Error('rejected side output failed');
    for (const id of lateSent.failedIds) {
      const key = lateKeyOf.get(id);
      if (key !== undefined) failedKeys.set(key, lateSent.errors[0] ?? new Error('late side output failed'));
    }
    const sentLate = new Set(lateMessages.map((m) => m.id).filter((id) => !lateSent.failedIds.includes(id)));

    // 6. Commit: one conditional write per key; `apply` recomputes from the current item it is given.
    const final = new Map<string, KeyEffects>();
    const requests: CommitRequest[] = [];
    for (const [key, recs] of byKey) {
      if (failedKeys.has(key)) continue;
      requests.push({
        key,
        sourceId,
        lastSequence: recs[recs.length - 1]!.sequence,
        apply: (current): AppliedState | undefined => {
          const effects = effectsOf(key, recs, current);
          if (!effects) {
            final.delete(key);
            return undefined;
          }
          final.set(key, effects);
          const { outcome } = effects;
          const alerts: StoredAlert[] = outcome.alerts.map(({ index, ...alert }) => ({
            ...alert,
            source: sourceId,
            sequence: effects.fresh[index]!.sequence,
          }));
          const expiresAt = stateExpiry(ctx.layout, outcome.state) * 1000;
          return {
            state: toStoredValue(outcome.state, outcome.results, alerts),
            // Stored as `nc`: the closer scans for keys with windows to finalize when traffic stops.
            nextClose: nextCloseTime(ctx.layout, outcome.state),
            ...(expiresAt >= 1e11 ? { expiresAt } : {}),
          };
        },
      });
    }
    const commit = await ctx.store.commit(requests);
    stats.conflicts += commit.totals.conflicts;
    stats.retries += commit.totals.retries;
    for (const result of commit.results) {
      if (result.status === 'failed') {
        failedKeys.set(result.key, result.error ?? new Error(`commit of key ${JSON.stringify(result.key)} failed`));
        continue;
      }
      if (result.status !== 'written') continue;
      committedAny = true;
      stats.stateWrites++;
      const effects = final.get(result.key);
      if (!effects) continue;
      stats.applied += effects.outcome.applied;
      stats.late += effects.fresh.length - effects.outcome.applied;
      stats.finalized += effects.outcome.results.length;
      stats.alerts += effects.outcome.alerts.length;
    }
    stats.lateEntries = sentLate.size;
    await sendLateExtras(ctx, sourceId, commit.results, final, sentLate, records, stats);

    for (const [key, error] of failedKeys) {
      failPoint = Math.min(failPoint, byKey.get(key)![0]!.pos);
      firstError ??= error;
    }

    // 7. Checkpoint just before the lowest record not fully done (with the stream time after that record).
    if (failPoint > 0) {
      const last = failPoint - 1;
      try {
        await ctx.store.putCheckpoint(sourceId, {
          sequence: records[last]!.sequence,
          streamTime: toStored(streamAfter[last]!),
        });
      } catch (error) {
        // State is committed but the stream time is not: retry the whole batch (fenced, so nothing is counted twice).
        return fail(0, records, error as Error);
      }
    }
    if (failPoint >= records.length)
      return { sourceId, failedAt: undefined, error: undefined, noProgress: false, stats };
    return fail(failPoint, records, firstError);
  } catch (error) {
    // Unexpected (a bug or a failed read outside the bounded paths): everything after the checkpoint is retried.
    ctx.log.error('source processing failed', { sourceId, error: String((error as Error)?.stack ?? error) });
    return fail(0, records, error as Error);
  }
}

/** The watermark after this batch: the source's stream time, or the minimum over all sources' checkpoints. */
async function watermarkFor(ctx: ProcessContext, sourceId: string, streamTime: number): Promise<number> {
  if (ctx.pipeline.partitionedByKey) return streamTime;
  const checkpoints = await ctx.store.listCheckpoints();
  let watermark = streamTime;
  for (const c of checkpoints) if (c.sourceId !== sourceId) watermark = Math.min(watermark, fromStored(c.streamTime));
  return watermark;
}

function rejectedMessage(ctx: ProcessContext, sourceId: string, record: SourceRecord, reason: string): RejectedMessage {
  return {
    kind: 'rejected',
    id: rejectedId(sourceId, record.sequence),
    pipeline: ctx.pipeline.name,
    source: sourceId,
    sequence: record.sequence,
    reason,
    ...fitData(record.data),
    arrivalTime: record.arrivalMs,
    ...(record.partitionKey !== undefined ? { partitionKey: record.partitionKey } : {}),
  };
}

function lateMessagesOf(
  ctx: ProcessContext,
  sourceId: string,
  key: string,
  effects: KeyEffects,
  records: readonly SourceRecord[],
): LateMessage[] {
  return effects.outcome.late.map((entry: LateEntry) => {
    const record = effects.fresh[entry.index]!;
    return {
      kind: 'late',
      id: lateId(sourceId, record.sequence, entry.window, entry.start),
      pipeline: ctx.pipeline.name,
      source: sourceId,
      sequence: record.sequence,
      key,
      window: entry.window,
      start: entry.start,
      end: entry.end,
      eventTime: record.time,
      streamTime: record.streamTime,
      ...fitData(records[record.pos]!.data),
    };
  });
}

/**
 * A commit retried after a conflict recomputes from the item it got; should that give late entries not sent before
 * the commit (possible only for sessions, whose lateness depends on the stored sessions), send them now.
 */
async function sendLateExtras(
  ctx: ProcessContext,
  sourceId: string,
  results: readonly { key: string; status: string }[],
  final: Map<string, KeyEffects>,
  sent: Set<string>,
  records: readonly SourceRecord[],
  stats: SourceStats,
): Promise<void> {
  const extras: LateMessage[] = [];
  for (const result of results) {
    const effects = result.status === 'written' ? final.get(result.key) : undefined;
    if (!effects) continue;
    for (const message of lateMessagesOf(ctx, sourceId, result.key, effects, records)) {
      if (!sent.has(message.id)) extras.push(message);
    }
  }
  if (extras.length === 0) return;
  const out = await ctx.late.send(extras);
  stats.lateEntries += extras.length - out.failedIds.length;
  stats.retries += out.retries;
  ctx.log.warn('late entries found after a commit conflict, sent after the commit', {
    sourceId,
    count: extras.length,
    failed: out.failedIds,
  });
}
