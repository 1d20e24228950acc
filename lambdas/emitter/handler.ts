import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { Pipeline } from '../../core';
import { emitRecords } from './emit';
import { addEmitMetrics, createEmitterRuntime, type EmitterDeps } from './runtime';

/**
 * Build the emitter handler for a pipeline (middy, Powertools Logger and EMF Metrics), for the state table's
 * DynamoDB stream. Call it once at module scope. Needs `ReportBatchItemFailures` on the event source mapping, and
 * ParallelizationFactor 1 (alert delivery markers are checked, then written: see DeliveryMarkers). The invocation
 * summary (logged, and handed to `onInvocation`) carries every request the emitter made (`usage`).
 *
 * @example export const handler = createEmitterHandler(clickstream);
 */
export function createEmitterHandler(pipeline: Pipeline, deps: EmitterDeps = {}) {
  const runtime = createEmitterRuntime(pipeline, deps);
  return middy(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const { response, summary } = await emitRecords(runtime.context, event.Records ?? []);
    addEmitMetrics(runtime.metrics, summary);
    const line =
      `emitted ${summary.alerts} alerts and ${summary.results} results from ${summary.stateWrites} state writes: ` +
      `${JSON.stringify(summary.delivered)} delivered, ${summary.skipped} already delivered, ` +
      `${summary.deliveryFailures} refused (${JSON.stringify(summary.spilled)} spilled, ${summary.spillFailures} not spilled)`;
    if (response.batchItemFailures.length > 0) runtime.logger.warn(line, { ...summary });
    else runtime.logger.info(line, { ...summary });
    runtime.onInvocation?.(summary);
    return response;
  })
    .use(injectLambdaContext(runtime.logger))
    .use(logMetrics(runtime.metrics));
}
