import { StreamfoldError } from '../../core/errors';

/** A stored state value is not what the processor writes (`{ k, r?, a? }`, see stored-state.ts). */
export class StoredStateFormatError extends StreamfoldError {
  override name = 'StoredStateFormatError';
  readonly code = 'STORED_STATE_FORMAT';
  constructor(
    readonly key: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Stored state of key ${JSON.stringify(key)} is not a streamfold processor state (${detail}); was the state table written by another program or version?`,
      options,
    );
  }
}

/** A record in the event has no usable source or sequence (not an event Lambda builds). */
export class MalformedEventError extends StreamfoldError {
  override name = 'MalformedEventError';
  readonly code = 'MALFORMED_EVENT';
  constructor(
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      `The invocation event is malformed: ${detail}. Expected a Kinesis or MSK event as Lambda delivers it.`,
      options,
    );
  }
}

/** Nothing in the batch could be processed (every source failed before any progress); Lambda retries the batch. */
export class BatchFailedError extends StreamfoldError {
  override name = 'BatchFailedError';
  readonly code = 'BATCH_FAILED';
  constructor(
    readonly sources: string[],
    options: { cause: unknown },
  ) {
    super(
      `No progress on source(s) ${sources.join(', ')}: ${(options.cause as Error)?.message ?? String(options.cause)}`,
      options,
    );
  }
}
