import { buildFailureRecord, type FailureRecordInput, type KinesisFailureRecord } from '../esm/index';

/**
 * The metadata record Lambda sends to an on-failure destination for a DynamoDB stream source
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html): the Kinesis record's fields, with the
 * batch under `DDBStreamBatchInfo`. It points at the discarded records (shard and sequence range), without them.
 */
export type DynamoDbStreamFailureRecord = Omit<KinesisFailureRecord, 'KinesisBatchInfo'> & {
  DDBStreamBatchInfo: KinesisFailureRecord['KinesisBatchInfo'];
};

/** Build the metadata record for a discarded run of DynamoDB stream records (non-empty, in shard order). */
export function buildStreamFailureRecord(input: FailureRecordInput): DynamoDbStreamFailureRecord {
  const { KinesisBatchInfo, ...rest } = buildFailureRecord(input);
  return { ...rest, DDBStreamBatchInfo: KinesisBatchInfo };
}
