import { Duration, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CLEAN_COLUMNS, CLEAN_FIELDS } from '../core/clean-events';
import { SettingError } from '../core/errors';
import { DATA_LAKE_PREFIXES, grantObjectEncryption } from './data-lake-bucket';
import type { CleanEventsDestination } from './delivery-role';
import type { WarehouseColumn } from './glue-columns';
import { createLogGroup, type LogGroupOptions } from './log-groups';
import { acknowledgeWildcardResources } from './nag-acknowledgements';
import { bufferingSeconds } from './validate';

/** Props of {@link IcebergDelivery}. */
export interface IcebergDeliveryProps {
  /** Name of the delivery stream (the processor puts its clean rows into it). */
  readonly deliveryStreamName: string;
  /** Bucket holding the Iceberg table's data and metadata (under `iceberg/`). */
  readonly bucket: s3.IBucket;
  /** Glue database of the table. */
  readonly databaseName: string;
  /**
   * Glue (Iceberg) table name: lowercase letters, digits and `_`.
   * @default 'events_iceberg'
   */
  readonly tableName?: string;
  /** Columns of the event's own fields (the `sf_` metadata columns are added). */
  readonly columns: readonly WarehouseColumn[];
  /**
   * Firehose flushes at least this often (0-900 s): the table's freshness.
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
 * The clean events in an Apache Iceberg table (Glue Data Catalog, format v2) through Firehose's Iceberg destination,
 * with `sf_uid` as its unique key and every record routed as an `update` (Firehose deletes the rows with the same key
 * and inserts the new one), so a row delivered twice is in the table once. Direct PUT: the processor writes it.
 */
export class IcebergDelivery extends Construct implements CleanEventsDestination {
  readonly deliveryStreamName: string;
  readonly deliveryStreamArn: string;
  readonly destination = 'iceberg' as const;
  /** Iceberg table name. */
  readonly tableName: string;

  constructor(scope: Construct, id: string, props: IcebergDeliveryProps) {
    super(scope, id);
    const interval = bufferingSeconds('bufferingInterval', props.bufferingInterval ?? Duration.seconds(60));
    const stack = Stack.of(this);
    this.deliveryStreamName = props.deliveryStreamName;
    this.tableName = props.tableName ?? 'events_iceberg';
    if (!/^[a-z0-9_]{1,255}$/.test(this.tableName)) {
      throw new SettingError('iceberg.tableName', this.tableName, 'lowercase letters, digits and _');
    }
    // The row's fields: the event's, the metadata, and the partition values (the table is not partitioned).
    const columns: WarehouseColumn[] = [
      ...props.columns,
      ...CLEAN_COLUMNS,
      { name: CLEAN_FIELDS.eventType, type: 'string' },
      { name: CLEAN_FIELDS.dt, type: 'string' },
      { name: CLEAN_FIELDS.hour, type: 'string' },
    ];
    const location = `s3://${props.bucket.bucketName}/${DATA_LAKE_PREFIXES.iceberg}${this.tableName}`;
    const table = new glue.CfnTable(this, 'Table', {
      catalogId: stack.account,
      databaseName: props.databaseName,
      openTableFormatInput: { icebergInput: { metadataOperation: 'CREATE', version: '2' } },
      tableInput: {
        name: this.tableName,
        description: 'Clean events, one row per sf_uid (Firehose upserts on the unique key)',
        tableType: 'EXTERNAL_TABLE',
        storageDescriptor: { location, columns: columns.map((c) => ({ name: c.name, type: c.type })) },
      },
    });

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Firehose ${props.deliveryStreamName}: write the clean events to the Iceberg table`,
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

    // Every record goes to this one table as an `update` on its unique key: insert, or replace the row delivered
    // before (a Lambda retry sends the same sf_uid again).
    const routeQuery =
      `{destinationDatabaseName: ${JSON.stringify(props.databaseName)}, ` +
      `destinationTableName: ${JSON.stringify(this.tableName)}, operation: "update"}`;
    const delivery = new firehose.CfnDeliveryStream(this, 'Resource', {
      deliveryStreamName: props.deliveryStreamName,
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      icebergDestinationConfiguration: {
        catalogConfiguration: { catalogArn },
        roleArn: role.roleArn,
        destinationTableConfigurationList: [
          {
            destinationDatabaseName: props.databaseName,
            destinationTableName: this.tableName,
            uniqueKeys: [CLEAN_FIELDS.uid],
          },
        ],
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'MetadataExtraction',
              parameters: [
                { parameterName: 'MetadataExtractionQuery', parameterValue: routeQuery },
                { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
              ],
            },
          ],
        },
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
    this.deliveryStreamArn = delivery.attrArn;
    acknowledgeWildcardResources(
      role,
      objects,
      'Object ARNs are scoped to the Iceberg table folder and the iceberg-errors/ prefix; Iceberg data and ' +
        'metadata file names are generated by the writer, so a prefix wildcard is the narrowest resource possible.',
    );
  }
}
