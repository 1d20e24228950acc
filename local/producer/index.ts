export { fullJitterDelay } from '../../core/backoff';
export { defaultSerialize, type Entry, takeRequest, toEntry } from './entries';
export { PartitionKeyError, ProducerClosedError, ProducerDeliveryError, RecordTooLargeError } from './errors';
export { MAX_PARTITION_KEY_CHARS, MAX_RECORD_BYTES, MAX_RECORDS_PER_REQUEST, MAX_REQUEST_BYTES } from './limits';
export { type ProduceFileOptions, type ProduceFileResult, produceFile } from './produce-file';
export {
  createProducer,
  type FailedRecord,
  type Producer,
  type ProducerCounters,
  type ProducerOptions,
  type PutRecordsClient,
} from './producer';
