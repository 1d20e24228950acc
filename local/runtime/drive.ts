import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from '../producer/index';

/** Options of {@link driveLines}. */
export interface DriveOptions {
  producer: Producer<string>;
  /** Lines in send order (e.g. the generator's items mapped to `.line`). */
  lines: Iterable<string>;
  /** Lines per second at most; undefined: as fast as the producer takes them (backpressure). */
  rate?: number;
  /** Stop sending when aborted (lines already handed to the producer are still flushed). */
  signal?: AbortSignal;
}

/**
 * Send lines through a producer, paced to `rate` per second, until they run out or `signal` aborts; then flush.
 * Returns how many lines were handed to the producer.
 */
export async function driveLines(options: DriveOptions): Promise<number> {
  const { producer, rate, signal } = options;
  const started = Date.now();
  let sent = 0;
  for (const line of options.lines) {
    if (signal?.aborted) break;
    if (rate !== undefined && sent % 20 === 0) {
      const dueAt = started + (sent * 1000) / rate;
      const wait = dueAt - Date.now();
      if (wait > 0) await sleep(wait);
      if (signal?.aborted) break;
    }
    await producer.send(line);
    sent++;
  }
  await producer.flush();
  return sent;
}
