import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS } from '../../core';
import { emptyStats, type SourceOutcome, type SourceStats } from './source-batch';

/** Totals of one invocation (all sources), as logged and published as metrics. */
export interface InvocationSummary extends SourceStats {
  /** Records in the event. */
  batchSize: number;
  /** Sources (shards / topic-partitions) in the event. */
  sources: number;
  /** DynamoDB write units: state writes (incl. charged conflicts), checkpoints and idempotency keys. */
  writeUnits: number;
  /** DynamoDB read units (cache misses, checkpoints). */
  readUnits: number;
  /** now − largest event time of the batch, ms; undefined when the batch held no valid event. */
  eventTimeLagMs: number | undefined;
  /** Sources that stopped early: where Lambda must retry from, and why. */
  failures: { sourceId: string; sequence: string; error: string }[];
}

/** Sum the sources' counts and add the invocation-level figures. */
export function summarize(
  outcomes: readonly SourceOutcome[],
  usage: { writeUnits: number; readUnits: number },
  now: number,
): InvocationSummary {
  const total = emptyStats();
  for (const { stats } of outcomes) {
    for (const name of Object.keys(total) as (keyof SourceStats)[]) {
      total[name] = name === 'maxEventTime' ? Math.max(total[name], stats[name]) : total[name] + stats[name];
    }
  }
  return {
    ...total,
    batchSize: total.received,
    sources: outcomes.length,
    writeUnits: usage.writeUnits,
    readUnits: usage.readUnits,
    eventTimeLagMs: Number.isFinite(total.maxEventTime) ? Math.max(0, now - total.maxEventTime) : undefined,
    failures: outcomes.flatMap((o) =>
      o.failedAt
        ? [
            {
              sourceId: o.sourceId,
              sequence: o.failedAt.sequence,
              error: o.error ? `${o.error.name}: ${o.error.message}` : 'unknown',
            },
          ]
        : [],
    ),
  };
}

/** Add the invocation's metrics (names from core/contract.ts, which the CDK alarms use). */
export function addMetrics(metrics: Metrics, s: InvocationSummary): void {
  const count = (name: string, value: number) => metrics.addMetric(name, MetricUnit.Count, value);
  count(METRICS.received, s.received);
  count(METRICS.applied, s.applied);
  count(METRICS.duplicates, s.duplicates);
  count(METRICS.rejected, s.rejected);
  count(METRICS.late, s.late);
  count(METRICS.stateWrites, s.stateWrites);
  count(METRICS.writeUnits, s.writeUnits);
  count(METRICS.conflicts, s.conflicts);
  count(METRICS.retries, s.retries);
  count(METRICS.batchSize, s.batchSize);
  if (s.eventTimeLagMs !== undefined)
    metrics.addMetric(METRICS.eventTimeLagMs, MetricUnit.Milliseconds, s.eventTimeLagMs);
}
