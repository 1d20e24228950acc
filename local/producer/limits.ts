/** Kinesis PutRecords: at most 500 records per request. */
export const MAX_RECORDS_PER_REQUEST = 500;
/** Kinesis PutRecords: at most 5 MiB per request, data and partition keys included. */
export const MAX_REQUEST_BYTES = 5 * 1024 * 1024;
/** Kinesis: a record's data plus partition key is at most 1 MiB. */
export const MAX_RECORD_BYTES = 1024 * 1024;
/** Kinesis: a partition key has 1 to 256 characters. */
export const MAX_PARTITION_KEY_CHARS = 256;
