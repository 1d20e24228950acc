/**
 * Defaults of the deployed functions, shared by the CDK constructs (which deploy them) and the local cost meter (which
 * prices what a run would cost at these sizes). Plain constants: the CDK app may import this file.
 */
export const FUNCTION_DEFAULTS = {
  /** Processor memory, MB (lib/pipeline-processor.ts `memorySize`). */
  processorMemoryMb: 1024,
  /** Records per processor invocation (the Kinesis event source mapping's `batchSize`). */
  processorBatchSize: 500,
  /** Emitter and closer memory, MB (lib/emission.ts `memorySize`). */
  emissionMemoryMb: 512,
  /** Stream records per emitter invocation (the DynamoDB stream event source mapping's `batchSize`). */
  emitterBatchSize: 100,
  /** How often EventBridge Scheduler runs the closer, minutes (lib/emission.ts `closerInterval`). */
  closerIntervalMinutes: 1,
} as const;

/**
 * Defaults of the processor's event source mapping, shared by the CDK construct (lib/pipeline-processor.ts) and the
 * local runtime's mapping (local/runtime/dev-runtime.ts), so that `npm start` runs what `cdk deploy` deploys.
 */
export const MAPPING_DEFAULTS = {
  /** Records per invocation. */
  batchSize: FUNCTION_DEFAULTS.processorBatchSize,
  /** Batching window, seconds. */
  maxBatchingWindowSeconds: 1,
  /** Where a new mapping starts reading. */
  startingPosition: 'TRIM_HORIZON',
  /** Retries of a failing batch before its range goes to the failure destination (never infinite). */
  retryAttempts: 10,
  /** Oldest record the mapping still delivers, hours. */
  maxRecordAgeHours: 6,
  /** Split a failing batch in two. */
  bisectBatchOnError: true,
  /** Concurrent batches per shard. */
  parallelizationFactor: 1,
} as const;

/**
 * Defaults of the emitter's DynamoDB stream event source mapping, shared by the CDK construct (lib/emission.ts) and
 * the local stream poller (local/runtime/stream-poller.ts): after the retries, a failing batch's metadata goes to the
 * on-failure destination (an SQS queue deployed, `<dir>/side-outputs/emitter-failed.jsonl` locally).
 */
export const EMITTER_MAPPING_DEFAULTS = {
  /** Stream records per invocation. */
  batchSize: FUNCTION_DEFAULTS.emitterBatchSize,
  /** Retries of a failing batch before its range goes to the failure destination (never infinite). */
  retryAttempts: 10,
  /** Oldest record the mapping still delivers, hours. */
  maxRecordAgeHours: 24,
  /** Split a failing batch in two. */
  bisectBatchOnError: true,
  /** The emitter reports the first record it could not handle (`batchItemFailures`). */
  reportBatchItemFailures: true,
} as const;
