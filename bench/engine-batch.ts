/**
 * Batch-level helpers of the engine benchmarks (processed like the processor does): stream time per record and
 * grouping by key.
 */

/**
 * Stream time after each record: the running maximum of event times, starting from the source's checkpointed
 * stream time. Per docs/architecture.md §2.5 the stream time used for a record includes the record itself.
 *
 * @example streamTimes(-Infinity, [5, 3, 9]) // [5, 5, 9]
 */
export function streamTimes(start: number, times: readonly number[]): number[] {
  const out = new Array<number>(times.length);
  let current = start;
  for (let i = 0; i < times.length; i++) {
    if (times[i]! > current) current = times[i]!;
    out[i] = current;
  }
  return out;
}

/** Group record positions by key, keeping source order inside each group (first-seen key order). */
export function groupByKey<T extends { readonly key: string }>(records: readonly T[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < records.length; i++) {
    const key = records[i]!.key;
    const group = groups.get(key);
    if (group) group.push(i);
    else groups.set(key, [i]);
  }
  return groups;
}
