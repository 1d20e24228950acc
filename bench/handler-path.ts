/**
 * The processor's handler path per event (issue 16: "the engine bench must time the handler path, not only the
 * engine"): the real Kinesis handler (middy, base64 and JSON decode, validation, dedupe, engine, state codec, state
 * store, checkpoint, side outputs) over batches of ~1 KB clickstream records, with DynamoDB answered from memory
 * (./memory-dynamodb.ts) so the figure is the handler's own CPU, without the SDK's request building and parsing or
 * a network. What the SDK adds per call is measured by the writes benchmark (`sdkCpuUsPerPutItem`).
 */
import { performance } from 'node:perf_hooks';
import type { Pipeline } from '../core';
import { createKinesisHandler, type InvocationSummary } from '../lambdas/processor/index';
import { generate } from '../local/generator/index';
import { lambdaContext, MemorySqs, silentLogger } from '../test/integration/processor-helpers';
import { MemoryDynamoDB } from './memory-dynamodb';
import { kinesisRecords } from './writes';

/** Workload of the handler-path measurement. */
export interface HandlerPathWorkload {
  readonly events: number;
  readonly users: number;
  readonly batchSize: number;
  /** Measured passes after one warm-up pass; the best is reported. */
  readonly runs: number;
  readonly seed: number;
  readonly targetBytes: number;
}

/** Default: 30,000 events of ~1 KB from 10,000 Zipf users, batches of 1,000, dated up to now. */
export const HANDLER_PATH_WORKLOAD: HandlerPathWorkload = {
  events: 30_000,
  users: 10_000,
  batchSize: 1000,
  runs: 3,
  seed: 42,
  targetBytes: 1024,
};

/** One configuration's figures (best pass). */
export interface HandlerPathRun {
  /** Wall time per event, µs. */
  readonly usPerEvent: number;
  /** CPU time (user + system) per event, µs. */
  readonly cpuUsPerEvent: number;
  /** State writes per 1,000 events (checks the path did what the real one does). */
  readonly stateWritesPer1k: number;
  readonly passesUs: number[];
}

/** Figures of the handler path, dedupe off and on. */
export interface HandlerPathFigures {
  readonly dedupeOff: HandlerPathRun;
  readonly dedupeOn: HandlerPathRun;
  /** Requests the handler sent per pass, by command (dedupe on). */
  readonly requestsPerPass: Record<string, number>;
  readonly workload: HandlerPathWorkload;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Clickstream lines ending now (event-time expiry and future-skew checks see what production sees). */
function handlerLines(w: HandlerPathWorkload): string[] {
  const eventsPerSecond = 200;
  const spanMs = (w.events / eventsPerSecond) * 1000;
  return Array.from(
    generate({
      seed: w.seed,
      events: w.events,
      users: w.users,
      eventsPerSecond,
      targetBytes: w.targetBytes,
      startTime: new Date(Math.floor((Date.now() - spanMs) / 60_000) * 60_000),
      lateShare: 0.01,
      duplicateShare: 0.01,
      malformedShare: 0,
    }),
    (item) => item.line,
  );
}

/** One pass: a fresh in-memory table and handler, every batch in order. */
async function pass(pipeline: Pipeline, lines: readonly string[], batchSize: number) {
  const dynamodb = new MemoryDynamoDB();
  const summaries: InvocationSummary[] = [];
  const handler = createKinesisHandler(pipeline, {
    dynamodb: dynamodb.client,
    sqs: new MemorySqs().client,
    stateTable: 'bench-state',
    rejectedQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-rejected',
    lateQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-late',
    logger: silentLogger(),
    onInvocation: (s) => summaries.push(s),
  });
  const records = kinesisRecords(lines);
  const context = { ...lambdaContext(), getRemainingTimeInMillis: () => 900_000 };
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < records.length; i += batchSize) {
    const response = await handler({ Records: records.slice(i, i + batchSize) }, context);
    if (response.batchItemFailures.length > 0) throw new Error(`handler path: batch ${i} failed`);
  }
  const wallUs = (performance.now() - started) * 1000;
  const used = process.cpuUsage(cpu);
  const stateWrites = summaries.reduce((n, s) => n + s.stateWrites, 0);
  return { wallUs, cpuUs: used.user + used.system, stateWrites, requests: Object.fromEntries(dynamodb.requests) };
}

async function measure(pipeline: Pipeline, lines: readonly string[], w: HandlerPathWorkload) {
  await pass(pipeline, lines, w.batchSize);
  const passes = [];
  for (let i = 0; i < w.runs; i++) passes.push(await pass(pipeline, lines, w.batchSize));
  const best = passes.reduce((a, b) => (b.wallUs < a.wallUs ? b : a));
  const run: HandlerPathRun = {
    usPerEvent: round(best.wallUs / lines.length),
    cpuUsPerEvent: round(best.cpuUs / lines.length),
    stateWritesPer1k: round((best.stateWrites * 1000) / lines.length),
    passesUs: passes.map((p) => round(p.wallUs / lines.length)),
  };
  return { run, requests: best.requests };
}

/** Time the handler path with dedupe off and on. */
export async function runHandlerPath(
  pipeline: Pipeline,
  w: HandlerPathWorkload = HANDLER_PATH_WORKLOAD,
): Promise<HandlerPathFigures> {
  const lines = handlerLines(w);
  const off = await measure({ ...pipeline, idOf: undefined }, lines, w);
  const on = await measure(pipeline, lines, w);
  return { dedupeOff: off.run, dedupeOn: on.run, requestsPerPass: on.requests, workload: w };
}
