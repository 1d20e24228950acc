// Benchmark: DynamoDB write units per 1,000 events of the processor (batch 100 and 1,000, with and without dedupe)
// next to a naive baseline measured on the same events in the same run (one conditional write per event per window
// instance + one idempotency write per event). Runs on DynamoDB Local (or AWS_ENDPOINT_URL). Prints JSON.
//
//   npx tsx bench/writes.ts [--events 10000] [--users 10000] [--zipf 1] [--naive-events 5000]
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import pLimit from 'p-limit';
import { decodeText, layoutOf, type Pipeline, windowStartsFor } from '../core';
import { createKinesisHandler, type InvocationSummary } from '../lambdas/processor/index';
import { ensureTable } from '../lambdas/state/index';
import { makeClients } from '../local/aws-clients';
import { startEngines } from '../local/engines/index';
import { clickstream } from '../pipelines/clickstream';
import {
  batches,
  clickLines,
  freshTables,
  lambdaContext,
  MemorySqs,
  silentLogger,
} from '../test/integration/processor-helpers';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const EVENTS = arg('events', 10_000);
const USERS = arg('users', 10_000);
const ZIPF = arg('zipf', 1);
const NAIVE_EVENTS = Math.min(EVENTS, arg('naive-events', 5_000));
const SHARD = 'shardId-000000000000';

/** Kinesis-shaped records for the lines (one shard; sequence numbers as Kinesis makes them: large decimals). */
function kinesisRecords(lines: readonly string[]): KinesisStreamEvent['Records'] {
  const base = 49_650_000_000_000_000_000_000_000_000_000_000_000_000_000n;
  const now = Date.now() / 1000;
  return lines.map((line, i) => {
    const sequenceNumber = String(base + BigInt(i) * 1000n);
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'p',
        sequenceNumber,
        data: Buffer.from(line).toString('base64'),
        approximateArrivalTimestamp: now,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${SHARD}:${sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/processor',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/clickstream-events',
    };
  });
}

async function measureProcessor(
  dynamodb: ReturnType<typeof makeClients>['dynamodb'],
  pipeline: Pipeline,
  lines: readonly string[],
  batchSize: number,
) {
  const tables = await freshTables(dynamodb, `bench-${batchSize}`);
  const sqs = new MemorySqs();
  const summaries: InvocationSummary[] = [];
  const handler = createKinesisHandler(pipeline, {
    dynamodb,
    sqs: sqs.client,
    ...tables,
    rejectedQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-rejected',
    lateQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-late',
    logger: silentLogger(),
    onInvocation: (s) => summaries.push(s),
  });
  const started = Date.now();
  for (const batch of batches(kinesisRecords(lines), batchSize)) {
    const response = await handler({ Records: batch }, lambdaContext());
    if (response.batchItemFailures.length > 0) throw new Error(`batch failed: ${JSON.stringify(response)}`);
  }
  const sum = (name: keyof InvocationSummary) => summaries.reduce((n, s) => n + Number(s[name] ?? 0), 0);
  const writeUnits = sum('writeUnits');
  return {
    batchSize,
    dedupe: pipeline.idOf !== undefined,
    events: lines.length,
    invocations: summaries.length,
    stateWrites: sum('stateWrites'),
    duplicates: sum('duplicates'),
    writeUnits: round(writeUnits),
    writeUnitsPer1000: round((writeUnits * 1000) / lines.length),
    stateWritesPer1000: round((sum('stateWrites') * 1000) / lines.length),
    seconds: round((Date.now() - started) / 1000),
  };
}

/** Naive: per event, one conditional UpdateItem per window instance (+ one conditional idempotency PutItem). */
async function measureNaive(dynamodb: ReturnType<typeof makeClients>['dynamodb'], lines: readonly string[]) {
  const suffix = Date.now().toString(36);
  const table = `bench-naive-${suffix}`;
  const ids = `bench-naive-ids-${suffix}`;
  const keyed = (name: string) => ({
    TableName: name,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
    BillingMode: 'PAY_PER_REQUEST' as const,
  });
  await Promise.all([ensureTable(dynamodb, keyed(table)), ensureTable(dynamodb, keyed(ids))]);
  const layout = layoutOf(clickstream);
  let windowUnits = 0;
  let idUnits = 0;
  let windowWrites = 0;
  const limit = pLimit(32);
  const started = Date.now();
  await Promise.all(
    lines.map((line, seq) =>
      limit(async () => {
        const d = decodeText(clickstream, line);
        if (!d.ok) return;
        const id = await dynamodb
          .send(
            new PutItemCommand({
              TableName: ids,
              Item: { pk: { S: d.id! }, seq: { N: String(seq) } },
              ConditionExpression: 'attribute_not_exists(pk)',
              ReturnConsumedCapacity: 'TOTAL',
            }),
          )
          .catch((error) => {
            if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
            return undefined; // a duplicate: charged 1 unit, its windows are not written
          });
        idUnits += id ? (id.ConsumedCapacity?.CapacityUnits ?? 0) : 1;
        if (!id) return;
        const instances: string[] = [];
        for (const w of layout.timedWindows)
          for (const start of windowStartsFor(w, d.time)) instances.push(`${w.name}@${start}`);
        for (const w of layout.sessionWindows) instances.push(`${w.name}@${Math.floor(d.time / w.gapMs)}`);
        for (const instance of instances) {
          const out = await dynamodb
            .send(
              new UpdateItemCommand({
                TableName: table,
                Key: { pk: { S: `${d.key}#${instance}` } },
                UpdateExpression: 'ADD #c :one SET #s = :seq',
                ConditionExpression: 'attribute_not_exists(#s) OR #s < :seq',
                ExpressionAttributeNames: { '#c': 'count', '#s': 'seq' },
                ExpressionAttributeValues: { ':one': { N: '1' }, ':seq': { N: String(seq) } },
                ReturnConsumedCapacity: 'TOTAL',
              }),
            )
            .catch((error) => {
              // Out of order under concurrency: the failed conditional write is still charged (1 unit, small item).
              if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
              return { ConsumedCapacity: { CapacityUnits: 1 } };
            });
          windowUnits += out.ConsumedCapacity?.CapacityUnits ?? 0;
          windowWrites++;
        }
      }),
    ),
  );
  return {
    events: lines.length,
    windowWritesPerEvent: round(windowWrites / lines.length),
    writeUnitsPer1000: round(((windowUnits + idUnits) * 1000) / lines.length),
    writeUnitsPer1000WithoutIdempotency: round((windowUnits * 1000) / lines.length),
    seconds: round((Date.now() - started) / 1000),
  };
}

const round = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const engines = await startEngines({ kinesis: false });
  const clients = makeClients(engines.endpoints);
  try {
    const lines = clickLines({
      events: EVENTS,
      users: USERS,
      zipf: ZIPF,
      seed: 42,
      spacingMs: 5,
      lateShare: 0.01,
      duplicateShare: 0.05,
      malformed: 0,
    });
    const noDedupe: Pipeline = { ...clickstream, idOf: undefined };
    const runs = [];
    for (const batchSize of [100, 1000]) {
      for (const pipeline of [noDedupe, clickstream]) {
        const run = await measureProcessor(clients.dynamodb, pipeline, lines, batchSize);
        process.stderr.write(
          `processor batch ${batchSize} dedupe ${run.dedupe}: ${run.writeUnitsPer1000} WCU/1000 (${run.seconds} s)\n`,
        );
        runs.push(run);
      }
    }
    const naive = await measureNaive(clients.dynamodb, lines.slice(0, NAIVE_EVENTS));
    const at1000 = runs.find((r) => r.batchSize === 1000 && !r.dedupe)!;
    const at1000Dedupe = runs.find((r) => r.batchSize === 1000 && r.dedupe)!;
    process.stdout.write(
      `${JSON.stringify(
        {
          engine: engines.external ? engines.endpoints.dynamodb : 'DynamoDB Local (embedded)',
          pipeline: clickstream.name,
          users: USERS,
          userPopularity: ZIPF === 0 ? 'uniform' : `zipf(${ZIPF})`,
          events: lines.length,
          eventsPerSecondOfEventTime: 200,
          processor: runs,
          naive: { ...naive, note: `measured on the first ${naive.events} of the same events` },
          reduction: {
            batch1000NoDedupeVsNaive: round(naive.writeUnitsPer1000 / at1000.writeUnitsPer1000),
            batch1000NoDedupeVsNaiveWithoutIdempotency: round(
              naive.writeUnitsPer1000WithoutIdempotency / at1000.writeUnitsPer1000,
            ),
            batch1000DedupeVsNaive: round(naive.writeUnitsPer1000 / at1000Dedupe.writeUnitsPer1000),
          },
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    clients.destroy();
    await engines.stop();
  }
}

await main();
