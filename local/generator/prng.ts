/** A seeded random source: `next()` returns a float in [0, 1). */
export interface Prng {
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
}

/**
 * mulberry32: a tiny 32-bit PRNG (public domain, Tommy Ettinger). Not cryptographic; fast, and the same seed always
 * gives the same sequence, which is all the generator needs.
 */
export function mulberry32(seed: number): Prng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
  };
}

/** Shuffle `items[from..]` in place (Fisher-Yates) with the given PRNG. */
export function shuffleTail(items: Uint8Array, from: number, prng: Prng): void {
  for (let i = items.length - 1; i > from; i--) {
    const j = from + prng.int(i - from + 1);
    const tmp = items[i] ?? 0;
    items[i] = items[j] ?? 0;
    items[j] = tmp;
  }
}
