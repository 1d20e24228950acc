// In-process delivery that follows Lambda's rules for a stream event source mapping (one lane per shard or, with
// ParallelizationFactor > 1, per partition-key hash; batches in lane order; ReportBatchItemFailures;
// BisectBatchOnFunctionError; MaximumRetryAttempts with an on-failure destination), reusing the rules of local/esm
// (interpretResponse, nextStep, buildFailureRecord). Each invocation goes to a free warm container of the pool.
//
// Why not kinesis-mock for every schedule: it moves ~200-400 small records/s on this machine, so a sweep of hundreds
// of schedules would take hours. Delivery semantics live in nextStep/interpretResponse, which this driver shares with
// the real EventSourceMapping; one family of the suite still goes through kinesis-mock + EventSourceMapping.
import type { Context, MSKEvent } from 'aws-lambda';
import {
  type Batch,
  buildEvent,
  buildFailureRecord,
  type InvocationOutcome,
  interpretResponse,
  type MemoryDestination,
  nextStep,
  type PolledRecord,
} from '../../local/esm/index';
import type { ContainerPool } from './containers';
import { draw } from './fault-layer';
import type { Schedule } from './schedule';
import type { Lane, LogRecord } from './shard-log';

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

/** How a source kind turns a batch into an event and a response into an outcome. */
export interface SourceAdapter {
  event(records: readonly LogRecord[]): unknown;
  outcome(response: unknown, batch: readonly PolledRecord[]): InvocationOutcome;
}

/** Kinesis: `{ Records }`; the response names the lowest failed sequence number. */
export const kinesisAdapter: SourceAdapter = {
  event: (records) => buildEvent(records.map((r) => r.polled)),
  outcome: (response, batch) => interpretResponse(response, batch, true),
};

/** MSK: records grouped by topic-partition; the response names `{ partition, offset }` per failed topic-partition. */
export function mskAdapter(eventSourceArn: (generation: number) => string): SourceAdapter {
  return {
    event: (records): MSKEvent => {
      const grouped: MSKEvent['records'] = {};
      for (const r of records) (grouped[r.shardId] ??= []).push(r.msk!);
      return {
        eventSource: 'aws:kafka',
        eventSourceArn: eventSourceArn(records[0]?.generation ?? 0),
        bootstrapServers: 'b-1.chaos.kafka.us-east-1.amazonaws.com:9098',
        records: grouped,
      };
    },
    outcome: (response, batch) => {
      const failures = (response as { batchItemFailures?: unknown } | null)?.batchItemFailures;
      if (!Array.isArray(failures)) return interpretResponse(response, batch, true);
      // Read it like Lambda: the lowest offset named for the batch's topic-partition.
      const named = failures.map((f) => {
        const id = (f as { itemIdentifier?: { partition?: unknown; offset?: unknown } })?.itemIdentifier;
        return id && id.partition === batch[0]?.shardId && Number.isInteger(id.offset) ? String(id.offset) : '';
      });
      return interpretResponse({ batchItemFailures: named.map((itemIdentifier) => ({ itemIdentifier })) }, batch, true);
    },
  };
}

/** What a {@link LaneDelivery} needs. */
export interface LaneDeps {
  readonly schedule: Schedule;
  readonly lane: Lane;
  /** Sequence numbers whose every invocation crashes before doing anything (`poison` family). */
  readonly poison: ReadonlySet<string>;
  readonly pool: ContainerPool;
  readonly adapter: SourceAdapter;
  readonly destination: MemoryDestination;
  readonly stats: DeliveryStats;
  readonly context: () => Context;
  /** Shared invocation counter of the schedule (labels fault decisions). */
  readonly nextInvocation: () => number;
  /** Called after each invocation with its number (starts the closer's active runs). */
  readonly afterInvocation?: (invocation: number) => void;
  /** Safety net: give up after this many invocations on the lane. @default 5000 */
  readonly maxInvocations?: number;
}

/**
 * One lane of the event source mapping: delivers the lane's records to the pool's containers until every record
 * available so far is done or discarded, injecting the delivery faults of the schedule (lost responses,
 * redeliveries, rewinds, container recycling) and crashing every invocation that carries a poison record.
 */
export class LaneDelivery {
  readonly #d: LaneDeps;
  readonly #byPolled: Map<PolledRecord, LogRecord>;
  #position = 0;
  readonly #pending: Batch[] = [];
  #rounds = 0;

  constructor(deps: LaneDeps) {
    this.#d = deps;
    this.#byPolled = new Map(deps.lane.records.map((r) => [r.polled, r]));
  }

  /** Deliver until every record of the lane sent before send index `limit` is done (or discarded). */
  async drainTo(limit: number): Promise<void> {
    const { schedule, stats, lane } = this.#d;
    const settings = {
      reportBatchItemFailures: true,
      bisectBatchOnFunctionError: schedule.bisectOnError,
      maximumRetryAttempts: schedule.maxRetries,
    };
    let available = 0;
    while (available < lane.records.length && lane.records[available]!.index < limit) available++;
    const polled = lane.records.slice(0, available).map((r) => r.polled);
    for (;;) {
      let batch = this.#pending.shift();
      if (!batch) {
        if (this.#position >= polled.length) return;
        const records = polled.slice(this.#position, this.#position + schedule.batchSize);
        batch = { records, retries: 0, invocations: 0 };
        this.#position += records.length;
      }
      if (++this.#rounds > (this.#d.maxInvocations ?? 5000))
        throw new Error(`lane ${lane.id}: no end after ${this.#rounds} invocations`);
      const invocation = this.#d.nextInvocation();
      const label = `${lane.id}|${invocation}`;
      const finite = schedule.maxRetries >= 0;
      // Liveness: a batch gets faults only in its first invocations and (with finite retries) before its last retry.
      const faulty =
        batch.invocations < schedule.faultyInvocationsPerBatch && (!finite || batch.retries < schedule.maxRetries);
      stats.invocations++;
      let outcome: InvocationOutcome;
      let recycle = false;
      if (batch.records.some((r) => this.#d.poison.has(r.sequenceNumber))) {
        outcome = { kind: 'function-error', error: new Error('poison: the invocation crashed') };
      } else {
        const lease = this.#d.pool.acquire(label, batch.records[0]!.shardId);
        const handler = lease.handler;
        handler.begin(invocation, faulty);
        try {
          const records = batch.records.map((r) => this.#byPolled.get(r)!);
          const response = await handler.invoke(this.#d.adapter.event(records), this.#d.context());
          outcome = this.#d.adapter.outcome(response, batch.records);
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
        // A crashed container is replaced; a healthy one sometimes too (scale-in/out, redeploy): cold cache either way.
        recycle = handler.crashed || (faulty && draw(schedule.seed, `restart|${label}`) < schedule.delivery.restart);
        if (recycle) stats.restarts++;
        this.#d.pool.release(lease, recycle);
      }
      this.#d.afterInvocation?.(invocation);
      if (outcome.kind === 'function-error' || outcome.kind === 'invalid-response') stats.functionErrors++;
      if (outcome.kind === 'partial') stats.partial++;
      const current: Batch = { ...batch, invocations: batch.invocations + 1 };
      current.functionError = outcome.kind === 'function-error';
      const step = nextStep(current, outcome, settings);
      switch (step.kind) {
        case 'done':
          if (faulty && this.#pending.length === 0) {
            if (draw(schedule.seed, `redeliver|${label}`) < schedule.delivery.redeliver) {
              stats.redeliveries++;
              this.#pending.push({ records: [...current.records], retries: 0, invocations: 0 });
            } else if (draw(schedule.seed, `rewind|${label}`) < schedule.delivery.rewind) {
              stats.rewinds++;
              const back = 1 + Math.floor(draw(schedule.seed, `rewind-by|${label}`) * 2 * schedule.batchSize);
              this.#position = Math.max(0, this.#position - back);
            }
          }
          break;
        case 'retry':
          stats.retries++;
          this.#pending.unshift(step.batch);
          break;
        case 'bisect':
          stats.bisects++;
          this.#pending.unshift(...step.halves);
          break;
        case 'discard':
          stats.discarded += step.batch.records.length;
          await this.#d.destination.send(
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
    }
  }
}
