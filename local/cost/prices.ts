/**
 * The price table the cost meter bills with: AWS list prices, us-east-1, on-demand, no free tiers, no savings plans.
 * Each price names the page it comes from. Compiled on {@link PRICES_AS_OF} from the prices those pages published
 * (this machine has no network: they were not re-read live on that day). Check them before you quote a figure, and
 * change this file (with its date) when AWS changes a price: every bill is computed from here.
 *
 * Data sizes: AWS's "GB" in data charges is taken as 2^30 bytes.
 */

/** The day this table was compiled. */
export const PRICES_AS_OF = '2026-12-01';

/** The region of every price. */
export const PRICES_REGION = 'us-east-1';

/** One price: USD per `per` units of `unit`, and where it is published. */
export interface Price {
  readonly usd: number;
  /** How many units the price is for (e.g. 1,000,000 requests). */
  readonly per: number;
  readonly unit: string;
  readonly source: string;
  /** How AWS counts the unit, when it is not obvious. */
  readonly note?: string;
}

const DYNAMODB = 'https://aws.amazon.com/dynamodb/pricing/on-demand/';
const KINESIS = 'https://aws.amazon.com/kinesis/data-streams/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';
const FIREHOSE = 'https://aws.amazon.com/firehose/pricing/';
const SQS = 'https://aws.amazon.com/sqs/pricing/';
const SNS = 'https://aws.amazon.com/sns/pricing/';
const EVENTBRIDGE = 'https://aws.amazon.com/eventbridge/pricing/';
const S3 = 'https://aws.amazon.com/s3/pricing/';
const FLINK = 'https://aws.amazon.com/managed-service-apache-flink/pricing/';

/** The list prices (us-east-1, on-demand) of everything a streamfold pipeline uses. */
export const PRICES = {
  dynamodbWriteRequestUnit: {
    usd: 0.625,
    per: 1e6,
    unit: 'write request unit',
    source: DYNAMODB,
    note: 'standard table class; one unit per started 1 KB of the larger of the old and new item; a failed condition is still charged',
  },
  dynamodbReadRequestUnit: {
    usd: 0.125,
    per: 1e6,
    unit: 'read request unit',
    source: DYNAMODB,
    note: 'one unit per started 4 KB for a strongly consistent read, half for an eventually consistent one; a missing key is still charged',
  },
  dynamodbStreamsReadRequestUnit: {
    usd: 0.02,
    per: 1e5,
    unit: 'streams read request unit (GetRecords)',
    source: DYNAMODB,
    note: 'GetRecords calls made by Lambda triggers are free',
  },
  dynamodbStorage: { usd: 0.25, per: 1, unit: 'GB-month', source: DYNAMODB },
  dynamodbPitr: { usd: 0.2, per: 1, unit: 'GB-month (continuous backups)', source: DYNAMODB },
  kinesisOnDemandStreamHour: { usd: 0.04, per: 1, unit: 'stream-hour (on-demand)', source: KINESIS },
  kinesisOnDemandIngestGb: {
    usd: 0.08,
    per: 1,
    unit: 'GB ingested (on-demand)',
    source: KINESIS,
    note: 'each record rounded up to the next 1 KB',
  },
  kinesisOnDemandRetrievalGb: {
    usd: 0.04,
    per: 1,
    unit: 'GB retrieved (on-demand, standard consumer)',
    source: KINESIS,
    note: 'each record rounded up to the next 1 KB',
  },
  kinesisShardHour: { usd: 0.015, per: 1, unit: 'shard-hour (provisioned)', source: KINESIS },
  kinesisPutPayloadUnit: {
    usd: 0.014,
    per: 1e6,
    unit: 'PUT payload unit (provisioned)',
    source: KINESIS,
    note: 'one unit per started 25 KB of a record',
  },
  lambdaRequest: { usd: 0.2, per: 1e6, unit: 'request', source: LAMBDA },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 1,
    unit: 'GB-second (arm64, first 7.5 billion GB-s a month)',
    source: LAMBDA,
    note: 'duration rounded up to the next millisecond',
  },
  firehoseIngestGb: {
    usd: 0.029,
    per: 1,
    unit: 'GB ingested (Direct PUT, first 500 TB a month)',
    source: FIREHOSE,
    note: 'each record rounded up to the next 5 KB',
  },
  firehoseDynamicPartitioningGb: {
    usd: 0.02,
    per: 1,
    unit: 'GB processed by dynamic partitioning',
    source: FIREHOSE,
  },
  firehoseDynamicPartitioningObjects: {
    usd: 0.005,
    per: 1000,
    unit: 'S3 object delivered by dynamic partitioning',
    source: FIREHOSE,
  },
  sqsRequest: {
    usd: 0.4,
    per: 1e6,
    unit: 'request (standard queue)',
    source: SQS,
    note: 'each 64 KB chunk of a request payload is one request (a batch of up to 10 messages is one call)',
  },
  snsPublish: {
    usd: 0.5,
    per: 1e6,
    unit: 'publish request (standard topic)',
    source: SNS,
    note: 'each 64 KB chunk of a request payload is one request; deliveries to SQS and Lambda are free, others extra',
  },
  eventBridgeEvent: {
    usd: 1,
    per: 1e6,
    unit: 'custom event published',
    source: EVENTBRIDGE,
    note: 'each 64 KB chunk of an event is one event',
  },
  eventBridgeSchedulerInvocation: { usd: 1, per: 1e6, unit: 'scheduled invocation', source: EVENTBRIDGE },
  s3Put: { usd: 0.005, per: 1000, unit: 'PUT, COPY, POST or LIST request (S3 Standard)', source: S3 },
  s3Get: { usd: 0.0004, per: 1000, unit: 'GET request (S3 Standard)', source: S3 },
  flinkKpuHour: {
    usd: 0.11,
    per: 1,
    unit: 'KPU-hour (1 vCPU, 4 GB memory, 50 GB running storage)',
    source: FLINK,
    note: 'plus one orchestration KPU per application',
  },
} as const satisfies Record<string, Price>;

/** A price table of the shape of {@link PRICES}. */
export type PriceTable = { readonly [name in keyof typeof PRICES]: Price };

/** Hours in a month as AWS prices them (730). */
export const HOURS_PER_MONTH = 730;

/** Bytes in one GB of a data charge (2^30). */
export const BYTES_PER_GB = 2 ** 30;

/** USD for `units` of a price. */
export function priceOf(price: Price, units: number): number {
  return (units * price.usd) / price.per;
}
