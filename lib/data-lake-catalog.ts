import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CLEAN_COLUMNS, CLEAN_DEDUPE_ORDER, CLEAN_FIELDS, CLEAN_PARTITIONS } from '../core/clean-events';
import { SettingError } from '../core/errors';
import { OTHER_EVENT_TYPE, partitionValueOf } from '../core/event-types';
import { DATA_LAKE_PREFIXES } from './data-lake-bucket';
import type { WarehouseColumn } from './glue-columns';
import { checkInteger } from './validate';

/** Partition columns of the events tables (and key names in the S3 prefixes). */
export const EVENT_PARTITIONS = CLEAN_PARTITIONS;

/** Names of the data lake's event tables. */
export const EVENT_TABLES = {
  /** Athena view: each valid event once (one row per `sf_uid`). */
  events: 'events',
  /** Glue table of every clean row as delivered (at-least-once). */
  eventsLog: 'events_log',
  /** Glue table of the raw stream (forensics; with `rawEvents`). */
  rawEvents: 'raw_events',
} as const;

/** Props of {@link DataLakeCatalog}. */
export interface DataLakeCatalogProps {
  /** Pipeline name; the Glue database is its name with `-` replaced by `_`. */
  readonly pipelineName: string;
  /** The data lake bucket. */
  readonly bucket: s3.IBucket;
  /** Columns of the event's own fields (see `columnsFromSchema`). */
  readonly columns: readonly WarehouseColumn[];
  /**
   * First day partition projection offers for `dt` (yyyy-MM-dd). The clean events are partitioned by EVENT time: an
   * event older than this day is in S3 but outside the projection (lower it, or widen `projection.dt.range` later).
   * @default '2025-01-01'
   */
  readonly projectionStartDate?: string;
  /**
   * Athena stops a query of this workgroup after scanning this many bytes.
   * @default 10 GiB
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * The event types the lake is partitioned by (their partition values plus `other` are projected, so queries need
   * not name `event_type`). `false`: not partitioned by type; the tables have only `dt` and `hour`.
   * @default - `event_type` is an injected projection (queries must give it in the WHERE clause)
   */
  readonly eventTypes?: readonly string[] | false;
  /**
   * Create the `raw_events` table over the raw delivery's `raw/` (forensics).
   * @default false
   */
  readonly rawEvents?: boolean;
  /**
   * Key encrypting the Athena query results (SSE-KMS).
   * @default - SSE-S3
   */
  readonly encryptionKey?: kms.IKey;
}

const PRESTO_TYPES: Record<string, string> = {
  string: 'varchar',
  bigint: 'bigint',
  double: 'double',
  boolean: 'boolean',
};

/**
 * Makes the data lake queryable: a Glue database; `events_log`, a JSON table over the clean events with partition
 * projection (no crawler, no MSCK REPAIR); `events`, an Athena view keeping one row per `sf_uid` (the first to
 * arrive); optionally `raw_events` over the raw delivery; and an Athena workgroup writing encrypted results.
 */
export class DataLakeCatalog extends Construct {
  /** Glue database name. */
  readonly databaseName: string;
  /** The Athena view of the clean events, each once. */
  readonly eventsViewName: string = EVENT_TABLES.events;
  /** The Glue table of every delivered clean row. */
  readonly eventsLogTableName: string = EVENT_TABLES.eventsLog;
  /** Glue table of the raw events; undefined without `rawEvents`. */
  readonly rawEventsTableName?: string;
  /** The SQL of the `events` view. */
  readonly eventsViewSql: string;
  /** Athena workgroup name. */
  readonly workGroupName: string;

  constructor(scope: Construct, id: string, props: DataLakeCatalogProps) {
    super(scope, id);
    const start = props.projectionStartDate ?? '2025-01-01';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(start) || Number.isNaN(Date.parse(start))) {
      throw new SettingError('projectionStartDate', start, 'a date as yyyy-MM-dd');
    }
    const reserved = new Set<string>([...EVENT_PARTITIONS, ...Object.values(CLEAN_FIELDS)]);
    const clash = props.columns.find((c) => reserved.has(c.name) || c.name.startsWith('sf_'));
    if (clash) {
      throw new SettingError(
        'columns',
        clash.name,
        `no column named like a partition (${EVENT_PARTITIONS.join(', ')}) or starting with sf_ (streamfold's ` +
          'metadata columns)',
      );
    }
    const stack = Stack.of(this);
    this.databaseName = props.pipelineName.replace(/-/g, '_');
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: this.databaseName, description: `streamfold pipeline ${props.pipelineName}` },
    });
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
    const jsonTable = (
      logicalId: string,
      name: string,
      prefix: string,
      description: string,
      columns: readonly WarehouseColumn[],
    ) => {
      const location = `s3://${props.bucket.bucketName}/${prefix}`;
      const table = new glue.CfnTable(this, logicalId, {
        catalogId: stack.account,
        databaseName: this.databaseName,
        tableInput: {
          name,
          description,
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
          partitionKeys: partitions.map((p) => ({ name: p, type: 'string' })),
          storageDescriptor: {
            location,
            columns: columns.map((c) => ({ name: c.name, type: c.type })),
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
      return table;
    };

    const cleanColumns = [...props.columns, ...CLEAN_COLUMNS];
    const log = jsonTable(
      'EventsLogTable',
      EVENT_TABLES.eventsLog,
      DATA_LAKE_PREFIXES.clean,
      'Clean events as delivered (every valid record, at-least-once; GZIP JSON lines by event time): query the ' +
        'events view, which shows each once',
      cleanColumns,
    );

    // The view: one row per sf_uid, the first to arrive. Rows of one sf_uid share their event hour, so the window is
    // partitioned by dt and hour too: that changes nothing, but lets Athena push a dt/hour filter into the scan.
    const viewColumns = [...cleanColumns, ...partitions.map((p) => ({ name: p, type: 'string' }))];
    const list = viewColumns.map((c) => `"${c.name}"`).join(', ');
    this.eventsViewSql =
      `SELECT ${list} FROM (SELECT *, row_number() OVER (PARTITION BY dt, hour, ${CLEAN_FIELDS.uid} ORDER BY ` +
      `${CLEAN_DEDUPE_ORDER}) AS sf_rank FROM "${this.databaseName}"."${EVENT_TABLES.eventsLog}") WHERE sf_rank = 1`;
    // Athena views live in Glue as VIRTUAL_VIEW tables whose original text is the base64 "Presto view" JSON.
    const presto = {
      originalSql: this.eventsViewSql,
      catalog: 'awsdatacatalog',
      schema: this.databaseName,
      columns: viewColumns.map((c) => ({ name: c.name, type: PRESTO_TYPES[c.type] ?? 'varchar' })),
    };
    const view = new glue.CfnTable(this, 'EventsView', {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: EVENT_TABLES.events,
        description: 'Clean events, each valid event once (one row per sf_uid, the first to arrive)',
        tableType: 'VIRTUAL_VIEW',
        parameters: { presto_view: 'true', comment: 'Presto View' },
        viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(presto)).toString('base64')} */`,
        viewExpandedText: '/* Presto View */',
        storageDescriptor: {
          columns: viewColumns.map((c) => ({ name: c.name, type: c.type })),
          serdeInfo: {},
        },
      },
    });
    view.node.addDependency(log);

    if (props.rawEvents ?? false) {
      this.rawEventsTableName = EVENT_TABLES.rawEvents;
      jsonTable(
        'RawEventsTable',
        EVENT_TABLES.rawEvents,
        DATA_LAKE_PREFIXES.raw,
        'Raw events as the stream carried them (forensics: duplicates and invalid records included; GZIP JSON lines ' +
          'by arrival time)',
        props.columns,
      );
    }

    const cutoff = checkInteger(
      'bytesScannedCutoffPerQuery',
      props.bytesScannedCutoffPerQuery ?? 10 * 1024 ** 3,
      10_000_000,
      Number.POSITIVE_INFINITY,
      'an integer of at least 10000000 bytes',
    );
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
