/**
 * Engine cases the reference pipeline does not exercise: alerts on long hopping windows (every event touches
 * size/advance window instances) and a hot key with a large distinct set. Each case times the pure engine over
 * pre-decoded records (batches grouped by key, one applyRecords per key per batch, states kept between batches like
 * the processor's cache) and the same with decoding, and, for the hopping cases, with the state written to JSON and
 * read back between batches (what a processor that re-parses each key's stored state per batch pays).
 */
import {
  applyRecords,
  decodeText,
  definePipeline,
  hopping,
  type KeyState,
  layoutOf,
  type Pipeline,
  parseState,
  serializeState,
  tumbling,
  type ValidEvent,
} from '../core';
import { type GeneratorOptions, generate } from '../local/generator';
import { ClickEvent } from '../pipelines/clickstream';
import { groupByKey, streamTimes } from './engine-batch';

/** One engine case: a pipeline and the events it is fed. */
export interface EngineCase {
  readonly name: string;
  readonly description: string;
  readonly pipeline: Pipeline;
  /** Generator options of its events (seeded: the same events every run). */
  readonly events: GeneratorOptions;
  /** Also time the processor's way of reading state (a JSON round trip of every touched key per batch). */
  readonly roundTrip: boolean;
}

/** Figures of one case (events per second on one core; a pass stops at the time budget). */
export interface EngineCaseFigures {
  /** applyRecords over pre-decoded records. */
  readonly eventsPerSec: number;
  /** decodeText + applyRecords (the engine bench's path). */
  readonly withDecodePerSec: number;
  /** applyRecords with every touched key's state serialised and parsed back per batch. */
  readonly roundTripPerSec?: number;
  /** Records the timed engine pass got through before the budget ran out (of `events`). */
  readonly processed: number;
  readonly events: number;
  readonly alerts: number;
  readonly description: string;
}

const HOPPING_THRESHOLD_PER_MINUTE = 10;

/** A clickstream-schema pipeline with one hopping window of `size`/1m and a per-minute-rate alert on it. */
function hoppingAlertPipeline(size: '5m' | '1h' | '6h', minutes: number): Pipeline {
  return definePipeline({
    name: `hopping-alert-${size}`,
    schema: ClickEvent,
    id: 'eventId',
    key: 'userId',
    time: 'ts',
    windows: { activity: hopping(size, '1m', { grace: '5m' }) },
    aggregates: ({ count, distinct }) => ({
      events: count(),
      types: distinct((e) => e.type, { max: 16 }),
    }),
    alerts: (rule) => ({
      busy: rule('activity', (a) => a.events > HOPPING_THRESHOLD_PER_MINUTE * minutes),
    }),
  }) as Pipeline;
}

/** One hot key: a distinct set of pages bounded at 1,000 on a 5m/1m hopping window with an alert reading it. */
function hotDistinctPipeline(): Pipeline {
  return definePipeline({
    name: 'hot-distinct',
    schema: ClickEvent,
    id: 'eventId',
    key: 'userId',
    time: 'ts',
    windows: { perMinute: tumbling('1m', { grace: '5m' }), activity5m: hopping('5m', '1m', { grace: '5m' }) },
    aggregates: ({ count, distinct }) => ({
      events: count(),
      pages: distinct((e) => e.page ?? '', { max: 1000, windows: ['activity5m'] }),
    }),
    alerts: (rule) => ({
      // Never true in this workload: evaluated for every event (the worst case for an alert).
      scan: rule('activity5m', (a) => a.pages.overflowed && a.events > 1_000_000),
    }),
  }) as Pipeline;
}

const quiet = { lateShare: 0, duplicateShare: 0, malformedShare: 0, bots: 0, outOfOrderMs: 2000, targetBytes: 1024 };

/** The cases: hopping windows of 5 minutes, 1 hour and 6 hours advancing by a minute, each with an alert, and hot distinct. */
export function engineCases(events: number): EngineCase[] {
  // Events span 1.5 window sizes of event time, so windows fill up and close as in steady state.
  const spread = (minutes: number) => events / (minutes * 60 * 1.5);
  const hoppingCase = (size: '5m' | '1h' | '6h', minutes: number): EngineCase => ({
    name: `hopping-alert-${size}-1m`,
    description: `hopping ${size}/1m (${minutes} instances per event), count + distinct(max 16), alert on the count; 1,000 Zipf users`,
    pipeline: hoppingAlertPipeline(size, minutes),
    events: { ...quiet, seed: 7, events, users: 1000, eventsPerSecond: spread(minutes) },
    roundTrip: true,
  });
  return [
    hoppingCase('5m', 5),
    hoppingCase('1h', 60),
    hoppingCase('6h', 360),
    {
      name: 'hot-distinct-1000',
      description:
        'one key, distinct(page, max 1000) on a 5m/1m hopping window with an alert reading it (never true), 200 events/s of event time',
      pipeline: hotDistinctPipeline(),
      events: { ...quiet, seed: 9, events, users: 1, humanMaxPerMinute: 1e9, eventsPerSecond: 200 },
      roundTrip: false,
    },
  ];
}

/** Counts of one pass. */
interface CasePass {
  processed: number;
  alerts: number;
  ms: number;
}

/**
 * Apply pre-decoded records batch by batch (optionally decoding them first, optionally round-tripping every touched
 * state through JSON), stopping after the batch that exceeds `budgetMs`.
 */
function runCasePass(
  pipeline: Pipeline,
  input: { readonly lines: readonly string[]; readonly decoded: readonly ValidEvent[] },
  options: {
    readonly batchSize: number;
    readonly budgetMs: number;
    readonly decode: boolean;
    readonly roundTrip: boolean;
  },
): CasePass {
  const layout = layoutOf(pipeline);
  const states = new Map<string, KeyState | string>();
  let shardTime = Number.NEGATIVE_INFINITY;
  let alerts = 0;
  let processed = 0;
  const started = performance.now();
  for (let from = 0; from < input.lines.length; from += options.batchSize) {
    const to = Math.min(from + options.batchSize, input.lines.length);
    let valid: ValidEvent[];
    if (options.decode) {
      valid = [];
      for (let i = from; i < to; i++) {
        const d = decodeText(pipeline, input.lines[i]!);
        if (d.ok) valid.push(d);
      }
    } else valid = input.decoded.slice(from, to) as ValidEvent[];
    const times = streamTimes(
      shardTime,
      valid.map((v) => v.time),
    );
    if (times.length > 0) shardTime = times[times.length - 1]!;
    for (const [key, positions] of groupByKey(valid)) {
      const records = positions.map((p) => ({ event: valid[p]!.event, time: valid[p]!.time, streamTime: times[p]! }));
      const stored = states.get(key);
      const state = typeof stored === 'string' ? parseState(stored) : stored;
      const outcome = applyRecords(layout, key, state, records, { watermark: shardTime });
      states.set(key, options.roundTrip ? serializeState(outcome.state) : outcome.state);
      alerts += outcome.alerts.length;
    }
    processed = to;
    if (performance.now() - started > options.budgetMs) break;
  }
  return { processed, alerts, ms: performance.now() - started };
}

/** Run every case: a short warm-up pass, then one timed pass per way (engine, with decode, with round trips). */
export function runEngineCases(
  options: { readonly events: number; readonly batchSize: number; readonly budgetMs: number },
  log: (text: string) => void = () => {},
): Record<string, EngineCaseFigures> {
  const out: Record<string, EngineCaseFigures> = {};
  for (const c of engineCases(options.events)) {
    log(`engine: case ${c.name} (${options.events} events, budget ${options.budgetMs} ms per pass)...`);
    const lines = Array.from(generate(c.events), (item) => item.line);
    const decoded = lines.map((line) => decodeText(c.pipeline, line));
    const rejected = decoded.find((d) => !d.ok);
    if (rejected) throw new Error(`engine case ${c.name}: generated event rejected: ${JSON.stringify(rejected)}`);
    const input = { lines, decoded: decoded as ValidEvent[] };
    const warmup = { lines: lines.slice(0, 2000), decoded: input.decoded.slice(0, 2000) };
    const pass = (decode: boolean, roundTrip: boolean) => {
      const base = { batchSize: options.batchSize, decode, roundTrip };
      runCasePass(c.pipeline, warmup, { ...base, budgetMs: options.budgetMs / 4 });
      return runCasePass(c.pipeline, input, { ...base, budgetMs: options.budgetMs });
    };
    const perSec = (p: CasePass) => Math.round((p.processed * 1000) / p.ms);
    const engine = pass(false, false);
    const withDecode = pass(true, false);
    const roundTrip = c.roundTrip ? pass(false, true) : undefined;
    out[c.name] = {
      eventsPerSec: perSec(engine),
      withDecodePerSec: perSec(withDecode),
      ...(roundTrip ? { roundTripPerSec: perSec(roundTrip) } : {}),
      processed: engine.processed,
      events: lines.length,
      alerts: engine.alerts,
      description: c.description,
    };
    log(`engine: case ${c.name}: ${JSON.stringify(out[c.name])}`);
  }
  return out;
}
