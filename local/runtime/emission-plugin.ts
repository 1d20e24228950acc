import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { type CloserOutcome, createCloserHandler, DEFAULT_IDLE_TIMEOUT_MS } from '../../lambdas/closer/index';
import { createEmitterHandler } from '../../lambdas/emitter/index';
import type { SideOutputSink } from '../../lambdas/side-output/index';
import type { Sink } from '../../lambdas/sinks/index';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../aws-clients';
import { buildContext, functionArn } from '../esm/event-builder';
import { jsonlFileDestination } from '../esm/index';
import { CloserLoop } from './closer-loop';
import { type EmissionSinks, emissionSinks } from './emission-sinks';
import {
  type EmissionComponent,
  type EmissionCounters,
  type EmissionPlugin,
  type EmissionPluginOptions,
  type EmissionTally,
  emptyTally,
} from './emission-types';
import { redeliveryFor } from './emitter-redelivery';
import { FolderSpillStore } from './folder-spill-store';
import { JsonlSideOutput } from './jsonl-side-output';
import type { PluginContext } from './plugin';
import type { DynamoDbStreamFailureRecord } from './stream-failure';
import { emptyPollerCounters, StreamPoller } from './stream-poller';

export type {
  EmissionComponent,
  EmissionCounters,
  EmissionInstrumentation,
  EmissionPlugin,
  EmissionPluginOptions,
} from './emission-types';

/** Where the emitter's given-up stream ranges go (the deployed mapping's failed queue), under the run's folder. */
export const EMITTER_FAILED_FILE = join('side-outputs', 'emitter-failed.jsonl');

/** What a started emission runs. */
interface EmissionRun {
  streams: DynamoDBStreamsClient;
  poller: StreamPoller;
  closer: CloserLoop;
  sinks: EmissionSinks;
  redeliver: () => Promise<void>;
}

/** The plugin's shared state: options, counters, log, and how far `finish` moved the closer's clock ahead. */
interface EmissionState {
  options: EmissionPluginOptions;
  tally: EmissionTally;
  skewMs: number;
  log(line: string): void;
  warn(part: string, error: unknown): void;
}

/** Logs an error once per part and error name (they are retried on the next round). */
function warnOnce(state: EmissionState): (part: string, error: unknown) => void {
  const warned = new Set<string>();
  return (part, error) => {
    const e = error as Error;
    if (warned.has(`${part}:${e.name}`)) return;
    warned.add(`${part}:${e.name}`);
    state.log(`[${part}] ${e.name}: ${e.message} (retrying; shown once)`);
  };
}

/** The DynamoDB client a component uses (wrapped by `instrument.dynamodb`). */
function clientOf(options: EmissionPluginOptions, component: EmissionComponent, context: PluginContext) {
  return options.instrument?.dynamodb?.(component, context.clients.dynamodb) ?? context.clients.dynamodb;
}

/** Run `run` as one invocation of `component`, reporting its duration to `instrument.invoked`. */
async function timed<T>(
  options: EmissionPluginOptions,
  component: EmissionComponent,
  records: number,
  run: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } finally {
    options.instrument?.invoked?.(component, performance.now() - started, records);
  }
}

/** The side-output files of the run (as the processor writes them), for what state writes' outboxes carry. */
function localSideOutputs(options: EmissionPluginOptions, dir: string) {
  const wrap = (kind: 'rejected' | 'late', sink: SideOutputSink) =>
    options.instrument?.sideOutput?.(kind, sink) ?? sink;
  return {
    rejected: wrap('rejected', new JsonlSideOutput(join(dir, 'side-outputs', 'rejected.jsonl'))),
    late: wrap('late', new JsonlSideOutput(join(dir, 'side-outputs', 'late.jsonl'))),
  };
}

/** The real emitter handler, invoked as Lambda does with a stream event; counts its capacity and spills. */
function emitterInvoker(context: PluginContext, state: EmissionState, sinks: Sink[], spill: FolderSpillStore) {
  const { options, tally } = state;
  const emitter = createEmitterHandler(context.pipeline, {
    dynamodb: clientOf(options, 'emitter', context),
    stateTable: context.names.stateTable,
    dedupeTable: context.names.dedupeTable,
    logger: new Logger({ serviceName: context.pipeline.name, logLevel: 'SILENT' }),
    sinks,
    spill,
    sideOutputs: localSideOutputs(options, context.dir),
    onInvocation: (summary) => {
      tally.emitterWriteUnits += summary.usage.writeUnits;
      tally.emitterReadUnits += summary.usage.readUnits;
      tally.resultsEmitted += summary.results;
      tally.spilled += Object.values(summary.spilled).reduce((a, b) => a + b, 0);
    },
  });
  return (event: DynamoDBStreamEvent) =>
    timed(options, 'emitter', event.Records.length, () =>
      emitter(event, buildContext('emitter', LOCAL_REGION, 60_000)),
    );
}

/** The real closer handler, on a timer, with its clock moved ahead by `state.skewMs`; re-delivers after each tick. */
function closerLoop(context: PluginContext, state: EmissionState, redeliver: () => Promise<void>): CloserLoop {
  const { options, tally } = state;
  const closer = createCloserHandler(context.pipeline, {
    dynamodb: clientOf(options, 'closer', context),
    stateTable: context.names.stateTable,
    idleTimeoutMs: options.idleTimeoutMs,
    now: () => (options.closerNow ?? Date.now)() + state.skewMs,
    logger: new Logger({ serviceName: context.pipeline.name, logLevel: 'SILENT' }),
  });
  return new CloserLoop({
    close: () =>
      timed(
        options,
        'closer',
        0,
        async () => (await closer({}, buildContext('closer', LOCAL_REGION, 60_000))) as CloserOutcome,
      ),
    intervalMs: options.closerIntervalMs ?? 10_000,
    onOutcome: (outcome) => {
      tally.closerRuns++;
      tally.windowsClosed += outcome.windows;
      tally.watermark = outcome.watermark.watermark;
    },
    afterTick: redeliver,
    warn: state.warn,
  });
}

/** Start the sinks, the stream poller feeding the emitter, and the closer loop; undefined when the table has no stream. */
async function startEmission(context: PluginContext, state: EmissionState): Promise<EmissionRun | undefined> {
  const { options } = state;
  const table = await context.clients.dynamodb.send(new DescribeTableCommand({ TableName: context.names.stateTable }));
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) {
    state.log(`[emitter] table ${context.names.stateTable} has no stream: emission is off`);
    return undefined;
  }
  const streams = new DynamoDBStreamsClient({
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoint: context.endpoints.dynamodb,
  });
  const sinks = await emissionSinks(context, options, state);
  const spill = new FolderSpillStore(context.dir);
  const redeliver = redeliveryFor({
    dynamodb: clientOf(options, 'closer', context) as Pick<DynamoDBClient, 'send'>,
    dedupeTable: context.names.dedupeTable,
    sinks: sinks.sinks,
    spill,
    sideOutputs: localSideOutputs(options, context.dir),
    ...state,
  });
  const failed = jsonlFileDestination<DynamoDbStreamFailureRecord>(join(context.dir, EMITTER_FAILED_FILE));
  const poller = new StreamPoller({
    streams,
    streamArn,
    functionArn: functionArn(`${context.pipeline.name}-emitter`, LOCAL_REGION),
    invoke: emitterInvoker(context, state, sinks.sinks, spill),
    onFailure: (record) => failed.send(record),
    mapping: options.mapping,
    pollIntervalMs: options.pollIntervalMs,
    retryDelayMs: options.retryDelayMs,
    warn: state.warn,
    log: state.log,
  });
  const closer = closerLoop(context, state, redeliver);
  poller.start();
  closer.start();
  return { streams, poller, closer, sinks, redeliver };
}

/** One line of what emission has done (the live view and the summary). */
function emissionStatus(c: EmissionCounters): string {
  return (
    `${c.alerts} alerts and ${c.results} final results delivered (${c.invocations} invocations, ` +
    `${c.failures} failed, ${c.retries} retries, ${c.bisects} bisects, ${c.discarded} stream records given up to ` +
    `${EMITTER_FAILED_FILE}, ${c.iteratorResets} iterator renewals; ${c.spilled} spilled, ` +
    `${c.redelivered} re-delivered, ${c.spillObjectsWaiting} spill objects waiting); closer ran ${c.closerRuns}×, closed ${c.windowsClosed} windows` +
    (c.warehouse ? `; ${c.warehouse.delivered} results in the warehouse` : '') +
    `; emitter DynamoDB ${c.emitterWriteUnits} WCU, ${c.emitterReadUnits} RCU` +
    (c.resultsEmitted > 0
      ? ` (${(c.emitterWriteUnits / c.resultsEmitted).toFixed(3)} WCU, ${(c.emitterReadUnits / c.resultsEmitted).toFixed(3)} RCU per final result)`
      : '')
  );
}

/**
 * Emission for local runs, as a {@link RuntimePlugin}: polls the state table's DynamoDB stream and invokes the real
 * emitter handler with Lambda's event shape by the deployed mapping's rules (see {@link StreamPoller}: bounded
 * retries, bisect on error, what is given up on goes to `<dir>/side-outputs/emitter-failed.jsonl`), and runs the real
 * closer handler on a timer. No SNS/EventBridge/Firehose locally; the emitter's sinks are: the console (`onMessages`,
 * one log line per alert), `<dir>/alerts.jsonl` (alerts), and the local warehouse's `aggregates/` (final results, see
 * `LocalResultsSink`). Each is its own sink: each gets an alert exactly once (delivery markers) and a final result at
 * least once with the same id (the warehouse's `results` view keeps one row per id). What a sink refuses is spilled
 * to `<dir>/undelivered/` and re-delivered on the closer's tick (and at the end of `finish`).
 */
export function emissionPlugin(options: EmissionPluginOptions = {}): EmissionPlugin {
  const state: EmissionState = { options, tally: emptyTally(), skewMs: 0, log: () => {}, warn: () => {} };
  state.warn = warnOnce(state);
  let run: EmissionRun | undefined;
  let pipeline: PluginContext['pipeline'] | undefined;
  let running = false;

  /** Wait until two polls of the stream in a row found nothing (everything written so far was handed over). */
  const drain = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    if (run) run.poller.emptyPolls = 0;
    while (running && run && run.poller.emptyPolls < 2 && Date.now() < deadline) await sleep(100);
  };
  const counters = (): EmissionCounters => ({
    ...state.tally,
    ...(run?.poller.counters ?? emptyPollerCounters()),
    warehouse: run?.sinks.results?.counters(),
  });

  return {
    name: 'emission',
    async start(context) {
      state.log = context.log;
      pipeline = context.pipeline;
      process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
      run = await startEmission(context, state);
      running = run !== undefined;
    },
    drain,
    async finish(timeoutMs = 60_000) {
      if (!running || !run || !pipeline) return 0;
      const deadline = Date.now() + timeoutMs;
      const longest = Math.max(...pipeline.windows.map((w) => Math.max(w.sizeMs, w.gapMs) + w.graceMs));
      state.skewMs = Math.max(longest, options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS) + 60_000;
      const windows = await run.closer.closeUntilDone(deadline, timeoutMs);
      await drain(Math.max(1000, deadline - Date.now()));
      await run.redeliver();
      return windows;
    },
    async stop() {
      running = false;
      if (!run) return;
      await Promise.all([run.poller.stop(), run.closer.stop()]);
      run.streams.destroy();
      await run.sinks.stop();
    },
    counters,
    status: () => emissionStatus(counters()),
  };
}
