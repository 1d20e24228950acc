import { stateTooLargeReason } from './contract';
import type { Decoded } from './decode';
import { type AlertEvent, applyRecords, emptyState, flushAll, type KeyState, type WindowResult } from './engine';
import type { DefinitionTimeline } from './evolution/switch';
import { type HashKeyRange, shardRouter } from './shards';

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
 * One offline replay under way: each shard's stream time, each key's state and what came out so far. Decoded lines
 * are applied one at a time, as the processor applies a batch of one record; {@link ReplayRun.finish} closes every
 * window under the last definition.
 */
export class ReplayRun {
  readonly #timeline: DefinitionTimeline;
  readonly #ranges: readonly HashKeyRange[];
  readonly #route: (partitionKey: string) => number;
  readonly #shardTime: number[];
  readonly #states = new Map<string, KeyState>();
  readonly #out = {
    results: [] as WindowResult[],
    late: [] as ReplayLate[],
    rejected: [] as { line: number; reason: string }[],
    alerts: [] as (AlertEvent & { line: number })[],
    duplicates: [] as { line: number; id: string }[],
  };
  #valid = 0;
  #applied = 0;
  #lateEvents = 0;

  constructor(timeline: DefinitionTimeline, ranges: readonly HashKeyRange[]) {
    this.#timeline = timeline;
    this.#ranges = ranges;
    this.#route = shardRouter(ranges);
    this.#shardTime = ranges.map(() => Number.NEGATIVE_INFINITY);
  }

  /** Apply line `line` (decoded; `bytes` long) under the definition it runs under. */
  apply(line: number, decoded: Decoded, bytes: number): void {
    const { pipeline, layout } = this.#timeline.at(line);
    if (!decoded.ok) {
      this.#out.rejected.push({ line, reason: decoded.reason });
      return;
    }
    this.#valid++;
    const shardKey = pipeline.partitionKeyOf(decoded.event);
    const { streamTime, watermark } = this.#advance(shardKey, decoded.time, pipeline.partitionedByKey);
    const stored = this.#states.get(decoded.key);
    const state = stored ? this.#timeline.read(layout, stored, streamTime) : emptyState();
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
    this.#states.set(decoded.key, outcome.state);
    const out = this.#out;
    if (outcome.duplicates.length > 0) out.duplicates.push({ line, id: decoded.id! });
    else if (outcome.tooLarge.length > 0)
      out.rejected.push({ line, reason: stateTooLargeReason(decoded.key, pipeline.settings.maxStateBytes) });
    else if (outcome.applied > 0) this.#applied++;
    else this.#lateEvents++;
    for (const l of outcome.late) out.late.push({ line, window: l.window, start: l.start, end: l.end });
    for (const a of outcome.alerts) out.alerts.push({ ...a, line });
    out.results.push(...outcome.results);
  }

  /**
   * Every valid record moves its source's stream time (duplicates too: they carry their original's time). Every
   * shard holds the watermark back, also one that has not received an event yet: a window is final only when no shard
   * can still deliver an on-time event for it.
   */
  #advance(partitionKey: string, time: number, partitionedByKey: boolean): { streamTime: number; watermark: number } {
    const shard = this.#route(partitionKey);
    if (time > this.#shardTime[shard]!) this.#shardTime[shard] = time;
    const streamTime = this.#shardTime[shard]!;
    return { streamTime, watermark: partitionedByKey ? streamTime : Math.min(...this.#shardTime) };
  }

  /** Close every window at the end of input (`lines` lines) and give what the replay produced. */
  finish(lines: number): ReplayOutput {
    const out = this.#out;
    const { layout } = this.#timeline.last;
    for (const [key, state] of this.#states) {
      out.results.push(...flushAll(layout, key, this.#timeline.read(layout, state)));
    }
    out.results.sort(compareResults);
    return {
      ...out,
      summary: {
        lines,
        valid: this.#valid,
        applied: this.#applied,
        lateEvents: this.#lateEvents,
        lateEntries: out.late.length,
        rejected: out.rejected.length,
        duplicates: out.duplicates.length,
        results: out.results.length,
        alerts: out.alerts.length,
        keys: this.#states.size,
        shards: this.#ranges.length,
      },
    };
  }
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
