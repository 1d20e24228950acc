import { StreamfoldError } from '../../core/errors';

/** Finding the keys to close (a Scan of the state table) failed. */
export class CloserQueryError extends StreamfoldError {
  override name = 'CloserQueryError';
  readonly code = 'CLOSER_QUERY_FAILED';
  constructor(bucket: string, options?: { cause?: unknown }) {
    super(
      `Closer: scanning the state table (${bucket}) for keys to close failed: ${(options?.cause as Error)?.message ?? String(options?.cause)}`,
      options,
    );
  }
}
