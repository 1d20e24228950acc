/**
 * Names shared by the Lambda handlers (which read and emit them) and the CDK app (which sets and alarms on them).
 * Plain constants: the CDK app may import this file without pulling in runtime code.
 */

/** Environment variables the processor and emitter Lambdas read. */
export const ENV = {
  stateTable: 'STREAMFOLD_STATE_TABLE',
  dedupeTable: 'STREAMFOLD_DEDUPE_TABLE',
  rejectedQueueUrl: 'STREAMFOLD_REJECTED_QUEUE_URL',
  lateQueueUrl: 'STREAMFOLD_LATE_QUEUE_URL',
  /** A source whose last valid record is older than this (ms) is idle (processor watermark and closer). */
  idleTimeoutMs: 'STREAMFOLD_IDLE_TIMEOUT_MS',
  /** Entries in the in-memory state cache kept across invocations. */
  cacheSize: 'STREAMFOLD_CACHE_SIZE',
  /** Concurrent DynamoDB writes per invocation. */
  writeConcurrency: 'STREAMFOLD_WRITE_CONCURRENCY',
  /** The event source mapping's ParallelizationFactor (above 1: stream time per key, no checkpoint skip). */
  parallelizationFactor: 'STREAMFOLD_PARALLELIZATION_FACTOR',
  /** Firehose (Direct PUT) delivery streams of the clean events, comma-separated (unset: no clean-events output). */
  cleanDeliveryStreams: 'STREAMFOLD_CLEAN_DELIVERY_STREAMS',
  /** The event field partitioning the clean events (`event_type=`), or `false` for date and hour only. */
  cleanPartitionField: 'STREAMFOLD_CLEAN_PARTITION_FIELD',
} as const;

/** CloudWatch namespace of streamfold's own EMF metrics. */
export const METRIC_NAMESPACE = 'streamfold';

/** Dimension name carrying the pipeline name on every streamfold metric. */
export const METRIC_DIMENSION = 'pipeline';

/** streamfold's own EMF metrics (all with the {@link METRIC_DIMENSION} dimension). */
export const METRICS = {
  received: 'RecordsReceived',
  applied: 'RecordsApplied',
  duplicates: 'Duplicates',
  rejected: 'Rejected',
  late: 'Late',
  stateWrites: 'StateWrites',
  writeUnits: 'WriteUnits',
  conflicts: 'Conflicts',
  retries: 'Retries',
  batchSize: 'BatchSize',
  eventTimeLagMs: 'MaxEventTimeLagMs',
} as const;

/**
 * Default largest window state of one key (UTF-8 bytes of its JSON) that a record may leave behind
 * (`settings.maxStateBytes`). A record that would make its key's state larger is rejected with reason
 * `state-too-large` (by replay and the processor alike), so one hot key never blocks its source: DynamoDB items hold
 * at most 400 KB, and an item also carries the results and alerts of its write.
 */
export const MAX_STATE_BYTES = 200_000;

/** The rejection reason of a record refused because its key's state cannot grow further. */
export function stateTooLargeReason(key: string, limit: number): string {
  return `state-too-large: the state of key ${JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}…` : key)} would exceed ${limit} bytes`;
}

/** Default idle timeout: a source without a valid record for a minute no longer holds the watermark back. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/**
 * How long a source's applied entry is kept in a state item after it last moved, and so at least how long a state
 * item lives after its last write: longer than Lambda can deliver a record again (MaximumRecordAge is at most 7
 * days) and than `streamfold redrive` reaches back.
 */
export const FENCE_HORIZON_MS = 7 * 86_400_000;

/**
 * How long a pipeline's items live after their last write (state items, due listings, claim items): at least the
 * fence horizon and `settings.retention`, and longer than its longest window can stay open (size or gap, plus grace,
 * plus a day): an idle key's window is finalized by the closer before its item can expire.
 */
export function stateHorizonMs(pipeline: {
  readonly windows: readonly { readonly sizeMs: number; readonly gapMs: number; readonly graceMs: number }[];
  readonly settings: { readonly retentionMs: number };
}): number {
  const span = Math.max(0, ...pipeline.windows.map((w) => Math.max(w.sizeMs, w.gapMs) + w.graceMs));
  return Math.max(pipeline.settings.retentionMs, FENCE_HORIZON_MS, span + 86_400_000);
}

/** Environment variables the emitter and the closer read. */
export const EMISSION_ENV = {
  /** SNS topic ARN for alerts. Unset: no SNS sink. */
  alertsTopicArn: 'STREAMFOLD_ALERTS_TOPIC_ARN',
  /** EventBridge bus name for alerts. Unset: no EventBridge sink. */
  eventBusName: 'STREAMFOLD_EVENT_BUS_NAME',
  /** Firehose delivery stream for final window results (warehouse, `aggregates/`). Unset: no Firehose sink. */
  resultsDeliveryStream: 'STREAMFOLD_RESULTS_DELIVERY_STREAM',
  /** Timestream database and table for final window results. Both unset: no Timestream sink. */
  timestreamDatabase: 'STREAMFOLD_TIMESTREAM_DATABASE',
  timestreamTable: 'STREAMFOLD_TIMESTREAM_TABLE',
  /** Kinesis stream for alerts. Unset: no Kinesis sink. */
  alertsStreamName: 'STREAMFOLD_ALERTS_STREAM',
  /** Hours an alert delivery marker is kept (at least the stream's 24 h retention). Default {@link DEFAULT_MARKER_TTL_HOURS}. */
  markerTtlHours: 'STREAMFOLD_MARKER_TTL_HOURS',
  /** 'true' to persist final results in the state table (`state` queries of final results; one write each). Default false. */
  persistResults: 'STREAMFOLD_PERSIST_RESULTS',
  /**
   * S3 bucket (the data lake's) where messages a sink refused after its retries are spilled, under `undelivered/`,
   * and re-delivered from by the closer. Unset: no spill (the stream records fail, are retried, then parked).
   */
  undeliveredBucket: 'STREAMFOLD_UNDELIVERED_BUCKET',
} as const;

/** Default hours an alert delivery marker is kept (`EMISSION_ENV.markerTtlHours`): twice the stream's 24 h retention. */
export const DEFAULT_MARKER_TTL_HOURS = 48;

/** EMF metrics of the emitter and the closer (namespace `streamfold`, dimension `pipeline`). */
export const EMISSION_METRICS = {
  /** Messages delivered, all sinks. */
  delivered: 'MessagesDelivered',
  /** Messages a sink could not deliver after its retries (spilled for re-delivery, else their records are retried). */
  deliveryFailures: 'SinkDeliveryFailures',
  /** Messages spilled for re-delivery (a sink refused them after its retries). */
  messagesSpilled: 'MessagesSpilled',
  /** Messages that could be neither delivered nor spilled (their stream records are retried, then parked). */
  spillFailures: 'SpillFailures',
  /** Closer: spilled messages re-delivered, and spill objects still waiting. */
  messagesRedelivered: 'MessagesRedelivered',
  spillObjectsWaiting: 'SpillObjectsWaiting',
  /** Alert deliveries skipped because a marker showed them done (redelivered stream records). */
  redeliveriesSkipped: 'RedeliveriesSkipped',
  /** Markers that already existed when written (another emitter sent the same message concurrently). */
  concurrentSends: 'ConcurrentSends',
  alertsEmitted: 'AlertsEmitted',
  resultsEmitted: 'ResultsEmitted',
  /** Final results written as result items for state queries. */
  resultsPersisted: 'ResultsPersisted',
  /** State records whose stored value could not be read (logged and skipped). */
  malformedRecords: 'MalformedStateRecords',
  /** Closer: keys finalized, windows finalized, and the pipeline watermark's lag behind the clock. */
  keysClosed: 'KeysClosed',
  windowsClosed: 'WindowsClosed',
  watermarkLagMs: 'WatermarkLagMs',
} as const;

/** Key prefix (in the spill bucket) of messages a sink refused, kept until re-delivered (lambdas/emitter/spill.ts). */
export const UNDELIVERED_PREFIX = 'undelivered/';

/**
 * Key prefix (in the data lake bucket, and the local warehouse) of the final window results the emitter's results
 * delivery writes: `aggregates/dt=<yyyy-MM-dd>/`.
 */
export const AGGREGATES_PREFIX = 'aggregates/';

/** Key prefix (data lake, local warehouse) of the raw events, for forensics: `raw/[event_type=<type>/]dt=/hour=/`. */
export const RAW_EVENTS_PREFIX = 'raw/';

/** Key prefix (data lake, local warehouse) of raw records Firehose could not partition or deliver. */
export const RAW_ERRORS_PREFIX = 'errors/';

/** Name of a pipeline's results delivery stream (Firehose into {@link AGGREGATES_PREFIX}; lib/emission.ts). */
export const resultsDeliveryStreamNameOf = (pipelineName: string): string => `${pipelineName}-aggregates`;

/** Name of a pipeline's raw-event delivery stream (Firehose into {@link RAW_EVENTS_PREFIX}; lib/raw-event-delivery.ts). */
export const rawDeliveryStreamNameOf = (pipelineName: string): string => `${pipelineName}-raw-events`;

/** Logical type of a results-row column; each warehouse maps it to its own (Glue, DuckDB). */
export type ResultColumnType = 'string' | 'bigint' | 'json' | 'string[]';

/**
 * Columns of a results row, in order: the Firehose sink's warehouse rows (lambdas/sinks/firehose-sink.ts), the
 * `aggregates` Glue table (lib/emission.ts) and the local warehouse (local/warehouse/layout.ts). `window_start` and
 * `window_end` stand for `start`/`end` (reserved words in SQL); `values` is the aggregates as JSON; `partial` lists the
 * aggregates a definition change left partial in the window (null when none).
 */
export const RESULT_ROW_COLUMNS: readonly { readonly name: string; readonly type: ResultColumnType }[] = [
  { name: 'id', type: 'string' },
  { name: 'kind', type: 'string' },
  { name: 'pipeline', type: 'string' },
  { name: 'window', type: 'string' },
  { name: 'key', type: 'string' },
  { name: 'window_start', type: 'bigint' },
  { name: 'window_end', type: 'bigint' },
  { name: 'values', type: 'json' },
  { name: 'alert', type: 'string' },
  { name: 'partial', type: 'string[]' },
];
