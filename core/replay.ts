import { type Decoded, decodeRecord, type JsonObject, type RecordData } from './decode';
import type { Pipeline } from './definition';
import { type DefinitionSwitch, DefinitionTimeline } from './evolution/switch';
import { toEventTime } from './iso-time';
import { type ReplayOutput, ReplayRun } from './replay-run';
import { evenHashRanges, type HashKeyRange } from './shards';

export { compareResults, type ReplayLate, type ReplayOutput, type ReplaySummary } from './replay-run';

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
  const run = new ReplayRun(timeline, ranges);
  let lineNo = 0;
  for (const data of lines) {
    const line = ++lineNo;
    const decoded = decodeLine(timeline.at(line).pipeline, data, line, options);
    run.apply(line, decoded, byteLengthOf(data));
  }
  return run.finish(lineNo);
}

/**
 * Line `line` decoded as the processor decodes it, with its arrival time from `options.arrivalTime`; a line without
 * one is `future-time` when its event time is more than the pipeline's maximum skew after `options.arrivedBy`.
 */
function decodeLine(pipeline: Pipeline, data: RecordData, line: number, options: ReplayOptions): Decoded {
  const hook = options.arrivalTime;
  const bound = options.arrivedBy;
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
    return {
      ok: false,
      reason: `future-time: event time ${iso(decoded.time)} is more than ${skewMs} ms after ${iso(bound)}, by when every line had arrived (the line has no arrival time of its own)`,
    };
  }
  return decoded;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Bytes of a line as given (bounds how much the record can grow its key's state). */
function byteLengthOf(data: RecordData): number {
  if (typeof data === 'string') return Buffer.byteLength(data, 'utf8');
  if (data instanceof Uint8Array) return data.byteLength;
  return 0;
}
