import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DATA_LAKE_PREFIXES } from './data-lake-bucket';
import { InvalidSettingError } from './errors';
import { OTHER_EVENT_TYPE, partitionValueOf } from './event-type-partitions';
import type { WarehouseColumn } from './glue-columns';

/** Partition columns of the raw events table (and key names in the S3 prefix). */
export const EVENT_PARTITIONS = ['event_type', 'dt', 'hour'] as const;

/** Props of {@link DataLakeCatalog}. */
export interface DataLakeCatalogProps {
  /** Pipeline name; the Glue database is its name with `-` replaced by `_`. */
  readonly pipelineName: string;
  /** The data lake bucket. */
  readonly bucket: s3.IBucket;
  /** Columns of the raw events table (see `columnsFromSchema`). */
  readonly columns: readonly WarehouseColumn[];
  /**
   * First day partition projection offers for `dt` (yyyy-MM-dd).
   * @default '2025-01-01'
   */
  readonly projectionStartDate?: string;
  /**
   * Athena stops a query of this workgroup after scanning this many bytes.
   * @default 10 GiB
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * The event types the raw-event delivery partitions by (see `RawEventDelivery.eventTypes`): `event_type` is then
   * projected as an enum of their partition values plus `other`, so queries need not name it. `false`: the delivery
   * does not partition by type, and the table has only `dt` and `hour`.
   * @default - `event_type` is an injected projection (queries must give it in the WHERE clause)
   */
  readonly eventTypes?: readonly string[] | false;
  /**
   * Create the `events` table over the raw events (false when nothing delivers raw events, e.g. MSK Serverless).
   * @default true
   */
  readonly rawEvents?: boolean;
  /**
   * Key encrypting the Athena query results (SSE-KMS).
   * @default - SSE-S3
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Makes the data lake queryable: a Glue database, a JSON table over the raw events with partition projection
 * (`event_type` unless the delivery does not partition by type, `dt`, `hour`: no crawler, no MSCK REPAIR), and an
 * Athena workgroup writing encrypted results to the bucket.
 */
export class DataLakeCatalog extends Construct {
  /** Glue database name. */
  readonly databaseName: string;
  /** Glue table of the raw events; undefined with `rawEvents: false`. */
  readonly eventsTableName?: string;
  /** Athena workgroup name. */
  readonly workGroupName: string;

  constructor(scope: Construct, id: string, props: DataLakeCatalogProps) {
    super(scope, id);
    const start = props.projectionStartDate ?? '2025-01-01';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(start) || Number.isNaN(Date.parse(start))) {
      throw new InvalidSettingError('projectionStartDate', start, 'a date as yyyy-MM-dd');
    }
    const clash = props.columns.find((c) => (EVENT_PARTITIONS as readonly string[]).includes(c.name));
    if (clash) {
      throw new InvalidSettingError(
        'columns',
        clash.name,
        `no column named like a partition (${EVENT_PARTITIONS.join(', ')})`,
      );
    }
    const stack = Stack.of(this);
    this.databaseName = props.pipelineName.replace(/-/g, '_');
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: this.databaseName, description: `streamfold pipeline ${props.pipelineName}` },
    });
    if (props.rawEvents ?? true) {
      const name = 'events';
      this.eventsTableName = name;
      const location = `s3://${props.bucket.bucketName}/${DATA_LAKE_PREFIXES.events}`;
      const byType = props.eventTypes !== false;
      const partitions = EVENT_PARTITIONS.filter((p) => byType || p !== 'event_type');
      const typeProjection: Record<string, string> =
        props.eventTypes === undefined
          ? { 'projection.event_type.type': 'injected' }
          : props.eventTypes === false
            ? {}
            : {
                'projection.event_type.type': 'enum',
                'projection.event_type.values': [
                  ...new Set([...props.eventTypes.map(partitionValueOf), OTHER_EVENT_TYPE]),
                ].join(','),
              };
      const table = new glue.CfnTable(this, 'EventsTable', {
        catalogId: stack.account,
        databaseName: this.databaseName,
        tableInput: {
          name,
          description: 'Raw events as delivered by Firehose (GZIP JSON lines)',
          tableType: 'EXTERNAL_TABLE',
          parameters: {
            classification: 'json',
            compressionType: 'gzip',
            'projection.enabled': 'true',
            ...typeProjection,
            'projection.dt.type': 'date',
            'projection.dt.format': 'yyyy-MM-dd',
            'projection.dt.range': `${start},NOW`,
            'projection.dt.interval': '1',
            'projection.dt.interval.unit': 'DAYS',
            'projection.hour.type': 'integer',
            'projection.hour.range': '0,23',
            'projection.hour.digits': '2',
            'storage.location.template': `${location}${byType ? `event_type=\${event_type}/` : ''}dt=\${dt}/hour=\${hour}/`,
          },
          partitionKeys: partitions.map((name) => ({ name, type: 'string' })),
          storageDescriptor: {
            location,
            columns: props.columns.map((c) => ({ name: c.name, type: c.type })),
            inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
            serdeInfo: {
              serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
              parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true' },
            },
          },
        },
      });
      table.node.addDependency(database);
    }

    const cutoff = props.bytesScannedCutoffPerQuery ?? 10 * 1024 ** 3;
    if (!Number.isInteger(cutoff) || cutoff < 10_000_000) {
      throw new InvalidSettingError('bytesScannedCutoffPerQuery', cutoff, 'an integer of at least 10000000 bytes');
    }
    this.workGroupName = `streamfold-${props.pipelineName}`;
    new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: `Queries over the ${props.pipelineName} data lake`,
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${props.bucket.bucketName}/${DATA_LAKE_PREFIXES.athenaResults}`,
          encryptionConfiguration: props.encryptionKey
            ? { encryptionOption: 'SSE_KMS', kmsKey: props.encryptionKey.keyArn }
            : { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }
}
