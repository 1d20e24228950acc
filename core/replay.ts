import { stateTooLargeReason } from './contract';
import { type Decoded, decodeRecord, type JsonObject, type RecordData } from './decode';
import type { Pipeline } from './definition';
import { type AlertEvent, applyRecords, emptyState, flushAll, type KeyState, type WindowResult } from './engine';
import { type DefinitionSwitch, DefinitionTimeline } from './evolution/switch';
import { toEventTime } from './iso-time';
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
   * When each line arrived (epoch ms), as the processor knows it from Kinesis (approximateArrivalTimestamp) or MSK:
   * given the parsed JSON object and the line number (from 1). A line with an arrival time is judged exactly as the
   * processor judges it: `future-time` when its event time is more than `settings.maxFutureSkew` after its arrival.
   * Return undefined for a line without one (then {@link ReplayOptions.arrivedBy} applies). {@link arrivalField}
   * reads it from a field of the line.
   * @default - no arrival times
   */
  readonly arrivalTime?: (value: JsonObject, line: number) => number | undefined;
  /**
   * Definition switches: from line `line` on, records run under `pipeline` (a deploy of a changed definition). Each
   * key's state is translated by name the first time the new definition touches it, as the processor does; the end
   * of input is flushed under the last definition. See README "Changing a pipeline".
   * @default - no switch
   */
  readonly switchAt?: DefinitionSwitch | readonly DefinitionSwitch[];
  /**
   * A time by which every line had arrived (epoch ms): for example when the file was exported, or the moment the
   * replay runs (the CLI's default). A line without its own arrival time is `future-time` when its event time is more
   * than `settings.maxFutureSkew` after this bound. A record never arrives after the bound, so this rejects only
   * events the processor rejected too (a line dated 2199 in a file of past events); an event ahead of its arrival but
   * before the bound is caught only with arrival times. Event times alone cannot stand in for arrival: out-of-order
   * and sparse traffic look the same as a future event (see README, "Offline replay").
   * @default - no bound: lines without an arrival time get no future check (core has no clock)
   */
  readonly arrivedBy?: number;
}

/**
 * An {@link ReplayOptions.arrivalTime} reading each line's arrival time from one of its fields: epoch milliseconds or
 * a strict ISO-8601 string. A line without a usable value has no arrival time (then `arrivedBy` applies).
 *
 * @example replay(pipeline, lines, { arrivalTime: arrivalField('arrivedAt') })
 */
export function arrivalField(name: string): (value: JsonObject) => number | undefined {
  return (value) => {
    const raw = Object.hasOwn(value, name) ? value[name] : undefined;
    if (typeof raw !== 'number' && typeof raw !== 'string') return undefined;
    const time = toEventTime(raw);
    return Number.isFinite(time) ? time : undefined;
  };
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
 * line, and close every window at the end of input. Each line is decoded by {@link decodeRecord}, the processor's own
 * decode path: give lines as bytes (a file's lines) or text. Far-future lines are rejected as the processor rejects
 * them when `options.arrivalTime` gives arrival times, else against `options.arrivedBy`. This is the engine's public
 * contract: the deployed processor's state must equal what this computes for the same events.
 *
 * @example
 * const out = replay(clickstream, readFileSync('events.jsonl', 'utf8').split('\n'));
 * out.results.filter((r) => r.window === 'perMinute');
 */
export function replay(pipeline: Pipeline, lines: Iterable<RecordData>, options: ReplayOptions = {}): ReplayOutput {
  const timeline = new DefinitionTimeline(pipeline, options.switchAt);
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
  let valid = 0;
  let applied = 0;
  let lateEvents = 0;

  const apply = (line: number, decoded: Decoded, bytes: number): void => {
    const { pipeline, layout } = timeline.at(line);
    if (!decoded.ok) {
      out.rejected.push({ line, reason: decoded.reason });
      return;
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
      bytes,
      ...(decoded.id !== undefined ? { id: decoded.id } : {}),
    };
    const outcome = applyRecords(layout, decoded.key, state, [record], {
      watermark,
      maxStateBytes: pipeline.settings.maxStateBytes,
    });
    states.set(decoded.key, outcome.state);
    if (outcome.duplicates.length > 0) out.duplicates.push({ line, id: decoded.id! });
    else if (outcome.tooLarge.length > 0)
      out.rejected.push({ line, reason: stateTooLargeReason(decoded.key, pipeline.settings.maxStateBytes) });
    else if (outcome.applied > 0) applied++;
    else lateEvents++;
    for (const l of outcome.late) out.late.push({ line, window: l.window, start: l.start, end: l.end });
    for (const a of outcome.alerts) out.alerts.push({ ...a, line });
    out.results.push(...outcome.results);
  };

  const hook = options.arrivalTime;
  const bound = options.arrivedBy;
  let lineNo = 0;
  for (const data of lines) {
    const line = ++lineNo;
    const { pipeline } = timeline.at(line);
    const skewMs = pipeline.settings.maxFutureSkewMs;
    let known = false;
    const arrival =
      hook &&
      ((value: JsonObject) => {
        const at = hook(value, line);
        known = at !== undefined;
        return at;
      });
    const decoded = decodeRecord(pipeline, data, arrival);
    if (decoded.ok && !known && bound !== undefined && decoded.time > bound + skewMs) {
      apply(
        line,
        {
          ok: false,
          reason: `future-time: event time ${iso(decoded.time)} is more than ${skewMs} ms after ${iso(bound)}, by when every line had arrived (the line has no arrival time of its own)`,
        },
        0,
      );
    } else apply(line, decoded, byteLengthOf(data));
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

const iso = (ms: number) => new Date(ms).toISOString();

/** Bytes of a line as given (bounds how much the record can grow its key's state). */
function byteLengthOf(data: RecordData): number {
  if (typeof data === 'string') return Buffer.byteLength(data, 'utf8');
  if (data instanceof Uint8Array) return data.byteLength;
  return 0;
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
