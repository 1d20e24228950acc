import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  cleanPartitioningOf,
  DEFAULT_IDLE_TIMEOUT_MS,
  ENV,
  FENCE_HORIZON_MS,
  layoutOf,
  METRIC_DIMENSION,
  METRIC_NAMESPACE,
  type Pipeline,
  stateHorizonMs,
} from '../../core';
import { sdkClientConfig } from '../aws-config';
import { createLogger, listEnv, optionalEnv, positiveNumberEnv, requiredEnv } from '../env';
import { LogSideOutput, type SideOutputSink, SqsSideOutput } from '../side-output/index';
import { type CleanEventsOutput, type CleanEventsSink, FirehoseCleanEventsSink } from '../sinks/clean-events';
import { LayoutRegistry, StateStore, type StateStoreOptions } from '../state/index';
import { processSource } from './process-source';
import type { ProcessContext, ProcessorStore, SourceBatch, SourceOutcome } from './source-batch';
import { addMetrics, type InvocationSummary, summarize } from './summary';

/**
 * What a processor handler can be given instead of its defaults (tests, the local runtime). Every field is optional:
 * the defaults read the environment variables of {@link ENV} and build SDK clients once per container.
 */
export interface ProcessorDeps {
  /** DynamoDB client (only `send` is used: a fault-injecting wrapper fits). @default new DynamoDBClient(sdkClientConfig()) */
  dynamodb?: Pick<DynamoDBClient, 'send'>;
  /** SQS client for the side outputs. @default new SQSClient(sdkClientConfig()) when a queue URL is set */
  sqs?: Pick<SQSClient, 'send'>;
  /** @default process.env.STREAMFOLD_STATE_TABLE */
  stateTable?: string;
  /** @default process.env.STREAMFOLD_REJECTED_QUEUE_URL; when unset, rejected records are logged */
  rejectedQueueUrl?: string;
  /** @default process.env.STREAMFOLD_LATE_QUEUE_URL; when unset, late records are logged */
  lateQueueUrl?: string;
  /**
   * A source whose last valid record is older than this no longer holds the watermark back (pipelines whose
   * aggregation key is not the partition key). @default process.env.STREAMFOLD_IDLE_TIMEOUT_MS, else 60000
   */
  idleTimeoutMs?: number;
  /**
   * The event source mapping's ParallelizationFactor; above 1 the processor tracks stream time per key.
   * @default process.env.STREAMFOLD_PARALLELIZATION_FACTOR, else 1
   */
  parallelizationFactor?: number;
  /** Extra StateStore options (backoff, retries, cache size...). @default from STREAMFOLD_CACHE_SIZE / STREAMFOLD_WRITE_CONCURRENCY */
  storeOptions?: Partial<Omit<StateStoreOptions, 'client' | 'tableName'>>;
  /** A ready store (overrides the fields above). */
  store?: ProcessorStore;
  /**
   * The state table's layout registry (states of another definition are read by name through it).
   * @default - one on the state table when it is known (not with an injected `store` alone)
   */
  layouts?: LayoutRegistry;
  /** Ready side-output sinks. */
  rejected?: SideOutputSink;
  late?: SideOutputSink;
  /** Firehose client for the clean-events output. @default new FirehoseClient(sdkClientConfig()) when delivery streams are set */
  firehose?: Pick<FirehoseClient, 'send'>;
  /**
   * Firehose (Direct PUT) delivery streams every valid record goes to (the clean-events table).
   * @default process.env.STREAMFOLD_CLEAN_DELIVERY_STREAMS (comma-separated); unset: no clean-events output
   */
  cleanDeliveryStreams?: readonly string[];
  /** A ready clean-events sink (overrides `cleanDeliveryStreams`; the local runtime's writes files). */
  clean?: CleanEventsSink;
  /**
   * The event field partitioning the clean events (`event_type=`, bounded by the schema's enum), or false.
   * @default process.env.STREAMFOLD_CLEAN_PARTITION_FIELD ('false' for none), else `type` when the schema makes it an
   *   enum, else none
   */
  cleanPartitionField?: string | false;
  /** @default a Powertools Logger with the pipeline name as service */
  logger?: Logger;
  /** @default Powertools Metrics, namespace METRIC_NAMESPACE, single dimension pipeline=<name> */
  metrics?: Metrics;
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
  /** Called with each invocation's summary (tests, the local runtime's live view). */
  onInvocation?: (summary: InvocationSummary, outcomes: readonly SourceOutcome[]) => void;
}

/** A processor's long-lived parts (one per container: the store's cache survives invocations). */
export interface ProcessorRuntime {
  readonly context: ProcessContext;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now: () => number;
  readonly onInvocation: ProcessorDeps['onInvocation'];
}

/** Metrics with namespace {@link METRIC_NAMESPACE} and the single dimension `pipeline=<name>` (no `service`). */
export function createProcessorMetrics(pipeline: Pick<Pipeline, 'name'>): Metrics {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: pipeline.name });
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ [METRIC_DIMENSION]: pipeline.name });
  return metrics;
}

/**
 * Build the runtime of a processor from deps and the environment.
 * @throws SettingError for a missing or bad environment variable.
 */
export function createRuntime(pipeline: Pipeline, deps: ProcessorDeps = {}): ProcessorRuntime {
  const logger = deps.logger ?? createLogger(pipeline);
  const metrics = deps.metrics ?? createProcessorMetrics(pipeline);
  const now = deps.now ?? Date.now;
  let dynamodb = deps.dynamodb;
  const client = () => {
    dynamodb ??= new DynamoDBClient(sdkClientConfig());
    return dynamodb;
  };

  let store = deps.store;
  let layouts = deps.layouts;
  if (!store) {
    const tableName =
      deps.stateTable ??
      requiredEnv(
        ENV.stateTable,
        'the DynamoDB state table name (the CDK construct sets it; for local runs set it or pass stateTable in the deps)',
      );
    store = new StateStore({
      client: client(),
      tableName,
      cacheSize: positiveNumberEnv(ENV.cacheSize, 10_000),
      concurrency: positiveNumberEnv(ENV.writeConcurrency, 16),
      fenceHorizonMs: FENCE_HORIZON_MS,
      itemTtlMs: stateHorizonMs(pipeline),
      now,
      ...deps.storeOptions,
    });
    layouts ??= new LayoutRegistry({ client: client(), tableName });
  }
  let sqs = deps.sqs;
  const sqsClient = () => {
    sqs ??= new SQSClient(sdkClientConfig());
    return sqs;
  };
  const sink = (
    kind: 'rejected' | 'late',
    injected: SideOutputSink | undefined,
    env: string,
    url: string | undefined,
  ) => {
    if (injected) return injected;
    const queueUrl = url ?? optionalEnv(env);
    if (!queueUrl) return new LogSideOutput(kind, (message, fields) => logger.warn(message, fields));
    return new SqsSideOutput({ client: sqsClient(), queueUrl });
  };
  const context: ProcessContext = {
    pipeline,
    layout: layoutOf(pipeline),
    store,
    now,
    idleTimeoutMs: deps.idleTimeoutMs ?? positiveNumberEnv(ENV.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS),
    stateTtlMs: stateHorizonMs(pipeline),
    rejected: sink('rejected', deps.rejected, ENV.rejectedQueueUrl, deps.rejectedQueueUrl),
    late: sink('late', deps.late, ENV.lateQueueUrl, deps.lateQueueUrl),
    clean: cleanOutput(pipeline, deps),
    streamTimePerKey: (deps.parallelizationFactor ?? positiveNumberEnv(ENV.parallelizationFactor, 1)) > 1,
    ...(layouts ? { layouts } : {}),
    log: {
      info: (message, fields) => logger.info(message, fields ?? {}),
      warn: (message, fields) => logger.warn(message, fields ?? {}),
      error: (message, fields) => logger.error(message, fields ?? {}),
    },
  };
  return { context, logger, metrics, now, onInvocation: deps.onInvocation };
}

/** The clean-events output from deps and the environment, if any is configured. */
function cleanOutput(pipeline: Pipeline, deps: ProcessorDeps): CleanEventsOutput | undefined {
  let sink = deps.clean;
  if (!sink) {
    const streams = deps.cleanDeliveryStreams ?? listEnv(ENV.cleanDeliveryStreams);
    if (streams.length === 0) return undefined;
    sink = new FirehoseCleanEventsSink({
      client: deps.firehose ?? new FirehoseClient(sdkClientConfig()),
      deliveryStreamNames: streams,
    });
  }
  const raw = optionalEnv(ENV.cleanPartitionField);
  const field = deps.cleanPartitionField ?? (raw === 'false' ? false : raw);
  return { sink, partitioning: cleanPartitioningOf(pipeline.schema, field) };
}

/**
 * Process an invocation's sources one after the other (keys of different sources may meet in one item: sequential
 * commits keep conflicts rare), then log a one-line summary and add the metrics.
 */
export async function runInvocation(
  runtime: ProcessorRuntime,
  batches: readonly SourceBatch[],
): Promise<{ outcomes: SourceOutcome[]; summary: InvocationSummary }> {
  const { context } = runtime;
  const outcomes: SourceOutcome[] = [];
  for (const batch of batches) outcomes.push(await processSource(context, batch));
  const summary = summarize(outcomes, context.store.takeUsage(), runtime.now());
  addMetrics(runtime.metrics, summary);
  const { maxEventTime, ...fields } = summary;
  const line = `processed ${summary.batchSize} records from ${summary.sources} source(s): ${summary.applied} applied, ${summary.duplicates} duplicates, ${summary.rejected} rejected, ${summary.late} late, ${summary.stateWrites} writes, ${summary.writeUnits} WCU`;
  if (summary.failures.length > 0) runtime.logger.warn(line, fields);
  else runtime.logger.info(line, fields);
  runtime.onInvocation?.(summary, outcomes);
  return { outcomes, summary };
}
