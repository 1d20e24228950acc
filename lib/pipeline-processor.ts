import { Annotations, Duration, Names } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../core/contract';
import type { Pipeline } from '../core/definition';
import { SettingError } from '../core/errors';
import { FUNCTION_DEFAULTS, MAPPING_DEFAULTS } from '../core/function-defaults';
import { type CleanEventsDestination, grantPutRecords } from './delivery-role';
import { UnsafeParallelizationError } from './errors';
import type { LogGroupOptions } from './log-groups';
import { mskResourceArn } from './msk-arns';
import { acknowledgeWildcardResources } from './nag-acknowledgements';
import type { PipelineModule } from './processor-entry';
import { StreamfoldFunction } from './streamfold-function';
import { grantItemActions } from './table-grants';
import { checkDuration, checkInteger } from './validate';

/** Lambda's synchronous invocation payload limit, bytes. */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/**
 * Estimated bytes one record takes in the Lambda event: base64 of the data (4/3) plus the JSON envelope (ids,
 * sequence number, ARNs: ~550 bytes). A 1 KiB record gives ~1.9 KB (docs/architecture.md §2.12).
 */
export function estimatedEventBytes(recordBytes: number): number {
  return Math.ceil((recordBytes * 4) / 3) + 550;
}

/** Where the processor reads from. */
export type ProcessorSourceProps =
  | {
      readonly kind: 'kinesis';
      /** The stream. */
      readonly stream: kinesis.IStream;
      /** Enhanced fan-out consumer to read through. @default - shared-throughput polling */
      readonly consumer?: kinesis.IStreamConsumer;
    }
  | {
      readonly kind: 'msk';
      /** ARN of the MSK cluster (IAM access control). */
      readonly clusterArn: string;
      /** Topic to read. */
      readonly topic: string;
    };

/** Event pollers of a Kafka event source mapping in provisioned mode. */
export interface MskPollers {
  /**
   * Pollers kept running even without traffic (1-200).
   * @default 1
   */
  readonly minimum?: number;
  /**
   * Pollers Lambda may scale up to (1-2000). More pollers than topic partitions do not add throughput.
   * @default 10
   */
  readonly maximum?: number;
}

/** DynamoDB item actions of the processor (lambdas/state: state-store, checkpoints, claim items, due index). */
export const PROCESSOR_TABLE_ACTIONS = {
  /**
   * State items (BatchGetItem, conditional PutItem), checkpoints (GetItem, PutItem, Query of their partition), a hot
   * key's spilled claim items (BatchGetItem, UpdateItem `ADD`, BatchWriteItem deletes) and due items (PutItem).
   */
  state: [
    'dynamodb:BatchGetItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:UpdateItem',
  ],
} as const;

/** Props of {@link PipelineProcessor}. */
export interface PipelineProcessorProps {
  /** The pipeline definition (validated settings are read from it). */
  readonly pipeline: Pipeline;
  /** Module exporting the same pipeline: bundled into the function. */
  readonly definition: PipelineModule;
  /** The event source. */
  readonly source: ProcessorSourceProps;
  readonly stateTable: dynamodb.ITable;
  readonly rejectedQueue: sqs.IQueue;
  readonly lateQueue: sqs.IQueue;
  /** On-failure destination of the event source mapping. */
  readonly failedQueue: sqs.IQueue;
  /**
   * The clean-events output: the Direct PUT delivery streams every valid record goes to, and the event field their
   * rows are partitioned by (`false`: date and hour only).
   * @default - no clean-events output
   */
  readonly cleanEvents?: {
    readonly destinations: readonly CleanEventsDestination[];
    readonly partitionField: string | false;
  };
  /**
   * Records per invocation (1-10000). Kept well under the 6 MB payload limit for ~1 KiB records.
   * @default 500
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers records before invoking (0-300 s).
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Concurrent batches per Kinesis shard (1-10). Above 1 only when the aggregation key is the partition key.
   * @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * Retries of a failing batch (0-10000) before it goes to the failed queue. Never infinite: a poison record must
   * not block its shard until the records expire.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Records older than this are sent to the failed queue instead of processed (60 s to 7 days).
   * @default Duration.hours(6)
   */
  readonly maxRecordAge?: Duration;
  /**
   * Split a failing batch in two and retry each half (Kinesis).
   * @default true
   */
  readonly bisectBatchOnError?: boolean;
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
   * Function memory, MB (also buys CPU).
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Function timeout.
   * @default Duration.minutes(1)
   */
  readonly timeout?: Duration;
  /**
   * A source whose last valid record is older than this no longer holds the watermark back (pipelines whose
   * aggregation key is not the partition key: their windows are final at the minimum over sources).
   * @default Duration.minutes(1)
   */
  readonly idleTimeout?: Duration;
  /**
   * Entries of the in-memory state cache kept across invocations (1-10000000; the processor refuses to start with 0).
   * @default 10000
   */
  readonly cacheSize?: number;
  /**
   * Concurrent DynamoDB writes per invocation (1-256).
   * @default 16
   */
  readonly writeConcurrency?: number;
  /**
   * Event pollers of the MSK event source mapping, which always runs in provisioned mode: only there do maximum
   * retries, maximum record age, bisect on error and partial batch responses apply to a Kafka source (the default
   * retry is infinite). Provisioned pollers are billed per event poller unit-hour, the minimum ones included.
   * Only with an MSK source.
   * @default - { minimum: 1, maximum: 10 }
   */
  readonly mskPollers?: MskPollers;
  /**
   * Log group of the function (name prefix, key, removal policy).
   * @default - a generated name, CloudWatch Logs' own encryption, RETAIN, one month
   */
  readonly logGroups?: LogGroupOptions;
  /**
   * Folder for the generated entry file.
   * @default - `.streamfold/cdk-entries` under the project root
   */
  readonly entryDir?: string;
}

/** Settings {@link validateProcessorSettings} checks. */
export type ProcessorSettings = Pick<
  PipelineProcessorProps,
  | 'pipeline'
  | 'batchSize'
  | 'maxBatchingWindow'
  | 'parallelizationFactor'
  | 'retryAttempts'
  | 'maxRecordAge'
  | 'expectedRecordBytes'
  | 'memorySize'
  | 'timeout'
  | 'idleTimeout'
  | 'cacheSize'
  | 'writeConcurrency'
  | 'mskPollers'
> & { readonly sourceKind: 'kinesis' | 'msk' };

/**
 * Checks the processing settings; throws on an invalid or unsafe one. Runs before anything is bundled, so a bad
 * setting fails `cdk synth` fast.
 */
export function validateProcessorSettings(props: ProcessorSettings): void {
  const p = props;
  if (p.batchSize !== undefined) checkInteger('batchSize', p.batchSize, 1, 10_000);
  if (p.maxBatchingWindow) {
    checkDuration('maxBatchingWindow', p.maxBatchingWindow, 'seconds', { min: 0, max: 300 }, 'from 0 to 300 seconds');
  }
  if (p.parallelizationFactor !== undefined) checkParallelization(p, p.parallelizationFactor);
  if (p.retryAttempts === -1) {
    throw new SettingError(
      'retryAttempts',
      p.retryAttempts,
      'a finite number of retries from 0 to 10000 (-1 retries until the records expire and blocks the shard on a poison record)',
    );
  }
  if (p.retryAttempts !== undefined) checkInteger('retryAttempts', p.retryAttempts, 0, 10_000);
  if (p.maxRecordAge) {
    checkDuration('maxRecordAge', p.maxRecordAge, 'seconds', { min: 60, max: 604_800 }, 'from 60 seconds to 7 days');
  }
  if (p.expectedRecordBytes !== undefined) {
    checkInteger('expectedRecordBytes', p.expectedRecordBytes, 1, 10 * 1024 * 1024);
  }
  if (p.memorySize !== undefined) checkInteger('memorySize', p.memorySize, 128, 10_240);
  if (p.timeout) checkDuration('timeout', p.timeout, 'seconds', { min: 1, max: 900 }, 'from 1 to 900 seconds');
  if (p.idleTimeout) {
    checkDuration('idleTimeout', p.idleTimeout, 'seconds', { min: 1, max: 86_400 }, 'from 1 second to 1 day');
  }
  if (p.cacheSize !== undefined) checkInteger('cacheSize', p.cacheSize, 1, 10_000_000);
  if (p.writeConcurrency !== undefined) checkInteger('writeConcurrency', p.writeConcurrency, 1, 256);
  if (p.mskPollers !== undefined) checkMskPollers(p.sourceKind, p.mskPollers);
}

/** ParallelizationFactor: 1-10, 1 with MSK, above 1 only when the aggregation key is the partition key. */
function checkParallelization(props: ProcessorSettings, factor: number): void {
  checkInteger('parallelizationFactor', factor, 1, 10);
  if (props.sourceKind === 'msk' && factor !== 1) {
    throw new SettingError(
      'parallelizationFactor',
      factor,
      '1 with MSK (parallelism is set by the number of partitions)',
    );
  }
  if (factor > 1 && !props.pipeline.partitionedByKey) {
    const { name, fields } = props.pipeline;
    throw new UnsafeParallelizationError(name, factor, fields.key, fields.partitionKey);
  }
}

/** MSK pollers: only with MSK, minimum 1-200, maximum 1-2000, minimum ≤ maximum. */
function checkMskPollers(sourceKind: 'kinesis' | 'msk', pollers: MskPollers): void {
  if (sourceKind !== 'msk') throw new SettingError('mskPollers', pollers, 'no MSK pollers with a Kinesis source');
  const { minimum = DEFAULT_MSK_POLLERS.minimum, maximum = DEFAULT_MSK_POLLERS.maximum } = pollers;
  checkInteger('mskPollers.minimum', minimum, 1, 200);
  checkInteger('mskPollers.maximum', maximum, 1, 2000);
  if (minimum > maximum) {
    throw new SettingError('mskPollers', { minimum, maximum }, 'a minimum no larger than the maximum');
  }
}

/** Pollers of the MSK event source mapping when `mskPollers` leaves them out. */
export const DEFAULT_MSK_POLLERS = { minimum: 1, maximum: 10 } as const;

/**
 * The processor: a NodejsFunction bundling the handler with the pipeline definition (esbuild, minified, ARM64,
 * Node.js 24, AWS SDK v3 bundled at the pinned versions), its event source mapping with safe retry settings and an
 * SQS on-failure destination (an MSK mapping in provisioned mode, where those settings apply to Kafka), and
 * least-privilege grants: its own log group, the item actions it performs on each table
 * ({@link PROCESSOR_TABLE_ACTIONS}), the side-output queues, and for MSK the cluster, topic and consumer group.
 */
export class PipelineProcessor extends Construct {
  /** The processor function. */
  readonly function: lambda.IFunction;
  /** UUID of the event source mapping (dimension `EventSourceMappingUUID` of its metrics). */
  readonly eventSourceMappingId: string;

  constructor(scope: Construct, id: string, props: PipelineProcessorProps) {
    super(scope, id);
    const { pipeline, source } = props;
    validateProcessorSettings({ ...props, sourceKind: source.kind });

    const batchSize = props.batchSize ?? FUNCTION_DEFAULTS.processorBatchSize;
    const recordBytes = props.expectedRecordBytes ?? 1024;
    const payload = batchSize * estimatedEventBytes(recordBytes);
    if (payload > LAMBDA_PAYLOAD_LIMIT_BYTES) {
      Annotations.of(this).addWarningV2(
        'streamfold:batch-payload',
        `batchSize ${batchSize} with ~${recordBytes}-byte records makes events of ~${(payload / 1e6).toFixed(1)} MB, ` +
          `over Lambda's 6 MB payload limit: Lambda will split batches or fail them. Use at most ` +
          `${Math.floor(LAMBDA_PAYLOAD_LIMIT_BYTES / estimatedEventBytes(recordBytes))} records per batch.`,
      );
    }

    const fn = new StreamfoldFunction(this, 'Function', {
      pipelineName: pipeline.name,
      definition: props.definition,
      handler: source.kind,
      component: 'processor',
      description: `streamfold processor of pipeline ${pipeline.name} (${source.kind})`,
      memorySize: props.memorySize ?? FUNCTION_DEFAULTS.processorMemoryMb,
      timeout: props.timeout ?? Duration.minutes(1),
      environment: {
        [ENV.stateTable]: props.stateTable.tableName,
        [ENV.rejectedQueueUrl]: props.rejectedQueue.queueUrl,
        [ENV.lateQueueUrl]: props.lateQueue.queueUrl,
        [ENV.idleTimeoutMs]: String((props.idleTimeout ?? Duration.minutes(1)).toMilliseconds()),
        [ENV.cacheSize]: String(props.cacheSize ?? 10_000),
        [ENV.writeConcurrency]: String(props.writeConcurrency ?? 16),
        // Above 1 the processor tracks stream time per key (several batches of a shard run at once).
        [ENV.parallelizationFactor]: String(props.parallelizationFactor ?? MAPPING_DEFAULTS.parallelizationFactor),
        ...(props.cleanEvents && props.cleanEvents.destinations.length > 0
          ? {
              [ENV.cleanDeliveryStreams]: props.cleanEvents.destinations.map((d) => d.deliveryStreamName).join(','),
              [ENV.cleanPartitionField]: String(props.cleanEvents.partitionField),
            }
          : {}),
      },
      logGroups: props.logGroups,
      siblingIdPrefix: '',
      entryDir: props.entryDir,
    });
    this.function = fn;

    // Least privilege: only the item operations the processor performs, on each table itself.
    grantItemActions(fn, props.stateTable, PROCESSOR_TABLE_ACTIONS.state);
    props.rejectedQueue.grantSendMessages(fn);
    props.lateQueue.grantSendMessages(fn);
    grantPutRecords(fn, props.cleanEvents?.destinations ?? []);

    const common = {
      batchSize,
      maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(MAPPING_DEFAULTS.maxBatchingWindowSeconds),
      startingPosition: props.startingPosition ?? lambda.StartingPosition[MAPPING_DEFAULTS.startingPosition],
      retryAttempts: props.retryAttempts ?? MAPPING_DEFAULTS.retryAttempts,
      maxRecordAge: props.maxRecordAge ?? Duration.hours(MAPPING_DEFAULTS.maxRecordAgeHours),
      bisectBatchOnError: props.bisectBatchOnError ?? MAPPING_DEFAULTS.bisectBatchOnError,
      reportBatchItemFailures: true,
      onFailure: new sources.SqsDlq(props.failedQueue),
      metricsConfig: {
        metrics:
          source.kind === 'kinesis'
            ? [lambda.MetricType.EVENT_COUNT]
            : [lambda.MetricType.EVENT_COUNT, lambda.MetricType.ERROR_COUNT, lambda.MetricType.KAFKA_METRICS],
      },
    };
    if (source.kind === 'kinesis') {
      const kinesisProps = {
        ...common,
        parallelizationFactor: props.parallelizationFactor ?? MAPPING_DEFAULTS.parallelizationFactor,
      };
      const eventSource = source.consumer
        ? new sources.KinesisConsumerEventSource(source.consumer, kinesisProps)
        : new sources.KinesisEventSource(source.stream, kinesisProps);
      fn.addEventSource(eventSource);
      this.eventSourceMappingId = eventSource.eventSourceMappingId;
    } else {
      // lambda.EventSourceMapping rather than ManagedKafkaEventSource: the latter attaches AWSLambdaMSKExecutionRole,
      // which allows creating and writing every log group of the account. Provisioned mode is what makes retries,
      // record age, bisect and partial batch responses apply to a Kafka source.
      const pollers = { ...DEFAULT_MSK_POLLERS, ...props.mskPollers };
      // The construct id ManagedKafkaEventSource used, so deployed mappings keep their logical id and are updated in
      // place: a replacement would create a second mapping with the same consumer group, which Lambda refuses.
      const mappingId = `KafkaEventSource:${Names.nodeUniqueId(fn.node)}${source.topic}`;
      const mapping = fn.addEventSourceMapping(mappingId, {
        ...common,
        eventSourceArn: source.clusterArn,
        kafkaTopic: source.topic,
        kafkaConsumerGroupId: `streamfold-${pipeline.name}`,
        provisionedPollerConfig: { minimumPollers: pollers.minimum, maximumPollers: pollers.maximum },
      });
      this.eventSourceMappingId = mapping.eventSourceMappingId;
      // What the pollers need (AWS documents these for MSK event sources): the cluster's brokers, and network
      // interfaces in the cluster's subnets.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kafka:DescribeCluster', 'kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers'],
          resources: [source.clusterArn],
        }),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DeleteNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeSubnets',
            'ec2:DescribeVpcs',
          ],
          resources: ['*'],
        }),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeClusterDynamicConfiguration'],
          resources: [source.clusterArn],
        }),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
          resources: [mskResourceArn(source.clusterArn, 'topic', source.topic)],
        }),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
          resources: [mskResourceArn(source.clusterArn, 'group', `streamfold-${pipeline.name}`)],
        }),
      );
      acknowledgeWildcardResources(
        fn.executionRole,
        ['*'],
        'The MSK event pollers create and delete network interfaces in the cluster’s subnets (unknown at synth for an ' +
          'existing cluster) and call EC2 Describe* actions, which support no resource-level permissions.',
      );
    }
  }
}
