import { relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError } from 'commander';
import type { Pipeline } from '../../../core';
import { parseDuration } from '../../../core/duration';
import type { DevRuntime, RunSummary } from '../../../local/runtime/index';
import type { LiveView } from '../../../local/view/index';
import type { CliContext, RegisterCommand } from '../context';
import { loadPipeline, PIPELINE_OPTION_HELP } from '../load-pipeline';
import { integer, positiveInt } from '../options';

interface DevFlags {
  pipeline?: string;
  duration?: number;
  events?: number;
  generator: boolean;
  rate: number;
  seed: number;
  shards: number;
  eventBytes: number;
  dir: string;
  warehouseInterval: number;
  plain?: boolean;
  emission: boolean;
  timeScale: number;
  idleTimeout: number;
  closerInterval: number;
  closeWindows: boolean;
}

/** Commander parser for a duration (`60s`, `2m`, `500ms`, or plain seconds). */
function duration(value: string): number {
  try {
    const ms = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) * 1000 : parseDuration(value.trim());
    if (!Number.isFinite(ms) || ms < 0) throw new Error('negative');
    return ms;
  } catch {
    throw new InvalidArgumentError(`expected a duration like 60s, 2m or 500ms, got ${JSON.stringify(value)}`);
  }
}

/** Commander parser for a non-negative integer. */
function nonNegativeInt(value: string): number {
  const n = integer(value);
  if (n < 0) throw new InvalidArgumentError(`expected 0 or more, got ${JSON.stringify(value)}`);
  return n;
}

const within = <T>(promise: Promise<T>, ms: number) => Promise.race([promise, sleep(ms).then(() => undefined)]);

/**
 * Generator settings for a live run: event time runs `timeScale` times faster than the wall clock (so a short run
 * sees bot alerts and closing windows) and is placed so that a bounded run ends near the present.
 */
async function generatorFor(flags: DevFlags, events: number, runMs: number | undefined) {
  const { generate } = await import('../../../local/generator');
  const sendRate = flags.rate > 0 ? flags.rate : 200;
  const eventsPerSecond = sendRate / flags.timeScale;
  const eventSpanMs = runMs === undefined ? 0 : runMs * flags.timeScale;
  const startMs = Math.floor((Date.now() - eventSpanMs) / 60_000) * 60_000;
  const planted = 0.03;
  const bots = 3;
  return generate({
    seed: flags.seed,
    events,
    startTime: new Date(startMs),
    eventsPerSecond,
    targetBytes: flags.eventBytes,
    users: Math.max(1000, Math.ceil((1.5 * eventsPerSecond * 60) / 80)),
    // The generator needs room for the bots' 150 events/min: at most half the on-time rate.
    bots: (bots * 150) / 60 <= 0.5 * eventsPerSecond * (1 - planted) ? bots : 0,
  });
}

type LocalRuntime = typeof import('../../../local/runtime/index');
type Emission = ReturnType<LocalRuntime['emissionPlugin']>;

/** Start the engines, the runtime (metered as AWS would bill it) and the emitter with the closer. */
async function startRuntime(flags: DevFlags, context: CliContext, pipeline: Pipeline, log: (line: string) => void) {
  // The local runtime (AWS SDK clients, engines, handlers) loads only for this command: the others start faster.
  const { emissionPlugin, RunMetering, startDevRuntime } = await import('../../../local/runtime/index');
  context.stderr(
    `streamfold dev: starting kinesis-mock and DynamoDB Local for pipeline '${pipeline.name}' (first start takes ~10-20 s)...\n`,
  );
  // Every request of producer, processor, emitter and closer is metered: the summary shows what the run would cost.
  const metering = new RunMetering(pipeline);
  const emission = flags.emission
    ? emissionPlugin({
        idleTimeoutMs: flags.idleTimeout,
        closerIntervalMs: flags.closerInterval,
        warehouse: { bufferingIntervalMs: flags.warehouseInterval },
        instrument: metering.emission,
      })
    : undefined;
  const runtime: DevRuntime = await startDevRuntime({
    pipeline,
    dir: resolve(context.cwd, flags.dir),
    shards: flags.shards,
    warehouse: { bufferingIntervalMs: flags.warehouseInterval },
    plugins: emission ? [emission] : [],
    metering,
    log,
  });
  return { runtime, emission };
}

/** Stop on the first Ctrl-C (abort the run), quit on the second; `release` removes the handlers. */
function interruptible(stopRun: AbortController, log: (line: string) => void) {
  const state = { interrupted: false };
  const onSignal = () => {
    if (state.interrupted) process.exit(130);
    state.interrupted = true;
    log('interrupted: stopping the generator and finishing the batches in flight (Ctrl-C again to quit at once)');
    stopRun.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const release = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  return { state, release };
}

const aborted = (signal: AbortSignal) => new Promise<void>((r) => signal.addEventListener('abort', () => r()));

/** Send generated events (at --rate) until they run out or the run is stopped. */
async function generateEvents(
  flags: DevFlags,
  runtime: DevRuntime,
  durationMs: number | undefined,
  signal: AbortSignal,
) {
  const { driveLines } = await import('../../../local/runtime/index');
  const events =
    flags.events ?? Math.ceil(((flags.rate > 0 ? flags.rate : 2000) * (durationMs ?? 3_600_000)) / 1000) + 1000;
  const producer = runtime.producer({ maxInFlight: 1 });
  const runMs =
    durationMs ?? (flags.events !== undefined && flags.rate > 0 ? (flags.events / flags.rate) * 1000 : undefined);
  const items = await generatorFor(flags, events, runMs);
  const lines = (function* () {
    for (const item of items) yield item.line;
  })();
  const sending = driveLines({ producer, lines, rate: flags.rate > 0 ? flags.rate : undefined, signal });
  // On Ctrl-C stop producing at once: what was sent is still processed up to the batches in flight.
  await Promise.race([sending, aborted(signal)]);
  return { sending };
}

/** Wait until every record written is processed; then (unless told not to) the closer finalizes the last windows. */
async function finishInput(
  flags: DevFlags,
  runtime: DevRuntime,
  emission: Emission | undefined,
  log: (line: string) => void,
) {
  log('draining: waiting until every record written is processed...');
  await runtime.drain(120_000).catch((error: Error) => log(`drain: ${error.message}`));
  if (emission && flags.closeWindows) {
    log('end of input: the closer finalizes the last windows (as if their grace period had passed)...');
    await emission
      .finish(120_000)
      .then((windows) => log(`end of input: ${windows} windows finalized`))
      .catch((error: Error) => log(`finish: ${error.message}`));
  }
  if (emission) log(`emission: ${emission.status?.()}`);
}

async function runDev(flags: DevFlags, context: CliContext): Promise<{ summary: RunSummary; pipeline: Pipeline }> {
  const { LiveView } = await import('../../../local/view/index');
  const { pipeline, path } = await loadPipeline(flags.pipeline, context.cwd);
  const durationMs = flags.duration ?? (flags.generator && flags.events === undefined ? 60_000 : undefined);
  let view: LiveView | undefined;
  const log = (line: string) => (view ? view.log(line) : context.stderr(`${line}\n`));
  const { runtime, emission } = await startRuntime(flags, context, pipeline, log);
  runtime.stats.ownProducers = flags.generator;
  runtime.stats.target = {
    ...(flags.events !== undefined ? { events: flags.events } : {}),
    ...(durationMs ? { durationMs } : {}),
  };
  const live = new LiveView(() => runtime.snapshot(), { tty: flags.plain ? false : undefined });
  view = live;
  log(
    `stream ${runtime.names.stream} (${runtime.resources.ranges.length} shards), tables ${runtime.names.stateTable} / ` +
      `${runtime.names.dedupeTable} on ${runtime.endpoints.kinesis} and ${runtime.endpoints.dynamodb}`,
  );
  if (!flags.generator) {
    log(
      `waiting for events: in another terminal run  npx streamfold produce --pipeline ${relative(context.cwd, path)} --input events.jsonl`,
    );
  }
  live.start();
  const stopRun = new AbortController();
  const signals = interruptible(stopRun, log);
  const timer = durationMs ? setTimeout(() => stopRun.abort(), durationMs) : undefined;
  try {
    if (flags.generator) {
      const { sending } = await generateEvents(flags, runtime, durationMs, stopRun.signal);
      if (!signals.state.interrupted) await within(sending, 30_000);
    } else await aborted(stopRun.signal);
    if (!signals.state.interrupted) await finishInput(flags, runtime, emission, log);
  } finally {
    if (timer) clearTimeout(timer);
    signals.release();
  }
  // stop() lets the batches in flight finish, then stops the emulator and the engines.
  const stopped = await within(runtime.stop(), 30_000);
  if (!stopped) runtime.stats.phase = 'stopped';
  const summary = stopped ?? runtime.snapshot();
  live.stop();
  return { summary, pipeline };
}

/**
 * `streamfold dev` (what `npm start` runs): the pipeline on embedded engines with the real handler, a live view, and
 * a summary at the end.
 */
export const registerDev: RegisterCommand = (program, context) => {
  program
    .command('dev')
    .description(
      'Run a pipeline locally: start kinesis-mock and DynamoDB Local, create the stream and tables, invoke the real ' +
        'processor through the local event source mapping, feed it generated clickstream events, show a live view, ' +
        'deliver the clean events (each valid event once in the `events` view) and a copy of the raw stream ' +
        '(`raw_events`) into .streamfold/warehouse (query them with `streamfold query`), and print a summary. ' +
        'Stops after --duration / --events, or on Ctrl-C.',
    )
    .option('-p, --pipeline <file.ts>', PIPELINE_OPTION_HELP)
    .option('--duration <time>', 'stop after this long (e.g. 60s, 5m; default 60s with the generator)', duration)
    .option('-n, --events <n>', 'generate this many events, then drain and stop', positiveInt)
    .option('--no-generator', 'do not generate events: wait for `streamfold produce` (stop with Ctrl-C or --duration)')
    .option('--rate <n>', 'generated events per second (0: as fast as the stream takes them)', nonNegativeInt, 100)
    .option('--time-scale <n>', 'event time runs n× faster than the wall clock (1: real time)', positiveInt, 4)
    .option('--seed <n>', 'generator seed (same seed, same events)', integer, 1)
    .option('--shards <n>', 'shards of the stream', positiveInt, 2)
    .option('--event-bytes <n>', 'size of a generated event line in bytes', nonNegativeInt, 1024)
    .option('--warehouse-interval <time>', 'warehouse buffering interval (Firehose: 0-900 s)', duration, 60_000)
    .option('-d, --dir <dir>', 'working folder (side outputs, warehouse)', '.streamfold')
    .option('--plain', 'plain log lines instead of the live view')
    .option('--no-emission', 'do not run the emitter (DynamoDB stream poller) and the closer timer')
    .option(
      '--idle-timeout <time>',
      'a silent shard stops holding the watermark back after this long',
      duration,
      60_000,
    )
    .option(
      '--closer-interval <time>',
      'how often the closer finalizes windows (the cloud: every minute)',
      duration,
      10_000,
    )
    .option(
      '--no-close-windows',
      'at the end of a run, leave the open windows open (default: the closer finalizes them as if their grace had passed)',
    )
    .action(async (flags: DevFlags) => {
      const { summary, pipeline } = await runDev(flags, context);
      // The query hints name this pipeline's dedupe id field, its first window and one of its aggregates.
      const window = pipeline.windows[0]!;
      const aggregate = pipeline.aggregates[window.aggregates[0]!]!.name;
      const ids = pipeline.fields.id !== undefined ? `, count(DISTINCT ${pipeline.fields.id})` : '';
      const { renderSummary } = await import('../../../local/view/index');
      const dir = resolve(context.cwd, flags.dir);
      // --plain is for logs and scripts: no color codes in the summary either (picocolors turns them on when CI is set).
      context.stdout(`\n${renderSummary(summary, { color: flags.plain ? false : undefined })}\n`);
      context.stdout(
        `side outputs: ${dir}/side-outputs/{rejected,late,failed}.jsonl\nwarehouse:    ${dir}/warehouse  ` +
          `(try: npx streamfold query "SELECT count(*)${ids} FROM events")\n` +
          (flags.emission
            ? `alerts:       ${dir}/alerts.jsonl\nresults:      ${dir}/warehouse/aggregates  (try: npx streamfold query ` +
              `"SELECT key, window_start, \\"values\\"->>'${aggregate}' AS ${aggregate} FROM results WHERE \\"window\\" = '${window.name}'")\n`
            : ''),
      );
    });
};
