/** A closer setting has a bad value. */
export class InvalidCloserSettingError extends Error {
  override name = 'InvalidCloserSettingError';
  constructor(
    readonly setting: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`${setting}: expected ${expected}, got ${JSON.stringify(value)}`);
  }
}

/** Finding the keys to close (a Scan of the state table) failed. */
export class CloserQueryError extends Error {
  override name = 'CloserQueryError';
  constructor(bucket: string, options?: { cause?: unknown }) {
    super(
      `Closer: scanning the state table (${bucket}) for keys to close failed: ${(options?.cause as Error)?.message ?? String(options?.cause)}`,
      options,
    );
  }
}
