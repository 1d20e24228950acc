import { existsSync } from 'node:fs';
import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { cleanDeliveryStreamNameOf } from '../core/clean-events';
import { rawDeliveryStreamNameOf } from '../core/contract';
import type { Pipeline } from '../core/definition';
import type { DeploySettings } from '../core/deploy-settings';
import { SettingError } from '../core/errors';
import { type ResourceNames, resourceNames } from '../core/names';
import { type AlarmThresholds, DEFAULT_ALARM_THRESHOLDS } from './alarm-thresholds';
import { CleanEventDelivery } from './clean-event-delivery';
import { DataLakeBucket } from './data-lake-bucket';
import { DataLakeCatalog } from './data-lake-catalog';
import { checkDefinitionLock, definitionLockPath } from './definition-check';
import type { CleanEventsDestination } from './delivery-role';
import { Emission, validateEmissionSettings } from './emission';
import { monitorEmission } from './emission-monitoring';
import { EventSchemaRegistry } from './event-schema-registry';
import { eventTypesFromSchema } from './event-type-partitions';
import { type DeliverySource, firehoseMskClusterPolicy } from './firehose-source';
import { columnsFromSchema, type WarehouseColumn } from './glue-columns';
import { IcebergDelivery } from './iceberg-delivery';
import { KinesisIngestion, type KinesisStreamMode } from './kinesis-ingestion';
import { allowLogGroupsToUseKey, type LogGroupOptions } from './log-groups';
import { MskIngestion } from './msk-ingestion';
import { type MonitoredDelivery, PipelineMonitoring } from './pipeline-monitoring';
import { type MskPollers, PipelineProcessor, validateProcessorSettings } from './pipeline-processor';
import type { PipelineModule } from './processor-entry';
import { RawEventDelivery } from './raw-event-delivery';
import { RedshiftDelivery, type RedshiftSettings } from './redshift-delivery';
import { SideOutputQueues } from './side-output-queues';
import { SnowflakeDelivery, type SnowflakeSettings } from './snowflake-delivery';
import { StateTables } from './state-tables';
import { TimestreamSink } from './timestream-sink';

/** Event source of a pipeline. */
export type IngestionKind = 'kinesis' | 'msk';
/** Warehouse the clean events also go to, besides the S3 data lake (which always has them). */
export type WarehouseKind = 'none' | 'iceberg' | 'redshift' | 'snowflake';

const INGESTION: readonly IngestionKind[] = ['kinesis', 'msk'];
const WAREHOUSES: readonly WarehouseKind[] = ['none', 'iceberg', 'redshift', 'snowflake'];
/** Freshness alarm slack over the buffering interval when the threshold is left at its default. */
const FRESHNESS_SLACK_SECONDS = 60;

/**
 * Props of {@link StreamfoldPipeline}. Every setting left undefined is taken from the pipeline definition's `deploy`
 * section (same name, see `DeploySettings`), else it keeps the default documented here.
 */
export interface StreamfoldPipelineProps {
  /** The pipeline definition. */
  readonly pipeline: Pipeline;
  /** The module exporting the same pipeline: bundled into the processor, the emitter and the closer. */
  readonly definition: PipelineModule;
  /**
   * The definition lock file the pipeline is checked against at synth (README "Changing a pipeline"): synth fails
   * when it is missing or when the definition changed incompatibly (not declared, not accepted). `false` skips the
   * check (tests, or a pipeline checked elsewhere).
   * @default - the lock beside the definition module: `<definition file name>.lock.json`
   */
  readonly definitionLock?: string | false;
  /**
   * Resource names, to override the defaults shared with the local runtime.
   * @default - `resourceNames(pipeline)`
   */
  readonly names?: Partial<ResourceNames>;
  /**
   * Event source.
   * @default 'kinesis'
   */
  readonly ingestion?: IngestionKind;
  /**
   * Kinesis capacity mode.
   * @default 'on-demand'
   */
  readonly streamMode?: KinesisStreamMode;
  /**
   * Shards of a provisioned stream.
   * @default 1
   */
  readonly shardCount?: number;
  /**
   * Kinesis retention.
   * @default Duration.hours(24)
   */
  readonly streamRetention?: Duration;
  /**
   * Read the stream through an enhanced fan-out consumer.
   * @default false
   */
  readonly enhancedFanOut?: boolean;
  /**
   * Existing MSK cluster (IAM auth) to read instead of creating an MSK Serverless cluster.
   * @default - an MSK Serverless cluster is created (with `ingestion: 'msk'`)
   */
  readonly mskClusterArn?: string;
  /**
   * MSK topic.
   * @default - the stream name, `<pipeline>-events`
   */
  readonly mskTopic?: string;
  /**
   * Partitions of the created MSK topic.
   * @default 6
   */
  readonly mskPartitions?: number;
  /**
   * VPC of the created MSK Serverless cluster.
   * @default - a new VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Event pollers of the MSK event source mapping (minimum 1-200, maximum 1-2000), which always runs in provisioned
   * mode: only there do retries, maximum record age, bisect on error and partial batch responses apply to a Kafka
   * source. Billed per event poller unit-hour, the minimum ones included. Only with `ingestion: 'msk'`.
   * @default - { minimum: 1, maximum: 10 }
   */
  readonly mskPollers?: MskPollers;
  /**
   * Who may assume the producer role, whose only permissions are the producer managed policy (write the stream or
   * topic). Give the role or user your producers run as, or another account.
   * @default - no producer role: attach the producer managed policy (output `ProducerPolicyArn`) to your producers
   */
  readonly producerPrincipal?: iam.IPrincipal;
  /**
   * Records per processor invocation (1-10000); synth warns when `batchSize` records of `expectedRecordBytes` could
   * exceed Lambda's 6 MB payload.
   * @default 500
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers records before invoking the processor (0-300 s).
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Concurrent batches per Kinesis shard (1-10); above 1 only when the aggregation key is the partition key (synth
   * fails otherwise), and 1 with MSK.
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * Retries of a failing batch (0-10000) before its range goes to the failed queue; never infinite.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this go to the failed queue instead of being processed (60 s to 7 days).
   * @default Duration.hours(6)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Where a new event source mapping starts reading.
   * @default lambda.StartingPosition.TRIM_HORIZON
   */
  readonly startingPosition?: lambda.StartingPosition;
  /**
   * Typical record size, bytes: used to warn when `batchSize` records could exceed the 6 MB payload limit.
   * @default 1024
   */
  readonly expectedRecordBytes?: number;
  /**
   * Processor memory, MB (128-10240; also buys CPU).
   * @default 1024
   */
  readonly processorMemoryMb?: number;
  /**
   * Processor timeout (1-900 s).
   * @default Duration.minutes(1)
   */
  readonly processorTimeout?: Duration;
  /**
   * Top-level event field partitioning the data lake (`event_type=` before the clean events' event-time `dt=/hour=`,
   * and the raw events' arrival-time ones). Its schema must be an enum of strings (at most 100): each value gets a
   * partition, any other value lands in `event_type=other`, so producers cannot create unbounded Firehose
   * partitions. `false` partitions by date and hour only. Synth fails when the field has no enum.
   * @default 'type'
   */
  readonly eventTypeField?: string | false;
  /**
   * Also copy the RAW stream into the data lake (`raw/`, table `raw_events`) with a Firehose reading the stream, for
   * forensics: duplicates and invalid records included, partitioned by arrival time. Analysts query the clean events
   * (`events`), which the processor delivers whatever this says. With a created MSK Serverless cluster it cannot:
   * Firehose reads MSK only over multi-VPC private connectivity, which MSK Serverless does not offer (synth fails if
   * this is `true` there). With an existing cluster (`mskClusterArn`), the cluster must have multi-VPC private
   * connectivity for IAM and the cluster policy of the `MskClusterPolicy` output.
   * @default false
   */
  readonly rawEventDelivery?: boolean;
  /**
   * Firehose buffering interval (freshness of the data lake).
   * @default Duration.seconds(60)
   */
  readonly deliveryBufferingInterval?: Duration;
  /**
   * Firehose buffering size, MiB (64-128).
   * @default 64
   */
  readonly deliveryBufferingSizeMiB?: number;
  /**
   * Warehouse columns.
   * @default - derived from the pipeline's schema (its JSON Schema)
   */
  readonly columns?: readonly WarehouseColumn[];
  /**
   * Where the clean events also go, besides the data lake's `events` view: `'iceberg'` (an Apache Iceberg table with
   * `sf_uid` as unique key), `'snowflake'` (Firehose's Snowflake destination; needs `snowflake`) or `'redshift'`
   * (Firehose's Redshift destination; needs `redshift`). Each is a second Direct PUT Firehose the processor writes.
   * @default 'none'
   */
  readonly warehouse?: WarehouseKind;
  /**
   * The Snowflake destination (required with `warehouse: 'snowflake'`, refused otherwise).
   * @default - none
   */
  readonly snowflake?: SnowflakeSettings;
  /**
   * The Redshift destination (required with `warehouse: 'redshift'`, refused otherwise).
   * @default - none
   */
  readonly redshift?: RedshiftSettings;
  /**
   * Create the optional Timestream for LiveAnalytics sink for window results. Off by default: Timestream for
   * LiveAnalytics is closed to new customers since 2025-06-20.
   * @default false
   */
  readonly timestream?: boolean;
  /**
   * Also send the alerts to a new EventBridge bus (`<pipeline>-alerts`), besides the SNS alerts topic.
   * @default false
   */
  readonly alertsEventBus?: boolean;
  /**
   * Register the event schema in the AWS Glue Schema Registry (JSON Schema, with the lock file's compatibility
   * mode), so producers in other languages validate against it.
   * @default false
   */
  readonly schemaRegistry?: boolean;
  /**
   * Persist final window results in the state table for state queries (one write unit per result).
   * @default false
   */
  readonly persistResults?: boolean;
  /**
   * How often the closer runs to finalize windows when traffic stops (whole minutes, 1-60).
   * @default Duration.minutes(1)
   */
  readonly closerInterval?: Duration;
  /**
   * A source (shard or partition) whose checkpoint is older than this is idle and no longer holds the watermark
   * back (1 s to 1 day).
   * @default Duration.minutes(1)
   */
  readonly idleTimeout?: Duration;
  /**
   * Email subscribed to the alarm topic.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Alarm thresholds.
   * @default - see DEFAULT_ALARM_THRESHOLDS
   */
  readonly alarmThresholds?: AlarmThresholds;
  /**
   * Removal policy of the stateful resources (stream, tables, queues, buckets, key, Timestream).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Settings of {@link StreamfoldPipelineProps} that a definition's `deploy` section or cdk.json context can set. */
export type DeploySettingsProps = Pick<
  StreamfoldPipelineProps,
  | 'ingestion'
  | 'streamMode'
  | 'shardCount'
  | 'streamRetention'
  | 'enhancedFanOut'
  | 'mskClusterArn'
  | 'mskTopic'
  | 'mskPartitions'
  | 'mskPollers'
  | 'producerPrincipal'
  | 'batchSize'
  | 'maxBatchingWindow'
  | 'parallelizationFactor'
  | 'retryAttempts'
  | 'maxRecordAge'
  | 'expectedRecordBytes'
  | 'processorMemoryMb'
  | 'eventTypeField'
  | 'rawEventDelivery'
  | 'deliveryBufferingInterval'
  | 'deliveryBufferingSizeMiB'
  | 'warehouse'
  | 'snowflake'
  | 'redshift'
  | 'timestream'
  | 'alertsEventBus'
  | 'schemaRegistry'
  | 'persistResults'
  | 'closerInterval'
  | 'idleTimeout'
  | 'alarmEmail'
  | 'alarmThresholds'
  | 'removalPolicy'
>;

const hours = (n: number | undefined) => (n === undefined ? undefined : Duration.hours(n));
const seconds = (n: number | undefined) => (n === undefined ? undefined : Duration.seconds(n));
const minutes = (n: number | undefined) => (n === undefined ? undefined : Duration.minutes(n));

/** `value` without its undefined fields, or undefined when it has none. */
function definedFields<T extends object>(value: T | undefined): T | undefined {
  if (value === undefined) return undefined;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as T);
}

/**
 * The construct props for validated deploy settings (a definition's `deploy` section, or cdk.json context read by
 * `settingsFromContext`): amounts become `Duration`s, `removalPolicy` a `RemovalPolicy`, `producerPrincipalArn` an
 * `ArnPrincipal`, the MSK pollers `mskPollers`, the `snowflake*` and `redshift*` settings the `snowflake` and
 * `redshift` destinations (when any of them is set: the construct checks that the required ones are). Unset settings
 * stay undefined.
 */
export function propsFromDeploySettings(settings: DeploySettings): DeploySettingsProps {
  const s = settings;
  return {
    ingestion: s.ingestion,
    streamMode: s.streamMode,
    shardCount: s.shardCount,
    streamRetention: hours(s.streamRetentionHours),
    enhancedFanOut: s.enhancedFanOut,
    mskClusterArn: s.mskClusterArn,
    mskTopic: s.mskTopic,
    mskPartitions: s.mskPartitions,
    mskPollers: definedFields({ minimum: s.mskMinPollers, maximum: s.mskMaxPollers }),
    producerPrincipal: s.producerPrincipalArn === undefined ? undefined : new iam.ArnPrincipal(s.producerPrincipalArn),
    batchSize: s.batchSize,
    maxBatchingWindow: seconds(s.batchingWindowSeconds),
    parallelizationFactor: s.parallelizationFactor,
    retryAttempts: s.retryAttempts,
    maxRecordAge: seconds(s.maxRecordAgeSeconds),
    expectedRecordBytes: s.expectedRecordBytes,
    processorMemoryMb: s.processorMemoryMb,
    eventTypeField: s.eventTypeField,
    rawEventDelivery: s.rawEventDelivery,
    deliveryBufferingInterval: seconds(s.deliveryBufferSeconds),
    deliveryBufferingSizeMiB: s.deliveryBufferMiB,
    warehouse: s.warehouse,
    // The destinations' own checks name the setting of a missing or bad field (e.g. `snowflake.secretArn (context
    // snowflakeSecretArn)`), so a partial one is passed on as it is.
    snowflake: definedFields({
      accountUrl: s.snowflakeAccountUrl,
      secretArn: s.snowflakeSecretArn,
      database: s.snowflakeDatabase,
      schema: s.snowflakeSchema,
      table: s.snowflakeTable,
      role: s.snowflakeRole,
      contentColumn: s.snowflakeContentColumn,
    } as SnowflakeSettings),
    redshift: definedFields({
      jdbcUrl: s.redshiftJdbcUrl,
      secretArn: s.redshiftSecretArn,
      table: s.redshiftTable,
      copyOptions: s.redshiftCopyOptions,
    } as RedshiftSettings),
    timestream: s.timestream,
    alertsEventBus: s.alertsEventBus,
    schemaRegistry: s.schemaRegistry,
    persistResults: s.persistResults,
    closerInterval: minutes(s.closerIntervalMinutes),
    idleTimeout: seconds(s.idleTimeoutSeconds),
    alarmEmail: s.alarmEmail,
    alarmThresholds: s.alarmThresholds,
    removalPolicy:
      s.removalPolicy === undefined
        ? undefined
        : s.removalPolicy === 'destroy'
          ? RemovalPolicy.DESTROY
          : RemovalPolicy.RETAIN,
  };
}

/** Props whose value is an object of settings, merged field by field over the deploy section's. */
const MERGED_BY_FIELD = ['alarmThresholds', 'mskPollers', 'snowflake', 'redshift'] as const;

/**
 * `props` over the pipeline's `deploy` section: a prop left undefined takes the deploy setting; the objects of
 * {@link MERGED_BY_FIELD} (thresholds, pollers, warehouse destinations) merge field by field.
 */
function withDeploySettings(props: StreamfoldPipelineProps): StreamfoldPipelineProps {
  const deploy = propsFromDeploySettings(props.pipeline.deploy ?? {});
  const merged: Record<string, unknown> = { ...deploy };
  for (const [name, value] of Object.entries(props)) if (value !== undefined) merged[name] = value;
  // e.g. `alarmThresholds: {}` in cdk.json keeps those of the deploy section.
  for (const name of MERGED_BY_FIELD) {
    const given = definedFields<object>(props[name]);
    if (deploy[name] && props[name]) merged[name] = { ...deploy[name], ...given };
  }
  return merged as unknown as StreamfoldPipelineProps;
}

/**
 * One pipeline's whole deployment, usable in any stack: ingestion (Kinesis or MSK), the processor with its event
 * source mapping, side-output queues, state tables, the clean events (every valid record, from the processor) through
 * Firehose into the S3 data lake (Glue table `events_log`, Athena view `events`) and optionally a warehouse (Iceberg,
 * Snowflake, Redshift), an optional raw copy of the stream, an optional Timestream sink, emission (the emitter on the
 * state table's stream with its alert and result sinks, the scheduled closer), alarms and the dashboard.
 * Environment-agnostic: no lookups. Settings not given as props come from the definition's `deploy` section.
 *
 * @example
 * new StreamfoldPipeline(this, 'Clickstream', {
 *   pipeline: clickstream,
 *   definition: { path: fileURLToPath(new URL('../pipelines/clickstream.ts', import.meta.url)), exportName: 'clickstream' },
 * });
 */
export class StreamfoldPipeline extends Construct {
  readonly names: ResourceNames;
  readonly kinesis?: KinesisIngestion;
  readonly msk?: MskIngestion;
  readonly queues: SideOutputQueues;
  readonly tables: StateTables;
  readonly processor: PipelineProcessor;
  readonly dataLake: DataLakeBucket;
  readonly catalog: DataLakeCatalog;
  /** The clean events into the data lake (`clean/`, the `events` view). */
  readonly cleanDelivery: CleanEventDelivery;
  readonly iceberg?: IcebergDelivery;
  readonly snowflake?: SnowflakeDelivery;
  readonly redshift?: RedshiftDelivery;
  readonly timestream?: TimestreamSink;
  readonly monitoring: PipelineMonitoring;
  /** Emitter (alerts and final window results to their sinks) and closer (finalizes windows when traffic stops). */
  readonly emission: Emission;
  /**
   * Key encrypting the queues, the alarm and alerts topics, the tables, the data lake bucket, the log groups and the
   * Timestream sink.
   */
  readonly key: kms.IKey;
  /** The raw copy of the stream into the data lake (`raw/`); undefined unless `rawEventDelivery`. */
  readonly rawDelivery?: RawEventDelivery;

  constructor(scope: Construct, id: string, props: StreamfoldPipelineProps) {
    super(scope, id);
    // Props over the definition's deploy section over the defaults.
    const resolved = withDeploySettings(props);
    const { pipeline } = resolved;
    const ingestion = resolved.ingestion ?? 'kinesis';
    if (!INGESTION.includes(ingestion)) {
      throw new SettingError('ingestion', ingestion, "'kinesis' or 'msk'");
    }
    const warehouse = resolved.warehouse ?? 'none';
    if (!WAREHOUSES.includes(warehouse)) {
      throw new SettingError('warehouse', warehouse, WAREHOUSES.map((w) => `'${w}'`).join(', '));
    }
    for (const kind of ['snowflake', 'redshift'] as const) {
      if (resolved[kind] !== undefined && warehouse !== kind) {
        throw new SettingError(kind, resolved[kind], `no ${kind} settings with warehouse '${warehouse}'`);
      }
    }
    if (
      ingestion === 'msk' &&
      (resolved.streamMode === 'provisioned' || resolved.shardCount || resolved.enhancedFanOut)
    ) {
      throw new SettingError(
        'streamMode/shardCount/enhancedFanOut',
        { streamMode: resolved.streamMode, shardCount: resolved.shardCount, enhancedFanOut: resolved.enhancedFanOut },
        "no Kinesis settings with ingestion 'msk'",
      );
    }
    if (ingestion === 'kinesis' && (resolved.mskClusterArn || resolved.mskTopic || resolved.mskPartitions)) {
      throw new SettingError(
        'mskClusterArn/mskTopic/mskPartitions',
        { mskClusterArn: resolved.mskClusterArn, mskTopic: resolved.mskTopic, mskPartitions: resolved.mskPartitions },
        "no MSK settings with ingestion 'kinesis' (set ingestion to 'msk')",
      );
    }
    // Fail on bad processing settings before anything is bundled.
    validateProcessorSettings({
      pipeline,
      sourceKind: ingestion,
      batchSize: resolved.batchSize,
      maxBatchingWindow: resolved.maxBatchingWindow,
      parallelizationFactor: resolved.parallelizationFactor,
      idleTimeout: resolved.idleTimeout,
      retryAttempts: resolved.retryAttempts,
      maxRecordAge: resolved.maxRecordAge,
      expectedRecordBytes: resolved.expectedRecordBytes,
      memorySize: resolved.processorMemoryMb,
      timeout: resolved.processorTimeout,
    });
    validateEmissionSettings({
      pipeline,
      closerInterval: resolved.closerInterval,
      idleTimeout: resolved.idleTimeout,
    });
    // An incompatible definition change is refused before anything is built (README "Changing a pipeline").
    const checked = this.#checkDefinitionLock(resolved);
    const createdServerless = ingestion === 'msk' && resolved.mskClusterArn === undefined;
    const noMultiVpc =
      'Firehose reads MSK only over multi-VPC private connectivity, which MSK Serverless does not offer; give ' +
      'mskClusterArn of a provisioned cluster with multi-VPC private connectivity for IAM instead';
    if (createdServerless && resolved.rawEventDelivery === true) {
      throw new SettingError('rawEventDelivery', true, `false with a created MSK Serverless cluster (${noMultiVpc})`);
    }
    const rawEvents = resolved.rawEventDelivery ?? false;
    const eventTypeField = resolved.eventTypeField ?? 'type';
    const eventTypes = eventTypeField !== false ? eventTypesFromSchema(pipeline.schema, eventTypeField) : undefined;
    const columns = resolved.columns ?? columnsFromSchema(pipeline.schema);
    const alarmThresholds = freshnessThreshold(resolved);

    const names: ResourceNames = { ...resourceNames(pipeline), ...resolved.names };
    this.names = names;
    const removalPolicy = resolved.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, 'Key', {
      description:
        `streamfold ${pipeline.name}: side-output queues, alarm and alerts topics, tables, data lake, log groups, ` +
        'Timestream sink',
      enableKeyRotation: true,
      removalPolicy,
    });
    const logGroupPrefix = `/streamfold/${pipeline.name}/`;
    const logGroups: LogGroupOptions = { namePrefix: logGroupPrefix, encryptionKey: this.key, removalPolicy };
    allowLogGroupsToUseKey(this.key, logGroupPrefix);

    let deliverySource: DeliverySource;
    let processorSource: ConstructorParameters<typeof PipelineProcessor>[2]['source'];
    if (ingestion === 'kinesis') {
      const k = new KinesisIngestion(this, 'Ingestion', {
        streamName: names.stream,
        streamMode: resolved.streamMode,
        shardCount: resolved.shardCount,
        retention: resolved.streamRetention,
        enhancedFanOut: resolved.enhancedFanOut,
        removalPolicy,
        producerPrincipal: resolved.producerPrincipal,
      });
      this.kinesis = k;
      deliverySource = { kind: 'kinesis', stream: k.stream };
      processorSource = { kind: 'kinesis', stream: k.stream, consumer: k.consumer };
      new CfnOutput(this, 'StreamName', { value: k.stream.streamName, description: 'Kinesis stream producers write' });
      if (k.producerRole) new CfnOutput(this, 'ProducerRoleArn', { value: k.producerRole.roleArn });
      new CfnOutput(this, 'ProducerPolicyArn', { value: k.producerPolicy.managedPolicyArn });
    } else {
      const m = new MskIngestion(this, 'Ingestion', {
        clusterName: `streamfold-${pipeline.name}`,
        topic: resolved.mskTopic ?? names.stream,
        clusterArn: resolved.mskClusterArn,
        vpc: resolved.vpc,
        partitions: resolved.mskPartitions,
        producerPrincipal: resolved.producerPrincipal,
        logGroups,
      });
      this.msk = m;
      deliverySource = { kind: 'msk', clusterArn: m.clusterArn, topic: m.topic };
      processorSource = { kind: 'msk', clusterArn: m.clusterArn, topic: m.topic };
      new CfnOutput(this, 'MskClusterArn', { value: m.clusterArn });
      new CfnOutput(this, 'MskTopic', { value: m.topic });
      if (m.producerRole) new CfnOutput(this, 'ProducerRoleArn', { value: m.producerRole.roleArn });
      new CfnOutput(this, 'ProducerPolicyArn', { value: m.producerPolicy.managedPolicyArn });
      if (!m.created && rawEvents) {
        // An existing cluster is not the stack's to change: its owner applies this policy (README, MSK notes).
        new CfnOutput(this, 'MskClusterPolicy', {
          value: Stack.of(this).toJsonString(firehoseMskClusterPolicy(m.clusterArn).toJSON()),
          description:
            'Cluster policy Firehose needs on the existing MSK cluster (aws kafka put-cluster-policy), besides ' +
            'multi-VPC private connectivity for IAM',
        });
      }
    }

    this.queues = new SideOutputQueues(this, 'SideOutputs', {
      names: { rejected: names.rejectedQueue, late: names.lateQueue, failed: names.failedQueue },
      encryptionKey: this.key,
      removalPolicy,
    });
    this.tables = new StateTables(this, 'State', {
      stateTableName: names.stateTable,
      dedupeTableName: names.dedupeTable,
      removalPolicy,
      encryptionKey: this.key,
    });
    // The data lake and the clean-events deliveries first: the processor writes the clean events.
    this.dataLake = new DataLakeBucket(this, 'DataLake', { removalPolicy, encryptionKey: this.key });
    this.catalog = new DataLakeCatalog(this, 'Catalog', {
      pipelineName: pipeline.name,
      bucket: this.dataLake.bucket,
      columns,
      rawEvents,
      eventTypes: eventTypeField === false ? false : eventTypes,
      encryptionKey: this.key,
    });
    const deliveries: MonitoredDelivery[] = [];
    this.cleanDelivery = new CleanEventDelivery(this, 'CleanDelivery', {
      deliveryStreamName: cleanDeliveryStreamNameOf(pipeline.name),
      bucket: this.dataLake.bucket,
      byEventType: eventTypeField !== false,
      bufferingInterval: resolved.deliveryBufferingInterval,
      bufferingSizeMiB: resolved.deliveryBufferingSizeMiB,
      logGroups,
    });
    const destinations: CleanEventsDestination[] = [this.cleanDelivery];
    deliveries.push({ ...destinationOf(this.cleanDelivery), alarmFriendlyName: 'CleanDelivery' });
    if (rawEvents) {
      this.rawDelivery = new RawEventDelivery(this, 'RawDelivery', {
        deliveryStreamName: rawDeliveryStreamNameOf(pipeline.name),
        source: deliverySource,
        bucket: this.dataLake.bucket,
        eventTypeField,
        eventTypes,
        bufferingInterval: resolved.deliveryBufferingInterval,
        bufferingSizeMiB: resolved.deliveryBufferingSizeMiB,
        logGroups,
      });
      deliveries.push({
        deliveryStreamName: this.rawDelivery.deliveryStreamName,
        destination: 's3',
        alarmFriendlyName: 'RawDelivery',
      });
    }
    let warehouseDestination: CleanEventsDestination | undefined;
    if (warehouse === 'iceberg') {
      this.iceberg = new IcebergDelivery(this, 'Iceberg', {
        deliveryStreamName: `${pipeline.name}-iceberg`,
        bucket: this.dataLake.bucket,
        databaseName: this.catalog.databaseName,
        columns,
        bufferingInterval: resolved.deliveryBufferingInterval,
        logGroups,
      });
      warehouseDestination = this.iceberg;
      new CfnOutput(this, 'IcebergTable', { value: `${this.catalog.databaseName}.${this.iceberg.tableName}` });
    } else if (warehouse === 'snowflake') {
      this.snowflake = new SnowflakeDelivery(this, 'Snowflake', {
        deliveryStreamName: `${pipeline.name}-snowflake`,
        settings: resolved.snowflake as SnowflakeSettings,
        bucket: this.dataLake.bucket,
        logGroups,
      });
      warehouseDestination = this.snowflake;
    } else if (warehouse === 'redshift') {
      this.redshift = new RedshiftDelivery(this, 'Redshift', {
        deliveryStreamName: `${pipeline.name}-redshift`,
        settings: resolved.redshift as RedshiftSettings,
        bucket: this.dataLake.bucket,
        logGroups,
      });
      warehouseDestination = this.redshift;
    }
    if (warehouseDestination) {
      destinations.push(warehouseDestination);
      deliveries.push({ ...destinationOf(warehouseDestination), alarmFriendlyName: 'WarehouseDelivery' });
      new CfnOutput(this, 'WarehouseDeliveryStreamName', { value: warehouseDestination.deliveryStreamName });
    }

    this.processor = new PipelineProcessor(this, 'Processor', {
      pipeline,
      definition: resolved.definition,
      source: processorSource,
      stateTable: this.tables.stateTable,
      rejectedQueue: this.queues.rejected,
      lateQueue: this.queues.late,
      failedQueue: this.queues.failed,
      cleanEvents: { destinations, partitionField: eventTypeField },
      batchSize: resolved.batchSize,
      maxBatchingWindow: resolved.maxBatchingWindow,
      parallelizationFactor: resolved.parallelizationFactor,
      retryAttempts: resolved.retryAttempts,
      maxRecordAge: resolved.maxRecordAge,
      startingPosition: resolved.startingPosition,
      expectedRecordBytes: resolved.expectedRecordBytes,
      memorySize: resolved.processorMemoryMb,
      timeout: resolved.processorTimeout,
      // The processor's watermark (pipelines not partitioned by key) uses the same idle timeout as the closer's.
      idleTimeout: resolved.idleTimeout,
      mskPollers: resolved.mskPollers,
      logGroups,
    });

    if (resolved.timestream) {
      this.timestream = new TimestreamSink(this, 'Timestream', {
        databaseName: `streamfold-${pipeline.name}`,
        encryptionKey: this.key,
        removalPolicy,
      });
      new CfnOutput(this, 'TimestreamTable', { value: `${this.timestream.databaseName}.${this.timestream.tableName}` });
    }

    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      pipelineName: pipeline.name,
      encryptionKey: this.key,
      alarmEmail: resolved.alarmEmail,
      thresholds: alarmThresholds,
      sourceKind: ingestion,
      stream: this.kinesis?.stream,
      processor: this.processor.function,
      eventSourceMappingId: this.processor.eventSourceMappingId,
      queues: this.queues,
      tables: [this.tables.stateTable, this.tables.dedupeTable],
      deliveries,
    });

    this.emission = new Emission(this, 'Emission', {
      pipeline,
      definition: resolved.definition,
      stateTable: this.tables.stateTable,
      dedupeTable: this.tables.dedupeTable,
      encryptionKey: this.key,
      eventBus: resolved.alertsEventBus ?? false,
      warehouse: {
        bucket: this.dataLake.bucket,
        databaseName: this.catalog.databaseName,
        bufferingInterval: resolved.deliveryBufferingInterval,
      },
      timestream: this.timestream,
      persistResults: resolved.persistResults,
      closerInterval: resolved.closerInterval,
      idleTimeout: resolved.idleTimeout,
      parallelizationFactor: resolved.parallelizationFactor,
      sideOutputQueues: { rejected: this.queues.rejected, late: this.queues.late },
      removalPolicy,
      logGroups,
    });
    monitorEmission(this.monitoring, this.emission, pipeline.name);
    new CfnOutput(this, 'AlertsTopicArn', { value: this.emission.alertsTopic.topicArn });
    if (this.emission.eventBus) {
      new CfnOutput(this, 'AlertsEventBusName', { value: this.emission.eventBus.eventBusName });
    }
    if (this.emission.resultsDeliveryStreamName && this.emission.aggregatesTableName) {
      new CfnOutput(this, 'ResultsDeliveryStreamName', { value: this.emission.resultsDeliveryStreamName });
      new CfnOutput(this, 'ResultsTable', {
        value: `${this.catalog.databaseName}.${this.emission.aggregatesTableName}`,
      });
    }

    if (resolved.schemaRegistry) {
      const schemas = new EventSchemaRegistry(this, 'EventSchema', {
        pipeline,
        compatibility: checked?.lock.schema.compatibility,
      });
      new CfnOutput(this, 'EventSchemaArn', { value: schemas.schema.attrArn });
    }

    new CfnOutput(this, 'StateTableName', { value: this.tables.stateTable.tableName });
    new CfnOutput(this, 'DedupeTableName', { value: this.tables.dedupeTable.tableName });
    new CfnOutput(this, 'RejectedQueueUrl', { value: this.queues.rejected.queueUrl });
    new CfnOutput(this, 'LateQueueUrl', { value: this.queues.late.queueUrl });
    new CfnOutput(this, 'FailedQueueUrl', { value: this.queues.failed.queueUrl });
    new CfnOutput(this, 'DataLakeBucketName', { value: this.dataLake.bucket.bucketName });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.catalog.workGroupName });
    new CfnOutput(this, 'GlueDatabase', { value: this.catalog.databaseName });
    new CfnOutput(this, 'CleanDeliveryStreamName', { value: this.cleanDelivery.deliveryStreamName });
    new CfnOutput(this, 'EventsView', {
      value: `${this.catalog.databaseName}.${this.catalog.eventsViewName}`,
      description: 'Athena view of the clean events, each valid event once',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
  }

  /**
   * The definition checked against its lock file (README "Changing a pipeline"): throws on an incompatible change,
   * warns when the lock is behind compatible changes; undefined when the check is off (`definitionLock: false`, or no
   * lock path and no definition file to put one beside).
   */
  #checkDefinitionLock(props: StreamfoldPipelineProps): ReturnType<typeof checkDefinitionLock> | undefined {
    const given = props.definitionLock;
    if (given !== undefined && given !== false && typeof given !== 'string') {
      throw new SettingError('definitionLock', given, 'the path of a lock file, or false');
    }
    // (A definition module that does not exist is reported by the processor construct, naming the module.)
    const lockPath = given ?? (existsSync(props.definition.path) && definitionLockPath(props.definition.path));
    if (lockPath === false) return undefined;
    const checked = checkDefinitionLock(props.pipeline, lockPath);
    if (checked.report.changes.length > 0) {
      Annotations.of(this).addWarningV2(
        'streamfold:definition-lock-behind',
        `The definition has ${checked.report.changes.length} compatible change(s) not in ${lockPath}: run npx streamfold check --write and commit the lock.`,
      );
    }
    return checked;
  }
}

const destinationOf = (d: CleanEventsDestination) => ({
  deliveryStreamName: d.deliveryStreamName,
  destination: d.destination,
});

/**
 * The alarm thresholds with the freshness threshold fitted to the buffering interval: a default of two minutes, or
 * the buffering interval plus a minute when that is longer; a threshold the user gave must be above the interval
 * (a freshness alarm at or under it would fire on every flush).
 * @throws SettingError naming `alarmThresholds.deliveryFreshnessSeconds`.
 */
function freshnessThreshold(props: StreamfoldPipelineProps): AlarmThresholds {
  const interval = (props.deliveryBufferingInterval ?? Duration.seconds(60)).toSeconds({ integral: false });
  const given = props.alarmThresholds?.deliveryFreshnessSeconds;
  if (given === undefined) {
    const fitted = Math.max(DEFAULT_ALARM_THRESHOLDS.deliveryFreshnessSeconds, interval + FRESHNESS_SLACK_SECONDS);
    return { ...props.alarmThresholds, deliveryFreshnessSeconds: fitted };
  }
  if (typeof given === 'number' && Number.isFinite(given) && given <= interval) {
    throw new SettingError(
      'alarmThresholds.deliveryFreshnessSeconds',
      given,
      `more seconds than the delivery buffering interval (${interval} s), or the freshness alarm fires on every flush`,
    );
  }
  return props.alarmThresholds ?? {};
}
