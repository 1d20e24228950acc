import { Annotations, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, METRIC_NAMESPACE } from '../core/contract';
import type { Pipeline } from '../core/definition';
import { InvalidSettingError, UnsafeParallelizationError } from './errors';
import { mskResourceArn } from './msk-arns';
import { acknowledgeWildcardActions } from './nag-acknowledgements';
import { bundlingProject, HANDLER_BUNDLING, type PipelineModule, writeProcessorEntry } from './processor-entry';

/** Lambda's synchronous invocation payload limit, bytes. */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/**
 * Estimated bytes one record takes in the Lambda event: base64 of the data (4/3) plus the JSON envelope (ids,
 * sequence number, ARNs: ~550 bytes). A 1 KiB record gives ~1.9 KB (DESIGN.md, facts that bite).
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

/** Props of {@link PipelineProcessor}. */
export interface PipelineProcessorProps {
  /** The pipeline definition (validated settings are read from it). */
  readonly pipeline: Pipeline;
  /** Module exporting the same pipeline: bundled into the function. */
  readonly definition: PipelineModule;
  /** The event source. */
  readonly source: ProcessorSourceProps;
  readonly stateTable: dynamodb.ITable;
  readonly dedupeTable: dynamodb.ITable;
  readonly rejectedQueue: sqs.IQueue;
  readonly lateQueue: sqs.IQueue;
  /** On-failure destination of the event source mapping. */
  readonly failedQueue: sqs.IQueue;
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
   * How long an idempotency key is kept (whole hours).
   * @default Duration.hours(24)
   */
  readonly dedupeTtl?: Duration;
  /**
   * Entries of the in-memory state cache kept across invocations.
   * @default 10000
   */
  readonly cacheSize?: number;
  /**
   * Concurrent DynamoDB writes per invocation.
   * @default 16
   */
  readonly writeConcurrency?: number;
  /**
   * Folder for the generated entry file.
   * @default - `.streamfold/cdk-entries` under the project root
   */
  readonly entryDir?: string;
}

function integer(setting: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidSettingError(setting, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

function seconds(setting: string, value: Duration, min: number, max: number, unit: string): Duration {
  const s = value.toSeconds({ integral: false });
  if (!(s >= min && s <= max)) throw new InvalidSettingError(setting, `${s} seconds`, unit);
  return value;
}

/**
 * Checks the processing settings; throws on an invalid or unsafe one. Runs before anything is bundled, so a bad
 * setting fails `cdk synth` fast.
 */
export function validateProcessorSettings(
  props: Pick<
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
    | 'dedupeTtl'
    | 'cacheSize'
    | 'writeConcurrency'
  > & { readonly sourceKind: 'kinesis' | 'msk' },
): void {
  if (props.batchSize !== undefined) integer('batchSize', props.batchSize, 1, 10_000);
  if (props.maxBatchingWindow) seconds('maxBatchingWindow', props.maxBatchingWindow, 0, 300, 'from 0 to 300 seconds');
  if (props.parallelizationFactor !== undefined) {
    integer('parallelizationFactor', props.parallelizationFactor, 1, 10);
    if (props.sourceKind === 'msk' && props.parallelizationFactor !== 1) {
      throw new InvalidSettingError(
        'parallelizationFactor',
        props.parallelizationFactor,
        '1 with MSK (parallelism is set by the number of partitions)',
      );
    }
    if (props.parallelizationFactor > 1 && !props.pipeline.partitionedByKey) {
      throw new UnsafeParallelizationError(
        props.pipeline.name,
        props.parallelizationFactor,
        props.pipeline.fields.key,
        props.pipeline.fields.partitionKey,
      );
    }
  }
  if (props.retryAttempts !== undefined) {
    if (props.retryAttempts === -1) {
      throw new InvalidSettingError(
        'retryAttempts',
        props.retryAttempts,
        'a finite number of retries from 0 to 10000 (-1 retries until the records expire and blocks the shard on a poison record)',
      );
    }
    integer('retryAttempts', props.retryAttempts, 0, 10_000);
  }
  if (props.maxRecordAge) seconds('maxRecordAge', props.maxRecordAge, 60, 604_800, 'from 60 seconds to 7 days');
  if (props.expectedRecordBytes !== undefined) {
    integer('expectedRecordBytes', props.expectedRecordBytes, 1, 10 * 1024 * 1024);
  }
  if (props.memorySize !== undefined) integer('memorySize', props.memorySize, 128, 10_240);
  if (props.timeout) seconds('timeout', props.timeout, 1, 900, 'from 1 to 900 seconds');
  if (props.dedupeTtl) {
    const hours = props.dedupeTtl.toHours({ integral: false });
    if (!Number.isInteger(hours) || hours < 1) {
      throw new InvalidSettingError('dedupeTtl', `${hours} hours`, 'a whole number of hours, at least 1');
    }
  }
  if (props.cacheSize !== undefined) integer('cacheSize', props.cacheSize, 0, 10_000_000);
  if (props.writeConcurrency !== undefined) integer('writeConcurrency', props.writeConcurrency, 1, 256);
}

/**
 * The processor: a NodejsFunction bundling the handler with the pipeline definition (esbuild, minified, ARM64,
 * Node.js 24, AWS SDK v3 bundled at the pinned versions), its event source mapping with safe retry settings and an
 * SQS on-failure destination, and least-privilege grants on the tables and side outputs.
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

    const batchSize = props.batchSize ?? 500;
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

    const entry = writeProcessorEntry({ definition: props.definition, source: source.kind, outDir: props.entryDir });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const fn = new nodejs.NodejsFunction(this, 'Function', {
      description: `streamfold processor of pipeline ${pipeline.name} (${source.kind})`,
      entry,
      handler: 'handler',
      ...bundlingProject(props.definition),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.minutes(1),
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        [ENV.stateTable]: props.stateTable.tableName,
        [ENV.dedupeTable]: props.dedupeTable.tableName,
        [ENV.rejectedQueueUrl]: props.rejectedQueue.queueUrl,
        [ENV.lateQueueUrl]: props.lateQueue.queueUrl,
        [ENV.dedupeTtlHours]: String((props.dedupeTtl ?? Duration.hours(24)).toHours()),
        [ENV.cacheSize]: String(props.cacheSize ?? 10_000),
        [ENV.writeConcurrency]: String(props.writeConcurrency ?? 16),
        // Above 1 the processor tracks stream time per key (several batches of a shard run at once).
        [ENV.parallelizationFactor]: String(props.parallelizationFactor ?? 1),
        POWERTOOLS_SERVICE_NAME: `streamfold-${pipeline.name}`,
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: HANDLER_BUNDLING,
    });
    this.function = fn;

    // Least privilege: only the item operations the processor performs, on the table itself (`ITable.grant` would
    // add `<table>/index/*`: the processor queries no index).
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:ConditionCheckItem',
      ],
      resourceArns: [props.stateTable.tableArn],
    });
    props.dedupeTable.grant(fn, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem');
    props.rejectedQueue.grantSendMessages(fn);
    props.lateQueue.grantSendMessages(fn);

    const common = {
      batchSize,
      maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(1),
      startingPosition: props.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON,
      retryAttempts: props.retryAttempts ?? 10,
      maxRecordAge: props.maxRecordAge ?? Duration.hours(6),
      bisectBatchOnError: props.bisectBatchOnError ?? true,
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
      const kinesisProps = { ...common, parallelizationFactor: props.parallelizationFactor ?? 1 };
      const eventSource = source.consumer
        ? new sources.KinesisConsumerEventSource(source.consumer, kinesisProps)
        : new sources.KinesisEventSource(source.stream, kinesisProps);
      fn.addEventSource(eventSource);
      this.eventSourceMappingId = eventSource.eventSourceMappingId;
    } else {
      const { bisectBatchOnError: _bisect, maxRecordAge: _age, retryAttempts: _retries, ...kafkaProps } = common;
      const eventSource = new sources.ManagedKafkaEventSource({
        ...kafkaProps,
        clusterArn: source.clusterArn,
        topic: source.topic,
        consumerGroupId: `streamfold-${pipeline.name}`,
      });
      fn.addEventSource(eventSource);
      this.eventSourceMappingId = eventSource.eventSourceMappingId;
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
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole]',
        reason:
          'Attached by the CDK MSK event source: the pollers need its VPC network-interface and MSK describe ' +
          'permissions, which cannot be scoped to resources that do not exist yet.',
      });
    }

    acknowledgeWildcardActions(
      fn,
      ['kms:GenerateDataKey*', 'kms:ReEncrypt*'],
      'Added by the SQS send grants for the KMS-encrypted side-output queues; scoped to the one key of those queues.',
    );
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'AWSLambdaBasicExecutionRole only allows writing the function’s own CloudWatch logs.',
    });
  }
}
