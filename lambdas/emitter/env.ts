/**
 * Environment variables and metric names of the emitter and closer Lambdas (plain constants, no imports: the CDK
 * construct lib/emission.ts mirrors them, and test/unit/emitter checks that the two agree). The table names come from
 * `ENV` in core/contract.ts.
 */

/** Environment variables the emitter and the closer read. */
export const EMISSION_ENV = {
  /** SNS topic ARN for alerts. Unset: no SNS sink. */
  alertsTopicArn: 'STREAMFOLD_ALERTS_TOPIC_ARN',
  /** EventBridge bus name for alerts. Unset: no EventBridge sink. */
  eventBusName: 'STREAMFOLD_EVENT_BUS_NAME',
  /** Firehose delivery stream for final window results (warehouse, `aggregates/`). Unset: no Firehose sink. */
  resultsDeliveryStream: 'STREAMFOLD_RESULTS_DELIVERY_STREAM',
  /** Timestream database and table for final window results. Both unset: no Timestream sink. */
  timestreamDatabase: 'STREAMFOLD_TIMESTREAM_DATABASE',
  timestreamTable: 'STREAMFOLD_TIMESTREAM_TABLE',
  /** Kinesis stream for alerts. Unset: no Kinesis sink. */
  alertsStreamName: 'STREAMFOLD_ALERTS_STREAM',
  /** Hours an alert delivery marker is kept (at least the stream's 24 h retention). Default 48. */
  markerTtlHours: 'STREAMFOLD_MARKER_TTL_HOURS',
  /** 'true' to persist final results in the state table (`state` queries of final results; one write each). Default false. */
  persistResults: 'STREAMFOLD_PERSIST_RESULTS',
  /**
   * S3 bucket (the data lake's) where messages a sink refused after its retries are spilled, under `undelivered/`,
   * and re-delivered from by the closer. Unset: no spill (the stream records fail, are retried, then parked).
   */
  undeliveredBucket: 'STREAMFOLD_UNDELIVERED_BUCKET',
} as const;

/** EMF metrics of the emitter and the closer (namespace `streamfold`, dimension `pipeline`). */
export const EMISSION_METRICS = {
  /** Messages delivered, all sinks. */
  delivered: 'MessagesDelivered',
  /** Messages a sink could not deliver after its retries (spilled for re-delivery, else their records are retried). */
  deliveryFailures: 'SinkDeliveryFailures',
  /** Messages spilled for re-delivery (a sink refused them after its retries). */
  messagesSpilled: 'MessagesSpilled',
  /** Messages that could be neither delivered nor spilled (their stream records are retried, then parked). */
  spillFailures: 'SpillFailures',
  /** Closer: spilled messages re-delivered, and spill objects still waiting. */
  messagesRedelivered: 'MessagesRedelivered',
  spillObjectsWaiting: 'SpillObjectsWaiting',
  /** Alert deliveries skipped because a marker showed them done (redelivered stream records). */
  redeliveriesSkipped: 'RedeliveriesSkipped',
  /** Markers that already existed when written (another emitter sent the same message concurrently). */
  concurrentSends: 'ConcurrentSends',
  alertsEmitted: 'AlertsEmitted',
  resultsEmitted: 'ResultsEmitted',
  /** Final results written as result items for state queries. */
  resultsPersisted: 'ResultsPersisted',
  /** State records whose stored value could not be read (logged and skipped). */
  malformedRecords: 'MalformedStateRecords',
  /** Closer: keys finalized, windows finalized, and the pipeline watermark's lag behind the clock. */
  keysClosed: 'KeysClosed',
  windowsClosed: 'WindowsClosed',
  watermarkLagMs: 'WatermarkLagMs',
} as const;
