import { existsSync } from 'node:fs';
import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { cleanDeliveryStreamNameOf } from '../core/clean-events';
import type { Pipeline } from '../core/definition';
import { type ResourceNames, resourceNames } from '../core/names';
import { type AlarmThresholds, DEFAULT_ALARM_THRESHOLDS } from './alarm-thresholds';
import { CleanEventDelivery } from './clean-event-delivery';
import { DataLakeBucket } from './data-lake-bucket';
import { DataLakeCatalog } from './data-lake-catalog';
import { checkDefinitionLock, definitionLockPath } from './definition-check';
import type { CleanEventsDestination } from './delivery-role';
import { Emission, validateEmissionSettings } from './emission';
import { monitorEmission } from './emission-monitoring';
import { InvalidSettingError } from './errors';
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

/** Props of {@link StreamfoldStack}. */
export interface StreamfoldStackProps extends StackProps {
  /** The pipeline definition. */
  readonly pipeline: Pipeline;
  /** The module exporting the same pipeline (bundled into the processor). */
  readonly definition: PipelineModule;
  /**
   * The definition lock file the pipeline is checked against at synth (README "Changing a pipeline"): synth fails
   * when it is missing or when the definition changed incompatibly (not declared, not accepted). `false` skips the
   * check (tests, or a pipeline checked elsewhere).
   * @default - the lock beside the definition module: `<definition file name>.lock.json`
   */
  readonly definitionLock?: string | false;
  /**
   * Register the event schema in the AWS Glue Schema Registry (JSON Schema, with the lock file's compatibility
   * mode), so producers in other languages validate against it.
   * @default false
   */
  readonly schemaRegistry?: boolean;
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
   * Event pollers of the MSK event source mapping (provisioned mode). See {@link PipelineProcessorProps.mskPollers}.
   * @default - { minimum: 1, maximum: 10 }
   */
  readonly mskPollers?: MskPollers;
  /**
   * Who may assume the producer role, whose only permissions are the producer managed policy (write the stream or
   * topic). Give the role or user your producers run as, or another account.
   * @default - no producer role: attach the producer managed policy (output `ProducerPolicyArn`) to your producers
   */
  readonly producerPrincipal?: iam.IPrincipal;
  /** @default 500 — see {@link PipelineProcessorProps.batchSize} */
  readonly batchSize?: number;
  /** @default Duration.seconds(1) — see {@link PipelineProcessorProps.maxBatchingWindow} */
  readonly maxBatchingWindow?: Duration;
  /** @default 1 — see {@link PipelineProcessorProps.parallelizationFactor} */
  readonly parallelizationFactor?: number;
  /** @default 10 — see {@link PipelineProcessorProps.retryAttempts} */
  readonly retryAttempts?: number;
  /** @default Duration.hours(6) — see {@link PipelineProcessorProps.maxRecordAge} */
  readonly maxRecordAge?: Duration;
  /** @default lambda.StartingPosition.TRIM_HORIZON */
  readonly startingPosition?: lambda.StartingPosition;
  /** @default 1024 — see {@link PipelineProcessorProps.expectedRecordBytes} */
  readonly expectedRecordBytes?: number;
  /** @default 1024 — processor memory, MB */
  readonly processorMemoryMb?: number;
  /** @default Duration.minutes(1) — processor timeout */
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

/**
 * One pipeline's stack: ingestion (Kinesis or MSK), the processor with its event source mapping, side-output
 * queues, state tables, the clean events (every valid record, from the processor) through Firehose into the S3 data
 * lake (Glue table `events_log`, Athena view `events`) and optionally a warehouse (Iceberg, Snowflake, Redshift), an
 * optional raw copy of the stream, an optional Timestream sink, emission (the emitter on the state table's stream with its alert and result sinks, the scheduled
 * closer), alarms and the dashboard. Environment-agnostic: no lookups.
 */
export class StreamfoldStack extends Stack {
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

  constructor(scope: Construct, id: string, props: StreamfoldStackProps) {
    super(scope, id, props);
    const { pipeline } = props;
    const ingestion = props.ingestion ?? 'kinesis';
    if (!INGESTION.includes(ingestion)) {
      throw new InvalidSettingError('ingestion', ingestion, "'kinesis' or 'msk'");
    }
    const warehouse = props.warehouse ?? 'none';
    if (!WAREHOUSES.includes(warehouse)) {
      throw new InvalidSettingError('warehouse', warehouse, WAREHOUSES.map((w) => `'${w}'`).join(', '));
    }
    for (const kind of ['snowflake', 'redshift'] as const) {
      if (props[kind] !== undefined && warehouse !== kind) {
        throw new InvalidSettingError(kind, props[kind], `no ${kind} settings with warehouse '${warehouse}'`);
      }
    }
    if (ingestion === 'msk' && (props.streamMode === 'provisioned' || props.shardCount || props.enhancedFanOut)) {
      throw new InvalidSettingError(
        'streamMode/shardCount/enhancedFanOut',
        { streamMode: props.streamMode, shardCount: props.shardCount, enhancedFanOut: props.enhancedFanOut },
        "no Kinesis settings with ingestion 'msk'",
      );
    }
    if (ingestion === 'kinesis' && (props.mskClusterArn || props.mskTopic || props.mskPartitions)) {
      throw new InvalidSettingError(
        'mskClusterArn/mskTopic/mskPartitions',
        { mskClusterArn: props.mskClusterArn, mskTopic: props.mskTopic, mskPartitions: props.mskPartitions },
        "no MSK settings with ingestion 'kinesis' (set ingestion to 'msk')",
      );
    }
    // Fail on bad processing settings before anything is bundled.
    validateProcessorSettings({
      pipeline,
      sourceKind: ingestion,
      batchSize: props.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      parallelizationFactor: props.parallelizationFactor,
      idleTimeout: props.idleTimeout,
      retryAttempts: props.retryAttempts,
      maxRecordAge: props.maxRecordAge,
      expectedRecordBytes: props.expectedRecordBytes,
      memorySize: props.processorMemoryMb,
      timeout: props.processorTimeout,
    });
    validateEmissionSettings({
      pipeline,
      closerInterval: props.closerInterval,
      idleTimeout: props.idleTimeout,
    });
    // An incompatible definition change is refused before anything is built (README "Changing a pipeline").
    if (
      props.definitionLock !== undefined &&
      props.definitionLock !== false &&
      typeof props.definitionLock !== 'string'
    ) {
      throw new InvalidSettingError('definitionLock', props.definitionLock, 'the path of a lock file, or false');
    }
    // (A definition module that does not exist is reported by the processor construct, naming the module.)
    const lockPath =
      props.definitionLock ?? (existsSync(props.definition.path) && definitionLockPath(props.definition.path));
    const checked = lockPath === false ? undefined : checkDefinitionLock(pipeline, lockPath);
    if (checked && checked.report.changes.length > 0) {
      Annotations.of(this).addWarningV2(
        'streamfold:definition-lock-behind',
        `The definition has ${checked.report.changes.length} compatible change(s) not in ${lockPath}: run npx streamfold check --write and commit the lock.`,
      );
    }
    const createdServerless = ingestion === 'msk' && props.mskClusterArn === undefined;
    const noMultiVpc =
      'Firehose reads MSK only over multi-VPC private connectivity, which MSK Serverless does not offer; give ' +
      'mskClusterArn of a provisioned cluster with multi-VPC private connectivity for IAM instead';
    if (createdServerless && props.rawEventDelivery === true) {
      throw new InvalidSettingError(
        'rawEventDelivery',
        true,
        `false with a created MSK Serverless cluster (${noMultiVpc})`,
      );
    }
    const rawEvents = props.rawEventDelivery ?? false;
    const eventTypeField = props.eventTypeField ?? 'type';
    const eventTypes = eventTypeField !== false ? eventTypesFromSchema(pipeline.schema, eventTypeField) : undefined;
    const columns = props.columns ?? columnsFromSchema(pipeline.schema);
    const alarmThresholds = freshnessThreshold(props);

    const names: ResourceNames = { ...resourceNames(pipeline), ...props.names };
    this.names = names;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
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
        streamMode: props.streamMode,
        shardCount: props.shardCount,
        retention: props.streamRetention,
        enhancedFanOut: props.enhancedFanOut,
        removalPolicy,
        producerPrincipal: props.producerPrincipal,
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
        topic: props.mskTopic ?? names.stream,
        clusterArn: props.mskClusterArn,
        vpc: props.vpc,
        partitions: props.mskPartitions,
        producerPrincipal: props.producerPrincipal,
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
          value: this.toJsonString(firehoseMskClusterPolicy(m.clusterArn).toJSON()),
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
      bufferingInterval: props.deliveryBufferingInterval,
      bufferingSizeMiB: props.deliveryBufferingSizeMiB,
      logGroups,
    });
    const destinations: CleanEventsDestination[] = [this.cleanDelivery];
    deliveries.push({ ...destinationOf(this.cleanDelivery), alarmFriendlyName: 'CleanDelivery' });
    if (rawEvents) {
      this.rawDelivery = new RawEventDelivery(this, 'RawDelivery', {
        deliveryStreamName: `${pipeline.name}-raw-events`,
        source: deliverySource,
        bucket: this.dataLake.bucket,
        eventTypeField,
        eventTypes,
        bufferingInterval: props.deliveryBufferingInterval,
        bufferingSizeMiB: props.deliveryBufferingSizeMiB,
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
        bufferingInterval: props.deliveryBufferingInterval,
        logGroups,
      });
      warehouseDestination = this.iceberg;
      new CfnOutput(this, 'IcebergTable', { value: `${this.catalog.databaseName}.${this.iceberg.tableName}` });
    } else if (warehouse === 'snowflake') {
      this.snowflake = new SnowflakeDelivery(this, 'Snowflake', {
        deliveryStreamName: `${pipeline.name}-snowflake`,
        settings: props.snowflake as SnowflakeSettings,
        bucket: this.dataLake.bucket,
        logGroups,
      });
      warehouseDestination = this.snowflake;
    } else if (warehouse === 'redshift') {
      this.redshift = new RedshiftDelivery(this, 'Redshift', {
        deliveryStreamName: `${pipeline.name}-redshift`,
        settings: props.redshift as RedshiftSettings,
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
      definition: props.definition,
      source: processorSource,
      stateTable: this.tables.stateTable,
      rejectedQueue: this.queues.rejected,
      lateQueue: this.queues.late,
      failedQueue: this.queues.failed,
      cleanEvents: { destinations, partitionField: eventTypeField },
      batchSize: props.batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      parallelizationFactor: props.parallelizationFactor,
      retryAttempts: props.retryAttempts,
      maxRecordAge: props.maxRecordAge,
      startingPosition: props.startingPosition,
      expectedRecordBytes: props.expectedRecordBytes,
      memorySize: props.processorMemoryMb,
      timeout: props.processorTimeout,
      mskPollers: props.mskPollers,
      logGroups,
    });

    if (props.timestream) {
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
      alarmEmail: props.alarmEmail,
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
      definition: props.definition,
      stateTable: this.tables.stateTable,
      dedupeTable: this.tables.dedupeTable,
      encryptionKey: this.key,
      eventBus: props.alertsEventBus ?? false,
      warehouse: {
        bucket: this.dataLake.bucket,
        databaseName: this.catalog.databaseName,
        bufferingInterval: props.deliveryBufferingInterval,
      },
      timestream: this.timestream,
      persistResults: props.persistResults,
      closerInterval: props.closerInterval,
      idleTimeout: props.idleTimeout,
      parallelizationFactor: props.parallelizationFactor,
      sideOutputQueues: { rejected: this.queues.rejected, late: this.queues.late },
      removalPolicy,
      logGroups,
      alarmTopic: this.monitoring.topic,
      iteratorAgeAlarmMs: this.monitoring.thresholds.emitterIteratorAgeMs,
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

    if (props.schemaRegistry) {
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
}

const destinationOf = (d: CleanEventsDestination) => ({
  deliveryStreamName: d.deliveryStreamName,
  destination: d.destination,
});

/**
 * The alarm thresholds with the freshness threshold fitted to the buffering interval: a default of two minutes, or
 * the buffering interval plus a minute when that is longer; a threshold the user gave must be above the interval
 * (a freshness alarm at or under it would fire on every flush).
 * @throws InvalidSettingError naming `alarmThresholds.deliveryFreshnessSeconds`.
 */
function freshnessThreshold(props: StreamfoldStackProps): AlarmThresholds {
  const interval = (props.deliveryBufferingInterval ?? Duration.seconds(60)).toSeconds({ integral: false });
  const given = props.alarmThresholds?.deliveryFreshnessSeconds;
  if (given === undefined) {
    const fitted = Math.max(DEFAULT_ALARM_THRESHOLDS.deliveryFreshnessSeconds, interval + FRESHNESS_SLACK_SECONDS);
    return { ...props.alarmThresholds, deliveryFreshnessSeconds: fitted };
  }
  if (typeof given === 'number' && Number.isFinite(given) && given <= interval) {
    throw new InvalidSettingError(
      'alarmThresholds.deliveryFreshnessSeconds',
      given,
      `more seconds than the delivery buffering interval (${interval} s), or the freshness alarm fires on every flush`,
    );
  }
  return props.alarmThresholds ?? {};
}
