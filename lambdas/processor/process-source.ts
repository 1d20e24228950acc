import {
  type ApplyOutcome,
  applyRecords,
  claimBucket,
  claimChars,
  claimsForgotten,
  type Decoded,
  decodeBase64Record,
  type EngineRecord,
  FENCE_HORIZON_MS,
  type KeyState,
  nextCloseTime,
  stateTooLargeReason,
} from '../../core';
import { StreamfoldError } from '../../core/errors';
import { fitData, type RejectedMessage, rejectedId, type SideOutputMessage } from '../side-output/index';
import {
  type AppliedState,
  type Checkpoint,
  type CommitRequest,
  compareSequence,
  type DueEntry,
  fenceKey,
  type PendingWork,
  pipelineWatermark,
  StaleCheckpointError,
} from '../state/index';
import { sendCleanEvents } from './clean-events';
import { keyStateFor, switchTimeOf } from './key-state';
import { expandOutbox, lateRecordEntry, OUTBOX_DATA_CHARS, type OutboxEntry } from './outbox';
import {
  emptyStats,
  type ProcessContext,
  type SourceBatch,
  type SourceOutcome,
  type SourceRecord,
  type SourceStats,
} from './source-batch';
import { type StoredAlert, toStoredValue } from './stored-state';

/**
 * Stream time stored in a checkpoint when the source has seen no valid event yet (DynamoDB numbers cannot be −∞).
 * Event times are never negative, so any negative stored value reads back as −∞.
 */
export const NO_STREAM_TIME = -1;

const toStored = (streamTime: number) => (Number.isFinite(streamTime) ? streamTime : NO_STREAM_TIME);
const fromStored = (streamTime: number) => (streamTime >= 0 ? streamTime : Number.NEGATIVE_INFINITY);

/** In-item claims (characters of hashes) above which a key's oldest committed claim buckets move to claim items. */
export const SPILL_CLAIMS_OVER = 2_200;
/** What a spill brings the in-item claims down to (at most). */
const SPILL_CLAIMS_TO = 1_100;

/** A valid record kept for windowing, with its place in the batch. */
interface KeyRecord {
  readonly pos: number;
  readonly sequence: string;
  readonly event: unknown;
  readonly time: number;
  readonly streamTime: number;
  readonly id: string | undefined;
  readonly bytes: number;
}

/** Where a source's batch starts: which records are new, under which fence, from which stream time. */
interface SourceStart {
  /** The records to process (above the checkpoint, or all of them after a restart of the source's sequence). */
  readonly records: readonly SourceRecord[];
  /** The checkpoint read (fresh) at the start, if any. */
  readonly checkpoint: Checkpoint | undefined;
  /** The source's incarnation and the fence key its effects are recorded under. */
  readonly epoch: number;
  readonly fence: string;
  /** The source name used in side-output message ids (`shard` or `shard#epoch`). */
  readonly messageSource: string;
  readonly streamTime: number;
  /** Set when re-driving a discarded range: the fence the source's normal batches are recorded under. */
  readonly redrive?: { readonly originalFence: string };
}

/** Options of {@link processSource}. */
export interface ProcessOptions {
  /**
   * Re-drive a range the event source mapping discarded (its failure record names it): process its records whatever
   * the checkpoint says, under a fence of their own (`range`, e.g. `<first>-<last>`), without moving the checkpoint.
   * A record whose key's normal fence already passed it may have been applied before the discard: it is applied only
   * when the key's claims prove it was not (it has a dedupe id that is not claimed and not forgotten); otherwise it is
   * `undecidable` (stats, and `onUndecidable`), never counted twice.
   */
  readonly redrive?: { readonly range: string; readonly onUndecidable?: (record: SourceRecord) => void };
}

/** A batch decoded and laid out: rejections, stream time after each record, records per key. */
interface BatchPlan {
  readonly decoded: readonly Decoded[];
  /** Positions of records rejected before windowing (invalid, or partition key not the aggregation key). */
  readonly rejected: readonly { pos: number; reason: string }[];
  readonly streamAfter: readonly number[];
  readonly streamTime: number;
  readonly byKey: ReadonlyMap<string, KeyRecord[]>;
  /** Whether any valid record is at or before each position (for the checkpoint's last-valid time). */
  readonly validUpTo: readonly boolean[];
}

/** One key's effects as committed: the records applied above the fence and the engine outcome. */
interface KeyEffects {
  readonly fresh: readonly KeyRecord[];
  readonly outcome: ApplyOutcome;
}

/**
 * Process one source's records exactly once (docs/architecture.md §2), as named steps:
 * {@link readStart} (fresh checkpoint, restart detection) → {@link planBatch} (decode, stream time, keys) →
 * {@link sendRejected} and {@link sendCleanEvents} (before the checkpoint can pass them) → {@link commitKeys} (one
 * conditional write per key; the write carries the key's results, alerts and side outputs) → {@link sendOutboxes} (fast path; the state table's
 * stream is the durable one) → {@link checkpointAfter}.
 *
 * Never throws for a bad record or an infrastructure failure: the outcome names the lowest record not fully done
 * (`failedAt`), and the checkpoint is left just before it, so a retry from there takes the same decisions.
 */
export async function processSource(
  ctx: ProcessContext,
  batch: SourceBatch,
  options: ProcessOptions = {},
): Promise<SourceOutcome> {
  const stats = emptyStats(batch.records.length);
  const all = [...batch.records].sort((a, b) => compareSequence(a.sequence, b.sequence));
  if (all.length === 0) return doneOutcome(batch, stats);
  let start: SourceStart;
  try {
    start = options.redrive
      ? await redriveStart(ctx, batch, all, options.redrive)
      : await readStart(ctx, batch, all, stats);
  } catch (error) {
    return { sourceId: batch.sourceId, failedAt: all[0], error: error as Error, noProgress: true, stats };
  }
  if (start.records.length === 0) return doneOutcome(batch, stats);
  const run: SourceRun = { ctx, batch, start, records: start.records, stats, committedAny: false };
  try {
    return await processRecords(run, options);
  } catch (error) {
    // Unexpected (a bug or a failed read outside the bounded paths): everything after the checkpoint is retried.
    ctx.log.error('source processing failed', { sourceId: batch.sourceId, error });
    return failedOutcome(run, 0, error as Error);
  }
}

/** One source's batch past its start: what {@link processRecords} and its steps share. */
interface SourceRun {
  readonly ctx: ProcessContext;
  readonly batch: SourceBatch;
  readonly start: SourceStart;
  /** The records to process, by sequence. */
  readonly records: readonly SourceRecord[];
  readonly stats: SourceStats;
  /** Whether a key's write landed (then a failure at the first record is still progress). */
  committedAny: boolean;
}

/** The lowest record not fully done, and the error that stopped it. */
interface FailPoint {
  pos: number;
  error: Error | undefined;
}

function doneOutcome(batch: SourceBatch, stats: SourceStats): SourceOutcome {
  return { sourceId: batch.sourceId, failedAt: undefined, error: undefined, noProgress: false, stats };
}

function failedOutcome(run: SourceRun, at: number, error: Error | undefined): SourceOutcome {
  return {
    sourceId: run.batch.sourceId,
    failedAt: run.records[at],
    error,
    noProgress: at === 0 && !run.committedAny,
    stats: run.stats,
  };
}

/** The steps of {@link processSource} once the records to process are known. */
async function processRecords(run: SourceRun, options: ProcessOptions): Promise<SourceOutcome> {
  const { ctx, batch, start, records, stats } = run;
  const plan = planBatch(ctx, records, start.streamTime);
  stats.rejected = plan.rejected.length;
  stats.keys = plan.byKey.size;
  const failure = await sendUnconditional(run, plan);
  const watermark = await watermarkFor(ctx, batch, plan);
  const committed = await commitKeys(ctx, start, records, plan, watermark, stats);
  run.committedAny = committed.written.size > 0;
  for (const r of committed.undecidable) options.redrive?.onUndecidable?.(records[r.pos]!);
  for (const { error, pos } of committed.failed.values()) {
    if (pos < failure.pos) {
      failure.pos = pos;
      failure.error = error;
    } else failure.error ??= error;
  }
  await sendOutboxes(ctx, committed.written, stats);
  if (failure.pos > 0) {
    const stopped = await listDueAndCheckpoint(run, plan, committed.due, failure);
    if (stopped) return stopped;
  }
  if (failure.pos >= records.length) return doneOutcome(batch, stats);
  // Still retrying valid records: say so, or the source would look idle and its backlog late (docs/architecture.md §2.5).
  if (plan.byKey.size > 0 && !start.redrive) {
    await ctx.store.touchCheckpoint(batch.identity ?? batch.sourceId, ctx.now());
  }
  return failedOutcome(run, failure.pos, failure.error);
}

/**
 * Rejected records and clean events (every valid record) rest on no state decision: sent side by side, before the
 * checkpoint can pass them. Returns where the first of them failed (the end of the records when none did).
 */
async function sendUnconditional(run: SourceRun, plan: BatchPlan): Promise<FailPoint> {
  const { ctx, batch, start, records, stats } = run;
  const failure: FailPoint = { pos: records.length, error: undefined };
  const origin = { identity: batch.identity ?? batch.sourceId, epoch: start.epoch, source: start.messageSource };
  const sideFailures = await Promise.all([
    sendRejected(ctx, start, records, plan, stats),
    sendCleanEvents(ctx, origin, records, plan.decoded, plan.rejected, stats),
  ]);
  for (const f of sideFailures) {
    if (f && f.pos < failure.pos) {
      failure.pos = f.pos;
      failure.error = f.error;
    }
  }
  return failure;
}

/**
 * List the keys' next closes in the due index, then move the checkpoint to just before the failure point. Returns the
 * outcome when the batch stops here (a failed listing or checkpoint: the whole batch is retried; a re-drive, which
 * has no checkpoint), undefined to go on.
 */
async function listDueAndCheckpoint(
  run: SourceRun,
  plan: BatchPlan,
  due: Awaited<ReturnType<typeof commitKeys>>['due'],
  failure: FailPoint,
): Promise<SourceOutcome | undefined> {
  const { ctx, batch, start, records } = run;
  try {
    // The due index before the checkpoint: a crash in between re-lists on retry (the keys are then skipped). The
    // item is named by the batch's first and last sequence: a retry of the batch's tail lists under a name of its
    // own and never overwrites what the first attempt listed.
    await ctx.store.listDue(`p#${start.fence}#${records[0]!.sequence}-${records[records.length - 1]!.sequence}`, due);
  } catch (error) {
    return failedOutcome(run, 0, error as Error);
  }
  if (start.redrive) {
    return failure.pos >= records.length
      ? doneOutcome(batch, run.stats)
      : failedOutcome(run, failure.pos, failure.error);
  }
  try {
    await checkpointAfter(ctx, batch, start, records, plan, failure.pos - 1);
  } catch (error) {
    if (!(ctx.streamTimePerKey && error instanceof StaleCheckpointError)) {
      // State is committed but the checkpoint is not: retry the whole batch (fenced, nothing counts twice).
      return failedOutcome(run, 0, error as Error);
    }
  }
  return undefined;
}

/**
 * Read the checkpoint again (never from a cache: the shard's previous batch may have run in another container) and
 * pick the records to process. Records at or below it are done (a redelivery) — unless they arrived after
 * everything the checkpoint covers, which only a source whose sequence restarted (a re-created topic or stream) can
 * deliver: then the source starts a new epoch, fenced apart from the old one. With ParallelizationFactor > 1 nothing
 * is skipped by checkpoint (lanes of one shard commit out of order).
 */
async function readStart(
  ctx: ProcessContext,
  batch: SourceBatch,
  all: readonly SourceRecord[],
  stats: SourceStats,
): Promise<SourceStart> {
  const identity = batch.identity ?? batch.sourceId;
  const startAt = (epoch: number, records: readonly SourceRecord[], checkpoint: Checkpoint | undefined) => ({
    records,
    checkpoint,
    epoch,
    fence: fenceKey(epoch === 0 ? identity : `${identity}#${epoch}`),
    messageSource: messageSourceOf(batch, epoch),
    streamTime: checkpoint ? fromStored(checkpoint.streamTime) : Number.NEGATIVE_INFINITY,
  });
  const checkpoint = await ctx.store.getCheckpoint(identity);
  if (ctx.streamTimePerKey || !checkpoint) return startAt(checkpoint?.epoch ?? 0, all, checkpoint);
  const above = all.filter((r) => compareSequence(r.sequence, checkpoint.sequence) > 0);
  const below = all.length - above.length;
  stats.skipped = below;
  if (below === 0) return startAt(checkpoint.epoch, above, checkpoint);
  const newer = all.filter(
    (r) => compareSequence(r.sequence, checkpoint.sequence) <= 0 && r.arrivalMs > (checkpoint.arrivalMs ?? Infinity),
  );
  if (newer.length === 0) return startAt(checkpoint.epoch, above, checkpoint);
  if (batch.arrivalOrdered) {
    stats.skipped = 0;
    stats.sourceResets++;
    ctx.log.warn('source sequence restarted: records below the checkpoint arrived after it; starting a new epoch', {
      sourceId: identity,
      checkpoint: checkpoint.sequence,
      epoch: checkpoint.epoch + 1,
      first: all[0]!.sequence,
    });
    return startAt(checkpoint.epoch + 1, all, checkpoint);
  }
  // Arrival times are producer times (MSK CreateTime): a restart cannot be told from a redelivery. Say so, loudly.
  stats.suspectedResets += newer.length;
  ctx.log.warn('records below the checkpoint carry newer timestamps: a restarted topic? (skipped as redelivered)', {
    sourceId: identity,
    checkpoint: checkpoint.sequence,
    count: newer.length,
    hint: 'set the topic to LogAppendTime so streamfold can detect a restart',
  });
  return startAt(checkpoint.epoch, above, checkpoint);
}

/** A source's name in side-output ids ({@link SourceBatch.messageSource}), with its epoch after a restart. */
function messageSourceOf(batch: SourceBatch, epoch: number): string {
  const name = batch.messageSource ?? batch.sourceId;
  return epoch === 0 ? name : `${name}#${epoch}`;
}

/** A re-drive of a range older than the fence horizon: refused (it could count records twice). */
export class RedriveTooOldError extends StreamfoldError {
  override readonly name = 'RedriveTooOldError';
  readonly code = 'REDRIVE_TOO_OLD';
  constructor(sourceId: string, range: string, firstArrival: number) {
    super(
      `range ${sourceId}:${range} arrived at ${new Date(firstArrival).toISOString()}, more than ${FENCE_HORIZON_MS / 86_400_000} days ago: the keys' fences no longer tell what was applied; it is not re-driven`,
    );
  }
}

/** Where a re-drive starts: every record of the range, under a fence of its own, from no stream time. */
async function redriveStart(
  ctx: ProcessContext,
  batch: SourceBatch,
  all: readonly SourceRecord[],
  redrive: NonNullable<ProcessOptions['redrive']>,
): Promise<SourceStart> {
  const identity = batch.identity ?? batch.sourceId;
  const checkpoint = await ctx.store.getCheckpoint(identity);
  const firstArrival = Math.min(...all.map((r) => r.arrivalMs));
  if (firstArrival < ctx.now() - FENCE_HORIZON_MS) {
    // Older than the fences are kept: what was applied can no longer be told from what was not.
    throw new RedriveTooOldError(batch.sourceId, redrive.range, firstArrival);
  }
  // The epoch the range belongs to: the current one, or the one before when it arrived before the current began.
  const current = checkpoint?.epoch ?? 0;
  const epoch =
    current > 0 && checkpoint?.epochStartMs !== undefined && firstArrival < checkpoint.epochStartMs
      ? current - 1
      : current;
  const base = epoch === 0 ? identity : `${identity}#${epoch}`;
  return {
    records: all,
    checkpoint,
    epoch,
    fence: fenceKey(`${base}#redrive#${redrive.range}`),
    messageSource: messageSourceOf(batch, epoch),
    // Lateness then rests on the keys' own finalized-through marks: a window that was made final meanwhile is late.
    streamTime: Number.NEGATIVE_INFINITY,
    redrive: { originalFence: fenceKey(base) },
  };
}

/**
 * Decode every record and lay the batch out: rejected records (invalid, or with ParallelizationFactor > 1 a
 * partition key other than the aggregation key: lanes would split the key), the source's stream time after each
 * record (every valid record moves it, duplicates too), and the valid records per key in source order.
 */
function planBatch(ctx: ProcessContext, records: readonly SourceRecord[], startStreamTime: number): BatchPlan {
  const decoded = records.map((r) => decodeBase64Record(ctx.pipeline, r.data, r.arrivalMs));
  const rejected: { pos: number; reason: string }[] = [];
  const streamAfter = new Array<number>(records.length);
  const validUpTo = new Array<boolean>(records.length);
  const byKey = new Map<string, KeyRecord[]>();
  let streamTime = startStreamTime;
  let anyValid = false;
  for (let pos = 0; pos < records.length; pos++) {
    const d = decoded[pos]!;
    const partitionKey = records[pos]!.partitionKey;
    if (!d.ok) rejected.push({ pos, reason: d.reason });
    else if (ctx.streamTimePerKey && partitionKey !== undefined && partitionKey !== d.key) {
      rejected.push({ pos, reason: partitionKeyMismatch(partitionKey, d.key) });
    } else {
      anyValid = true;
      streamTime = Math.max(streamTime, d.time);
      const record: KeyRecord = {
        pos,
        sequence: records[pos]!.sequence,
        event: d.event,
        time: d.time,
        streamTime,
        id: d.id,
        bytes: recordBytes(records[pos]!.data),
      };
      const list = byKey.get(d.key);
      if (list) list.push(record);
      else byKey.set(d.key, [record]);
    }
    streamAfter[pos] = streamTime;
    validUpTo[pos] = anyValid;
  }
  return { decoded, rejected, streamAfter, streamTime, byKey, validUpTo };
}

const recordBytes = (data: string | null | undefined) => Math.floor(((data?.length ?? 0) * 3) / 4);

function partitionKeyMismatch(partitionKey: string, key: string): string {
  const cut = (s: string) => JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s);
  return `partition-key-mismatch: with ParallelizationFactor > 1 records must be partitioned by the aggregation key (partition key ${cut(partitionKey)}, key ${cut(key)})`;
}

/** Send the batch's rejected records; the lowest one whose message failed (and why), if any. */
async function sendRejected(
  ctx: ProcessContext,
  start: SourceStart,
  records: readonly SourceRecord[],
  plan: BatchPlan,
  stats: SourceStats,
): Promise<{ pos: number; error: Error } | undefined> {
  if (plan.rejected.length === 0) return undefined;
  const posOf = new Map<string, number>();
  const messages = plan.rejected.map(({ pos, reason }) => {
    const message = rejectedMessage(ctx, start.messageSource, records[pos]!, reason);
    posOf.set(message.id, pos);
    return message;
  });
  const sent = await ctx.rejected.send(messages);
  stats.retries += sent.retries;
  if (sent.failedIds.length === 0) return undefined;
  const pos = Math.min(...sent.failedIds.map((id) => posOf.get(id) ?? 0));
  return { pos, error: sent.errors[0] ?? new Error('rejected side output failed') };
}

/**
 * The watermark windows are finalized at after this batch: the source's own stream time when every key is read from
 * one source (aggregation key = partition key), else the pipeline watermark over all sources' checkpoints with this
 * batch's stream time in place of this source's (idle sources excluded, as the closer does).
 */
async function watermarkFor(ctx: ProcessContext, batch: SourceBatch, plan: BatchPlan): Promise<number> {
  if (ctx.pipeline.partitionedByKey) return plan.streamTime;
  const identity = batch.identity ?? batch.sourceId;
  const now = ctx.now();
  const others = (await ctx.store.listCheckpoints()).filter((c) => c.sourceId !== identity);
  const mine: Checkpoint = {
    sourceId: identity,
    sequence: '0',
    streamTime: toStored(plan.streamTime),
    updatedAt: now,
    epoch: 0,
    ...(plan.byKey.size > 0 ? { lastValidAt: now } : {}),
  };
  return pipelineWatermark([...others, mine], now, ctx.idleTimeoutMs).watermark;
}

/** The records of a key above its fence, as engine records (with the key's own stream time in lanes mode). */
function freshRecords(ctx: ProcessContext, recs: readonly KeyRecord[], done: string | undefined, base: KeyState) {
  const fresh = done === undefined ? recs : recs.filter((r) => compareSequence(r.sequence, done) > 0);
  if (!ctx.streamTimePerKey) return { fresh, keyTime: undefined };
  // Lanes: the key's own stream time, from what it had seen plus these records in order.
  let keyTime = base.m;
  const timed = fresh.map((r) => {
    keyTime = Math.max(keyTime, r.time);
    return { ...r, streamTime: keyTime };
  });
  return { fresh: timed, keyTime };
}

/**
 * In a re-drive, the records of a key that can be decided: those above the key's normal fence (never applied), and
 * those at or below it (applied before the discard, declared late then, or overtaken by later records and never
 * processed) whose dedupe claim settles it. Such a record is judged at no less than the key's own stream time, which
 * is at least the one it had then (so a record declared late then is late again, under the same message id), and:
 * claimed → a duplicate; not claimed and not yet forgotten → never applied; otherwise undecidable (not counted).
 */
function decidableForRedrive(
  ctx: ProcessContext,
  base: KeyState,
  above: { fresh: readonly KeyRecord[]; keyTime: number | undefined },
  normalFence: string | undefined,
  undecidable: Set<KeyRecord>,
): { fresh: readonly KeyRecord[]; keyTime: number | undefined } {
  const floor = Math.max(base.m, base.z ?? Number.NEGATIVE_INFINITY);
  const fresh: KeyRecord[] = [];
  for (const r of above.fresh) {
    if (normalFence === undefined || compareSequence(r.sequence, normalFence) > 0) {
      fresh.push(r);
      continue;
    }
    const streamTime = Math.max(r.streamTime, floor);
    const decidable = r.id !== undefined && !claimsForgotten(ctx.layout, claimBucket(r.time), streamTime);
    if (decidable) {
      undecidable.delete(r);
      fresh.push({ ...r, streamTime });
    } else undecidable.add(r);
  }
  return { fresh, keyTime: above.keyTime };
}

const toEngine = (r: KeyRecord): EngineRecord => ({
  event: r.event,
  time: r.time,
  streamTime: r.streamTime,
  bytes: r.bytes,
  ...(r.id !== undefined ? { id: r.id } : {}),
});

/**
 * Commit every key with one conditional write. Each key's write is computed by `apply` from the item it is given
 * (the cached one first, the current one after a conflict), so every decision — applied, duplicate, late, too large —
 * rests on the state the write is validated against, and travels in the same write: results (`r`), alerts (`a`) and
 * the side-output messages it produced (`o`: late entries, `state-too-large` rejections). Nothing is sent before it
 * is decided on committed state (docs/architecture.md §2.3), and nothing decided is lost by a crash after the write: the state
 * table's stream carries it to the emitter.
 */
async function commitKeys(
  ctx: ProcessContext,
  start: SourceStart,
  records: readonly SourceRecord[],
  plan: BatchPlan,
  watermark: number,
  stats: SourceStats,
): Promise<{
  written: Map<string, { outbox: OutboxEntry[] }>;
  failed: Map<string, { error: Error; pos: number }>;
  due: DueEntry[];
  undecidable: ReadonlySet<KeyRecord>;
}> {
  const written = new Map<string, { outbox: OutboxEntry[] }>();
  const failed = new Map<string, { error: Error; pos: number }>();
  const latest = new Map<string, DueEntry | undefined>();
  const undecidable = new Set<KeyRecord>();
  const keys = new Map([...plan.byKey].map(([key, recs]) => [key, { chunks: chunked(recs), claims: keyClaims() }]));
  // A key's records go in chunks of KEY_CHUNK_RECORDS, one conditional write each (the fence moves chunk by chunk),
  // so that no write carries more than a bounded outbox; most keys have one chunk, and one round does.
  for (let round = 0; ; round++) {
    const requests: CommitRequest[] = [];
    const effectsOf = new Map<string, KeyEffects & { outbox: OutboxEntry[]; dropped: number[] }>();
    for (const [key, { chunks, claims }] of keys) {
      const chunk = chunks[round];
      if (!chunk || failed.has(key)) continue;
      // Not past the stream time of the key's records still to come (a later chunk would find them late).
      const upTo = Math.min(watermark, ...chunks.slice(round + 1).flatMap((c) => c.map((r) => r.streamTime)));
      requests.push(keyRequest(ctx, start, records, key, chunk, claims, upTo, effectsOf, undecidable));
    }
    if (requests.length === 0) break;
    const commit = await ctx.store.commit(requests);
    stats.conflicts += commit.totals.conflicts;
    stats.retries += commit.totals.retries;
    for (const result of commit.results) {
      const chunk = keys.get(result.key)!.chunks[round]!;
      if (result.status === 'failed') {
        const error = result.error ?? new Error(`commit of key ${JSON.stringify(result.key)} failed`);
        failed.set(result.key, { error, pos: chunk[0]!.pos });
        continue;
      }
      latest.set(
        result.key,
        result.nextClose !== undefined
          ? { key: result.key, version: result.version, nextClose: result.nextClose }
          : undefined,
      );
      const effects = result.status === 'written' ? effectsOf.get(result.key) : undefined;
      if (!effects) continue;
      const sofar = written.get(result.key);
      if (sofar) sofar.outbox.push(...effects.outbox);
      else written.set(result.key, { outbox: [...effects.outbox] });
      addStats(stats, effects);
      if (effects.dropped.length > 0) {
        await ctx.store.dropClaims(result.key, effects.dropped).catch((error: unknown) => {
          ctx.log.warn('claim items not deleted (they expire by TTL)', { key: result.key, error });
        });
      }
    }
  }
  stats.undecidable = undecidable.size;
  const due = [...latest.values()].filter((e): e is DueEntry => e !== undefined);
  return { written, failed, due, undecidable };
}

/** Records a key may commit in one write. */
export const KEY_CHUNK_RECORDS = 50;

function chunked(recs: readonly KeyRecord[]): KeyRecord[][] {
  const chunks: KeyRecord[][] = [];
  for (let i = 0; i < recs.length; i += KEY_CHUNK_RECORDS) chunks.push(recs.slice(i, i + KEY_CHUNK_RECORDS));
  return chunks;
}

/**
 * What a key's commits remember between `apply` calls: the spilled claims read (valid for the item version they were
 * read at: another writer may move more claims out of the item) and the claims this commit moved out.
 */
interface KeyClaims {
  spilled: Map<number, Set<string>>;
  readAt: number | undefined;
  moved: Map<number, string>;
}

const keyClaims = (): KeyClaims => ({ spilled: new Map(), readAt: undefined, moved: new Map() });

/** One key's conditional write for one chunk of its records. */
function keyRequest(
  ctx: ProcessContext,
  start: SourceStart,
  records: readonly SourceRecord[],
  key: string,
  recs: readonly KeyRecord[],
  claims: KeyClaims,
  watermark: number,
  effectsOf: Map<string, KeyEffects & { outbox: OutboxEntry[]; dropped: number[] }>,
  undecidable: Set<KeyRecord>,
): CommitRequest {
  return {
    key,
    sourceId: start.fence,
    lastSequence: recs[recs.length - 1]!.sequence,
    apply: (current): AppliedState | PendingWork | undefined => {
      effectsOf.delete(key);
      if (claims.readAt !== current.version) {
        claims.spilled.clear();
        claims.moved.clear();
      }
      const switchTime = switchTimeOf(recs, current.applied[start.fence], ctx.streamTimePerKey);
      const base = keyStateFor(ctx.layout, ctx.layouts, key, current.state, switchTime);
      if ('pending' in base) return base; // the layout registry first (README "Changing a pipeline")
      const above = freshRecords(ctx, recs, current.applied[start.fence], base);
      const { fresh, keyTime } = start.redrive
        ? decidableForRedrive(ctx, base, above, current.applied[start.redrive.originalFence], undecidable)
        : above;
      if (fresh.length === 0) return undefined;
      const needed = neededBuckets(base, fresh, claims.spilled);
      if (needed.length > 0) {
        return {
          pending: async () => {
            for (const [bucket, set] of await ctx.store.readClaims(key, needed)) claims.spilled.set(bucket, set);
            claims.readAt = current.version;
          },
        };
      }
      claims.readAt = current.version;
      const committedClaims = { ...(base.d ?? {}) };
      const committedSpills = Object.keys(base.D ?? {}).map(Number);
      // When every key is read from one source, a key's windows are final by its own records' stream time, never by
      // the batch end (after a reshard, the key's next records come from a child shard whose stream time is behind).
      const outcome = applyRecords(ctx.layout, key, base, fresh.map(toEngine), {
        watermark:
          keyTime ??
          (ctx.pipeline.partitionedByKey ? Math.min(watermark, fresh[fresh.length - 1]!.streamTime) : watermark),
        spilledClaims: claims.spilled,
        maxStateBytes: ctx.pipeline.settings.maxStateBytes,
      });
      const spill = spillPlan(outcome.state, committedClaims, claims.moved);
      if (spill.length > 0) {
        return {
          pending: async () => {
            for (const [bucket, text] of spill) {
              await ctx.store.spillClaims(key, bucket, splitHashes(text));
              claims.moved.set(bucket, text);
            }
          },
        };
      }
      applyMoves(outcome.state, claims.moved, claims.spilled);
      const outbox = outboxOf(ctx, start, key, fresh, outcome, records);
      const dropped = committedSpills.filter((b) => outcome.state.D?.[b] === undefined);
      effectsOf.set(key, { fresh, outcome, outbox, dropped });
      return storedWrite(ctx, start, fresh, outcome, outbox);
    },
  };
}

function addStats(stats: SourceStats, { fresh, outcome }: KeyEffects): void {
  stats.stateWrites++;
  stats.applied += outcome.applied;
  stats.duplicates += outcome.duplicates.length;
  stats.rejected += outcome.tooLarge.length;
  stats.late += fresh.length - outcome.applied - outcome.duplicates.length - outcome.tooLarge.length;
  stats.lateEntries += outcome.late.length;
  stats.finalized += outcome.results.length;
  stats.alerts += outcome.alerts.length;
}

/** Spilled buckets the records' claims must be checked against that are not read yet. */
function neededBuckets(base: KeyState, fresh: readonly KeyRecord[], spilled: Map<number, Set<string>>): number[] {
  if (!base.D) return [];
  const needed = new Set<number>();
  for (const r of fresh) {
    if (r.id === undefined) continue;
    const bucket = claimBucket(r.time);
    if (base.D[bucket] !== undefined && !spilled.has(bucket)) needed.add(bucket);
  }
  return [...needed];
}

/**
 * Which committed claim buckets to move out of the item (oldest first) when its claims outgrow
 * {@link SPILL_CLAIMS_OVER}; buckets already moved in this commit are not moved again.
 */
function spillPlan(state: KeyState, committed: Record<string, string>, moved: Map<number, string>): [number, string][] {
  let chars = claimChars(state);
  for (const text of moved.values()) chars -= text.length;
  if (chars <= SPILL_CLAIMS_OVER) return [];
  const plan: [number, string][] = [];
  for (const bucket of Object.keys(committed)
    .map(Number)
    .sort((a, b) => a - b)) {
    if (chars <= SPILL_CLAIMS_TO) break;
    if (moved.has(bucket) || !state.d?.[bucket]?.startsWith(committed[bucket]!)) continue;
    plan.push([bucket, committed[bucket]!]);
    chars -= committed[bucket]!.length;
  }
  return plan;
}

/** Take the moved claims out of the new state's item part and list their buckets as spilled. */
function applyMoves(state: KeyState, moved: Map<number, string>, spilled: Map<number, Set<string>>): void {
  for (const [bucket, text] of moved) {
    const inItem = state.d?.[bucket];
    if (inItem === undefined) continue; // forgotten meanwhile: nothing to list
    if (inItem.startsWith(text)) {
      const rest = inItem.slice(text.length);
      if (rest.length > 0) state.d![bucket] = rest;
      else delete state.d![bucket];
    }
    const set = spilled.get(bucket) ?? new Set<string>();
    const before = set.size;
    for (const hash of splitHashes(text)) set.add(hash);
    spilled.set(bucket, set);
    state.D ??= {};
    state.D[bucket] = (state.D[bucket] ?? 0) + (set.size - before);
  }
  if (state.d && Object.keys(state.d).length === 0) delete state.d;
}

function splitHashes(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 11) out.push(text.slice(i, i + 11));
  return out;
}

/** The side-output messages a key's write produced: its late entries and its `state-too-large` rejections. */
function outboxOf(
  ctx: ProcessContext,
  start: SourceStart,
  key: string,
  fresh: readonly KeyRecord[],
  outcome: ApplyOutcome,
  records: readonly SourceRecord[],
): OutboxEntry[] {
  const windows = new Map<number, [string, number, number][]>();
  for (const entry of outcome.late) {
    const list = windows.get(entry.index) ?? [];
    list.push([entry.window, entry.start, entry.end]);
    windows.set(entry.index, list);
  }
  const outbox: OutboxEntry[] = [];
  for (const [index, late] of windows) {
    const record = fresh[index]!;
    outbox.push(
      lateRecordEntry({
        pipeline: ctx.pipeline.name,
        source: start.messageSource,
        sequence: record.sequence,
        key,
        eventTime: record.time,
        streamTime: record.streamTime,
        windows: late,
        data: records[record.pos]!.data,
      }),
    );
  }
  for (const index of outcome.tooLarge) {
    const record = fresh[index]!;
    outbox.push(
      rejectedMessage(
        ctx,
        start.messageSource,
        records[record.pos]!,
        stateTooLargeReason(key, ctx.pipeline.settings.maxStateBytes),
        OUTBOX_DATA_CHARS,
      ),
    );
  }
  return outbox;
}

/** The state write of a key: the engine state, what became final, what fired, what goes to side outputs. */
function storedWrite(
  ctx: ProcessContext,
  start: SourceStart,
  fresh: readonly KeyRecord[],
  outcome: ApplyOutcome,
  outbox: readonly OutboxEntry[],
): AppliedState {
  const alerts: StoredAlert[] = outcome.alerts.map(({ index, ...alert }) => ({
    ...alert,
    source: start.messageSource,
    sequence: fresh[index]!.sequence,
  }));
  const duplicates = outcome.duplicates.map((i) => `${start.messageSource}:${fresh[i]!.sequence}`);
  return {
    state: toStoredValue(outcome.state, outcome.results, alerts, outbox, duplicates),
    // Stored as `nc`: the closer finds keys with windows to finalize when traffic stops.
    nextClose: nextCloseTime(ctx.layout, outcome.state),
    // Expiry follows the wall clock, never event time (docs/architecture.md §2.6): a backfill is as exact as live traffic.
    expiresAt: ctx.now() + ctx.stateTtlMs,
  };
}

/**
 * Send what the committed writes put in their outboxes, right away. The state table's stream carries the same
 * messages to the emitter, which delivers them durably; a failure here is only logged (the ids are the same).
 */
async function sendOutboxes(
  ctx: ProcessContext,
  written: ReadonlyMap<string, { outbox: OutboxEntry[] }>,
  stats: SourceStats,
): Promise<void> {
  const late: SideOutputMessage[] = [];
  const rejected: SideOutputMessage[] = [];
  for (const { outbox } of written.values()) {
    for (const message of expandOutbox(outbox)) (message.kind === 'late' ? late : rejected).push(message);
  }
  const [lateSent, rejectedSent] = await Promise.all([ctx.late.send(late), ctx.rejected.send(rejected)]);
  stats.retries += lateSent.retries + rejectedSent.retries;
  const failed = [...lateSent.failedIds, ...rejectedSent.failedIds];
  if (failed.length > 0) {
    ctx.log.warn('side-output messages not sent now; the emitter delivers them from the state stream', {
      count: failed.length,
      ids: failed.slice(0, 10),
    });
  }
}

/** Move the checkpoint to just after the record at `last` (stream time after it; last valid record; arrival). */
async function checkpointAfter(
  ctx: ProcessContext,
  batch: SourceBatch,
  start: SourceStart,
  records: readonly SourceRecord[],
  plan: BatchPlan,
  last: number,
): Promise<void> {
  let arrivalMs = start.checkpoint?.epoch === start.epoch ? (start.checkpoint?.arrivalMs ?? 0) : 0;
  for (let i = 0; i <= last; i++) arrivalMs = Math.max(arrivalMs, records[i]!.arrivalMs);
  const lastValidAt = plan.validUpTo[last] ? ctx.now() : start.checkpoint?.lastValidAt;
  const sameEpoch = start.checkpoint?.epoch === start.epoch;
  const epochStartMs = sameEpoch
    ? start.checkpoint?.epochStartMs
    : start.epoch > 0
      ? Math.min(...records.map((r) => r.arrivalMs))
      : undefined;
  await ctx.store.putCheckpoint(batch.identity ?? batch.sourceId, {
    sequence: records[last]!.sequence,
    streamTime: toStored(plan.streamAfter[last]!),
    epoch: start.epoch,
    arrivalMs,
    ...(lastValidAt !== undefined ? { lastValidAt } : {}),
    ...(epochStartMs !== undefined ? { epochStartMs } : {}),
  });
}

function rejectedMessage(
  ctx: ProcessContext,
  source: string,
  record: SourceRecord,
  reason: string,
  maxData?: number,
): RejectedMessage {
  return {
    kind: 'rejected',
    id: rejectedId(source, record.sequence),
    pipeline: ctx.pipeline.name,
    source,
    sequence: record.sequence,
    reason,
    ...fitData(record.data, maxData),
    arrivalTime: record.arrivalMs,
    ...(record.partitionKey !== undefined ? { partitionKey: record.partitionKey } : {}),
  };
}
