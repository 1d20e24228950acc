import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DATA_LAKE_PREFIXES, grantObjectEncryption } from './data-lake-bucket';
import { InvalidSettingError } from './errors';
import { type DeliverySource, firehoseSourceProps } from './firehose-source';
import type { WarehouseColumn } from './glue-columns';
import { createLogGroup, type LogGroupOptions } from './log-groups';
import { acknowledgeWildcardResources } from './nag-acknowledgements';

/** Props of {@link IcebergDelivery}. */
export interface IcebergDeliveryProps {
  /** Name of the delivery stream. */
  readonly deliveryStreamName: string;
  /** The stream (or MSK topic) to copy. */
  readonly source: DeliverySource;
  /** Bucket holding the Iceberg table's data and metadata (under `iceberg/`). */
  readonly bucket: s3.IBucket;
  /** Glue database of the table. */
  readonly databaseName: string;
  /**
   * Glue (Iceberg) table name.
   * @default 'events_iceberg'
   */
  readonly tableName?: string;
  /** Columns of the table. */
  readonly columns: readonly WarehouseColumn[];
  /**
   * Firehose flushes at least this often (0-900 s).
   * @default Duration.seconds(60)
   */
  readonly bufferingInterval?: Duration;
  /**
   * Log group of the delivery errors (`<namePrefix>iceberg-delivery`).
   * @default - a generated name, CloudWatch Logs' own encryption, RETAIN, one month
   */
  readonly logGroups?: LogGroupOptions;
}

/**
 * The warehouse destination: an Apache Iceberg table in the Glue Data Catalog (format v2) and a second Firehose
 * delivery stream from the same source that writes events into it (Firehose's Iceberg destination).
 */
export class IcebergDelivery extends Construct {
  /** Delivery stream name (dimension `DeliveryStreamName`). */
  readonly deliveryStreamName: string;
  /** Iceberg table name. */
  readonly tableName: string;

  constructor(scope: Construct, id: string, props: IcebergDeliveryProps) {
    super(scope, id);
    const interval = (props.bufferingInterval ?? Duration.seconds(60)).toSeconds({ integral: false });
    if (!Number.isInteger(interval) || interval < 0 || interval > 900) {
      throw new InvalidSettingError(
        'bufferingInterval',
        `${interval} seconds`,
        'a whole number of seconds from 0 to 900',
      );
    }
    const stack = Stack.of(this);
    this.deliveryStreamName = props.deliveryStreamName;
    this.tableName = props.tableName ?? 'events_iceberg';
    const location = `s3://${props.bucket.bucketName}/${DATA_LAKE_PREFIXES.iceberg}${this.tableName}`;
    const table = new glue.CfnTable(this, 'Table', {
      catalogId: stack.account,
      databaseName: props.databaseName,
      openTableFormatInput: { icebergInput: { metadataOperation: 'CREATE', version: '2' } },
      tableInput: {
        name: this.tableName,
        tableType: 'EXTERNAL_TABLE',
        storageDescriptor: { location, columns: props.columns.map((c) => ({ name: c.name, type: c.type })) },
      },
    });

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Firehose ${props.deliveryStreamName}: read the source, write the Iceberg table`,
    });
    const catalogArn = stack.formatArn({ service: 'glue', resource: 'catalog' });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetTable', 'glue:GetDatabase', 'glue:UpdateTable'],
        resources: [
          catalogArn,
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.databaseName }),
          stack.formatArn({
            service: 'glue',
            resource: 'table',
            resourceName: `${props.databaseName}/${this.tableName}`,
          }),
        ],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [props.bucket.bucketArn],
      }),
    );
    const objects = [
      props.bucket.arnForObjects(`${DATA_LAKE_PREFIXES.iceberg}${this.tableName}/*`),
      props.bucket.arnForObjects(`${DATA_LAKE_PREFIXES.icebergErrors}*`),
    ];
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: objects,
      }),
    );
    grantObjectEncryption(props.bucket, role);
    const logGroup = createLogGroup(this, 'Logs', 'iceberg-delivery', props.logGroups);
    const logStream = logGroup.addStream('IcebergDelivery', { logStreamName: 'IcebergDelivery' });
    logGroup.grantWrite(role);

    const delivery = new firehose.CfnDeliveryStream(this, 'Resource', {
      deliveryStreamName: props.deliveryStreamName,
      ...firehoseSourceProps(props.source, role),
      icebergDestinationConfiguration: {
        catalogConfiguration: { catalogArn },
        roleArn: role.roleArn,
        destinationTableConfigurationList: [
          { destinationDatabaseName: props.databaseName, destinationTableName: this.tableName },
        ],
        bufferingHints: { intervalInSeconds: interval, sizeInMBs: 64 },
        s3Configuration: {
          bucketArn: props.bucket.bucketArn,
          roleArn: role.roleArn,
          errorOutputPrefix: DATA_LAKE_PREFIXES.icebergErrors,
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    delivery.node.addDependency(role);
    delivery.node.addDependency(table);
    Validations.of(delivery).acknowledge({
      id: 'AwsSolutions-KDF1',
      reason:
        'Firehose does not allow server-side encryption on a delivery stream whose source is a Kinesis stream or MSK ' +
        'topic; the source is encrypted, and the table files are encrypted at rest by the bucket (SSE-KMS with the ' +
        'stack key, or SSE-S3).',
    });
    acknowledgeWildcardResources(
      role,
      objects,
      'Object ARNs are scoped to the Iceberg table folder and the iceberg-errors/ prefix; Iceberg data and ' +
        'metadata file names are generated by the writer, so a prefix wildcard is the narrowest resource possible.',
    );
  }
}
