export { fittingCount, isFullBatch, takeBatch } from './batcher';
export {
  type EventSourceMappingOptions,
  type KinesisBatchHandler,
  MAX_PAYLOAD_BYTES,
  type ResolvedEsmConfig,
  resolveConfig,
  type StartingPosition,
} from './config';
export { type EsmCounters, emptyCounters } from './counters';
export {
  buildFailureRecord,
  type FailureCondition,
  type FailureDestination,
  type FailureRecordInput,
  jsonlFileDestination,
  type KinesisFailureRecord,
  type MemoryDestination,
  memoryDestination,
} from './destination';
export { EsmDrainTimeoutError, EsmLifecycleError, EsmStreamError } from './errors';
export { buildEvent, eventSize, type PolledRecord, toPolledRecord } from './event-builder';
export { type DrainOptions, EventSourceMapping } from './event-source-mapping';
export type { KinesisSendClient } from './kinesis-api';
export { laneFor } from './lanes';
export {
  type Batch,
  type InvocationOutcome,
  interpretResponse,
  nextStep,
  type RetrySettings,
  type SequencedRecord,
  splitExpired,
} from './retry-policy';
