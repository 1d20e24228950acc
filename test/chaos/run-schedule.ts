import { isDeepStrictEqual } from 'node:util';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_IDLE_TIMEOUT_MS, FENCE_HORIZON_MS, type Pipeline, replay } from '../../core';
import {
  createKinesisHandler,
  createMskHandler,
  type InvocationSummary,
  type ProcessorDeps,
} from '../../lambdas/processor/index';
import type { ProcessorStore } from '../../lambdas/processor/source-batch';
import { type RejectedMessage, SqsSideOutput } from '../../lambdas/side-output/index';
import { ensureStateTables, fenceKey, StateStore } from '../../lambdas/state/index';
import { type MemoryDestination, memoryDestination } from '../../local/esm/index';
import { lambdaContext, MemorySqs, silentLogger, tableResults } from '../integration/processor-helpers';
import { CloserRuns, type CloserStats } from './closer-runs';
import { ContainerPool, type DriverHandler, type PoolStats } from './containers';
import {
  type DeliveryStats,
  emptyDeliveryStats,
  kinesisAdapter,
  LaneDelivery,
  mskAdapter,
  type SourceAdapter,
} from './driver';
import { ChaosMismatchError, ChaosRunError } from './errors';
import {
  ChaosProcess,
  chaosDynamo,
  chaosSqs,
  draw,
  emptyLanded,
  type InjectedFault,
  type Landed,
  landingRecorder,
  strictSqs,
} from './fault-layer';
import {
  alertKey,
  ClosePlacementError,
  type Fate,
  type OracleOptions,
  type OracleOutput,
  type OracleRecord,
  oracle,
  reasonCode,
} from './oracle';
import { pipelineOf, withoutStateGuard } from './pipelines';
import {
  busiestKey,
  cachedCheckpoints,
  checkpointsWithoutArrival,
  dropOutboxAfterCloser,
  dropUndecodable,
  eventTimeExpiry,
  type Sabotage,
  sabotageStateWrites,
  withoutPartitionKeys,
} from './sabotage';
import { type Schedule, scheduleFor } from './schedule';
import { buildLog, type Lane, type ShardLog, scheduleSends } from './shard-log';

export { pipelineOf } from './pipelines';

const REJECTED = 'https://sqs.us-east-1.amazonaws.com/000000000000/chaos-rejected';
const LATE = 'https://sqs.us-east-1.amazonaws.com/000000000000/chaos-late';
/** Retry delays of the stores and side outputs: short, so retries do not dominate a sweep's time. */
const FAST = { baseDelayMs: 1, maxDelayMs: 4 };

/** What the new dimensions of the fault model did in one schedule. */
export interface DimensionReport {
  readonly containers: number;
  readonly pool: PoolStats;
  readonly time: Schedule['time'];
  readonly disorder: boolean;
  /** Records of late bursts. */
  readonly bursts: number;
  readonly outliers: number;
  readonly hostile: number;
  readonly lanes: number;
  readonly reshard: boolean;
  /** MSK offset reset: `recreate/LOG_APPEND_TIME`, `new-cluster/CREATE_TIME`... */
  readonly reset: string | undefined;
  /** Whether a shard received only garbage (from some point on, or throughout). */
  readonly garbageShard: 'throughout' | 'after' | undefined;
  /** Source restarts the processor detected (new epochs), and records it reported as a suspected restart. */
  readonly sourceResets: number;
  readonly suspectedResets: number;
  readonly closer: CloserStats;
  /** Processor writes that landed on an item the closer wrote last. */
  readonly afterCloser: number;
  /** Keys whose state reached the bound. */
  readonly tooLargeKeys: number;
  /** SQS entries refused for characters outside the XML set. */
  readonly xmlRefused: number;
}

/** What one schedule did (all counts are of this schedule). */
export interface ScheduleReport {
  readonly seed: number;
  readonly family: Schedule['family'];
  readonly records: number;
  readonly shards: number;
  readonly batchSize: number;
  readonly fates: Record<Fate, number>;
  /** Rejections by reason code. */
  readonly reasons: Record<string, number>;
  readonly results: number;
  readonly alerts: number;
  readonly delivery: DeliveryStats;
  /** Injected client faults by kind. */
  readonly faults: Record<string, number>;
  readonly dimensions: DimensionReport;
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
  /** Make the checks fail on purpose (self-test of the sweep). */
  readonly sabotage?: Sabotage;
  /** Change the seed's schedule (to take a failing schedule apart: one dimension off at a time). */
  readonly adjust?: (schedule: Schedule) => Schedule;
}

/** Counters the processor's invocation summaries add up. */
export interface ProcessorCounters {
  sourceResets: number;
  suspectedResets: number;
}

/** One schedule's tables, recorders, container pool and closer, shared by the in-process and kinesis-mock deliveries. */
export interface Harness {
  readonly tables: { stateTable: string };
  readonly landed: Landed;
  readonly sqs: MemorySqs;
  readonly injected: InjectedFault[];
  readonly destination: MemoryDestination;
  readonly pool: ContainerPool;
  readonly closer: CloserRuns;
  readonly counters: ProcessorCounters;
  readonly xmlRefused: { count: number };
  /** A new processor container (fault-injected clients, its own store and caches). */
  newHandler(): DriverHandler;
  /** Delete the tables. */
  dispose(): Promise<void>;
}

/** Create a schedule's tables, the factory of fault-injected handler instances, the pool and the closer. */
export async function createHarness(
  dynamodb: Pick<DynamoDBClient, 'send'>,
  schedule: Schedule,
  log: ShardLog,
  options: RunOptions = {},
): Promise<Harness> {
  const { seed } = schedule;
  const sabotage = options.sabotage;
  const pipeline = pipelineOf(schedule);
  const processorPipeline = sabotage === 'no-state-guard' ? withoutStateGuard(pipeline) : pipeline;
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const tables = { stateTable: `chaos-${seed}-state-${suffix}` };
  // No stream: the landing recorder sees every write (DynamoDB Local keeps a deleted table's stream records, and a
  // sweep slows down as they pile up).
  await ensureStateTables(dynamodb, tables, { stream: false });
  const landed = emptyLanded();
  let processorBase = landingRecorder(dynamodb, tables.stateTable, landed, 'processor');
  let closerBase = landingRecorder(dynamodb, tables.stateTable, landed, 'closer');
  if (sabotage === 'lose-key' || sabotage === 'stale-key') {
    const victim = busiestKey(pipeline, log);
    processorBase = sabotageStateWrites(processorBase, tables.stateTable, sabotage, victim.key);
  }
  if (sabotage === 'closer-drops-late') processorBase = dropOutboxAfterCloser(processorBase, tables.stateTable, landed);
  if (sabotage === 'event-time-expiry') {
    processorBase = eventTimeExpiry(processorBase, tables.stateTable, pipeline.settings.retentionMs);
    closerBase = eventTimeExpiry(closerBase, tables.stateTable, pipeline.settings.retentionMs);
  }
  const sqs = new MemorySqs();
  const xmlRefused = { count: 0 };
  const strict = strictSqs(sqs.client, xmlRefused);
  const injected: InjectedFault[] = [];
  const counters: ProcessorCounters = { sourceResets: 0, suspectedResets: 0 };
  const onInvocation = (summary: InvocationSummary) => {
    counters.sourceResets += summary.sourceResets;
    counters.suspectedResets += summary.suspectedResets;
  };
  const transform = (event: any): any => {
    if (sabotage === 'drop-undecodable') return dropUndecodable(event);
    if (sabotage === 'ignore-partition-key') return withoutPartitionKeys(event);
    if (sabotage === 'cluster-blind' && log.clusterArns[0]) return { ...event, eventSourceArn: log.clusterArns[0] };
    return event;
  };
  let processes = 0;
  const newHandler = (): DriverHandler => {
    const proc = new ChaosProcess(++processes, seed, schedule.calls, injected);
    const client = chaosDynamo(processorBase, proc);
    const store = new StateStore({
      client,
      tableName: tables.stateTable,
      fenceHorizonMs: FENCE_HORIZON_MS,
      backoff: FAST,
    });
    const processorStore: ProcessorStore =
      sabotage === 'cached-checkpoint'
        ? cachedCheckpoints(store, client, tables.stateTable)
        : sabotage === 'no-restart-detection'
          ? checkpointsWithoutArrival(store)
          : store;
    const deps: ProcessorDeps = {
      store: processorStore,
      rejected: new SqsSideOutput({ client: chaosSqs(strict, proc), queueUrl: REJECTED, backoff: FAST }),
      late: new SqsSideOutput({ client: chaosSqs(strict, proc), queueUrl: LATE, backoff: FAST }),
      parallelizationFactor: schedule.lanes,
      logger: silentLogger(),
      onInvocation,
    };
    const handler =
      schedule.source === 'msk'
        ? createMskHandler(processorPipeline, deps)
        : createKinesisHandler(processorPipeline, deps);
    return {
      invoke: (event, context) => (handler as (e: unknown, c: unknown) => Promise<unknown>)(transform(event), context),
      begin: (invocation, faults) => proc.begin(invocation, faults),
      get crashed() {
        return proc.dead;
      },
    };
  };
  return {
    tables,
    landed,
    sqs,
    injected,
    destination: memoryDestination(),
    pool: new ContainerPool(schedule.containers, seed, newHandler),
    closer: new CloserRuns({
      schedule,
      pipeline,
      stateTable: tables.stateTable,
      dynamodb: closerBase,
      reader: dynamodb,
      injected,
      garbageHoldsWatermark: sabotage === 'garbage-holds-watermark',
    }),
    counters,
    xmlRefused,
    newHandler,
    dispose: async () => {
      await dynamodb.send(new DeleteTableCommand({ TableName: tables.stateTable })).catch(() => undefined);
    },
  };
}

/** The send index of each barrier of a schedule. */
export function barrierIndexes(schedule: Schedule, log: ShardLog): { at: number; jumpMs: number }[] {
  return schedule.closer.barriers.map((b) => ({ at: Math.floor(b.at * log.records.length), jumpMs: b.jumpMs }));
}

/** Run one schedule with in-process delivery against DynamoDB Local; throws a ChaosMismatchError on a difference. */
export async function runSchedule(
  dynamodb: Pick<DynamoDBClient, 'send'>,
  seed: number,
  options: RunOptions = {},
): Promise<ScheduleReport> {
  const started = Date.now();
  const schedule = options.adjust ? options.adjust(scheduleFor(seed)) : scheduleFor(seed);
  const log = buildLog(schedule, scheduleSends(schedule));
  const poison = poisonOf(schedule, log);
  const h = await createHarness(dynamodb, schedule, log, options);
  try {
    const stats = emptyDeliveryStats();
    let invocations = 0;
    let stopped = false;
    const adapter: SourceAdapter =
      schedule.source === 'msk' ? mskAdapter((generation) => log.clusterArns[generation]!) : kinesisAdapter;
    const deliveries = new Map(
      log.lanes.map((lane) => [
        lane.id,
        new LaneDelivery({
          schedule,
          lane,
          poison,
          pool: h.pool,
          adapter,
          destination: h.destination,
          stats,
          context: lambdaContext,
          nextInvocation: () => {
            if (stopped) throw new Error('the schedule stopped');
            return ++invocations;
          },
          afterInvocation: (n) => {
            if (draw(seed, `closer|${n}`) < schedule.closer.activeShare) h.closer.startActive();
          },
        }),
      ]),
    );
    const barriers = barrierIndexes(schedule, log);
    try {
      for (const [phase, limit] of [...barriers.map((b) => b.at), Number.POSITIVE_INFINITY].entries()) {
        await deliverPhase(log.lanes, deliveries, limit, options.sabotage === 'children-first');
        const barrier = barriers[phase];
        if (barrier) await h.closer.idle(barrier.at, barrier.jumpMs);
      }
      await h.closer.settle();
    } catch (error) {
      stopped = true;
      throw new ChaosRunError(seed, `delivery did not finish: ${(error as Error).message}`, { cause: error });
    }
    return await verify(dynamodb, schedule, log, poison, h, stats, started);
  } finally {
    await h.dispose();
  }
}

/**
 * Deliver every lane up to send index `limit`, a lane only after the lanes it waits for are done (a reshard's
 * parents; with `childrenFirst`, the bug of running children first: parents wait for their children instead).
 */
async function deliverPhase(
  lanes: readonly Lane[],
  deliveries: Map<string, LaneDelivery>,
  limit: number,
  childrenFirst: boolean,
): Promise<void> {
  const children = new Map<string, string[]>();
  for (const lane of lanes) for (const p of lane.parents) children.set(p, [...(children.get(p) ?? []), lane.id]);
  const done = new Map<string, Promise<void>>();
  const order = childrenFirst ? [...lanes].reverse() : lanes;
  for (const lane of order) {
    const waitFor = childrenFirst ? (children.get(lane.id) ?? []) : lane.parents;
    const before = waitFor.map((id) => done.get(id)!);
    done.set(
      lane.id,
      Promise.all(before).then(() => deliveries.get(lane.id)!.drainTo(limit)),
    );
  }
  await Promise.all(done.values());
}

/** The records as the oracle sees them: their source, their name in side outputs, and whether they reach the processor. */
export function oracleRecords(schedule: Schedule, log: ShardLog, failed: ReadonlySet<string>): OracleRecord[] {
  // MSK, topic re-created: a partition that had records has a checkpoint, so its new offsets are below it. With
  // LogAppendTime the processor proves the restart (new epoch, `#1` in message ids); with CreateTime it skips the new
  // offsets up to the old checkpoint (and reports them as a suspected restart).
  const lastOld = new Map<string, number>();
  for (const r of log.records) if (r.msk && r.generation === 0) lastOld.set(r.shardId, Number(r.sequence));
  return log.records.map((r) => {
    // Side-output ids name a Kinesis record by shard, an MSK record by cluster and topic-partition (as the handlers do).
    let messageSource = r.msk ? r.identity : r.shardId;
    let epoch = 0;
    let skipped = false;
    const old = lastOld.get(r.shardId);
    if (r.msk && r.generation === 1 && schedule.reset?.kind === 'recreate' && old !== undefined) {
      if (schedule.timestamps === 'LOG_APPEND_TIME') epoch = 1;
      else skipped = Number(r.sequence) <= old;
    }
    if (epoch > 0) messageSource = `${messageSource}#${epoch}`;
    return {
      index: r.index,
      data: r.data,
      partitionKey: r.partitionKey,
      arrivalMs: r.arrivalMs,
      source: r.identity,
      messageSource,
      sequence: r.sequence,
      // As the processor fences a source: its identity, with the epoch after a restart.
      fence: fenceKey(epoch === 0 ? r.identity : `${r.identity}#${epoch}`),
      failed: failed.has(`${r.shardId}:${r.sequence}`),
      skipped,
    };
  });
}

/** A reason as compared: the partition-key-mismatch text is the processor's own wording, so only its code counts. */
const comparableReason = (reason: string) =>
  reasonCode(reason) === 'partition-key-mismatch' ? 'partition-key-mismatch' : reason;

/**
 * Check a finished schedule against the oracle: window results (state + finalized), alerts, rejected side output
 * (ids and reasons), late side output, the failure destination, duplicates, skipped records, the accounting, the
 * closer's watermark at every barrier, and the sources' final checkpoints.
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
  const lanes = schedule.lanes > 1;
  const failed = failedRecords(seed, h.destination, log, poison);
  const idleRuns = h.closer.idleRuns;
  const jump = (i: number) => DEFAULT_IDLE_TIMEOUT_MS + idleRuns[i]!.jumpMs;
  const want = oracleOf(seed, pipeline, oracleRecords(schedule, log, failed), {
    lanes,
    barriers: idleRuns.map((run, i) => ({
      at: run.at,
      // With lanes a shard's checkpoint holds the stream time of whichever lane's batch wrote it last: the closer's
      // watermark is what it read (checked below to be at most the oracle's); else it is exact.
      watermark: (maxStreamTime) =>
        lanes
          ? Number.isFinite(run.watermark)
            ? Math.floor(run.watermark)
            : undefined
          : Number.isFinite(maxStreamTime)
            ? maxStreamTime + jump(i)
            : undefined,
    })),
    closes: h.closer.activeWrites,
  });
  // Every check runs; the first difference names the error, the others follow it (they help take a schedule apart).
  const differences: { what: string; detail: string }[] = [];
  const check = (what: string, got: unknown, expected: unknown) => {
    if (!isDeepStrictEqual(got, expected)) differences.push({ what, detail: describeDiff(got, expected) });
  };
  want.barriers.forEach((b, i) => {
    const run = idleRuns[i]!;
    const observed = Number.isFinite(run.watermark) ? Math.floor(run.watermark) : undefined;
    if (lanes) {
      const bound = Number.isFinite(b.maxStreamTime) ? b.maxStreamTime + jump(i) : undefined;
      if (observed !== undefined && (bound === undefined || observed > bound))
        check(`closer watermark at barrier ${b.at} (at most the largest stream time + jump)`, observed, bound);
    } else check(`closer watermark at barrier ${b.at}`, observed, b.watermark);
    if (observed !== undefined) check(`closer mode at barrier ${b.at}`, run.mode, 'idle');
  });
  // Each active closer write made final, where the oracle places it, the windows it made final in the table.
  check(
    'active closer writes (windows each made final)',
    want.closes,
    [...h.closer.activeWrites]
      .map(({ key, version, windows }) => ({ key, version, windows }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.version - b.version)),
  );
  // A side-output id names one record (one record and window): a consumer drops repeats by id, so two records under
  // one id lose one of them.
  const shared = (ids: string[]) => ids.filter((id, i) => i > 0 && ids[i - 1] === id);
  check(
    'side-output ids shared by two records',
    [...shared(want.rejected.map(([id]) => id)), ...shared(want.lateIds)],
    [],
  );
  const results = await tableResults(dynamodb, h.tables.stateTable, pipeline, h.landed.results);
  check('window results (state + finalized)', results, want.results);
  check('alerts', h.landed.alerts.map(alertKey).sort(), want.alerts);
  // Side outputs: what the state writes decided (their outboxes, which the emitter delivers from the stream) plus
  // the rejections the processor sent before its checkpoint; what it sent right after a commit must be among them.
  const rejected = new Map<string, string>();
  const addRejected = (m: RejectedMessage) => {
    const known = rejected.get(m.id);
    if (known !== undefined && known !== m.reason)
      check(`reason of rejected message ${m.id} (sent twice with different reasons)`, m.reason, known);
    rejected.set(m.id, m.reason);
  };
  for (const m of h.sqs.queues.get(REJECTED) ?? []) if (m.kind === 'rejected') addRejected(m);
  for (const m of h.landed.outbox) if (m.kind === 'rejected') addRejected(m);
  const comparable = (list: [string, string][]) => list.map(([id, reason]) => [id, comparableReason(reason)]);
  check(
    'rejected side output (ids and reasons)',
    comparable([...rejected].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))),
    comparable(want.rejected),
  );
  const lateIds = [...new Set(h.landed.outbox.filter((m) => m.kind === 'late').map((m) => m.id))].sort();
  check('late side output', lateIds, want.lateIds);
  const lateSent = h.sqs.ids(LATE).filter((id) => !want.lateIds.includes(id));
  check('late messages sent for records that are not late', lateSent, []);
  check(
    'failure destination',
    [...failed].sort(),
    log.records
      .filter((r) => failed.has(`${r.shardId}:${r.sequence}`))
      .map((r) => `${r.shardId}:${r.sequence}`)
      .sort(),
  );
  if (pipeline.idOf) check('duplicates', [...h.landed.duplicates].sort(), want.duplicateIds);
  const total = Object.values(want.fates).reduce((a, b) => a + b, 0);
  check('accounting (fates for every record)', total, log.records.length);
  if (want.skipped.length > 0 && h.counters.suspectedResets < want.skipped.length) {
    check(
      'suspected restarts reported (at least the records skipped)',
      h.counters.suspectedResets,
      want.skipped.length,
    );
  }
  if (!lanes) await checkCheckpoints(dynamodb, h, want, check);
  if (isPlain(schedule)) checkOracleIsReplay(pipeline, log, failed, want, check);
  const [first, ...more] = differences;
  if (first) {
    const also = more.map((d) => `\n  also ${d.what}: ${d.detail}`).join('');
    throw new ChaosMismatchError(seed, first.what, `${first.detail}${also}`);
  }
  return report(schedule, log, h, stats, want, started);
}

/** The oracle of a schedule; an active closer write it cannot place is a difference (the processor's order). */
function oracleOf(
  seed: number,
  pipeline: Pipeline,
  records: readonly OracleRecord[],
  options: OracleOptions,
): OracleOutput {
  try {
    return oracle(pipeline, records, options);
  } catch (error) {
    if (error instanceof ClosePlacementError)
      throw new ChaosMismatchError(seed, "active closer writes (in their keys' record order)", error.message);
    throw error;
  }
}

/** Schedules whose oracle must equal `replay()` of the lines (nothing `replay()` cannot express). */
function isPlain(schedule: Schedule): boolean {
  return (
    schedule.source === 'kinesis' &&
    schedule.lanes === 1 &&
    !schedule.reshard &&
    schedule.closer.barriers.length === 0 &&
    schedule.hostile === 0 &&
    !schedule.garbage
  );
}

/** The oracle's own check: where `replay()` applies, the oracle is `replay()` (same results, alerts, fates). */
function checkOracleIsReplay(
  pipeline: Pipeline,
  log: ShardLog,
  failed: ReadonlySet<string>,
  want: OracleOutput,
  check: (what: string, got: unknown, expected: unknown) => void,
): void {
  const kept = log.records.filter((r) => !failed.has(`${r.shardId}:${r.sequence}`));
  // With each record's arrival time, as the processor and the oracle judge future-time.
  const ref = replay(
    pipeline,
    kept.map((r) => r.line),
    { shards: log.ranges, arrivalTime: (_value, line) => kept[line - 1]!.arrivalMs },
  );
  check('oracle against replay() (results)', want.results, ref.results);
  check('oracle against replay() (alerts)', want.alerts, ref.alerts.map(alertKey).sort());
  check(
    'oracle against replay() (fates)',
    [want.fates.applied, want.fates.duplicate, want.fates.late, want.fates.rejected],
    [ref.summary.applied, ref.summary.duplicates, ref.summary.lateEvents, ref.summary.rejected],
  );
}

/**
 * Every source's checkpoint holds its stream time exactly (stream time never moves backwards, nor stays behind what
 * was committed), and every source with a valid record has one.
 */
async function checkCheckpoints(
  dynamodb: Pick<DynamoDBClient, 'send'>,
  h: Harness,
  want: OracleOutput,
  check: (what: string, got: unknown, expected: unknown) => void,
): Promise<void> {
  const checkpoints = await new StateStore({ client: dynamodb, tableName: h.tables.stateTable }).listCheckpoints();
  const got = new Map(checkpoints.map((c) => [c.sourceId, c.streamTime >= 0 ? c.streamTime : undefined]));
  for (const [source, streamTime] of want.streamTimes) {
    check(`checkpoint stream time of ${source}`, got.get(source), streamTime);
  }
  for (const [source, streamTime] of got) {
    if (!want.streamTimes.has(source)) check(`checkpoint stream time of ${source}`, streamTime, undefined);
  }
}

function report(
  schedule: Schedule,
  log: ShardLog,
  h: Harness,
  stats: DeliveryStats,
  want: OracleOutput,
  started: number,
): ScheduleReport {
  const faults: Record<string, number> = {};
  for (const f of h.injected) faults[f.fault] = (faults[f.fault] ?? 0) + 1;
  const reasons: Record<string, number> = {};
  for (const [, reason] of want.rejected) reasons[reasonCode(reason)] = (reasons[reasonCode(reason)] ?? 0) + 1;
  return {
    seed: schedule.seed,
    family: schedule.family,
    records: log.records.length,
    shards: log.shardIds.length,
    batchSize: schedule.batchSize,
    fates: want.fates,
    reasons,
    results: want.results.length,
    alerts: want.alerts.length,
    delivery: stats,
    faults,
    dimensions: {
      containers: schedule.containers,
      pool: h.pool.stats,
      time: schedule.time,
      disorder: schedule.disorder,
      bursts: log.records.filter((r) => r.kind === 'burst').length,
      outliers: Number(schedule.outliers.ahead) + Number(schedule.outliers.behind),
      hostile: log.records.filter((r) => r.kind === 'hostile').length,
      lanes: schedule.lanes,
      reshard: schedule.reshard !== undefined,
      reset: schedule.reset ? `${schedule.reset.kind}/${schedule.timestamps}` : undefined,
      garbageShard: schedule.garbage ? (schedule.garbage.from === 0 ? 'throughout' : 'after') : undefined,
      sourceResets: h.counters.sourceResets,
      suspectedResets: h.counters.suspectedResets,
      closer: h.closer.stats,
      afterCloser: h.landed.afterCloser,
      tooLargeKeys: want.tooLargeKeys,
      xmlRefused: h.xmlRefused.count,
    },
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
    // With lanes a failure record names the lane's records in the range, not every record of the shard in it.
    const named = run.filter((r) => r.lane === laneOfRange(log, info.shardId, info.startSequenceNumber));
    if (named.length !== info.batchSize) {
      throw new ChaosMismatchError(
        seed,
        'failure destination',
        `a failure record names ${info.batchSize} records, the range holds ${named.length}`,
      );
    }
    if (!named.some((r) => poison.has(r.sequence))) {
      throw new ChaosMismatchError(
        seed,
        'failure destination',
        `records ${info.startSequenceNumber}..${info.endSequenceNumber} discarded without a poison record (${f.requestContext.condition})`,
      );
    }
    for (const r of named) {
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

/** The lane of the record at `sequence` of `shardId`. */
function laneOfRange(log: ShardLog, shardId: string, sequence: string): string | undefined {
  return log.byShard.get(shardId)?.find((r) => r.sequence === sequence)?.lane;
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
