import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { Pipeline } from '../core/definition';
import type { DeploySettings } from '../core/deploy-settings';
import { type ResourceNames, resourceNames } from '../core/names';
import type { AlarmThresholds } from './alarm-thresholds';
import { DataLakeBucket } from './data-lake-bucket';
import { DataLakeCatalog } from './data-lake-catalog';
import { Emission, validateEmissionSettings } from './emission';
import { monitorEmission } from './emission-monitoring';
import { InvalidSettingError, NotSupportedYetError } from './errors';
import type { DeliverySource } from './firehose-source';
import { columnsFromSchema, type WarehouseColumn } from './glue-columns';
import { IcebergDelivery } from './iceberg-delivery';
import { KinesisIngestion, type KinesisStreamMode } from './kinesis-ingestion';
import { MskIngestion } from './msk-ingestion';
import { PipelineMonitoring } from './pipeline-monitoring';
import { PipelineProcessor, validateProcessorSettings } from './pipeline-processor';
import type { PipelineModule } from './processor-entry';
import { RawEventDelivery } from './raw-event-delivery';
import { SideOutputQueues } from './side-output-queues';
import { StateTables } from './state-tables';
import { TimestreamSink } from './timestream-sink';

/** Event source of a pipeline. */
export type IngestionKind = 'kinesis' | 'msk';
/** Warehouse destination besides the raw S3 data lake. */
export type WarehouseKind = 'none' | 'iceberg' | 'redshift' | 'snowflake';

const INGESTION: readonly IngestionKind[] = ['kinesis', 'msk'];
const WAREHOUSES_BUILT: readonly WarehouseKind[] = ['none', 'iceberg'];
const WAREHOUSES_KNOWN: readonly WarehouseKind[] = ['none', 'iceberg', 'redshift', 'snowflake'];

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
   * How long a dedupe id is kept (whole hours): a producer's resend later than this counts again.
   * @default Duration.hours(24)
   */
  readonly dedupeTtl?: Duration;
  /**
   * Processor timeout (1-900 s).
   * @default Duration.minutes(1)
   */
  readonly processorTimeout?: Duration;
  /**
   * Top-level event field partitioning the data lake (`event_type=`).
   * @default 'type'
   */
  readonly eventTypeField?: string;
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
   * Warehouse destination besides the raw data lake: `'iceberg'` adds an Apache Iceberg table fed by a second
   * Firehose. `'redshift'` and `'snowflake'` are not supported yet (synth fails saying so).
   * @default 'none'
   */
  readonly warehouse?: WarehouseKind;
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
   * @default true
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
  | 'batchSize'
  | 'maxBatchingWindow'
  | 'parallelizationFactor'
  | 'retryAttempts'
  | 'maxRecordAge'
  | 'expectedRecordBytes'
  | 'processorMemoryMb'
  | 'dedupeTtl'
  | 'eventTypeField'
  | 'deliveryBufferingInterval'
  | 'deliveryBufferingSizeMiB'
  | 'warehouse'
  | 'timestream'
  | 'alertsEventBus'
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

/**
 * The construct props for validated deploy settings (a definition's `deploy` section, or cdk.json context read by
 * `settingsFromContext`): amounts become `Duration`s, `removalPolicy` a `RemovalPolicy`. Unset settings stay undefined.
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
    batchSize: s.batchSize,
    maxBatchingWindow: seconds(s.batchingWindowSeconds),
    parallelizationFactor: s.parallelizationFactor,
    retryAttempts: s.retryAttempts,
    maxRecordAge: seconds(s.maxRecordAgeSeconds),
    expectedRecordBytes: s.expectedRecordBytes,
    processorMemoryMb: s.processorMemoryMb,
    dedupeTtl: hours(s.dedupeTtlHours),
    eventTypeField: s.eventTypeField,
    deliveryBufferingInterval: seconds(s.deliveryBufferSeconds),
    deliveryBufferingSizeMiB: s.deliveryBufferMiB,
    warehouse: s.warehouse,
    timestream: s.timestream,
    alertsEventBus: s.alertsEventBus,
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

/** `props` over the pipeline's `deploy` section: a prop left undefined takes the deploy setting (thresholds: each). */
function withDeploySettings(props: StreamfoldPipelineProps): StreamfoldPipelineProps {
  const deploy = propsFromDeploySettings(props.pipeline.deploy ?? {});
  const merged: Record<string, unknown> = { ...deploy };
  for (const [name, value] of Object.entries(props)) if (value !== undefined) merged[name] = value;
  // Thresholds merge name by name: `alarmThresholds: {}` in cdk.json keeps those of the deploy section.
  if (deploy.alarmThresholds && props.alarmThresholds) {
    merged.alarmThresholds = { ...deploy.alarmThresholds, ...props.alarmThresholds };
  }
  return merged as unknown as StreamfoldPipelineProps;
}

/**
 * One pipeline's whole deployment, usable in any stack: ingestion (Kinesis or MSK), the processor with its event
 * source mapping, side-output queues, state tables, Firehose delivery into the S3 data lake (Glue + Athena), an
 * optional Iceberg warehouse and Timestream sink, emission (the emitter on the state table's stream with its alert
 * and result sinks, the scheduled closer), alarms and the dashboard. Environment-agnostic: no lookups. Settings not
 * given as props come from the definition's `deploy` section.
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
  readonly rawDelivery: RawEventDelivery;
  readonly iceberg?: IcebergDelivery;
  readonly timestream?: TimestreamSink;
  readonly monitoring: PipelineMonitoring;
  /** Emitter (alerts and final window results to their sinks) and closer (finalizes windows when traffic stops). */
  readonly emission: Emission;
  /** Key encrypting the queues, the alarm and alerts topics, and the Timestream sink. */
  readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: StreamfoldPipelineProps) {
    super(scope, id);
    // Props over the definition's deploy section over the defaults.
    const resolved = withDeploySettings(props);
    const { pipeline } = resolved;
    const ingestion = resolved.ingestion ?? 'kinesis';
    if (!INGESTION.includes(ingestion)) {
      throw new InvalidSettingError('ingestion', ingestion, "'kinesis' or 'msk'");
    }
    const warehouse = resolved.warehouse ?? 'none';
    if (!WAREHOUSES_KNOWN.includes(warehouse)) {
      throw new InvalidSettingError('warehouse', warehouse, WAREHOUSES_KNOWN.map((w) => `'${w}'`).join(', '));
    }
    if (!WAREHOUSES_BUILT.includes(warehouse)) throw new NotSupportedYetError('warehouse', warehouse, WAREHOUSES_BUILT);
    if (
      ingestion === 'msk' &&
      (resolved.streamMode === 'provisioned' || resolved.shardCount || resolved.enhancedFanOut)
    ) {
      throw new InvalidSettingError(
        'streamMode/shardCount/enhancedFanOut',
        { streamMode: resolved.streamMode, shardCount: resolved.shardCount, enhancedFanOut: resolved.enhancedFanOut },
        "no Kinesis settings with ingestion 'msk'",
      );
    }
    if (ingestion === 'kinesis' && (resolved.mskClusterArn || resolved.mskTopic || resolved.mskPartitions)) {
      throw new InvalidSettingError(
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
      retryAttempts: resolved.retryAttempts,
      maxRecordAge: resolved.maxRecordAge,
      expectedRecordBytes: resolved.expectedRecordBytes,
      memorySize: resolved.processorMemoryMb,
      timeout: resolved.processorTimeout,
      dedupeTtl: resolved.dedupeTtl,
    });
    validateEmissionSettings({
      pipeline,
      closerInterval: resolved.closerInterval,
      idleTimeout: resolved.idleTimeout,
    });
    const columns = resolved.columns ?? columnsFromSchema(pipeline.schema);

    const names: ResourceNames = { ...resourceNames(pipeline), ...resolved.names };
    this.names = names;
    const removalPolicy = resolved.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, 'Key', {
      description: `streamfold ${pipeline.name}: side-output queues, alarm and alerts topics, Timestream sink`,
      enableKeyRotation: true,
      removalPolicy,
    });

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
      });
      this.kinesis = k;
      deliverySource = { kind: 'kinesis', stream: k.stream };
      processorSource = { kind: 'kinesis', stream: k.stream, consumer: k.consumer };
      new CfnOutput(this, 'StreamName', { value: k.stream.streamName, description: 'Kinesis stream producers write' });
      new CfnOutput(this, 'ProducerRoleArn', { value: k.producerRole.roleArn });
      new CfnOutput(this, 'ProducerPolicyArn', { value: k.producerPolicy.managedPolicyArn });
    } else {
      const m = new MskIngestion(this, 'Ingestion', {
        clusterName: `streamfold-${pipeline.name}`,
        topic: resolved.mskTopic ?? names.stream,
        clusterArn: resolved.mskClusterArn,
        vpc: resolved.vpc,
        partitions: resolved.mskPartitions,
      });
      this.msk = m;
      deliverySource = { kind: 'msk', clusterArn: m.clusterArn, topic: m.topic };
      processorSource = { kind: 'msk', clusterArn: m.clusterArn, topic: m.topic };
      new CfnOutput(this, 'MskClusterArn', { value: m.clusterArn });
      new CfnOutput(this, 'MskTopic', { value: m.topic });
      new CfnOutput(this, 'ProducerRoleArn', { value: m.producerRole.roleArn });
      new CfnOutput(this, 'ProducerPolicyArn', { value: m.producerPolicy.managedPolicyArn });
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
    });
    this.processor = new PipelineProcessor(this, 'Processor', {
      pipeline,
      definition: resolved.definition,
      source: processorSource,
      stateTable: this.tables.stateTable,
      dedupeTable: this.tables.dedupeTable,
      rejectedQueue: this.queues.rejected,
      lateQueue: this.queues.late,
      failedQueue: this.queues.failed,
      batchSize: resolved.batchSize,
      maxBatchingWindow: resolved.maxBatchingWindow,
      parallelizationFactor: resolved.parallelizationFactor,
      retryAttempts: resolved.retryAttempts,
      maxRecordAge: resolved.maxRecordAge,
      startingPosition: resolved.startingPosition,
      expectedRecordBytes: resolved.expectedRecordBytes,
      memorySize: resolved.processorMemoryMb,
      timeout: resolved.processorTimeout,
      dedupeTtl: resolved.dedupeTtl,
    });

    this.dataLake = new DataLakeBucket(this, 'DataLake', { removalPolicy });
    this.catalog = new DataLakeCatalog(this, 'Catalog', {
      pipelineName: pipeline.name,
      bucket: this.dataLake.bucket,
      columns,
    });
    this.rawDelivery = new RawEventDelivery(this, 'RawDelivery', {
      deliveryStreamName: `${pipeline.name}-raw-events`,
      source: deliverySource,
      bucket: this.dataLake.bucket,
      eventTypeField: resolved.eventTypeField,
      bufferingInterval: resolved.deliveryBufferingInterval,
      bufferingSizeMiB: resolved.deliveryBufferingSizeMiB,
    });
    const deliveryStreamNames = [this.rawDelivery.deliveryStreamName];
    if (warehouse === 'iceberg') {
      this.iceberg = new IcebergDelivery(this, 'Iceberg', {
        deliveryStreamName: `${pipeline.name}-iceberg`,
        source: deliverySource,
        bucket: this.dataLake.bucket,
        databaseName: this.catalog.databaseName,
        columns,
        bufferingInterval: resolved.deliveryBufferingInterval,
      });
      deliveryStreamNames.push(this.iceberg.deliveryStreamName);
      new CfnOutput(this, 'IcebergTable', { value: `${this.catalog.databaseName}.${this.iceberg.tableName}` });
    }
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
      thresholds: resolved.alarmThresholds,
      sourceKind: ingestion,
      stream: this.kinesis?.stream,
      processor: this.processor.function,
      eventSourceMappingId: this.processor.eventSourceMappingId,
      queues: this.queues,
      tables: [this.tables.stateTable, this.tables.dedupeTable],
      deliveryStreamNames,
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
      removalPolicy,
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

    new CfnOutput(this, 'StateTableName', { value: this.tables.stateTable.tableName });
    new CfnOutput(this, 'DedupeTableName', { value: this.tables.dedupeTable.tableName });
    new CfnOutput(this, 'RejectedQueueUrl', { value: this.queues.rejected.queueUrl });
    new CfnOutput(this, 'LateQueueUrl', { value: this.queues.late.queueUrl });
    new CfnOutput(this, 'FailedQueueUrl', { value: this.queues.failed.queueUrl });
    new CfnOutput(this, 'DataLakeBucketName', { value: this.dataLake.bucket.bucketName });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.catalog.workGroupName });
    new CfnOutput(this, 'GlueDatabase', { value: this.catalog.databaseName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
  }
}
