import type { EmitMessage } from '../sinks/messages';
import type { Sink } from '../sinks/sink';
import type { DeliveryMarkers } from './delivery-markers';

/** A message that was not delivered this time, and why. */
export interface Undelivered {
  readonly message: EmitMessage;
  readonly error: Error;
  /** The sink will never take it as it is (see SinkFailure.permanent). */
  readonly permanent: boolean;
}

/** What {@link deliverToSink} did. */
export interface SinkDelivery {
  /** Messages the sink accepted now. */
  readonly delivered: EmitMessage[];
  /** Messages not delivered: the sink failed them after its retries, or their alert marker could not be checked. */
  readonly undelivered: Undelivered[];
  /** Alerts not sent because their marker showed them delivered already. */
  readonly skipped: number;
  /** Alerts whose marker another emitter wrote first (it sent the same alert at the same time). */
  readonly raced: string[];
  /** Alerts delivered whose marker could not be written (a redelivery would send them again). */
  readonly markerFailures: Map<string, Error>;
  /** Sink retries. */
  readonly retries: number;
  /** Sink service calls. */
  readonly requests: number;
}

/**
 * Deliver messages to one sink: final results straight away (at least once: their ids are deterministic and the sinks
 * idempotent by id), alerts exactly once per sink (check their markers, send those not marked, mark those the sink
 * accepted). Never throws: what was not delivered is in `undelivered`.
 */
export async function deliverToSink(
  sink: Sink,
  messages: readonly EmitMessage[],
  markers: DeliveryMarkers | undefined,
): Promise<SinkDelivery> {
  const undelivered: Undelivered[] = [];
  let skipped = 0;
  let batch = messages.filter((m) => sink.kinds.includes(m.kind));
  const alerts = batch.filter((m) => m.kind === 'alert');
  if (markers && alerts.length > 0) {
    const checked = await markers.delivered(
      sink.name,
      alerts.map((m) => m.id),
    );
    skipped = checked.delivered.size;
    for (const m of alerts) {
      const error = checked.failed.get(m.id);
      if (error) undelivered.push({ message: m, error, permanent: false });
    }
    batch = batch.filter((m) => !checked.delivered.has(m.id) && !checked.failed.has(m.id));
  }
  if (batch.length === 0) {
    return { delivered: [], undelivered, skipped, raced: [], markerFailures: new Map(), retries: 0, requests: 0 };
  }
  const outcome = await sink.send(batch);
  const failed = new Map(outcome.failed.map((f) => [f.id, f]));
  const delivered: EmitMessage[] = [];
  for (const m of batch) {
    const failure = failed.get(m.id);
    if (failure) undelivered.push({ message: m, error: failure.error, permanent: failure.permanent === true });
    else delivered.push(m);
  }
  const sentAlerts = delivered.filter((m) => m.kind === 'alert').map((m) => m.id);
  const marked =
    markers && sentAlerts.length > 0
      ? await markers.mark(sink.name, sentAlerts)
      : { raced: [] as string[], failed: new Map<string, Error>() };
  return {
    delivered,
    undelivered,
    skipped,
    raced: marked.raced,
    markerFailures: marked.failed,
    retries: outcome.retries,
    requests: outcome.requests ?? 1,
  };
}
