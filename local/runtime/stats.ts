import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { InvocationSummary } from '../../lambdas/processor/index';
import type { RunBill } from '../cost/run-bill';
import type { EsmCounters } from '../esm/index';
import type { ProducerCounters } from '../producer/index';
import type { DeliveryCounters, LocalCleanCounters } from '../warehouse/index';
import { HotKeys } from './hot-keys';
import { LatencyReservoir } from './latency';
import type { AlertLine, RuntimeSnapshot } from './snapshot';
import type { LandedStateWrite } from './state-tap';

/** Where the live figures come from (read at each snapshot). */
export interface StatsSources {
  esm: () => EsmCounters;
  producers: () => ProducerCounters[];
  warehouse: () => DeliveryCounters | undefined;
  /** @default - no clean-events counters */
  cleanEvents?: () => LocalCleanCounters | undefined;
  plugins: () => string[];
  /** What the run would cost on AWS for the events processed so far. @default - not metered */
  bill?: (events: number) => RunBill;
}

const RATE_WINDOW_MS = 3000;
const KEEP_ALERTS = 5;

/** Totals from the processor's invocation summaries. */
interface Totals {
  applied: number;
  duplicates: number;
  rejected: number;
  late: number;
  writeUnits: number;
  finalized: number;
}

/**
 * Collects a local run's figures: the processor's invocation summaries, per-record event-to-state latency and key
 * counts (from each invocation's event and response), landed alerts, and the mapping, producer and warehouse
 * counters; `snapshot()` puts them together with rates over the last few seconds.
 */
export class RuntimeStats {
  readonly latency = new LatencyReservoir();
  readonly hotKeys = new HotKeys();
  private readonly totals: Totals = { applied: 0, duplicates: 0, rejected: 0, late: 0, writeUnits: 0, finalized: 0 };
  private readonly alerts: AlertLine[] = [];
  private alertsTotal = 0;
  private maxBehind = 0;
  private iteratorAge = 0;
  private maxIteratorAge = 0;
  private readonly samples: { at: number; produced: number; processed: number }[] = [];
  private readonly startedAt: number;
  private firstProducedAt: number | undefined;
  private lastProducedAt: number | undefined;
  private lastProduced = 0;
  private firstProcessedAt: number | undefined;
  private lastProcessedAt: number | undefined;
  phase: RuntimeSnapshot['phase'] = 'running';
  target: RuntimeSnapshot['target'] = {};
  /** False when only external producers (`streamfold produce`) send. */
  ownProducers = false;

  constructor(
    private readonly sources: StatsSources,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  /** Add an invocation summary (the processor's `onInvocation`). */
  onInvocation(summary: InvocationSummary): void {
    const t = this.totals;
    t.applied += summary.applied;
    t.duplicates += summary.duplicates;
    t.rejected += summary.rejected;
    t.late += summary.late;
    t.writeUnits += summary.writeUnits;
    t.finalized += summary.finalized;
    if (summary.applied + summary.duplicates + summary.rejected + summary.late > 0) {
      this.firstProcessedAt ??= this.now();
      this.lastProcessedAt = this.now();
    }
  }

  /** Note an invocation starting: its iterator age (Lambda's IteratorAge metric). */
  onInvocationStart(event: KinesisStreamEvent): void {
    let newest = 0;
    for (const record of event.Records) newest = Math.max(newest, record.kinesis.approximateArrivalTimestamp * 1000);
    if (newest === 0) return;
    this.iteratorAge = Math.max(0, this.now() - newest);
    this.maxIteratorAge = Math.max(this.maxIteratorAge, this.iteratorAge);
  }

  /**
   * Record latency and keys of the records an invocation finished: all of them, or per shard those before the
   * lowest failed sequence number of the response.
   */
  onInvocationDone(event: KinesisStreamEvent, response: unknown, threw: boolean): void {
    if (threw) return;
    const failures = (response as KinesisStreamBatchResponse | undefined)?.batchItemFailures ?? [];
    const failedSeqs = failures.map((f) => BigInt(f.itemIdentifier));
    const at = this.now();
    for (const record of event.Records) {
      const seq = BigInt(record.kinesis.sequenceNumber);
      if (failedSeqs.some((failed) => seq >= failed)) continue;
      this.latency.add(Math.max(0, at - record.kinesis.approximateArrivalTimestamp * 1000));
      this.hotKeys.add(record.kinesis.partitionKey);
    }
  }

  /** Note a landed state write (alerts for the view). */
  onStateWrite(write: LandedStateWrite): void {
    for (const a of write.alerts) {
      this.alertsTotal++;
      this.alerts.unshift({
        alert: a.alert,
        key: a.key,
        window: a.window,
        start: a.start,
        end: a.end,
        seenAt: this.now(),
      });
    }
    if (this.alerts.length > KEEP_ALERTS) this.alerts.length = KEEP_ALERTS;
  }

  /** The figures now. */
  snapshot(): RuntimeSnapshot {
    const now = this.now();
    const esm = this.sources.esm();
    const producers = this.sources.producers();
    const produced = producers.reduce((n, p) => n + p.sent, 0);
    const producerRetries = producers.reduce((n, p) => n + p.retried, 0);
    if (produced > this.lastProduced) {
      this.firstProducedAt ??= now;
      this.lastProducedAt = now;
      this.lastProduced = produced;
    }
    const t = this.totals;
    const processed = t.applied + t.duplicates + t.rejected + t.late;
    this.samples.push({ at: now, produced, processed });
    while (this.samples.length > 2 && (this.samples[0]?.at ?? now) < now - RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0] ?? { at: now, produced, processed };
    const span = (now - first.at) / 1000;
    const stopped = this.phase === 'stopped';
    const rate = (count: number, from: number | undefined, to: number | undefined) =>
      from !== undefined && to !== undefined && to > from ? (count * 1000) / (to - from) : 0;
    this.maxBehind = Math.max(this.maxBehind, esm.millisBehindLatest);
    return {
      phase: this.phase,
      elapsedMs: now - this.startedAt,
      produced: this.ownProducers ? produced : undefined,
      producedPerSec: !this.ownProducers
        ? undefined
        : stopped
          ? rate(produced, this.firstProducedAt !== undefined ? this.startedAt : undefined, this.lastProducedAt)
          : span > 0
            ? (produced - first.produced) / span
            : 0,
      producerRetries,
      processed,
      processedPerSec: stopped
        ? rate(processed, this.firstProcessedAt !== undefined ? this.startedAt : undefined, this.lastProcessedAt)
        : span > 0
          ? (processed - first.processed) / span
          : 0,
      millisBehindLatest: esm.millisBehindLatest,
      maxMillisBehindLatest: this.maxBehind,
      iteratorAgeMs: this.iteratorAge,
      maxIteratorAgeMs: this.maxIteratorAge,
      batches: esm.batches,
      retries: esm.retries,
      bisects: esm.bisects,
      functionErrors: esm.functionErrors,
      discarded: esm.recordsDiscarded,
      applied: t.applied,
      duplicates: t.duplicates,
      rejected: t.rejected,
      late: t.late,
      writeUnits: t.writeUnits,
      writeUnitsPer1000: processed > 0 ? (t.writeUnits * 1000) / processed : undefined,
      latencyP50Ms: this.latency.percentile(50),
      latencyP99Ms: this.latency.percentile(99),
      hotKeys: this.hotKeys.top(5),
      alerts: [...this.alerts],
      alertsTotal: this.alertsTotal,
      windowsFinalized: t.finalized,
      warehouse: this.sources.warehouse(),
      cleanEvents: this.sources.cleanEvents?.(),
      target: this.target,
      pluginLines: this.sources.plugins(),
      bill: this.sources.bill?.(processed),
    };
  }
}
