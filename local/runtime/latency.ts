/**
 * A bounded sample of latencies (reservoir sampling, Algorithm R) for percentiles over a run of any length:
 * exact while fewer than `capacity` values were added, a uniform sample after.
 */
export class LatencyReservoir {
  private readonly values: number[] = [];
  private seen = 0;
  private state: number;

  constructor(
    private readonly capacity = 50_000,
    seed = 1,
  ) {
    this.state = seed >>> 0 || 1;
  }

  /** Values added so far. */
  get count(): number {
    return this.seen;
  }

  /** Add one latency (ms). */
  add(value: number): void {
    this.seen++;
    if (this.values.length < this.capacity) {
      this.values.push(value);
      return;
    }
    const slot = Math.floor(this.random() * this.seen);
    if (slot < this.capacity) this.values[slot] = value;
  }

  /** The `p`-th percentile (0 to 100, nearest rank), or undefined when empty. */
  percentile(p: number): number | undefined {
    if (this.values.length === 0) return undefined;
    const sorted = [...this.values].sort((a, b) => a - b);
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
    return sorted[rank - 1];
  }

  private random(): number {
    // xorshift32: deterministic, no allocation.
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }
}
