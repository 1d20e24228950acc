import { BatchFailedError } from './errors';
import type { SourceOutcome } from './source-batch';

/** Throw when every source stopped at its first record without writing anything (nothing could be done at all). */
export function failOnNoProgress(outcomes: readonly SourceOutcome[]): void {
  if (outcomes.length === 0 || !outcomes.every((o) => o.failedAt && o.noProgress)) return;
  throw new BatchFailedError(
    outcomes.map((o) => o.sourceId),
    { cause: outcomes.find((o) => o.error)?.error ?? new Error('unknown failure') },
  );
}
