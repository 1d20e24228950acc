export { startWarehouseDelivery, type WarehouseDelivery, type WarehouseDeliveryOptions } from './consumer';
export { type DeliveryCounters, type DeliveryRecord, LocalDelivery, type LocalDeliveryOptions } from './delivery';
export { WarehouseEmptyError, WarehouseQueryError, WarehouseSettingError } from './errors';
export {
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
  type RecordPartition,
  timePrefix,
} from './layout';
export { ERRORS_VIEW, EVENTS_VIEW, type QueryResult, queryWarehouse, viewStatements } from './query';
