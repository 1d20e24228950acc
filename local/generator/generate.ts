import { buildEvent, type ClickEvent, fillerSource, pickType } from './events';
import { MALFORMATIONS, type Malformation, malform } from './malformed';
import { type GeneratorOptions, type ResolvedGeneratorOptions, resolveGeneratorOptions } from './options';
import { mulberry32, shuffleTail } from './prng';
import { zipfSampler } from './zipf';

/** What an item is: an on-time event, a re-send of an earlier line, a late event, or a malformed record. */
export type ItemKind = 'event' | 'duplicate' | 'late' | 'malformed';

/** One generated line, in delivery order. */
export interface GeneratedItem {
  kind: ItemKind;
  /** The JSON text to send (for `malformed`, the broken text). */
  line: string;
  /** The event, for `event`, `duplicate` (the original's) and `late`. */
  event?: ClickEvent;
  /** For `malformed`: how it is broken. */
  malformation?: Malformation;
  /** Position in delivery order, from 0. */
  index: number;
}

/** What was planted; known before generating (counts are exact, not sampled). */
export interface GeneratorSummary {
  seed: number;
  total: number;
  counts: Record<ItemKind, number>;
  /** User ids of the planted bots (each above 100 events in every full minute of event time). */
  botIds: string[];
  botEventsPerMinute: number;
  /** Generator clock at the first and after the last item (ISO-8601). */
  startTime: string;
  endTime: string;
  /** Items at the start that are always on-time events, so shards have stream time before late records arrive. */
  warmup: number;
}

/** A generator run: iterate it for the items; `summary` says what is planted. */
export interface GeneratorRun extends Iterable<GeneratedItem> {
  readonly summary: GeneratorSummary;
}

const KIND_CODES: readonly ItemKind[] = ['event', 'duplicate', 'late', 'malformed'];
const RECENT_LINES = 200;

function botIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `bot-${String(i + 1).padStart(3, '0')}`);
}

/** The exact kind of every position: warmup events first, then the planted kinds shuffled among the rest. */
function planKinds(
  o: ResolvedGeneratorOptions,
  warmup: number,
): { kinds: Uint8Array; counts: Record<ItemKind, number> } {
  const counts: Record<ItemKind, number> = {
    event: 0,
    duplicate: Math.round(o.events * o.duplicateShare),
    late: Math.round(o.events * o.lateShare),
    malformed: Math.round(o.events * o.malformedShare),
  };
  counts.event = o.events - counts.duplicate - counts.late - counts.malformed;
  const kinds = new Uint8Array(o.events);
  let at = warmup;
  for (const [code, kind] of KIND_CODES.entries()) {
    if (kind === 'event') continue;
    kinds.fill(code, at, at + counts[kind]);
    at += counts[kind];
  }
  shuffleTail(kinds, warmup, mulberry32(o.seed ^ 0x5eed));
  return { kinds, counts };
}

function warmupOf(o: ResolvedGeneratorOptions): number {
  const planted = Math.round(o.events * o.duplicateShare) + Math.round(o.events * o.lateShare);
  const planned = planted + Math.round(o.events * o.malformedShare);
  return Math.max(0, Math.min(Math.max(1, Math.min(500, Math.floor(o.events * 0.05))), o.events - planned));
}

type Prng = ReturnType<typeof mulberry32>;

/** A Zipf-drawn user below `humanMaxPerMinute` in that minute (re-drawn at the cap, then uniform). */
function userPicker(o: ResolvedGeneratorOptions, prng: Prng, zipf: () => number): (minute: number) => number {
  /** Events per human user per minute of event time (the last 30 minutes seen). */
  const perMinute = new Map<number, Map<number, number>>();
  return (minute) => {
    let counts = perMinute.get(minute);
    if (counts === undefined) {
      counts = new Map();
      perMinute.set(minute, counts);
      if (perMinute.size > 30) perMinute.delete(Math.min(...perMinute.keys()));
    }
    for (let attempt = 0; ; attempt++) {
      const rank = attempt < 20 ? zipf() : prng.int(o.users);
      const count = counts.get(rank) ?? 0;
      if (count < o.humanMaxPerMinute || attempt > 500) {
        counts.set(rank, count + 1);
        return rank;
      }
    }
  };
}

/** Fresh events: on time (bots get their due slots), late (older than the clock by lateByMs), or to be broken. */
function eventMaker(
  o: ResolvedGeneratorOptions,
  bots: readonly string[],
  prng: Prng,
  filler: ReturnType<typeof fillerSource>,
  zipf: () => number,
): (index: number, clock: number, mode: 'on-time' | 'late' | 'malformed') => ClickEvent {
  const userIds = Array.from({ length: o.users }, (_, i) => `user-${String(i + 1).padStart(6, '0')}`);
  const botPeriodMs = 60_000 / o.botEventsPerMinute;
  const nextBotAt = bots.map((_, i) => o.startMs + (i * botPeriodMs) / Math.max(1, bots.length));
  const pickUser = userPicker(o, prng, zipf);
  const idPrefix = `e${(o.seed >>> 0).toString(36)}`;
  return (index, clock, mode) => {
    const late = mode === 'late';
    const bot = mode === 'on-time' ? nextBotAt.findIndex((at) => at <= clock) : -1;
    const eventId = `${idPrefix}-${index.toString(36)}-${prng.int(0x7fffffff).toString(36)}`;
    if (bot >= 0) {
      const tsMs = Math.floor(nextBotAt[bot] ?? clock);
      nextBotAt[bot] = (nextBotAt[bot] ?? clock) + botPeriodMs;
      const type = prng.int(4) === 0 ? 'search' : 'view';
      return buildEvent({ eventId, userId: bots[bot] ?? '', type, tsMs, bot: true }, prng, filler, o.targetBytes);
    }
    const jitter = prng.int(Math.floor(o.outOfOrderMs) + 1);
    const tsMs = Math.floor(clock) - jitter - (late ? o.lateByMs : 0);
    const userId = userIds[pickUser(Math.floor(tsMs / 60_000))] ?? '';
    return buildEvent({ eventId, userId, type: pickType(prng), tsMs, bot: false }, prng, filler, o.targetBytes);
  };
}

/** The items of a run in delivery order (the same options give the same items). */
function* generatedItems(
  o: ResolvedGeneratorOptions,
  kinds: Uint8Array,
  bots: readonly string[],
): Generator<GeneratedItem> {
  const prng = mulberry32(o.seed);
  const filler = fillerSource(prng);
  const zipf = zipfSampler(o.users, o.zipfExponent, prng);
  const newEvent = eventMaker(o, bots, prng, filler, zipf);
  const stepMs = 1000 / o.eventsPerSecond;
  const recent: GeneratedItem[] = [];
  for (let index = 0; index < o.events; index++) {
    const clock = o.startMs + index * stepMs;
    const kind = KIND_CODES[kinds[index] ?? 0] ?? 'event';
    let item: GeneratedItem;
    if (kind === 'duplicate' && recent.length > 0) {
      const original = recent[prng.int(recent.length)] as GeneratedItem;
      item = { kind, line: original.line, event: original.event, index };
    } else if (kind === 'malformed') {
      const malformation = prng.pick(MALFORMATIONS);
      const base = newEvent(index, clock, 'malformed');
      item = { kind, line: malform(base, malformation, prng), malformation, index };
    } else {
      const event = newEvent(index, clock, kind === 'late' ? 'late' : 'on-time');
      item = { kind: kind === 'duplicate' ? 'event' : kind, line: JSON.stringify(event), event, index };
      if (item.kind === 'event') {
        recent.push(item);
        if (recent.length > RECENT_LINES) recent.shift();
      }
    }
    yield item;
  }
}

/**
 * Generate a seeded, reproducible clickstream: human users with Zipf-distributed activity, bots above 100 events a
 * minute, event times up to `outOfOrderMs` behind the generator clock, and exact shares of late events (older than
 * the clock by `lateByMs`), duplicate sends (an earlier line again, same eventId) and malformed records. Items come
 * in delivery order; the same options always give the same lines. Bot events are never late or malformed.
 */
export function generate(options: GeneratorOptions = {}): GeneratorRun {
  const o = resolveGeneratorOptions(options);
  const warmup = warmupOf(o);
  const { kinds, counts } = planKinds(o, warmup);
  const bots = botIds(o.bots);
  const stepMs = 1000 / o.eventsPerSecond;
  const summary: GeneratorSummary = {
    seed: o.seed,
    total: o.events,
    counts,
    botIds: bots,
    botEventsPerMinute: o.botEventsPerMinute,
    startTime: new Date(o.startMs).toISOString(),
    endTime: new Date(o.startMs + Math.round(o.events * stepMs)).toISOString(),
    warmup,
  };
  return { summary, [Symbol.iterator]: () => generatedItems(o, kinds, bots) };
}
