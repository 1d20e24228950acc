// The closer (lambdas/closer: runCloser) beside the processors: active-mode runs on the real clock at random moments
// of the delivery (every source active: nothing the oracle checks may change), and idle-mode runs at barriers (every
// shard paused with everything sent so far processed; the closer's clock jumped past the idle timeout), which the
// oracle models exactly: every key due by the watermark closed up to it. Each write an active run landed is recorded
// with the item it was conditioned on, so the oracle places it in its key's record order (an active run changes
// what a later barrier and later records of the key find).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEFAULT_IDLE_TIMEOUT_MS, FENCE_HORIZON_MS, type Pipeline } from '../../core';
import { CLOSER_SOURCE_ID, type CloserOutcome, runCloser } from '../../lambdas/closer/index';
import type { StoredKeyState } from '../../lambdas/processor/index';
import { type Checkpoint, fenceKey, fromStateItem, StateStore } from '../../lambdas/state/index';
import { ChaosProcess, chaosDynamo, type InjectedFault } from './fault-layer';
import type { OracleClose } from './oracle';
import { garbageCountsAsActive } from './sabotage';
import type { Schedule } from './schedule';

type DynamoSend = Pick<DynamoDBClient, 'send'>;

/** Retry delays of the closer's store: short, so retries do not dominate a sweep's time. */
const FAST = { baseDelayMs: 1, maxDelayMs: 4 };
/**
 * The active runs' idle timeout: longer than any pause of a source in a sweep on a busy machine, so that every source
 * is active on the real clock (a real idle timeout would make a slow schedule's sources idle at moments the oracle
 * does not model; idleness is what the barriers exercise).
 */
const ACTIVE_IDLE_TIMEOUT_MS = 3_600_000;
/** Fault-injected attempts of an idle run before it is run without faults (the closer runs every minute). */
const FAULTY_IDLE_ATTEMPTS = 2;

/** What the closer runs did in one schedule. */
export interface CloserStats {
  activeRuns: number;
  /** Active runs that ended in an error (a crash or a failed call): the next run starts over. */
  activeErrors: number;
  /** Keys and windows active runs finalized. */
  activeKeys: number;
  activeWindows: number;
  idleRuns: number;
  /** Idle attempts, with faults, that had to be run again. */
  idleRetries: number;
  idleKeys: number;
  idleWindows: number;
}

/** One idle run at a barrier: the clock it ran at and the watermark it used. */
export interface IdleRun {
  /** Send index of the barrier. */
  readonly at: number;
  readonly jumpMs: number;
  /** The closer's watermark (−∞ when no source had a stream time). */
  readonly watermark: number;
  readonly mode: CloserOutcome['watermark']['mode'];
}

/** A state write of an active run that landed: what the oracle places ({@link OracleClose}) and what it finalized. */
export interface ActiveWrite extends OracleClose {
  /** Window results the write made final (its `r`). */
  readonly windows: number;
}

/** Options of {@link CloserRuns}. */
export interface CloserRunsOptions {
  readonly schedule: Schedule;
  readonly pipeline: Pipeline;
  readonly stateTable: string;
  /** The closer's DynamoDB client below the fault layer (the landing recorder of its writes). */
  readonly dynamodb: DynamoSend;
  /** A fault-free client to read the checkpoints a barrier's clock is set from. */
  readonly reader: DynamoSend;
  readonly injected: InjectedFault[];
  /** Process ids of the closer's containers start here (apart from the processor's). */
  readonly firstProcess?: number;
  /** Self-test switch `garbage-holds-watermark` ({@link garbageCountsAsActive}). */
  readonly garbageHoldsWatermark?: boolean;
}

/** The closer of one schedule: one warm container (replaced after a crash), its runs and what they did. */
export class CloserRuns {
  readonly stats: CloserStats = {
    activeRuns: 0,
    activeErrors: 0,
    activeKeys: 0,
    activeWindows: 0,
    idleRuns: 0,
    idleRetries: 0,
    idleKeys: 0,
    idleWindows: 0,
  };
  readonly idleRuns: IdleRun[] = [];
  /** Every state write of the active runs that landed (a write whose answer the run never saw too). */
  readonly activeWrites: ActiveWrite[] = [];
  readonly #o: CloserRunsOptions;
  /** While an active run runs: the idle runs before it (its phase); undefined otherwise. */
  #activePhase: number | undefined;
  readonly #active: Promise<void>[] = [];
  #container: { proc: ChaosProcess; store: StateStore; client: DynamoSend } | undefined;
  #processes: number;
  #invocations = 0;
  #running = false;

  constructor(options: CloserRunsOptions) {
    this.#o = options;
    this.#processes = options.firstProcess ?? 10_000;
  }

  #take(faults: boolean) {
    if (!this.#container || this.#container.proc.dead) {
      const proc = new ChaosProcess(++this.#processes, this.#o.schedule.seed, this.#o.schedule.calls, this.#o.injected);
      const recorded = activeWriteRecorder(
        this.#o.dynamodb,
        this.#o.stateTable,
        () => this.#activePhase,
        this.activeWrites,
      );
      const client = chaosDynamo(recorded, proc);
      const store = new StateStore({
        client,
        tableName: this.#o.stateTable,
        fenceHorizonMs: FENCE_HORIZON_MS,
        backoff: FAST,
      });
      this.#container = { proc, store, client };
    }
    this.#container.proc.begin(++this.#invocations, faults);
    return this.#container;
  }

  async #run(
    now: number,
    faults: boolean,
    idleTimeoutMs: number,
    liveWindowMs: number | undefined,
  ): Promise<CloserOutcome> {
    const { store, client } = this.#take(faults);
    return runCloser({
      pipeline: this.#o.pipeline,
      client,
      tableName: this.#o.stateTable,
      store: this.#o.garbageHoldsWatermark ? garbageCountsAsActive(store, now) : store,
      now: () => now,
      idleTimeoutMs,
      parallelizationFactor: this.#o.schedule.lanes,
      ...(liveWindowMs !== undefined ? { liveWindowMs } : {}),
    });
  }

  /** Start an active-mode run on the real clock (not awaited: it runs beside the processors), unless one runs. */
  startActive(): void {
    if (this.#running) return;
    this.#running = true;
    this.stats.activeRuns++;
    // No idle run starts before the active runs settle: the barriers before this run are those already done.
    this.#activePhase = this.idleRuns.length;
    this.#active.push(
      (async () => {
        try {
          const live = this.#o.schedule.closer.liveWindowMs ?? DEFAULT_IDLE_TIMEOUT_MS;
          const outcome = await this.#run(Date.now(), true, ACTIVE_IDLE_TIMEOUT_MS, live);
          this.stats.activeKeys += outcome.closed;
          this.stats.activeWindows += outcome.windows;
        } catch {
          this.stats.activeErrors++;
        } finally {
          this.#activePhase = undefined;
          this.#running = false;
        }
      })(),
    );
  }

  /** Wait for the active runs started so far. */
  async settle(): Promise<void> {
    await Promise.all(this.#active);
  }

  /**
   * An idle-mode run at a barrier: the clock is set `idle timeout + jumpMs` after the newest `lastValidAt` of the
   * sources with a stream time, so every source is idle and the watermark is their largest stream time plus the same
   * amount. Runs with faults first, then (the next minute's run) without, until one run ends with every due key
   * finalized.
   */
  async idle(at: number, jumpMs: number): Promise<IdleRun> {
    await this.settle();
    const checkpoints = await new StateStore({
      client: this.#o.reader,
      tableName: this.#o.stateTable,
    }).listCheckpoints();
    const lastValid = lastValidOf(checkpoints);
    const now = (lastValid ?? Date.now()) + DEFAULT_IDLE_TIMEOUT_MS + jumpMs;
    this.stats.idleRuns++;
    for (let attempt = 0; ; attempt++) {
      const faults = attempt < FAULTY_IDLE_ATTEMPTS;
      let outcome: CloserOutcome;
      try {
        outcome = await this.#run(now, faults, DEFAULT_IDLE_TIMEOUT_MS, undefined);
      } catch (error) {
        if (!faults) throw error;
        this.stats.idleRetries++;
        continue;
      }
      this.stats.idleKeys += outcome.closed;
      this.stats.idleWindows += outcome.windows;
      if (outcome.failedKeys.length > 0) {
        if (!faults) throw new Error(`idle closer run left keys unfinalized: ${outcome.failedKeys.join(', ')}`);
        this.stats.idleRetries++;
        continue;
      }
      const run: IdleRun = { at, jumpMs, watermark: outcome.watermark.watermark, mode: outcome.watermark.mode };
      this.idleRuns.push(run);
      return run;
    }
  }
}

/**
 * Wrap the closer's client BELOW the fault layer: every state write the engine accepted while `phase()` is defined
 * (an active run is running) is added to `writes` with its key, the version it created, the watermark it finalized at
 * (its `#closer` fence: a write that landed moved it to its watermark), the applied marks of the processor's commits
 * it was conditioned on, and how many windows it made final (a write whose answer the closer never saw too).
 */
export function activeWriteRecorder(
  real: DynamoSend,
  stateTable: string,
  phase: () => number | undefined,
  writes: ActiveWrite[],
): DynamoSend {
  const closerFence = fenceKey(CLOSER_SOURCE_ID);
  const send = (async (command: any) => {
    const out = await real.send(command);
    const input = command.input;
    const current = phase();
    if (
      current !== undefined &&
      command.constructor.name === 'PutItemCommand' &&
      input.TableName === stateTable &&
      input.Item?.sk?.S === 'state'
    ) {
      const record = fromStateItem(input.Item);
      const { [closerFence]: watermark, ...applied } = record.applied;
      if (watermark === undefined) throw new Error(`a closer write of ${input.Item.pk.S} has no closer fence`);
      const stored = JSON.parse(record.stateJson ?? '{}') as StoredKeyState;
      writes.push({
        key: input.Item.pk.S as string,
        version: record.version,
        watermark: Number(watermark),
        phase: current,
        applied,
        windows: stored.r?.length ?? 0,
      });
    }
    return out;
  }) as DynamoSend['send'];
  return { send };
}

/** The newest `lastValidAt` (else `updatedAt`) of the checkpoints with a stream time, as the closer reads it. */
function lastValidOf(checkpoints: readonly Checkpoint[]): number | undefined {
  const times = checkpoints.filter((c) => c.streamTime >= 0).map((c) => c.lastValidAt ?? c.updatedAt);
  return times.length > 0 ? Math.max(...times) : undefined;
}
