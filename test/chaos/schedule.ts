import type { GeneratorOptions } from '../../local/generator/index';
import { mulberry32 } from '../../local/generator/index';

/**
 * Schedule families: which pipeline, source and delivery settings are exercised. Every family is combined with the
 * client and delivery faults and with the orthogonal dimensions below (warm containers, closer runs, event-time
 * profiles, hostile records, resharding).
 */
export type Family =
  /** Dedupe on, infinite retries, every fault kind. */
  | 'faults'
  /** The pipeline without a dedupe id: producer duplicates count twice, in the oracle as in the processor. */
  | 'no-dedupe'
  /** Finite retries: records in an invocation that always crashes end on the on-failure destination. */
  | 'poison'
  /** A pipeline whose state is bounded to a few KB with a growing aggregate: hot keys end as `state-too-large`. */
  | 'capped'
  /** ParallelizationFactor > 1 (lanes per shard); producers sometimes use another partition key. */
  | 'lanes'
  /** Amazon MSK through the MSK handler; a topic-partition's offsets may restart midway (re-created topic, new cluster). */
  | 'msk';

/** Which pipeline definition a schedule runs (test/chaos/pipelines.ts). */
export type PipelineVariant = 'clickstream' | 'no-dedupe' | 'capped' | 'capped-no-dedupe' | 'lean';

/** Where the schedule's event times lie, relative to the wall clock at the schedule's start. */
export type TimeProfile =
  /** Ending a couple of minutes ago. */
  | 'recent'
  /** One to six hours old. */
  | 'hours'
  /** A backfill: three days old (and up to six hours more), read from TRIM_HORIZON. */
  | 'days'
  /** The last minutes ahead of the arrival time, inside the allowed skew ({@link FUTURE_SKEW_MS}). */
  | 'future';

/** Per-call probabilities of the faults injected around the AWS clients (DynamoDB and SQS). */
export interface CallFaultRates {
  /** The process dies before the call is made. */
  crashBefore: number;
  /** The call lands, then the process dies before it sees the answer. */
  crashAfter: number;
  /** ProvisionedThroughputExceededException before the call. */
  throttle: number;
  /** InternalServerError (a 500) before the call. */
  serviceError: number;
  /** The call lands but the caller gets a TimeoutError: the unknown-outcome case. */
  timeoutAfter: number;
  /** Share of invocations in which writes of ~30% of the keys throttle on every attempt (a hot partition). */
  hotKeyInvocations: number;
  /** Share of side-output messages an SQS SendMessageBatch reports as failed (entry-level partial failure). */
  sqsEntryFailure: number;
}

/** Per-invocation probabilities of the delivery faults (the event source mapping's side). */
export interface DeliveryFaultRates {
  /** A successful invocation's response is lost: Lambda sees a function error (retry or bisect). */
  lostResponse: number;
  /** A completed batch is delivered once more (at-least-once delivery). */
  redeliver: number;
  /** The mapping's position moves back up to two batches (records already processed come again). */
  rewind: number;
  /** The container is replaced after an invocation (new handler instance, cold cache). */
  restart: number;
}

/** A barrier: every shard pauses once everything sent before `at` is processed; the closer then runs in idle mode. */
export interface Barrier {
  /** Share (0..1) of the schedule's sends after which the barrier stands. */
  readonly at: number;
  /** How far past the idle timeout the closer's clock is set (after the newest `lastValidAt`), ms. */
  readonly jumpMs: number;
}

/** When the closer runs. */
export interface CloserPlan {
  /**
   * Active-mode runs (real clock, every source active) beside the processors: after each invocation, one starts with
   * this probability (0: none).
   */
  readonly activeShare: number;
  /**
   * The active runs' live window (keys written more recently are left to the processor); undefined: the closer's
   * default (the default idle timeout, a minute). 0 makes every due key a candidate, as after a quiet minute in
   * production.
   */
  readonly liveWindowMs: number | undefined;
  /** Idle-mode runs at barriers, in order. */
  readonly barriers: readonly Barrier[];
}

/** A reshard of a Kinesis schedule: the open shards close after a share of the sends; children take over. */
export interface Reshard {
  /** Share (0..1) of the sends after which the stream is resharded. */
  readonly at: number;
  /** Open shards after the reshard (even hash ranges; each child's parents are the old shards its range overlaps). */
  readonly shards: number;
}

/**
 * A Kinesis shard that receives only garbage (hostile corpus records the pipeline rejects) from a share of the sends
 * on: the producers whose partition keys route to it go quiet there, and an idle barrier stands when the traffic
 * stops (after the last send), where the closer must finalize the windows the other shards left open. A shard with no
 * valid record is idle (issue 10, hole 7): it must not hold the watermark.
 */
export interface GarbageShard {
  /** Index of the shard (of the shards before any reshard; there is none in these schedules). */
  readonly shard: number;
  /** Share (0..1) of the sends from which the shard receives only garbage; 0: the whole schedule. */
  readonly from: number;
  /** Garbage records sent to it from there on. */
  readonly records: number;
}

/** An MSK topic whose offsets restart at 0 after a share of the sends. */
export interface OffsetReset {
  readonly at: number;
  /** `recreate`: the topic is deleted and created again on the same cluster; `new-cluster`: the app points at another cluster with the same topic. */
  readonly kind: 'recreate' | 'new-cluster';
}

/** Everything one schedule does, derived from its seed alone. */
export interface Schedule {
  readonly seed: number;
  /** The wall clock (epoch ms) the schedule's event times are laid against. */
  readonly clock: number;
  readonly family: Family;
  readonly pipeline: PipelineVariant;
  readonly source: 'kinesis' | 'msk';
  readonly generator: GeneratorOptions;
  /** Kinesis shards (before any reshard), or MSK topic partitions. */
  readonly shards: number;
  readonly batchSize: number;
  readonly bisectOnError: boolean;
  /** MaximumRetryAttempts: -1 (infinite) except in the `poison` family. */
  readonly maxRetries: number;
  /** Share of generated lines the producer sends again later (a PutRecords it believed failed). */
  readonly producerResend: number;
  /** Positions (in the shard log's global order) of records whose every invocation crashes (`poison` family). */
  readonly poisonCount: number;
  readonly calls: CallFaultRates;
  readonly delivery: DeliveryFaultRates;
  /** Faults stop for a batch after this many invocations of it, so every schedule ends (liveness). */
  readonly faultyInvocationsPerBatch: number;
  /** Warm containers of the processor function: a lane's invocation goes to a random free one (its own caches). */
  readonly containers: number;
  readonly time: TimeProfile;
  /**
   * Disorderly producers (buffering mobile clients): events up to several minutes behind the producer's clock, more
   * than the grace, so batches often start with records behind their source's stream time.
   */
  readonly disorder: boolean;
  /**
   * Late bursts: a buffering client reconnects and flushes 12 to 32 events of one user, 5.5 to 8 minutes old, at once
   * (so a batch can start with them, behind its source's stream time).
   */
  readonly bursts: number;
  /** Single outliers: one event far ahead of the others (inside the skew), one far behind (days). */
  readonly outliers: { readonly ahead: boolean; readonly behind: boolean };
  /** Records of the hostile-input corpus (test/fixtures/bad-input) mixed into the sends. */
  readonly hostile: number;
  /** ParallelizationFactor: lanes per shard (1: none). */
  readonly lanes: number;
  /** Share of records whose producer uses another partition key than the aggregation key (lanes only). */
  readonly foreignKeyShare: number;
  readonly reshard: Reshard | undefined;
  /** MSK only: the record timestamps' type (LogAppendTime: broker time, ordered; CreateTime: producer time). */
  readonly timestamps: 'LOG_APPEND_TIME' | 'CREATE_TIME';
  readonly reset: OffsetReset | undefined;
  /** A shard that receives only garbage (multi-shard Kinesis schedules without lanes or reshard). */
  readonly garbage: GarbageShard | undefined;
  readonly closer: CloserPlan;
}

const FAMILIES: readonly Family[] = ['faults', 'faults', 'no-dedupe', 'poison', 'capped', 'lanes', 'faults', 'msk'];
const TIME_PROFILES: readonly TimeProfile[] = ['recent', 'hours', 'hours', 'days', 'days', 'future'];
const MINUTE = 60_000;
/**
 * The allowed future skew of every chaos pipeline (`settings.maxFutureSkew`, by default their smallest grace: 5 min):
 * the `future` profile and the outlier ahead stay inside it (test/chaos/pipelines.ts checks the pipelines).
 */
export const FUTURE_SKEW_MS = 5 * MINUTE;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Options of {@link scheduleFor}. */
export interface ScheduleOptions {
  /** Wall clock the event-time profile is laid against. @default Date.now() */
  readonly now?: number;
}

/**
 * The schedule of a seed: workload (generator options, shards, batch size), fault rates, delivery settings and the
 * dimensions of the fault model. Deterministic: the same seed always gives the same schedule (event times shift with
 * the wall clock by whole minutes or hours).
 */
export function scheduleFor(seed: number, options: ScheduleOptions = {}): Schedule {
  const rng = mulberry32(seed ^ 0x9e3779b9);
  const family = FAMILIES[seed % FAMILIES.length]!;
  const now = options.now ?? Date.now();
  // About one schedule in seven is dense enough for a bot to pass 100 events a minute (the alert); the others are sparse,
  // spanning several minutes of event time so windows finalize before the end. Hot keys need density.
  const dense = rng.next() < (family === 'capped' ? 0.5 : 0.15);
  // Capped schedules' dense ones are longer: a hot key's claims outgrow the item (they spill to claim items).
  const events = dense ? (family === 'capped' ? 500 + rng.int(200) : 270 + rng.int(30)) : 50 + rng.int(60);
  const eventsPerSecond = dense ? 7 : 0.1 + rng.next() * 0.4;
  const time = TIME_PROFILES[rng.int(TIME_PROFILES.length)]!;
  const startTime = new Date(startOf(time, now, (events * 1000) / eventsPerSecond, rng.int(6)));
  const generator: GeneratorOptions = dense
    ? {
        seed,
        events,
        users: 8 + rng.int(10),
        bots: 1,
        botEventsPerMinute: 170 + rng.int(11),
        eventsPerSecond,
        targetBytes: 0,
        lateShare: 0.04,
        duplicateShare: 0.05,
        malformedShare: 0.03,
        startTime,
        lateByMs: 6 * MINUTE + rng.int(10 * MINUTE),
      }
    : {
        seed,
        events,
        users: 2 + rng.int(25),
        bots: 0,
        eventsPerSecond,
        outOfOrderMs: rng.int(60_000),
        targetBytes: 0,
        lateShare: 0.03 + rng.next() * 0.05,
        duplicateShare: 0.03 + rng.next() * 0.05,
        malformedShare: 0.02 + rng.next() * 0.03,
        startTime,
        lateByMs: 6 * MINUTE + rng.int(10 * MINUTE),
      };
  const scale = 0.3 + rng.next();
  const source = family === 'msk' ? 'msk' : 'kinesis';
  const lanes = family === 'lanes' ? 2 + rng.int(3) : 1;
  const shards = family === 'lanes' ? 1 + rng.int(2) : 1 + rng.int(3);
  const pipeline: PipelineVariant =
    family === 'no-dedupe'
      ? 'no-dedupe'
      : family === 'capped'
        ? pick(rng.next(), [0.4, 'capped'], [0.7, 'capped-no-dedupe'], [1, 'lean'])
        : family === 'lanes' && rng.next() < 0.3
          ? 'no-dedupe'
          : 'clickstream';
  const batchSize = [10, 20, 40, 100][rng.int(4)]!;
  // Draws below are appended after the ones above, so adding a dimension never changes the earlier ones' values.
  const containers = rng.next() < 0.25 ? 1 : 2 + rng.int(3);
  const outliers = { ahead: rng.next() < 0.15, behind: rng.next() < 0.15 };
  const hostile = rng.next() < 0.35 ? 1 + rng.int(6) : 0;
  const foreignKeyShare = family === 'lanes' ? 0.05 + rng.next() * 0.15 : 0;
  const reshardDraw = rng.next();
  const reshard: Reshard | undefined =
    source === 'kinesis' && reshardDraw < 0.2
      ? { at: 0.3 + rng.next() * 0.4, shards: otherShardCount(shards, rng.int(3)) }
      : undefined;
  const timestamps = rng.next() < 0.6 ? 'LOG_APPEND_TIME' : 'CREATE_TIME';
  const resetDraw = rng.next();
  const reset: OffsetReset | undefined =
    source === 'msk' && resetDraw < 0.75
      ? { at: 0.3 + rng.next() * 0.4, kind: rng.next() < 0.7 ? 'recreate' : 'new-cluster' }
      : undefined;
  const barrierCount = rng.next() < 0.4 ? 1 + (rng.next() < 0.3 ? 1 : 0) : 0;
  const barriers: Barrier[] = Array.from({ length: barrierCount }, () => ({
    at: 0.15 + rng.next() * 0.75,
    jumpMs: 1 + rng.int(rng.next() < 0.5 ? 30_000 : 10 * MINUTE),
  })).sort((a, b) => a.at - b.at);
  const activeShare = rng.next() < 0.45 ? 0.1 + rng.next() * 0.3 : 0;
  const live = rng.next();
  const liveWindowMs = live < 0.6 ? 0 : live < 0.8 ? 200 : undefined;
  const disorder = rng.next() < 0.25;
  if (disorder) generator.outOfOrderMs = 3 * MINUTE + rng.int(6 * MINUTE);
  const bursts = rng.next() < 0.25 ? 1 + rng.int(2) : 0;
  const garbageDraw = rng.next();
  const garbage: GarbageShard | undefined =
    source === 'kinesis' && shards >= 2 && lanes === 1 && !reshard && garbageDraw < 0.3
      ? { shard: rng.int(shards), from: rng.next() < 0.6 ? 0 : 0.2 + rng.next() * 0.6, records: 3 + rng.int(10) }
      : undefined;
  // When the traffic stops (after the last send, every shard drained), the closer runs in idle mode.
  if (garbage) barriers.push({ at: 1, jumpMs: 1 + rng.int(10 * MINUTE) });
  return {
    seed,
    clock: now,
    family,
    pipeline,
    source,
    generator,
    shards,
    batchSize,
    bisectOnError: family === 'poison' ? rng.next() < 0.7 : rng.next() < 0.5,
    maxRetries: family === 'poison' ? 1 + rng.int(3) : -1,
    producerResend: rng.next() * 0.04,
    poisonCount: family === 'poison' ? 1 + rng.int(2) : 0,
    calls: {
      crashBefore: 0.01 * scale,
      crashAfter: 0.01 * scale,
      throttle: 0.02 * scale,
      serviceError: 0.01 * scale,
      timeoutAfter: 0.02 * scale,
      sqsEntryFailure: 0.05 * scale,
      hotKeyInvocations: 0.1 * scale,
    },
    delivery: {
      lostResponse: 0.05 * scale,
      redeliver: 0.05 * scale,
      rewind: family === 'poison' ? 0 : 0.05 * scale,
      restart: 0.05 * scale,
    },
    faultyInvocationsPerBatch: 6,
    containers,
    time,
    disorder,
    bursts,
    outliers,
    hostile,
    lanes,
    foreignKeyShare,
    reshard,
    timestamps,
    reset,
    garbage,
    closer: { activeShare, liveWindowMs, barriers },
  };
}

/** The value of the first `[below, value]` whose bound `x` is below. */
function pick<T>(x: number, ...options: [number, T][]): T {
  return (options.find(([below]) => x < below) ?? options[options.length - 1]!)[1];
}

/** A shard count after a reshard: different from `shards`, 1..4. */
function otherShardCount(shards: number, pick: number): number {
  const options = [1, 2, 3, 4].filter((n) => n !== shards);
  return options[pick % options.length]!;
}

/**
 * The generator's start time for a profile: `spanMs` is how long the generator's clock runs; `hours` picks the
 * offset inside the profile's range.
 */
function startOf(time: TimeProfile, now: number, spanMs: number, hours: number): number {
  const minute = Math.floor(now / MINUTE) * MINUTE;
  const hour = Math.floor(now / HOUR) * HOUR;
  switch (time) {
    case 'recent':
      return minute - Math.ceil(spanMs / MINUTE) * MINUTE - 2 * MINUTE;
    case 'hours':
      return hour - (1 + hours) * HOUR;
    case 'days':
      return hour - 3 * DAY - hours * HOUR;
    case 'future':
      // Generated up to about 2 minutes ahead of the clock: the last minutes are ahead of arrival, inside the skew
      // (an event the generator places later still is rejected as future-time, by the processor and the oracle alike).
      return minute + 2 * MINUTE - Math.ceil(spanMs / MINUTE) * MINUTE;
  }
}

/**
 * Event time of the single outlier ahead: 30 s short of the skew after the schedule's clock (arrival is never before
 * the clock, so it is inside the skew of its arrival).
 */
export function aheadOutlierTime(now: number): number {
  return Math.floor(now / MINUTE) * MINUTE + FUTURE_SKEW_MS - 30_000;
}

/** Event time of the single outlier behind: one to three days before the generator's start. */
export function behindOutlierTime(start: number, seed: number): number {
  return start - DAY - (seed % 3) * DAY - (seed % 7) * 11 * MINUTE;
}

/** Three hours before now, on the hour (the `hours` profile's middle). */
export function defaultStart(): Date {
  return new Date(Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR);
}
