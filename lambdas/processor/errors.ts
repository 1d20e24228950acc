/** A setting the processor needs is missing from the environment and was not injected. */
export class MissingSettingError extends Error {
  override name = 'MissingSettingError';
  constructor(
    readonly variable: string,
    readonly why: string,
  ) {
    super(
      `Environment variable ${variable} is not set (${why}). The CDK construct sets it; for local runs set it or pass the value in the handler's deps.`,
    );
  }
}

/** A setting from the environment has a value the processor cannot use. */
export class InvalidSettingError extends Error {
  override name = 'InvalidSettingError';
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`Environment variable ${variable} is ${JSON.stringify(value)}: expected ${expected}.`);
  }
}

/** A stored state value is not what the processor writes (`{ k, r?, a? }`, see stored-state.ts). */
export class StoredStateFormatError extends Error {
  override name = 'StoredStateFormatError';
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
export class MalformedEventError extends Error {
  override name = 'MalformedEventError';
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
export class BatchFailedError extends Error {
  override name = 'BatchFailedError';
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
