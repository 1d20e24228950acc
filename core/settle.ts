/**
 * Wait for every promise to settle, then reject with the first rejection (in input order), or resolve with all the
 * values. Unlike `Promise.all`, nothing is left running when it rejects: a failed invocation returns only after all of
 * its calls have answered, so none of them resumes inside the next invocation its container serves (Lambda freezes
 * and thaws pending work), and a failed closer run never overlaps the run that retries it.
 */
export async function allSettledOrThrow<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
