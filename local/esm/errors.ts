import { StreamfoldError } from '../../core/errors';

/** The stream the mapping reads could not be described (missing, wrong name, engine down). */
export class EsmStreamError extends StreamfoldError {
  override name = 'EsmStreamError';
  readonly code = 'ESM_STREAM';
  constructor(
    /** The stream name the mapping was given. */
    readonly streamName: string,
    options?: { cause?: unknown },
  ) {
    const reason =
      options?.cause instanceof Error ? `${options.cause.name}: ${options.cause.message}` : 'unknown error';
    super(
      `Event source mapping cannot read stream "${streamName}" (${reason}). Create the stream first and check the Kinesis endpoint.`,
      options,
    );
  }
}

/** `drain()` gave up: some shard was still behind or a batch was still being retried when the timeout passed. */
export class EsmDrainTimeoutError extends StreamfoldError {
  override name = 'EsmDrainTimeoutError';
  readonly code = 'ESM_DRAIN_TIMEOUT';
  constructor(
    /** The timeout that passed, in milliseconds. */
    readonly timeoutMs: number,
    /** Per shard: why it is not idle yet. */
    readonly pending: string[],
  ) {
    super(
      `Event source mapping did not become idle within ${timeoutMs} ms; still busy: ${pending.join('; ') || 'shard discovery'}. ` +
        'A batch that always fails with MaximumRetryAttempts = -1 blocks its shard forever: set maximumRetryAttempts or maximumRecordAgeInSeconds.',
    );
  }
}

/** `start()` was called twice, or after `stop()`. */
export class EsmLifecycleError extends StreamfoldError {
  override name = 'EsmLifecycleError';
  readonly code = 'ESM_LIFECYCLE';
  constructor(
    /** The state the mapping was in. */
    readonly state: string,
    /** The call that was refused. */
    readonly call: string,
  ) {
    super(`Cannot call ${call}() on an event source mapping that is ${state}; create a new mapping instead.`);
  }
}
