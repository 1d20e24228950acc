import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import type { Pipeline } from '../../core';
import { allSettledOrThrow } from '../../core/settle';
import type { SideOutputMessage } from '../side-output/messages';
import type { EmitMessage } from '../sinks/messages';
import type { Sink } from '../sinks/sink';
import type { DeliveryMarkers, MarkerUsage } from './delivery-markers';
import type { ResultItems } from './result-items';
import { deliverSideOutputs, type SideOutputs } from './side-output-delivery';
import { deliverToSink } from './sink-delivery';
import { type MeteredSpillStore, type SpillRequests, spillBody, spillKey } from './spill';
import { type StateWrite, stateWriteOf } from './stream-records';

/** Logging the emitter does (Powertools Logger fits). */
export interface EmitterLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** DynamoDB calls of the id key (a read once per container, a conditional put the very first time). */
export interface IdKeyUsage {
  requests: number;
  readUnits: number;
  writeUnits: number;
}

/** Everything {@link emitRecords} works with. */
export interface EmitterContext {
  readonly pipeline: Pipeline;
  readonly sinks: readonly Sink[];
  /** Alert delivery markers (exactly once per sink under redelivery); undefined: alerts are sent at least once. */
  readonly markers: DeliveryMarkers | undefined;
  /** Where final results are persisted for state queries; undefined: not persisted (the default). */
  readonly resultItems: ResultItems | undefined;
  /** The pipeline's id key (see `loadIdKey`): loaded once per container. */
  readonly idKey: () => Promise<Uint8Array>;
  /** The id key's DynamoDB calls since the last call (then reset). */
  readonly takeIdKeyUsage: () => IdKeyUsage;
  /**
   * Where messages a sink did not accept after its retries are spilled (then re-delivered by
   * {@link redeliverSpilled}); undefined: their stream records are reported failed (retried by Lambda, then parked
   * in the failed queue).
   */
  readonly spill: MeteredSpillStore | undefined;
  /**
   * Where the side-output messages state writes decided go (the rejected and late queues): the durable path of what
   * the processor also sends right after its commits. Undefined: not delivered by the emitter.
   */
  readonly sideOutputs?: SideOutputs;
  /** @default Date.now */
  readonly now?: () => number;
  readonly log: EmitterLog;
}

/** Every request the emitter made in one invocation, for the cost bench (DynamoDB reads as AWS bills them). */
export interface EmitterUsage {
  /** DynamoDB capacity of all the calls below. */
  readUnits: number;
  writeUnits: number;
  /** DynamoDB calls of the emitter's parts. */
  dynamodb: {
    /** Alert delivery markers (dedupe table). */
    markers: MarkerUsage;
    /** Result items (state table), only with `persistResults`. */
    resultItems: { requests: number; writeUnits: number };
    /** The id key (state table). */
    idKey: IdKeyUsage;
  };
  /** Requests to the spill store (S3 in the cloud). */
  spill: SpillRequests;
  /** Service calls per sink (SNS PublishBatch, Firehose PutRecordBatch, ...). */
  sinkRequests: Record<string, number>;
}

/** Counts of one {@link emitRecords} call. */
export interface EmitSummary {
  /** Stream records received. */
  records: number;
  /** Side-output messages (late, state-too-large) delivered to their queues. */
  sideOutputs: number;
  /** State writes among them (others: checkpoints, result items, TTL deletes). */
  stateWrites: number;
  alerts: number;
  results: number;
  /** Messages delivered per sink. */
  delivered: Record<string, number>;
  /** Alert deliveries skipped because their marker showed them done (redelivered records). */
  skipped: number;
  /** Messages a sink did not take after its retries (spilled, or their records failed when the spill failed). */
  deliveryFailures: number;
  /** Messages spilled per sink (kept for re-delivery; their records count as handled). */
  spilled: Record<string, number>;
  /** Messages whose spill failed too (their records are in batchItemFailures). */
  spillFailures: number;
  /** Alerts delivered twice by concurrent emitters (found when writing their markers). */
  concurrentSends: number;
  /** Alert markers that could not be written after a delivery (a redelivery of the record would send again). */
  markerFailures: number;
  resultsPersisted: number;
  /** Records skipped because their stored value was unreadable. */
  malformed: number;
  /** Sink retries (partial failures and failed calls). */
  retries: number;
  usage: EmitterUsage;
}

/** The usage of an emitter's parts since they were last taken. */
export function takeEmitterUsage(
  ctx: Pick<EmitterContext, 'markers' | 'resultItems' | 'takeIdKeyUsage' | 'spill'>,
  sinkRequests: Record<string, number>,
): EmitterUsage {
  const markers = ctx.markers?.takeUsage() ?? { requests: 0, readUnits: 0, billedReadUnits: 0, writeUnits: 0 };
  const resultItems = ctx.resultItems?.takeUsage() ?? { requests: 0, writeUnits: 0 };
  const idKey = ctx.takeIdKeyUsage();
  return {
    readUnits: markers.billedReadUnits + idKey.readUnits,
    writeUnits: markers.writeUnits + resultItems.writeUnits + idKey.writeUnits,
    dynamodb: { markers, resultItems, idKey },
    spill: ctx.spill?.takeRequests() ?? { put: 0, list: 0, get: 0, delete: 0 },
    sinkRequests,
  };
}

/**
 * Emit what a batch of DynamoDB stream records of the state table carries. Per sink (in parallel, independently):
 * final results are sent as they are (at least once, same id every time), alerts after a check of their delivery
 * markers (exactly once per sink), and what the sink still refuses after its retries is spilled
 * ({@link EmitterContext.spill}) for re-delivery: those records count as handled. Final results are persisted as
 * result items when enabled. Never throws for a failure of a part: records whose messages could be neither delivered
 * nor spilled, or whose result items failed, are returned in `batchItemFailures` (by sequence number; Lambda retries
 * from the lowest), and their redelivery skips the alerts already delivered.
 * @throws IdKeyError when the pipeline's id key cannot be loaded (the whole batch is retried).
 */
export async function emitRecords(
  ctx: EmitterContext,
  records: readonly DynamoDBRecord[],
): Promise<{ response: DynamoDBBatchResponse; summary: EmitSummary; messages: EmitMessage[] }> {
  const idKey = await ctx.idKey();
  const batch = newBatch(ctx, records.length);
  const writes = readStateWrites(ctx, idKey, records, batch.summary);
  const all = collectMessages(batch, writes);
  const sinkRequests: Record<string, number> = {};
  await allSettledOrThrow([
    persistResults(ctx, batch, all),
    sendSideOutputs(ctx, batch, writes),
    ...ctx.sinks.map((sink) => deliverToOneSink(ctx, batch, sink, all, sinkRequests)),
  ]);
  return {
    response: { batchItemFailures: [...batch.failedRecords].map((itemIdentifier) => ({ itemIdentifier })) },
    summary: { ...batch.summary, usage: takeEmitterUsage(ctx, sinkRequests) },
    messages: all,
  };
}

/** What one {@link emitRecords} call accumulates: its counts, and the stream records to report failed. */
interface EmitBatch {
  readonly summary: Omit<EmitSummary, 'usage'>;
  /** Sequence numbers of the stream records to report in `batchItemFailures`. */
  readonly failedRecords: Set<string>;
  /** Message id -> sequence numbers of the stream records carrying it. */
  readonly carriers: Map<string, Set<string>>;
}

function newBatch(ctx: EmitterContext, records: number): EmitBatch {
  const summary: Omit<EmitSummary, 'usage'> = {
    records,
    sideOutputs: 0,
    stateWrites: 0,
    alerts: 0,
    results: 0,
    delivered: Object.fromEntries(ctx.sinks.map((s) => [s.name, 0])),
    skipped: 0,
    deliveryFailures: 0,
    spilled: {},
    spillFailures: 0,
    concurrentSends: 0,
    markerFailures: 0,
    resultsPersisted: 0,
    malformed: 0,
    retries: 0,
  };
  return { summary, failedRecords: new Set(), carriers: new Map() };
}

/** Report the stream records carrying message `id` failed (Lambda retries them). */
function failMessage(batch: EmitBatch, id: string): void {
  for (const sequence of batch.carriers.get(id) ?? []) batch.failedRecords.add(sequence);
}

/** The state writes among the stream records; an unreadable one is logged, counted and skipped. */
function readStateWrites(
  ctx: EmitterContext,
  idKey: Uint8Array,
  records: readonly DynamoDBRecord[],
  summary: EmitBatch['summary'],
): StateWrite[] {
  const writes: StateWrite[] = [];
  for (const record of records) {
    try {
      const write = stateWriteOf(ctx.pipeline, idKey, record);
      if (write) writes.push(write);
    } catch (error) {
      summary.malformed++;
      ctx.log.error('state stream record skipped: unreadable', { error });
    }
  }
  summary.stateWrites = writes.length;
  return writes;
}

/** The alerts and results of the writes, once per id (first occurrence wins), noting the records carrying each. */
function collectMessages(batch: EmitBatch, writes: readonly StateWrite[]): EmitMessage[] {
  const messages = new Map<string, EmitMessage>();
  for (const write of writes) {
    for (const message of [...write.alerts, ...write.results]) {
      if (!messages.has(message.id)) messages.set(message.id, message);
      let set = batch.carriers.get(message.id);
      if (!set) batch.carriers.set(message.id, (set = new Set()));
      set.add(write.sequence);
    }
  }
  const all = [...messages.values()];
  batch.summary.alerts = all.filter((m) => m.kind === 'alert').length;
  batch.summary.results = all.length - batch.summary.alerts;
  return all;
}

/** Persist the final results as result items (when enabled); a failed one fails its records. */
async function persistResults(ctx: EmitterContext, batch: EmitBatch, all: readonly EmitMessage[]): Promise<void> {
  if (!ctx.resultItems) return;
  const results = all.filter((m) => m.kind === 'result');
  if (results.length === 0) return;
  const failed = await ctx.resultItems.put(results);
  batch.summary.resultsPersisted += results.length - failed.size;
  for (const [id, error] of failed) {
    failMessage(batch, id);
    ctx.log.warn('final result not persisted (record retried)', { id, error });
  }
}

/** Deliver to one sink; what it does not take is spilled, or else its records fail. */
async function deliverToOneSink(
  ctx: EmitterContext,
  batch: EmitBatch,
  sink: Sink,
  all: readonly EmitMessage[],
  sinkRequests: Record<string, number>,
): Promise<void> {
  const { summary } = batch;
  const outcome = await deliverToSink(sink, all, ctx.markers);
  sinkRequests[sink.name] = outcome.requests;
  summary.retries += outcome.retries;
  summary.skipped += outcome.skipped;
  summary.delivered[sink.name] = (summary.delivered[sink.name] ?? 0) + outcome.delivered.length;
  summary.concurrentSends += outcome.raced.length;
  summary.markerFailures += outcome.markerFailures.size;
  if (outcome.raced.length > 0) {
    ctx.log.warn('alerts were delivered concurrently by another emitter (same ids)', {
      sink: sink.name,
      ids: outcome.raced,
    });
  }
  for (const [id, error] of outcome.markerFailures) {
    ctx.log.warn('delivered, but the delivery marker was not written: a redelivery would send it again', {
      sink: sink.name,
      id,
      error,
    });
  }
  if (outcome.undelivered.length === 0) return;
  summary.deliveryFailures += outcome.undelivered.length;
  if (await spillUndelivered(ctx, batch, sink, outcome.undelivered)) return;
  summary.spillFailures += ctx.spill ? outcome.undelivered.length : 0;
  for (const u of outcome.undelivered) failMessage(batch, u.message.id);
  ctx.log.warn('delivery failed (records retried)', {
    sink: sink.name,
    messages: outcome.undelivered.length,
    ids: outcome.undelivered.slice(0, 10).map((u) => u.message.id),
    error: outcome.undelivered[0]?.error,
  });
}

/** Spill what a sink did not take, for re-delivery; false when there is no spill store or the spill failed. */
async function spillUndelivered(
  ctx: EmitterContext,
  batch: EmitBatch,
  sink: Sink,
  undelivered: readonly { message: EmitMessage; error: Error }[],
): Promise<boolean> {
  if (!ctx.spill) return false;
  const key = spillKey(sink.name, (ctx.now ?? Date.now)());
  try {
    await ctx.spill.put(key, spillBody(undelivered.map((u) => u.message)));
    batch.summary.spilled[sink.name] = undelivered.length;
    ctx.log.warn('sink did not take messages after its retries: spilled for re-delivery', {
      sink: sink.name,
      messages: undelivered.length,
      key,
      error: undelivered[0]?.error,
    });
    return true;
  } catch (error) {
    ctx.log.error('spill failed: the stream records are retried', { sink: sink.name, key, error });
    return false;
  }
}

/** Deliver the side-output messages the writes decided (once per id); what is neither sent nor spilled fails. */
async function sendSideOutputs(ctx: EmitterContext, batch: EmitBatch, writes: readonly StateWrite[]): Promise<void> {
  if (!ctx.sideOutputs) return;
  const carried = new Map<string, Set<string>>();
  const byId = new Map<string, SideOutputMessage>();
  for (const write of writes) {
    for (const message of write.sideOutputs) {
      byId.set(message.id, message);
      const set = carried.get(message.id) ?? new Set<string>();
      set.add(write.sequence);
      carried.set(message.id, set);
    }
  }
  if (byId.size === 0) return;
  const outcome = await deliverSideOutputs(ctx.sideOutputs, [...byId.values()], ctx.spill, ctx.now ?? Date.now);
  batch.summary.sideOutputs = outcome.sent;
  batch.summary.spillFailures += outcome.failed.length;
  for (const id of outcome.failed) for (const sequence of carried.get(id) ?? []) batch.failedRecords.add(sequence);
  if (outcome.spilled > 0 || outcome.failed.length > 0) {
    ctx.log.warn('side-output messages not taken by their queue', {
      spilled: outcome.spilled,
      failed: outcome.failed.length,
    });
  }
}
