import { Logger } from '@aws-lambda-powertools/logger';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createCloserHandler } from '../../lambdas/closer/index';
import { createEmitterHandler } from '../../lambdas/emitter/index';
import { CallbackSink, type EmitMessage } from '../../lambdas/sinks/index';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../aws-clients';
import { buildContext } from '../esm/event-builder';
import type { PluginContext, RuntimePlugin } from './plugin';

/** Options of {@link emissionPlugin}. */
export interface EmissionPluginOptions {
  /** Wait between polls of the state table's DynamoDB stream. @default 1000 */
  pollIntervalMs?: number;
  /** How often the closer runs (EventBridge Scheduler runs it every minute in the cloud). @default 10000 */
  closerIntervalMs?: number;
  /** A silent source stops holding the watermark back after this long. @default 60000 */
  idleTimeoutMs?: number;
  /** Receives every alert and final result the emitter delivers (the local "sink"). */
  onMessages?: (messages: readonly EmitMessage[]) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A DynamoDB stream record in the shape Lambda delivers it (seconds for the creation time). */
function lambdaRecord(record: _Record, streamArn: string): DynamoDBRecord {
  const d = record.dynamodb;
  return {
    eventID: record.eventID,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? LOCAL_REGION,
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime: d?.ApproximateCreationDateTime
        ? Math.floor(d.ApproximateCreationDateTime.getTime() / 1000)
        : undefined,
      Keys: d?.Keys as never,
      NewImage: d?.NewImage as never,
      OldImage: d?.OldImage as never,
      SequenceNumber: d?.SequenceNumber,
      SizeBytes: d?.SizeBytes,
      StreamViewType: d?.StreamViewType as never,
    },
  };
}

/**
 * Emission for local runs, as a {@link RuntimePlugin}: polls the state table's DynamoDB stream and invokes the real
 * emitter handler with Lambda's event shape (retrying from the lowest reported failure), and runs the real closer
 * handler on a timer. Delivered alerts and results go to `onMessages` (no SNS/EventBridge locally).
 */
export function emissionPlugin(options: EmissionPluginOptions = {}): RuntimePlugin {
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const closerIntervalMs = options.closerIntervalMs ?? 10_000;
  const counts = {
    alerts: 0,
    results: 0,
    invocations: 0,
    failures: 0,
    closerRuns: 0,
    windowsClosed: 0,
    iteratorResets: 0,
  };
  const warned = new Set<string>();
  /** Log an error once per part and error name (they are retried on the next round). */
  const warnOnce = (part: string, error: unknown) => {
    const e = error as Error;
    if (warned.has(`${part}:${e.name}`)) return;
    warned.add(`${part}:${e.name}`);
    log(`[${part}] ${e.name}: ${e.message} (retrying; shown once)`);
  };
  let running = false;
  let loops: Promise<void>[] = [];
  let streams: DynamoDBStreamsClient | undefined;
  let emptyPolls = 0;
  let log: (line: string) => void = () => {};

  const pollStream = async (context: PluginContext, streamArn: string) => {
    const emitter = createEmitterHandler(context.pipeline, {
      dynamodb: context.clients.dynamodb,
      stateTable: context.names.stateTable,
      dedupeTable: context.names.dedupeTable,
      logger: new Logger({ serviceName: context.pipeline.name, logLevel: 'SILENT' }),
      sinks: [
        new CallbackSink('local', ['alert', 'result'], (messages) => {
          for (const m of messages) counts[m.kind === 'alert' ? 'alerts' : 'results']++;
          options.onMessages?.(messages);
        }),
      ],
    });
    /** Per shard: the iterator to read next (undefined: get one) and the last sequence number handed over. */
    const shards = new Map<string, { iterator: string | undefined; lastSequence: string | undefined }>();
    const iteratorFor = async (shardId: string, lastSequence: string | undefined) => {
      const out = await streams!.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ...(lastSequence
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: lastSequence }
            : { ShardIteratorType: 'TRIM_HORIZON' }),
        }),
      );
      return out.ShardIterator;
    };
    while (running) {
      let found = 0;
      try {
        const description = await streams!.send(new DescribeStreamCommand({ StreamArn: streamArn }));
        for (const shard of description.StreamDescription?.Shards ?? []) {
          if (shard.ShardId && !shards.has(shard.ShardId))
            shards.set(shard.ShardId, { iterator: undefined, lastSequence: undefined });
        }
        for (const [id, shard] of shards) {
          if (!running) break;
          shard.iterator ??= await iteratorFor(id, shard.lastSequence);
          if (!shard.iterator) continue;
          let out: GetRecordsCommandOutput;
          try {
            out = await streams!.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 1000 }));
          } catch (error) {
            // DynamoDB Local hands out TRIM_HORIZON iterators of an empty shard that later read as trimmed, and
            // iterators expire after 15 minutes: get a fresh one from the last record handed over.
            const name = (error as Error).name;
            if (name !== 'TrimmedDataAccessException' && name !== 'ExpiredIteratorException') throw error;
            counts.iteratorResets++;
            shard.iterator = undefined;
            continue;
          }
          shard.iterator = out.NextShardIterator;
          let pending = (out.Records ?? []).map((r) => lambdaRecord(r, streamArn));
          found += pending.length;
          for (let attempt = 0; pending.length > 0 && attempt < 5; attempt++) {
            counts.invocations++;
            const event: DynamoDBStreamEvent = { Records: pending };
            const response = (await emitter(event, buildContext('emitter', LOCAL_REGION, 60_000))) as
              | DynamoDBBatchResponse
              | undefined;
            const failed = response?.batchItemFailures?.[0]?.itemIdentifier;
            const at = failed === undefined ? -1 : pending.findIndex((r) => r.dynamodb?.SequenceNumber === failed);
            pending = at < 0 ? [] : pending.slice(at);
            if (pending.length > 0) {
              counts.failures++;
              await sleep(200);
            }
          }
          const last = out.Records?.[out.Records.length - 1]?.dynamodb?.SequenceNumber;
          if (last) shard.lastSequence = last;
        }
      } catch (error) {
        warnOnce('emitter', error);
      }
      emptyPolls = found === 0 ? emptyPolls + 1 : 0;
      if (found === 0) await sleep(pollIntervalMs);
    }
  };

  const closeLoop = async (context: PluginContext) => {
    const closer = createCloserHandler(context.pipeline, {
      dynamodb: context.clients.dynamodb,
      stateTable: context.names.stateTable,
      idleTimeoutMs: options.idleTimeoutMs,
      logger: new Logger({ serviceName: context.pipeline.name, logLevel: 'SILENT' }),
    });
    while (running) {
      for (let waited = 0; running && waited < closerIntervalMs; waited += 200) await sleep(200);
      if (!running) return;
      try {
        const outcome = (await closer({}, buildContext('closer', LOCAL_REGION, 60_000))) as { windows: number };
        counts.closerRuns++;
        counts.windowsClosed += outcome.windows;
      } catch (error) {
        warnOnce('closer', error);
      }
    }
  };

  return {
    name: 'emission',
    async start(context) {
      log = context.log;
      process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
      const table = await context.clients.dynamodb.send(
        new DescribeTableCommand({ TableName: context.names.stateTable }),
      );
      const streamArn = table.Table?.LatestStreamArn;
      if (!streamArn) {
        log(`[emitter] table ${context.names.stateTable} has no stream: emission is off`);
        return;
      }
      streams = new DynamoDBStreamsClient({
        region: LOCAL_REGION,
        credentials: LOCAL_CREDENTIALS,
        endpoint: context.endpoints.dynamodb,
      });
      running = true;
      loops = [pollStream(context, streamArn), closeLoop(context)];
    },
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      emptyPolls = 0;
      while (running && emptyPolls < 2 && Date.now() < deadline) await sleep(100);
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      streams?.destroy();
    },
    status: () =>
      `${counts.alerts} alerts and ${counts.results} final results delivered (${counts.invocations} invocations, ` +
      `${counts.failures} partial failures, ${counts.iteratorResets} iterator renewals); closer ran ${counts.closerRuns}×, closed ${counts.windowsClosed} windows`,
  };
}
