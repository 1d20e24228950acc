/**
 * Emission: the emitter Lambda on the state table's DynamoDB stream (alerts to SNS / EventBridge / Kinesis, final
 * window results to Firehose `aggregates/` with a Glue table, optional Timestream), the scheduled closer that
 * finalizes windows when traffic stops (their alarms: lib/emission-monitoring.ts). Infrastructure only: the handlers are bundled from
 * generated entry files (lib/ never imports runtime code).
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  AGGREGATES_PREFIX,
  EMISSION_ENV,
  EMISSION_METRICS,
  ENV,
  RESULT_ROW_COLUMNS,
  type ResultColumnType,
  resultsDeliveryStreamNameOf,
  UNDELIVERED_PREFIX,
} from '../core/contract';
import type { Pipeline } from '../core/definition';
import { SettingError } from '../core/errors';
import { EMITTER_MAPPING_DEFAULTS, FUNCTION_DEFAULTS, MAPPING_DEFAULTS } from '../core/function-defaults';
import { grantObjectEncryption } from './data-lake-bucket';
import type { LogGroupOptions } from './log-groups';
import { acknowledgeWildcardResources } from './nag-acknowledgements';
import { type PipelineModule, writeHandlerEntry } from './processor-entry';
import { STATE_CHECKPOINT_PARTITION, STATE_META_PARTITION, STATE_RECORD_SORT_KEY } from './state-tables';
import { StreamfoldFunction } from './streamfold-function';
import { grantItemActions } from './table-grants';
import { bufferingSeconds, checkDuration, checkInteger } from './validate';

/**
 * DynamoDB item actions of the emitter and the closer (lambdas/emitter: result-items, delivery-markers;
 * lambdas/closer and the state store it commits through).
 */
export const EMISSION_TABLE_ACTIONS = {
  /** Final-result items (`sk` `r#<window>#<start>`), with `persistResults` only. */
  emitterState: ['dynamodb:BatchWriteItem'],
  /** The pipeline's id key (pk `#meta`, sk `id-key`): read once per container, created once (conditional put). */
  emitterIdKey: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  /**
   * Alert delivery markers: BatchGetItem to skip delivered alerts, PutItem after a delivery (the emitter, and the
   * closer when it re-delivers spilled messages).
   */
  emitterDedupe: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'],
  /**
   * Checkpoints and due items (Query), the due keys' items (BatchGetItem), the conditional PutItem of a finalized
   * key and of its due item, and deleting settled due items (BatchWriteItem). No Scan: reads grow with the keys due.
   * The layout registry (pk `#meta`, sk `layout#...`): GetItem of a layout it does not know, PutItem of its own.
   */
  closerState: [
    'dynamodb:BatchGetItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
  ],
} as const;

export { UNDELIVERED_PREFIX };

/** Metric of failed sink deliveries (the emitter's and the closer's `EMISSION_METRICS.deliveryFailures`). */
export const SINK_DELIVERY_FAILURES_METRIC = EMISSION_METRICS.deliveryFailures;

/** S3 prefix of the final window results in the data lake bucket (core/contract.ts). */
export { AGGREGATES_PREFIX };

const GLUE_TYPES: Record<ResultColumnType, string> = {
  string: 'string',
  bigint: 'bigint',
  json: 'string',
  'string[]': 'array<string>',
};

/** Columns of the `aggregates` Glue table: the results row (core/contract.ts) as Glue types. */
export const AGGREGATE_COLUMNS: readonly { readonly name: string; readonly type: string }[] = RESULT_ROW_COLUMNS.map(
  (c) => ({ name: c.name, type: GLUE_TYPES[c.type] }),
);

/** The Timestream table the emitter writes final results to (e.g. `TimestreamSink` of lib/timestream-sink.ts). */
export interface ITimestreamTarget {
  readonly databaseName: string;
  readonly tableName: string;
  /** Lets `grantee` write records (WriteRecords, and DescribeEndpoints on `*`). */
  grantWrite(grantee: iam.IGrantable): iam.Grant;
}

/** Where final window results go in the warehouse. */
export interface WarehouseTarget {
  /** The data lake bucket (results under `aggregates/dt=yyyy-MM-dd/`). */
  readonly bucket: s3.IBucket;
  /** Glue database of the `aggregates` table (e.g. `DataLakeCatalog.databaseName`). */
  readonly databaseName: string;
  /**
   * Glue table name.
   * @default 'aggregates'
   */
  readonly tableName?: string;
  /**
   * Firehose buffering interval (0-900 s): freshness of the results in the warehouse.
   * @default Duration.seconds(60)
   */
  readonly bufferingInterval?: Duration;
}

/** Props of {@link Emission}. */
export interface EmissionProps {
  /** The pipeline definition. */
  readonly pipeline: Pipeline;
  /** Module exporting the same pipeline: bundled into both functions. */
  readonly definition: PipelineModule;
  /** The state table: needs its stream (NEW_AND_OLD_IMAGES). */
  readonly stateTable: dynamodb.ITable;
  /** The dedupe table (holds the emitter's delivery markers too). */
  readonly dedupeTable: dynamodb.ITable;
  /**
   * Topic the alerts are published to.
   * @default - a new KMS-encrypted topic `<pipeline>-alerts`
   */
  readonly alertsTopic?: sns.ITopic;
  /**
   * Key of the created alerts topic and failed queue.
   * @default - the AWS-managed keys (alias/aws/sns, SQS-managed SSE)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * EventBridge bus that also receives the alerts: `true` creates one (`<pipeline>-alerts`).
   * @default - none
   */
  readonly eventBus?: events.IEventBus | boolean;
  /**
   * Kinesis stream that also receives the alerts.
   * @default - none
   */
  readonly alertsStream?: kinesis.IStream;
  /**
   * Final results into the warehouse (Firehose + Glue table).
   * @default - none (results still reach state queries and Timestream when set)
   */
  readonly warehouse?: WarehouseTarget;
  /**
   * Final results into Timestream for LiveAnalytics (closed to new customers since 2025-06-20).
   * @default - none
   */
  readonly timestream?: ITimestreamTarget;
  /**
   * On-failure destination of the emitter's event source mapping.
   * @default - a new encrypted queue, 14-day retention
   */
  readonly failedQueue?: sqs.IQueue;
  /**
   * Removal policy of the created failed queue.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Log groups of the emitter and the closer (`<namePrefix>emitter`, `<namePrefix>closer`).
   * @default - generated names, CloudWatch Logs' own encryption, RETAIN, one month
   */
  readonly logGroups?: LogGroupOptions;
  /**
   * Stream records per emitter invocation (1-10000).
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * Retries of a failing stream batch (0-10000) before its records go to the failed queue.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Stream records older than this go to the failed queue (60 s to 7 days).
   * @default Duration.hours(24)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Persist final results in the state table for state queries (one write unit per result).
   * @default false
   */
  readonly persistResults?: boolean;
  /**
   * The rejected and late side-output queues: the emitter (and the closer's re-delivery) delivers the side-output
   * messages state writes carry (`o`: late entries, `state-too-large` rejections) — the durable path of what the
   * processor also sends right after its commits.
   * @default - none: only the processor's own sends
   */
  readonly sideOutputQueues?: { readonly rejected: sqs.IQueue; readonly late: sqs.IQueue };
  /**
   * Bucket where the emitter spills the alerts and results a sink still refuses after its retries (an outage), under
   * `undelivered/<sink>/<yyyy-mm-dd>/`; the closer re-delivers them on its schedule.
   * @default - `warehouse.bucket` when `warehouse` is set; else none (refused messages fail their stream records,
   * which are retried and then parked in the failed queue)
   */
  readonly undeliveredBucket?: s3.IBucket;
  /**
   * How often the closer runs (1-60 minutes, whole minutes).
   * @default Duration.minutes(1)
   */
  readonly closerInterval?: Duration;
  /**
   * A source whose last valid record is older than this is idle (it no longer holds the watermark back).
   * @default Duration.minutes(1)
   */
  readonly idleTimeout?: Duration;
  /**
   * The processor's ParallelizationFactor: above 1 the closer finalizes nothing while any source is active (each key
   * has its own stream time; another lane's progress says nothing about it).
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * Memory of both functions, MB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Folder for the generated entry files.
   * @default - `.streamfold/cdk-entries` under the project root
   */
  readonly entryDir?: string;
}

/** Checks the emission settings; throws SettingError quoting the bad value. */
export function validateEmissionSettings(
  props: Omit<EmissionProps, 'stateTable' | 'dedupeTable' | 'definition'>,
): void {
  const p = props;
  if (p.batchSize !== undefined) checkInteger('batchSize', p.batchSize, 1, 10_000);
  if (p.retryAttempts !== undefined) checkInteger('retryAttempts', p.retryAttempts, 0, 10_000);
  if (p.memorySize !== undefined) checkInteger('memorySize', p.memorySize, 128, 10_240);
  if (p.maxRecordAge) {
    checkDuration('maxRecordAge', p.maxRecordAge, 'seconds', { min: 60, max: 604_800 }, 'from 60 seconds to 7 days');
  }
  if (p.closerInterval) {
    const range = { min: 1, max: 60, whole: true };
    checkDuration('closerInterval', p.closerInterval, 'minutes', range, 'a whole number of minutes from 1 to 60');
  }
  if (p.idleTimeout) {
    checkDuration('idleTimeout', p.idleTimeout, 'seconds', { min: 1, max: 86_400 }, 'from 1 second to 1 day');
  }
  if (p.warehouse?.bufferingInterval) bufferingSeconds('warehouse.bufferingInterval', p.warehouse.bufferingInterval);
  if (p.warehouse?.tableName !== undefined && !/^[a-z_][a-z0-9_]{0,254}$/.test(p.warehouse.tableName)) {
    throw new SettingError('warehouse.tableName', p.warehouse.tableName, 'lowercase letters, digits and _');
  }
}

/** Writes the entry module of the emitter or closer and returns its path (see {@link writeHandlerEntry}). */
export function writeEmissionEntry(definition: PipelineModule, kind: 'emitter' | 'closer', outDir?: string): string {
  return writeHandlerEntry(definition, kind, outDir);
}

/**
 * Lambda target of EventBridge Scheduler that lets the schedule's role invoke exactly the function ARN (the CDK
 * target also grants `<function>:*`, every version and alias).
 */
class ExactLambdaInvoke extends schedulerTargets.LambdaInvoke {
  readonly #fn: lambda.IFunction;
  constructor(fn: lambda.IFunction, props: schedulerTargets.ScheduleTargetBaseProps) {
    super(fn, props);
    this.#fn = fn;
  }

  protected override addTargetActionToRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.#fn.functionArn] }),
    );
  }
}

/**
 * The emitter, the closer and their sinks for one pipeline (alarms and dashboard: `monitorEmission`). See lambdas/emitter for the exactly-once
 * delivery design (delivery markers in the dedupe table, deterministic message ids).
 */
export class Emission extends Construct {
  readonly emitter: lambda.IFunction;
  readonly closer: lambda.IFunction;
  readonly alertsTopic: sns.ITopic;
  readonly eventBus?: events.IEventBus;
  readonly failedQueue: sqs.IQueue;
  /** UUID of the emitter's event source mapping (dimension `EventSourceMappingUUID` of its metrics). */
  readonly eventSourceMappingId: string;
  /** Firehose delivery stream of final results (when `warehouse` is set). */
  readonly resultsDeliveryStreamName?: string;
  /** Glue table of final results (when `warehouse` is set). */
  readonly aggregatesTableName?: string;

  constructor(scope: Construct, id: string, props: EmissionProps) {
    super(scope, id);
    const { pipeline } = props;
    validateEmissionSettings(props);
    const streamArn = props.stateTable.tableStreamArn;
    if (!streamArn) {
      // The construct path, not the table name: that is a token until deploy time.
      throw new SettingError('stateTable', props.stateTable.node.path, 'a table with a stream (NEW_AND_OLD_IMAGES)');
    }

    this.alertsTopic =
      props.alertsTopic ??
      new sns.Topic(this, 'Alerts', {
        topicName: `${pipeline.name}-alerts`,
        displayName: `streamfold ${pipeline.name} alerts`,
        enforceSSL: true,
        masterKey: props.encryptionKey,
      });
    if (props.eventBus) {
      this.eventBus =
        props.eventBus === true
          ? new events.EventBus(this, 'Bus', { eventBusName: `${pipeline.name}-alerts` })
          : props.eventBus;
    }
    this.failedQueue =
      props.failedQueue ??
      new sqs.Queue(this, 'Failed', {
        queueName: `${pipeline.name}-emitter-failed`,
        retentionPeriod: Duration.days(14),
        enforceSSL: true,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
        ...(props.encryptionKey
          ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey }
          : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
      });
    if (!props.failedQueue) {
      Validations.of(this.failedQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself the dead-letter destination of the emitter’s event source mapping.',
      });
    }

    const env = EMISSION_ENV;
    const environment: Record<string, string> = {
      [ENV.stateTable]: props.stateTable.tableName,
      [ENV.dedupeTable]: props.dedupeTable.tableName,
      [env.alertsTopicArn]: this.alertsTopic.topicArn,
      [env.persistResults]: String(props.persistResults ?? false),
      [ENV.idleTimeoutMs]: String((props.idleTimeout ?? Duration.minutes(1)).toMilliseconds()),
      [ENV.parallelizationFactor]: String(props.parallelizationFactor ?? MAPPING_DEFAULTS.parallelizationFactor),
    };
    if (this.eventBus) environment[env.eventBusName] = this.eventBus.eventBusName;
    if (props.alertsStream) environment[env.alertsStreamName] = props.alertsStream.streamName;
    if (props.timestream) {
      environment[env.timestreamDatabase] = props.timestream.databaseName;
      environment[env.timestreamTable] = props.timestream.tableName;
    }
    if (props.warehouse) {
      const warehouse = this.#warehouse(pipeline.name, props.warehouse);
      this.resultsDeliveryStreamName = warehouse.deliveryStreamName;
      this.aggregatesTableName = warehouse.tableName;
      environment[env.resultsDeliveryStream] = warehouse.deliveryStreamName;
    }

    const spillBucket = props.undeliveredBucket ?? props.warehouse?.bucket;
    if (spillBucket) environment[env.undeliveredBucket] = spillBucket.bucketName;
    if (props.sideOutputQueues) {
      environment[ENV.rejectedQueueUrl] = props.sideOutputQueues.rejected.queueUrl;
      environment[ENV.lateQueueUrl] = props.sideOutputQueues.late.queueUrl;
    }

    const emitter = this.#function('Emitter', 'emitter', props, environment, Duration.minutes(1));
    const closer = this.#function('Closer', 'closer', props, environment, Duration.minutes(1));
    this.emitter = emitter;
    this.closer = closer;

    // Emitter: stream read (by the event source), the id key, result items, alert delivery markers, sinks. The closer
    // re-delivers spilled messages when there is a spill bucket: it gets the markers and the sinks too.
    grantItemActions(emitter, props.stateTable, EMISSION_TABLE_ACTIONS.emitterIdKey, {
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [STATE_META_PARTITION] },
    });
    if (props.persistResults ?? false) {
      // IAM cannot confine the emitter to its result items: `dynamodb:LeadingKeys` constrains the partition key only,
      // and result items share their partition (the aggregation key) with the key's state item, so no policy can
      // tell `sk = r#...` from `sk = state`. The condition keeps the emitter off the checkpoint partition; only a
      // table of their own would separate result items from state items (see the README). While producer keys may
      // equal the checkpoint partition value, a result of such a key is refused here: the processor must reject keys
      // in the internal key space.
      grantItemActions(emitter, props.stateTable, EMISSION_TABLE_ACTIONS.emitterState, {
        'ForAllValues:StringNotEquals': { 'dynamodb:LeadingKeys': [STATE_CHECKPOINT_PARTITION] },
      });
    }
    for (const fn of spillBucket ? [emitter, closer] : [emitter]) {
      this.#grantDelivery(fn, props);
      props.sideOutputQueues?.rejected.grantSendMessages(fn);
      props.sideOutputQueues?.late.grantSendMessages(fn);
    }
    if (spillBucket) this.#grantSpill(spillBucket, emitter, closer);
    const eventSource = new sources.DynamoEventSource(props.stateTable, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: props.batchSize ?? FUNCTION_DEFAULTS.emitterBatchSize,
      maxBatchingWindow: Duration.seconds(1),
      bisectBatchOnError: true,
      retryAttempts: props.retryAttempts ?? EMITTER_MAPPING_DEFAULTS.retryAttempts,
      maxRecordAge: props.maxRecordAge ?? Duration.hours(EMITTER_MAPPING_DEFAULTS.maxRecordAgeHours),
      reportBatchItemFailures: true,
      parallelizationFactor: 1,
      onFailure: new sources.SqsDlq(this.failedQueue),
      metricsConfig: { metrics: [lambda.MetricType.EVENT_COUNT] },
      // Only state records with something to emit reach the function (checkpoints, result items, TTL deletes do not).
      filters: [
        lambda.FilterCriteria.filter({
          eventName: lambda.FilterRule.or('INSERT', 'MODIFY'),
          dynamodb: { Keys: { sk: { S: lambda.FilterRule.isEqual(STATE_RECORD_SORT_KEY) } } },
        }),
      ],
    });
    emitter.addEventSource(eventSource);
    this.eventSourceMappingId = eventSource.eventSourceMappingId;

    // Closer: checkpoints (table Query), a filtered Scan for keys to close, BatchGetItem + conditional PutItem.
    grantItemActions(closer, props.stateTable, EMISSION_TABLE_ACTIONS.closerState);
    const interval = props.closerInterval ?? Duration.minutes(FUNCTION_DEFAULTS.closerIntervalMinutes);
    const schedulerRole = new iam.Role(this, 'CloserScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Stack.of(this).account,
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'scheduler',
              resource: 'schedule-group',
              resourceName: 'default',
            }),
          },
        },
      }),
      description: `EventBridge Scheduler: invoke the closer of ${pipeline.name}`,
    });
    new scheduler.Schedule(this, 'CloserSchedule', {
      description: `streamfold ${pipeline.name}: finalize windows when traffic stops`,
      schedule: scheduler.ScheduleExpression.rate(interval),
      // A missed run is harmless: the next one closes the same windows.
      target: new ExactLambdaInvoke(closer, { role: schedulerRole, retryAttempts: 0 }),
    });

    if (spillBucket && props.timestream) {
      acknowledgeWildcardResources(
        closer.role ?? closer,
        ['*'],
        'timestream:DescribeEndpoints (re-delivery of spilled results) supports no resource-level permissions.',
      );
    }
    acknowledgeWildcardResources(
      emitter.role ?? emitter,
      ['*'],
      'dynamodb:ListStreams (added by the DynamoDB event source for its pollers) and, with Timestream, ' +
        'timestream:DescribeEndpoints support no resource-level permissions; every other statement names its resource.',
    );
  }

  /** Lets `fn` deliver to the sinks: alert markers in the dedupe table, topic, bus, stream, Timestream, Firehose. */
  #grantDelivery(fn: lambda.IFunction, props: EmissionProps): void {
    grantItemActions(fn, props.dedupeTable, EMISSION_TABLE_ACTIONS.emitterDedupe);
    this.alertsTopic.grantPublish(fn);
    this.eventBus?.grantPutEventsTo(fn);
    props.alertsStream?.grantWrite(fn);
    props.timestream?.grantWrite(fn);
    if (props.warehouse && this.resultsDeliveryStreamName) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
          resources: [
            Stack.of(this).formatArn({
              service: 'firehose',
              resource: 'deliverystream',
              resourceName: this.resultsDeliveryStreamName,
            }),
          ],
        }),
      );
    }
  }

  /**
   * Spill grants, on the `undelivered/` prefix only: the emitter writes spill objects; the closer lists, reads,
   * rewrites and deletes them when it re-delivers.
   */
  #grantSpill(bucket: s3.IBucket, emitter: lambda.IFunction, closer: lambda.IFunction): void {
    const objects = bucket.arnForObjects(`${UNDELIVERED_PREFIX}*`);
    emitter.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objects] }));
    closer.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
        resources: [objects],
      }),
    );
    closer.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${UNDELIVERED_PREFIX}*`] } },
      }),
    );
    for (const fn of [emitter, closer]) {
      grantObjectEncryption(bucket, fn);
      acknowledgeWildcardResources(
        fn.role ?? fn,
        [objects],
        'Spill objects are named per invocation under the undelivered/ prefix: a prefix wildcard is the narrowest.',
      );
    }
  }

  #function(
    id: string,
    component: 'emitter' | 'closer',
    props: EmissionProps,
    environment: Record<string, string>,
    timeout: Duration,
  ): StreamfoldFunction {
    return new StreamfoldFunction(this, id, {
      pipelineName: props.pipeline.name,
      definition: props.definition,
      handler: component,
      component,
      memorySize: props.memorySize ?? FUNCTION_DEFAULTS.emissionMemoryMb,
      timeout,
      environment,
      logGroups: props.logGroups,
      entryDir: props.entryDir,
    });
  }

  /** Firehose (Direct PUT) into `aggregates/dt=yyyy-MM-dd/` plus the Glue table. */
  #warehouse(pipelineName: string, target: WarehouseTarget): { deliveryStreamName: string; tableName: string } {
    const stack = Stack.of(this);
    const name = resultsDeliveryStreamNameOf(pipelineName);
    const tableName = target.tableName ?? 'aggregates';
    const role = new iam.Role(this, 'AggregatesDeliveryRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Firehose ${name}: write final window results to the data lake`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [target.bucket.bucketArn],
      }),
    );
    const objects = [
      target.bucket.arnForObjects(`${AGGREGATES_PREFIX}*`),
      target.bucket.arnForObjects('aggregates-errors/*'),
    ];
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
        resources: objects,
      }),
    );
    grantObjectEncryption(target.bucket, role);
    const interval = (target.bufferingInterval ?? Duration.seconds(60)).toSeconds();
    const stream = new firehose.CfnDeliveryStream(this, 'AggregatesDelivery', {
      deliveryStreamName: name,
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: target.bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: `${AGGREGATES_PREFIX}dt=!{timestamp:yyyy-MM-dd}/`,
        errorOutputPrefix: 'aggregates-errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/',
        compressionFormat: 'GZIP',
        bufferingHints: { intervalInSeconds: interval, sizeInMBs: 64 },
      },
    });
    stream.node.addDependency(role);
    acknowledgeWildcardResources(
      role,
      objects,
      'Object ARNs are scoped to the aggregates/ prefixes: Firehose names the objects, so a prefix wildcard is the narrowest.',
    );
    this.#resultsTable(target, tableName);
    return { deliveryStreamName: name, tableName };
  }

  /** The Glue table of the final results (JSON lines under `aggregates/`, partitioned by day with projection). */
  #resultsTable(target: WarehouseTarget, tableName: string): void {
    const stack = Stack.of(this);
    const location = `s3://${target.bucket.bucketName}/${AGGREGATES_PREFIX}`;
    new glue.CfnTable(this, 'AggregatesTable', {
      catalogId: stack.account,
      databaseName: target.databaseName,
      tableInput: {
        name: tableName,
        description: 'Final window results of streamfold (GZIP JSON lines, one per window, key and start)',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.dt.range': '2025-01-01,NOW',
          'projection.dt.interval': '1',
          'projection.dt.interval.unit': 'DAYS',
          'storage.location.template': `${location}dt=\${dt}/`,
        },
        partitionKeys: [{ name: 'dt', type: 'string' }],
        storageDescriptor: {
          location,
          columns: AGGREGATE_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true' },
          },
        },
      },
    });
  }
}
