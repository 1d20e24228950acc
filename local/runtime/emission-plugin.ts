import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type CloserOutcome, createCloserHandler, DEFAULT_IDLE_TIMEOUT_MS } from '../../lambdas/closer/index';
import {
  createEmitterHandler,
  DeliveryMarkers,
  MeteredSpillStore,
  redeliverSpilled,
} from '../../lambdas/emitter/index';
import type { SideOutputSink } from '../../lambdas/side-output/index';
import { type AlertMessage, CallbackSink, type EmitMessage, type Sink } from '../../lambdas/sinks/index';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../aws-clients';
import { buildContext } from '../esm/event-builder';
import { type LocalResultsCounters, LocalResultsSink, resultsDeliveryStreamNameOf } from '../warehouse/index';
import { EmissionFinishError } from './errors';
import { FolderSpillStore } from './folder-spill-store';
import { JsonlSideOutput } from './jsonl-side-output';
import type { PluginContext, RuntimePlugin } from './plugin';

/** Options of {@link emissionPlugin}. */
export interface EmissionPluginOptions {
  /** Wait between polls of the state table's DynamoDB stream. @default 1000 */
  pollIntervalMs?: number;
  /** How often the closer runs (EventBridge Scheduler runs it every minute in the cloud). @default 10000 */
  closerIntervalMs?: number;
  /** A silent source stops holding the watermark back after this long. @default 60000 */
  idleTimeoutMs?: number;
  /** The closer's clock (before {@link EmissionPlugin.finish} moves it ahead). @default Date.now */
  closerNow?: () => number;
  /** Receives every alert and final result the emitter delivers (the live view, tests). */
  onMessages?: (messages: readonly EmitMessage[]) => void;
  /** Print one line per delivered alert through the runtime's log. @default true */
  logAlerts?: boolean;
  /**
   * Delivered alerts as JSON lines (one {@link AlertMessage} with its `id` a line; emptied at start); false: none.
   * @default '<dir>/alerts.jsonl'
   */
  alertsFile?: false | string;
  /**
   * Final results into the local warehouse (`<dir>/warehouse/aggregates/dt=.../`, rows like the cloud's results
   * Firehose; query them as the `results` view of `streamfold query`); false: none.
   * @default on, 60 s / 64 MiB buffering like the CDK
   */
  warehouse?: false | { bufferingIntervalMs?: number; bufferingBytes?: number };
  /** Wraps what the emitter and the closer call, and reports their durations (the cost bench meters them). */
  instrument?: EmissionInstrumentation;
}

/** The parts of emission a local run can observe: emitter and closer run as `component`. */
export type EmissionComponent = 'emitter' | 'closer';

/**
 * Hooks around the emitter and the closer (every hook optional; identity by default). The re-delivery of spilled
 * messages runs as the closer (as in the cloud, on the closer's schedule).
 */
export interface EmissionInstrumentation {
  /** The DynamoDB client a component uses (state, dedupe and marker tables). */
  dynamodb?(component: EmissionComponent, client: Pick<DynamoDBClient, 'send'>): Pick<DynamoDBClient, 'send'>;
  /** The emitter's sinks (alerts and final results). */
  sinks?(sinks: Sink[]): Sink[];
  /** The side outputs that state writes' outboxes are delivered to (by the emitter and the re-delivery). */
  sideOutput?(kind: 'rejected' | 'late', sink: SideOutputSink): SideOutputSink;
  /** One invocation of a component's handler ended after `durationMs` (emitter: `records` stream records). */
  invoked?(component: EmissionComponent, durationMs: number, records: number): void;
}

/** What the emission plugin has done so far. */
export interface EmissionCounters {
  /** Alerts and results delivered (to the console sink: every one the emitter sent). */
  alerts: number;
  results: number;
  /** Emitter invocations, and those that reported a partial failure (retried). */
  invocations: number;
  failures: number;
  /** Closer runs, and the windows they finalized. */
  closerRuns: number;
  windowsClosed: number;
  /** The pipeline watermark of the last closer run (epoch ms; −∞ before any checkpoint). */
  watermark: number;
  iteratorResets: number;
  /**
   * DynamoDB capacity of the emitter and of the re-delivery of spilled messages (alert markers, result items, the id
   * key; reads as AWS bills them), and the final results the emitter handled.
   */
  emitterWriteUnits: number;
  emitterReadUnits: number;
  resultsEmitted: number;
  /** Messages spilled to `<dir>/undelivered/` (a sink refused them), re-delivered from there, and objects waiting. */
  spilled: number;
  redelivered: number;
  spillObjectsWaiting: number;
  /** The results sink's counters (undefined when results do not go to the warehouse). */
  warehouse: LocalResultsCounters | undefined;
}

/** The emission plugin: a {@link RuntimePlugin} with counters and an end of input. */
export interface EmissionPlugin extends RuntimePlugin {
  counters(): EmissionCounters;
  /**
   * End of input for a bounded run (what replay() does at the end of its lines): once traffic has stopped and the
   * processor is drained, move the closer's clock ahead by the longest window + grace (and the idle timeout), so the
   * pipeline watermark passes every open window, as it would after that much wall-clock time without traffic; run the
   * closer until nothing is left to close, then drain the emitter. Resolves with the windows it finalized.
   * @throws EmissionFinishError when windows are still open at the deadline.
   */
  finish(timeoutMs?: number): Promise<number>;
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

/** One console line of a delivered alert. */
function alertLine(a: AlertMessage): string {
  const start = new Date(a.start).toISOString().slice(0, 16);
  return `[alert] ${a.alert}: ${a.key} in ${a.window} ${start}Z ${JSON.stringify(a.values)} (id ${a.id})`;
}

/**
 * Emission for local runs, as a {@link RuntimePlugin}: polls the state table's DynamoDB stream and invokes the real
 * emitter handler with Lambda's event shape (retrying from the lowest reported failure), and runs the real closer
 * handler on a timer. No SNS/EventBridge/Firehose locally; the emitter's sinks are: the console (`onMessages`, one log
 * line per alert), `<dir>/alerts.jsonl` (alerts), and the local warehouse's `aggregates/` (final results, see
 * {@link LocalResultsSink}). Each is its own sink: each gets an alert exactly once (delivery markers) and a final
 * result at least once with the same id (the warehouse's `results` view keeps one row per id). What a sink refuses
 * is spilled to `<dir>/undelivered/` and re-delivered on the closer's tick (and at the end of `finish`).
 */
export function emissionPlugin(options: EmissionPluginOptions = {}): EmissionPlugin {
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const closerIntervalMs = options.closerIntervalMs ?? 10_000;
  const counts = {
    alerts: 0,
    results: 0,
    invocations: 0,
    failures: 0,
    closerRuns: 0,
    windowsClosed: 0,
    watermark: Number.NEGATIVE_INFINITY,
    iteratorResets: 0,
    emitterWriteUnits: 0,
    emitterReadUnits: 0,
    resultsEmitted: 0,
    spilled: 0,
    redelivered: 0,
    spillObjectsWaiting: 0,
  };
  let results: LocalResultsSink | undefined;
  /** How far `finish` moved the closer's clock ahead. */
  let skewMs = 0;
  let pipeline: PluginContext['pipeline'] | undefined;
  let tick: NodeJS.Timeout | undefined;
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
  let spill: FolderSpillStore | undefined;

  const sinksFor = async (context: PluginContext): Promise<Sink[]> => {
    const sinks: Sink[] = [
      new CallbackSink('local', ['alert', 'result'], (messages) => {
        for (const m of messages) {
          counts[m.kind === 'alert' ? 'alerts' : 'results']++;
          if (m.kind === 'alert' && (options.logAlerts ?? true)) log(alertLine(m));
        }
        options.onMessages?.(messages);
      }),
    ];
    if (options.alertsFile !== false) {
      const path = options.alertsFile ?? join(context.dir, 'alerts.jsonl');
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, '');
      sinks.push(
        new CallbackSink('alerts-file', ['alert'], async (messages) => {
          await appendFile(path, messages.map((m) => `${JSON.stringify(m)}\n`).join(''));
        }),
      );
    }
    if (options.warehouse !== false) {
      const sink = new LocalResultsSink({
        dir: join(context.dir, 'warehouse'),
        deliveryStreamName: resultsDeliveryStreamNameOf(context.pipeline.name),
        ...options.warehouse,
        onError: (error) => warnOnce('results', error),
      });
      results = sink;
      sinks.push(sink);
      tick = setInterval(() => {
        sink.tick().catch((error) => warnOnce('results', error));
      }, 1000);
      tick.unref();
    }
    return options.instrument?.sinks?.(sinks) ?? sinks;
  };

  const clientOf = (component: EmissionComponent, context: PluginContext) =>
    options.instrument?.dynamodb?.(component, context.clients.dynamodb) ?? context.clients.dynamodb;
  const timed = async <T>(component: EmissionComponent, records: number, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await run();
    } finally {
      options.instrument?.invoked?.(component, performance.now() - started, records);
    }
  };

  const pollStream = async (context: PluginContext, streamArn: string, sinks: Sink[]) => {
    const emitter = createEmitterHandler(context.pipeline, {
      dynamodb: clientOf('emitter', context),
      stateTable: context.names.stateTable,
      dedupeTable: context.names.dedupeTable,
      logger: new Logger({ serviceName: context.pipeline.name, logLevel: 'SILENT' }),
      sinks,
      spill: spill ?? false,
      sideOutputs: localSideOutputs(context.dir),
      onInvocation: (summary) => {
        counts.emitterWriteUnits += summary.usage.writeUnits;
        counts.emitterReadUnits += summary.usage.readUnits;
        counts.resultsEmitted += summary.results;
        counts.spilled += Object.values(summary.spilled).reduce((a, b) => a + b, 0);
      },
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
          // Like Lambda's DynamoDB event source mapping with its default MaximumRetryAttempts (-1): retry from the lowest
          // reported failure until it succeeds (redelivered records skip what was delivered, by the markers).
          for (let attempt = 0; pending.length > 0 && running; attempt++) {
            counts.invocations++;
            const event: DynamoDBStreamEvent = { Records: pending };
            let response: DynamoDBBatchResponse | undefined;
            try {
              response = (await timed('emitter', pending.length, () =>
                emitter(event, buildContext('emitter', LOCAL_REGION, 60_000)),
              )) as DynamoDBBatchResponse | undefined;
            } catch (error) {
              // A thrown error fails the whole batch: Lambda retries it as it was.
              warnOnce('emitter', error);
              response = { batchItemFailures: [{ itemIdentifier: pending[0]?.dynamodb?.SequenceNumber ?? '' }] };
            }
            const failed = response?.batchItemFailures?.[0]?.itemIdentifier;
            const at = failed === undefined ? -1 : pending.findIndex((r) => r.dynamodb?.SequenceNumber === failed);
            pending = at < 0 ? [] : pending.slice(at);
            if (pending.length > 0) {
              counts.failures++;
              if (attempt === 2) log(`[emitter] ${pending.length} record(s) still failing: retrying until delivered`);
              await sleep(Math.min(2000, 200 * 2 ** attempt));
            }
          }
          const last = out.Records?.[out.Records.length - 1]?.dynamodb?.SequenceNumber;
          if (last && pending.length === 0) shard.lastSequence = last;
        }
      } catch (error) {
        warnOnce('emitter', error);
      }
      emptyPolls = found === 0 ? emptyPolls + 1 : 0;
      if (found === 0) await sleep(pollIntervalMs);
    }
  };

  /** The side-output files of the run (as the processor writes them), for what state writes' outboxes carry. */
  const localSideOutputs = (dir: string) => {
    const wrap = (kind: 'rejected' | 'late', sink: SideOutputSink) =>
      options.instrument?.sideOutput?.(kind, sink) ?? sink;
    return {
      rejected: wrap('rejected', new JsonlSideOutput(join(dir, 'side-outputs', 'rejected.jsonl'))),
      late: wrap('late', new JsonlSideOutput(join(dir, 'side-outputs', 'late.jsonl'))),
    };
  };

  /**
   * Re-deliver what the emitter spilled (as the closer does on its schedule in the cloud); never overlaps itself and
   * never throws (a failure is shown once, the next tick retries).
   */
  let redeliver: () => Promise<void> = async () => {};
  const redeliveryFor = (context: PluginContext, sinks: Sink[], store: FolderSpillStore) => {
    const markers = new DeliveryMarkers({ client: clientOf('closer', context), tableName: context.names.dedupeTable });
    const metered = new MeteredSpillStore(store);
    let inFlight: Promise<void> | undefined;
    return () =>
      (inFlight ??= (async () => {
        try {
          const run = await redeliverSpilled({
            sinks,
            spill: metered,
            markers,
            sideOutputs: localSideOutputs(context.dir),
          });
          const usage = markers.takeUsage();
          counts.emitterWriteUnits += usage.writeUnits;
          counts.emitterReadUnits += usage.billedReadUnits;
          counts.redelivered += Object.values(run.delivered).reduce((a, b) => a + b, 0);
          counts.spillObjectsWaiting = run.remaining;
          if (run.completed > 0) log(`[emitter] re-delivered ${run.completed} spilled object(s)`);
        } catch (error) {
          warnOnce('redelivery', error);
        } finally {
          inFlight = undefined;
        }
      })());
  };

  /** Runs the closer handler once; runs never overlap (the timer and `finish`). */
  let closeOnce: () => Promise<CloserOutcome> = () => Promise.reject(new Error('emission plugin not started'));
  const closeLoop = async (context: PluginContext) => {
    const closer = createCloserHandler(context.pipeline, {
      dynamodb: clientOf('closer', context),
      stateTable: context.names.stateTable,
      idleTimeoutMs: options.idleTimeoutMs,
      now: () => (options.closerNow ?? Date.now)() + skewMs,
      logger: new Logger({ serviceName: context.pipeline.name, logLevel: 'SILENT' }),
    });
    let last: Promise<unknown> = Promise.resolve();
    closeOnce = () => {
      const next = last.then(async () => {
        const outcome = (await timed('closer', 0, () =>
          closer({}, buildContext('closer', LOCAL_REGION, 60_000)),
        )) as CloserOutcome;
        counts.closerRuns++;
        counts.windowsClosed += outcome.windows;
        counts.watermark = outcome.watermark.watermark;
        return outcome;
      });
      last = next.catch(() => undefined);
      return next;
    };
    while (running) {
      for (let waited = 0; running && waited < closerIntervalMs; waited += 200) await sleep(200);
      if (!running) return;
      await closeOnce().catch((error) => warnOnce('closer', error));
      await redeliver();
    }
  };

  /** Wait until two polls of the stream in a row found nothing (everything written so far was handed over). */
  const drain = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    emptyPolls = 0;
    while (running && emptyPolls < 2 && Date.now() < deadline) await sleep(100);
  };

  return {
    name: 'emission',
    async start(context) {
      log = context.log;
      pipeline = context.pipeline;
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
      const sinks = await sinksFor(context);
      spill = new FolderSpillStore(context.dir);
      redeliver = redeliveryFor(context, sinks, spill);
      running = true;
      loops = [pollStream(context, streamArn, sinks), closeLoop(context)];
    },
    drain,
    async finish(timeoutMs = 60_000) {
      if (!running || !pipeline) return 0;
      const deadline = Date.now() + timeoutMs;
      const longest = Math.max(...pipeline.windows.map((w) => Math.max(w.sizeMs, w.gapMs) + w.graceMs));
      skewMs = Math.max(longest, options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS) + 60_000;
      let windows = 0;
      for (;;) {
        let outcome: CloserOutcome | undefined;
        try {
          outcome = await closeOnce();
          windows += outcome.windows;
        } catch (error) {
          warnOnce('closer', error);
        }
        if (outcome && outcome.windows === 0 && outcome.failedKeys.length === 0) break;
        if (Date.now() >= deadline) throw new EmissionFinishError(timeoutMs, outcome?.failedKeys.length);
        if (!outcome || outcome.failedKeys.length > 0) await sleep(200);
      }
      await drain(Math.max(1000, deadline - Date.now()));
      await redeliver();
      return windows;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      streams?.destroy();
      if (tick) clearInterval(tick);
      await results?.flush();
    },
    counters: () => ({ ...counts, warehouse: results?.counters() }),
    status: () =>
      `${counts.alerts} alerts and ${counts.results} final results delivered (${counts.invocations} invocations, ` +
      `${counts.failures} partial failures, ${counts.iteratorResets} iterator renewals; ${counts.spilled} spilled, ` +
      `${counts.redelivered} re-delivered, ${counts.spillObjectsWaiting} spill objects waiting); closer ran ${counts.closerRuns}×, closed ${counts.windowsClosed} windows` +
      (results ? `; ${results.counters().delivered} results in the warehouse` : '') +
      `; emitter DynamoDB ${counts.emitterWriteUnits} WCU, ${counts.emitterReadUnits} RCU` +
      (counts.resultsEmitted > 0
        ? ` (${(counts.emitterWriteUnits / counts.resultsEmitted).toFixed(3)} WCU, ${(counts.emitterReadUnits / counts.resultsEmitted).toFixed(3)} RCU per final result)`
        : ''),
  };
}
