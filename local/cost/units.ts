/** How AWS rounds what it bills, for the services besides DynamoDB (see ./dynamodb-units.ts for DynamoDB). */

/** Kinesis provisioned mode: one PUT payload unit per started 25 KB of a record. */
export const KINESIS_PUT_PAYLOAD_BYTES = 25 * 1024;
/** Kinesis on-demand: ingest and retrieval round each record up to the next 1 KB. */
export const KINESIS_ON_DEMAND_KB = 1024;
/** Firehose Direct PUT: each record is billed in 5 KB increments. */
export const FIREHOSE_KB_INCREMENT = 5;
/** SQS, SNS and EventBridge: each 64 KB chunk of a request's payload is billed as one request. */
export const REQUEST_CHUNK_BYTES = 64 * 1024;
