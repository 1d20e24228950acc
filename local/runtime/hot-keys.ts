/** A key and how many records it had. */
export interface KeyCount {
  key: string;
  count: number;
}

/**
 * Counts per key with bounded memory: when more than `maxKeys` keys are tracked, the less active half is dropped
 * (a key with a burst stays on top; long-tail counts are approximate, which is fine for a "hottest keys" display).
 */
export class HotKeys {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxKeys = 20_000) {}

  /** Count one record of `key`. */
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
    if (this.counts.size > this.maxKeys) {
      const sorted = [...this.counts].sort((a, b) => a[1] - b[1]);
      for (const [k] of sorted.slice(0, Math.floor(sorted.length / 2))) this.counts.delete(k);
    }
  }

  /** The `n` keys with the most records, most first (ties by key). */
  top(n: number): KeyCount[] {
    return [...this.counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, n)
      .map(([key, count]) => ({ key, count }));
  }
}
