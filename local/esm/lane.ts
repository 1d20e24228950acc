import { isFullBatch, takeBatch } from './batcher';
import type { ResolvedEsmConfig } from './config';
import type { EsmCounters } from './counters';
import { buildFailureRecord, type FailureCondition } from './destination';
import { buildContext, buildEvent, type PolledRecord } from './event-builder';
import { type Batch, type InvocationOutcome, interpretResponse, nextStep, splitExpired } from './retry-policy';
import { Signal } from './signal';

/** What a lane needs from its mapping. */
export interface LaneHost {
  config: ResolvedEsmConfig;
  counters: EsmCounters;
  streamArn: string;
  region: string;
  invokeIdentityArn: string;
  functionArn: string;
}

/**
 * One ordered lane of a shard: a queue of records and at most one batch in flight. With ParallelizationFactor 1 a
 * shard has one lane; with N it has N, and each partition key always goes to the same one.
 */
export class Lane {
  private readonly queue: PolledRecord[] = [];
  /** Batches to run before new records: a retried batch, or the halves of a bisected one (first half first). */
  private readonly pending: Batch[] = [];
  private readonly wake = new Signal();
  private queuedSince = 0;
  private busy = false;
  private stopped = false;
  private flushing = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly host: LaneHost) {}

  /** Records waiting in this lane (queued or in a pending retry), not counting the batch in flight. */
  get buffered(): number {
    let n = this.queue.length;
    for (const batch of this.pending) n += batch.records.length;
    return n;
  }

  /** True when nothing is queued, pending or in flight. */
  get idle(): boolean {
    return !this.busy && this.queue.length === 0 && this.pending.length === 0;
  }

  /** Append records read from the shard (in shard order). */
  push(records: PolledRecord[]): void {
    if (records.length === 0) return;
    if (this.queue.length === 0) this.queuedSince = Date.now();
    this.queue.push(...records);
    this.wake.notify();
  }

  /** Send what is queued without waiting for the batching window (the shard is closed: nothing more will come). */
  flush(): void {
    this.flushing = true;
    this.wake.notify();
  }

  /** Start the lane's loop. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stop after the batch in flight (graceful); queued and pending records stay unprocessed. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake.notify();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const batch = this.pending.shift() ?? this.nextNewBatch();
      if (batch === undefined) {
        await this.wake.wait(this.windowRemaining());
        continue;
      }
      this.busy = true;
      try {
        await this.process(batch);
      } catch (error) {
        this.host.config.onError?.(error, 'lane');
      } finally {
        this.busy = false;
      }
    }
  }

  /** Milliseconds until the batching window of the queued records expires, or undefined to wait for records. */
  private windowRemaining(): number | undefined {
    if (this.queue.length === 0) return undefined;
    return this.queuedSince + this.host.config.maximumBatchingWindowMs - Date.now();
  }

  private nextNewBatch(): Batch | undefined {
    const { batchSize, maximumBatchingWindowMs, maxPayloadBytes } = this.host.config;
    if (this.queue.length === 0) return undefined;
    const ready =
      maximumBatchingWindowMs === 0 ||
      this.flushing ||
      isFullBatch(this.queue, batchSize, maxPayloadBytes) ||
      Date.now() - this.queuedSince >= maximumBatchingWindowMs;
    if (!ready) return undefined;
    const records = takeBatch(this.queue, batchSize, maxPayloadBytes);
    if (this.queue.length > 0) this.queuedSince = Date.now();
    return { records, retries: 0, invocations: 0 };
  }

  private async process(input: Batch): Promise<void> {
    const { config, counters } = this.host;
    const [expired, fresh] = splitExpired(input.records, config.now(), config.maximumRecordAgeInSeconds);
    if (expired.length > 0) await this.discard(expired, 'RecordAgeExceeded', input);
    if (fresh.length === 0) return;
    const batch: Batch = { ...input, records: fresh, invocations: input.invocations + 1 };
    counters.batches++;
    counters.records += fresh.length;
    const outcome = await this.invoke(fresh);
    batch.functionError = outcome.kind === 'function-error';
    const step = nextStep(batch, outcome, config);
    if (outcome.kind === 'success') counters.recordsSucceeded += fresh.length;
    if (outcome.kind === 'partial') counters.recordsSucceeded += outcome.failedIndex;
    switch (step.kind) {
      case 'done':
        return;
      case 'retry':
        counters.retries++;
        this.pending.unshift(step.batch);
        if (config.retryDelayMs > 0) await this.wake.wait(config.retryDelayMs);
        return;
      case 'bisect':
        counters.bisects++;
        this.pending.unshift(...step.halves);
        return;
      case 'discard':
        await this.discard(step.batch.records, step.condition, step.batch);
        return;
    }
  }

  private async invoke(records: PolledRecord[]): Promise<InvocationOutcome> {
    const { config, counters } = this.host;
    const context = buildContext(config.functionName, this.host.region, config.functionTimeoutMs);
    let outcome: InvocationOutcome;
    try {
      const response = await config.handler(buildEvent(records), context);
      outcome = interpretResponse(response, records, config.reportBatchItemFailures);
    } catch (error) {
      outcome = { kind: 'function-error', error };
    }
    if (outcome.kind === 'function-error') counters.functionErrors++;
    if (outcome.kind === 'invalid-response') counters.invalidResponses++;
    if (outcome.kind === 'partial') counters.partialFailures++;
    return outcome;
  }

  private async discard(records: PolledRecord[], condition: FailureCondition, batch: Batch): Promise<void> {
    const { config, counters } = this.host;
    counters.recordsDiscarded += records.length;
    if (config.onFailure === undefined) return;
    const failure = buildFailureRecord({
      records,
      condition,
      invokeCount: batch.invocations,
      functionArn: this.host.functionArn,
      streamArn: this.host.streamArn,
      functionError: batch.functionError ?? false,
      nowMs: config.now(),
    });
    try {
      await config.onFailure.send(failure);
      counters.failuresToDestination++;
    } catch (error) {
      config.onError?.(error, 'on-failure destination');
    }
  }
}
