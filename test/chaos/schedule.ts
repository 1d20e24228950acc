import type { GeneratorOptions } from '../../local/generator/index';
import { mulberry32 } from '../../local/generator/index';

/** Schedule families: how delivery behaves and which pipeline settings are exercised. */
export type Family =
  /** Dedupe on, infinite retries, every fault kind. */
  | 'faults'
  /** The pipeline without a dedupe id: producer duplicates count twice, in the oracle as in the processor. */
  | 'no-dedupe'
  /** Finite retries: records in an invocation that always crashes end on the on-failure destination. */
  | 'poison';

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

/** Everything one schedule does, derived from its seed alone. */
export interface Schedule {
  readonly seed: number;
  readonly family: Family;
  readonly generator: GeneratorOptions;
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
}

const FAMILIES: readonly Family[] = ['faults', 'faults', 'faults', 'no-dedupe', 'poison'];

/**
 * The schedule of a seed: workload (generator options, shards, batch size), fault rates and delivery settings.
 * Deterministic: the same seed always gives the same schedule (event times shift with the wall clock by whole hours).
 */
export function scheduleFor(seed: number, options: { startTime?: Date } = {}): Schedule {
  const rng = mulberry32(seed ^ 0x9e3779b9);
  const family = FAMILIES[seed % FAMILIES.length]!;
  // About one schedule in seven is dense enough for a bot to pass 100 events a minute (the alert); the others are sparse,
  // spanning several minutes of event time so windows finalize before the end.
  const dense = rng.next() < 0.15;
  const events = dense ? 270 + rng.int(30) : 50 + rng.int(60);
  const startTime = options.startTime ?? defaultStart();
  const generator: GeneratorOptions = dense
    ? {
        seed,
        events,
        users: 8 + rng.int(10),
        bots: 1,
        botEventsPerMinute: 170 + rng.int(11),
        eventsPerSecond: 7,
        targetBytes: 0,
        lateShare: 0.04,
        duplicateShare: 0.05,
        malformedShare: 0.03,
        startTime,
        lateByMs: 6 * 60_000 + rng.int(10 * 60_000),
      }
    : {
        seed,
        events,
        users: 2 + rng.int(25),
        bots: 0,
        eventsPerSecond: 0.1 + rng.next() * 0.4,
        outOfOrderMs: rng.int(60_000),
        targetBytes: 0,
        lateShare: 0.03 + rng.next() * 0.05,
        duplicateShare: 0.03 + rng.next() * 0.05,
        malformedShare: 0.02 + rng.next() * 0.03,
        startTime,
        lateByMs: 6 * 60_000 + rng.int(10 * 60_000),
      };
  const scale = 0.3 + rng.next();
  return {
    seed,
    family,
    generator,
    shards: 1 + rng.int(3),
    batchSize: [10, 20, 40, 100][rng.int(4)]!,
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
  };
}

/** Three hours before now, on the hour (recent enough that no state or dedupe item is past its TTL). */
export function defaultStart(): Date {
  const hour = 3_600_000;
  return new Date(Math.floor(Date.now() / hour) * hour - 3 * hour);
}
