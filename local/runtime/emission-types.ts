import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SideOutputSink } from '../../lambdas/side-output/index';
import type { EmitMessage, Sink } from '../../lambdas/sinks/index';
import type { LocalResultsCounters } from '../warehouse/index';
import type { RuntimePlugin } from './plugin';
import type { StreamMappingSettings } from './stream-poller';

/** Options of {@link emissionPlugin}. */
export interface EmissionPluginOptions {
  /** Wait between polls of the state table's DynamoDB stream. @default 1000 */
  pollIntervalMs?: number;
  /** The emitter mapping's settings on top of the deployed ones (`EMITTER_MAPPING`). */
  mapping?: Partial<StreamMappingSettings>;
  /** Wait before the emitter's retry n (0-based). @default min(2000, 200 × 2ⁿ) ms */
  retryDelayMs?: (retry: number) => number;
  /** How often the closer runs (EventBridge Scheduler runs it every minute in the cloud). @default 10000 */
  closerIntervalMs?: number;
  /** A silent source stops holding the watermark back after this long. @default 60000 */
  idleTimeoutMs?: number;
  /** The closer's clock (before {@link EmissionPlugin.finish} moves it ahead). @default Date.now */
  closerNow?: () => number;
  /** Receives every alert and final result the emitter delivers (the live view, tests). */
  onMessages?: (messages: readonly EmitMessage[]) => void;
  /** Print one line per delivered alert through the runtime's log. @default true */
  logAlerts?: boolean;
  /**
   * Delivered alerts as JSON lines (one {@link AlertMessage} with its `id` a line; emptied at start); false: none.
   * @default '<dir>/alerts.jsonl'
   */
  alertsFile?: false | string;
  /**
   * Final results into the local warehouse (`<dir>/warehouse/aggregates/dt=.../`, rows like the cloud's results
   * Firehose; query them as the `results` view of `streamfold query`); false: none.
   * @default on, 60 s / 64 MiB buffering like the CDK
   */
  warehouse?: false | { bufferingIntervalMs?: number; bufferingBytes?: number };
  /** Wraps what the emitter and the closer call, and reports their durations (the cost bench meters them). */
  instrument?: EmissionInstrumentation;
}

/** The parts of emission a local run can observe: emitter and closer run as `component`. */
export type EmissionComponent = 'emitter' | 'closer';

/**
 * Hooks around the emitter and the closer (every hook optional; identity by default). The re-delivery of spilled
 * messages runs as the closer (as in the cloud, on the closer's schedule).
 */
export interface EmissionInstrumentation {
  /** The DynamoDB client a component uses (state, dedupe and marker tables). */
  dynamodb?(component: EmissionComponent, client: Pick<DynamoDBClient, 'send'>): Pick<DynamoDBClient, 'send'>;
  /** The emitter's sinks (alerts and final results). */
  sinks?(sinks: Sink[]): Sink[];
  /** The side outputs that state writes' outboxes are delivered to (by the emitter and the re-delivery). */
  sideOutput?(kind: 'rejected' | 'late', sink: SideOutputSink): SideOutputSink;
  /** One invocation of a component's handler ended after `durationMs` (emitter: `records` stream records). */
  invoked?(component: EmissionComponent, durationMs: number, records: number): void;
}

/** What the emission plugin has done so far. */
export interface EmissionCounters {
  /** Alerts and results delivered (to the console sink: every one the emitter sent). */
  alerts: number;
  results: number;
  /** Emitter invocations, and those that reported a partial failure (retried). */
  invocations: number;
  failures: number;
  /** Closer runs, and the windows they finalized. */
  closerRuns: number;
  windowsClosed: number;
  /** The pipeline watermark of the last closer run (epoch ms; −∞ before any checkpoint). */
  watermark: number;
  iteratorResets: number;
  /** Emitter batches retried and split in two (the deployed mapping's rules: bounded retries, bisect on error). */
  retries: number;
  bisects: number;
  /**
   * Stream records the emitter gave up on (retries exhausted, or older than the maximum record age), and the failure
   * records sent for them to `<dir>/side-outputs/emitter-failed.jsonl` (the deployed mapping's failed queue).
   */
  discarded: number;
  failureRecords: number;
  /**
   * DynamoDB capacity of the emitter and of the re-delivery of spilled messages (alert markers, result items, the id
   * key; reads as AWS bills them), and the final results the emitter handled.
   */
  emitterWriteUnits: number;
  emitterReadUnits: number;
  resultsEmitted: number;
  /** Messages spilled to `<dir>/undelivered/` (a sink refused them), re-delivered from there, and objects waiting. */
  spilled: number;
  redelivered: number;
  spillObjectsWaiting: number;
  /** The results sink's counters (undefined when results do not go to the warehouse). */
  warehouse: LocalResultsCounters | undefined;
}

/** The emission plugin: a {@link RuntimePlugin} with counters and an end of input. */
export interface EmissionPlugin extends RuntimePlugin {
  counters(): EmissionCounters;
  /**
   * End of input for a bounded run (what replay() does at the end of its lines): once traffic has stopped and the
   * processor is drained, move the closer's clock ahead by the longest window + grace (and the idle timeout), so the
   * pipeline watermark passes every open window, as it would after that much wall-clock time without traffic; run the
   * closer until nothing is left to close, then drain the emitter. Resolves with the windows it finalized.
   * @throws EmissionFinishError when windows are still open at the deadline.
   */
  finish(timeoutMs?: number): Promise<number>;
}

/** The counters the emission plugin keeps itself (the stream poller and the warehouse keep the others). */
export type EmissionTally = Omit<
  EmissionCounters,
  'invocations' | 'failures' | 'iteratorResets' | 'retries' | 'bisects' | 'discarded' | 'failureRecords' | 'warehouse'
>;

/** A fresh {@link EmissionTally}. */
export function emptyTally(): EmissionTally {
  return {
    alerts: 0,
    results: 0,
    closerRuns: 0,
    windowsClosed: 0,
    watermark: Number.NEGATIVE_INFINITY,
    emitterWriteUnits: 0,
    emitterReadUnits: 0,
    resultsEmitted: 0,
    spilled: 0,
    redelivered: 0,
    spillObjectsWaiting: 0,
  };
}
