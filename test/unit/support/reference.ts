/**
 * Direct reference implementations of streamfold's window semantics, written independently of core/engine:
 * no slices, no snapshots, no pruning. Each window instance is a list of the events counted in it.
 *
 * - Tumbling/hopping: per source, stream time = max event time so far including the record. A record is late for a
 *   window instance [start, start + size) when start + size + grace ≤ its source's stream time; otherwise it is
 *   counted in that instance. Each (record, window instance) pair is decided on its own.
 * - Sessions: events of one key within `gap` (inclusive) merge. A session is closed once its last event time + gap +
 *   grace < the key's stream time (the largest stream time of any of the key's records); a closed session never
 *   changes again. A record joins (and bridges) the open sessions within `gap` of it; it is late when its own event
 *   time + gap + grace < its source's stream time (an old record never reaches back into a live session).
 * - Alerts: after each event counted in a window instance, every rule on that window not yet fired for the instance
 *   is evaluated over the instance's events so far; the first true fires it (once). Merged sessions keep the rules
 *   fired by either part.
 */
import type { SessionWindowDef, TestAlert, TestEvent, TestValues, TimedWindowDef, WindowDef } from './streams';
import { valuesOf } from './streams';

/** One final window result, as `replay` reports it (values from {@link valuesOf}). */
export interface RefResult {
  readonly window: string;
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly values: TestValues;
}

/** One (line, window) pair dropped late. Sessions report the record's time as start and end. */
export interface RefLate {
  readonly line: number;
  readonly window: string;
  readonly start: number;
  readonly end: number;
}

/** One alert firing, with the line of the event that made the rule true. */
export interface RefAlert {
  readonly alert: string;
  readonly window: string;
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly line: number;
}

/** What the reference computes. Results sorted by window, key, start; late and alerts by line, window, start. */
export interface RefOutput {
  readonly results: RefResult[];
  readonly late: RefLate[];
  readonly alerts: RefAlert[];
}

/** Options of {@link referenceRun}. */
export interface RefOptions {
  /** The source (shard) of an event. @default one source */
  readonly sourceOf?: (event: TestEvent) => number;
  readonly alerts?: Record<string, TestAlert>;
}

/**
 * Starts of the windows [start, start + size) with start a multiple of `advance` that contain `time`, by
 * enumeration (works for fractional times).
 */
export function containingStarts(size: number, advance: number, time: number): number[] {
  const starts: number[] = [];
  for (let k = Math.floor((time - size) / advance); k * advance <= time; k++) {
    const start = k * advance;
    if (start <= time && time < start + size) starts.push(start);
  }
  return starts;
}

interface Instance {
  readonly window: string;
  readonly key: string;
  start: number;
  end: number;
  events: TestEvent[];
  fired: Set<string>;
}

/** Run the reference semantics over events in file order (lines numbered from 1). */
export function referenceRun(
  windows: Record<string, WindowDef>,
  events: readonly TestEvent[],
  options: RefOptions = {},
): RefOutput {
  const sourceOf = options.sourceOf ?? (() => 0);
  const alerts = Object.entries(options.alerts ?? {});
  const sourceTime = new Map<number, number>();
  const keyTime = new Map<string, number>();
  const timed = new Map<string, Instance>();
  const openSessions = new Map<string, Instance[]>();
  const closedSessions: Instance[] = [];
  const late: RefLate[] = [];
  const fired: RefAlert[] = [];

  const evaluate = (instance: Instance, line: number) => {
    for (const [name, rule] of alerts) {
      if (rule.window !== instance.window || instance.fired.has(name)) continue;
      if (rule.when(valuesOf(instance.events))) {
        instance.fired.add(name);
        const { window, key, start, end } = instance;
        fired.push({ alert: name, window, key, start, end, line });
      }
    }
  };

  const onTimed = (name: string, def: TimedWindowDef, e: TestEvent, streamTime: number, line: number) => {
    for (const start of containingStarts(def.size, def.advance, e.t)) {
      const end = start + def.size;
      if (end + def.grace <= streamTime) {
        late.push({ line, window: name, start, end });
        continue;
      }
      const id = `${name}|${e.k}|${start}`;
      let instance = timed.get(id);
      if (!instance) {
        instance = { window: name, key: e.k, start, end, events: [], fired: new Set() };
        timed.set(id, instance);
      }
      instance.events.push(e);
      evaluate(instance, line);
    }
  };

  const onSession = (name: string, def: SessionWindowDef, e: TestEvent, streamTime: number, line: number) => {
    const id = `${name}|${e.k}`;
    const keyStreamTime = keyTime.get(e.k)!;
    const open: Instance[] = [];
    for (const s of openSessions.get(id) ?? []) {
      if (s.end + def.gap + def.grace < keyStreamTime) closedSessions.push(s);
      else open.push(s);
    }
    const joined = open.filter((s) => s.start - def.gap <= e.t && e.t <= s.end + def.gap);
    const last = Math.max(e.t, ...joined.map((s) => s.end));
    if (e.t + def.gap + def.grace < streamTime) {
      late.push({ line, window: name, start: e.t, end: e.t });
      openSessions.set(id, open);
      return;
    }
    const merged: Instance = {
      window: name,
      key: e.k,
      start: Math.min(e.t, ...joined.map((s) => s.start)),
      end: last,
      events: [...joined.flatMap((s) => s.events), e],
      fired: new Set(joined.flatMap((s) => [...s.fired])),
    };
    openSessions.set(id, [...open.filter((s) => !joined.includes(s)), merged]);
    evaluate(merged, line);
  };

  events.forEach((e, i) => {
    const line = i + 1;
    const source = sourceOf(e);
    const streamTime = Math.max(sourceTime.get(source) ?? Number.NEGATIVE_INFINITY, e.t);
    sourceTime.set(source, streamTime);
    keyTime.set(e.k, Math.max(keyTime.get(e.k) ?? Number.NEGATIVE_INFINITY, streamTime));
    for (const [name, def] of Object.entries(windows)) {
      if (def.kind === 'session') onSession(name, def, e, streamTime, line);
      else onTimed(name, def, e, streamTime, line);
    }
  });

  const instances = [...timed.values(), ...closedSessions, ...[...openSessions.values()].flat()];
  const results = instances.map(({ window, key, start, end, events: list }) => ({
    window,
    key,
    start,
    end,
    values: valuesOf(list),
  }));
  return {
    results: results.sort(byWindowKeyStart),
    late: late.sort(byLineWindowStart),
    alerts: fired.sort(byLineWindowStart),
  };
}

/** Order of results: window, key, start, end (the order `replay` sorts results in, ties broken by end). */
export function byWindowKeyStart<T extends { window: string; key: string; start: number; end: number }>(a: T, b: T) {
  return cmp(a.window, b.window) || cmp(a.key, b.key) || a.start - b.start || a.end - b.end;
}

/** Order of late entries and alerts: line, window, start (then alert name). */
export function byLineWindowStart<T extends { line: number; window: string; start: number; alert?: string }>(
  a: T,
  b: T,
) {
  return a.line - b.line || cmp(a.window, b.window) || a.start - b.start || cmp(a.alert ?? '', b.alert ?? '');
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
