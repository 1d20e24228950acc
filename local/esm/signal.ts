/**
 * A wake-up signal for polling loops: `wait(ms)` resolves on the next `notify()` or after `ms` (never, if omitted).
 * Every waiter is released by one `notify()`.
 */
export class Signal {
  private waiters: Array<() => void> = [];

  /** Wait for `notify()`, or at most `ms` milliseconds. */
  wait(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      this.waiters.push(done);
      if (ms !== undefined) timer = setTimeout(done, Math.max(0, ms));
    });
  }

  /** Release every current waiter. */
  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
