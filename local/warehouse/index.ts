export { startWarehouseDelivery, type WarehouseDelivery, type WarehouseDeliveryOptions } from './consumer';
export { type DeliveryCounters, type DeliveryRecord, LocalDelivery, type LocalDeliveryOptions } from './delivery';
export { WarehouseEmptyError, WarehouseQueryError, WarehouseSettingError } from './errors';
export {
  AGGREGATES_PREFIX,
  aggregatesPrefix,
  DEFAULT_BUFFERING_BYTES,
  DEFAULT_BUFFERING_INTERVAL_MS,
  DEFAULT_EVENT_TYPE_FIELD,
  deliveryStreamNameOf,
  ERRORS_PREFIX,
  EVENTS_PREFIX,
  errorsPrefix,
  eventsPrefix,
  objectName,
  PARTITIONING_FAILED,
  partitionOf,
  RESULT_COLUMNS,
  type RecordPartition,
  resultsDeliveryStreamNameOf,
  timePrefix,
} from './layout';
export {
  AGGREGATES_VIEW,
  ERRORS_VIEW,
  EVENTS_VIEW,
  type QueryResult,
  queryWarehouse,
  RESULTS_VIEW,
  viewStatements,
} from './query';
export { type LocalResultsCounters, LocalResultsSink, type LocalResultsSinkOptions } from './results-sink';
