/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a random delay
 * between 0 and `min(maxMs, baseMs × 2^attempt)`. `attempt` counts from 0 for the first retry; `random` returns a
 * number in [0, 1). The one delay rule of every loop in streamfold that sends again for a reason the SDK does not
 * retry (per-entry failures of batch calls, unprocessed items, conditional conflicts).
 */
export function fullJitterDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.floor(random() * cap);
}
