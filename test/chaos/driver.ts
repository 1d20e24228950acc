// In-process delivery that follows Lambda's rules for a Kinesis event source mapping (one lane per shard, batches in
// shard order, ReportBatchItemFailures, BisectBatchOnFunctionError, MaximumRetryAttempts, on-failure destination),
// reusing the rules of local/esm (interpretResponse, nextStep, buildFailureRecord).
//
// Why not kinesis-mock for every schedule: it moves ~200-400 small records/s on this machine, so a sweep of hundreds
// of schedules would take hours. Delivery semantics live in nextStep/interpretResponse, which this driver shares with
// the real EventSourceMapping; one family of the suite still goes through kinesis-mock + EventSourceMapping.
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import {
  type Batch,
  buildEvent,
  buildFailureRecord,
  type InvocationOutcome,
  interpretResponse,
  type MemoryDestination,
  nextStep,
} from '../../local/esm/index';
import { draw } from './fault-layer';
import type { Schedule } from './schedule';
import type { LogRecord } from './shard-log';

/** A handler instance (one Lambda container) as the driver sees it. */
export interface DriverHandler {
  invoke(event: KinesisStreamEvent, context: Context): Promise<unknown>;
  /** Start an invocation: number it and say whether faults may be injected in it. */
  begin(invocation: number, faults: boolean): void;
  /** True when the process crashed during the last invocation (Lambda sees a function error). */
  readonly crashed: boolean;
}

/** Counters of one schedule's delivery. */
export interface DeliveryStats {
  invocations: number;
  functionErrors: number;
  partial: number;
  bisects: number;
  retries: number;
  discarded: number;
  restarts: number;
  redeliveries: number;
  rewinds: number;
  lostResponses: number;
  crashes: number;
}

/** Settings of {@link deliverShard}. */
export interface ShardDelivery {
  readonly schedule: Schedule;
  readonly shardId: string;
  readonly records: readonly LogRecord[];
  /** Sequence numbers whose every invocation crashes before doing anything. */
  readonly poison: ReadonlySet<string>;
  /** Build a new handler instance (a cold container). */
  readonly newHandler: () => DriverHandler;
  readonly destination: MemoryDestination;
  readonly stats: DeliveryStats;
  readonly context: () => Context;
  /** Shared invocation counter of the schedule (labels fault decisions). */
  readonly nextInvocation: () => number;
  /** Safety net: give up after this many invocations on the shard. */
  readonly maxInvocations?: number;
}

/** Empty delivery counters. */
export function emptyDeliveryStats(): DeliveryStats {
  return {
    invocations: 0,
    functionErrors: 0,
    partial: 0,
    bisects: 0,
    retries: 0,
    discarded: 0,
    restarts: 0,
    redeliveries: 0,
    rewinds: 0,
    lostResponses: 0,
    crashes: 0,
  };
}

/**
 * Deliver one shard's records to the handler until every record is done or discarded, injecting the delivery faults
 * of the schedule (lost responses, redeliveries, rewinds, restarts) and crashing every invocation that carries a
 * poison record. Resolves when the shard is drained.
 */
export async function deliverShard(d: ShardDelivery): Promise<void> {
  const { schedule, stats } = d;
  const settings = {
    reportBatchItemFailures: true,
    bisectBatchOnFunctionError: schedule.bisectOnError,
    maximumRetryAttempts: schedule.maxRetries,
  };
  const polled = d.records.map((r) => r.polled);
  let handler = d.newHandler();
  let position = 0;
  const pending: Batch[] = [];
  let rounds = 0;
  for (;;) {
    let batch = pending.shift();
    if (!batch) {
      if (position >= polled.length) return;
      batch = { records: polled.slice(position, position + schedule.batchSize), retries: 0, invocations: 0 };
      position += batch.records.length;
    }
    if (++rounds > (d.maxInvocations ?? 5000))
      throw new Error(`shard ${d.shardId}: no end after ${rounds} invocations`);
    const invocation = d.nextInvocation();
    const label = `${d.shardId}|${invocation}`;
    const finite = schedule.maxRetries >= 0;
    // Liveness: a batch gets faults only in its first invocations and (with finite retries) before its last retry.
    const faulty =
      batch.invocations < schedule.faultyInvocationsPerBatch && (!finite || batch.retries < schedule.maxRetries);
    stats.invocations++;
    let outcome: InvocationOutcome;
    if (batch.records.some((r) => d.poison.has(r.sequenceNumber))) {
      outcome = { kind: 'function-error', error: new Error('poison: the invocation crashed') };
    } else {
      handler.begin(invocation, faulty);
      try {
        const response = await handler.invoke(buildEvent(batch.records), d.context());
        outcome = interpretResponse(response, batch.records, true);
      } catch (error) {
        outcome = { kind: 'function-error', error };
      }
      if (handler.crashed) {
        stats.crashes++;
        outcome = { kind: 'function-error', error: new Error('the process crashed') };
      }
      if (
        faulty &&
        outcome.kind === 'success' &&
        draw(schedule.seed, `lost|${label}`) < schedule.delivery.lostResponse
      ) {
        stats.lostResponses++;
        outcome = { kind: 'function-error', error: new Error('the response was lost (timeout)') };
      }
    }
    if (outcome.kind === 'function-error' || outcome.kind === 'invalid-response') stats.functionErrors++;
    if (outcome.kind === 'partial') stats.partial++;
    const current: Batch = { ...batch, invocations: batch.invocations + 1 };
    current.functionError = outcome.kind === 'function-error';
    const step = nextStep(current, outcome, settings);
    switch (step.kind) {
      case 'done':
        if (faulty && pending.length === 0) {
          if (draw(schedule.seed, `redeliver|${label}`) < schedule.delivery.redeliver) {
            stats.redeliveries++;
            pending.push({ records: [...current.records], retries: 0, invocations: 0 });
          } else if (draw(schedule.seed, `rewind|${label}`) < schedule.delivery.rewind) {
            stats.rewinds++;
            const back = 1 + Math.floor(draw(schedule.seed, `rewind-by|${label}`) * 2 * schedule.batchSize);
            position = Math.max(0, position - back);
          }
        }
        break;
      case 'retry':
        stats.retries++;
        pending.unshift(step.batch);
        break;
      case 'bisect':
        stats.bisects++;
        pending.unshift(...step.halves);
        break;
      case 'discard':
        stats.discarded += step.batch.records.length;
        await d.destination.send(
          buildFailureRecord({
            records: step.batch.records,
            condition: step.condition,
            invokeCount: current.invocations,
            functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:chaos',
            streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/chaos',
            functionError: current.functionError ?? false,
            nowMs: Date.now(),
          }),
        );
        break;
    }
    // A crashed container is replaced; a healthy one sometimes too (scale-in/out, redeploy): cold cache either way.
    if (handler.crashed || (faulty && draw(schedule.seed, `restart|${label}`) < schedule.delivery.restart)) {
      stats.restarts++;
      handler = d.newHandler();
    }
  }
}
