import { StreamfoldError } from '../../core/errors';

/** The queried window is not one of the pipeline's windows. */
export class UnknownWindowError extends StreamfoldError {
  override name = 'UnknownWindowError';
  readonly code = 'UNKNOWN_WINDOW';
  constructor(
    readonly window: string,
    readonly known: readonly string[],
  ) {
    super(
      `Unknown window ${JSON.stringify(window)}: the pipeline's windows are ${known.map((w) => JSON.stringify(w)).join(', ')}`,
    );
  }
}

/** A query time bound is not a time. */
export class InvalidQueryRangeError extends StreamfoldError {
  override name = 'InvalidQueryRangeError';
  readonly code = 'INVALID_QUERY_RANGE';
  constructor(
    readonly from: unknown,
    readonly to: unknown,
  ) {
    super(`Invalid time range from ${JSON.stringify(from)} to ${JSON.stringify(to)}: expected epoch ms with from < to`);
  }
}
