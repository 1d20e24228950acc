import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { arrivalField, type Pipeline, type ReplayOutput, type ReplaySummary, replay } from '../../core';
import { fileLines } from './line-source';

/** The files an offline replay writes into its output folder. */
export const REPLAY_FILES = {
  results: 'results.jsonl',
  late: 'late.jsonl',
  rejected: 'rejected.jsonl',
  alerts: 'alerts.jsonl',
} as const;

/** Options of {@link replayToFiles}. */
export interface ReplayToFilesOptions {
  readonly pipeline: Pipeline;
  /** JSON-lines input, one event a line. */
  readonly input: string;
  /** Output folder (created when missing; the four files in it are overwritten). */
  readonly out: string;
  /** Shards to route events to by the hash of their partition key. @default 1 */
  readonly shards?: number;
  /**
   * A field of each line holding when the record arrived (epoch ms or ISO-8601): lines are then judged by the
   * processor's future rule exactly (see `ReplayOptions.arrivalTime`).
   * @default - no arrival times
   */
  readonly arrivalField?: string;
  /**
   * A time by which every line had arrived (epoch ms): a line without an arrival time is `future-time` when its event
   * time is more than `settings.maxFutureSkew` after it (see `ReplayOptions.arrivedBy`).
   * @default - now, the moment the replay starts (a line of a file has arrived by then)
   */
  readonly arrivedBy?: number;
}

/** What {@link replayToFiles} returns (and the CLI prints): the replay's counts plus where things are. */
export interface ReplayFilesSummary extends ReplaySummary {
  readonly pipeline: string;
  readonly input: string;
  readonly out: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Run an offline replay of a JSON-lines file and write `results.jsonl`, `late.jsonl`, `rejected.jsonl` and
 * `alerts.jsonl` into `out`. The input is read lazily (memory bounded by the record limit, not the file); each line's
 * bytes go through the processor's decode path, so a line is rejected exactly when the same bytes sent as a record
 * would be.
 *
 * @example replayToFiles({ pipeline: clickstream, input: 'events.jsonl', out: 'out' }).rejected
 */
export function replayToFiles(options: ReplayToFilesOptions): ReplayFilesSummary {
  const output = replay(options.pipeline, fileLines(options.input), {
    shards: options.shards ?? 1,
    arrivedBy: options.arrivedBy ?? Date.now(),
    ...(options.arrivalField !== undefined ? { arrivalTime: arrivalField(options.arrivalField) } : {}),
  });
  writeOutputs(options.out, output);
  return { pipeline: options.pipeline.name, input: options.input, out: options.out, ...output.summary };
}

/** Write the four replay files into `dir` in the CLI's line formats (times as ISO-8601). */
export function writeOutputs(
  dir: string,
  output: Pick<ReplayOutput, 'results' | 'late' | 'rejected' | 'alerts'>,
): void {
  mkdirSync(dir, { recursive: true });
  writeJsonl(join(dir, REPLAY_FILES.results), output.results, (r) => ({
    window: r.window,
    key: r.key,
    start: iso(r.start),
    end: iso(r.end),
    values: r.values,
  }));
  writeJsonl(join(dir, REPLAY_FILES.late), output.late, (l) => ({
    line: l.line,
    window: l.window,
    start: iso(l.start),
    end: iso(l.end),
  }));
  writeJsonl(join(dir, REPLAY_FILES.rejected), output.rejected, (r) => ({ line: r.line, reason: r.reason }));
  writeJsonl(join(dir, REPLAY_FILES.alerts), output.alerts, (a) => ({
    alert: a.alert,
    window: a.window,
    key: a.key,
    start: iso(a.start),
    end: iso(a.end),
    values: a.values,
    line: a.line,
  }));
}

/** Write items as JSON lines, buffering about 1 MB per write. */
function writeJsonl<T>(path: string, items: readonly T[], toJson: (item: T) => unknown): void {
  const fd = openSync(path, 'w');
  try {
    let buffer = '';
    for (const item of items) {
      buffer += `${JSON.stringify(toJson(item))}\n`;
      if (buffer.length >= 1_000_000) {
        writeSync(fd, buffer);
        buffer = '';
      }
    }
    if (buffer.length > 0) writeSync(fd, buffer);
  } finally {
    closeSync(fd);
  }
}
