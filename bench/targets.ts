import type { BenchTarget } from './target';

/**
 * Every benchmark target, in run order, loaded lazily (a target's dependencies load only when it runs).
 * Adding a target: one file in bench/ exporting a BenchTarget, and one line here.
 */
export const TARGETS: Readonly<Record<string, () => Promise<BenchTarget>>> = {
  engine: async () => (await import('./engine')).engine,
  writes: async () => (await import('./writes')).writes,
  latency: async () => (await import('./latency')).latency,
  bundle: async () => (await import('./bundle')).bundle,
  cost: async () => (await import('./bill')).cost,
};
