import { isDeepStrictEqual } from 'node:util';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Pipeline } from '../../core';
import { createKinesisHandler } from '../../lambdas/processor/index';
import { SqsSideOutput } from '../../lambdas/side-output/index';
import { ensureStateTables } from '../../lambdas/state/index';
import { type MemoryDestination, memoryDestination } from '../../local/esm/index';
import { clickstream } from '../../pipelines/clickstream';
import { lambdaContext, MemorySqs, silentLogger, tableResults } from '../integration/processor-helpers';
import { type DeliveryStats, type DriverHandler, deliverShard, emptyDeliveryStats } from './driver';
import { ChaosMismatchError, ChaosRunError } from './errors';
import {
  ChaosProcess,
  chaosDynamo,
  chaosSqs,
  draw,
  type InjectedFault,
  type Landed,
  landingRecorder,
} from './fault-layer';
import { alertKey, type Fate, oracle } from './oracle';
import { busiestKey, type Sabotage, sabotageStateWrites } from './sabotage';
import { type Schedule, scheduleFor } from './schedule';
import { buildShardLog, type ShardLog, scheduleLines } from './shard-log';

const REJECTED = 'https://sqs.us-east-1.amazonaws.com/000000000000/chaos-rejected';
const LATE = 'https://sqs.us-east-1.amazonaws.com/000000000000/chaos-late';
/** Retry delays of the stores and side outputs: short, so retries do not dominate a sweep's time. */
const FAST = { baseDelayMs: 1, maxDelayMs: 4 };

/** The clickstream pipeline without its dedupe id (the `no-dedupe` family). */
export const clickstreamNoDedupe: Pipeline = { ...clickstream, idOf: undefined };

/** The pipeline a schedule runs. */
export function pipelineOf(schedule: Schedule): Pipeline {
  return schedule.family === 'no-dedupe' ? clickstreamNoDedupe : clickstream;
}

/** What one schedule did (all counts are of this schedule). */
export interface ScheduleReport {
  readonly seed: number;
  readonly family: Schedule['family'];
  readonly records: number;
  readonly shards: number;
  readonly batchSize: number;
  readonly fates: Record<Fate, number>;
  readonly results: number;
  readonly alerts: number;
  readonly delivery: DeliveryStats;
  /** Injected client faults by kind. */
  readonly faults: Record<string, number>;
  readonly ms: number;
}

/** The poison records of a schedule: `poisonCount` records picked by the seed. */
export function poisonOf(schedule: Schedule, log: ShardLog): Set<string> {
  const poison = new Set<string>();
  for (let i = 0; poison.size < schedule.poisonCount && i < 100; i++) {
    const record = log.records[Math.floor(draw(schedule.seed, `poison|${i}`) * log.records.length)];
    if (record) poison.add(record.sequence);
  }
  return poison;
}

/** Options of {@link runSchedule}. */
export interface RunOptions {
  /** Make the checks fail on purpose (self-test of the oracle). */
  readonly sabotage?: Sabotage;
}

/** One schedule's tables, recorders and handler factory, shared by the in-process and the kinesis-mock deliveries. */
export interface Harness {
  readonly tables: { stateTable: string };
  readonly landed: Landed;
  readonly sqs: MemorySqs;
  readonly injected: InjectedFault[];
  readonly destination: MemoryDestination;
  readonly newHandler: () => DriverHandler;
  /** Delete the tables. */
  dispose(): Promise<void>;
}

/** Create a schedule's tables and the factory of fault-injected handler instances. */
export async function createHarness(
  dynamodb: Pick<DynamoDBClient, 'send'>,
  schedule: Schedule,
  options: RunOptions = {},
): Promise<Harness> {
  const { seed } = schedule;
  const pipeline = pipelineOf(schedule);
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const tables = { stateTable: `chaos-${seed}-state-${suffix}` };
  // No stream: the landing recorder sees every write (DynamoDB Local keeps a deleted table's stream records, and a
  // sweep slows down as they pile up).
  await ensureStateTables(dynamodb, tables, { stream: false });
  const landed: Landed = { results: [], alerts: [], outbox: [], duplicates: [], stateWrites: 0 };
  let recorder = landingRecorder(dynamodb, tables.stateTable, landed);
  if (options.sabotage) {
    const victim = busiestKey(pipeline, buildShardLog(scheduleLines(schedule), schedule.shards));
    recorder = sabotageStateWrites(recorder, tables.stateTable, options.sabotage, victim.key);
  }
  const sqs = new MemorySqs();
  const injected: InjectedFault[] = [];
  let processes = 0;
  return {
    tables,
    landed,
    sqs,
    injected,
    destination: memoryDestination(),
    newHandler: (): DriverHandler => {
      const proc = new ChaosProcess(++processes, seed, schedule.calls, injected);
      const handler = createKinesisHandler(pipeline, {
        dynamodb: chaosDynamo(recorder, proc),
        ...tables,
        rejected: new SqsSideOutput({ client: chaosSqs(sqs.client, proc), queueUrl: REJECTED, backoff: FAST }),
        late: new SqsSideOutput({ client: chaosSqs(sqs.client, proc), queueUrl: LATE, backoff: FAST }),
        storeOptions: { backoff: FAST },
        logger: silentLogger(),
      });
      return {
        invoke: (event, context) => handler(event, context),
        begin: (invocation, faults) => proc.begin(invocation, faults),
        get crashed() {
          return proc.dead;
        },
      };
    },
    dispose: async () => {
      await Promise.all(
        [tables.stateTable].map((name) =>
          dynamodb.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined),
        ),
      );
    },
  };
}

/** Run one schedule with in-process delivery against DynamoDB Local; throws a ChaosMismatchError on a difference. */
export async function runSchedule(
  dynamodb: Pick<DynamoDBClient, 'send'>,
  seed: number,
  options: RunOptions = {},
): Promise<ScheduleReport> {
  const started = Date.now();
  const schedule = scheduleFor(seed);
  const log = buildShardLog(scheduleLines(schedule), schedule.shards);
  const poison = poisonOf(schedule, log);
  const h = await createHarness(dynamodb, schedule, options);
  try {
    const stats = emptyDeliveryStats();
    let invocations = 0;
    try {
      await Promise.all(
        log.shardIds.map((shardId) =>
          deliverShard({
            schedule,
            shardId,
            records: log.byShard.get(shardId)!,
            poison,
            newHandler: h.newHandler,
            destination: h.destination,
            stats,
            context: lambdaContext,
            nextInvocation: () => ++invocations,
          }),
        ),
      );
    } catch (error) {
      throw new ChaosRunError(seed, `delivery did not finish: ${(error as Error).message}`, { cause: error });
    }
    return await verify(dynamodb, schedule, log, poison, h, stats, started);
  } finally {
    await h.dispose();
  }
}

/**
 * Check a finished schedule against the oracle: window results (state + finalized), alerts, rejected and late side
 * outputs (distinct message ids), the failure destination, duplicates (from the dedupe table) and the accounting.
 */
export async function verify(
  dynamodb: Pick<DynamoDBClient, 'send'>,
  schedule: Schedule,
  log: ShardLog,
  poison: ReadonlySet<string>,
  h: Harness,
  stats: DeliveryStats,
  started: number,
): Promise<ScheduleReport> {
  const { seed } = schedule;
  const pipeline = pipelineOf(schedule);
  const failed = failedRecords(seed, h.destination, log, poison);
  const want = oracle(pipeline, log.records, log.ranges, failed);
  const check = (what: string, got: unknown, expected: unknown) => {
    if (!isDeepStrictEqual(got, expected)) throw new ChaosMismatchError(seed, what, describeDiff(got, expected));
  };
  const results = await tableResults(dynamodb, h.tables.stateTable, pipeline, h.landed.results);
  check('window results (state + finalized)', results, want.results);
  check('alerts', h.landed.alerts.map(alertKey).sort(), want.alerts);
  // Side outputs: what the state writes decided (their outboxes, which the emitter delivers from the stream) plus
  // the rejections the processor sent before its checkpoint; what it sent right after a commit must be among them.
  const outboxIds = (kind: string) => h.landed.outbox.filter((m) => m.kind === kind).map((m) => m.id);
  const rejected = [...new Set([...h.sqs.ids(REJECTED), ...outboxIds('rejected')])].sort();
  check('rejected side output', rejected, want.rejectedIds);
  check('late side output', [...new Set(outboxIds('late'))].sort(), want.lateIds);
  const lateSent = h.sqs.ids(LATE).filter((id) => !want.lateIds.includes(id));
  check('late messages sent for records that are not late', lateSent, []);
  check('failure destination', [...failed].sort(), want.failedIds);
  if (pipeline.idOf) check('duplicates', [...h.landed.duplicates].sort(), want.duplicateIds);
  const total = Object.values(want.fates).reduce((a, b) => a + b, 0);
  if (total !== log.records.length) {
    throw new ChaosMismatchError(seed, 'accounting', `${total} fates for ${log.records.length} records`);
  }
  const faults: Record<string, number> = {};
  for (const f of h.injected) faults[f.fault] = (faults[f.fault] ?? 0) + 1;
  return {
    seed,
    family: schedule.family,
    records: log.records.length,
    shards: log.shardIds.length,
    batchSize: schedule.batchSize,
    fates: want.fates,
    results: want.results.length,
    alerts: want.alerts.length,
    delivery: stats,
    faults,
    ms: Date.now() - started,
  };
}

/**
 * The records on the failure destination (`shard:sequence`). Each failure record must name a run that holds a poison
 * record (nothing else may exhaust its retries: faults stop before a batch's last retry), and every poison record
 * must be on it.
 */
function failedRecords(
  seed: number,
  destination: MemoryDestination,
  log: ShardLog,
  poison: ReadonlySet<string>,
): Set<string> {
  const failed = new Set<string>();
  for (const f of destination.records) {
    const info = f.KinesisBatchInfo;
    const run = (log.byShard.get(info.shardId) ?? []).filter(
      (r) =>
        BigInt(r.sequence) >= BigInt(info.startSequenceNumber) && BigInt(r.sequence) <= BigInt(info.endSequenceNumber),
    );
    if (run.length !== info.batchSize) {
      throw new ChaosMismatchError(
        seed,
        'failure destination',
        `a failure record names ${info.batchSize} records, the range holds ${run.length}`,
      );
    }
    if (!run.some((r) => poison.has(r.sequence))) {
      throw new ChaosMismatchError(
        seed,
        'failure destination',
        `records ${info.startSequenceNumber}..${info.endSequenceNumber} discarded without a poison record (${f.requestContext.condition})`,
      );
    }
    for (const r of run) {
      const id = `${r.shardId}:${r.sequence}`;
      if (failed.has(id)) throw new ChaosMismatchError(seed, 'failure destination', `record ${id} discarded twice`);
      failed.add(id);
    }
  }
  for (const r of log.records) {
    if (poison.has(r.sequence) && !failed.has(`${r.shardId}:${r.sequence}`)) {
      throw new ChaosMismatchError(
        seed,
        'failure destination',
        `poison record ${r.shardId}:${r.sequence} is not on it`,
      );
    }
  }
  return failed;
}

/** A short description of how two values differ (lengths and the first differing element of lists). */
export function describeDiff(got: unknown, expected: unknown): string {
  if (Array.isArray(got) && Array.isArray(expected)) {
    const i = got.findIndex((g, j) => !isDeepStrictEqual(g, expected[j]));
    const at = i < 0 ? expected.length : i;
    const missing = expected.filter((e) => !got.some((g) => isDeepStrictEqual(g, e))).length;
    const extra = got.filter((g) => !expected.some((e) => isDeepStrictEqual(g, e))).length;
    return `got ${got.length}, expected ${expected.length} (${missing} missing, ${extra} unexpected); first difference at ${at}: got ${JSON.stringify(got[at])?.slice(0, 300)}, expected ${JSON.stringify(expected[at])?.slice(0, 300)}`;
  }
  return `got ${JSON.stringify(got)?.slice(0, 300)}, expected ${JSON.stringify(expected)?.slice(0, 300)}`;
}
