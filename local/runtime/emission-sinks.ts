import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type AlertMessage, CallbackSink, type Sink } from '../../lambdas/sinks/index';
import { LocalResultsSink, resultsDeliveryStreamNameOf } from '../warehouse/index';
import type { EmissionPluginOptions, EmissionTally } from './emission-types';
import type { PluginContext } from './plugin';

/** The emitter's local sinks, the results sink among them (when on), and how to stop their timer. */
export interface EmissionSinks {
  sinks: Sink[];
  results: LocalResultsSink | undefined;
  /** Stop the results sink's buffering timer and write what it holds. */
  stop(): Promise<void>;
}

/** What the sinks report to: the plugin's counters, its log, and its once-per-kind warning. */
export interface SinkHooks {
  tally: EmissionTally;
  log(line: string): void;
  warn(part: string, error: unknown): void;
}

/** One console line of a delivered alert. */
export function alertLine(a: AlertMessage): string {
  const start = new Date(a.start).toISOString().slice(0, 16);
  return `[alert] ${a.alert}: ${a.key} in ${a.window} ${start}Z ${JSON.stringify(a.values)} (id ${a.id})`;
}

/** The console sink: counts every message, logs alerts (unless `logAlerts: false`), calls `onMessages`. */
function consoleSink(options: EmissionPluginOptions, hooks: SinkHooks): Sink {
  return new CallbackSink('local', ['alert', 'result'], (messages) => {
    for (const m of messages) {
      hooks.tally[m.kind === 'alert' ? 'alerts' : 'results']++;
      if (m.kind === 'alert' && (options.logAlerts ?? true)) hooks.log(alertLine(m));
    }
    options.onMessages?.(messages);
  });
}

/** `<dir>/alerts.jsonl` (emptied now): one delivered alert a line. */
async function alertsFileSink(path: string): Promise<Sink> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, '');
  return new CallbackSink('alerts-file', ['alert'], async (messages) => {
    await appendFile(path, messages.map((m) => `${JSON.stringify(m)}\n`).join(''));
  });
}

/**
 * The emitter's sinks for a local run: the console, `<dir>/alerts.jsonl`, and the local warehouse's `aggregates/`
 * (final results, flushed by a 1 s timer), each as configured, wrapped by `instrument.sinks`.
 */
export async function emissionSinks(
  context: PluginContext,
  options: EmissionPluginOptions,
  hooks: SinkHooks,
): Promise<EmissionSinks> {
  const sinks: Sink[] = [consoleSink(options, hooks)];
  if (options.alertsFile !== false) {
    sinks.push(await alertsFileSink(options.alertsFile ?? join(context.dir, 'alerts.jsonl')));
  }
  if (options.warehouse === false) {
    return { sinks: options.instrument?.sinks?.(sinks) ?? sinks, results: undefined, stop: async () => {} };
  }
  const results = new LocalResultsSink({
    dir: join(context.dir, 'warehouse'),
    deliveryStreamName: resultsDeliveryStreamNameOf(context.pipeline.name),
    ...options.warehouse,
    onError: (error) => hooks.warn('results', error),
  });
  sinks.push(results);
  const tick = setInterval(() => {
    results.tick().catch((error) => hooks.warn('results', error));
  }, 1000);
  tick.unref();
  return {
    sinks: options.instrument?.sinks?.(sinks) ?? sinks,
    results,
    stop: async () => {
      clearInterval(tick);
      await results.flush();
    },
  };
}
