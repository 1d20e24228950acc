/**
 * Alarm thresholds of a pipeline. Every alarm fires when its metric is above (or for success ratios, below) the
 * threshold for one 5-minute period, and notifies the pipeline's SNS topic.
 */
export interface AlarmThresholds {
  /**
   * Processor `IteratorAge` (Kinesis): age of the last record of a batch when it was read, ms.
   * @default 60000
   */
  readonly iteratorAgeMs?: number;
  /**
   * Stream `GetRecords.IteratorAgeMilliseconds` (Kinesis): how far the slowest shared-throughput reader is behind, ms.
   * @default 60000
   */
  readonly streamIteratorAgeMs?: number;
  /**
   * Processor `OffsetLag` (MSK): messages between the latest offset and the committed one.
   * @default 10000
   */
  readonly offsetLag?: number;
  /**
   * Kinesis `ReadProvisionedThroughputExceeded` / `WriteProvisionedThroughputExceeded` per period.
   * @default 0
   */
  readonly provisionedThroughputExceeded?: number;
  /**
   * Processor `Errors` per period.
   * @default 0
   */
  readonly processorErrors?: number;
  /**
   * Processor `Throttles` per period.
   * @default 0
   */
  readonly processorThrottles?: number;
  /**
   * Event source mapping `FailedInvokeEventCount` and `DroppedEventCount` per period (each).
   * @default 0
   */
  readonly failedEvents?: number;
  /**
   * Visible messages in the failed queue (batches the event source mapping gave up on).
   * @default 0
   */
  readonly failedQueueDepth?: number;
  /**
   * Visible messages in the rejected or late queue.
   * @default 1000
   */
  readonly sideOutputQueueDepth?: number;
  /**
   * Age of the oldest message of any side-output queue, seconds (nobody is draining them).
   * @default 86400
   */
  readonly queueAgeSeconds?: number;
  /**
   * DynamoDB read or write throttle events per period, per table.
   * @default 0
   */
  readonly dynamoThrottles?: number;
  /**
   * DynamoDB `SystemErrors` per period, per table.
   * @default 0
   */
  readonly dynamoSystemErrors?: number;
  /**
   * Firehose DataFreshness of every delivery stream (`DeliveryToS3`, `DeliveryToIceberg`, `DeliveryToSnowflake`;
   * Redshift: its S3 staging): age of the oldest undelivered record, seconds. Two minutes by default: the buffering
   * interval (60 s) plus a minute of slack; synth fails when it is not above the buffering interval.
   * @default 120
   */
  readonly deliveryFreshnessSeconds?: number;
  /**
   * Firehose `DeliveryToS3.Success`, `DeliveryToSnowflake.Success`, `DeliveryToRedshift.Success` (ratio of successful
   * deliveries): alarm below this. (Iceberg alarms on any `DeliveryToIceberg.FailedRowCount`.)
   * @default 0.99
   */
  readonly deliverySuccessRatio?: number;
  /**
   * Late records, percent of received records.
   * @default 1
   */
  readonly latePercent?: number;
  /**
   * Rejected records, percent of received records.
   * @default 1
   */
  readonly rejectedPercent?: number;
  /**
   * Duplicate records, percent of received records.
   * @default 5
   */
  readonly duplicatePercent?: number;
  /**
   * streamfold `MaxEventTimeLagMs`: processing time minus event time of the newest event of a batch, ms.
   * @default 300000
   */
  readonly eventTimeLagMs?: number;
  /**
   * Emitter `IteratorAge`: how far the emitter is behind the state table's DynamoDB stream, ms.
   * @default 60000
   */
  readonly emitterIteratorAgeMs?: number;
}

/** The defaults of {@link AlarmThresholds}. */
export const DEFAULT_ALARM_THRESHOLDS: Required<AlarmThresholds> = {
  iteratorAgeMs: 60_000,
  streamIteratorAgeMs: 60_000,
  offsetLag: 10_000,
  provisionedThroughputExceeded: 0,
  processorErrors: 0,
  processorThrottles: 0,
  failedEvents: 0,
  failedQueueDepth: 0,
  sideOutputQueueDepth: 1000,
  queueAgeSeconds: 86_400,
  dynamoThrottles: 0,
  dynamoSystemErrors: 0,
  deliveryFreshnessSeconds: 120,
  deliverySuccessRatio: 0.99,
  latePercent: 1,
  rejectedPercent: 1,
  duplicatePercent: 5,
  eventTimeLagMs: 300_000,
  emitterIteratorAgeMs: 60_000,
};
