import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { ENV, METRIC_DIMENSION, METRIC_NAMESPACE, type Pipeline } from '../../core';
import { DEFAULT_MARKER_TTL_HOURS } from '../../core/contract';
import { SettingError } from '../../core/errors';
import { sdkClientConfig } from '../aws-config';
import { booleanEnv, createLogger, minNumberEnv, optionalEnv, requiredEnv } from '../env';
import { SqsSideOutput } from '../side-output/sqs-side-output';
import { EventBridgeSink } from '../sinks/eventbridge-sink';
import { FirehoseSink } from '../sinks/firehose-sink';
import { KinesisSink } from '../sinks/kinesis-sink';
import type { Sink } from '../sinks/sink';
import { SnsSink } from '../sinks/sns-sink';
import { TimestreamSink } from '../sinks/timestream-sink';
import type { BackoffOptions } from '../state/retry';
import { DeliveryMarkers } from './delivery-markers';
import type { EmitSummary, EmitterContext, IdKeyUsage } from './emit';
import { EMISSION_ENV, EMISSION_METRICS } from './env';
import { loadIdKey } from './id-key';
import { ResultItems } from './result-items';
import type { SideOutputs } from './side-output-delivery';
import { MeteredSpillStore, S3SpillStore, SINK_NAME_PATTERN, type SpillStore } from './spill';

/**
 * What an emitter can be given instead of its defaults (tests, the local runtime). Unset fields come from the
 * environment variables of {@link EMISSION_ENV} and `ENV`; SDK clients are built once per container.
 */
export interface EmitterDeps {
  /** @default new DynamoDBClient(sdkClientConfig()) */
  dynamodb?: Pick<DynamoDBClient, 'send'>;
  /** @default process.env.STREAMFOLD_STATE_TABLE */
  stateTable?: string;
  /** @default process.env.STREAMFOLD_DEDUPE_TABLE */
  dedupeTable?: string;
  /** Sinks to use instead of those configured by the environment. */
  sinks?: readonly Sink[];
  /** Sinks added to the configured ones (e.g. the local console). */
  extraSinks?: readonly Sink[];
  /**
   * Persist final results as result items for state queries (one write unit per result: opt-in).
   * @default process.env.STREAMFOLD_PERSIST_RESULTS === 'true'
   */
  persistResults?: boolean;
  /** Hours an alert delivery marker is kept. @default 48 */
  markerTtlHours?: number;
  /**
   * Where messages a sink refused after its retries are spilled for re-delivery; false: no spill (their stream
   * records fail and are retried, then parked in the failed queue).
   * @default - S3 bucket process.env.STREAMFOLD_UNDELIVERED_BUCKET when set, else false
   */
  spill?: SpillStore | false;
  /**
   * The side-output queues state writes' outboxes go to. @default SQS queues from STREAMFOLD_REJECTED_QUEUE_URL and
   * STREAMFOLD_LATE_QUEUE_URL when both are set, else none (the processor's own sends only)
   */
  sideOutputs?: SideOutputs | false;
  /** The pipeline's id key (tests). @default - loaded once from the state table (see loadIdKey) */
  idKey?: Uint8Array;
  /** Backoff of marker, result-item and sink retries. */
  backoff?: BackoffOptions;
  logger?: Logger;
  metrics?: Metrics;
  now?: () => number;
  /** Called with each invocation's summary (tests, the local live view). */
  onInvocation?: (summary: EmitSummary) => void;
}

/** The long-lived parts of an emitter. */
export interface EmitterRuntime {
  readonly context: EmitterContext;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly onInvocation: EmitterDeps['onInvocation'];
}

/**
 * The spill store configured by `deps.spill` or the environment ({@link EMISSION_ENV}.undeliveredBucket), metered;
 * undefined for none.
 */
export function spillFromEnvironment(spill: SpillStore | false | undefined): MeteredSpillStore | undefined {
  if (spill === false) return undefined;
  if (spill) return new MeteredSpillStore(spill);
  const bucket = optionalEnv(EMISSION_ENV.undeliveredBucket);
  return bucket
    ? new MeteredSpillStore(new S3SpillStore({ client: new S3Client(sdkClientConfig()), bucket }))
    : undefined;
}

/** The persistResults setting (deps first, then the environment: 'true' or 'false'; default false). */
export function persistResultsSetting(value: boolean | undefined): boolean {
  return value ?? booleanEnv(EMISSION_ENV.persistResults, false);
}

/** The dedupe table of alert delivery markers (deps first, then the environment). */
export function dedupeTableSetting(value: string | undefined): string {
  return (
    value ??
    requiredEnv(
      ENV.dedupeTable,
      'the name of the dedupe table holding alert delivery markers (set by the CDK construct)',
    )
  );
}

const MARKER_TTL_EXPECTED = 'hours, at least 24 (the stream retention)';

/** How long alert delivery markers are kept, hours (deps first, then the environment; default 48, at least 24). */
export function markerTtlHoursSetting(value: number | undefined): number {
  const hours = value ?? minNumberEnv(EMISSION_ENV.markerTtlHours, DEFAULT_MARKER_TTL_HOURS, 24, MARKER_TTL_EXPECTED);
  if (!Number.isFinite(hours) || hours < 24)
    throw new SettingError(EMISSION_ENV.markerTtlHours, hours, MARKER_TTL_EXPECTED);
  return hours;
}

/** The side-output queues given, or configured by the environment (both queue URLs set), or none. */
export function sideOutputsOf(
  given: SideOutputs | false | undefined,
  backoff?: BackoffOptions,
): { sideOutputs?: SideOutputs } {
  if (given === false) return {};
  if (given) return { sideOutputs: given };
  const rejected = optionalEnv(ENV.rejectedQueueUrl);
  const late = optionalEnv(ENV.lateQueueUrl);
  if (!rejected || !late) return {};
  const client = new SQSClient(sdkClientConfig());
  return {
    sideOutputs: {
      rejected: new SqsSideOutput({ client, queueUrl: rejected, backoff }),
      late: new SqsSideOutput({ client, queueUrl: late, backoff }),
    },
  };
}

/** Checks sink names: unique, and usable in marker and spill keys ({@link SINK_NAME_PATTERN}). */
export function checkSinkNames(sinks: readonly Sink[]): void {
  const names = sinks.map((s) => s.name);
  const clash = names.find((n, i) => names.indexOf(n) !== i);
  if (clash !== undefined) throw new SettingError('sinks', names, `unique sink names (${clash} twice)`);
  const bad = names.find((n) => !SINK_NAME_PATTERN.test(n));
  if (bad !== undefined) {
    throw new SettingError('sinks', bad, 'a sink name of 1-64 letters, digits, _, . or -');
  }
}

/** The id key of a pipeline's state table, loaded at most once, with its DynamoDB calls counted. */
export function idKeySource(
  dynamodb: Pick<DynamoDBClient, 'send'>,
  stateTable: string,
  given?: Uint8Array,
): { idKey: () => Promise<Uint8Array>; takeIdKeyUsage: () => IdKeyUsage } {
  let usage: IdKeyUsage = { requests: 0, readUnits: 0, writeUnits: 0 };
  return {
    idKey: () =>
      given
        ? Promise.resolve(given)
        : loadIdKey({
            client: dynamodb,
            tableName: stateTable,
            onCall: (call) => {
              usage.requests++;
              usage.readUnits += call.readUnits;
              usage.writeUnits += call.writeUnits;
            },
          }),
    takeIdKeyUsage: () => {
      const taken = usage;
      usage = { requests: 0, readUnits: 0, writeUnits: 0 };
      return taken;
    },
  };
}

/** Metrics with namespace `streamfold` and the single dimension `pipeline=<name>`. */
export function createEmissionMetrics(pipeline: Pick<Pipeline, 'name'>): Metrics {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE, serviceName: pipeline.name });
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ [METRIC_DIMENSION]: pipeline.name });
  return metrics;
}

/** The sinks configured by the environment ({@link EMISSION_ENV}). */
export function sinksFromEnvironment(backoff?: BackoffOptions): Sink[] {
  const sinks: Sink[] = [];
  const topic = optionalEnv(EMISSION_ENV.alertsTopicArn);
  if (topic) sinks.push(new SnsSink({ client: new SNSClient(sdkClientConfig()), topicArn: topic, backoff }));
  const bus = optionalEnv(EMISSION_ENV.eventBusName);
  if (bus)
    sinks.push(new EventBridgeSink({ client: new EventBridgeClient(sdkClientConfig()), eventBusName: bus, backoff }));
  const firehose = optionalEnv(EMISSION_ENV.resultsDeliveryStream);
  if (firehose)
    sinks.push(
      new FirehoseSink({ client: new FirehoseClient(sdkClientConfig()), deliveryStreamName: firehose, backoff }),
    );
  const database = optionalEnv(EMISSION_ENV.timestreamDatabase);
  const table = optionalEnv(EMISSION_ENV.timestreamTable);
  if (Boolean(database) !== Boolean(table)) {
    throw new SettingError(
      `${EMISSION_ENV.timestreamDatabase}/${EMISSION_ENV.timestreamTable}`,
      { database, table },
      'both set (Timestream sink) or both unset',
    );
  }
  if (database && table) {
    sinks.push(
      new TimestreamSink({
        client: new TimestreamWriteClient(sdkClientConfig()),
        databaseName: database,
        tableName: table,
        backoff,
      }),
    );
  }
  const stream = optionalEnv(EMISSION_ENV.alertsStreamName);
  if (stream)
    sinks.push(new KinesisSink({ client: new KinesisClient(sdkClientConfig()), streamName: stream, backoff }));
  return sinks;
}

/**
 * Build an emitter's runtime from deps and the environment.
 * @throws SettingError for a missing or bad setting.
 */
export function createEmitterRuntime(pipeline: Pipeline, deps: EmitterDeps = {}): EmitterRuntime {
  const logger = deps.logger ?? createLogger(pipeline);
  const metrics = deps.metrics ?? createEmissionMetrics(pipeline);
  const dynamodb = deps.dynamodb ?? new DynamoDBClient(sdkClientConfig());
  const stateTable =
    deps.stateTable ?? requiredEnv(ENV.stateTable, 'the DynamoDB state table name (set by the CDK construct)');
  const dedupeTable = dedupeTableSetting(deps.dedupeTable);
  const markerTtlHours = markerTtlHoursSetting(deps.markerTtlHours);
  const persist = persistResultsSetting(deps.persistResults);
  const sinks = [...(deps.sinks ?? sinksFromEnvironment(deps.backoff)), ...(deps.extraSinks ?? [])];
  checkSinkNames(sinks);
  const context: EmitterContext = {
    pipeline,
    sinks,
    ...idKeySource(dynamodb, stateTable, deps.idKey),
    spill: spillFromEnvironment(deps.spill),
    ...sideOutputsOf(deps.sideOutputs, deps.backoff),
    now: deps.now,
    markers: new DeliveryMarkers({
      client: dynamodb,
      tableName: dedupeTable,
      ttlSeconds: Math.round(markerTtlHours * 3600),
      backoff: deps.backoff,
      now: deps.now,
    }),
    resultItems: persist
      ? new ResultItems({
          client: dynamodb,
          tableName: stateTable,
          retentionMs: pipeline.settings.retentionMs,
          backoff: deps.backoff,
          now: deps.now,
        })
      : undefined,
    log: {
      info: (message, fields) => logger.info(message, fields ?? {}),
      warn: (message, fields) => logger.warn(message, fields ?? {}),
      error: (message, fields) => logger.error(message, fields ?? {}),
    },
  };
  return { context, logger, metrics, onInvocation: deps.onInvocation };
}

/** Add an invocation's counts to the EMF metrics. */
export function addEmitMetrics(metrics: Metrics, summary: EmitSummary): void {
  const delivered = Object.values(summary.delivered).reduce((a, b) => a + b, 0);
  metrics.addMetric(EMISSION_METRICS.delivered, MetricUnit.Count, delivered);
  metrics.addMetric(EMISSION_METRICS.deliveryFailures, MetricUnit.Count, summary.deliveryFailures);
  const spilled = Object.values(summary.spilled).reduce((a, b) => a + b, 0);
  metrics.addMetric(EMISSION_METRICS.messagesSpilled, MetricUnit.Count, spilled);
  metrics.addMetric(EMISSION_METRICS.spillFailures, MetricUnit.Count, summary.spillFailures);
  metrics.addMetric(EMISSION_METRICS.redeliveriesSkipped, MetricUnit.Count, summary.skipped);
  metrics.addMetric(EMISSION_METRICS.concurrentSends, MetricUnit.Count, summary.concurrentSends);
  metrics.addMetric(EMISSION_METRICS.alertsEmitted, MetricUnit.Count, summary.alerts);
  metrics.addMetric(EMISSION_METRICS.resultsEmitted, MetricUnit.Count, summary.results);
  metrics.addMetric(EMISSION_METRICS.resultsPersisted, MetricUnit.Count, summary.resultsPersisted);
  metrics.addMetric(EMISSION_METRICS.malformedRecords, MetricUnit.Count, summary.malformed);
}
