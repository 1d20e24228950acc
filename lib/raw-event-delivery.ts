import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SettingError } from '../core/errors';
import { DATA_LAKE_PREFIXES, grantObjectEncryption } from './data-lake-bucket';
import { EVENT_TYPE_FIELD, eventTypeQuery, MAX_EVENT_TYPES } from './event-type-partitions';
import { type DeliverySource, firehoseSourceProps } from './firehose-source';
import { createLogGroup, type LogGroupOptions } from './log-groups';
import { acknowledgeWildcardResources } from './nag-acknowledgements';
import { bufferingSeconds, checkInteger } from './validate';

/** Props of {@link RawEventDelivery}. */
export interface RawEventDeliveryProps {
  /** Name of the delivery stream. */
  readonly deliveryStreamName: string;
  /** The stream (or MSK topic) to copy. */
  readonly source: DeliverySource;
  /** The data lake bucket. */
  readonly bucket: s3.IBucket;
  /**
   * Top-level JSON field whose value partitions the events (`event_type=` in the prefix), or `false` to partition by
   * arrival date and hour only (`raw/dt=/hour=/`).
   * @default 'type'
   */
  readonly eventTypeField?: string | false;
  /**
   * The values of `eventTypeField` that get a partition of their own (at most 100; `eventTypesFromSchema` derives them
   * from the pipeline schema's enum). Any other value, a missing field or a non-string lands in `event_type=other`,
   * so producers cannot create unbounded Firehose partitions.
   * @default [] - every event lands in `event_type=other`
   */
  readonly eventTypes?: readonly string[];
  /**
   * Log group of the delivery errors (`<namePrefix>raw-events-delivery`).
   * @default - a generated name, CloudWatch Logs' own encryption, RETAIN, one month
   */
  readonly logGroups?: LogGroupOptions;
  /**
   * Firehose flushes at least this often (0-900 s): the data lake's freshness.
   * @default Duration.seconds(60)
   */
  readonly bufferingInterval?: Duration;
  /**
   * ...or when this many MiB are buffered (64-128 with dynamic partitioning).
   * @default 64
   */
  readonly bufferingSizeMiB?: number;
}

/**
 * The RAW stream into the data lake, for forensics (the clean events are the processor's, see CleanEventDelivery):
 * Firehose reading the stream as its own consumer, into `raw/` with dynamic partitioning by event type (JQ metadata
 * extraction, values bounded to `eventTypes` plus `other`) and arrival date/hour, or by date/hour only;
 * newline-delimited, GZIP, an error prefix, CloudWatch error logging. Duplicates and invalid records included.
 */
export class RawEventDelivery extends Construct {
  /** Delivery stream name (dimension `DeliveryStreamName` of its metrics). */
  readonly deliveryStreamName: string;
  /** The delivery stream. */
  readonly deliveryStream: firehose.CfnDeliveryStream;

  constructor(scope: Construct, id: string, props: RawEventDeliveryProps) {
    super(scope, id);
    const field = props.eventTypeField ?? 'type';
    if (field !== false && !EVENT_TYPE_FIELD.test(field)) {
      throw new SettingError('eventTypeField', field, 'a top-level field name (letters, digits, _), or false');
    }
    const eventTypes = props.eventTypes ?? [];
    if (eventTypes.length > MAX_EVENT_TYPES || eventTypes.some((t) => typeof t !== 'string')) {
      throw new SettingError('eventTypes', eventTypes, `at most ${MAX_EVENT_TYPES} strings`);
    }
    const interval = bufferingSeconds('bufferingInterval', props.bufferingInterval ?? Duration.seconds(60));
    const size = checkInteger(
      'bufferingSizeMiB',
      props.bufferingSizeMiB ?? 64,
      64,
      128,
      'an integer from 64 to 128 (dynamic partitioning)',
    );
    this.deliveryStreamName = props.deliveryStreamName;

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `Firehose ${props.deliveryStreamName}: read the source, write the data lake`,
    });
    const logGroup = createLogGroup(this, 'Logs', 'raw-events-delivery', props.logGroups);
    const logStream = logGroup.addStream('S3Delivery', { logStreamName: 'S3Delivery' });
    logGroup.grantWrite(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [props.bucket.bucketArn],
      }),
    );
    const objects = [
      props.bucket.arnForObjects(`${DATA_LAKE_PREFIXES.raw}*`),
      props.bucket.arnForObjects(`${DATA_LAKE_PREFIXES.errors}*`),
    ];
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
        resources: objects,
      }),
    );
    grantObjectEncryption(props.bucket, role);

    const time = 'dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/';
    const delimiter = {
      type: 'AppendDelimiterToRecord',
      parameters: [{ parameterName: 'Delimiter', parameterValue: '\\n' }],
    };
    const partitioning =
      field === false
        ? { prefix: `${DATA_LAKE_PREFIXES.raw}${time}`, processors: [delimiter] }
        : {
            prefix: `${DATA_LAKE_PREFIXES.raw}event_type=!{partitionKeyFromQuery:event_type}/${time}`,
            dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
            processors: [
              {
                type: 'MetadataExtraction',
                parameters: [
                  { parameterName: 'MetadataExtractionQuery', parameterValue: eventTypeQuery(field, eventTypes) },
                  { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
                ],
              },
              delimiter,
            ],
          };
    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'Resource', {
      deliveryStreamName: props.deliveryStreamName,
      ...firehoseSourceProps(props.source, role),
      extendedS3DestinationConfiguration: {
        bucketArn: props.bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: partitioning.prefix,
        errorOutputPrefix: `${DATA_LAKE_PREFIXES.errors}!{firehose:error-output-type}/${time}`,
        compressionFormat: 'GZIP',
        bufferingHints: { intervalInSeconds: interval, sizeInMBs: size },
        dynamicPartitioningConfiguration: partitioning.dynamicPartitioningConfiguration,
        processingConfiguration: { enabled: true, processors: partitioning.processors },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    this.deliveryStream.node.addDependency(role);
    Validations.of(this.deliveryStream).acknowledge({
      id: 'AwsSolutions-KDF1',
      reason:
        'Firehose does not allow server-side encryption on a delivery stream whose source is a Kinesis stream or MSK ' +
        'topic; the source stream is encrypted, and objects are encrypted at rest by the bucket (SSE-KMS with the ' +
        'stack key, or SSE-S3).',
    });
    acknowledgeWildcardResources(
      role,
      [objects[0]!, objects[1]!],
      'Object ARNs are scoped to the raw/ and errors/ prefixes of the data lake bucket: Firehose generates ' +
        'the object names, so a prefix wildcard is the narrowest resource possible.',
    );
  }
}
