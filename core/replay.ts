import { stateTooLargeReason } from './contract';
import { decodeText } from './decode';
import type { Pipeline } from './definition';
import { type AlertEvent, applyRecords, emptyState, flushAll, type KeyState, type WindowResult } from './engine';
import { type DefinitionSwitch, DefinitionTimeline } from './evolution/switch';
import { evenHashRanges, type HashKeyRange, shardRouter } from './shards';

/** Options of {@link replay}. */
export interface ReplayOptions {
  /**
   * Number of shards (events go to shards by the Kinesis hash of their partition key; each keeps its own stream
   * time), or the exact hash key ranges of a stream's shards.
   * @default 1
   */
  readonly shards?: number | readonly HashKeyRange[];
  /**
   * Definition switches: from line `line` on, records run under `pipeline` (a deploy of a changed definition). Each
   * key's state is translated by name the first time the new definition touches it, as the processor does; the end
   * of input is flushed under the last definition. See README "Changing a pipeline".
   * @default - no switch
   */
  readonly switchAt?: DefinitionSwitch | readonly DefinitionSwitch[];
}

/** One (line, window) pair dropped late. */
export interface ReplayLate {
  readonly line: number;
  readonly window: string;
  readonly start: number;
  readonly end: number;
}

/** What an offline replay produces. Lines are numbered from 1. */
export interface ReplayOutput {
  readonly results: WindowResult[];
  readonly late: ReplayLate[];
  readonly rejected: { readonly line: number; readonly reason: string }[];
  readonly alerts: (AlertEvent & { readonly line: number })[];
  readonly duplicates: { readonly line: number; readonly id: string }[];
  readonly summary: ReplaySummary;
}

/** Counts of an offline replay. */
export interface ReplaySummary {
  readonly lines: number;
  readonly valid: number;
  /** Valid, non-duplicate events counted in at least one window. */
  readonly applied: number;
  /** Valid, non-duplicate events late for every window they belong to. */
  readonly lateEvents: number;
  readonly lateEntries: number;
  readonly rejected: number;
  readonly duplicates: number;
  readonly results: number;
  readonly alerts: number;
  readonly keys: number;
  readonly shards: number;
}

/**
 * Offline replay: run a pipeline over JSON lines in file order, exactly as the processor would with one batch per
 * line, and close every window at the end of input. This is the engine's public contract: the deployed processor's
 * state must equal what this computes for the same events.
 *
 * @example
 * const out = replay(clickstream, readFileSync('events.jsonl', 'utf8').split('\n'));
 * out.results.filter((r) => r.window === 'perMinute');
 */
export function replay(first: Pipeline, lines: Iterable<string>, options: ReplayOptions = {}): ReplayOutput {
  const timeline = new DefinitionTimeline(first, options.switchAt);
  const ranges = typeof options.shards === 'object' ? options.shards : evenHashRanges(options.shards ?? 1);
  const route = shardRouter(ranges);
  const shardTime = ranges.map(() => Number.NEGATIVE_INFINITY);
  const states = new Map<string, KeyState>();
  const out = {
    results: [] as WindowResult[],
    late: [] as ReplayLate[],
    rejected: [] as { line: number; reason: string }[],
    alerts: [] as (AlertEvent & { line: number })[],
    duplicates: [] as { line: number; id: string }[],
  };
  let lineNo = 0;
  let valid = 0;
  let applied = 0;
  let lateEvents = 0;
  for (const raw of lines) {
    lineNo++;
    const { pipeline, layout } = timeline.at(lineNo);
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const decoded = decodeText(pipeline, text);
    if (!decoded.ok) {
      out.rejected.push({ line: lineNo, reason: decoded.reason });
      continue;
    }
    valid++;
    // Every valid record moves its source's stream time (duplicates too: they carry their original's time).
    const shard = route(pipeline.partitionKeyOf(decoded.event));
    if (decoded.time > shardTime[shard]!) shardTime[shard] = decoded.time;
    const streamTime = shardTime[shard]!;
    // Every shard holds the watermark back, also one that has not received an event yet: a window is final only
    // when no shard can still deliver an on-time event for it.
    const watermark = pipeline.partitionedByKey ? streamTime : Math.min(...shardTime);
    const stored = states.get(decoded.key);
    const state = stored ? timeline.read(layout, stored, streamTime) : emptyState();
    const record = {
      event: decoded.event,
      time: decoded.time,
      streamTime,
      bytes: Buffer.byteLength(text, 'utf8'),
      ...(decoded.id !== undefined ? { id: decoded.id } : {}),
    };
    const outcome = applyRecords(layout, decoded.key, state, [record], {
      watermark,
      maxStateBytes: pipeline.settings.maxStateBytes,
    });
    states.set(decoded.key, outcome.state);
    if (outcome.duplicates.length > 0) out.duplicates.push({ line: lineNo, id: decoded.id! });
    else if (outcome.tooLarge.length > 0)
      out.rejected.push({ line: lineNo, reason: stateTooLargeReason(decoded.key, pipeline.settings.maxStateBytes) });
    else if (outcome.applied > 0) applied++;
    else lateEvents++;
    for (const l of outcome.late) out.late.push({ line: lineNo, window: l.window, start: l.start, end: l.end });
    for (const a of outcome.alerts) out.alerts.push({ ...a, line: lineNo });
    out.results.push(...outcome.results);
  }
  const { layout } = timeline.last;
  for (const [key, state] of states) out.results.push(...flushAll(layout, key, timeline.read(layout, state)));
  out.results.sort(compareResults);
  return {
    ...out,
    summary: {
      lines: lineNo,
      valid,
      applied,
      lateEvents,
      lateEntries: out.late.length,
      rejected: out.rejected.length,
      duplicates: out.duplicates.length,
      results: out.results.length,
      alerts: out.alerts.length,
      keys: states.size,
      shards: ranges.length,
    },
  };
}

/** Stable order of results: window, key, start. */
export function compareResults(a: WindowResult, b: WindowResult): number {
  return a.window < b.window
    ? -1
    : a.window > b.window
      ? 1
      : a.key < b.key
        ? -1
        : a.key > b.key
          ? 1
          : a.start - b.start;
}
