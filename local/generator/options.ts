import { SettingError } from '../../core/errors';

/** Options of the synthetic clickstream generator. Every field has a default. */
export interface GeneratorOptions {
  /** PRNG seed: the same options give the same lines. @default 1 */
  seed?: number;
  /** Items to yield, all kinds together (events, duplicates, late, malformed). @default 10000 */
  events?: number;
  /** Distinct human users (Zipf-distributed activity). @default 1000 */
  users?: number;
  /** Bots, each sending `botEventsPerMinute` events (above the `potential-bot` threshold of 100 a minute). @default 3 */
  bots?: number;
  /** Events per minute of event time per bot. @default 150 */
  botEventsPerMinute?: number;
  /** Event time of the first item (ISO-8601 or Date). @default '2026-01-01T00:00:00.000Z' */
  startTime?: string | Date;
  /** Generator clock speed: items per second of event time. @default 200 */
  eventsPerSecond?: number;
  /** Largest delay of an on-time event's time behind the generator clock (bounded out-of-order). @default 2000 */
  outOfOrderMs?: number;
  /** Share of items that are late events. @default 0.01 */
  lateShare?: number;
  /** Share of items that are re-sends of an earlier event line (same eventId). @default 0.01 */
  duplicateShare?: number;
  /** Share of items that are malformed records. @default 0.01 */
  malformedShare?: number;
  /**
   * How far behind the clock a late event's time is, at least (plus up to `outOfOrderMs`). The default, 15 minutes,
   * is later than any window of the reference pipeline plus its 5 minute grace.
   * @default 900000
   */
  lateByMs?: number;
  /**
   * Most events a human user sends in one minute of event time: the Zipf head is capped here (a sampled user at the
   * cap is re-drawn), so only the planted bots cross the `potential-bot` threshold of 100 a minute.
   * @default 80
   */
  humanMaxPerMinute?: number;
  /** Zipf exponent of user activity. @default 1.1 */
  zipfExponent?: number;
  /** Target size of an event line in bytes (`properties.pad` fills it up). @default 1024 */
  targetBytes?: number;
}

/** Options with defaults applied. */
export type ResolvedGeneratorOptions = Required<Omit<GeneratorOptions, 'startTime'>> & { startMs: number };

function check(option: string, value: number, ok: boolean, expected: string): void {
  if (!Number.isFinite(value) || !ok) throw new SettingError(option, value, expected);
}

/** Apply defaults and check ranges ({@link SettingError} names the bad option). */
export function resolveGeneratorOptions(options: GeneratorOptions = {}): ResolvedGeneratorOptions {
  const o = {
    seed: options.seed ?? 1,
    events: options.events ?? 10_000,
    users: options.users ?? 1000,
    bots: options.bots ?? 3,
    botEventsPerMinute: options.botEventsPerMinute ?? 150,
    eventsPerSecond: options.eventsPerSecond ?? 200,
    outOfOrderMs: options.outOfOrderMs ?? 2000,
    lateShare: options.lateShare ?? 0.01,
    duplicateShare: options.duplicateShare ?? 0.01,
    malformedShare: options.malformedShare ?? 0.01,
    lateByMs: options.lateByMs ?? 15 * 60_000,
    humanMaxPerMinute: options.humanMaxPerMinute ?? 80,
    zipfExponent: options.zipfExponent ?? 1.1,
    targetBytes: options.targetBytes ?? 1024,
    startMs: new Date(options.startTime ?? '2026-01-01T00:00:00.000Z').getTime(),
  };
  check('seed', o.seed, Number.isInteger(o.seed), 'an integer');
  check('events', o.events, Number.isInteger(o.events) && o.events >= 0, 'a non-negative integer');
  check('users', o.users, Number.isInteger(o.users) && o.users >= 1, 'an integer ≥ 1');
  check('bots', o.bots, Number.isInteger(o.bots) && o.bots >= 0, 'a non-negative integer');
  check('botEventsPerMinute', o.botEventsPerMinute, o.botEventsPerMinute > 0, 'a positive number');
  check('eventsPerSecond', o.eventsPerSecond, o.eventsPerSecond > 0, 'a positive number');
  check('outOfOrderMs', o.outOfOrderMs, o.outOfOrderMs >= 0, 'a non-negative number of ms');
  check('lateByMs', o.lateByMs, o.lateByMs >= 0, 'a non-negative number of ms');
  check('zipfExponent', o.zipfExponent, o.zipfExponent > 0, 'a positive number');
  check('targetBytes', o.targetBytes, o.targetBytes >= 0, 'a non-negative number');
  check('startTime', o.startMs, true, 'an ISO-8601 time or a Date');
  for (const share of ['lateShare', 'duplicateShare', 'malformedShare'] as const) {
    check(share, o[share], o[share] >= 0 && o[share] <= 1, 'a share from 0 to 1');
  }
  const planted = o.lateShare + o.duplicateShare + o.malformedShare;
  check('lateShare + duplicateShare + malformedShare', planted, planted <= 0.5, 'at most 0.5 in total');
  const botPerSecond = (o.bots * o.botEventsPerMinute) / 60;
  check(
    'bots × botEventsPerMinute / 60',
    botPerSecond,
    botPerSecond <= 0.5 * o.eventsPerSecond * (1 - planted),
    `at most half the on-time event rate (${0.5 * o.eventsPerSecond * (1 - planted)} per second): raise eventsPerSecond`,
  );
  check('humanMaxPerMinute', o.humanMaxPerMinute, o.humanMaxPerMinute >= 1, 'a positive number');
  check(
    'users × humanMaxPerMinute',
    o.users * o.humanMaxPerMinute,
    o.users * o.humanMaxPerMinute >= 1.5 * o.eventsPerSecond * 60,
    `at least 1.5 × eventsPerSecond × 60 (${1.5 * o.eventsPerSecond * 60}) so the cap can hold: add users`,
  );
  return o;
}
