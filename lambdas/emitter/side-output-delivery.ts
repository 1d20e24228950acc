import type { SideOutputMessage } from '../side-output/messages';
import type { SideOutputSink } from '../side-output/sink';
import { type SpillStore, spillKey } from './spill';

/** The side-output queues the emitter delivers state writes' outboxes to. */
export interface SideOutputs {
  readonly rejected: SideOutputSink;
  readonly late: SideOutputSink;
}

/** The spill "sink" names of side-output messages a queue did not take (`undelivered/<name>/...`). */
export const SIDE_OUTPUT_SPILL = { rejected: 'side-output-rejected', late: 'side-output-late' } as const;

/** What {@link deliverSideOutputs} did. */
export interface SideOutputDelivery {
  /** Messages the queues took. */
  readonly sent: number;
  /** Messages a queue refused, spilled for re-delivery. */
  readonly spilled: number;
  /** Ids refused and not spilled (their stream records must be retried). */
  readonly failed: readonly string[];
}

/**
 * Send side-output messages to their queue; what a queue still refuses after its retries is spilled like any sink's
 * messages (re-delivered by {@link redeliverSideOutputs}); only what cannot be spilled either is reported failed.
 */
export async function deliverSideOutputs(
  outputs: SideOutputs,
  messages: readonly SideOutputMessage[],
  spill: Pick<SpillStore, 'put'> | undefined,
  now: () => number,
): Promise<SideOutputDelivery> {
  let sent = 0;
  let spilled = 0;
  const failed: string[] = [];
  for (const kind of ['rejected', 'late'] as const) {
    const batch = messages.filter((m) => m.kind === kind);
    if (batch.length === 0) continue;
    const outcome = await outputs[kind].send(batch);
    sent += outcome.sent;
    if (outcome.failedIds.length === 0) continue;
    const refused = batch.filter((m) => outcome.failedIds.includes(m.id));
    try {
      if (!spill) throw new Error('no spill store');
      await spill.put(spillKey(SIDE_OUTPUT_SPILL[kind], now()), refused.map((m) => `${JSON.stringify(m)}\n`).join(''));
      spilled += refused.length;
    } catch {
      failed.push(...outcome.failedIds);
    }
  }
  return { sent, spilled, failed };
}

/**
 * Re-deliver spilled side-output messages (objects under {@link SIDE_OUTPUT_SPILL}); an object goes once its queue took
 * every message of it. Returns the messages delivered and the objects left.
 */
export async function redeliverSideOutputs(
  outputs: SideOutputs,
  spill: SpillStore,
  keys: readonly string[],
): Promise<{ delivered: number; remaining: number }> {
  let delivered = 0;
  let remaining = 0;
  for (const key of keys) {
    const kind = key.includes(`/${SIDE_OUTPUT_SPILL.late}/`) ? 'late' : 'rejected';
    const body = await spill.get(key);
    if (body === undefined) continue;
    const messages = body
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as SideOutputMessage);
    const outcome = await outputs[kind].send(messages);
    delivered += outcome.sent;
    if (outcome.failedIds.length === 0) await spill.delete(key);
    else remaining++;
  }
  return { delivered, remaining };
}
