import type { RunBill } from '../cost/run-bill';
import type { DeliveryCounters, LocalCleanCounters } from '../warehouse/index';
import type { KeyCount } from './hot-keys';

/** One alert as the live view shows it. */
export interface AlertLine {
  alert: string;
  key: string;
  window: string;
  /** Window start and end, epoch ms. */
  start: number;
  end: number;
  /** When the runtime saw the alert's state write land, epoch ms. */
  seenAt: number;
}

/** What a local run has done so far (the live view renders it; the summary is the last one). */
export interface RuntimeSnapshot {
  /** `running` until stop() starts, then `stopping`, then `stopped`. */
  phase: 'running' | 'stopping' | 'stopped';
  /** Since the runtime started (engines up, resources created). */
  elapsedMs: number;
  /** Records the runtime's producers got into the stream; undefined when only external producers send. */
  produced: number | undefined;
  /** Records produced per second over the last few seconds (whole run in the summary). */
  producedPerSec: number | undefined;
  /** Record sends the producers repeated (partial PutRecords failures). */
  producerRetries: number;
  /** Records the handler finished (applied, duplicate, late or rejected). */
  processed: number;
  processedPerSec: number;
  /** Largest MillisBehindLatest of the open shards' last GetRecords. */
  millisBehindLatest: number;
  /** Largest value seen during the run. */
  maxMillisBehindLatest: number;
  /**
   * Lambda's IteratorAge: now − arrival of the last record of the latest invocation, when it started, ms. Locally
   * this is the better "behind" figure: the mapping reads ahead, so GetRecords' MillisBehindLatest stays near 0 while
   * records wait in its buffer.
   */
  iteratorAgeMs: number;
  /** Largest iterator age seen during the run. */
  maxIteratorAgeMs: number;
  /** Handler invocations, re-invocations and bisects of the event source mapping. */
  batches: number;
  retries: number;
  bisects: number;
  functionErrors: number;
  /** Records discarded to the on-failure destination. */
  discarded: number;
  applied: number;
  duplicates: number;
  rejected: number;
  late: number;
  /** DynamoDB write units (state, checkpoints, idempotency keys). */
  writeUnits: number;
  /** Write units per 1,000 processed records; undefined before the first. */
  writeUnitsPer1000: number | undefined;
  /** Event-to-state latency percentiles (Kinesis arrival → the handler's commit returned), ms. */
  latencyP50Ms: number | undefined;
  latencyP99Ms: number | undefined;
  /** Keys with the most records so far. */
  hotKeys: KeyCount[];
  /** Latest alerts, newest first, and how many fired in all. */
  alerts: AlertLine[];
  alertsTotal: number;
  /** Windows finalized by state writes. */
  windowsFinalized: number;
  /** The raw-event delivery into the local warehouse (`raw/`), when on. */
  warehouse: DeliveryCounters | undefined;
  /** The processor's clean events in the local warehouse (`clean/`), when on. */
  cleanEvents?: LocalCleanCounters | undefined;
  /** Bounds of the run, for a progress bar. */
  target: { events?: number; durationMs?: number };
  /** Extra lines from plugins (e.g. the emitter). */
  pluginLines: string[];
  /** What the run would cost on AWS (per-request charges), when the runtime meters it (`metering`). */
  bill?: RunBill;
}
