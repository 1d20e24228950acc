import { StreamfoldError } from '../../core/errors';

/** A sequence number (Kinesis sequence number or MSK offset) is not a non-negative decimal integer of <= 130 digits. */
export class InvalidSequenceError extends StreamfoldError {
  override name = 'InvalidSequenceError';
  readonly code = 'INVALID_SEQUENCE';
  constructor(
    readonly value: unknown,
    options?: { cause?: unknown },
  ) {
    super(
      `Invalid sequence number ${JSON.stringify(typeof value === 'bigint' ? value.toString() : value)}: expected a non-negative decimal integer of at most 130 digits (a Kinesis sequence number or an MSK offset).`,
      options,
    );
  }
}

/** The state item would exceed the size guard (DynamoDB refuses items over 400 KB). Not retried. */
export class StateTooLargeError extends StreamfoldError {
  override name = 'StateTooLargeError';
  readonly code = 'STATE_TOO_LARGE';
  constructor(
    readonly key: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(
      `State for key ${JSON.stringify(key)} would be ${sizeBytes} bytes, over the ${limitBytes}-byte guard (DynamoDB's item limit is 400 KB). Use smaller windows, fewer aggregates or a bound on distinct/last-N for this key.`,
    );
  }
}

/** A commit left some keys uncommitted; `keys` lists them, `errors` holds each key's cause. */
export class CommitFailedError extends StreamfoldError {
  override name = 'CommitFailedError';
  readonly code = 'COMMIT_FAILED';
  constructor(
    readonly keys: string[],
    readonly errors: Error[],
  ) {
    super(
      `State commit failed for ${keys.length} key(s): ${keys
        .slice(0, 5)
        .map((k) => JSON.stringify(k))
        .join(', ')}${keys.length > 5 ? ', ...' : ''}; first cause: ${errors[0]?.message ?? 'unknown'}`,
      { cause: errors[0] },
    );
  }
}

/** A key kept hitting conditional-check failures (other writers) after the bounded number of attempts. */
export class CommitConflictError extends StreamfoldError {
  override name = 'CommitConflictError';
  readonly code = 'COMMIT_CONFLICT';
  constructor(
    readonly key: string,
    readonly attempts: number,
    detail?: string,
  ) {
    super(
      detail
        ? `Key ${JSON.stringify(key)}: ${detail}`
        : `Key ${JSON.stringify(key)} still conflicted after ${attempts} conditional-write attempts; another writer keeps updating it (hot key, or ParallelizationFactor > 1 with a key that is not the partition key).`,
    );
  }
}

/** A DynamoDB call kept failing (throttled or a service/network error) after the SDK's retries; `attempts` is its sends. */
export class StoreCallFailedError extends StreamfoldError {
  override name = 'StoreCallFailedError';
  readonly code = 'STORE_CALL_FAILED';
  constructor(
    readonly operation: string,
    readonly attempts: number,
    options: { cause: unknown },
  ) {
    const cause = options.cause as { name?: string; message?: string } | undefined;
    super(
      `DynamoDB ${operation} failed after ${attempts} attempt(s): ${cause?.name ?? 'Error'}: ${cause?.message ?? String(options.cause)}`,
      options,
    );
  }
}

/** `expiresAt` must be epoch milliseconds; a value that looks like epoch seconds (or is not finite) is refused. */
export class InvalidExpiryError extends StreamfoldError {
  override name = 'InvalidExpiryError';
  readonly code = 'INVALID_EXPIRY';
  constructor(
    readonly key: string,
    readonly value: unknown,
  ) {
    super(
      `expiresAt for key ${JSON.stringify(key)} is ${String(value)}: expected epoch milliseconds (e.g. Date.UTC(...) or Date.now()), not seconds.`,
    );
  }
}

/** Two requests in one commit name the same key and source: merge a batch's records into one request per key. */
export class DuplicateCommitKeyError extends StreamfoldError {
  override name = 'DuplicateCommitKeyError';
  readonly code = 'DUPLICATE_COMMIT_KEY';
  constructor(
    readonly key: string,
    readonly sourceId: string,
  ) {
    super(
      `Commit has two requests for key ${JSON.stringify(key)} from source ${JSON.stringify(sourceId)}: merge a batch's records into one request per key and source.`,
    );
  }
}

/** A source id cannot be used (empty). */
export class InvalidSourceIdError extends StreamfoldError {
  override name = 'InvalidSourceIdError';
  readonly code = 'INVALID_SOURCE_ID';
  constructor(readonly sourceId: unknown) {
    super(`Invalid source id ${JSON.stringify(sourceId)}: expected a non-empty shard id or topic-partition string.`);
  }
}

/**
 * A checkpoint write found a stored stream time above its own for a sequence not beyond the stored one: the batch's
 * decisions rest on a stale start (docs/architecture.md §2.9). The batch is retried from its checkpoint, read again.
 */
export class StaleCheckpointError extends StreamfoldError {
  override readonly name = 'StaleCheckpointError';
  readonly code = 'STALE_CHECKPOINT';
  constructor(
    readonly sourceId: string,
    readonly storedStreamTime: number,
    readonly streamTime: number,
  ) {
    super(
      `checkpoint of ${sourceId}: stored stream time ${storedStreamTime} is ahead of this batch's ${streamTime}; the batch is retried from the stored checkpoint`,
    );
  }
}
