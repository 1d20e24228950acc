import { allSettledOrThrow } from '../../core/settle';
import type { EmitMessage } from '../sinks/messages';
import type { Sink } from '../sinks/sink';
import type { DeliveryMarkers } from './delivery-markers';
import type { EmitterLog } from './emit';
import { redeliverSideOutputs, SIDE_OUTPUT_SPILL, type SideOutputs } from './side-output-delivery';
import { deliverToSink } from './sink-delivery';
import { readSpillBody, type SpillStore, sinkOfSpillKey, spillBody, UNDELIVERED_PREFIX } from './spill';

/** What {@link redeliverSpilled} takes. */
export interface RedeliverOptions {
  /** The sinks (by name: a spill object of `undelivered/<name>/` goes to the sink called `name`). */
  readonly sinks: readonly Sink[];
  /** Where the emitter spilled (S3 in the cloud, a folder locally). */
  readonly spill: SpillStore;
  /** Alert delivery markers (the emitter's): a re-delivery never sends an alert twice. Undefined: alerts at least once. */
  readonly markers: DeliveryMarkers | undefined;
  readonly log?: EmitterLog;
  /** The side-output queues, for spilled side-output messages. Undefined: such objects are kept. */
  readonly sideOutputs?: SideOutputs;
  /** No new spill object is started after this time (epoch ms). @default now() + 20 s */
  readonly deadline?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** What one {@link redeliverSpilled} run did. */
export interface RedeliverySummary {
  /** Spill objects found. */
  objects: number;
  /** Objects whose every message was accepted (deleted). */
  completed: number;
  /** Objects left (some message still refused, a sink not configured, the deadline, or an unreadable object). */
  remaining: number;
  /** Messages accepted per sink. */
  delivered: Record<string, number>;
  /** Alerts not sent because their marker showed them delivered. */
  skipped: number;
  /** Messages still refused (kept). */
  failed: number;
  /** Alerts delivered whose marker could not be written. */
  markerFailures: number;
  /** Sink names of spill objects with no such sink configured (kept). */
  unknownSinks: string[];
  /** Service calls per sink. */
  sinkRequests: Record<string, number>;
}

/**
 * Re-deliver what the emitter spilled when a sink refused messages after its retries (a sink outage): list the spill
 * objects (oldest first), send each object's messages to its sink (alerts after a check of their delivery markers,
 * then marked: exactly once per sink; results as they are: at least once, same id), delete each object once all its
 * messages were accepted, and rewrite it with the rest when only some were. The first object a sink still refuses
 * ends that sink's turn (it is still down; the next run tries again); messages a sink will never take as they are (too
 * large, refused as the sender's fault) stay in their object for an operator without holding the others back. Run from the closer's schedule, from the local
 * runtime's closer tick, and by `streamfold redrive --emitter`. Runs of it may overlap: results are idempotent, and an
 * alert is sent twice only if two runs send it at the same moment (counted as a concurrent send by the markers).
 * Never throws for a failing sink or object: the object is kept and logged.
 */
export async function redeliverSpilled(options: RedeliverOptions): Promise<RedeliverySummary> {
  const now = options.now ?? Date.now;
  const deadline = options.deadline ?? now() + 20_000;
  const summary: RedeliverySummary = {
    objects: 0,
    completed: 0,
    remaining: 0,
    delivered: {},
    skipped: 0,
    failed: 0,
    markerFailures: 0,
    unknownSinks: [],
    sinkRequests: {},
  };
  const keys = await options.spill.list(UNDELIVERED_PREFIX);
  const bySink = new Map<string, string[]>();
  for (const key of keys) {
    const sink = sinkOfSpillKey(key);
    if (sink === undefined) continue;
    summary.objects++;
    bySink.set(sink, [...(bySink.get(sink) ?? []), key]);
  }
  const sinks = new Map(options.sinks.map((s) => [s.name, s]));
  const sideOutputNames: string[] = Object.values(SIDE_OUTPUT_SPILL);
  await allSettledOrThrow(
    [...bySink].map(async ([name, objects]) => {
      if (sideOutputNames.includes(name) && options.sideOutputs) {
        const out = await redeliverSideOutputs(options.sideOutputs, options.spill, objects);
        summary.delivered[name] = (summary.delivered[name] ?? 0) + out.delivered;
        summary.completed += objects.length - out.remaining;
        summary.remaining += out.remaining;
        return;
      }
      const sink = sinks.get(name);
      if (!sink) {
        summary.unknownSinks.push(name);
        summary.remaining += objects.length;
        options.log?.warn('spilled messages of a sink that is not configured: kept', {
          sink: name,
          objects: objects.length,
        });
        return;
      }
      for (const [i, key] of objects.entries()) {
        if (now() >= deadline) {
          summary.remaining += objects.length - i;
          return;
        }
        const outcome = await redeliverObject(sink, key, options, summary);
        if (outcome === 'down') {
          summary.remaining += objects.length - i;
          return;
        }
        if (outcome === 'done') summary.completed++;
        else summary.remaining++;
      }
    }),
  );
  return summary;
}

/**
 * One spill object: 'done' when all its messages were accepted (the object is deleted), 'down' when the sink still
 * refuses some that it may take later (kept, with only the refused ones; the sink's turn ends), 'refused' when all it
 * refuses it will never take as they are (kept for an operator; the next objects go on), 'unreadable' when the object cannot be read (kept for an operator), 'kept' when all were accepted but the object could
 * not be deleted.
 */
async function redeliverObject(
  sink: Sink,
  key: string,
  options: RedeliverOptions,
  summary: RedeliverySummary,
): Promise<'done' | 'down' | 'refused' | 'unreadable' | 'kept'> {
  let messages: EmitMessage[];
  try {
    const body = await options.spill.get(key);
    if (body === undefined) return 'done'; // another run finished it
    messages = readSpillBody(key, body);
  } catch (error) {
    options.log?.error('spill object not readable: kept', { key, error });
    return 'unreadable';
  }
  const outcome = await deliverToSink(sink, messages, options.markers);
  summary.sinkRequests[sink.name] = (summary.sinkRequests[sink.name] ?? 0) + outcome.requests;
  summary.delivered[sink.name] = (summary.delivered[sink.name] ?? 0) + outcome.delivered.length;
  summary.skipped += outcome.skipped;
  summary.markerFailures += outcome.markerFailures.size;
  summary.failed += outcome.undelivered.length;
  const refused = outcome.undelivered.map((u) => u.message);
  try {
    if (refused.length === 0) await options.spill.delete(key);
    else if (refused.length < messages.length) await options.spill.put(key, spillBody(refused));
  } catch (error) {
    // Kept as it was: its delivered messages go out again next time (results are idempotent, alerts are marked).
    options.log?.warn('spill object not updated', { key, error });
    if (refused.length === 0) return 'kept';
  }
  if (refused.length === 0) return 'done';
  const transient = outcome.undelivered.find((u) => !u.permanent);
  if (!transient) {
    options.log?.error('sink will never take these spilled messages as they are: kept for an operator', {
      sink: sink.name,
      key,
      messages: refused.length,
      error: outcome.undelivered[0]?.error,
    });
    return 'refused';
  }
  options.log?.warn('sink still refuses spilled messages: kept for the next run', {
    sink: sink.name,
    key,
    messages: refused.length,
    error: transient.error,
  });
  return 'down';
}
