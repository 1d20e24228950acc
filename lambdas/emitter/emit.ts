import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import type { Pipeline } from '../../core';
import type { EmitMessage } from '../sinks/messages';
import type { Sink } from '../sinks/sink';
import type { DeliveryMarkers } from './delivery-markers';
import type { ResultItems } from './result-items';
import { type StateWrite, stateWriteOf } from './stream-records';

/** Logging the emitter does (Powertools Logger fits). */
export interface EmitterLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Everything {@link emitRecords} works with. */
export interface EmitterContext {
  readonly pipeline: Pipeline;
  readonly sinks: readonly Sink[];
  /** Delivery markers (exactly-once per sink under redelivery); undefined: every delivery sends (at least once). */
  readonly markers: DeliveryMarkers | undefined;
  /** Where final results are persisted for state queries; undefined: not persisted. */
  readonly resultItems: ResultItems | undefined;
  readonly log: EmitterLog;
}

/** Counts of one {@link emitRecords} call. */
export interface EmitSummary {
  /** Stream records received. */
  records: number;
  /** State writes among them (others: checkpoints, result items, TTL deletes). */
  stateWrites: number;
  alerts: number;
  results: number;
  /** Messages delivered per sink. */
  delivered: Record<string, number>;
  /** Deliveries skipped because their marker showed them done (redelivered records). */
  skipped: number;
  /** Deliveries that failed (their records are in batchItemFailures). */
  deliveryFailures: number;
  /** Messages delivered twice by concurrent emitters (found when writing their markers). */
  concurrentSends: number;
  /** Markers that could not be written after a delivery (a redelivery of the record would send again). */
  markerFailures: number;
  resultsPersisted: number;
  /** Records skipped because their stored value was unreadable. */
  malformed: number;
  /** Sink retries (partial failures and failed calls). */
  retries: number;
  /** DynamoDB capacity the emitter used (markers, result items); reads as AWS bills them. */
  usage: { writeUnits: number; readUnits: number };
}

/**
 * Emit what a batch of DynamoDB stream records of the state table carries: persist final results as result items,
 * then per sink check the delivery markers, send what is not marked, and mark what the sink accepted. Sinks run in
 * parallel and independently. Never throws for a failure: records with any failed step (marker check, delivery,
 * result item) are returned in `batchItemFailures` (by sequence number; Lambda retries from the lowest), and their
 * redelivery skips whatever was already delivered.
 */
export async function emitRecords(
  ctx: EmitterContext,
  records: readonly DynamoDBRecord[],
): Promise<{ response: DynamoDBBatchResponse; summary: EmitSummary; messages: EmitMessage[] }> {
  const summary: EmitSummary = {
    records: records.length,
    stateWrites: 0,
    alerts: 0,
    results: 0,
    delivered: Object.fromEntries(ctx.sinks.map((s) => [s.name, 0])),
    skipped: 0,
    deliveryFailures: 0,
    concurrentSends: 0,
    markerFailures: 0,
    resultsPersisted: 0,
    malformed: 0,
    retries: 0,
    usage: { writeUnits: 0, readUnits: 0 },
  };
  const writes: StateWrite[] = [];
  for (const record of records) {
    try {
      const write = stateWriteOf(ctx.pipeline, record);
      if (write) writes.push(write);
    } catch (error) {
      summary.malformed++;
      ctx.log.error('state stream record skipped: unreadable', { error: String(error) });
    }
  }
  summary.stateWrites = writes.length;

  // Message id -> the stream records (sequence numbers) carrying it; first occurrence wins for the message itself.
  const messages = new Map<string, EmitMessage>();
  const carriers = new Map<string, Set<string>>();
  for (const write of writes) {
    for (const message of [...write.alerts, ...write.results]) {
      if (!messages.has(message.id)) messages.set(message.id, message);
      let set = carriers.get(message.id);
      if (!set) carriers.set(message.id, (set = new Set()));
      set.add(write.sequence);
    }
  }
  const all = [...messages.values()];
  summary.alerts = all.filter((m) => m.kind === 'alert').length;
  summary.results = all.length - summary.alerts;

  const failedRecords = new Set<string>();
  const fail = (id: string) => {
    for (const sequence of carriers.get(id) ?? []) failedRecords.add(sequence);
  };

  const persist = async () => {
    if (!ctx.resultItems) return;
    const results = all.filter((m) => m.kind === 'result');
    if (results.length === 0) return;
    const failed = await ctx.resultItems.put(results);
    summary.resultsPersisted += results.length - failed.size;
    for (const [id, error] of failed) {
      fail(id);
      ctx.log.warn('final result not persisted (record retried)', { id, error: String(error) });
    }
  };

  const toSink = async (sink: Sink) => {
    let batch = all.filter((m) => sink.kinds.includes(m.kind));
    if (batch.length === 0) return;
    if (ctx.markers) {
      const checked = await ctx.markers.delivered(
        sink.name,
        batch.map((m) => m.id),
      );
      summary.skipped += checked.delivered.size;
      for (const [id, error] of checked.failed) {
        fail(id);
        summary.deliveryFailures++;
        ctx.log.warn('delivery marker check failed (record retried)', { sink: sink.name, id, error: String(error) });
      }
      batch = batch.filter((m) => !checked.delivered.has(m.id) && !checked.failed.has(m.id));
    }
    if (batch.length === 0) return;
    const outcome = await sink.send(batch);
    summary.retries += outcome.retries;
    const failed = new Set(outcome.failed.map((f) => f.id));
    for (const f of outcome.failed) {
      fail(f.id);
      summary.deliveryFailures++;
      ctx.log.warn('delivery failed (record retried)', { sink: sink.name, id: f.id, error: String(f.error) });
    }
    const sent = batch.filter((m) => !failed.has(m.id)).map((m) => m.id);
    summary.delivered[sink.name] = (summary.delivered[sink.name] ?? 0) + sent.length;
    if (!ctx.markers || sent.length === 0) return;
    const marked = await ctx.markers.mark(sink.name, sent);
    summary.concurrentSends += marked.raced.length;
    summary.markerFailures += marked.failed.size;
    if (marked.raced.length > 0) {
      ctx.log.warn('messages were delivered concurrently by another emitter (same ids)', {
        sink: sink.name,
        ids: marked.raced,
      });
    }
    for (const [id, error] of marked.failed) {
      ctx.log.warn('delivered, but the delivery marker was not written: a redelivery would send it again', {
        sink: sink.name,
        id,
        error: String(error),
      });
    }
  };

  await Promise.all([persist(), ...ctx.sinks.map(toSink)]);
  const markerUsage = ctx.markers?.takeUsage();
  summary.usage = {
    writeUnits: (markerUsage?.writeUnits ?? 0) + (ctx.resultItems?.takeWriteUnits() ?? 0),
    readUnits: markerUsage?.billedReadUnits ?? 0,
  };
  return {
    response: { batchItemFailures: [...failedRecords].map((itemIdentifier) => ({ itemIdentifier })) },
    summary,
    messages: all,
  };
}
