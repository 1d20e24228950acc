import type { Prng } from './prng';

/**
 * A sampler of ranks 0..n-1 with Zipf weights 1/(rank+1)^exponent: rank 0 is the most active user, and activity
 * falls off as a power law. Sampling is a binary search over the cumulative weights.
 */
export function zipfSampler(n: number, exponent: number, prng: Prng): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank++) {
    total += 1 / (rank + 1) ** exponent;
    cumulative[rank] = total;
  }
  return () => {
    const target = prng.next() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] ?? total) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}
