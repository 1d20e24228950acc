import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { type CleanPartitioning, cleanPartitioningOf, type Pipeline } from '../../core';
import { SettingError } from '../../core/errors';
import { MAPPING_DEFAULTS } from '../../core/function-defaults';
import { type ResourceNames, resourceNames } from '../../core/names';
import { createKinesisHandler, type ProcessorDeps } from '../../lambdas/processor/index';
import type { SideOutputSink } from '../../lambdas/side-output/index';
import { type LocalClients, makeClients } from '../aws-clients';
import { type EngineEndpoints, type Engines, startEngines } from '../engines/index';
import { EventSourceMapping, type EventSourceMappingOptions, jsonlFileDestination } from '../esm/index';
import { createProducer, type Producer, type ProducerCounters, type ProducerOptions } from '../producer/index';
import {
  cleanDeliveryStreamNameOf,
  deliveryStreamNameOf,
  LocalCleanEventsSink,
  startWarehouseDelivery,
  type WarehouseDelivery,
} from '../warehouse/index';
import { JsonlSideOutput } from './jsonl-side-output';
import { lineKeyOf } from './line-key';
import type { RuntimePlugin } from './plugin';
import { ensureResources, type LocalResources } from './resources';
import { removeRunFile, writeRunFile } from './run-file';
import type { RunMetering } from './run-metering';
import type { RuntimeSnapshot } from './snapshot';
import { type LandedStateWrite, tapStateWrites } from './state-tap';
import { RuntimeStats } from './stats';

/** Settings of the processor's local event source mapping (Lambda's names; see EventSourceMappingOptions). */
export type DevMappingOptions = Partial<Omit<EventSourceMappingOptions, 'client' | 'streamName' | 'handler'>>;

/**
 * The mapping settings the CDK app deploys, in the local mapping's names: `MAPPING_DEFAULTS` of
 * core/function-defaults.ts (batch 500, 1 s batching window, bisect on error, 10 retries, 6 h maximum record age,
 * TRIM_HORIZON), with ReportBatchItemFailures.
 */
export const CDK_MAPPING_DEFAULTS = {
  startingPosition: MAPPING_DEFAULTS.startingPosition,
  batchSize: MAPPING_DEFAULTS.batchSize,
  maximumBatchingWindowMs: MAPPING_DEFAULTS.maxBatchingWindowSeconds * 1000,
  bisectBatchOnFunctionError: MAPPING_DEFAULTS.bisectBatchOnError,
  maximumRetryAttempts: MAPPING_DEFAULTS.retryAttempts,
  maximumRecordAgeInSeconds: MAPPING_DEFAULTS.maxRecordAgeHours * 3600,
  reportBatchItemFailures: true,
  parallelizationFactor: MAPPING_DEFAULTS.parallelizationFactor,
} as const satisfies DevMappingOptions;

/** Options of {@link startDevRuntime}. */
export interface DevRuntimeOptions {
  pipeline: Pipeline;
  /** Working folder: side outputs, warehouse, run file. @default '.streamfold' */
  dir?: string;
  /** Shards of the stream when it is created. @default 2 */
  shards?: number;
  /** Use these engines (nothing is started or stopped). @default startEngines() (or AWS_ENDPOINT_URL) */
  endpoints?: EngineEndpoints;
  /** Mapping settings on top of {@link CDK_MAPPING_DEFAULTS}. */
  mapping?: DevMappingOptions;
  /**
   * The local warehouse `<dir>/warehouse` (false: off): the processor's clean events (`clean/`, the `events` view) and
   * a copy of the raw stream for forensics (`raw/`, the `raw_events` view; `rawEvents: false` leaves it out).
   * @default on, 60 s / 64 MiB buffering like the CDK, raw events included
   */
  warehouse?: false | { bufferingIntervalMs?: number; bufferingBytes?: number; rawEvents?: boolean };
  /**
   * The event field partitioning the warehouse (`event_type=`, bounded by the schema's enum), or false.
   * @default `type` when the schema makes it an enum of strings, else date and hour only
   */
  eventTypeField?: string | false;
  /** More moving parts (emission...): see {@link RuntimePlugin}. */
  plugins?: readonly RuntimePlugin[];
  /** Processor deps on top of the runtime's (clients, tables, side outputs). */
  processor?: Partial<ProcessorDeps>;
  /**
   * Called after every processor invocation with its event and how long the handler ran, ms (the cost bench prices
   * Lambda time and Kinesis retrieval from it).
   */
  onProcessorInvocation?: (event: KinesisStreamEvent, durationMs: number) => void;
  /** Also called with every landed state write (tests record finalized results here). */
  onStateWrite?: (write: LandedStateWrite) => void;
  /** Empty the side-output files at start. @default true */
  freshOutputs?: boolean;
  /** Publish `<dir>/dev-run.json` for `streamfold produce`. @default true */
  runFile?: boolean;
  /** Lines for the user (errors that are retried, plugin messages). @default nothing */
  log?: (line: string) => void;
  /**
   * Meter every request of the run as AWS would bill it (the snapshot's `bill`); give its `emission` hooks to the
   * emission plugin too. @default not metered
   */
  metering?: RunMetering;
}

/** Final figures of a run. */
export type RunSummary = RuntimeSnapshot;

/** A running local pipeline. */
export interface DevRuntime {
  readonly pipeline: Pipeline;
  readonly names: ResourceNames;
  readonly endpoints: EngineEndpoints;
  readonly resources: LocalResources;
  readonly clients: LocalClients;
  /** The processor's event source mapping. */
  readonly mapping: EventSourceMapping;
  /** The raw-event delivery into the warehouse (`raw/`), when on. */
  readonly warehouse: WarehouseDelivery | undefined;
  /** The processor's clean-events output into the warehouse (`clean/`), when on. */
  readonly cleanEvents: LocalCleanEventsSink | undefined;
  /** How the warehouse is partitioned. */
  readonly partitioning: CleanPartitioning;
  /** Files of the side outputs (JSON lines of SideOutputMessage) and of the on-failure destination. */
  readonly files: { rejected: string; late: string; failed: string; warehouse: string };
  readonly stats: RuntimeStats;
  /** A producer of raw lines keyed by the definition's partition key (counted in the live view). */
  producer(
    options?: Partial<Omit<ProducerOptions<string>, 'client' | 'streamName' | 'partitionKey'>>,
  ): Producer<string>;
  snapshot(): RuntimeSnapshot;
  /** Wait until every record written so far is processed (and buffered by the warehouse and plugins). */
  drain(timeoutMs?: number): Promise<void>;
  /** Stop everything this runtime started (idempotent) and return the final figures. */
  stop(): Promise<RunSummary>;
}

/** The processor's (and the plugins') DynamoDB client. */
type StateClient = Pick<DynamoDBClient, 'send'>;

/** The files of a run: side outputs, the processor's on-failure destination, the warehouse. */
function filesOf(dir: string): DevRuntime['files'] {
  return {
    rejected: join(dir, 'side-outputs', 'rejected.jsonl'),
    late: join(dir, 'side-outputs', 'late.jsonl'),
    failed: join(dir, 'side-outputs', 'failed.jsonl'),
    warehouse: join(dir, 'warehouse'),
  };
}

/** What a starting runtime shares between its steps: options, names, clients, and how to undo what it started. */
interface Startup {
  options: DevRuntimeOptions;
  pipeline: Pipeline;
  dir: string;
  names: ResourceNames;
  files: DevRuntime['files'];
  clients: LocalClients;
  log: (line: string) => void;
  /** Undo steps, run in reverse order. */
  stops: Array<() => Promise<void>>;
}

/** The processor's clean events into the warehouse (`clean/`), flushed by a 1 s timer; undefined when off. */
function startCleanEvents(s: Startup): LocalCleanEventsSink | undefined {
  const { options, log } = s;
  if (options.warehouse === false) return undefined;
  const sink = new LocalCleanEventsSink({
    dir: s.files.warehouse,
    deliveryStreamName: cleanDeliveryStreamNameOf(s.pipeline.name),
    bufferingIntervalMs: options.warehouse?.bufferingIntervalMs,
    bufferingBytes: options.warehouse?.bufferingBytes,
    onError: (error) => log(`[warehouse] clean events: ${(error as Error).message}`),
  });
  const timer = setInterval(() => {
    sink.tick().catch((error) => log(`[warehouse] clean events: ${(error as Error).message}`));
  }, 1000);
  timer.unref();
  // Pushed before the mapping's stop: unwinding stops the mapping first, then writes what is buffered.
  s.stops.push(async () => {
    clearInterval(timer);
    await sink.flush();
  });
  return sink;
}

/** The real Kinesis handler with the runtime's clients and outputs, wrapped to feed the stats (and the meter). */
function processorInvoker(
  s: Startup,
  stats: RuntimeStats,
  dynamodb: StateClient,
  cleanEvents: LocalCleanEventsSink | undefined,
  partitioning: CleanPartitioning,
) {
  const { options, files } = s;
  const metering = options.metering;
  const sideOutput = (kind: 'rejected' | 'late', sink: SideOutputSink) =>
    metering ? metering.sideOutput('processor', kind, sink) : sink;
  const clean = cleanEvents && metering ? metering.cleanEvents(cleanEvents) : cleanEvents;
  const handler = createKinesisHandler(s.pipeline, {
    logger: new Logger({ serviceName: s.pipeline.name, logLevel: 'SILENT' }),
    dynamodb,
    stateTable: s.names.stateTable,
    rejected: sideOutput('rejected', new JsonlSideOutput(files.rejected)),
    late: sideOutput('late', new JsonlSideOutput(files.late)),
    ...(clean ? { clean, cleanPartitionField: partitioning.field } : {}),
    ...options.processor,
    onInvocation: (summary, outcomes) => {
      stats.onInvocation(summary);
      options.processor?.onInvocation?.(summary, outcomes);
    },
  });
  return async (event: KinesisStreamEvent, context: Context) => {
    let response: unknown;
    stats.onInvocationStart(event);
    const started = performance.now();
    try {
      response = await handler(event, context);
    } catch (error) {
      stats.onInvocationDone(event, undefined, true);
      throw error;
    } finally {
      const ms = performance.now() - started;
      metering?.processorInvoked(event, ms);
      options.onProcessorInvocation?.(event, ms);
    }
    stats.onInvocationDone(event, response, false);
    return response;
  };
}

/** The processor's event source mapping with the CDK app's settings, started. */
async function startMapping(s: Startup, handler: EventSourceMappingOptions['handler']): Promise<EventSourceMapping> {
  const { options, log } = s;
  const mapping = new EventSourceMapping({
    ...CDK_MAPPING_DEFAULTS,
    ...options.mapping,
    client: s.clients.kinesis,
    streamName: s.names.stream,
    functionName: `${s.pipeline.name}-processor`,
    onFailure: options.mapping?.onFailure ?? jsonlFileDestination(s.files.failed),
    onError: options.mapping?.onError ?? ((error, where) => log(`[esm] ${where}: ${(error as Error).message}`)),
    handler,
  });
  await mapping.start();
  s.stops.push(() => mapping.stop());
  return mapping;
}

/** The raw copy of the stream into the warehouse (`raw/`), when on. */
async function startRawDelivery(s: Startup, partitioning: CleanPartitioning) {
  const { options, log } = s;
  if (options.warehouse === false || options.warehouse?.rawEvents === false) return undefined;
  const delivery = await startWarehouseDelivery({
    client: s.clients.kinesis,
    streamName: s.names.stream,
    dir: s.files.warehouse,
    deliveryStreamName: deliveryStreamNameOf(s.pipeline.name),
    bufferingIntervalMs: options.warehouse?.bufferingIntervalMs,
    bufferingBytes: options.warehouse?.bufferingBytes,
    eventTypeField: partitioning.field,
    eventTypes: partitioning.values,
    onError: (error, where) => log(`[warehouse] ${where}: ${(error as Error).message}`),
  });
  s.stops.push(() => delivery.stop());
  return delivery;
}

/** Start the plugins (after the mapping), then publish `<dir>/dev-run.json` for `streamfold produce`. */
async function startPluginsAndRunFile(s: Startup, endpoints: EngineEndpoints, dynamodb: StateClient): Promise<void> {
  for (const plugin of s.options.plugins ?? []) {
    const { pipeline, names, dir, log } = s;
    await plugin.start({ pipeline, names, endpoints, clients: { kinesis: s.clients.kinesis, dynamodb }, dir, log });
    s.stops.push(() => plugin.stop());
  }
  if (!(s.options.runFile ?? true)) return;
  await writeRunFile(s.dir, {
    pid: process.pid,
    pipeline: s.pipeline.name,
    stream: s.names.stream,
    endpoints,
    startedAt: new Date().toISOString(),
  });
  s.stops.push(async () => removeRunFile(s.dir));
}

/** The live figures of a run, from the mapping, producers, warehouse, plugins (and the meter). */
function statsOf(
  s: Startup,
  parts: {
    mapping: () => EventSourceMapping;
    producers: Producer<string>[];
    warehouse: () => WarehouseDelivery | undefined;
    cleanEvents: LocalCleanEventsSink | undefined;
  },
): RuntimeStats {
  const plugins = s.options.plugins ?? [];
  const metering = s.options.metering;
  return new RuntimeStats({
    esm: () => parts.mapping().counters(),
    producers: () => parts.producers.map((p): ProducerCounters => p.counters()),
    warehouse: () => parts.warehouse()?.counters(),
    cleanEvents: () => parts.cleanEvents?.counters(),
    plugins: () => plugins.flatMap((p) => (p.status ? [`${p.name}: ${p.status()}`] : [])),
    ...(metering ? { bill: (events: number) => metering.bill(events) } : {}),
  });
}

/** The processor's DynamoDB client: metered (when metering), reporting landed state writes to the stats. */
function processorDynamoDb(s: Startup, stats: RuntimeStats, fresh: boolean): StateClient {
  const metering = s.options.metering;
  const inner = metering ? metering.dynamodb('processor', s.clients.dynamodb) : s.clients.dynamodb;
  if (metering && fresh) metering.freshTables();
  return tapStateWrites(inner, s.names.stateTable, (write) => {
    stats.onStateWrite(write);
    s.options.onStateWrite?.(write);
  });
}

/**
 * Run a pipeline locally: start kinesis-mock and DynamoDB Local (unless endpoints are given or AWS_ENDPOINT_URL is
 * set), create the stream and tables with the CDK app's names, invoke the real Kinesis handler through the local
 * event source mapping with the CDK app's settings, write side outputs to `<dir>/side-outputs/*.jsonl`, deliver the
 * clean events (and a copy of the raw stream) into `<dir>/warehouse`, and collect live figures.
 */
export async function startDevRuntime(options: DevRuntimeOptions): Promise<DevRuntime> {
  const { pipeline } = options;
  const dir = options.dir ?? '.streamfold';
  const shardCount = options.shards ?? 2;
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 64) {
    throw new SettingError('shards', shardCount, 'an integer from 1 to 64');
  }
  const files = filesOf(dir);
  if (options.freshOutputs ?? true) await rm(join(dir, 'side-outputs'), { recursive: true, force: true });
  let engines: Engines | undefined;
  const endpoints = options.endpoints ?? (engines = await startEngines()).endpoints;
  const clients = makeClients(endpoints);
  const log = options.log ?? (() => {});
  const s: Startup = { options, pipeline, dir, names: resourceNames(pipeline), files, clients, log, stops: [] };
  s.stops.push(async () => {
    clients.destroy();
    await engines?.stop();
  });
  const unwind = async () => {
    for (const stop of s.stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const resources = await ensureResources(clients, s.names, shardCount);
    const producers: Producer<string>[] = [];
    let mapping: EventSourceMapping | undefined;
    let warehouse: WarehouseDelivery | undefined;
    const partitioning = cleanPartitioningOf(pipeline.schema, options.eventTypeField);
    const cleanEvents = startCleanEvents(s);
    const stats = statsOf(s, { mapping: () => mapping!, producers, warehouse: () => warehouse, cleanEvents });
    const dynamodb = processorDynamoDb(s, stats, engines !== undefined);
    // The live view shows what the processor's logs and EMF metrics would: keep them off the terminal.
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    mapping = await startMapping(s, processorInvoker(s, stats, dynamodb, cleanEvents, partitioning));
    warehouse = await startRawDelivery(s, partitioning);
    await startPluginsAndRunFile(s, endpoints, dynamodb);
    const started = { resources, endpoints, mapping, warehouse, cleanEvents, partitioning, stats, producers };
    return runtimeHandle(s, started, unwind);
  } catch (error) {
    await unwind();
    throw error;
  }
}

/** The {@link DevRuntime} of a started run. */
function runtimeHandle(
  s: Startup,
  started: Pick<
    DevRuntime,
    'resources' | 'endpoints' | 'mapping' | 'warehouse' | 'cleanEvents' | 'partitioning' | 'stats'
  > & { producers: Producer<string>[] },
  unwind: () => Promise<void>,
): DevRuntime {
  const { pipeline, names, clients, files } = s;
  const { producers, ...parts } = started;
  const { mapping: esm, warehouse, stats } = parts;
  const keyOf = lineKeyOf(pipeline);
  const kinesis = s.options.metering ? s.options.metering.client('producer', clients.kinesis) : clients.kinesis;
  let stopping: Promise<RunSummary> | undefined;
  return {
    ...parts,
    pipeline,
    names,
    clients,
    files,
    producer(producerOptions = {}) {
      const producer = createProducer<string>({
        ...producerOptions,
        client: kinesis,
        streamName: names.stream,
        partitionKey: keyOf,
      });
      producers.push(producer);
      stats.ownProducers = true;
      return producer;
    },
    snapshot: () => stats.snapshot(),
    async drain(timeoutMs = 60_000) {
      await esm.drain({ timeoutMs });
      await warehouse?.drain(timeoutMs);
      for (const plugin of s.options.plugins ?? []) await plugin.drain?.(timeoutMs);
    },
    stop() {
      stopping ??= (async () => {
        stats.phase = 'stopping';
        await unwind();
        stats.phase = 'stopped';
        return stats.snapshot();
      })();
      return stopping;
    },
  };
}
