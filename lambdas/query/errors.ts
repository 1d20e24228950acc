/** The queried window is not one of the pipeline's windows. */
export class UnknownWindowError extends Error {
  override name = 'UnknownWindowError';
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
export class InvalidQueryRangeError extends Error {
  override name = 'InvalidQueryRangeError';
  constructor(
    readonly from: unknown,
    readonly to: unknown,
  ) {
    super(`Invalid time range from ${JSON.stringify(from)} to ${JSON.stringify(to)}: expected epoch ms with from < to`);
  }
}
