import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import type { Fate } from './oracle';
import { runSchedule, type ScheduleReport } from './run-schedule';

/** Options of {@link sweep}. */
export interface SweepOptions {
  /** First seed. */
  readonly seed: number;
  readonly schedules: number;
  /** Schedules run at once (they use separate tables). @default 4 */
  readonly concurrency?: number;
  /** Stop starting new schedules after the first failure. @default false */
  readonly stopOnFailure?: boolean;
  /** Called after each schedule (progress). */
  readonly onSchedule?: (report: ScheduleReport | undefined, error: Error | undefined, done: number) => void;
}

/** Totals of a sweep. */
export interface SweepSummary {
  readonly firstSeed: number;
  readonly lastSeed: number;
  readonly schedules: number;
  readonly passed: number;
  readonly failures: { seed: number; error: Error }[];
  readonly records: number;
  readonly fates: Record<Fate, number>;
  readonly results: number;
  readonly alerts: number;
  readonly invocations: number;
  readonly delivery: Record<string, number>;
  readonly faults: Record<string, number>;
  readonly byFamily: Record<string, number>;
  /** Rejections by reason code. */
  readonly reasons: Record<string, number>;
  /** What the fault model's dimensions did, added up (see {@link DimensionTotals}). */
  readonly dimensions: DimensionTotals;
  readonly ms: number;
}

/** The dimensions of the fault model over a sweep. */
export interface DimensionTotals {
  /** Schedules by warm containers per function. */
  readonly containers: Record<string, number>;
  /** Invocations that went to a container which had seen the source, but not its latest batch. */
  readonly staleHandoffs: number;
  readonly coldStarts: number;
  /** Schedules by event-time profile. */
  readonly time: Record<string, number>;
  /** Schedules with disorderly producers (events minutes behind their producer's clock). */
  readonly disorder: number;
  /** Records of late bursts (a buffering client flushing minutes-old events at once). */
  readonly bursts: number;
  readonly outliers: number;
  readonly hostileRecords: number;
  readonly laneSchedules: number;
  readonly reshards: number;
  /** Schedules with a shard that received only garbage: throughout, or after some point. */
  readonly garbageShards: Record<string, number>;
  /** MSK schedules by offset reset (`none`, `recreate/LOG_APPEND_TIME`, ...). */
  readonly resets: Record<string, number>;
  readonly sourceResets: number;
  readonly suspectedResets: number;
  /** Closer runs: active (real clock, beside the processors) and idle (at barriers), and what they finalized. */
  readonly closer: Record<string, number>;
  /** Processor writes that landed on an item the closer wrote last. */
  readonly afterCloser: number;
  readonly tooLargeKeys: number;
  readonly xmlRefused: number;
}

/** Run schedules `seed .. seed + schedules - 1` and add up what they did. */
export async function sweep(dynamodb: Pick<DynamoDBClient, 'send'>, options: SweepOptions): Promise<SweepSummary> {
  const started = Date.now();
  const limit = pLimit(options.concurrency ?? 4);
  const reports: ScheduleReport[] = [];
  const failures: { seed: number; error: Error }[] = [];
  let done = 0;
  await Promise.all(
    Array.from({ length: options.schedules }, (_, i) => options.seed + i).map((seed) =>
      limit(async () => {
        if (options.stopOnFailure && failures.length > 0) return;
        try {
          const report = await runSchedule(dynamodb, seed);
          reports.push(report);
          options.onSchedule?.(report, undefined, ++done);
        } catch (error) {
          failures.push({ seed, error: error as Error });
          options.onSchedule?.(undefined, error as Error, ++done);
        }
      }),
    ),
  );
  const add = (into: Record<string, number>, from: object) => {
    for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + Number(v);
  };
  const fates: Record<Fate, number> = { applied: 0, duplicate: 0, late: 0, rejected: 0, failed: 0, skipped: 0 };
  const delivery: Record<string, number> = {};
  const faults: Record<string, number> = {};
  const byFamily: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  const count = (into: Record<string, number>, key: string) => {
    into[key] = (into[key] ?? 0) + 1;
  };
  const containers: Record<string, number> = {};
  const time: Record<string, number> = {};
  const resets: Record<string, number> = {};
  const closer: Record<string, number> = {};
  const garbageShards: Record<string, number> = {};
  const sum = (f: (d: ScheduleReport['dimensions']) => number) => reports.reduce((n, r) => n + f(r.dimensions), 0);
  for (const r of reports) {
    add(fates, r.fates);
    add(delivery, r.delivery);
    add(faults, r.faults);
    add(reasons, r.reasons);
    add(closer, r.dimensions.closer);
    count(byFamily, r.family);
    count(containers, String(r.dimensions.containers));
    count(time, r.dimensions.time);
    if (r.family === 'msk') count(resets, r.dimensions.reset ?? 'none');
    if (r.dimensions.garbageShard) count(garbageShards, r.dimensions.garbageShard);
  }
  const dimensions: DimensionTotals = {
    containers,
    staleHandoffs: sum((d) => d.pool.staleHandoffs),
    coldStarts: sum((d) => d.pool.coldStarts),
    time,
    disorder: reports.filter((r) => r.dimensions.disorder).length,
    bursts: sum((d) => d.bursts),
    outliers: sum((d) => d.outliers),
    hostileRecords: sum((d) => d.hostile),
    laneSchedules: reports.filter((r) => r.dimensions.lanes > 1).length,
    reshards: reports.filter((r) => r.dimensions.reshard).length,
    garbageShards,
    resets,
    sourceResets: sum((d) => d.sourceResets),
    suspectedResets: sum((d) => d.suspectedResets),
    closer,
    afterCloser: sum((d) => d.afterCloser),
    tooLargeKeys: sum((d) => d.tooLargeKeys),
    xmlRefused: sum((d) => d.xmlRefused),
  };
  failures.sort((a, b) => a.seed - b.seed);
  return {
    firstSeed: options.seed,
    lastSeed: options.seed + options.schedules - 1,
    schedules: options.schedules,
    passed: reports.length,
    failures,
    records: reports.reduce((n, r) => n + r.records, 0),
    fates,
    results: reports.reduce((n, r) => n + r.results, 0),
    alerts: reports.reduce((n, r) => n + r.alerts, 0),
    invocations: delivery.invocations ?? 0,
    delivery,
    faults,
    byFamily,
    reasons,
    dimensions,
    ms: Date.now() - started,
  };
}

/** A few lines describing a sweep. */
export function formatSummary(s: SweepSummary): string {
  return [
    `chaos sweep: seeds ${s.firstSeed}..${s.lastSeed}: ${s.passed}/${s.schedules} schedules passed in ${(s.ms / 1000).toFixed(1)} s`,
    `  records ${s.records} (${Object.entries(s.fates)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}); window results ${s.results}, alerts ${s.alerts}`,
    `  families ${JSON.stringify(s.byFamily)}`,
    `  rejections by reason ${JSON.stringify(s.reasons)}`,
    `  dimensions ${JSON.stringify(s.dimensions)}`,
    `  delivery ${JSON.stringify(s.delivery)}`,
    `  injected client faults ${JSON.stringify(s.faults)}`,
    ...s.failures.map((f) => `  FAILED ${f.error.message}`),
  ].join('\n');
}
