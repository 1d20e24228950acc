import { performance } from 'node:perf_hooks';

/** Throughput of one timed pass. */
export interface Pass {
  readonly ms: number;
  readonly perSec: number;
}

/** Time `fn` over `items` items: one warm-up pass, then `runs` passes; returns every measured pass. */
export function timePasses(items: number, runs: number, fn: () => void): Pass[] {
  fn();
  const passes: Pass[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    fn();
    const ms = performance.now() - started;
    passes.push({ ms, perSec: (items * 1000) / ms });
  }
  return passes;
}

/** Median of the passes' throughput, rounded. */
export function medianPerSec(passes: readonly Pass[]): number {
  const sorted = passes.map((p) => p.perSec).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return Math.round(median);
}

/** Best pass (the least disturbed by other processes on a shared machine), rounded. */
export function bestPerSec(passes: readonly Pass[]): number {
  return Math.round(Math.max(...passes.map((p) => p.perSec)));
}
