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
  /** Hours an idempotency key is kept. */
  dedupeTtlHours: 'STREAMFOLD_DEDUPE_TTL_HOURS',
  /** Entries in the in-memory state cache kept across invocations. */
  cacheSize: 'STREAMFOLD_CACHE_SIZE',
  /** Concurrent DynamoDB writes per invocation. */
  writeConcurrency: 'STREAMFOLD_WRITE_CONCURRENCY',
  /** The event source mapping's ParallelizationFactor (above 1: stream time per key, no checkpoint skip). */
  parallelizationFactor: 'STREAMFOLD_PARALLELIZATION_FACTOR',
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
