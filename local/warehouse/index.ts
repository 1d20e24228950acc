export { type LocalCleanCounters, LocalCleanEventsSink, type LocalCleanEventsSinkOptions } from './clean-sink';
export { startWarehouseDelivery, type WarehouseDelivery, type WarehouseDeliveryOptions } from './consumer';
export { type DeliveryCounters, type DeliveryRecord, LocalDelivery, type LocalDeliveryOptions } from './delivery';
export { WarehouseEmptyError, WarehouseQueryError } from './errors';
export {
  AGGREGATES_PREFIX,
  aggregatesPrefix,
  CLEAN_EVENTS_PREFIX,
  cleanDeliveryStreamNameOf,
  cleanPartitionPath,
  DEFAULT_BUFFERING_BYTES,
  DEFAULT_BUFFERING_INTERVAL_MS,
  DEFAULT_EVENT_TYPE_FIELD,
  deliveryStreamNameOf,
  ERRORS_PREFIX,
  errorsPrefix,
  objectName,
  PARTITIONING_FAILED,
  partitionOf,
  RAW_EVENTS_PREFIX,
  RESULT_COLUMNS,
  type RecordPartition,
  rawEventsPrefix,
  resultsDeliveryStreamNameOf,
  timePrefix,
} from './layout';
export { ObjectBuffers, type ObjectBuffersOptions } from './object-buffers';
export {
  AGGREGATES_VIEW,
  ERRORS_VIEW,
  EVENTS_LOG_VIEW,
  EVENTS_VIEW,
  type QueryResult,
  queryWarehouse,
  RAW_EVENTS_VIEW,
  RESULTS_VIEW,
  viewStatements,
} from './query';
export { type LocalResultsCounters, LocalResultsSink, type LocalResultsSinkOptions } from './results-sink';
