import { setTimeout as sleep } from 'node:timers/promises';
import type { CloserOutcome } from '../../lambdas/closer/index';
import { EmissionFinishError } from './errors';

/** Options of {@link CloserLoop}. */
export interface CloserLoopOptions {
  /** One run of the closer handler. */
  close(): Promise<CloserOutcome>;
  /** How often the closer runs. */
  intervalMs: number;
  /** After each successful run (counters). */
  onOutcome(outcome: CloserOutcome): void;
  /** After each timer run, failed or not (the re-delivery of spilled messages runs on the closer's schedule). */
  afterTick(): Promise<void>;
  /** A failed run (retried on the next tick). */
  warn(part: string, error: unknown): void;
}

/** The closer on a timer (EventBridge Scheduler's stand-in): runs never overlap, the timer's or {@link closeOnce}'s. */
export class CloserLoop {
  #last: Promise<unknown> = Promise.resolve();
  #running = false;
  #loop: Promise<void> | undefined;

  constructor(private readonly options: CloserLoopOptions) {}

  /** Run the closer once, after any run in flight. */
  closeOnce(): Promise<CloserOutcome> {
    const next = this.#last.then(async () => {
      const outcome = await this.options.close();
      this.options.onOutcome(outcome);
      return outcome;
    });
    this.#last = next.catch(() => undefined);
    return next;
  }

  /** Start the timer. */
  start(): void {
    this.#running = true;
    this.#loop ??= this.#run();
  }

  /** Stop the timer (within 200 ms, after the run in flight). */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  /**
   * Run the closer until a run finalizes nothing and fails no key; resolves with the windows finalized.
   * @throws EmissionFinishError when windows are still open at the deadline.
   */
  async closeUntilDone(deadline: number, timeoutMs: number): Promise<number> {
    let windows = 0;
    for (;;) {
      let outcome: CloserOutcome | undefined;
      try {
        outcome = await this.closeOnce();
        windows += outcome.windows;
      } catch (error) {
        this.options.warn('closer', error);
      }
      if (outcome && outcome.windows === 0 && outcome.failedKeys.length === 0) return windows;
      if (Date.now() >= deadline) throw new EmissionFinishError(timeoutMs, outcome?.failedKeys.length);
      if (!outcome || outcome.failedKeys.length > 0) await sleep(200);
    }
  }

  async #run(): Promise<void> {
    while (this.#running) {
      for (let waited = 0; this.#running && waited < this.options.intervalMs; waited += 200) await sleep(200);
      if (!this.#running) return;
      await this.closeOnce().catch((error) => this.options.warn('closer', error));
      await this.options.afterTick();
    }
  }
}
