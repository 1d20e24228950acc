/**
 * Runs the engine the ways the properties compare: `replay()` over JSON lines, and `applyRecords()` batch by batch
 * (the processor's way), with outputs normalised to the reference's shapes and orders.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  applyRecords,
  evenHashRanges,
  flushAll,
  type KeyState,
  layoutOf,
  type Pipeline,
  parseState,
  replay,
  serializeState,
  shardRouter,
} from '../../../core';
import { readStoredValue, toStoredValue } from '../../../lambdas/processor/stored-state';
import { byLineWindowStart, byWindowKeyStart, type RefOutput } from './reference';
import { type TestEvent, type TestValues, toLines } from './streams';

/**
 * A key state written and read back the way the processor stores it (its stored value's JSON text), checked against
 * core's serializeState/parseState: the same text, the same state.
 */
export function storedRoundTrip(key: string, state: KeyState): KeyState {
  const text = JSON.stringify(toStoredValue(state, [], []));
  if (text !== `{"k":${serializeState(state)}}`) throw new Error(`stored JSON differs from serializeState: ${text}`);
  const back = readStoredValue(key, JSON.parse(text)).k;
  if (!isDeepStrictEqual(back, parseState(serializeState(state)))) throw new Error(`read back differently: ${text}`);
  return back;
}

/** Replay events (one line each) and normalise the output to {@link RefOutput} (alerts without values). */
export function engineRun(pipeline: Pipeline, events: readonly TestEvent[], shards = 1): RefOutput {
  const out = replay(pipeline, toLines(events), { shards });
  if (out.rejected.length > 0) throw new Error(`unexpected rejections: ${JSON.stringify(out.rejected.slice(0, 3))}`);
  return {
    results: out.results.map((r) => ({ ...r, values: r.values as unknown as TestValues })).sort(byWindowKeyStart),
    late: out.late.map(({ line, window, start, end }) => ({ line, window, start, end })).sort(byLineWindowStart),
    alerts: out.alerts
      .map(({ alert, window, key, start, end, line }) => ({ alert, window, key, start, end, line }))
      .sort(byLineWindowStart),
  };
}

/** The source of each event when routed like `replay(p, lines, { shards })` routes it (Kinesis hash ranges). */
export function kinesisSourceOf(pipeline: Pipeline, shards: number): (event: TestEvent) => number {
  const route = shardRouter(evenHashRanges(shards));
  return (event) => route(pipeline.partitionKeyOf(event));
}

/** Options of {@link batchRun}. */
export interface BatchRunOptions {
  /** Event positions where a new batch starts (the processor's batch boundaries). */
  readonly cuts: readonly number[];
  /** Write every key state to JSON and read it back between batches (what the processor stores in DynamoDB). */
  readonly roundTrip: boolean;
  /** Source of each event, 0..sources-1 (its stream time is per source). @default one source */
  readonly sourceOf?: (event: TestEvent) => number;
  /** Number of sources; the watermark is the minimum stream time over all of them. @default 1 */
  readonly sources?: number;
}

/**
 * Run events through `applyRecords` batch by batch, as the processor does: per batch, the records of each key in
 * source order with their source's stream time; the watermark is the minimum stream time over all sources (−∞
 * until every source has a record; with one source, its stream time). At the end every key is flushed. Late entries and alerts carry the event's
 * position (from 1, like replay lines).
 */
export function batchRun(pipeline: Pipeline, events: readonly TestEvent[], options: BatchRunOptions): RefOutput {
  const layout = layoutOf(pipeline);
  const sourceOf = options.sourceOf ?? (() => 0);
  const sourceTime = new Map<number, number>();
  let states = new Map<string, KeyState>();
  const out: RefOutput = { results: [], late: [], alerts: [] };
  const bounds = [...new Set([0, ...options.cuts.filter((c) => c > 0 && c < events.length), events.length])].sort(
    (a, b) => a - b,
  );
  for (let b = 0; b + 1 < bounds.length; b++) {
    const batch = events.slice(bounds[b], bounds[b + 1]).map((event, i) => {
      const source = sourceOf(event);
      const streamTime = Math.max(sourceTime.get(source) ?? Number.NEGATIVE_INFINITY, event.t);
      sourceTime.set(source, streamTime);
      return { event, time: event.t, streamTime, line: bounds[b]! + i + 1 };
    });
    const watermark = Math.min(
      ...Array.from({ length: options.sources ?? 1 }, (_, i) => sourceTime.get(i) ?? Number.NEGATIVE_INFINITY),
    );
    const byKey = new Map<string, typeof batch>();
    for (const r of batch) byKey.set(r.event.k, [...(byKey.get(r.event.k) ?? []), r]);
    for (const [key, records] of byKey) {
      const outcome = applyRecords(layout, key, states.get(key), records, { watermark });
      states.set(key, outcome.state);
      out.results.push(...(outcome.results as never[]));
      for (const { window, start, end, index } of outcome.late)
        out.late.push({ line: records[index]!.line, window, start, end });
      for (const a of outcome.alerts) {
        const { alert, window, start, end } = a;
        out.alerts.push({ alert, window, key, start, end, line: records[a.index]!.line });
      }
    }
    if (options.roundTrip) states = new Map([...states].map(([key, state]) => [key, storedRoundTrip(key, state)]));
  }
  for (const [key, state] of states) out.results.push(...(flushAll(layout, key, state) as never[]));
  out.results.sort(byWindowKeyStart);
  out.late.sort(byLineWindowStart);
  out.alerts.sort(byLineWindowStart);
  return out;
}
