import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { Pipeline } from '../../core';
import { MalformedEventError } from './errors';
import { failOnNoProgress } from './response';
import { createRuntime, type ProcessorDeps, runInvocation } from './runtime';
import type { SourceBatch, SourceOutcome, SourceRecord } from './source-batch';

/** The stream name of a Kinesis event source ARN (`arn:aws:kinesis:<region>:<account>:stream/<name>`), or ''. */
export function kinesisStreamName(arn: string | undefined): string {
  const at = arn?.indexOf(':stream/') ?? -1;
  return at >= 0 ? arn!.slice(at + ':stream/'.length) : '';
}

/**
 * Group a Kinesis event's records by shard (the shard id from `eventID`, `shardId-...:<sequence>`), in delivery order.
 * A source's identity is `<stream name>/<shard id>`; Kinesis arrival timestamps grow with the sequence.
 * @throws MalformedEventError when a record has no shard id or sequence number.
 */
export function kinesisBatches(event: KinesisStreamEvent): SourceBatch[] {
  const bySource = new Map<string, SourceRecord[]>();
  const identity = new Map<string, string>();
  for (const record of event.Records ?? []) {
    const colon = record.eventID?.lastIndexOf(':') ?? -1;
    const sourceId = colon > 0 ? record.eventID.slice(0, colon) : '';
    const sequence = record.kinesis?.sequenceNumber;
    if (!sourceId || !sequence) {
      throw new MalformedEventError(
        `record with eventID ${JSON.stringify(record.eventID)} has no shard id or sequence number`,
      );
    }
    if (!identity.has(sourceId)) identity.set(sourceId, `${kinesisStreamName(record.eventSourceARN)}/${sourceId}`);
    const list = bySource.get(sourceId) ?? [];
    list.push({
      sequence,
      data: record.kinesis.data,
      arrivalMs: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
      partitionKey: record.kinesis.partitionKey,
    });
    bySource.set(sourceId, list);
  }
  return [...bySource].map(([sourceId, records]) => ({
    sourceId,
    identity: identity.get(sourceId)!,
    arrivalOrdered: true,
    records,
  }));
}

/** The partial batch response: the lowest record not fully done (Lambda retries from the lowest one given). */
export function kinesisResponse(outcomes: readonly SourceOutcome[]): KinesisStreamBatchResponse {
  return {
    batchItemFailures: outcomes.flatMap((o) => (o.failedAt ? [{ itemIdentifier: o.failedAt.sequence }] : [])),
  };
}

/**
 * Build the Kinesis processor handler for a pipeline (middy, Powertools Logger and EMF Metrics). Call it once at
 * module scope: the state store and its cache live as long as the container.
 *
 * Needs `ReportBatchItemFailures` on the event source mapping. Returns the lowest sequence number not fully done;
 * throws only when no source made any progress (Lambda then retries or bisects the batch).
 *
 * @example export const handler = createKinesisHandler(clickstream);
 */
export function createKinesisHandler(pipeline: Pipeline, deps: ProcessorDeps = {}) {
  const runtime = createRuntime(pipeline, deps);
  return middy(async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    const { outcomes } = await runInvocation(runtime, kinesisBatches(event));
    failOnNoProgress(outcomes);
    return kinesisResponse(outcomes);
  })
    .use(injectLambdaContext(runtime.logger))
    .use(logMetrics(runtime.metrics));
}
