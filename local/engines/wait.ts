import { setTimeout as sleep } from 'node:timers/promises';
import { EngineStartError } from './errors';
import type { ManagedProcess } from './process';

/**
 * Poll `probe` until it resolves, the engine process exits, or `timeoutMs` passes (then stop the engine and throw an
 * {@link EngineStartError} carrying its last output).
 */
export async function waitUntilReady(
  managed: ManagedProcess,
  probe: () => Promise<unknown>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (managed.hasExited()) {
      const { code, signal } = await managed.exited;
      throw new EngineStartError(managed.name, `it exited early (code ${code}, signal ${signal})`, managed.output, {
        cause: lastError,
      });
    }
    try {
      await probe();
      return;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  await managed.stop();
  throw new EngineStartError(managed.name, `it did not answer within ${timeoutMs} ms`, managed.output, {
    cause: lastError,
  });
}
