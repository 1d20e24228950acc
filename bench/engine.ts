/**
 * Engine throughput: decode + validate + window + merge of ~1 KB clickstream events on one core, processed like the
 * processor does (batches, grouped by key, one applyRecords per key per batch), against a bare JSON.parse loop over
 * the same payloads.
 */
import {
  applyRecords,
  decodeText,
  type KeyState,
  layoutOf,
  type Pipeline,
  serializeState,
  type ValidEvent,
} from '../core';
import { generate } from '../local/generator';
import { clickstream } from '../pipelines/clickstream';
import { groupByKey, streamTimes } from './engine-batch';
import { type EngineCaseFigures, runEngineCases } from './engine-cases';
import {
  HANDLER_PATH_WORKLOAD,
  type HandlerPathFigures,
  type HandlerPathWorkload,
  runHandlerPath,
} from './handler-path';
import type { BenchContext, BenchFigures, BenchTarget } from './target';
import { bestPerSec, medianPerSec, type Pass, timePasses } from './timing';

/** Workload of the engine benchmark. */
export interface EngineWorkload {
  /** Payloads processed per pass. */
  readonly events: number;
  readonly users: number;
  readonly bots: number;
  /** Records per batch (a Lambda batch from one shard). */
  readonly batchSize: number;
  /** Measured passes (after one warm-up); the best is reported, with the median beside it. */
  readonly runs: number;
  readonly seed: number;
  readonly targetBytes: number;
  /** Generator clock: events per second of event time. */
  readonly eventsPerSecondOfEventTime: number;
  /** Largest out-of-order delay of an event behind the generator clock. */
  readonly outOfOrderMs: number;
}

/** Figures of the engine benchmark. */
export interface EngineFigures extends BenchFigures {
  /** decode + validate + window + merge, events per second (best pass: least disturbed by other processes). */
  readonly eventsPerSec: number;
  /** eventsPerSec / jsonParsePerSec (both best passes). */
  readonly jsonParseRatio: number;
  /** Bare JSON.parse over the same payloads (best pass). */
  readonly jsonParsePerSec: number;
  /** Medians of the passes, for judging noise. */
  readonly median: { readonly eventsPerSec: number; readonly jsonParsePerSec: number; readonly jsonParseRatio: number };
  /** decodeText alone (parse + shape checks + schema + key/id/time), best pass. */
  readonly decodePerSec: number;
  /** The engine path plus serialising each touched key's state once per batch (what the processor writes), best pass. */
  readonly withSerializePerSec: number;
  readonly avgPayloadBytes: number;
  readonly passesMs: { readonly engine: number[]; readonly jsonParse: number[]; readonly decode: number[] };
  /**
   * The real Kinesis handler per event (middy, decode, dedupe, engine, state codec and store, checkpoint, side
   * outputs), DynamoDB answered from memory so the SDK is not in it: bench/handler-path.ts.
   */
  readonly handlerPath: HandlerPathFigures;
  /** Cases the reference pipeline does not exercise (long hopping windows with alerts, hot distinct): bench/engine-cases.ts. */
  readonly cases: Record<string, EngineCaseFigures>;
  readonly workload: EngineWorkload & {
    readonly pipeline: string;
    readonly statistic: string;
    readonly cases: EngineCasesWorkload;
  };
}

/** Workload of the engine cases. */
export interface EngineCasesWorkload {
  readonly events: number;
  readonly batchSize: number;
  /** A timed pass stops after the batch that exceeds this (the quadratic cases would otherwise take hours). */
  readonly budgetMs: number;
}

/** Default workload of the engine cases. */
export const ENGINE_CASES_WORKLOAD: EngineCasesWorkload = { events: 50_000, batchSize: 1000, budgetMs: 10_000 };

/** Default workload: 100,000 events of ~1 KB from 10,000 users, batches of 1,000. */
export const ENGINE_WORKLOAD: EngineWorkload = {
  events: 100_000,
  users: 10_000,
  bots: 3,
  batchSize: 1000,
  runs: 5,
  seed: 42,
  targetBytes: 1024,
  eventsPerSecondOfEventTime: 1000,
  outOfOrderMs: 2000,
};

/** Build the payloads up front (JSON text lines, as a Kinesis record's data decodes to). */
export function enginePayloads(w: EngineWorkload): string[] {
  const run = generate({
    seed: w.seed,
    events: w.events,
    users: w.users,
    bots: w.bots,
    eventsPerSecond: w.eventsPerSecondOfEventTime,
    outOfOrderMs: w.outOfOrderMs,
    targetBytes: w.targetBytes,
    lateShare: 0,
    duplicateShare: 0,
    malformedShare: 0,
  });
  return Array.from(run, (item) => item.line);
}

/** Counts of one engine pass (checked so the work cannot be optimised away and the workload is what it claims). */
export interface EnginePassCounts {
  applied: number;
  rejected: number;
  late: number;
  results: number;
  alerts: number;
  serializedBytes: number;
}

/**
 * One pass of the processor's pure path over `payloads`: per batch, decode every record, compute stream times, group
 * by key and apply each key's records to its state (kept in a map like the processor's cache), finalizing windows by
 * the shard's stream time.
 */
export function processPayloads(
  pipeline: Pipeline,
  payloads: readonly string[],
  batchSize: number,
  serialize = false,
): EnginePassCounts {
  const layout = layoutOf(pipeline);
  const states = new Map<string, KeyState>();
  const counts: EnginePassCounts = { applied: 0, rejected: 0, late: 0, results: 0, alerts: 0, serializedBytes: 0 };
  let shardTime = Number.NEGATIVE_INFINITY;
  for (let from = 0; from < payloads.length; from += batchSize) {
    const valid: ValidEvent[] = [];
    const to = Math.min(from + batchSize, payloads.length);
    for (let i = from; i < to; i++) {
      const decoded = decodeText(pipeline, payloads[i]!);
      if (decoded.ok) valid.push(decoded);
      else counts.rejected++;
    }
    const times = streamTimes(
      shardTime,
      valid.map((v) => v.time),
    );
    if (times.length > 0) shardTime = times[times.length - 1]!;
    for (const [key, positions] of groupByKey(valid)) {
      const records = positions.map((p) => ({ event: valid[p]!.event, time: valid[p]!.time, streamTime: times[p]! }));
      const outcome = applyRecords(layout, key, states.get(key), records, { watermark: shardTime });
      states.set(key, outcome.state);
      counts.applied += outcome.applied;
      counts.late += outcome.late.length;
      counts.results += outcome.results.length;
      counts.alerts += outcome.alerts.length;
      if (serialize) counts.serializedBytes += serializeState(outcome.state).length;
    }
  }
  return counts;
}

/** Run the engine benchmark. */
export async function runEngineBench(
  workload: EngineWorkload = ENGINE_WORKLOAD,
  log: (text: string) => void = () => {},
  casesWorkload: EngineCasesWorkload = ENGINE_CASES_WORKLOAD,
  handlerWorkload: HandlerPathWorkload = HANDLER_PATH_WORKLOAD,
): Promise<EngineFigures> {
  log(`engine: generating ${workload.events} payloads...`);
  const payloads = enginePayloads(workload);
  const avgPayloadBytes = Math.round(payloads.reduce((n, p) => n + Buffer.byteLength(p), 0) / payloads.length);
  const check = processPayloads(clickstream, payloads, workload.batchSize, true);
  if (check.rejected > 0 || check.applied !== payloads.length) {
    throw new Error(`engine bench workload is not all valid, on-time events: ${JSON.stringify(check)}`);
  }
  log('engine: timing JSON.parse, decode, engine...');
  let sink = 0;
  const jsonParse = timePasses(payloads.length, workload.runs, () => {
    for (const p of payloads) sink += (JSON.parse(p) as { ts: string }).ts.length;
  });
  const decode = timePasses(payloads.length, workload.runs, () => {
    for (const p of payloads) sink += decodeText(clickstream, p).ok ? 1 : 0;
  });
  const engine = timePasses(payloads.length, workload.runs, () => {
    sink += processPayloads(clickstream, payloads, workload.batchSize).applied;
  });
  const withSerialize = timePasses(payloads.length, Math.max(1, Math.floor(workload.runs / 2)), () => {
    sink += processPayloads(clickstream, payloads, workload.batchSize, true).serializedBytes;
  });
  if (sink === 0) throw new Error('nothing was computed');
  const cases = runEngineCases(casesWorkload, log);
  log('engine: timing the handler path...');
  const handlerPath = await runHandlerPath(clickstream, handlerWorkload);
  const eventsPerSec = bestPerSec(engine);
  const jsonParsePerSec = bestPerSec(jsonParse);
  const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
  const ms = (passes: Pass[]) => passes.map((p) => Math.round(p.ms));
  const median = { eventsPerSec: medianPerSec(engine), jsonParsePerSec: medianPerSec(jsonParse) };
  return {
    eventsPerSec,
    jsonParseRatio: ratio(eventsPerSec, jsonParsePerSec),
    jsonParsePerSec,
    median: { ...median, jsonParseRatio: ratio(median.eventsPerSec, median.jsonParsePerSec) },
    decodePerSec: bestPerSec(decode),
    withSerializePerSec: bestPerSec(withSerialize),
    avgPayloadBytes,
    results: check.results,
    alerts: check.alerts,
    passesMs: { engine: ms(engine), jsonParse: ms(jsonParse), decode: ms(decode) },
    handlerPath,
    cases,
    workload: {
      pipeline: clickstream.name,
      statistic: 'best of the passes after one warm-up',
      ...workload,
      cases: casesWorkload,
    },
  };
}

/** The `engine` benchmark target. */
export const engine: BenchTarget = {
  name: 'engine',
  description: 'decode + validate + window + merge of ~1 KB clickstream events on one core, vs bare JSON.parse',
  run: (context: BenchContext) =>
    context.quick
      ? runEngineBench(
          { ...ENGINE_WORKLOAD, events: 5000, runs: 1 },
          context.log,
          {
            events: 3000,
            batchSize: 500,
            budgetMs: 1000,
          },
          { ...HANDLER_PATH_WORKLOAD, events: 3000, runs: 1 },
        )
      : runEngineBench(ENGINE_WORKLOAD, context.log),
};
