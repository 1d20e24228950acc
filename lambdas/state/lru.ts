/** Bounded least-recently-used map (Map insertion order as recency). */
export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();

  /** @param maxEntries Entries kept; the least recently used is evicted beyond it. */
  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1)
      throw new RangeError(`maxEntries must be >= 1, got ${maxEntries}`);
  }

  /** The value for `key` (marked most recently used), or undefined. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Store `value` as most recently used, evicting the oldest entry when full. */
  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  /** Forget `key`. */
  delete(key: K): void {
    this.#entries.delete(key);
  }

  /** Forget everything. */
  clear(): void {
    this.#entries.clear();
  }

  /** Number of entries. */
  get size(): number {
    return this.#entries.size;
  }
}
