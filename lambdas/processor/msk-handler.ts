import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { MSKEvent } from 'aws-lambda';
import type { Pipeline } from '../../core';
import { MalformedEventError } from './errors';
import { failOnNoProgress } from './response';
import { createRuntime, type ProcessorDeps, runInvocation } from './runtime';
import type { SourceBatch, SourceOutcome, SourceRecord } from './source-batch';

/**
 * Lambda's partial batch response for Kafka event sources: per failed topic-partition, the offset to resume from
 * (`partition` is `<topic>-<partition>`, as the event's record groups are named).
 */
export interface MskBatchResponse {
  batchItemFailures: { itemIdentifier: { partition: string; offset: number } }[];
}

const decodeKey = (key: string | null | undefined): string | undefined =>
  key ? Buffer.from(key, 'base64').toString('utf8') : undefined;

/**
 * The identity of an MSK cluster from its ARN (`arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>`): the uuid,
 * which a re-created cluster does not share; the whole ARN when it has another form.
 */
export function mskClusterIdentity(arn: string | undefined): string {
  const parts = (arn ?? '').split('/');
  return parts.length >= 3 ? parts[parts.length - 1]! : (arn ?? '');
}

/**
 * Group an MSK event's records by topic-partition (source id `topic-partition`, offset as sequence, base64 value as
 * data, message timestamp as arrival time — a producer's CreateTime no later than `now` —, base64 key decoded as partition
 * key). A source's identity, and its name in side-output ids, is `<cluster uuid>/<topic>-<partition>`; arrival times
 * grow with offsets only with LogAppendTime timestamps.
 * @throws MalformedEventError when a record has no topic, partition or offset.
 */
export function mskBatches(event: MSKEvent, now: number = Date.now()): SourceBatch[] {
  const bySource = new Map<string, SourceRecord[]>();
  const ordered = new Map<string, boolean>();
  const cluster = mskClusterIdentity(event.eventSourceArn);
  for (const group of Object.values(event.records ?? {})) {
    for (const record of group) {
      if (
        !record.topic ||
        !Number.isInteger(record.partition) ||
        !Number.isInteger(record.offset) ||
        record.offset < 0
      ) {
        throw new MalformedEventError(
          `record ${JSON.stringify({ topic: record.topic, partition: record.partition, offset: record.offset })} has no topic, partition or offset`,
        );
      }
      const sourceId = `${record.topic}-${record.partition}`;
      ordered.set(sourceId, (ordered.get(sourceId) ?? true) && record.timestampType === 'LOG_APPEND_TIME');
      const list = bySource.get(sourceId) ?? [];
      const partitionKey = decodeKey(record.key);
      list.push({
        sequence: String(record.offset),
        data: record.value,
        // With CreateTime the producer sets the timestamp: never trust it beyond the moment the record is read, so a
        // producer cannot move the future-time bound (docs/architecture.md §2.7) by dating its record ahead.
        arrivalMs: record.timestampType === 'LOG_APPEND_TIME' ? record.timestamp : Math.min(record.timestamp, now),
        ...(partitionKey !== undefined ? { partitionKey } : {}),
      });
      bySource.set(sourceId, list);
    }
  }
  return [...bySource].map(([sourceId, records]) => ({
    sourceId,
    identity: `${cluster}/${sourceId}`,
    messageSource: `${cluster}/${sourceId}`,
    arrivalOrdered: ordered.get(sourceId) ?? false,
    records,
  }));
}

/** The partial batch response: per topic-partition, the lowest offset not fully done. */
export function mskResponse(outcomes: readonly SourceOutcome[]): MskBatchResponse {
  return {
    batchItemFailures: outcomes.flatMap((o) =>
      o.failedAt ? [{ itemIdentifier: { partition: o.sourceId, offset: Number(o.failedAt.sequence) } }] : [],
    ),
  };
}

/**
 * Build the MSK processor handler for a pipeline (middy, Powertools Logger and EMF Metrics); topic-partitions are
 * processed one after the other, each with its own fence and checkpoint. Call it once at module scope.
 * Needs `ReportBatchItemFailures` on the event source mapping (provisioned mode).
 *
 * @example export const handler = createMskHandler(clickstream);
 */
export function createMskHandler(pipeline: Pipeline, deps: ProcessorDeps = {}) {
  const runtime = createRuntime(pipeline, deps);
  return middy(async (event: MSKEvent): Promise<MskBatchResponse> => {
    const { outcomes } = await runInvocation(runtime, mskBatches(event, runtime.now()));
    failOnNoProgress(outcomes);
    return mskResponse(outcomes);
  })
    .use(injectLambdaContext(runtime.logger))
    .use(logMetrics(runtime.metrics));
}
