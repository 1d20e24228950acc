import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import { ENV, type Pipeline, stateHorizonMs } from '../../core';
import { sdkClientConfig } from '../aws-config';
import { EMISSION_METRICS } from '../emitter/env';
import { createSpillRedelivery } from '../emitter/redelivery-runtime';
import { createEmissionMetrics } from '../emitter/runtime';
import { createLogger, positiveIntEnv, requiredEnv } from '../env';
import { LayoutRegistry } from '../state/layout-registry';
import { StateStore } from '../state/state-store';
import { type CloserOutcome, DEFAULT_IDLE_TIMEOUT_MS, runCloser } from './closer';

/** What the closer handler can be given instead of its defaults. */
export interface CloserHandlerDeps {
  dynamodb?: Pick<DynamoDBClient, 'send'>;
  /** @default process.env.STREAMFOLD_STATE_TABLE */
  stateTable?: string;
  /** @default process.env.STREAMFOLD_IDLE_TIMEOUT_MS, else 60000 */
  idleTimeoutMs?: number;
  /** @default process.env.STREAMFOLD_PARALLELIZATION_FACTOR, else 1 */
  parallelizationFactor?: number;
  now?: () => number;
  logger?: Logger;
  metrics?: Metrics;
}

/**
 * Build the scheduled closer handler (EventBridge Scheduler invokes it every minute; the event is ignored). Throws
 * when the run fails as a whole (the next schedule runs again; nothing is half-done: each key is one write).
 *
 * @example export const handler = createCloserHandler(clickstream);
 */
export function createCloserHandler(pipeline: Pipeline, deps: CloserHandlerDeps = {}) {
  const logger = deps.logger ?? createLogger(pipeline);
  const metrics = deps.metrics ?? createEmissionMetrics(pipeline);
  const client = deps.dynamodb ?? new DynamoDBClient(sdkClientConfig());
  const tableName = deps.stateTable ?? requiredEnv(ENV.stateTable, 'the state table name');
  const rawIdle = deps.idleTimeoutMs ?? positiveIntEnv(ENV.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS);
  const parallelizationFactor = deps.parallelizationFactor ?? positiveIntEnv(ENV.parallelizationFactor, 1);
  const store = new StateStore({ client, tableName, now: deps.now, itemTtlMs: stateHorizonMs(pipeline) });
  const layouts = new LayoutRegistry({ client, tableName });
  const now = deps.now ?? Date.now;
  const redeliver = createSpillRedelivery(pipeline, logger, { dynamodb: client, now: deps.now, metrics });
  return middy(async (): Promise<CloserOutcome> => {
    const outcome = await runCloser({
      pipeline,
      client,
      tableName,
      store,
      now,
      idleTimeoutMs: rawIdle,
      parallelizationFactor,
      layouts,
      log: { warn: (message, fields) => logger.warn(message, fields ?? {}) },
    });
    metrics.addMetric(EMISSION_METRICS.keysClosed, MetricUnit.Count, outcome.closed);
    metrics.addMetric(EMISSION_METRICS.windowsClosed, MetricUnit.Count, outcome.windows);
    if (Number.isFinite(outcome.watermark.watermark)) {
      metrics.addMetric(
        EMISSION_METRICS.watermarkLagMs,
        MetricUnit.Milliseconds,
        Math.max(0, now() - outcome.watermark.watermark),
      );
    }
    logger.info(
      `closer: watermark ${outcome.watermark.watermark} (${outcome.watermark.mode}), ${outcome.closed} keys, ${outcome.windows} windows`,
      {
        ...outcome,
      },
    );
    await redeliver(); // spilled emitter output (sink outages), when a spill bucket is configured; logs its own outcome
    return outcome;
  })
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
