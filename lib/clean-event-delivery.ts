import { Duration } from 'aws-cdk-lib';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CLEAN_FIELDS } from '../core/clean-events';
import { DATA_LAKE_PREFIXES } from './data-lake-bucket';
import { type CleanEventsDestination, firehoseDeliveryRole } from './delivery-role';
import { createLogGroup, type LogGroupOptions } from './log-groups';
import { bufferingSeconds, checkInteger } from './validate';

/** Props of {@link CleanEventDelivery}. */
export interface CleanEventDeliveryProps {
  /** Name of the delivery stream (the processor puts its clean rows into it). */
  readonly deliveryStreamName: string;
  /** The data lake bucket. */
  readonly bucket: s3.IBucket;
  /**
   * Partition by the rows' bounded event type (`event_type=` before `dt=/hour=`). The processor computes every
   * partition value from validated fields (the type bounded by the schema's enum, the event time's date and hour),
   * so Firehose's partition count stays bounded.
   * @default true
   */
  readonly byEventType?: boolean;
  /**
   * Firehose flushes a partition at least this often (0-900 s): the freshness of the clean-events table.
   * @default Duration.seconds(60)
   */
  readonly bufferingInterval?: Duration;
  /**
   * ...or when this many MiB are buffered (64-128 with dynamic partitioning).
   * @default 64
   */
  readonly bufferingSizeMiB?: number;
  /**
   * Log group of the delivery errors (`<namePrefix>clean-events-delivery`).
   * @default - a generated name, CloudWatch Logs' own encryption, RETAIN, one month
   */
  readonly logGroups?: LogGroupOptions;
}

/**
 * The clean events into the data lake: a Direct PUT Firehose the processor writes every valid record to (one JSON
 * line per record, at-least-once), with dynamic partitioning on the partition values the rows carry
 * (`clean/event_type=<type>/dt=<yyyy-MM-dd>/hour=<HH>/`, event time), GZIP, an error prefix and error logging. The
 * Glue table `events_log` reads it and the Athena view `events` shows each row once (lib/data-lake-catalog.ts).
 */
export class CleanEventDelivery extends Construct implements CleanEventsDestination {
  readonly deliveryStreamName: string;
  readonly deliveryStreamArn: string;
  readonly destination = 's3' as const;
  /** The delivery stream. */
  readonly deliveryStream: firehose.CfnDeliveryStream;

  constructor(scope: Construct, id: string, props: CleanEventDeliveryProps) {
    super(scope, id);
    const interval = bufferingSeconds('bufferingInterval', props.bufferingInterval ?? Duration.seconds(60));
    const size = checkInteger(
      'bufferingSizeMiB',
      props.bufferingSizeMiB ?? 64,
      64,
      128,
      'an integer from 64 to 128 (dynamic partitioning)',
    );
    this.deliveryStreamName = props.deliveryStreamName;
    const role = firehoseDeliveryRole(this, 'Role', {
      description: `Firehose ${props.deliveryStreamName}: write the clean events to the data lake`,
      bucket: props.bucket,
      prefixes: [DATA_LAKE_PREFIXES.clean, DATA_LAKE_PREFIXES.cleanErrors],
      reason:
        'Object ARNs are scoped to the clean/ and clean-errors/ prefixes of the data lake bucket: Firehose generates ' +
        'the object names, so a prefix wildcard is the narrowest resource possible.',
    });
    const logGroup = createLogGroup(this, 'Logs', 'clean-events-delivery', props.logGroups);
    const logStream = logGroup.addStream('S3Delivery', { logStreamName: 'S3Delivery' });
    logGroup.grantWrite(role);

    const byType = props.byEventType ?? true;
    const query = byType
      ? `{event_type: .${CLEAN_FIELDS.eventType}, dt: .${CLEAN_FIELDS.dt}, hour: .${CLEAN_FIELDS.hour}}`
      : `{dt: .${CLEAN_FIELDS.dt}, hour: .${CLEAN_FIELDS.hour}}`;
    const key = (name: string) => `${name}=!{partitionKeyFromQuery:${name}}/`;
    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'Resource', {
      deliveryStreamName: props.deliveryStreamName,
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: props.bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: `${DATA_LAKE_PREFIXES.clean}${byType ? key('event_type') : ''}${key('dt')}${key('hour')}`,
        errorOutputPrefix:
          `${DATA_LAKE_PREFIXES.cleanErrors}!{firehose:error-output-type}/` +
          'dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/',
        compressionFormat: 'GZIP',
        bufferingHints: { intervalInSeconds: interval, sizeInMBs: size },
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
        // Each record is one JSON line that already ends with a newline: no delimiter processor.
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'MetadataExtraction',
              parameters: [
                { parameterName: 'MetadataExtractionQuery', parameterValue: query },
                { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
              ],
            },
          ],
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    this.deliveryStream.node.addDependency(role);
    this.deliveryStreamArn = this.deliveryStream.attrArn;
  }
}
