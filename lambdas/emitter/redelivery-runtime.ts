import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Pipeline } from '../../core';
import { sdkClientConfig } from '../aws-config';
import type { Sink } from '../sinks/sink';
import type { BackoffOptions } from '../state/retry';
import { DeliveryMarkers, type MarkerUsage } from './delivery-markers';
import type { EmitterLog } from './emit';
import { EMISSION_METRICS } from './env';
import { type RedeliverySummary, redeliverSpilled } from './redeliver';
import {
  checkSinkNames,
  dedupeTableSetting,
  markerTtlHoursSetting,
  sideOutputsOf,
  sinksFromEnvironment,
  spillFromEnvironment,
} from './runtime';
import type { SideOutputs } from './side-output-delivery';
import type { SpillRequests, SpillStore } from './spill';

/** What {@link createSpillRedelivery} can be given instead of the environment. */
export interface SpillRedeliveryDeps {
  dynamodb?: Pick<DynamoDBClient, 'send'>;
  /** @default process.env.STREAMFOLD_DEDUPE_TABLE */
  dedupeTable?: string;
  /** @default - the sinks configured by the environment */
  sinks?: readonly Sink[];
  /** @default - S3 bucket process.env.STREAMFOLD_UNDELIVERED_BUCKET; none: the redelivery does nothing */
  spill?: SpillStore | false;
  /** @default - SQS queues from the environment, as the emitter's (see `sideOutputsOf`) */
  sideOutputs?: SideOutputs | false;
  backoff?: BackoffOptions;
  /** How long one run may start new spill objects, ms. @default 20000 */
  maxDurationMs?: number;
  now?: () => number;
  /** Where MessagesRedelivered and SpillObjectsWaiting go (the closer's EMF metrics). @default - none */
  metrics?: Pick<Metrics, 'addMetric'>;
}

/** A {@link RedeliverySummary} with the requests it made (for cost metering). */
export interface RedeliveryRun extends RedeliverySummary {
  usage: { markers: MarkerUsage; spill: SpillRequests };
}

/**
 * The re-delivery of spilled messages as the closer runs it on its schedule: sinks, alert markers and the spill
 * store from the environment (built on the first run that has a spill store), one {@link redeliverSpilled} per call.
 * Resolves undefined when no spill store is configured; never rejects (a failed run is logged; the next one retries).
 */
export function createSpillRedelivery(
  pipeline: Pick<Pipeline, 'name'>,
  logger: Pick<Logger, 'info' | 'warn' | 'error'>,
  deps: SpillRedeliveryDeps = {},
): () => Promise<RedeliveryRun | undefined> {
  const log: EmitterLog = {
    info: (message, fields) => logger.info(message, { pipeline: pipeline.name, ...fields }),
    warn: (message, fields) => logger.warn(message, { pipeline: pipeline.name, ...fields }),
    error: (message, fields) => logger.error(message, { pipeline: pipeline.name, ...fields }),
  };
  let parts: { sinks: readonly Sink[]; markers: DeliveryMarkers; sideOutputs?: SideOutputs } | undefined;
  const spill = spillFromEnvironment(deps.spill);
  return async () => {
    if (!spill) return undefined;
    try {
      if (!parts) {
        const dedupeTable = dedupeTableSetting(deps.dedupeTable);
        const sinks = deps.sinks ?? sinksFromEnvironment(deps.backoff);
        checkSinkNames(sinks);
        const markers = new DeliveryMarkers({
          client: deps.dynamodb ?? new DynamoDBClient(sdkClientConfig()),
          tableName: dedupeTable,
          ttlSeconds: Math.round(markerTtlHoursSetting(undefined) * 3600),
          backoff: deps.backoff,
          now: deps.now,
        });
        parts = { sinks, markers, ...sideOutputsOf(deps.sideOutputs, deps.backoff) };
      }
      const now = deps.now ?? Date.now;
      const run = await redeliverSpilled({
        sinks: parts.sinks,
        spill,
        markers: parts.markers,
        ...(parts.sideOutputs ? { sideOutputs: parts.sideOutputs } : {}),
        log,
        now,
        deadline: now() + (deps.maxDurationMs ?? 20_000),
      });
      const result = { ...run, usage: { markers: parts.markers.takeUsage(), spill: spill.takeRequests() } };
      const delivered = Object.values(run.delivered).reduce((a, b) => a + b, 0);
      deps.metrics?.addMetric(EMISSION_METRICS.messagesRedelivered, MetricUnit.Count, delivered);
      deps.metrics?.addMetric(EMISSION_METRICS.spillObjectsWaiting, MetricUnit.Count, run.remaining);
      if (run.objects > 0) log.info(`redelivered spilled messages: ${JSON.stringify(run.delivered)}`, { ...result });
      return result;
    } catch (error) {
      log.error('redelivery of spilled messages failed (the next run tries again)', { error });
      return undefined;
    }
  };
}
