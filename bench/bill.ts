/**
 * The whole bill (issue 16): runs the reference pipeline locally on the real engines (kinesis-mock and DynamoDB Local
 * over HTTP, real SDK clients) through the local runtime — producer → Kinesis → event source mapping → processor
 * handler → state table → DynamoDB stream → emitter handler → sinks, closer handler on its deployed schedule — and
 * meters every request each part makes as AWS would bill it (local/cost): DynamoDB units by component and item kind
 * (missing-key reads and failed conditions included), Kinesis ingest and retrieval, Lambda requests and GB-seconds
 * (measured handler durations at the deployed memory sizes), Firehose (clean events, final results), SQS (side
 * outputs), SNS (alerts). Prices: the dated table of local/cost/prices.ts. Prints $ per million events per component
 * and in all, next to the naive and Powertools-style baselines measured on the same events in the same run.
 *
 * Run: `npm run bench:bill` (= `npm run bench -- cost --json`).
 */
import { rm } from 'node:fs/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { cleanPartitioningOf, type Pipeline } from '../core';
import { FUNCTION_DEFAULTS } from '../core/function-defaults';
import { resourceNames } from '../core/names';
import type { SideOutputSink } from '../lambdas/side-output/index';
import type { Sink } from '../lambdas/sinks/index';
import {
  type BillSummary,
  CostMeter,
  type DynamoDbPart,
  ItemSizes,
  meteredAlertsTopic,
  meteredCleanEvents,
  meteredClient,
  meteredDynamoDb,
  meteredResultsStream,
  meteredSideOutput,
  monthlyBill,
  PRICES_AS_OF,
  PRICES_REGION,
  provisionedShards,
  round,
  streamfoldItemKinds,
  summarizeBill,
} from '../local/cost/index';
import { startEngines } from '../local/engines/index';
import { generate } from '../local/generator/index';
import { createProducer } from '../local/producer/index';
import { driveLines, emissionPlugin, JsonlSideOutput, lineKeyOf, startDevRuntime } from '../local/runtime/index';
import { cleanDeliveryStreamNameOf, LocalCleanEventsSink, resultsDeliveryStreamNameOf } from '../local/warehouse/index';
import { clickstream } from '../pipelines/clickstream';
import { measureBaselines, replaceProcessorDynamoDb, scaleLines } from './bill-baseline';
import { type Estimate, managedFlinkEstimate, nativeTumblingEstimate } from './bill-estimates';
import type { BenchContext, BenchFigures, BenchTarget } from './target';

/** Workload of the cost bench. */
export interface BillWorkload {
  /** Events metered (after the warm-up). */
  readonly events: number;
  /** Events sent first and not metered (caches, checkpoints and the id key reach steady state). */
  readonly warmupEvents: number;
  /** Events the baselines are measured on (their cost per event does not depend on batching). */
  readonly baselineSampleEvents: number;
  readonly users: number;
  readonly bots: number;
  readonly eventBytes: number;
  /** Event time runs at this many events per second (the generator clock). */
  readonly eventsPerSecondOfEventTime: number;
  /** Records per processor invocation at most (the event source mapping's batch size). */
  readonly batchSize: number;
  /**
   * The mapping's batching window, ms. Longer than the deployed 1 s: the local engines take far fewer events per
   * second than a shard at 1,000 records/s, so a 1 s window would hand the processor batches much smaller than
   * `batchSize`; this window lets batches fill as they do at production rates.
   */
  readonly batchingWindowMs: number;
  readonly shards: number;
  readonly seed: number;
  /** Dedupe by the pipeline's id (the reference pipeline's setting); false measures the same run without it. */
  readonly dedupe: boolean;
}

/** Default workload: the reference workload (10,000 Zipf users, 3 bots, ~1 KB events, batch 1,000, dedupe on). */
export const BILL_WORKLOAD: BillWorkload = {
  events: 12_000,
  warmupEvents: 4_000,
  baselineSampleEvents: 1_000,
  users: 10_000,
  bots: 3,
  eventBytes: 1024,
  eventsPerSecondOfEventTime: 200,
  batchSize: 1000,
  batchingWindowMs: 10_000,
  shards: 2,
  seed: 16,
  dedupe: true,
};

/** The figures of one design's bill. */
export interface DesignBill {
  readonly usdPerMillionEvents: number;
  readonly usdPerMillionEventsByComponent: Record<string, number>;
  readonly usdPerMillionEventsByService: Record<string, number>;
  readonly dynamodb: {
    readonly writeUnitsPer1k: number;
    readonly readUnitsPer1k: number;
    readonly conditionalFailuresPer1k: number;
    readonly missingReadsPer1k: number;
  };
  /** $ per month at 2,000 and 50,000 events/s (per-event charges plus stream-hours and the closer's schedule). */
  readonly usdPerMonth: { readonly at2000PerSecond: number; readonly at50000PerSecond: number };
}

const r2 = (x: number) => round(x, 2);
const r4 = (x: number) => round(x, 4);
const roundValues = (o: Record<string, number>, f = r4) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

const SCHEDULED = ['closer'];

/** Billed ms of the native tumbling design's final invocation per shard and window (state only, no records): assumed. */
const NATIVE_FINAL_INVOCATION_MS = 5;
/** Events per second one Flink KPU sustains for ~1 KB JSON events with keyed windows: an assumption (AWS publishes none). */
const FLINK_EVENTS_PER_SECOND_PER_KPU = 5_000;

function designBill(summary: BillSummary, recordBytes: number): DesignBill {
  const month = (rate: number) =>
    r2(
      monthlyBill(summary, rate, {
        recordBytes,
        scheduled: SCHEDULED,
        closerRunsPerHour: 60 / FUNCTION_DEFAULTS.closerIntervalMinutes,
      }).usd,
    );
  return {
    usdPerMillionEvents: r4(summary.usdPerMillionEvents),
    usdPerMillionEventsByComponent: roundValues(summary.byComponent),
    usdPerMillionEventsByService: roundValues(summary.byService),
    dynamodb: {
      writeUnitsPer1k: r2(summary.dynamodb.writeUnitsPer1k),
      readUnitsPer1k: r2(summary.dynamodb.readUnitsPer1k),
      conditionalFailuresPer1k: r2(summary.dynamodb.conditionalFailuresPer1k),
      missingReadsPer1k: r2(summary.dynamodb.missingReadsPer1k),
    },
    usdPerMonth: { at2000PerSecond: month(2000), at50000PerSecond: month(50_000) },
  };
}

/** Figures of the cost bench. */
export interface BillFigures extends BenchFigures {
  readonly prices: { readonly asOf: string; readonly region: string; readonly table: string };
  readonly events: { readonly metered: number; readonly invocations: Record<string, number> };
  readonly streamfold: DesignBill & {
    /** DynamoDB by component and item kind: units per 1,000 events and $ per million events. */
    readonly dynamodbByPart: Record<string, DynamoDbPart>;
    /** Lambda: invocations per 1,000 events and mean billed ms per invocation, by component. */
    readonly lambda: Record<string, { memoryMb: number; invocationsPer1k: number; meanBilledMs: number }>;
  };
  readonly baselines: {
    readonly definition: string;
    readonly sampleEvents: number;
    readonly naive: DesignBill;
    readonly powertoolsStyle: DesignBill;
    /** Lambda's native tumbling windows (estimated from this run's lines: see bench/bill-estimates.ts). */
    readonly lambdaNativeTumbling: Estimate;
    /** Amazon Managed Service for Apache Flink at the same throughput (estimated: KPUs and their formula). */
    readonly managedFlink: Estimate & { readonly kpus: Record<string, number> };
  };
  /** streamfold's $ per million events over each baseline's. */
  readonly ratio: { readonly vsNaive: number; readonly vsPowertoolsStyle: number };
  readonly seconds: number;
}

/** Wrap the emitter's local sinks as the deployed ones: alerts as the SNS topic, final results as the Firehose stream. */
function deployedSinks(meter: CostMeter, pipelineName: string, sinks: Sink[]): Sink[] {
  const out: Sink[] = [];
  for (const sink of sinks) {
    // The local console sink has no deployed counterpart: one alert sink (the topic) and one results sink.
    if (sink.name === 'local') continue;
    if (sink.kinds.includes('alert')) out.push(meteredAlertsTopic(meter, 'emitter', sink, `${pipelineName}-alerts`));
    else out.push(meteredResultsStream(meter, 'emitter', sink, resultsDeliveryStreamNameOf(pipelineName)));
  }
  return out;
}

/** Run the cost bench: one metered run of the reference pipeline, then the baselines on the same events. */
export async function runBillBench(
  w: BillWorkload = BILL_WORKLOAD,
  log: (text: string) => void = () => {},
): Promise<BillFigures> {
  const started = Date.now();
  const pipeline: Pipeline = w.dedupe ? clickstream : { ...clickstream, idOf: undefined };
  const engines = await startEngines();
  const meter = new CostMeter();
  const dir = `.streamfold/bench-cost-${process.pid}`;
  try {
    const invocationCounts: Record<string, number> = { processor: 0, emitter: 0, closer: 0 };
    let items: ItemSizes | undefined;
    let raw: Pick<DynamoDBClient, 'send'> | undefined;
    const metered = (component: string, client: Pick<DynamoDBClient, 'send'>) => {
      raw ??= client;
      items ??= new ItemSizes(client);
      return meteredDynamoDb({ meter, component, client, items, classify: kinds });
    };
    const resources = resourceNames(pipeline);
    const names = { state: resources.stateTable, dedupe: resources.dedupeTable };
    const kinds = streamfoldItemKinds(names);
    const queue = (kind: 'rejected' | 'late') => (kind === 'late' ? resources.lateQueue : resources.rejectedQueue);
    const sideOutput = (component: string, kind: 'rejected' | 'late', sink: SideOutputSink) =>
      meteredSideOutput(meter, component, sink, queue(kind));
    const emission = emissionPlugin({
      closerIntervalMs: FUNCTION_DEFAULTS.closerIntervalMinutes * 60_000,
      logAlerts: false,
      warehouse: { bufferingIntervalMs: 60_000 },
      instrument: {
        dynamodb: (component, client) => metered(component, client),
        sinks: (sinks) => deployedSinks(meter, pipeline.name, sinks),
        sideOutput: (kind, sink) => sideOutput('emitter', kind, sink),
        invoked: (component, ms, records) => {
          invocationCounts[component] = (invocationCounts[component] ?? 0) + 1;
          meter.invocation(component, FUNCTION_DEFAULTS.emissionMemoryMb, ms);
          if (records > 0) meter.add(component, 'dynamodb-streams', 'state table stream', { getRecords: 1, records });
        },
      },
    });
    const partitioning = cleanPartitioningOf(pipeline.schema, undefined);
    const cleanStream = cleanDeliveryStreamNameOf(pipeline.name);
    const clean = new LocalCleanEventsSink({
      dir: `${dir}/warehouse`,
      deliveryStreamName: cleanStream,
      bufferingIntervalMs: 60_000,
    });
    // The runtime's own client (unmetered) is the meter's `raw` client: created by the runtime, so meter lazily.
    let processorClient: Pick<DynamoDBClient, 'send'> | undefined;
    const lazyProcessorClient: Pick<DynamoDBClient, 'send'> = {
      send: ((command: never) => processorClient!.send(command)) as DynamoDBClient['send'],
    };
    const runtime = await startDevRuntime({
      pipeline,
      dir,
      shards: w.shards,
      endpoints: engines.endpoints,
      warehouse: false,
      runFile: false,
      plugins: [emission],
      mapping: { batchSize: w.batchSize, maximumBatchingWindowMs: w.batchingWindowMs },
      processor: {
        dynamodb: lazyProcessorClient,
        rejected: sideOutput('processor', 'rejected', new JsonlSideOutput(`${dir}/side-outputs/rejected.jsonl`)),
        late: sideOutput('processor', 'late', new JsonlSideOutput(`${dir}/side-outputs/late.jsonl`)),
        clean: meteredCleanEvents(meter, 'processor', clean, [cleanStream]),
        cleanPartitionField: partitioning.field,
      },
      onProcessorInvocation: (event, ms) => {
        invocationCounts.processor = (invocationCounts.processor ?? 0) + 1;
        meter.invocation('processor', FUNCTION_DEFAULTS.processorMemoryMb, ms);
        meter.kinesisRead(
          'processor',
          resources.stream,
          event.Records.map((r) => Buffer.from(r.kinesis.data, 'base64').byteLength + r.kinesis.partitionKey.length),
        );
      },
      log,
    });
    processorClient = metered('processor', runtime.clients.dynamodb);
    if (!engines.external) {
      items!.fresh(names.state);
      items!.fresh(names.dedupe);
    }
    const total = w.warmupEvents + w.events;
    const spanMs = (total / w.eventsPerSecondOfEventTime) * 1000;
    const lines = Array.from(
      generate({
        seed: w.seed,
        events: total,
        users: w.users,
        bots: w.bots,
        targetBytes: w.eventBytes,
        eventsPerSecond: w.eventsPerSecondOfEventTime,
        startTime: new Date(Math.floor((Date.now() - spanMs) / 60_000) * 60_000),
      }),
      (item) => item.line,
    );
    const producer = createProducer<string>({
      client: meteredClient(meter, 'producer', runtime.clients.kinesis),
      streamName: runtime.names.stream,
      partitionKey: lineKeyOf(pipeline),
      maxInFlight: 1,
    });
    log(`cost: warm-up, ${w.warmupEvents} events`);
    await driveLines({ producer, lines: lines.slice(0, w.warmupEvents) });
    await runtime.drain(300_000);
    await emission.drain?.(60_000);
    meter.reset();
    for (const k of Object.keys(invocationCounts)) invocationCounts[k] = 0;
    log(`cost: metered run, ${w.events} events`);
    const measured = lines.slice(w.warmupEvents);
    await driveLines({ producer, lines: measured });
    await runtime.drain(600_000);
    log('cost: end of input, the closer finalizes the open windows');
    await emission.finish(300_000);
    await clean.flush();
    const lines0 = meter.lines();
    log(`cost: baselines on ${w.baselineSampleEvents} events`);
    const sample = measured.slice(0, w.baselineSampleEvents);
    const baselines = await measureBaselines(raw!, items!, pipeline, sample);
    await runtime.stop();
    const factor = measured.length / sample.length;
    const bill = summarizeBill(lines0, measured.length, { scheduled: SCHEDULED });
    const naive = summarizeBill(
      replaceProcessorDynamoDb(lines0, scaleLines(baselines.naive, factor)),
      measured.length,
      { scheduled: SCHEDULED },
    );
    const powertools = summarizeBill(
      replaceProcessorDynamoDb(lines0, scaleLines(baselines.powertoolsStyle, factor)),
      measured.length,
      { scheduled: SCHEDULED },
    );
    const lambda: BillFigures['streamfold']['lambda'] = {};
    for (const line of lines0) {
      if (line.service !== 'lambda') continue;
      const n = line.counters.invocations ?? 0;
      lambda[line.component] = {
        memoryMb: Number.parseInt(line.detail, 10),
        invocationsPer1k: r2((n * 1000) / measured.length),
        meanBilledMs: r2((line.counters.durationMs ?? 0) / Math.max(1, n)),
      };
    }
    return {
      prices: { asOf: PRICES_AS_OF, region: PRICES_REGION, table: 'local/cost/prices.ts' },
      events: { metered: measured.length, invocations: invocationCounts },
      streamfold: {
        ...designBill(bill, w.eventBytes),
        dynamodbByPart: Object.fromEntries(
          Object.entries(bill.dynamodb.byPart).map(([part, p]) => [
            part,
            {
              writeUnitsPer1k: r2(p.writeUnitsPer1k),
              readUnitsPer1k: r2(p.readUnitsPer1k),
              requestsPer1k: r2(p.requestsPer1k),
              conditionalFailuresPer1k: r2(p.conditionalFailuresPer1k),
              usdPerMillionEvents: r4(p.usdPerMillionEvents),
            },
          ]),
        ),
        lambda,
      },
      baselines: {
        definition:
          'measured on the first sampleEvents metered events, scaled to the run: naive = per valid record one ' +
          'conditional idempotency PutItem on its dedupe id plus one conditional UpdateItem per window instance; ' +
          'Powertools-style = naive plus an INPROGRESS PutItem and a COMPLETED UpdateItem per record. Only the ' +
          "processor's DynamoDB lines are replaced; Kinesis, Lambda, emitter, closer and sinks are streamfold's " +
          'measured lines (which flatters the baselines).',
        sampleEvents: sample.length,
        naive: designBill(naive, w.eventBytes),
        powertoolsStyle: designBill(powertools, w.eventBytes),
        lambdaNativeTumbling: nativeTumblingEstimate(
          {
            lines: lines0,
            events: measured.length,
            windowSeconds: 60,
            memoryMb: FUNCTION_DEFAULTS.processorMemoryMb,
            finalInvocationMs: NATIVE_FINAL_INVOCATION_MS,
          },
          (rate) => provisionedShards(rate, w.eventBytes),
        ),
        managedFlink: managedFlinkEstimate({
          lines: lines0,
          events: measured.length,
          eventsPerSecondPerKpu: FLINK_EVENTS_PER_SECOND_PER_KPU,
        }),
      },
      ratio: {
        vsNaive: r4(bill.usdPerMillionEvents / naive.usdPerMillionEvents),
        vsPowertoolsStyle: r4(bill.usdPerMillionEvents / powertools.usdPerMillionEvents),
      },
      seconds: r2((Date.now() - started) / 1000),
      workload: {
        ...w,
        pipeline: pipeline.name,
        dedupe: pipeline.idOf !== undefined,
        engines: engines.external ? engines.endpoints : 'kinesis-mock + DynamoDB Local (embedded)',
        memoryMb: { processor: FUNCTION_DEFAULTS.processorMemoryMb, emission: FUNCTION_DEFAULTS.emissionMemoryMb },
        closerIntervalMinutes: FUNCTION_DEFAULTS.closerIntervalMinutes,
        kinesisMode: 'on-demand',
        notes: [
          'Lambda GB-seconds use handler wall time measured here (DynamoDB Local round trips included), at the deployed memory sizes.',
          "Monthly figures add the on-demand stream-hour and the closer's schedule (EventBridge Scheduler + Lambda requests); no storage.",
          'DynamoDB Streams reads by the emitter trigger are free (counted, priced 0).',
        ],
      },
    };
  } finally {
    await engines.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The workload with the environment's overrides: `BENCH_COST_EVENTS` and `BENCH_COST_WARMUP` (positive integers) for a
 * longer run than the default, which is sized to finish in a few minutes on a 2-core machine; `BENCH_COST_BATCH` for
 * another batch size (the event source mapping's, e.g. 100 or 3,000); `BENCH_COST_DEDUPE=off` for the same run without
 * dedupe.
 */
export function billWorkloadFromEnv(env: NodeJS.ProcessEnv, base: BillWorkload = BILL_WORKLOAD): BillWorkload {
  const read = (name: string, fallback: number) => {
    const text = env[name];
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
    return n;
  };
  const events = read('BENCH_COST_EVENTS', base.events);
  return {
    ...base,
    events,
    warmupEvents: read('BENCH_COST_WARMUP', base.warmupEvents),
    batchSize: read('BENCH_COST_BATCH', base.batchSize),
    dedupe: dedupeFromEnv(env.BENCH_COST_DEDUPE, base.dedupe),
    baselineSampleEvents: Math.min(base.baselineSampleEvents, events),
  };
}

function dedupeFromEnv(text: string | undefined, fallback: boolean): boolean {
  if (text === undefined || text === '') return fallback;
  if (text === 'on' || text === 'off') return text === 'on';
  throw new Error(`BENCH_COST_DEDUPE must be on or off, got ${JSON.stringify(text)}`);
}

/** The `cost` benchmark target. */
export const cost: BenchTarget = {
  name: 'cost',
  description: 'the whole bill per million events (DynamoDB, Kinesis, Lambda, Firehose, SQS, SNS) vs naive baselines',
  run: (context: BenchContext) =>
    runBillBench(
      context.quick
        ? { ...BILL_WORKLOAD, events: 2000, warmupEvents: 500, baselineSampleEvents: 300 }
        : billWorkloadFromEnv(process.env),
      context.log,
    ),
};
