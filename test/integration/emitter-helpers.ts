// Helpers of the emitter/closer/query integration tests: a minimal DynamoDB Streams reader over HTTP (the
// @aws-sdk/client-dynamodb-streams package is not installed), a processor run on fabricated Kinesis events, and
// sinks that record or fail what they receive.
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, KinesisStreamEvent } from 'aws-lambda';
import type { Pipeline } from '../../core';
import { createKinesisHandler } from '../../lambdas/processor/index';
import {
  CallbackSink,
  type EmitMessage,
  type MessageKind,
  type Sink,
  type SinkOutcome,
} from '../../lambdas/sinks/index';
import { ensureStateTables, StateStore } from '../../lambdas/state/index';
import { lambdaContext, MemorySqs, silentLogger } from './processor-helpers';

/**
 * Read a table's DynamoDB stream from TRIM_HORIZON with the DynamoDB Streams JSON API (DynamoDB Local accepts any
 * credentials; the body format is the one Lambda delivers). `next()` returns the records written since the last call.
 */
export async function streamReader(client: Pick<DynamoDBClient, 'send'>, endpoint: string, tableName: string) {
  const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const arn = table.Table!.LatestStreamArn!;
  const call = async (operation: string, body: unknown): Promise<any> => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDBStreams_20120810.${operation}`,
        authorization:
          'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`DynamoDB Streams ${operation}: ${response.status} ${text}`);
    return JSON.parse(text);
  };
  const iterators = new Map<string, string | undefined>();
  return {
    arn,
    async next(): Promise<DynamoDBRecord[]> {
      const description = await call('DescribeStream', { StreamArn: arn });
      const out: DynamoDBRecord[] = [];
      for (const shard of description.StreamDescription.Shards as { ShardId: string }[]) {
        if (!iterators.has(shard.ShardId)) {
          const it = await call('GetShardIterator', {
            StreamArn: arn,
            ShardId: shard.ShardId,
            ShardIteratorType: 'TRIM_HORIZON',
          });
          iterators.set(shard.ShardId, it.ShardIterator);
        }
        for (let iterator = iterators.get(shard.ShardId); iterator; ) {
          const page = await call('GetRecords', { ShardIterator: iterator, Limit: 1000 });
          for (const r of page.Records ?? []) out.push({ ...r, eventSourceARN: arn });
          iterators.set(shard.ShardId, page.NextShardIterator);
          iterator = (page.Records ?? []).length > 0 ? page.NextShardIterator : undefined;
        }
      }
      return out;
    },
  };
}

/** The processor's store as the processor uses it (it writes `nextClose` itself now). */
export function storeWithNextClose(_pipeline: Pipeline, store: StateStore) {
  return store;
}

/** Kinesis records of one shard for lines (sequence numbers 1000, 1001, ...; arrival = now). */
export function kinesisRecords(lines: readonly string[], firstSequence = 1000) {
  const keyOf = (line: string) => {
    try {
      return String(JSON.parse(line).userId ?? 'x');
    } catch {
      return 'x';
    }
  };
  const now = Date.now() / 1000;
  return lines.map((line, i) => ({
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: keyOf(line),
      sequenceNumber: String(firstSequence + i),
      data: Buffer.from(line).toString('base64'),
      approximateArrivalTimestamp: now,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${firstSequence + i}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/processor',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/test',
  }));
}

/** Fresh state + dedupe tables (the state table with its stream). */
export async function emissionTables(dynamodb: Pick<DynamoDBClient, 'send'>, label: string) {
  const suffix = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
  const names = { stateTable: `${label}-state-${suffix}`, dedupeTable: `${label}-dedupe-${suffix}` };
  await ensureStateTables(dynamodb, names);
  return names;
}

/** Run the Kinesis processor over lines in batches (each batch until it succeeds), with nextClose written. */
export async function processLines(
  pipeline: Pipeline,
  dynamodb: Pick<DynamoDBClient, 'send'>,
  tables: { stateTable: string; dedupeTable: string },
  lines: readonly string[],
  options: {
    batchSize?: number;
    now?: () => number;
    /** The late queue refuses every message the processor sends (only the emitter's path is left). */
    failLate?: boolean;
  } = {},
) {
  const store = new StateStore({
    client: dynamodb,
    tableName: tables.stateTable,
    backoff: { baseDelayMs: 2, maxDelayMs: 10 },
    now: options.now,
  });
  const sqs = new MemorySqs();
  if (options.failLate) sqs.failEntry = (message) => message.kind === 'late';
  const handler = createKinesisHandler(pipeline, {
    dynamodb,
    sqs: sqs.client,
    ...tables,
    rejectedQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/rejected',
    lateQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/late',
    store: storeWithNextClose(pipeline, store),
    logger: silentLogger(),
    now: options.now,
  });
  const records = kinesisRecords(lines);
  const size = options.batchSize ?? 50;
  for (let i = 0; i < records.length; i += size) {
    const event: KinesisStreamEvent = { Records: records.slice(i, i + size) };
    const response = (await handler(event, lambdaContext())) as { batchItemFailures: unknown[] };
    if (response.batchItemFailures.length > 0) throw new Error(`processor batch ${i} failed`);
  }
  return { store, sqs };
}

/** A sink that records every message it receives (delivery count per id, and the bodies). */
export function recordingSink(name: string, kinds: readonly MessageKind[] = ['alert', 'result']) {
  const received: EmitMessage[] = [];
  const sink = new CallbackSink(name, kinds, (messages) => {
    received.push(...messages.map((m) => structuredClone(m)));
  });
  return {
    sink,
    received,
    /** id -> times received. */
    counts(): Map<string, number> {
      const counts = new Map<string, number>();
      for (const m of received) counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
      return counts;
    },
  };
}

/** A recording sink that fails a message (as undeliverable after its own retries) while `failing(id, attempt)` says so. */
export function flakySink(name: string, failing: (message: EmitMessage, attempt: number) => boolean) {
  const recorder = recordingSink(name);
  const attempts = new Map<string, number>();
  const sink: Sink = {
    name,
    kinds: ['alert', 'result'],
    async send(messages): Promise<SinkOutcome> {
      const failed: SinkOutcome['failed'] = [];
      const ok: EmitMessage[] = [];
      for (const m of messages) {
        const attempt = (attempts.get(m.id) ?? 0) + 1;
        attempts.set(m.id, attempt);
        if (failing(m, attempt)) failed.push({ id: m.id, error: new Error(`injected failure of ${m.id}`) });
        else ok.push(m);
      }
      await recorder.sink.send(ok);
      return { failed, retries: 0 };
    },
  };
  return { ...recorder, sink, attempts };
}

/**
 * Deliver stream records to an emitter as Lambda's event source mapping does with ReportBatchItemFailures: batches
 * of `size` records; a batch with failures is retried from the lowest failed sequence number (that record and every
 * later one of the batch), up to `maxAttempts` times.
 */
export async function deliverStream(
  records: readonly DynamoDBRecord[],
  invoke: (batch: DynamoDBRecord[]) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>,
  options: { size?: number; maxAttempts?: number } = {},
): Promise<{ invocations: number; retried: number }> {
  let invocations = 0;
  let retried = 0;
  const size = options.size ?? 40;
  for (let i = 0; i < records.length; i += size) {
    let pending = records.slice(i, i + size);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= (options.maxAttempts ?? 8)) throw new Error(`stream batch at ${i} did not complete`);
      invocations++;
      const response = await invoke(pending);
      const failed = response.batchItemFailures.map((f) => BigInt(f.itemIdentifier));
      if (failed.length === 0) break;
      const lowest = failed.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0];
      const at = pending.findIndex((r) => BigInt(r.dynamodb!.SequenceNumber!) === lowest);
      retried += pending.length - at;
      pending = pending.slice(at);
    }
  }
  return { invocations, retried };
}
