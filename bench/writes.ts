/**
 * DynamoDB write units per 1,000 events on DynamoDB Local (or AWS_ENDPOINT_URL), measured in one run:
 * - streamfold: the real Kinesis processor handler (one conditional write per touched key per batch), without dedupe
 *   (and, beside it, with dedupe: one idempotency put per record on top);
 * - naive: one conditional UpdateItem per event per window instance + one conditional idempotency PutItem per event;
 * - Powertools-style: the naive writes + two idempotency writes per record (an INPROGRESS put and a COMPLETED update,
 *   as Powertools' idempotency utility does).
 * The naive and Powertools-style costs per event do not depend on batch size or key count (every event is written on
 * its own), so they are measured once, on a sample of the events, and reported beside every row.
 */
import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamEvent } from 'aws-lambda';
import pLimit from 'p-limit';
import { decodeText, layoutOf, type Pipeline, windowStartsFor } from '../core';
import { createKinesisHandler, type InvocationSummary } from '../lambdas/processor/index';
import { ensureTable, STATE_ATTR } from '../lambdas/state/index';
import { makeClients } from '../local/aws-clients';
import { startEngines } from '../local/engines/index';
import { generate } from '../local/generator/index';
import { clickstream } from '../pipelines/clickstream';
import { freshTables, lambdaContext, MemorySqs, silentLogger } from '../test/integration/processor-helpers';
import type { BenchContext, BenchFigures, BenchTarget } from './target';

type Dynamo = ReturnType<typeof makeClients>['dynamodb'];

/** Workload of the writes benchmark. */
export interface WritesWorkload {
  /** Events per processor run (each batch size × key count). */
  readonly events: number;
  readonly batchSizes: readonly number[];
  readonly keyCounts: readonly number[];
  /** Events the naive and Powertools-style baselines are measured on (from the 10,000-key workload). */
  readonly naiveSampleEvents: number;
  readonly seed: number;
  readonly eventsPerSecondOfEventTime: number;
  readonly zipfExponent: number;
}

/** Default: 6,000 events per run (two batches at 3,000); batches of 100, 1,000 and 3,000; 100, 10,000 and 1,000,000 keys. */
export const WRITES_WORKLOAD: WritesWorkload = {
  events: 6000,
  batchSizes: [100, 1000, 3000],
  keyCounts: [100, 10_000, 1_000_000],
  naiveSampleEvents: 1500,
  seed: 42,
  eventsPerSecondOfEventTime: 200,
  zipfExponent: 1.1,
};

/** One processor run. */
export interface ProcessorRun {
  readonly batchSize: number;
  readonly keys: number;
  readonly dedupe: boolean;
  readonly events: number;
  readonly distinctKeys: number;
  readonly invocations: number;
  readonly stateWrites: number;
  readonly writeUnits: number;
  readonly per1k: number;
  readonly seconds: number;
  /**
   * The handler path's CPU time per event in this process (decode, engine, state codec, SDK request building and
   * response parsing, user + system), DynamoDB Local excluded (it runs in its own process), µs.
   */
  readonly handlerCpuUsPerEvent: number;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Clickstream lines with `keys` human users (and the generator's 3 bots), ~300-byte events. */
function workloadLines(w: WritesWorkload, keys: number, events: number): string[] {
  const minCap = Math.ceil((1.5 * w.eventsPerSecondOfEventTime * 60) / keys);
  return Array.from(
    generate({
      seed: w.seed,
      events,
      users: keys,
      eventsPerSecond: w.eventsPerSecondOfEventTime,
      zipfExponent: w.zipfExponent,
      humanMaxPerMinute: Math.max(80, minCap),
      targetBytes: 300,
      lateShare: 0.01,
      duplicateShare: 0.01,
      malformedShare: 0,
    }),
    (item) => item.line,
  );
}

/** Kinesis-shaped records for the lines (one shard; sequence numbers as Kinesis makes them: large decimals). */
export function kinesisRecords(lines: readonly string[]): KinesisStreamEvent['Records'] {
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
      eventID: `shardId-000000000000:${sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/processor',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/clickstream-events',
    };
  });
}

/** Run the real processor handler over the lines in batches; write units from its invocation summaries. */
async function measureProcessor(
  dynamodb: Dynamo,
  pipeline: Pipeline,
  lines: readonly string[],
  batchSize: number,
  keys: number,
): Promise<ProcessorRun> {
  const tables = await freshTables(dynamodb, `bench-${batchSize}`);
  const summaries: InvocationSummary[] = [];
  const handler = createKinesisHandler(pipeline, {
    dynamodb,
    sqs: new MemorySqs().client,
    ...tables,
    rejectedQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-rejected',
    lateQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-late',
    logger: silentLogger(),
    onInvocation: (s) => summaries.push(s),
  });
  const records = kinesisRecords(lines);
  const started = Date.now();
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < records.length; i += batchSize) {
    // Lambda's longest timeout (15 min): a 3,000-record batch over a million keys can take over a minute on a loaded
    // DynamoDB Local, and middy aborts a handler when the context says time is up.
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => 900_000 };
    const response = await handler({ Records: records.slice(i, i + batchSize) }, context);
    if (response.batchItemFailures.length > 0) throw new Error(`batch failed: ${JSON.stringify(response)}`);
  }
  const cpu = process.cpuUsage(cpuBefore);
  const sum = (name: keyof InvocationSummary) => summaries.reduce((n, s) => n + Number(s[name] ?? 0), 0);
  const distinct = new Set(lines.map((l) => (JSON.parse(l) as { userId?: string }).userId)).size;
  return {
    batchSize,
    keys,
    dedupe: pipeline.idOf !== undefined,
    events: lines.length,
    distinctKeys: distinct,
    invocations: summaries.length,
    stateWrites: sum('stateWrites'),
    writeUnits: round(sum('writeUnits')),
    per1k: round((sum('writeUnits') * 1000) / lines.length),
    seconds: round((Date.now() - started) / 1000),
    handlerCpuUsPerEvent: round((cpu.user + cpu.system) / lines.length),
  };
}

/** CPU of this process per PutItem of a 900-byte item (2,000 puts, 16 in flight), µs. */
async function measureSdkCall(dynamodb: Dynamo): Promise<number> {
  const { stateTable } = await freshTables(dynamodb, 'bench-sdk');
  const data = new Uint8Array(900).fill(7);
  const limit = pLimit(16);
  const puts = 2000;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: puts }, (_, i) =>
      limit(() =>
        dynamodb.send(
          new PutItemCommand({
            TableName: stateTable,
            Item: { [STATE_ATTR.pk]: { S: `k${i}` }, [STATE_ATTR.sk]: { S: 's' }, b: { B: data } },
          }),
        ),
      ),
    ),
  );
  const cpu = process.cpuUsage(before);
  return Math.round((cpu.user + cpu.system) / puts);
}

/** Naive and Powertools-style baselines: every event written on its own. */
export interface NaiveFigures {
  readonly events: number;
  readonly windowWritesPerEvent: number;
  /** Window writes + one idempotency write per event. */
  readonly naivePer1k: number;
  /** Naive + an INPROGRESS put and a COMPLETED update per record. */
  readonly powertoolsStylePer1k: number;
  readonly seconds: number;
}

async function measureNaive(dynamodb: Dynamo, lines: readonly string[]): Promise<NaiveFigures> {
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const names = { windows: `bench-naive-${suffix}`, ids: `bench-naive-ids-${suffix}`, pt: `bench-pt-${suffix}` };
  const keyed = (name: string) => ({
    TableName: name,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
    BillingMode: 'PAY_PER_REQUEST' as const,
  });
  await Promise.all(Object.values(names).map((n) => ensureTable(dynamodb, keyed(n))));
  const layout = layoutOf(clickstream);
  const units = { windows: 0, ids: 0, powertools: 0 };
  let windowWrites = 0;
  const charged = (out: { ConsumedCapacity?: { CapacityUnits?: number } } | undefined) =>
    out?.ConsumedCapacity?.CapacityUnits ?? 1;
  const conditional = <T>(p: Promise<T>) =>
    p.catch((error) => {
      // A failed conditional write is still charged (1 unit for these small items).
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      return undefined;
    });
  const limit = pLimit(16);
  const started = Date.now();
  await Promise.all(
    lines.map((line, seq) =>
      limit(async () => {
        const d = decodeText(clickstream, line);
        if (!d.ok) return;
        const now = Math.floor(Date.now() / 1000);
        // Powertools idempotency: claim the record (INPROGRESS), then mark it COMPLETED with the result.
        const claim = await conditional(
          dynamodb.send(
            new PutItemCommand({
              TableName: names.pt,
              Item: { pk: { S: `rec#${seq}` }, status: { S: 'INPROGRESS' }, expiration: { N: String(now + 3600) } },
              ConditionExpression: 'attribute_not_exists(pk) OR expiration < :now',
              ExpressionAttributeValues: { ':now': { N: String(now) } },
              ReturnConsumedCapacity: 'TOTAL',
            }),
          ),
        );
        units.powertools += claim ? charged(claim) : 1;
        const id = await conditional(
          dynamodb.send(
            new PutItemCommand({
              TableName: names.ids,
              Item: { pk: { S: d.id! }, seq: { N: String(seq) } },
              ConditionExpression: 'attribute_not_exists(pk)',
              ReturnConsumedCapacity: 'TOTAL',
            }),
          ),
        );
        units.ids += id ? charged(id) : 1;
        if (id) {
          const instances: string[] = [];
          for (const w of layout.timedWindows)
            for (const start of windowStartsFor(w, d.time)) instances.push(`${w.name}@${start}`);
          for (const w of layout.sessionWindows) instances.push(`${w.name}@${Math.floor(d.time / w.gapMs)}`);
          for (const instance of instances) {
            const out = await conditional(
              dynamodb.send(
                new UpdateItemCommand({
                  TableName: names.windows,
                  Key: { pk: { S: `${d.key}#${instance}` } },
                  UpdateExpression: 'ADD #c :one SET #s = :seq',
                  ConditionExpression: 'attribute_not_exists(#s) OR #s < :seq',
                  ExpressionAttributeNames: { '#c': 'count', '#s': 'seq' },
                  ExpressionAttributeValues: { ':one': { N: '1' }, ':seq': { N: String(seq) } },
                  ReturnConsumedCapacity: 'TOTAL',
                }),
              ),
            );
            units.windows += charged(out);
            windowWrites++;
          }
        }
        const done = await dynamodb.send(
          new UpdateItemCommand({
            TableName: names.pt,
            Key: { pk: { S: `rec#${seq}` } },
            UpdateExpression: 'SET #st = :done, #d = :data',
            ExpressionAttributeNames: { '#st': 'status', '#d': 'data' },
            ExpressionAttributeValues: { ':done': { S: 'COMPLETED' }, ':data': { S: '{"batchItemFailures":[]}' } },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        units.powertools += charged(done);
      }),
    ),
  );
  const naive = units.windows + units.ids;
  return {
    events: lines.length,
    windowWritesPerEvent: round(windowWrites / lines.length),
    naivePer1k: round((naive * 1000) / lines.length),
    powertoolsStylePer1k: round(((naive + units.powertools) * 1000) / lines.length),
    seconds: round((Date.now() - started) / 1000),
  };
}

/** Figures of the writes benchmark. */
export interface WritesFigures extends BenchFigures {
  /** Headline, at batch 1,000 and 10,000 keys, without dedupe. */
  readonly streamfoldPer1k: number;
  /** The same run with dedupe on (one idempotency write per record on top). */
  readonly streamfoldWithDedupePer1k: number;
  readonly naivePer1k: number;
  readonly powertoolsStylePer1k: number;
  /** streamfoldPer1k / naivePer1k (≤ 0.1 is the target). */
  readonly ratioVsNaive: number;
  /** The processor handler's CPU per event in this process, batch 1,000, 10,000 keys, without and with dedupe (µs). */
  readonly handlerCpuUsPerEvent: { readonly dedupeOff: number; readonly dedupeOn: number };
  /**
   * What one SDK call costs this process on its own: a 900-byte PutItem to the same DynamoDB Local, 16 in flight (µs of
   * CPU). The handler figures are mostly this times the calls they make.
   */
  readonly sdkCpuUsPerPutItem: number;
  /** Every batch size × key count (without dedupe), each with the baselines and its ratio. */
  readonly matrix: {
    batchSize: number;
    keys: number;
    distinctKeys: number;
    streamfoldPer1k: number;
    /** State writes per 1,000 events (one per touched key per batch). */
    stateWritesPer1k: number;
    /** Write units per state write (DynamoDB charges 1 per started KB of item). */
    unitsPerStateWrite: number;
    naivePer1k: number;
    powertoolsStylePer1k: number;
    ratioVsNaive: number;
    handlerCpuUsPerEvent: number;
  }[];
  readonly naive: NaiveFigures & { readonly note: string };
  readonly workload: WritesWorkload & { readonly pipeline: string; readonly engine: string };
}

/** Run the writes benchmark (starts DynamoDB Local unless AWS_ENDPOINT_URL is set). */
export async function runWritesBench(
  w: WritesWorkload = WRITES_WORKLOAD,
  log: (text: string) => void = () => {},
): Promise<WritesFigures> {
  const engines = await startEngines({ kinesis: false });
  const clients = makeClients(engines.endpoints);
  try {
    const noDedupe: Pipeline = { ...clickstream, idOf: undefined };
    const runs: ProcessorRun[] = [];
    let headlineLines: string[] = [];
    for (const keys of w.keyCounts) {
      const lines = workloadLines(w, keys, w.events);
      if (keys === 10_000) headlineLines = lines;
      for (const batchSize of w.batchSizes) {
        const run = await measureProcessor(clients.dynamodb, noDedupe, lines, batchSize, keys);
        log(`writes: batch ${batchSize}, ${keys} keys: ${run.per1k} WCU per 1,000 events (${run.seconds} s)`);
        runs.push(run);
      }
    }
    if (headlineLines.length === 0) headlineLines = workloadLines(w, 10_000, w.events);
    const withDedupe = await measureProcessor(clients.dynamodb, clickstream, headlineLines, 1000, 10_000);
    log(`writes: batch 1000, 10000 keys, dedupe on: ${withDedupe.per1k} WCU per 1,000 events`);
    const naive = await measureNaive(clients.dynamodb, headlineLines.slice(0, w.naiveSampleEvents));
    log(`writes: naive ${naive.naivePer1k}, Powertools-style ${naive.powertoolsStylePer1k} WCU per 1,000 events`);
    const sdkCpuUsPerPutItem = await measureSdkCall(clients.dynamodb);
    log(`writes: one PutItem costs this process ${sdkCpuUsPerPutItem} µs of CPU`);
    const headline = runs.find((r) => r.batchSize === 1000 && r.keys === 10_000) ?? runs[0]!;
    const ratio = (x: number) => Math.round((x / naive.naivePer1k) * 1000) / 1000;
    return {
      streamfoldPer1k: headline.per1k,
      streamfoldWithDedupePer1k: withDedupe.per1k,
      naivePer1k: naive.naivePer1k,
      powertoolsStylePer1k: naive.powertoolsStylePer1k,
      ratioVsNaive: ratio(headline.per1k),
      sdkCpuUsPerPutItem,
      handlerCpuUsPerEvent: { dedupeOff: headline.handlerCpuUsPerEvent, dedupeOn: withDedupe.handlerCpuUsPerEvent },
      matrix: runs.map((r) => ({
        batchSize: r.batchSize,
        keys: r.keys,
        distinctKeys: r.distinctKeys,
        streamfoldPer1k: r.per1k,
        stateWritesPer1k: round((r.stateWrites * 1000) / r.events),
        unitsPerStateWrite: round(r.writeUnits / Math.max(1, r.stateWrites)),
        naivePer1k: naive.naivePer1k,
        powertoolsStylePer1k: naive.powertoolsStylePer1k,
        ratioVsNaive: ratio(r.per1k),
        handlerCpuUsPerEvent: r.handlerCpuUsPerEvent,
      })),
      naive: {
        ...naive,
        note: `naive and Powertools-style write every event on its own, so their cost per event is the same for every batch size and key count: measured once on the first ${naive.events} events of the 10,000-key workload`,
      },
      workload: {
        ...w,
        pipeline: clickstream.name,
        engine: engines.external ? engines.endpoints.dynamodb : 'DynamoDB Local (embedded)',
      },
    };
  } finally {
    clients.destroy();
    await engines.stop();
  }
}

/** The `writes` benchmark target. */
export const writes: BenchTarget = {
  name: 'writes',
  description: 'DynamoDB write units per 1,000 events: streamfold vs naive vs Powertools-style, on DynamoDB Local',
  run: (context: BenchContext) =>
    runWritesBench(
      context.quick
        ? {
            ...WRITES_WORKLOAD,
            events: 1000,
            batchSizes: [100, 1000],
            keyCounts: [100, 10_000],
            naiveSampleEvents: 100,
          }
        : WRITES_WORKLOAD,
      context.log,
    ),
};
